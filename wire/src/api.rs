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
    /// History queries: `limit` outside 1 to [`HISTORY_LIMIT_MAX`], or not a number.
    InvalidLimit,
    /// A cursor or id that is not a decimal integer 1 to 2^63-1.
    InvalidCursor,
    /// `from_ts` after `to_ts`.
    InvalidRange,
    /// No such order, or another user's (the same answer for both).
    UnknownOrder,
    /// The history store cannot answer now (down, or unreachable).
    HistoryUnavailable,
    /// The server runs without a history store (`--history none`).
    HistoryDisabled,
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
            ErrorCode::InvalidLimit => "invalid_limit",
            ErrorCode::InvalidCursor => "invalid_cursor",
            ErrorCode::InvalidRange => "invalid_range",
            ErrorCode::UnknownOrder => "unknown_order",
            ErrorCode::HistoryUnavailable => "history_unavailable",
            ErrorCode::HistoryDisabled => "history_disabled",
            ErrorCode::NotPrimary => "not_primary",
        }
    }

    /// HTTP status for the same error. api.md gives all but `unknown_op`,
    /// which is a bad request like `malformed`.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Malformed
            | ErrorCode::UnknownOp
            | ErrorCode::InvalidLimit
            | ErrorCode::InvalidCursor
            | ErrorCode::InvalidRange => 400,
            ErrorCode::UnknownOrder | ErrorCode::HistoryDisabled => 404,
            ErrorCode::HistoryUnavailable => 503,
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
    /// One page of the user's open orders, in order_id order: ids above
    /// `after_order_id`, at most `limit` (default and most
    /// [`OPEN_ORDERS_LIMIT_MAX`]); the answer names the next page's cursor.
    OpenOrders {
        symbol: Option<Name>,
        after_order_id: Option<u64>,
        limit: Option<u32>,
    },
    /// A question for the history store (`history.md`).
    History(HistoryQuery),
    /// Admin: write a snapshot now and answer with its `seq` and `state_hash`.
    Snapshot,
    /// Admin: what the fee account holds.
    Fees,
    Subscribe(Vec<Channel>),
    Unsubscribe(Vec<Channel>),
    /// The drop copy: `subscribe` to `["events"]` alone, every sequenced
    /// event from input `from_seq` on (`None`: from the next one), for the
    /// admin or a `dropcopy` user (the session checks the role).
    SubscribeEvents {
        from_seq: Option<u64>,
    },
}

