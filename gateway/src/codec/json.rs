//! JSON codec of the client API (`../shared/spec/api.md`): client messages in,
//! reports and replies out, plus the one-line JSON form of a journaled
//! [`Command`] that `ringex-replay dump` prints.
//!
//! What it owns:
//! - The wire shape of every message: field names, which fields an op needs,
//!   the checks that belong at the edge (a limit needs a price, a market order
//!   takes none, `post_only` and `display_qty` only on a GTC limit, names and
//!   ids that fit their types, decimals as non-negative decimal strings). A
//!   request that fails them is a [`WireError`] and never reaches the journal.
//! - Decimal text <-> [`Fixed`]: decimals arrive as JSON strings, are parsed
//!   exactly (rust_decimal at the edge), normalised (trailing zeros dropped),
//!   and must fit an `i64` mantissa with at most 18 decimals.
//! - Reports: [`encode_event`] and the `encode_*` helpers append JSON text to a
//!   `String` the caller owns and reuses; they build no intermediate value.
//!
//! What it must never do: I/O of any kind; panic on any input (the decoders
//! are fuzzed); keep an API key in clear (keys are hashed with
//! [`KeyHash::of_key`] while decoding); decide anything the engine decides
//! (whether a symbol exists, a price is on the tick, funds suffice: those
//! reach the engine and come back as rejects with a reason).
//!
//! Decisions where api.md is silent (also listed in the module tests):
//! - Decimals must be JSON strings; a JSON number where a decimal is expected
//!   is `malformed` ("decimals are JSON strings"). The grammar is strict:
//!   `digits[.digits]`, no sign, exponent, blank or `_`. Zero passes (the
//!   engine answers `invalid_qty`, consuming an order_id, as matching.md asks).
//! - `null` counts as absent for every optional field.
//! - `cancel`/`amend` name their order by `order_id` or `client_order_id`;
//!   both at once is `malformed` (ambiguous).
//! - `amend` needs `price` or `qty` (or both).
//! - `stop_price` on a non-stop order is `malformed`, like `price` on a market
//!   order. Stops accept `tif` `gtc` or `ioc`; `fok` on a stop is `malformed`.
//! - `add_user` takes `api_key` (hashed here) or `key_hash` (64 hex digits,
//!   the SHA-256 of the key) so that an operator can provision a user without
//!   the key ever reaching the server; `role` defaults to `trader`.
//! - `unknown_op` is answered with HTTP status 400, like `malformed`.
//! - Reports: `client_order_id` is `null` when the order has none, `price` is
//!   `null` for market orders, `stop_price` appears only on stops, `reason`
//!   only on `rejected`/`canceled`, trade fields only on `trade`, `req_id` only
//!   when the session that sent the input is the one being told. `avg_price`
//!   is `null` until something is filled, else `cum_quote / filled` rounded
//!   half away from zero to [`AVG_PRICE_EXTRA_DECIMALS`] more decimals than
//!   the symbol's tick (at most 18), trailing zeros dropped. A place rejected
//!   as `unknown_symbol` has no symbol in the engine: its `symbol` and decimal
//!   fields are `null`.

use engine::{
    units_to_fixed, AssetId, Balance, ClOrdId, Command, CommandKind, Directory, Event, ExecReport,
    ExecType, Fixed, KeyHash, Name, OrderRef, OrderType, Place, Role, Side, Stp, SymbolInfo,
    SymbolSpec, Tif, TxId, UserId, FIXED_SCALE_MAX,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

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
            ErrorCode::Overloaded => 503,
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
}

impl WireError {
    pub fn new(req_id: Option<u64>, code: ErrorCode, message: impl Into<String>) -> WireError {
        WireError {
            req_id,
            code,
            message: message.into(),
        }
    }

