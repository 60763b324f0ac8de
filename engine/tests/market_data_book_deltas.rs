//! Book deltas: the levels one command changes are coalesced into one
//! message per symbol (last value wins, a level back where it started is
//! left out, no message and no `seq` when nothing changed in the end), in
//! symbol order, best first; stale commands and unknown symbols change
//! nothing; the order of a command's updates is trades, book, klines, ticker.
mod common;
mod market_data_support;

use common::*;
use engine::market_data::*;
use engine::*;
use market_data_support::*;

/// Market data for two symbols added straight from a directory.
fn md2() -> (MarketData, SymbolId, SymbolId) {
    let mut d = Directory::default();
    d.add_asset(name("BTC"), 8, 10).unwrap();
    d.add_asset(name("USD"), 6, 10).unwrap();
    let a = d.add_symbol(spec("BTC-USD"), 10).unwrap();
    let b = d.add_symbol(spec("ETH-USD"), 10).unwrap();
    let mut md = MarketData::new();
    md.sync_symbols(&d);
    assert!(!md.add_symbol(d.symbol(a)), "added once");
    (md, a, b)
}

fn lvl(symbol: SymbolId, side: Side, price: i64, qty: i64) -> Event {
    Event::Level {
        symbol,
        side,
        price: Ticks::new(price),
        qty: Lots::new(qty),
    }
}

fn deltas(out: &[MdUpdate]) -> Vec<BookDelta> {
    out.iter()
        .filter_map(|u| match u {
            MdUpdate::Book(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

fn l(v: &[(i64, i64)]) -> Vec<(Ticks, Lots)> {
    v.iter()
        .map(|&(p, q)| (Ticks::new(p), Lots::new(q)))
        .collect()
}

#[test]
fn one_coalesced_delta_per_symbol_and_command() {
    let (mut md, a, b) = md2();
    let mut out = Vec::new();
    md.apply(
        1,
        &[
            lvl(b, Side::Sell, 105, 1),
            lvl(a, Side::Buy, 100, 5),
            lvl(a, Side::Buy, 100, 0),
            lvl(a, Side::Buy, 100, 7), // gone and back: final value
            lvl(a, Side::Buy, 101, 2),
            lvl(a, Side::Sell, 103, 4),
            lvl(a, Side::Sell, 102, 1),
            lvl(a, Side::Sell, 104, 9),
            lvl(a, Side::Sell, 104, 0), // appeared and went: left out
        ],
        &mut out,
    )
    .unwrap();
    let d = deltas(&out);
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].symbol, d[0].seq, d[0].prev_seq), (a, 1, 0));
    assert_eq!(d[0].bids, l(&[(101, 2), (100, 7)]));
    assert_eq!(d[0].asks, l(&[(102, 1), (103, 4)]));
    assert_eq!((d[1].symbol, d[1].seq, d[1].prev_seq), (b, 1, 0));
    assert_eq!(
        (d[1].bids.clone(), d[1].asks.clone()),
        (l(&[]), l(&[(105, 1)]))
    );

    // Back where it started: no message, no seq used.
    out.clear();
    md.apply(
        2,
        &[lvl(a, Side::Buy, 100, 0), lvl(a, Side::Buy, 100, 7)],
        &mut out,
    )
    .unwrap();
    assert!(deltas(&out).is_empty());
    assert_eq!(md.book_snapshot(a, 10).unwrap().seq, 1);

    // One level changed among unchanged ones.
    out.clear();
    md.apply(
        3,
        &[
            lvl(a, Side::Buy, 100, 3),
            lvl(a, Side::Buy, 101, 6),
            lvl(a, Side::Buy, 100, 7),
            lvl(a, Side::Sell, 102, 0),
        ],
        &mut out,
    )
    .unwrap();
    let d = deltas(&out);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].seq, d[0].prev_seq), (2, 1));
    assert_eq!(
        (d[0].bids.clone(), d[0].asks.clone()),
        (l(&[(101, 6)]), l(&[(102, 0)]))
    );
    let s = md.book_snapshot(a, 1).unwrap();
    assert_eq!((s.seq, s.bids, s.asks), (2, l(&[(101, 6)]), l(&[(103, 4)])));
    md.check_invariants().unwrap();
}