impl Op {
    /// The paging checks every codec makes at the edge: `limit` 1 to its
    /// maximum (`invalid_limit`), cursors and ids 1 to 2^63-1
    /// (`invalid_cursor`), `from_ts <= to_ts` (`invalid_range`).
    pub fn check_paging(&self) -> Result<(), (ErrorCode, String)> {
        let lim = |l: Option<u32>, max: u32| match l {
            Some(n) if n == 0 || n > max => Err((
                ErrorCode::InvalidLimit,
                format!("limit must be an integer 1 to {max}, got {n}"),
            )),
            _ => Ok(()),
        };
        let cur = |name: &str, c: Option<u64>| match c {
            Some(n) if n == 0 || n > i64::MAX as u64 => Err((
                ErrorCode::InvalidCursor,
                format!("{name}: malformed cursor {n}: expected an id 1 to 2^63-1"),
            )),
            _ => Ok(()),
        };
        match *self {
            Op::OpenOrders {
                after_order_id,
                limit,
                ..
            } => {
                lim(limit, OPEN_ORDERS_LIMIT_MAX)?;
                cur("after_order_id", after_order_id)
            }
            Op::History(h) => {
                match h {
                    HistoryQuery::Order { .. } => {}
                    HistoryQuery::OrderHistory {
                        from_ts,
                        to_ts,
                        before_order_id,
                        limit,
                        ..
                    } => {
                        lim(limit, HISTORY_LIMIT_MAX)?;
                        cur("before_order_id", before_order_id)?;
                        for t in [from_ts, to_ts].into_iter().flatten() {
                            if t > i64::MAX as u64 {
                                return Err((
                                    ErrorCode::Malformed,
                                    format!("timestamp {t} too large"),
                                ));
                            }
                        }
                        if let (Some(a), Some(b)) = (from_ts, to_ts) {
                            if a > b {
                                return Err((
                                    ErrorCode::InvalidRange,
                                    format!("from_ts ({a}) is after to_ts ({b})"),
                                ));
                            }
                        }
                    }
                    HistoryQuery::MyTrades {
                        from_trade_id,
                        limit,
                        ..
                    } => {
                        lim(limit, HISTORY_LIMIT_MAX)?;
                        cur("from_trade_id", from_trade_id)?;
                    }
                    HistoryQuery::Transfers { after_seq, limit } => {
                        lim(limit, HISTORY_LIMIT_MAX)?;
                        cur("after_seq", after_seq)?;
                    }
                    HistoryQuery::Executions {
                        before_trade_id,
                        limit,
                        ..
                    } => {
                        lim(limit, HISTORY_LIMIT_MAX)?;
                        cur("before_trade_id", before_trade_id)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
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
            Op::History(h) => h.name(),
            Op::Snapshot => "snapshot",
            Op::Fees => "fees",
            Op::Subscribe(_) => "subscribe",
            Op::Unsubscribe(_) => "unsubscribe",
            Op::SubscribeEvents { .. } => "subscribe",
        }
    }

    pub fn access(&self) -> Access {
        match self {
            Op::Login { .. }
            | Op::Subscribe(_)
            | Op::Unsubscribe(_)
            | Op::History(HistoryQuery::Executions { .. }) => Access::Public,
            Op::History(_)
            | Op::Trader(_)
            | Op::Balances { user: None }
            | Op::OpenOrders { .. }
            | Op::SubscribeEvents { .. } => Access::LoggedIn,
            Op::Admin(_) | Op::Snapshot | Op::Fees | Op::Balances { user: Some(_) } => {
                Access::Admin
            }
        }
    }
}

/// Most rows one history page holds; `limit` defaults to [`HISTORY_LIMIT_DEFAULT`].
pub const HISTORY_LIMIT_MAX: u32 = 1_000;
pub const HISTORY_LIMIT_DEFAULT: u32 = 100;
/// Most open orders one `open_orders` page holds, and its default `limit`.
pub const OPEN_ORDERS_LIMIT_MAX: u32 = 1_000;

/// Which order `order` asks about.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum OrderLookup {
    Id(u64),
    /// The caller's newest order with this client order id.
    Client(ClOrdId),
}

/// The history queries (`history.md`, "What the history serves"). Each is
/// the caller's own data unless the caller is the admin; every limit and
/// cursor here passed the edge checks (limit 1 to [`HISTORY_LIMIT_MAX`],
/// ids 1 to 2^63-1, `from_ts <= to_ts`). `None` limits take the default.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum HistoryQuery {
    /// One order in any state.
    Order { key: OrderLookup },
    /// Closed orders, newest first; `before_order_id` is the cursor.
    OrderHistory {
        symbol: Option<Name>,
        from_ts: Option<u64>,
        to_ts: Option<u64>,
        before_order_id: Option<u64>,
        limit: Option<u32>,
    },
    /// Own fills, oldest first from `from_trade_id` (inclusive).
    MyTrades {
        symbol: Option<Name>,
        from_trade_id: Option<u64>,
        limit: Option<u32>,
    },
    /// Own deposits and withdrawals, oldest first after input `after_seq`.
    Transfers {
        after_seq: Option<u64>,
        limit: Option<u32>,
    },
    /// Public trades of a symbol, newest first before `before_trade_id`.
    Executions {
        symbol: Name,
        before_trade_id: Option<u64>,
        limit: Option<u32>,
    },
}

impl HistoryQuery {
    pub fn name(&self) -> &'static str {
        match self {
            HistoryQuery::Order { .. } => "order",
            HistoryQuery::OrderHistory { .. } => "order_history",
            HistoryQuery::MyTrades { .. } => "my_trades",
            HistoryQuery::Transfers { .. } => "transfers",
            HistoryQuery::Executions { .. } => "executions",
        }
    }

    /// The page size asked for, or the default.
    pub fn limit(&self) -> u32 {
        match *self {
            HistoryQuery::Order { .. } => 1,
            HistoryQuery::OrderHistory { limit, .. }
            | HistoryQuery::MyTrades { limit, .. }
            | HistoryQuery::Transfers { limit, .. }
            | HistoryQuery::Executions { limit, .. } => limit.unwrap_or(HISTORY_LIMIT_DEFAULT),
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
    /// The drop copy: every sequenced event (admin or `dropcopy` role),
    /// subscribed on its own.
    Events,
}

impl Channel {
    /// `book:SYM`, `trades:SYM`, `ticker:SYM`, `klines:SYM:INTERVAL`, `balances`.
    pub fn parse(s: &str) -> Option<Channel> {
        if s == "balances" {
            return Some(Channel::Balances);
        }
        if s == "events" {
            return Some(Channel::Events);
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
            Channel::Balances | Channel::Events => None,
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
            Channel::Events => f.write_str("events"),
        }
    }
}
