//! The client API model (`../shared/spec/api.md`), shared by both codecs:
//! requests and their ops, who may send them, market-data channels, and the
//! gateway's error codes. The JSON and binary decoders produce these very
//! values; the router and the client library consume them.
//!
//! What holds: a [`Request`] that exists passed every edge check; an API key
//! is held only as its hash. Must never: do I/O, or decide what the engine
//! decides.

use engine::{
    ClOrdId, CommandKind, Fixed, KeyHash, Name, OrderRef, OrderType, Place, Side, Stp, Tif, UserId,
};
use std::fmt;

/// Longest API key accepted in `login` and `add_user`, in bytes.
pub const API_KEY_BYTES_MAX: usize = 256;
/// Most channels one `subscribe`/`unsubscribe` may name.
pub const CHANNELS_MAX: usize = 64;
/// Longest decimal string accepted, in bytes (longer ones cannot fit anyway).
pub const DECIMAL_BYTES_MAX: usize = 48;
/// `avg_price` carries this many decimals more than the symbol's tick size.
pub const AVG_PRICE_EXTRA_DECIMALS: u8 = 4;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Gateway-level error codes (`{"type":"error","code":...}`).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum ErrorCode {
    Malformed,
    UnknownOp,
    Unauthenticated,
    Forbidden,
    RateLimited,
    TooLarge,
    Overloaded,
    /// A stage cannot take inputs now (the journal's disk is full).
    Unavailable,
    /// This node is a standby; [`WireError::primary`] names the primary.
    NotPrimary,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnknownOp => "unknown_op",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::NotPrimary => "not_primary",
        }
    }

    /// HTTP status for the same error. api.md gives all but `unknown_op`,
    /// which is a bad request like `malformed`.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Malformed | ErrorCode::UnknownOp => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::RateLimited => 429,
            ErrorCode::TooLarge => 413,
            ErrorCode::Overloaded | ErrorCode::Unavailable | ErrorCode::NotPrimary => 503,
        }
    }
}

/// A request refused at the edge, with the `req_id` to echo when one could
/// be read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WireError {
    pub req_id: Option<u64>,
    pub code: ErrorCode,
    pub message: String,
    /// With `not_primary`: the primary's address (`HOST:PORT`), when known.
    pub primary: Option<String>,
}

impl WireError {
    pub fn new(req_id: Option<u64>, code: ErrorCode, message: impl Into<String>) -> WireError {
        WireError {
            req_id,
            code,
            message: message.into(),
            primary: None,
        }
    }

    pub(crate) fn malformed(req_id: Option<u64>, message: impl Into<String>) -> WireError {
        WireError::new(req_id, ErrorCode::Malformed, message)
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for WireError {}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// One decoded client message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Request {
    /// Echoed on every reply the request causes to the session that sent it.
    pub req_id: Option<u64>,
    pub op: Op,
}

/// What a client message asks for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Op {
    /// The key is hashed while decoding; only its SHA-256 is kept.
    Login {
        key_hash: KeyHash,
        cancel_on_disconnect: bool,
    },
    /// Order entry of the logged-in user; the session supplies the user.
    Trader(TraderOp),
    /// An admin command, complete as it will be journaled.
    Admin(CommandKind),
    /// Own balances, or (admin only) those of `user`.
    Balances {
        user: Option<UserId>,
    },
    OpenOrders {
        symbol: Option<Name>,
    },
    /// Admin: write a snapshot now and answer with its `seq` and `state_hash`.
    Snapshot,
    /// Admin: what the fee account holds.
    Fees,
    Subscribe(Vec<Channel>),
    Unsubscribe(Vec<Channel>),
}

/// Who may send an op.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Access {
    /// No login needed (the `balances` channel still needs one: the session checks).
    Public,
    /// Any logged-in user.
    LoggedIn,
    /// The admin role only.
    Admin,
}

impl Op {
    /// The op name as the wire spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Login { .. } => "login",
            Op::Trader(t) => t.name(),
            Op::Admin(k) => k.op_name(),
            Op::Balances { .. } => "balances",
            Op::OpenOrders { .. } => "open_orders",
            Op::Snapshot => "snapshot",
            Op::Fees => "fees",
            Op::Subscribe(_) => "subscribe",
            Op::Unsubscribe(_) => "unsubscribe",
        }
    }

    pub fn access(&self) -> Access {
        match self {
            Op::Login { .. } | Op::Subscribe(_) | Op::Unsubscribe(_) => Access::Public,
            Op::Trader(_) | Op::Balances { user: None } | Op::OpenOrders { .. } => Access::LoggedIn,
            Op::Admin(_) | Op::Snapshot | Op::Fees | Op::Balances { user: Some(_) } => {
                Access::Admin
            }
        }
    }
}

/// A `place` without its user.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct PlaceOrder {
    pub symbol: Name,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Tif,
    pub price: Option<Fixed>,
    pub qty: Fixed,
    pub stop_price: Option<Fixed>,
    pub display_qty: Option<Fixed>,
    pub post_only: bool,
    pub stp: Stp,
    pub client_order_id: Option<ClOrdId>,
}

