//! Market data after a restart: the trade tape, klines and the 24 h ticker
//! rebuilt from the store's trades, so that they are the same as before.
//!
//! What holds:
//! - Per symbol, the trades fed are those of the retention window: every
//!   trade not older than the longest kline retention (1w x 156, see
//!   [`window_ns`]) before `now_ns`, and at least the last
//!   [`TRADES_KEPT`] whatever their age. Those are all the trades the
//!   tape, the klines and the ticker can hold (for a symbol that traded at
//!   least once in each of its last 156 weeks; a sparser one keeps fewer
//!   weekly klines than before the restart).
//! - They are read oldest first, in pages of [`PAGE`] rows by trade id, and
//!   fed to [`MarketData::restore_trades`]: memory holds one page, never the
//!   window.
//!
//! Must never: feed a trade twice or out of order, or read the whole history.

use crate::rows::TradeRow;
use crate::store::{Store, StoreError, Val};
use engine::market_data::{Interval, MarketData, PublicTrade, TRADES_KEPT};
use engine::{Directory, Lots, Side, Ticks};

/// Rows read per query.
pub const PAGE: usize = 10_000;

/// How far back klines reach: the longest of retention x interval length.
pub fn window_ns() -> u64 {
    Interval::ALL
        .iter()
        .map(|iv| iv.retention() as u64 * iv.len_ns())
        .max()
        .unwrap_or(0)
}

/// What a rebuild fed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub symbols: usize,
    pub trades: u64,
}

/// A stored trade as the public tape shows it.
pub fn public_trade(r: &TradeRow) -> PublicTrade {
    PublicTrade {
        trade_id: r.trade_id,
        price: Ticks::new(r.price),
        qty: Lots::new(r.qty),
        taker_side: if r.taker_side == "sell" {
            Side::Sell
        } else {
            Side::Buy
        },
        ts_ns: r.ts,
    }
}

/// The first trade id of `symbol` to feed: the older of the first trade of
/// the window and the [`TRADES_KEPT`]-th newest (`None`: no trade at all).
fn first_id(store: &mut dyn Store, symbol: &str, since_ts: u64) -> Result<Option<u64>, StoreError> {
    let sym = Val::Text(symbol.to_string());
    let newest_kept = store.trades(
        &format!(
            "WHERE symbol = $1 ORDER BY trade_id DESC LIMIT 1 OFFSET {}",
            TRADES_KEPT - 1
        ),
        std::slice::from_ref(&sym),
    )?;
    if newest_kept.is_empty() {
        // Fewer trades than the tape keeps: all of them.
        let first = store.trades("WHERE symbol = $1 ORDER BY trade_id LIMIT 1", &[sym])?;
        return Ok(first.first().map(|r| r.trade_id));
    }
    let in_window = store.trades(
        "WHERE symbol = $1 AND ts >= $2 ORDER BY trade_id LIMIT 1",
        &[sym, Val::Int(since_ts.min(i64::MAX as u64) as i64)],
    )?;
    let a = newest_kept[0].trade_id;
    Ok(Some(in_window.first().map_or(a, |r| r.trade_id.min(a))))
}

/// Feeds every symbol of `dir` its trades of the window before `now_ns`.
pub fn market_data(
    store: &mut dyn Store,
    md: &mut MarketData,
    dir: &Directory,
    now_ns: u64,
) -> Result<Restored, StoreError> {
    let since = now_ns.saturating_sub(window_ns());
    let mut done = Restored::default();
    let mut page = Vec::with_capacity(PAGE);
    for info in dir.symbols() {
        let name = info.spec.symbol.as_str().to_string();
        let Some(mut from) = first_id(store, &name, since)? else {
            continue;
        };
        done.symbols += 1;
        loop {
            let rows = store.trades(
                &format!("WHERE symbol = $1 AND trade_id >= $2 ORDER BY trade_id LIMIT {PAGE}"),
                &[
                    Val::Text(name.clone()),
                    Val::Int(from.min(i64::MAX as u64) as i64),
                ],
            )?;
            page.clear();
            page.extend(rows.iter().map(public_trade));
            done.trades += md.restore_trades(info.id, &page) as u64;
            match rows.last() {
                Some(last) if rows.len() == PAGE => from = last.trade_id + 1,
                _ => break,
            }
        }
    }
    Ok(done)
}