    fn malformed(req_id: Option<u64>, message: impl Into<String>) -> WireError {
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

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

type Raw<'a> = Option<&'a RawValue>;

/// Every field any op reads, each kept as raw JSON text borrowed from the
/// input. Unknown fields are skipped; `null` reads as absent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Fields<'a> {
    #[serde(borrow)]
    op: Raw<'a>,
    #[serde(borrow)]
    req_id: Raw<'a>,
    #[serde(borrow)]
    seq: Raw<'a>,
    #[serde(borrow)]
    ts: Raw<'a>,
    #[serde(borrow)]
    api_key: Raw<'a>,
    #[serde(borrow)]
    key_hash: Raw<'a>,
    #[serde(borrow)]
    cancel_on_disconnect: Raw<'a>,
    #[serde(borrow)]
    user: Raw<'a>,
    #[serde(borrow)]
    role: Raw<'a>,
    #[serde(borrow)]
    symbol: Raw<'a>,
    #[serde(borrow)]
    side: Raw<'a>,
    #[serde(borrow, rename = "type")]
    order_type: Raw<'a>,
    #[serde(borrow)]
    price: Raw<'a>,
    #[serde(borrow)]
    qty: Raw<'a>,
    #[serde(borrow)]
    tif: Raw<'a>,
    #[serde(borrow)]
    client_order_id: Raw<'a>,
    #[serde(borrow)]
    post_only: Raw<'a>,
    #[serde(borrow)]
    display_qty: Raw<'a>,
    #[serde(borrow)]
    stop_price: Raw<'a>,
    #[serde(borrow)]
    stp: Raw<'a>,
    #[serde(borrow)]
    order_id: Raw<'a>,
    #[serde(borrow)]
    asset: Raw<'a>,
    #[serde(borrow)]
    scale: Raw<'a>,
    #[serde(borrow)]
    base: Raw<'a>,
    #[serde(borrow)]
    quote: Raw<'a>,
    #[serde(borrow)]
    tick_size: Raw<'a>,
    #[serde(borrow)]
    lot_size: Raw<'a>,
    #[serde(borrow)]
    min_qty: Raw<'a>,
    #[serde(borrow)]
    maker_fee_bps: Raw<'a>,
    #[serde(borrow)]
    taker_fee_bps: Raw<'a>,
    #[serde(borrow)]
    price_band_pct: Raw<'a>,
    #[serde(borrow)]
    amount: Raw<'a>,
    #[serde(borrow)]
    tx_id: Raw<'a>,
    #[serde(borrow)]
    channels: Raw<'a>,
}

/// Decodes one client message (api.md). Never panics; a refused message is a
/// [`WireError`] carrying the `req_id` whenever the text let us read one.
pub fn decode_request(text: &str) -> Result<Request, WireError> {
    let (f, req_id) = decode_fields(text)?;
    let op = decode_op(&f).map_err(|e| WireError { req_id, ..e })?;
    Ok(Request { req_id, op })
}

/// Decodes one line of [`encode_command_json`] back into the command.
pub fn decode_command_json(text: &str) -> Result<Command, WireError> {
    let (f, _) = decode_fields(text)?;
    let bad = |m: String| WireError::malformed(None, m);
    let seq = req("seq", f.seq, p_u64).map_err(bad)?;
    let ts_ns = req("ts", f.ts, p_u64).map_err(bad)?;
    let kind = match decode_op(&f)? {
        Op::Admin(kind) => kind,
        Op::Trader(t) => t.to_command_kind(req("user", f.user, p_u64).map_err(bad)?),
        other => {
            return Err(bad(format!("op `{}` is not a command", other.name())));
        }
    };
    Ok(Command { seq, ts_ns, kind })
}

fn decode_fields(text: &str) -> Result<(Fields<'_>, Option<u64>), WireError> {
    // A struct also deserializes from a JSON array; only objects are messages.
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return Err(WireError::malformed(None, "a message is a JSON object"));
    }
    let f: Fields = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            return Err(WireError::malformed(
                salvage_req_id(text),
                format!("invalid JSON: {e}"),
            ))
        }
    };
    let req_id = match f.req_id {
        None => None,
        Some(r) => match serde_json::from_str::<u64>(r.get()) {
            Ok(v) => Some(v),
            Err(_) => {
                return Err(WireError::malformed(
                    None,
                    format!(
                        "req_id: expected a non-negative integer, got {}",
                        json_kind(r)
                    ),
                ))
            }
        },
    };
    Ok((f, req_id))
}

/// Error path only: the text is JSON but not a message we could read field by
/// field (e.g. a duplicate key); find its `req_id` if it has a usable one.
fn salvage_req_id(text: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get("req_id")?.as_u64()
}

