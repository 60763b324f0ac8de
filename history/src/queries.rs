//! The questions the history answers, each a user's own data unless asked
//! by the admin.
//!
//! What holds:
//! - Every query names whose data it is ([`Caller`]); a trader's query has
//!   `user_id = caller` in its SQL, so another user's rows cannot come back,
//!   and another user's order answers exactly like an unknown one
//!   ([`QueryError::UnknownOrder`]).
//! - `limit` is 1 to [`LIMIT_MAX`]; anything else is [`QueryError::BadLimit`],
//!   never silently clamped. Cursors are ids (`before_order_id`,
//!   `from_trade_id`, `before_trade_id`, `after_seq`); [`parse_id`] turns
//!   the text a client sent into one or answers [`QueryError::BadCursor`].
//! - Pages are stable: ordered by a unique key, a cursor continues exactly
//!   after the last row of the previous page.

use crate::rows::*;
use crate::store::{Store, StoreError, Val};
use engine::{ClOrdId, Name, UserId};
use std::fmt;

pub const LIMIT_MAX: u32 = 1_000;

/// Who asks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    User(UserId),
    /// Sees every user's data.
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// No such order, or not the caller's (the same answer for both).
    UnknownOrder,
    BadLimit(String),
    BadCursor(String),
    BadSymbol(String),
    /// `from_ts` after `to_ts`.
    BadRange,
    Store(StoreError),
}

impl QueryError {
    /// The reason code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::UnknownOrder => "unknown_order",
            QueryError::BadLimit(_) => "invalid_limit",
            QueryError::BadCursor(_) => "invalid_cursor",
            QueryError::BadSymbol(_) => "unknown_symbol",
            QueryError::BadRange => "invalid_range",
            QueryError::Store(_) => "history_unavailable",
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::UnknownOrder => f.write_str("unknown order"),
            QueryError::BadLimit(s) => {
                write!(f, "limit must be 1 to {LIMIT_MAX}, got {s:?}")
            }
            QueryError::BadCursor(s) => write!(f, "malformed cursor {s:?}: expected a positive id"),
            QueryError::BadSymbol(s) => write!(f, "malformed symbol {s:?}"),
            QueryError::BadRange => f.write_str("from_ts is after to_ts"),
            QueryError::Store(e) => write!(f, "history store unavailable: {e}"),
        }
    }
}

impl std::error::Error for QueryError {}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        QueryError::Store(e)
    }
}

pub type QResult<T> = std::result::Result<T, QueryError>;

/// `limit` from what a client sent (`None`: the default, 100).
pub fn parse_limit(s: Option<&str>) -> QResult<u32> {
    let Some(s) = s else { return Ok(100) };
    match s.parse::<u64>() {
        Ok(n) => check_limit(n),
        Err(_) => Err(QueryError::BadLimit(s.to_string())),
    }
}

pub fn check_limit(n: u64) -> QResult<u32> {
    if (1..=LIMIT_MAX as u64).contains(&n) {
        Ok(n as u32)
    } else {
        Err(QueryError::BadLimit(n.to_string()))
    }
}

/// A cursor or id from what a client sent: a decimal integer 1..2^63.
pub fn parse_id(s: &str) -> QResult<u64> {
    match s.parse::<u64>() {
        Ok(n) if n >= 1 && n <= i64::MAX as u64 && !s.starts_with('+') => Ok(n),
        _ => Err(QueryError::BadCursor(s.to_string())),
    }
}

pub fn parse_symbol(s: &str) -> QResult<Name> {
    Name::new(s).ok_or_else(|| QueryError::BadSymbol(s.to_string()))
}

fn id(v: u64) -> QResult<Val> {
    i64::try_from(v)
        .map(Val::Int)
        .map_err(|_| QueryError::BadCursor(v.to_string()))
}

/// Which order.
#[derive(Copy, Clone, Debug)]
pub enum OrderKey {
    Id(u64),
    Client(ClOrdId),
}

/// SQL for "whose", appended to a WHERE clause; binds `$n` when a user.
fn owner(caller: Caller, col: &str, n: usize, args: &mut Vec<Val>) -> String {
    match caller {
        Caller::User(u) => {
            args.push(Val::Int(u as i64));
            format!(" AND {col} = ${n}")
        }
        Caller::Admin => String::new(),
    }
}

/// One order in any state the store knows. By `client_order_id`, the
/// caller's newest order with it (an admin must ask by id).
pub fn order(store: &mut dyn Store, caller: Caller, key: OrderKey) -> QResult<OrderRow> {
    let mut args = Vec::new();
    let tail = match key {
        OrderKey::Id(n) => {
            args.push(id(n).map_err(|_| QueryError::UnknownOrder)?);
            format!(
                "WHERE order_id = $1{}",
                owner(caller, "user_id", 2, &mut args)
            )
        }
        OrderKey::Client(c) => {
            let Caller::User(_) = caller else {
                return Err(QueryError::UnknownOrder);
            };
            args.push(Val::Text(c.as_str().to_string()));
            format!(
                "WHERE client_order_id = $1{} ORDER BY order_id DESC LIMIT 1",
                owner(caller, "user_id", 2, &mut args)
            )
        }
    };
    store
        .orders(&tail, &args)?
        .into_iter()
        .next()
        .ok_or(QueryError::UnknownOrder)
}

