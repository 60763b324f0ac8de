//! What every backend offers, and how rows are bound and read back.
//!
//! What holds: [`Store::apply`] writes one [`Batch`] in one transaction
//! together with `progress` (the larger of the stored one and the batch's
//! `last_seq`), so a crash leaves either all of a batch or none of it, and a
//! batch applied twice (or overlapping what is stored) changes nothing:
//! orders are upserts that never go back in time (`updated_seq`), trades,
//! transfers, assets and symbols are inserted once by their key.
//!
//! Must never: write into a store whose schema is newer than this build.

use crate::projection::Batch;
use crate::rows::*;
use crate::schema::{ASSET_COLS, ORDER_COLS, SYMBOL_COLS, TRADE_COLS, TRANSFER_COLS};
use engine::{ClOrdId, Fixed, Name, Seq, TxId};
use std::fmt;

/// A failed store operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub msg: String,
    /// Worth retrying (the database is down or refused the write), as
    /// opposed to a store this build cannot use.
    pub transient: bool,
}

impl StoreError {
    pub fn fatal(msg: impl Into<String>) -> StoreError {
        StoreError {
            msg: msg.into(),
            transient: false,
        }
    }
    pub fn transient(msg: impl Into<String>) -> StoreError {
        StoreError {
            msg: msg.into(),
            transient: true,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for StoreError {}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A query argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i64),
    Text(String),
}

/// A history store.
pub trait Store: Send {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The last input seq whose rows are all stored (0: none).
    fn progress(&mut self) -> Result<Seq>;
    /// Writes a batch and `progress` in one transaction.
    fn apply(&mut self, batch: &Batch) -> Result<()>;
    /// Runs `sql` with `$1`, `$2`, … bound to `args` (numbered in order of
    /// first use) and hands each result row to `row`, in order.
    fn each_row(
        &mut self,
        sql: &str,
        args: &[Val],
        row: &mut dyn FnMut(&dyn Get) -> Result<()>,
    ) -> Result<()>;

    /// Orders matching `tail` (`WHERE …` / `ORDER BY …` / `LIMIT …`).
    fn orders(&mut self, tail: &str, args: &[Val]) -> Result<Vec<OrderRow>> {
        select(
            self,
            &format!("SELECT {ORDER_COLS} FROM orders {tail}"),
            args,
            order_from,
        )
    }
    fn trades(&mut self, tail: &str, args: &[Val]) -> Result<Vec<TradeRow>> {
        select(
            self,
            &format!("SELECT {TRADE_COLS} FROM trades {tail}"),
            args,
            trade_from,
        )
    }
    fn transfers(&mut self, tail: &str, args: &[Val]) -> Result<Vec<TransferRow>> {
        let sql = format!("SELECT {TRANSFER_COLS} FROM transfers {tail}");
        select(self, &sql, args, transfer_from)
    }
    fn assets(&mut self) -> Result<Vec<AssetRow>> {
        let sql = format!("SELECT {ASSET_COLS} FROM assets ORDER BY asset_id");
        select(self, &sql, &[], asset_from)
    }
    fn symbols(&mut self) -> Result<Vec<SymbolRow>> {
        let sql = format!("SELECT {SYMBOL_COLS} FROM symbols ORDER BY symbol_id");
        select(self, &sql, &[], symbol_from)
    }

    /// Everything stored, each kind sorted by its key.
    fn rows(&mut self) -> Result<Rows> {
        let mut r = Rows {
            orders: self.orders("ORDER BY order_id", &[])?,
            trades: self.trades("ORDER BY trade_id", &[])?,
            transfers: self.transfers("ORDER BY seq", &[])?,
            assets: self.assets()?,
            symbols: self.symbols()?,
        };
        r.sort();
        Ok(r)
    }
}

/// Opens (creating and migrating) the store `url` names: `postgres://…` or
/// `postgresql://…` for PostgreSQL, `sqlite:PATH` or a plain path for SQLite.
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            return Ok(Box::new(crate::postgres::PgStore::open(url)?));
        }
        #[cfg(not(feature = "postgres"))]
        return Err(StoreError::fatal(
            "this build has no PostgreSQL support (feature `postgres`)",
        ));
    }
    let path = url.strip_prefix("sqlite:").unwrap_or(url);
    Ok(Box::new(crate::sqlite::SqliteStore::open(path)?))
}

/// Like [`open`], but a PostgreSQL store connects (and migrates) on its
/// first use rather than here: a server starts while its database is down,
/// and its writer retries until it is back.
pub fn open_lazy(url: &str) -> Result<Box<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            return Ok(Box::new(crate::postgres::PgStore::lazy(url)));
        }
    }
    open(url)
}

/// Every row `sql` gives, each decoded by `f`.
fn select<T, S: Store + ?Sized>(
    store: &mut S,
    sql: &str,
    args: &[Val],
    f: fn(&dyn Get) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    store.each_row(sql, args, &mut |r| {
        out.push(f(r)?);
        Ok(())
    })?;
    Ok(out)
}

/// Reads one column of a result row, whatever the backend.
pub trait Get {
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<Option<String>>;
    fn boolean(&self, i: usize) -> Result<bool>;
}

fn bad(what: &str, v: impl fmt::Debug) -> StoreError {
    StoreError::fatal(format!("unexpected {what} in the store: {v:?}"))
}