fn decode_op(f: &Fields<'_>) -> Result<Op, WireError> {
    let Some(op_raw) = f.op else {
        return Err(WireError::malformed(None, "missing field `op`"));
    };
    let Some(name) = raw_str(op_raw) else {
        return Err(WireError::malformed(
            None,
            format!("op: expected a string, got {}", json_kind(op_raw)),
        ));
    };
    let op = match &*name {
        "login" => login(f),
        "place" => place(f).map(|p| Op::Trader(TraderOp::Place(p))),
        "cancel" => (|| {
            Ok(Op::Trader(TraderOp::Cancel {
                symbol: req("symbol", f.symbol, p_name)?,
                target: target(f)?,
            }))
        })(),
        "amend" => amend(f),
        "cancel_all" => {
            opt("symbol", f.symbol, p_name).map(|symbol| Op::Trader(TraderOp::CancelAll { symbol }))
        }
        "balances" => opt("user", f.user, p_u64).map(|user| Op::Balances { user }),
        "open_orders" => opt("symbol", f.symbol, p_name).map(|symbol| Op::OpenOrders { symbol }),
        "snapshot" => Ok(Op::Snapshot),
        "fees" => Ok(Op::Fees),
        "subscribe" => channels(f).map(Op::Subscribe),
        "unsubscribe" => channels(f).map(Op::Unsubscribe),
        "add_asset" => (|| {
            Ok(Op::Admin(CommandKind::AddAsset {
                asset: req("asset", f.asset, p_name)?,
                scale: req("scale", f.scale, p_u8)?,
            }))
        })(),
        "add_symbol" => add_symbol(f),
        "add_user" => add_user(f),
        "deposit" | "withdraw" => (|| {
            let user = req("user", f.user, p_u64)?;
            let asset = req("asset", f.asset, p_name)?;
            let amount = req("amount", f.amount, p_decimal)?;
            let tx_id = req("tx_id", f.tx_id, p_tx_id)?;
            Ok(Op::Admin(if &*name == "deposit" {
                CommandKind::Deposit {
                    user,
                    asset,
                    amount,
                    tx_id,
                }
            } else {
                CommandKind::Withdraw {
                    user,
                    asset,
                    amount,
                    tx_id,
                }
            }))
        })(),
        "halt" => {
            req("symbol", f.symbol, p_name).map(|symbol| Op::Admin(CommandKind::Halt { symbol }))
        }
        "resume" => {
            req("symbol", f.symbol, p_name).map(|symbol| Op::Admin(CommandKind::Resume { symbol }))
        }
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(WireError::new(
                None,
                ErrorCode::UnknownOp,
                format!("unknown op {shown:?}"),
            ));
        }
    };
    op.map_err(|m| WireError::malformed(None, m))
}

fn login(f: &Fields<'_>) -> Result<Op, String> {
    let key = req("api_key", f.api_key, p_api_key)?;
    Ok(Op::Login {
        key_hash: KeyHash::of_key(&key),
        cancel_on_disconnect: opt("cancel_on_disconnect", f.cancel_on_disconnect, p_bool)?
            .unwrap_or(false),
    })
}

fn place(f: &Fields<'_>) -> Result<PlaceOrder, String> {
    let symbol = req("symbol", f.symbol, p_name)?;
    let side = req("side", f.side, p_side)?;
    let order_type = req("type", f.order_type, p_order_type)?;
    let tif = opt("tif", f.tif, p_tif)?.unwrap_or(Tif::Gtc);
    let qty = req("qty", f.qty, p_decimal)?;
    let price = opt("price", f.price, p_decimal)?;
    let stop_price = opt("stop_price", f.stop_price, p_decimal)?;
    let display_qty = opt("display_qty", f.display_qty, p_decimal)?;
    let post_only = opt("post_only", f.post_only, p_bool)?.unwrap_or(false);
    let stp = opt("stp", f.stp, p_stp)?.unwrap_or_default();
    let client_order_id = opt("client_order_id", f.client_order_id, p_cl_ord_id)?;
    let p = PlaceOrder {
        symbol,
        side,
        order_type,
        tif,
        price,
        qty,
        stop_price,
        display_qty,
        post_only,
        stp,
        client_order_id,
    };
    p.check()?;
    Ok(p)
}

fn target(f: &Fields<'_>) -> Result<OrderRef, String> {
    let id = opt("order_id", f.order_id, p_u64)?;
    let cl = opt("client_order_id", f.client_order_id, p_cl_ord_id)?;
    match (id, cl) {
        (Some(id), None) => Ok(OrderRef::Id(id)),
        (None, Some(cl)) => Ok(OrderRef::Client(cl)),
        (None, None) => Err("missing field `order_id` or `client_order_id`".into()),
        (Some(_), Some(_)) => Err("give `order_id` or `client_order_id`, not both".into()),
    }
}

fn amend(f: &Fields<'_>) -> Result<Op, String> {
    let symbol = req("symbol", f.symbol, p_name)?;
    let target = target(f)?;
    let price = opt("price", f.price, p_decimal)?;
    let qty = opt("qty", f.qty, p_decimal)?;
    if price.is_none() && qty.is_none() {
        return Err("amend needs `price` or `qty` (or both)".into());
    }
    Ok(Op::Trader(TraderOp::Amend {
        symbol,
        target,
        price,
        qty,
    }))
}

fn add_symbol(f: &Fields<'_>) -> Result<Op, String> {
    Ok(Op::Admin(CommandKind::AddSymbol(SymbolSpec {
        symbol: req("symbol", f.symbol, p_name)?,
        base: req("base", f.base, p_name)?,
        quote: req("quote", f.quote, p_name)?,
        tick_size: req("tick_size", f.tick_size, p_decimal)?,
        lot_size: req("lot_size", f.lot_size, p_decimal)?,
        min_qty: req("min_qty", f.min_qty, p_decimal)?,
        maker_fee_bps: req("maker_fee_bps", f.maker_fee_bps, p_u32)?,
        taker_fee_bps: req("taker_fee_bps", f.taker_fee_bps, p_u32)?,
        price_band_pct: opt("price_band_pct", f.price_band_pct, p_decimal)?,
    })))
}

