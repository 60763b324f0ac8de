//! The `itch` flow: a NASDAQ TotalView-ITCH 5.0 file mapped to ringex
//! commands the same way as the `lobster` flow (see [`super::feed`]).
//!
//! What holds: one symbol `<STOCK>-USD` per stock of the file (stock
//! directory order, then first appearance), tick 0.0001 (ITCH prices have 4
//! decimals) and lot 1 share. `A`/`F` add, `E` execute, `C` execute (the IOC
//! is priced at the resting order's price, not the `C` price, so that it
//! meets the order it names), `X` partial cancel, `D` delete, `U` replace,
//! `H` halt (`H`, `P`) or resume (`T`; `Q` is skipped). `P` (trades against
//! hidden orders), `S`, `R` and everything else carry no order-book command.
//! Timestamps are the file's date (the first 8-digit run of its name) plus the
//! message's nanoseconds since midnight.

use super::builder::FlowStats;
use super::feed::FeedMapper;
use super::lobster_csv::days_from_civil;
use crate::flowfile::Flow;
use crate::itch::{read_gz, Body, Reader, Stock};
use engine::Side;
use std::collections::HashMap;
use std::path::Path;

fn day_from_name(path: &Path) -> u64 {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let b = name.as_bytes();
    for i in 0..b.len().saturating_sub(7) {
        let w = &b[i..i + 8];
        if w.iter().all(|c| c.is_ascii_digit()) {
            let n = |r: std::ops::Range<usize>| {
                name[i + r.start..i + r.end].parse::<i64>().unwrap_or(0)
            };
            let days = days_from_civil(n(0..4), n(4..6) as u32, n(6..8) as u32);
            return days.max(0) as u64 * 86_400 * 1_000_000_000;
        }
    }
    0
}

/// Builds the `itch` flow from a gzipped ITCH 5.0 file; `measured_max` truncates it.
pub fn itch_flow(path: &Path, measured_max: Option<u64>) -> Result<(Flow, FlowStats), String> {
    let bytes = read_gz(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let messages: Vec<_> = Reader::new(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;

    // Symbols: directory order, then any stock first seen in an add.
    let mut stocks: Vec<Stock> = Vec::new();
    for m in &messages {
        let s = match m.body {
            Body::StockDirectory { stock } | Body::Add { stock, .. } => stock,
            _ => continue,
        };
        if !stocks.contains(&s) {
            stocks.push(s);
        }
    }
    let names: Vec<&str> = stocks.iter().map(|s| s.as_str()).collect();
    let index: HashMap<Stock, u32> = stocks
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i as u32))
        .collect();
    let day_ns = day_from_name(path);
    let mut f = FeedMapper::new("itch", day_ns, &names, measured_max);

    for m in &messages {
        if f.b.is_full() {
            break;
        }
        f.b.set_time(day_ns + m.ts_ns);
        f.b.stats.note("feed_messages", 1);
        match m.body {
            Body::Add {
                order_ref,
                buy,
                shares,
                stock,
                price,
                ..
            } => {
                let side = if buy { Side::Buy } else { Side::Sell };
                f.add(index[&stock], order_ref, side, price as i64, shares as i64);
            }
            Body::Executed {
                order_ref, shares, ..
            } => f.execute(order_ref, shares as i64),
            Body::ExecutedWithPrice {
                order_ref, shares, ..
            } => {
                f.b.stats.note("executed_with_price", 1);
                f.execute(order_ref, shares as i64);
            }
            Body::Cancel { order_ref, shares } => f.reduce(order_ref, shares as i64),
            Body::Delete { order_ref } => f.delete(order_ref),
            Body::Replace {
                old_ref,
                new_ref,
                shares,
                price,
            } => f.replace(old_ref, new_ref, price as i64, shares as i64),
            Body::TradingAction { stock, state } => match (index.get(&stock), state) {
                (Some(&s), b'H' | b'P') => f.set_halted(s, true),
                (Some(&s), b'T') => f.set_halted(s, false),
                _ => f.b.stats.note("skipped_trading_action", 1),
            },
            Body::Trade { .. } => f.b.stats.note("skipped_hidden_trade", 1),
            _ => f.b.stats.note("skipped_other", 1),
        }
    }
    Ok(f.b.finish())
}
