//! JSON in: client requests ([`decode_request`]) and journal command lines
//! ([`decode_command_json`]); every decoder a plain function over text.

use crate::api::*;
use engine::{
    ClOrdId, Command, CommandKind, Fixed, KeyHash, Name, OrderRef, OrderType, Role, Side, Stp,
    SymbolSpec, Tif, TxId, FIXED_SCALE_MAX,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

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
    #[serde(borrow)]
    limit: Raw<'a>,
    #[serde(borrow)]
    cursor: Raw<'a>,
    #[serde(borrow)]
    after_order_id: Raw<'a>,
    #[serde(borrow)]
    before_order_id: Raw<'a>,
    #[serde(borrow)]
    from_trade_id: Raw<'a>,
    #[serde(borrow)]
    before_trade_id: Raw<'a>,
    #[serde(borrow)]
    after_seq: Raw<'a>,
    #[serde(borrow)]
    from_ts: Raw<'a>,
    #[serde(borrow)]
    to_ts: Raw<'a>,
}

/// Decodes one client message (api.md). Never panics; a refused message is a
/// [`WireError`] carrying the `req_id` whenever the text let us read one.
pub fn decode_request(text: &str) -> Result<Request, WireError> {
    let (f, req_id) = decode_fields(text)?;
    let op = decode_op(&f).map_err(|e| WireError { req_id, ..e })?;
    Ok(Request { req_id, op })
}