fn int(g: &dyn Get, i: usize) -> Result<i64> {
    g.int(i)?.ok_or_else(|| bad("NULL", i))
}
fn uint(g: &dyn Get, i: usize) -> Result<u64> {
    let v = int(g, i)?;
    u64::try_from(v).map_err(|_| bad("negative id", v))
}
fn text(g: &dyn Get, i: usize) -> Result<String> {
    g.text(i)?.ok_or_else(|| bad("NULL", i))
}
fn word_at(g: &dyn Get, i: usize) -> Result<&'static str> {
    let t = text(g, i)?;
    word(&t).ok_or_else(|| bad("word", t))
}
fn name_at(g: &dyn Get, i: usize) -> Result<Name> {
    let t = text(g, i)?;
    if t.is_empty() {
        return Ok(Name::default());
    }
    Name::new(&t).ok_or_else(|| bad("name", t))
}
fn fixed_at(g: &dyn Get, i: usize) -> Result<Fixed> {
    let t = text(g, i)?;
    parse_fixed(&t).ok_or_else(|| bad("decimal", t))
}

/// `12.34` -> `Fixed(1234, 2)`.
pub fn parse_fixed(s: &str) -> Option<Fixed> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = u8::try_from(frac.len()).ok()?;
    let m: i64 = format!("{int}{frac}").parse().ok()?;
    Some(Fixed::new(if neg { -m } else { m }, scale))
}

pub(crate) fn order_from(g: &dyn Get) -> Result<OrderRow> {
    Ok(OrderRow {
        order_id: uint(g, 0)?,
        user: uint(g, 1)?,
        symbol: name_at(g, 2)?,
        side: word_at(g, 3)?,
        order_type: word_at(g, 4)?,
        tif: word_at(g, 5)?,
        price: g.int(6)?,
        stop_price: g.int(7)?,
        qty: int(g, 8)?,
        display_qty: g.int(9)?,
        filled_qty: int(g, 10)?,
        quote_filled: int(g, 11)?,
        status: word_at(g, 12)?,
        reason: match g.text(13)? {
            Some(t) => Some(word(&t).ok_or_else(|| bad("reason", t))?),
            None => None,
        },
        client_order_id: match g.text(14)? {
            Some(t) => Some(ClOrdId::new(&t).ok_or_else(|| bad("client_order_id", t))?),
            None => None,
        },
        post_only: g.boolean(15)?,
        stp: word_at(g, 16)?,
        created_seq: uint(g, 17)?,
        created_ts: uint(g, 18)?,
        updated_seq: uint(g, 19)?,
        updated_ts: uint(g, 20)?,
    })
}

pub(crate) fn trade_from(g: &dyn Get) -> Result<TradeRow> {
    Ok(TradeRow {
        trade_id: uint(g, 0)?,
        symbol: name_at(g, 1)?,
        price: int(g, 2)?,
        qty: int(g, 3)?,
        taker_side: word_at(g, 4)?,
        maker_order_id: uint(g, 5)?,
        maker_user: uint(g, 6)?,
        taker_order_id: uint(g, 7)?,
        taker_user: uint(g, 8)?,
        maker_fee: int(g, 9)?,
        maker_fee_asset: name_at(g, 10)?,
        taker_fee: int(g, 11)?,
        taker_fee_asset: name_at(g, 12)?,
        base_amount: int(g, 13)?,
        quote_amount: int(g, 14)?,
        seq: uint(g, 15)?,
        ts: uint(g, 16)?,
    })
}

pub(crate) fn transfer_from(g: &dyn Get) -> Result<TransferRow> {
    let t = text(g, 0)?;
    Ok(TransferRow {
        tx_id: TxId::new(&t).ok_or_else(|| bad("tx_id", t))?,
        user: uint(g, 1)?,
        asset: name_at(g, 2)?,
        amount: int(g, 3)?,
        kind: word_at(g, 4)?,
        seq: uint(g, 5)?,
        ts: uint(g, 6)?,
    })
}

pub(crate) fn asset_from(g: &dyn Get) -> Result<AssetRow> {
    Ok(AssetRow {
        asset_id: u16::try_from(int(g, 0)?).map_err(|e| bad("asset_id", e))?,
        name: name_at(g, 1)?,
        scale: u8::try_from(int(g, 2)?).map_err(|e| bad("scale", e))?,
        seq: uint(g, 3)?,
    })
}

pub(crate) fn symbol_from(g: &dyn Get) -> Result<SymbolRow> {
    Ok(SymbolRow {
        symbol_id: u32::try_from(int(g, 0)?).map_err(|e| bad("symbol_id", e))?,
        name: name_at(g, 1)?,
        base: name_at(g, 2)?,
        quote: name_at(g, 3)?,
        tick_size: fixed_at(g, 4)?,
        lot_size: fixed_at(g, 5)?,
        base_per_lot: int(g, 6)?,
        quote_per_tick_lot: int(g, 7)?,
        maker_fee_bps: u32::try_from(int(g, 8)?).map_err(|e| bad("fee bps", e))?,
        taker_fee_bps: u32::try_from(int(g, 9)?).map_err(|e| bad("fee bps", e))?,
        seq: uint(g, 10)?,
    })
}

/// `v` as a BIGINT (ids and timestamps fit: the engine's stay below 2^63).
#[inline]
pub(crate) fn i(v: u64) -> i64 {
    v as i64
}

/// A name as stored: empty for none (a place rejected for an unknown symbol
/// still names what it asked for).
#[inline]
pub(crate) fn name_str(n: &Name) -> &str {
    n.as_str()
}