#[test]
fn stale_commands_and_unknown_symbols_change_nothing() {
    let (mut md, a, _) = md2();
    let mut out = Vec::new();
    md.apply(5, &[lvl(a, Side::Buy, 100, 5)], &mut out).unwrap();
    out.clear();
    assert_eq!(
        md.apply(5, &[lvl(a, Side::Buy, 100, 9)], &mut out),
        Err(MdError::Stale {
            seq: 5,
            last_seq: 5
        })
    );
    assert_eq!(
        md.apply(4, &[lvl(a, Side::Buy, 100, 9)], &mut out),
        Err(MdError::Stale {
            seq: 4,
            last_seq: 5
        })
    );
    assert!(out.is_empty());
    assert_eq!(md.book_snapshot(a, 5).unwrap().bids, l(&[(100, 5)]));
    // Gaps are fine: commands without market data need not be fed.
    md.apply(9, &[lvl(SymbolId(7), Side::Buy, 1, 1)], &mut out)
        .unwrap();
    assert!(out.is_empty());
    assert_eq!(md.ignored_events(), 1);
    assert_eq!(md.last_seq(), 9);
    assert!(md.book_snapshot(SymbolId(7), 5).is_none());
    assert!(md.ticker(SymbolId(7)).is_none());
    assert!(md.klines(SymbolId(7), Interval::M1, 5).is_none());
    assert!(md.recent_trades(SymbolId(7), 5).is_none());
}

#[test]
fn a_sweep_publishes_trades_then_book_then_klines_then_ticker() {
    let mut f = Feed::new();
    let t0 = JAN_1_2024_NS;
    f.cmd_at(
        t0,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Sell, 101, 2)),
    );
    f.cmd_at(
        t0,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Sell, 102, 3)),
    );
    f.cmd_at(
        t0,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Sell, 105, 1)),
    );
    // Buys 101 and 102 out and rests the rest at 103.
    let up = f.cmd_at(
        t0 + SEC,
        CommandKind::Place(limit_ticks(SYM, 2, Side::Buy, 103, 9)),
    );
    let kinds: Vec<&str> = up
        .iter()
        .map(|u| match u {
            MdUpdate::Trade { .. } => "trade",
            MdUpdate::Book(_) => "book",
            MdUpdate::Kline { .. } => "kline",
            MdUpdate::Ticker { .. } => "ticker",
        })
        .collect();
    let mut want = vec!["trade", "trade", "book"];
    want.extend(["kline"; 8]);
    want.push("ticker");
    assert_eq!(kinds, want);
    match (&up[0], &up[1], &up[2]) {
        (MdUpdate::Trade { trade: x, .. }, MdUpdate::Trade { trade: y, .. }, MdUpdate::Book(d)) => {
            assert_eq!(
                (x.price, x.qty, x.taker_side),
                (Ticks::new(101), Lots::new(2), Side::Buy)
            );
            assert_eq!(
                (y.price, y.qty, y.taker_side),
                (Ticks::new(102), Lots::new(3), Side::Buy)
            );
            assert_eq!(y.trade_id, x.trade_id + 1);
            assert_eq!(x.ts_ns, t0 + SEC);
            assert_eq!(d.bids, l(&[(103, 4)]));
            assert_eq!(d.asks, l(&[(101, 0), (102, 0)]));
            assert_eq!((d.seq, d.prev_seq), (4, 3));
        }
        other => panic!("{other:?}"),
    }
    let recent = f.md.recent_trades(f.sym, 10).unwrap();
    assert_eq!(
        recent.iter().map(|t| t.price.get()).collect::<Vec<_>>(),
        vec![102, 101],
        "newest first"
    );
    let k = f.md.klines(f.sym, Interval::M1, 1).unwrap()[0];
    assert_eq!(
        (k.open, k.close, k.volume),
        (Ticks::new(101), Ticks::new(102), Lots::new(5))
    );
    assert_eq!(k.quote_volume, Units::new((101 * 2 + 102 * 3) * QPTL));
}

#[test]
fn recent_trades_keep_the_last_thousand() {
    let mut f = Feed::new();
    f.check_every = 97;
    for i in 0..1010u64 {
        f.trade(JAN_1_2024_NS + i * SEC, 100 + (i % 7) as i64, 1, Side::Sell);
    }
    let all = f.md.recent_trades(f.sym, usize::MAX).unwrap();
    assert_eq!(all.len(), TRADES_KEPT);
    let want: Vec<PublicTrade> = f.trades.iter().rev().take(TRADES_KEPT).copied().collect();
    assert_eq!(all, want);
    assert!(all.iter().all(|t| t.taker_side == Side::Sell));
}