/// Filters of `order_history`.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    pub symbol: Option<Name>,
    /// Bounds (inclusive, ns) on when the order closed (`updated_ts`).
    pub from_ts: Option<u64>,
    pub to_ts: Option<u64>,
    /// Cursor: orders with a smaller id (the last id of the previous page).
    pub before_order_id: Option<u64>,
}

/// The caller's closed orders (filled, canceled, rejected), newest first
/// (by order id), at most `limit`.
pub fn order_history(
    store: &mut dyn Store,
    caller: Caller,
    f: &HistoryFilter,
    limit: u64,
) -> QResult<Vec<OrderRow>> {
    let limit = check_limit(limit)?;
    if let (Some(a), Some(b)) = (f.from_ts, f.to_ts) {
        if a > b {
            return Err(QueryError::BadRange);
        }
    }
    let mut args = Vec::new();
    let mut tail = String::from("WHERE status IN ('filled', 'canceled', 'rejected')");
    tail += &owner(caller, "user_id", 1, &mut args);
    let mut n = args.len();
    let mut more = |col: &str, op: &str, v: Val, args: &mut Vec<Val>, tail: &mut String| {
        n += 1;
        args.push(v);
        *tail += &format!(" AND {col} {op} ${n}");
    };
    if let Some(s) = f.symbol {
        more(
            "symbol",
            "=",
            Val::Text(s.as_str().into()),
            &mut args,
            &mut tail,
        );
    }
    if let Some(t) = f.from_ts {
        more("updated_ts", ">=", id(t)?, &mut args, &mut tail);
    }
    if let Some(t) = f.to_ts {
        more("updated_ts", "<=", id(t)?, &mut args, &mut tail);
    }
    if let Some(c) = f.before_order_id {
        more("order_id", "<", id(c)?, &mut args, &mut tail);
    }
    tail += &format!(" ORDER BY order_id DESC LIMIT {limit}");
    Ok(store.orders(&tail, &args)?)
}

/// The caller's fills (as maker or taker), oldest first from trade id
/// `from_trade_id` (inclusive), at most `limit`.
pub fn my_trades(
    store: &mut dyn Store,
    caller: Caller,
    symbol: Option<Name>,
    from_trade_id: Option<u64>,
    limit: u64,
) -> QResult<Vec<TradeRow>> {
    let limit = check_limit(limit)?;
    let mut args = vec![id(from_trade_id.unwrap_or(1))?];
    let mut tail = String::from("WHERE trade_id >= $1");
    if let Caller::User(u) = caller {
        args.push(Val::Int(u as i64));
        tail += " AND (maker_user_id = $2 OR taker_user_id = $2)";
    }
    if let Some(s) = symbol {
        args.push(Val::Text(s.as_str().into()));
        tail += &format!(" AND symbol = ${}", args.len());
    }
    tail += &format!(" ORDER BY trade_id LIMIT {limit}");
    Ok(store.trades(&tail, &args)?)
}

/// The caller's accepted deposits and withdrawals, oldest first after
/// input seq `after_seq`, at most `limit`.
pub fn transfers(
    store: &mut dyn Store,
    caller: Caller,
    after_seq: Option<u64>,
    limit: u64,
) -> QResult<Vec<TransferRow>> {
    let limit = check_limit(limit)?;
    let mut args = vec![Val::Int(after_seq.map(|s| s as i64).unwrap_or(0))];
    let mut tail = String::from("WHERE seq > $1");
    tail += &owner(caller, "user_id", 2, &mut args);
    tail += &format!(" ORDER BY seq LIMIT {limit}");
    Ok(store.transfers(&tail, &args)?)
}

/// Public trades of `symbol`, newest first, before trade id
/// `before_trade_id` (exclusive; `None`: the newest), at most `limit`.
pub fn executions(
    store: &mut dyn Store,
    symbol: Name,
    before_trade_id: Option<u64>,
    limit: u64,
) -> QResult<Vec<TradeRow>> {
    let limit = check_limit(limit)?;
    let mut args = vec![Val::Text(symbol.as_str().into())];
    let mut tail = String::from("WHERE symbol = $1");
    if let Some(b) = before_trade_id {
        args.push(id(b)?);
        tail += " AND trade_id < $2";
    }
    tail += &format!(" ORDER BY trade_id DESC LIMIT {limit}");
    Ok(store.trades(&tail, &args)?)
}