fn add_user(f: &Fields<'_>) -> Result<Op, String> {
    let user = req("user", f.user, p_u64)?;
    let key_hash = match (f.api_key, f.key_hash) {
        (Some(k), None) => KeyHash::of_key(&p_api_key("api_key", k)?),
        (None, Some(h)) => p_key_hash("key_hash", h)?,
        (None, None) => return Err("missing field `api_key` (or `key_hash`)".into()),
        (Some(_), Some(_)) => return Err("give `api_key` or `key_hash`, not both".into()),
    };
    let role = opt("role", f.role, p_role)?.unwrap_or(Role::Trader);
    Ok(Op::Admin(CommandKind::AddUser {
        user,
        key_hash,
        role,
    }))
}

fn channels(f: &Fields<'_>) -> Result<Vec<Channel>, String> {
    let raw = f.channels.ok_or("missing field `channels`")?;
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
        format!(
            "channels: expected an array of strings, got {}",
            json_kind(raw)
        )
    })?;
    if items.is_empty() {
        return Err("channels: empty list".into());
    }
    if items.len() > CHANNELS_MAX {
        return Err(format!("channels: more than {CHANNELS_MAX}"));
    }
    items
        .iter()
        .map(|item| {
            let s = raw_str(item)
                .ok_or_else(|| format!("channels: expected strings, got {}", json_kind(item)))?;
            Channel::parse(&s).ok_or_else(|| {
                let shown: String = s.chars().take(40).collect();
                format!("channels: unknown channel {shown:?}")
            })
        })
        .collect()
}

// Field readers: each names its field in the message it returns.

fn req<'a, T>(
    name: &'static str,
    raw: Raw<'a>,
    parse: impl Fn(&'static str, &'a RawValue) -> Result<T, String>,
) -> Result<T, String> {
    match raw {
        Some(r) => parse(name, r),
        None => Err(format!("missing field `{name}`")),
    }
}

fn opt<'a, T>(
    name: &'static str,
    raw: Raw<'a>,
    parse: impl Fn(&'static str, &'a RawValue) -> Result<T, String>,
) -> Result<Option<T>, String> {
    raw.map(|r| parse(name, r)).transpose()
}

/// What kind of JSON value `raw` holds, for messages.
fn json_kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The string `raw` holds, borrowed unless it has escapes.
fn raw_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    if let Ok(s) = serde_json::from_str::<&str>(raw.get()) {
        return Some(Cow::Borrowed(s));
    }
    serde_json::from_str::<String>(raw.get())
        .ok()
        .map(Cow::Owned)
}

fn p_str<'a>(name: &'static str, raw: &'a RawValue) -> Result<Cow<'a, str>, String> {
    raw_str(raw).ok_or_else(|| format!("{name}: expected a string, got {}", json_kind(raw)))
}

fn p_name(name: &'static str, raw: &RawValue) -> Result<Name, String> {
    let s = p_str(name, raw)?;
    Name::new(&s).ok_or_else(|| format!("{name}: expected 1 to 16 characters of [A-Za-z0-9._-]"))
}

fn p_cl_ord_id(name: &'static str, raw: &RawValue) -> Result<ClOrdId, String> {
    let s = p_str(name, raw)?;
    ClOrdId::new(&s).ok_or_else(|| format!("{name}: expected 1 to 36 characters of [A-Za-z0-9_-]"))
}

fn p_tx_id(name: &'static str, raw: &RawValue) -> Result<TxId, String> {
    let s = p_str(name, raw)?;
    TxId::new(&s).ok_or_else(|| format!("{name}: expected 1 to 64 printable ASCII characters"))
}

fn p_api_key<'a>(name: &'static str, raw: &'a RawValue) -> Result<Cow<'a, str>, String> {
    let s = p_str(name, raw)?;
    if s.is_empty() || s.len() > API_KEY_BYTES_MAX {
        return Err(format!("{name}: expected 1 to {API_KEY_BYTES_MAX} bytes"));
    }
    Ok(s)
}

fn p_key_hash(name: &'static str, raw: &RawValue) -> Result<KeyHash, String> {
    let s = p_str(name, raw)?;
    parse_hex32(&s)
        .map(KeyHash)
        .ok_or_else(|| format!("{name}: expected the SHA-256 of the key as 64 hex digits"))
}

fn p_u64(name: &'static str, raw: &RawValue) -> Result<u64, String> {
    serde_json::from_str::<u64>(raw.get()).map_err(|_| {
        format!(
            "{name}: expected a non-negative integer, got {}",
            json_kind(raw)
        )
    })
}