/// Decodes a body whose op the caller already knows (an HTTP route): the
/// body's own `op`, if any, is overridden by `op`. Otherwise exactly
/// [`decode_request`].
pub fn decode_request_as(text: &str, op: &str) -> Result<Request, WireError> {
    let (mut f, req_id) = decode_fields(text)?;
    let name = RawValue::from_string(format!("\"{op}\""))
        .map_err(|e| WireError::malformed(req_id, format!("op: {e}")))?;
    f.op = Some(&name);
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
    if let Some(op) = paged(&name, f) {
        return op;
    }
    let op =
        match &*name {
            "login" => login(f),
            "place" => place(f).map(|p| Op::Trader(TraderOp::Place(p))),
            "cancel" => (|| {
                Ok(Op::Trader(TraderOp::Cancel {
                    symbol: req("symbol", f.symbol, p_name)?,
                    target: target(f)?,
                }))
            })(),
            "amend" => amend(f),
            "cancel_all" => opt("symbol", f.symbol, p_name)
                .map(|symbol| Op::Trader(TraderOp::CancelAll { symbol })),
            "balances" => opt("user", f.user, p_u64).map(|user| Op::Balances { user }),
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
            "halt" => req("symbol", f.symbol, p_name)
                .map(|symbol| Op::Admin(CommandKind::Halt { symbol })),
            "resume" => req("symbol", f.symbol, p_name)
                .map(|symbol| Op::Admin(CommandKind::Resume { symbol })),
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

// ---------------------------------------------------------------------------
// Paginated queries: open orders and the history store's
// ---------------------------------------------------------------------------

/// The paginated ops (`open_orders` and the history queries), whose bad
/// limits, cursors and ranges have codes of their own; `None` for any other op.
fn paged(name: &str, f: &Fields<'_>) -> Option<Result<Op, WireError>> {
    Some(match name {
        "open_orders" => (|| {
            Ok(Op::OpenOrders {
                symbol: symbol(f)?,
                after_order_id: cursor(f, "after_order_id", f.after_order_id)?,
                limit: limit(f, OPEN_ORDERS_LIMIT_MAX)?,
            })
        })(),
        "order" => (|| {
            let key = match (f.order_id, f.client_order_id) {
                (Some(_), Some(_)) => {
                    return Err(WireError::malformed(
                        None,
                        "give order_id or client_order_id, not both",
                    ))
                }
                (Some(r), None) => {
                    OrderLookup::Id(int_text(r).and_then(|t| digits(&t)).ok_or_else(|| {
                        WireError::malformed(
                            None,
                            format!(
                                "order_id: expected a non-negative integer, got {}",
                                json_kind(r)
                            ),
                        )
                    })?)
                }
                (None, Some(r)) => OrderLookup::Client(
                    p_cl_ord_id("client_order_id", r).map_err(|e| WireError::malformed(None, e))?,
                ),
                (None, None) => {
                    return Err(WireError::malformed(
                        None,
                        "missing field `order_id` or `client_order_id`",
                    ))
                }
            };
            Ok(Op::History(HistoryQuery::Order { key }))
        })(),
        "order_history" => (|| {
            let from_ts = ts("from_ts", f.from_ts)?;
            let to_ts = ts("to_ts", f.to_ts)?;
            if let (Some(a), Some(b)) = (from_ts, to_ts) {
                if a > b {
                    return Err(WireError::new(
                        None,
                        ErrorCode::InvalidRange,
                        format!("from_ts ({a}) is after to_ts ({b})"),
                    ));
                }
            }
            Ok(Op::History(HistoryQuery::OrderHistory {
                symbol: symbol(f)?,
                from_ts,
                to_ts,
                before_order_id: cursor(f, "before_order_id", f.before_order_id)?,
                limit: limit(f, HISTORY_LIMIT_MAX)?,
            }))
        })(),
        "my_trades" => (|| {
            Ok(Op::History(HistoryQuery::MyTrades {
                symbol: symbol(f)?,
                from_trade_id: cursor(f, "from_trade_id", f.from_trade_id)?,
                limit: limit(f, HISTORY_LIMIT_MAX)?,
            }))
        })(),
        "transfers" => (|| {
            Ok(Op::History(HistoryQuery::Transfers {
                after_seq: cursor(f, "after_seq", f.after_seq)?,
                limit: limit(f, HISTORY_LIMIT_MAX)?,
            }))
        })(),
        "executions" => (|| {
            let Some(symbol) = symbol(f)? else {
                return Err(WireError::malformed(None, "missing field `symbol`"));
            };
            Ok(Op::History(HistoryQuery::Executions {
                symbol,
                before_trade_id: cursor(f, "before_trade_id", f.before_trade_id)?,
                limit: limit(f, HISTORY_LIMIT_MAX)?,
            }))
        })(),
        _ => return None,
    })
}

fn symbol(f: &Fields<'_>) -> Result<Option<Name>, WireError> {
    opt("symbol", f.symbol, p_name).map_err(|e| WireError::malformed(None, e))
}

/// The text of an integer sent as a JSON number or as a string (HTTP query
/// parameters arrive as text); `None` for any other JSON value.
fn int_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    match raw.get().as_bytes().first() {
        Some(b'"') => raw_str(raw),
        Some(b'0'..=b'9' | b'-') => Some(Cow::Borrowed(raw.get())),
        _ => None,
    }
}

/// Plain decimal digits (no sign, blank or exponent) that fit an `i64`.
fn digits(t: &str) -> Option<u64> {
    if t.is_empty() || t.len() > 19 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u64>().ok().filter(|&v| v <= i64::MAX as u64)
}

/// `limit`: 1 to `max`; anything else is `invalid_limit`, never clamped.
fn limit(f: &Fields<'_>, max: u32) -> Result<Option<u32>, WireError> {
    let Some(raw) = f.limit else { return Ok(None) };
    let text = int_text(raw);
    match text.as_deref().and_then(digits) {
        Some(n) if (1..=max as u64).contains(&n) => Ok(Some(n as u32)),
        _ => Err(WireError::new(
            None,
            ErrorCode::InvalidLimit,
            format!(
                "limit must be an integer 1 to {max}, got {}",
                text.map(|t| format!("{:?}", t.chars().take(40).collect::<String>()))
                    .unwrap_or_else(|| json_kind(raw).to_string())
            ),
        )),
    }
}

/// A page cursor: the op's own field `name` or its alias `cursor` (not
/// both), an id 1 to 2^63-1; anything else is `invalid_cursor`.
fn cursor(f: &Fields<'_>, name: &'static str, own: Raw<'_>) -> Result<Option<u64>, WireError> {
    let raw = match (own, f.cursor) {
        (Some(_), Some(_)) => {
            return Err(WireError::malformed(
                None,
                format!("give {name} or cursor, not both"),
            ))
        }
        (Some(r), None) | (None, Some(r)) => r,
        (None, None) => return Ok(None),
    };
    let text = int_text(raw);
    match text.as_deref().and_then(digits) {
        Some(n) if n >= 1 => Ok(Some(n)),
        _ => Err(WireError::new(
            None,
            ErrorCode::InvalidCursor,
            format!(
                "{name}: malformed cursor {}: expected an id 1 to 2^63-1",
                text.map(|t| format!("{:?}", t.chars().take(40).collect::<String>()))
                    .unwrap_or_else(|| json_kind(raw).to_string())
            ),
        )),
    }
}

/// A timestamp bound (ns since the epoch).
fn ts(name: &'static str, raw: Raw<'_>) -> Result<Option<u64>, WireError> {
    let Some(raw) = raw else { return Ok(None) };
    int_text(raw)
        .as_deref()
        .and_then(digits)
        .map(Some)
        .ok_or_else(|| {
            WireError::malformed(
                None,
                format!(
                    "{name}: expected nanoseconds since the epoch, got {}",
                    json_kind(raw)
                ),
            )
        })
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