/// Order entry as a trader sends it: no user in it, the session fills it in.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum TraderOp {
    Place(PlaceOrder),
    Cancel {
        symbol: Name,
        target: OrderRef,
    },
    Amend {
        symbol: Name,
        target: OrderRef,
        price: Option<Fixed>,
        qty: Option<Fixed>,
    },
    CancelAll {
        symbol: Option<Name>,
    },
}

impl PlaceOrder {
    /// The field combinations an order type allows: checked at the edge by
    /// every codec, with the same words, so bad input never reaches the ring.
    pub fn check(&self) -> Result<(), String> {
        let (order_type, tif) = (self.order_type, self.tif);
        let ty = order_type.as_str();
        if order_type.has_limit_price() && self.price.is_none() {
            return Err(format!("missing field `price`: a {ty} order needs a price"));
        }
        if !order_type.has_limit_price() && self.price.is_some() {
            return Err(format!("price: a {ty} order takes no price"));
        }
        if order_type.is_stop() && self.stop_price.is_none() {
            return Err(format!(
                "missing field `stop_price`: a {ty} order needs a stop_price"
            ));
        }
        if !order_type.is_stop() && self.stop_price.is_some() {
            return Err(format!("stop_price: a {ty} order takes no stop_price"));
        }
        if order_type.is_stop() && tif == Tif::Fok {
            return Err(format!("tif: a {ty} order cannot be fok"));
        }
        let gtc_limit = order_type == OrderType::Limit && tif == Tif::Gtc;
        if self.post_only && !gtc_limit {
            return Err("post_only: only a gtc limit order can be post-only".into());
        }
        if self.display_qty.is_some() && !gtc_limit {
            return Err("display_qty: only a gtc limit order can be an iceberg".into());
        }
        Ok(())
    }
}

impl TraderOp {
    pub fn name(&self) -> &'static str {
        match self {
            TraderOp::Place(_) => "place",
            TraderOp::Cancel { .. } => "cancel",
            TraderOp::Amend { .. } => "amend",
            TraderOp::CancelAll { .. } => "cancel_all",
        }
    }

    /// The command to journal for `user`.
    pub fn to_command_kind(&self, user: UserId) -> CommandKind {
        match *self {
            TraderOp::Place(p) => CommandKind::Place(Place {
                user,
                symbol: p.symbol,
                side: p.side,
                order_type: p.order_type,
                tif: p.tif,
                price: p.price,
                qty: p.qty,
                stop_price: p.stop_price,
                display_qty: p.display_qty,
                post_only: p.post_only,
                stp: p.stp,
                client_order_id: p.client_order_id,
            }),
            TraderOp::Cancel { symbol, target } => CommandKind::Cancel {
                user,
                symbol,
                target,
            },
            TraderOp::Amend {
                symbol,
                target,
                price,
                qty,
            } => CommandKind::Amend {
                user,
                symbol,
                target,
                price,
                qty,
            },
            TraderOp::CancelAll { symbol } => CommandKind::CancelAll { user, symbol },
        }
    }
}

/// Kline intervals and how many of each market data keeps (api.md): the
/// market-data projection's own type.
pub use engine::market_data::Interval as KlineInterval;

/// A market data (or own balances) channel. Whether its symbol exists is the
/// session's question, not the codec's.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Channel {
    Book(Name),
    Trades(Name),
    Ticker(Name),
    Klines(Name, KlineInterval),
    /// The logged-in user's own balances (needs login).
    Balances,
}

impl Channel {
    /// `book:SYM`, `trades:SYM`, `ticker:SYM`, `klines:SYM:INTERVAL`, `balances`.
    pub fn parse(s: &str) -> Option<Channel> {
        if s == "balances" {
            return Some(Channel::Balances);
        }
        let (kind, rest) = s.split_once(':')?;
        match kind {
            "book" => Name::new(rest).map(Channel::Book),
            "trades" => Name::new(rest).map(Channel::Trades),
            "ticker" => Name::new(rest).map(Channel::Ticker),
            "klines" => {
                let (sym, iv) = rest.split_once(':')?;
                Some(Channel::Klines(Name::new(sym)?, KlineInterval::parse(iv)?))
            }
            _ => None,
        }
    }

    pub fn symbol(&self) -> Option<Name> {
        match *self {
            Channel::Book(s) | Channel::Trades(s) | Channel::Ticker(s) | Channel::Klines(s, _) => {
                Some(s)
            }
            Channel::Balances => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Book(s) => write!(f, "book:{s}"),
            Channel::Trades(s) => write!(f, "trades:{s}"),
            Channel::Ticker(s) => write!(f, "ticker:{s}"),
            Channel::Klines(s, i) => write!(f, "klines:{s}:{}", i.as_str()),
            Channel::Balances => f.write_str("balances"),
        }
    }
}