fn p_u32(name: &'static str, raw: &RawValue) -> Result<u32, String> {
    let v = p_u64(name, raw)?;
    u32::try_from(v).map_err(|_| format!("{name}: too large"))
}

fn p_u8(name: &'static str, raw: &RawValue) -> Result<u8, String> {
    let v = p_u64(name, raw)?;
    u8::try_from(v).map_err(|_| format!("{name}: too large"))
}

fn p_bool(name: &'static str, raw: &RawValue) -> Result<bool, String> {
    serde_json::from_str::<bool>(raw.get())
        .map_err(|_| format!("{name}: expected true or false, got {}", json_kind(raw)))
}

fn p_decimal(name: &'static str, raw: &RawValue) -> Result<Fixed, String> {
    if !raw.get().starts_with('"') {
        return Err(format!(
            "{name}: decimals are JSON strings (e.g. \"100.5\"), got {}",
            json_kind(raw)
        ));
    }
    let s = p_str(name, raw)?;
    parse_decimal(&s).map_err(|e| format!("{name}: {e}"))
}

fn p_enum<T: Copy>(name: &'static str, raw: &RawValue, table: &[(&str, T)]) -> Result<T, String> {
    let s = p_str(name, raw)?;
    if let Some((_, v)) = table.iter().find(|(k, _)| *k == s) {
        return Ok(*v);
    }
    let allowed: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
    Err(format!("{name}: expected one of {}", allowed.join(", ")))
}

fn p_side(name: &'static str, raw: &RawValue) -> Result<Side, String> {
    p_enum(name, raw, &[("buy", Side::Buy), ("sell", Side::Sell)])
}

fn p_order_type(name: &'static str, raw: &RawValue) -> Result<OrderType, String> {
    p_enum(
        name,
        raw,
        &[
            ("limit", OrderType::Limit),
            ("market", OrderType::Market),
            ("stop_limit", OrderType::StopLimit),
            ("stop_market", OrderType::StopMarket),
        ],
    )
}

fn p_tif(name: &'static str, raw: &RawValue) -> Result<Tif, String> {
    p_enum(
        name,
        raw,
        &[("gtc", Tif::Gtc), ("ioc", Tif::Ioc), ("fok", Tif::Fok)],
    )
}

fn p_stp(name: &'static str, raw: &RawValue) -> Result<Stp, String> {
    p_enum(
        name,
        raw,
        &[
            ("none", Stp::None),
            ("cancel_taker", Stp::CancelTaker),
            ("cancel_maker", Stp::CancelMaker),
            ("cancel_both", Stp::CancelBoth),
        ],
    )
}

fn p_role(name: &'static str, raw: &RawValue) -> Result<Role, String> {
    p_enum(
        name,
        raw,
        &[("trader", Role::Trader), ("admin", Role::Admin)],
    )
}

/// Parses a non-negative decimal string exactly: `digits[.digits]`, no sign,
/// exponent, blank or separator. The value is normalised (trailing zeros
/// dropped) and must fit an `i64` mantissa with at most 18 decimals.
pub fn parse_decimal(s: &str) -> Result<Fixed, &'static str> {
    const NOT_DECIMAL: &str = "expected a decimal string like \"100.5\"";
    let b = s.as_bytes();
    if b.first() == Some(&b'-') {
        return Err("must not be negative");
    }
    if b.len() > DECIMAL_BYTES_MAX {
        return Err("too many digits");
    }
    let mut dot = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {}
            b'.' if dot.is_none() => dot = Some(i),
            _ => return Err(NOT_DECIMAL),
        }
    }
    if b.is_empty() || dot == Some(0) || dot == Some(b.len() - 1) {
        return Err(NOT_DECIMAL);
    }
    let d = Decimal::from_str_exact(s)
        .map_err(|_| "out of range")?
        .normalize();
    let mantissa = i64::try_from(d.mantissa()).map_err(|_| "out of range")?;
    let scale = u8::try_from(d.scale()).map_err(|_| "more than 18 decimals")?;
    if scale > FIXED_SCALE_MAX {
        return Err("more than 18 decimals");
    }
    Ok(Fixed::new(mantissa, scale))
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/// Appends a JSON object field by field to the caller's buffer.
struct Obj<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Obj<'o> {
    fn open(out: &'o mut String) -> Obj<'o> {
        out.push('{');
        Obj { out, first: true }
    }

    /// `key` is a static field name: plain ASCII, nothing to escape.
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// A key taken from data (an asset name): escaped.
    fn key_escaped(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_str(self.out, key);
        self.out.push(':');
    }

    fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        push_json_str(self.out, v);
    }

    fn u64(&mut self, key: &str, v: u64) {
        self.key(key);
        let _ = write!(self.out, "{v}");
    }

    fn bool(&mut self, key: &str, v: bool) {
        self.key(key);
        self.out.push_str(if v { "true" } else { "false" });
    }

    fn null(&mut self, key: &str) {
        self.key(key);
        self.out.push_str("null");
    }

    fn dec(&mut self, key: &str, v: Fixed) {
        self.key(key);
        push_decimal(self.out, v);
    }

    fn opt_dec(&mut self, key: &str, v: Option<Fixed>) {
        match v {
            Some(v) => self.dec(key, v),
            None => self.null(key),
        }
    }

    fn req_id(&mut self, req_id: Option<u64>) {
        if let Some(r) = req_id {
            self.u64("req_id", r);
        }
    }

    /// Starts a nested object under `key`; close it before using `self` again.
    fn nested(&mut self, key: &str) -> Obj<'_> {
        self.key(key);
        Obj::open(self.out)
    }

    fn nested_escaped(&mut self, key: &str) -> Obj<'_> {
        self.key_escaped(key);
        Obj::open(self.out)
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn push_decimal(out: &mut String, v: Fixed) {
    out.push('"');
    let _ = write!(out, "{v}");
    out.push('"');
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

fn asset_name(dir: &Directory, id: AssetId) -> Option<Name> {
    dir.assets().get(id.0 as usize).map(|a| a.name)
}

fn asset_scale(dir: &Directory, id: AssetId) -> u8 {
    dir.assets().get(id.0 as usize).map_or(0, |a| a.scale)
}

/// Appends the JSON of a report (`execution`, `reject`, `cancel_all`,
/// `admin`) exactly as api.md shows it. `req_id` is the requester's, given
/// only when this copy goes to the session that sent the input.
/// [`Event::Level`] is market data: nothing is written for it.
pub fn encode_event(ev: &Event, dir: &Directory, req_id: Option<u64>, out: &mut String) {
    match *ev {
        Event::Execution(ref r) => write_exec(r, dir, req_id, out),
        Event::Reject {
            seq,
            ts_ns,
            user,
            op,
            target,
            reason,
        } => {
            let mut o = Obj::open(out);
            o.str("type", "reject");
            o.req_id(req_id);
            o.str("op", op.as_str());
            o.u64("user", user);
            match target {
                Some(OrderRef::Id(id)) => o.u64("order_id", id),
                Some(OrderRef::Client(c)) => o.str("client_order_id", c.as_str()),
                None => {}
            }
            o.str("reason", reason.as_str());
            o.u64("seq", seq);
            o.u64("ts", ts_ns);
            o.close();
        }
        Event::CancelAll {
            seq,
            ts_ns,
            user,
            canceled,
        } => {
            let mut o = Obj::open(out);
            o.str("type", "cancel_all");
            o.req_id(req_id);
            o.u64("user", user);
            o.u64("canceled", u64::from(canceled));
            o.u64("seq", seq);
            o.u64("ts", ts_ns);
            o.close();
        }
        Event::Admin {
            seq,
            ts_ns,
            op,
            ok,
            reason,
        } => {
            let mut o = Obj::open(out);
            o.str("type", "admin");
            o.req_id(req_id);
            o.str("op", op.as_str());
            o.bool("ok", ok);
            if let Some(r) = reason {
                o.str("reason", r.as_str());
            }
            o.u64("seq", seq);
            o.u64("ts", ts_ns);
            o.close();
        }
        Event::Level { .. } => {}
    }
}

fn write_exec(r: &ExecReport, dir: &Directory, req_id: Option<u64>, out: &mut String) {
    let info: Option<&SymbolInfo> = r.symbol.and_then(|id| dir.symbols().get(id.0 as usize));
    let px = |t| info.map(|i| i.ticks_to_fixed(t));
    let lots = |l| info.map(|i| i.lots_to_fixed(l));
    let mut o = Obj::open(out);
    o.str("type", "execution");
    o.req_id(req_id);
    o.str("exec_type", r.exec_type.as_str());
    o.str("status", r.status.as_str());
    o.u64("order_id", r.order_id);
    match r.client_order_id {
        Some(c) => o.str("client_order_id", c.as_str()),
        None => o.null("client_order_id"),
    }
    o.u64("user", r.user);
    match info {
        Some(i) => o.str("symbol", i.spec.symbol.as_str()),
        None => o.null("symbol"),
    }
    o.str("side", r.side.as_str());
    o.str("order_type", r.order_type.as_str());
    o.str("tif", r.tif.as_str());
    o.opt_dec("price", r.price.and_then(px));
    if let Some(sp) = r.stop_price {
        o.opt_dec("stop_price", px(sp));
    }
    o.opt_dec("qty", lots(r.qty));
    o.opt_dec("filled_qty", lots(r.filled));
    o.opt_dec("remaining_qty", lots(r.remaining));
    o.opt_dec(
        "avg_price",
        info.and_then(|i| avg_price(i, asset_scale(dir, i.quote), r)),
    );
    if matches!(r.exec_type, ExecType::Rejected | ExecType::Canceled) {
        match r.reason {
            Some(reason) => o.str("reason", reason.as_str()),
            None => o.null("reason"),
        }
    }
    if r.exec_type == ExecType::Trade {
        if let Some(fill) = r.fill {
            o.u64("trade_id", fill.trade_id);
            o.opt_dec("last_price", px(fill.price));
            o.opt_dec("last_qty", lots(fill.qty));
            o.dec(
                "fee",
                units_to_fixed(asset_scale(dir, fill.fee_asset), fill.fee),
            );
            match asset_name(dir, fill.fee_asset) {
                Some(n) => o.str("fee_asset", n.as_str()),
                None => o.null("fee_asset"),
            }
            o.str("liquidity", fill.liquidity.as_str());
        }
    }
    o.u64("seq", r.seq);
    o.u64("ts", r.ts_ns);
    o.close();
}

/// `cum_quote / filled`, rounded half away from zero to
/// [`AVG_PRICE_EXTRA_DECIMALS`] more decimals than the tick; `None` before any
/// fill (or for magnitudes no report can reach).
pub(crate) fn avg_price(info: &SymbolInfo, quote_scale: u8, r: &ExecReport) -> Option<Fixed> {
    if r.filled.get() <= 0 {
        return None;
    }
    let quote =
        Decimal::try_from_i128_with_scale(i128::from(r.cum_quote.get()), u32::from(quote_scale))
            .ok()?;
    let base = info.lots_to_fixed(r.filled);
    let base =
        Decimal::try_from_i128_with_scale(i128::from(base.mantissa), u32::from(base.scale)).ok()?;
    let dp =
        (info.spec.tick_size.normalized().scale + AVG_PRICE_EXTRA_DECIMALS).min(FIXED_SCALE_MAX);
    let avg = quote
        .checked_div(base)?
        .round_dp_with_strategy(u32::from(dp), RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Some(Fixed::new(
        i64::try_from(avg.mantissa()).ok()?,
        u8::try_from(avg.scale()).ok()?,
    ))
}

fn write_balance_map(o: &mut Obj<'_>, balances: &[(AssetId, Balance)], dir: &Directory) {
    let mut m = o.nested("balances");
    for (id, b) in balances {
        let Some(name) = asset_name(dir, *id) else {
            continue;
        };
        let scale = asset_scale(dir, *id);
        let mut a = m.nested_escaped(name.as_str());
        a.dec("available", units_to_fixed(scale, b.available));
        a.dec("locked", units_to_fixed(scale, b.locked));
        a.close();
    }
    m.close();
}

/// `{"type":"balances","user":7,"balances":{"USD":{"available":"900","locked":"100.5"}}}`;
/// `user` is written when given (an admin asking about a user).
pub fn encode_balances(
    user: Option<UserId>,
    balances: &[(AssetId, Balance)],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str("type", "balances");
    o.req_id(req_id);
    if let Some(u) = user {
        o.u64("user", u);
    }
    write_balance_map(&mut o, balances, dir);
    o.close();
}

/// `{"type":"open_orders","orders":[...]}`, each order shaped as an
/// `execution` report of its current state (without `req_id`).
pub fn encode_open_orders(
    orders: &[ExecReport],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str("type", "open_orders");
    o.req_id(req_id);
    o.key("orders");
    o.out.push('[');
    for (i, r) in orders.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        write_exec(r, dir, None, o.out);
    }
    o.out.push(']');
    o.close();
}

/// `{"type":"admin","op":"fees","ok":true,"fees":{"USD":"0.35"}}`.
pub fn encode_fees(
    fees: &[(AssetId, engine::Units)],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str("type", "admin");
    o.req_id(req_id);
    o.str("op", "fees");
    o.bool("ok", true);
    let mut m = o.nested("fees");
    for (id, units) in fees {
        if let Some(name) = asset_name(dir, *id) {
            m.key_escaped(name.as_str());
            push_decimal(m.out, units_to_fixed(asset_scale(dir, *id), *units));
        }
    }
    m.close();
    o.close();
}

/// `{"type":"admin","op":"snapshot","ok":true,"seq":N,"state_hash":"<hex>"}`.
pub fn encode_snapshot_ok(seq: u64, state_hash: &[u8; 32], req_id: Option<u64>, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("type", "admin");
    o.req_id(req_id);
    o.str("op", "snapshot");
    o.bool("ok", true);
    o.u64("seq", seq);
    o.key("state_hash");
    o.out.push('"');
    push_hex(o.out, state_hash);
    o.out.push('"');
    o.close();
}

/// `{"type":"error","req_id":7,"code":"malformed","message":"..."}`.
pub fn encode_error(err: &WireError, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("type", "error");
    o.req_id(err.req_id);
    o.str("code", err.code.as_str());
    o.str("message", &err.message);
    o.close();
}

/// `{"type":"login","ok":true,"user":2,"role":"trader"}`.
pub fn encode_login_ok(user: UserId, role: Role, req_id: Option<u64>, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("type", "login");
    o.req_id(req_id);
    o.bool("ok", true);
    o.u64("user", user);
    o.str("role", role.as_str());
    o.close();
}

/// `{"type":"subscribed","channels":[...]}` (or `unsubscribed`).
pub fn encode_subscribed(
    channels: &[Channel],
    subscribed: bool,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str(
        "type",
        if subscribed {
            "subscribed"
        } else {
            "unsubscribed"
        },
    );
    o.req_id(req_id);
    o.key("channels");
    o.out.push('[');
    for (i, c) in channels.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        // Channel names are built from checked names: nothing to escape.
        let _ = write!(o.out, "\"{c}\"");
    }
    o.out.push(']');
    o.close();
}

/// Appends `cmd` as one JSON object (no newline), in the request shape plus
/// `seq`, `ts` and the `user` of trader ops: what `ringex-replay dump` prints
/// and [`decode_command_json`] reads back. `add_user` shows the key's
/// SHA-256 as `key_hash`; no key is ever in a command.
pub fn encode_command_json(cmd: &Command, out: &mut String) {
    let mut o = Obj::open(out);
    o.u64("seq", cmd.seq);
    o.u64("ts", cmd.ts_ns);
    o.str("op", cmd.kind.op_name());
    match cmd.kind {
        CommandKind::Place(ref p) => {
            o.u64("user", p.user);
            o.str("symbol", p.symbol.as_str());
            o.str("side", p.side.as_str());
            o.str("type", p.order_type.as_str());
            o.str("tif", p.tif.as_str());
            if let Some(v) = p.price {
                o.dec("price", v);
            }
            o.dec("qty", p.qty);
            if let Some(v) = p.stop_price {
                o.dec("stop_price", v);
            }
            if let Some(v) = p.display_qty {
                o.dec("display_qty", v);
            }
            o.bool("post_only", p.post_only);
            o.str("stp", p.stp.as_str());
            if let Some(c) = p.client_order_id {
                o.str("client_order_id", c.as_str());
            }
        }
        CommandKind::Cancel {
            user,
            symbol,
            target,
        } => {
            o.u64("user", user);
            o.str("symbol", symbol.as_str());
            write_target(&mut o, target);
        }
        CommandKind::Amend {
            user,
            symbol,
            target,
            price,
            qty,
        } => {
            o.u64("user", user);
            o.str("symbol", symbol.as_str());
            write_target(&mut o, target);
            if let Some(v) = price {
                o.dec("price", v);
            }
            if let Some(v) = qty {
                o.dec("qty", v);
            }
        }
        CommandKind::CancelAll { user, symbol } => {
            o.u64("user", user);
            if let Some(s) = symbol {
                o.str("symbol", s.as_str());
            }
        }
        CommandKind::AddAsset { asset, scale } => {
            o.str("asset", asset.as_str());
            o.u64("scale", u64::from(scale));
        }
        CommandKind::AddSymbol(ref s) => {
            o.str("symbol", s.symbol.as_str());
            o.str("base", s.base.as_str());
            o.str("quote", s.quote.as_str());
            o.dec("tick_size", s.tick_size);
            o.dec("lot_size", s.lot_size);
            o.dec("min_qty", s.min_qty);
            o.u64("maker_fee_bps", u64::from(s.maker_fee_bps));
            o.u64("taker_fee_bps", u64::from(s.taker_fee_bps));
            o.opt_dec("price_band_pct", s.price_band_pct);
        }
        CommandKind::AddUser {
            user,
            key_hash,
            role,
        } => {
            o.u64("user", user);
            o.key("key_hash");
            o.out.push('"');
            push_hex(o.out, &key_hash.0);
            o.out.push('"');
            o.str("role", role.as_str());
        }
        CommandKind::Deposit {
            user,
            asset,
            amount,
            tx_id,
        }
        | CommandKind::Withdraw {
            user,
            asset,
            amount,
            tx_id,
        } => {
            o.u64("user", user);
            o.str("asset", asset.as_str());
            o.dec("amount", amount);
            o.str("tx_id", tx_id.as_str());
        }
        CommandKind::Halt { symbol } | CommandKind::Resume { symbol } => {
            o.str("symbol", symbol.as_str());
        }
    }
    o.close();
}

fn write_target(o: &mut Obj<'_>, target: OrderRef) {
    match target {
        OrderRef::Id(id) => o.u64("order_id", id),
        OrderRef::Client(c) => o.str("client_order_id", c.as_str()),
    }
}

#[cfg(test)]
mod tests;
