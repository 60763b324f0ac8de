//! Market data over random engine command streams: two symbols, every order
//! type, cancels, amends, cancel-all, and a clock that jumps by seconds to
//! days. After every command:
//! - a client holding the first snapshot plus every delta, one holding a
//!   snapshot taken midway plus the later deltas, and one fed by a
//!   `MarketData` started midway from the engine all hold exactly
//!   `engine.book(symbol, usize::MAX)` and never see a `seq` gap;
//! - the public trades are the taker reports, in order;
//! - the last ticker published per symbol is the ticker a query returns;
//! - the market-data invariants hold.
//!
//! At the end klines and the ticker equal a direct computation from the
//! trades, and a second run of the same stream publishes the same updates.
mod common;
mod market_data_support;

use common::*;
use engine::market_data::*;
use engine::*;
use market_data_support::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::BTreeMap;

const SYMS: [&str; 2] = ["BTC-USD", "ETH-USD"];
const GAPS_NS: [u64; 8] = [0, 1, SEC, MIN, 17 * MIN, 6 * HOUR, DAY, 3 * DAY];

#[derive(Clone, Debug)]
enum Op {
    Place {
        user: u8,
        sym: bool,
        side: bool,
        kind: u8,
        px: u8,
        qty: u8,
        extra: u8,
    },
    Cancel {
        user: u8,
        back: u8,
    },
    Amend {
        user: u8,
        back: u8,
        px: Option<u8>,
        qty: Option<u8>,
    },
    CancelAll {
        user: u8,
        sym: Option<bool>,
    },
    /// Moves the clock without a command.
    Tick,
}

fn op() -> impl Strategy<Value = (Op, u8)> {
    let op = prop_oneof![
        12 => (0..4u8, any::<bool>(), any::<bool>(), 0..11u8, 0..16u8, 1..25u8, any::<u8>())
            .prop_map(|(user, sym, side, kind, px, qty, extra)| Op::Place { user, sym, side, kind, px, qty, extra }),
        3 => (0..4u8, 0..20u8).prop_map(|(user, back)| Op::Cancel { user, back }),
        3 => (0..4u8, 0..20u8, proptest::option::of(0..16u8), proptest::option::of(1..25u8))
            .prop_map(|(user, back, px, qty)| Op::Amend { user, back, px, qty }),
        1 => (0..4u8, proptest::option::of(any::<bool>())).prop_map(|(user, sym)| Op::CancelAll { user, sym }),
        1 => Just(Op::Tick),
    ];
    // Mostly small steps, so that commands share minutes and klines.
    let gap = prop_oneof![6 => 0..3u8, 3 => 3..5u8, 1 => 5..8u8];
    (op, gap)
}

/// Turns ops into commands (`None` for a tick), predicting order ids.
fn commands(ops: &[(Op, u8)]) -> Vec<(Option<CommandKind>, u64)> {
    let mut next_id = 1u64;
    let mut placed: Vec<(u64, u64, usize)> = Vec::new();
    let mut v = Vec::new();
    for (o, gap) in ops {
        let gap = GAPS_NS[*gap as usize];
        let target = |user: u8, back: u8| match placed.len() {
            0 => (user as u64 + 1, 0, 1),
            n => {
                let (id, owner, s) = placed[n - 1 - back as usize % n];
                let user = if user == 3 { 1 + owner % 4 } else { owner };
                (user, s, id)
            }
        };
        let kind = match *o {
            Op::Place {
                user,
                sym,
                side,
                kind,
                px,
                qty,
                extra,
            } => {
                placed.push((next_id, user as u64 + 1, sym as usize));
                next_id += 1;
                let side = if side { Side::Buy } else { Side::Sell };
                let mut p = limit_ticks(
                    SYMS[sym as usize],
                    user as u64 + 1,
                    side,
                    190 + px as i64,
                    qty as i64 * 10,
                );
                match kind {
                    0..=3 => {}
                    4 => p.tif = Tif::Ioc,
                    5 => p.tif = Tif::Fok,
                    6 => p.post_only = true,
                    7 => p.display_qty = Some(Fixed::new((extra as i64 % 5 + 1) * 10, 2)),
                    8 => {
                        p.order_type = OrderType::Market;
                        p.price = None;
                    }
                    9 => {
                        p.order_type = OrderType::StopLimit;
                        p.stop_price = Some(Fixed::new((190 + extra as i64 % 16) * 5, 1));
                    }
                    _ => {
                        p.order_type = OrderType::StopMarket;
                        p.price = None;
                        p.stop_price = Some(Fixed::new((190 + extra as i64 % 16) * 5, 1));
                    }
                }
                Some(CommandKind::Place(p))
            }
            Op::Cancel { user, back } => {
                let (user, s, id) = target(user, back);
                Some(CommandKind::Cancel {
                    user,
                    symbol: name(SYMS[s]),
                    target: OrderRef::Id(id),
                })
            }
            Op::Amend {
                user,
                back,
                px,
                qty,
            } => {
                let (user, s, id) = target(user, back);
                Some(CommandKind::Amend {
                    user,
                    symbol: name(SYMS[s]),
                    target: OrderRef::Id(id),
                    price: px.map(|p| Fixed::new((190 + p as i64) * 5, 1)),
                    qty: qty.map(|q| Fixed::new(q as i64 * 10, 2)),
                })
            }
            Op::CancelAll { user, sym } => Some(CommandKind::CancelAll {
                user: user as u64 + 1,
                symbol: sym.map(|s| name(SYMS[s as usize])),
            }),
            Op::Tick => None,
        };
        v.push((kind, gap));
    }
    v
}

/// What one run saw.
#[derive(Default)]
struct Seen {
    updates: Vec<MdUpdate>,
    trades: u64,
    deltas: u64,
    closed_klines: u64,
    ticker_rolls: u64,
}

/// Runs the stream, checking everything listed in the file's docs; `cut`
/// is where the midway snapshot and the midway `MarketData` start.
fn run(cmds: &[(Option<CommandKind>, u64)], cut: usize) -> Result<Seen, TestCaseError> {
    let mut sim = setup(&SYMS, 4);
    let ids: Vec<SymbolId> = SYMS
        .iter()
        .map(|s| sim.e.directory().symbol_id(&name(s)).unwrap())
        .collect();
    let mut md = MarketData::new();
    md.sync_symbols(sim.e.directory());
    let mut first: Vec<Client> = ids
        .iter()
        .map(|&s| Client::from_snapshot(&md.book_snapshot(s, usize::MAX).unwrap()))
        .collect();
    let mut midway: Option<(Vec<Client>, MarketData, Vec<Client>)> = None;
    let mut trades: BTreeMap<u32, Vec<PublicTrade>> = BTreeMap::new();
    let mut last_ticker: BTreeMap<u32, Ticker> = BTreeMap::new();
    let mut last_kline: BTreeMap<(u32, Interval, u64), Kline> = BTreeMap::new();
    let mut seen = Seen::default();
    let mut now = 1_700_000_000 * SEC;

    for (i, (kind, gap)) in cmds.iter().enumerate() {
        if i == cut {
            let snaps: Vec<Client> = ids
                .iter()
                .map(|&s| Client::from_snapshot(&md.book_snapshot(s, usize::MAX).unwrap()))
                .collect();
            let md2 = MarketData::from_engine(&sim.e);
            let c2 = ids
                .iter()
                .map(|&s| Client::from_snapshot(&md2.book_snapshot(s, usize::MAX).unwrap()))
                .collect();
            midway = Some((snaps, md2, c2));
        }
        now += gap;
        let (mut out, mut out2) = (Vec::new(), Vec::new());
        match kind {
            Some(k) => {
                sim.ts = now - 1;
                sim.cmd(*k);
                md.apply(sim.seq, &sim.events, &mut out).unwrap();
                if let Some((_, md2, _)) = midway.as_mut() {
                    md2.apply(sim.seq, &sim.events, &mut out2).unwrap();
                }
                let want: Vec<(SymbolId, PublicTrade)> = taker_trades(&sim.events);
                let got: Vec<(SymbolId, PublicTrade)> = out
                    .iter()
                    .filter_map(|u| match u {
                        MdUpdate::Trade { symbol, trade } => Some((*symbol, *trade)),
                        _ => None,
                    })
                    .collect();
                prop_assert_eq!(&got, &want);
                for (s, t) in want {
                    trades.entry(s.0).or_default().push(t);
                }
            }
            None => {
                md.tick(now, &mut out);
                if let Some((_, md2, _)) = midway.as_mut() {
                    md2.tick(now, &mut out2);
                }
            }
        }
        md.check_invariants()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for u in &out {
            match u {
                MdUpdate::Book(d) => {
                    seen.deltas += 1;
                    let k = ids.iter().position(|&s| s == d.symbol).unwrap();
                    first[k].apply(d).map_err(TestCaseError::fail)?;
                    if let Some((snaps, _, _)) = midway.as_mut() {
                        snaps[k].apply(d).map_err(TestCaseError::fail)?;
                    }
                }
                MdUpdate::Trade { .. } => seen.trades += 1,
                MdUpdate::Kline {
                    symbol,
                    interval,
                    kline,
                } => {
                    seen.closed_klines += kline.closed as u64;
                    last_kline.insert((symbol.0, *interval, kline.open_time_ns), *kline);
                }
                MdUpdate::Ticker { symbol, ticker } => {
                    if kind.is_none() {
                        seen.ticker_rolls += 1;
                    }
                    last_ticker.insert(symbol.0, *ticker);
                }
            }
        }
        if let Some((_, md2, c2)) = midway.as_mut() {
            md2.check_invariants()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for d in out2.iter().filter_map(|u| match u {
                MdUpdate::Book(d) => Some(d),
                _ => None,
            }) {
                let k = ids.iter().position(|&s| s == d.symbol).unwrap();
                c2[k].apply(d).map_err(TestCaseError::fail)?;
            }
        }
        for (k, &s) in ids.iter().enumerate() {
            let book = sim.e.book(s, usize::MAX);
            prop_assert_eq!(&first[k].l2(), &book, "first-snapshot client, step {}", i);
            if let Some((snaps, md2, c2)) = midway.as_ref() {
                prop_assert_eq!(&snaps[k].l2(), &book, "midway-snapshot client, step {}", i);
                prop_assert_eq!(&c2[k].l2(), &book, "from_engine client, step {}", i);
                let s2 = md2.book_snapshot(s, usize::MAX).unwrap();
                prop_assert_eq!(s2.seq, c2[k].seq);
            }
            let snap = md.book_snapshot(s, usize::MAX).unwrap();
            prop_assert_eq!(snap.seq, first[k].seq);
            prop_assert_eq!((&snap.bids, &snap.asks), (&book.bids, &book.asks));
            let top = md.book_snapshot(s, 3).unwrap();
            let etop = sim.e.book(s, 3);
            prop_assert_eq!((&top.bids, &top.asks), (&etop.bids, &etop.asks));
            let t = md.ticker(s).unwrap();
            prop_assert_eq!(t.best_bid, book.bids.first().map(|l| l.0));
            prop_assert_eq!(t.best_ask, book.asks.first().map(|l| l.0));
            if let Some(lt) = last_ticker.get(&s.0) {
                prop_assert_eq!(lt, &t, "the last published ticker is stale");
            }
        }
        seen.updates.extend(out);
    }

    for &s in &ids {
        let ts = trades.remove(&s.0).unwrap_or_default();
        let raw: Vec<(u64, i64, i64)> = ts
            .iter()
            .map(|t| (t.ts_ns, t.price.get(), t.qty.get()))
            .collect();
        let want: Vec<PublicTrade> = ts.iter().rev().take(TRADES_KEPT).copied().collect();
        prop_assert_eq!(md.recent_trades(s, usize::MAX).unwrap(), want.clone());
        prop_assert_eq!(
            md.recent_trades(s, 5).unwrap(),
            want.iter().take(5).copied().collect::<Vec<_>>()
        );
        for iv in Interval::ALL {
            let got = md.klines(s, iv, usize::MAX).unwrap();
            prop_assert_eq!(
                &got,
                &reference_klines(&raw, iv, md.now_ns()),
                "{}",
                iv.as_str()
            );
            for k in &got {
                // Subscribers saw each kline's final state.
                prop_assert_eq!(last_kline.get(&(s.0, iv, k.open_time_ns)), Some(k));
            }
        }
        prop_assert_eq!(
            figures(md.ticker(s).unwrap()),
            reference_ticker(&raw, md.now_ns())
        );
    }
    Ok(seen)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn deltas_rebuild_the_engine_book_and_runs_repeat(
        ops in proptest::collection::vec(op(), 1..160),
        cut in any::<prop::sample::Index>(),
    ) {
        let cmds = commands(&ops);
        let cut = cut.index(cmds.len() + 1);
        let a = run(&cmds, cut)?;
        let b = run(&cmds, cut)?;
        prop_assert_eq!(a.updates, b.updates);
    }
}

/// The generator is only useful if streams really trade, move books and
/// close klines; this counts what a fixed set of streams does.
#[test]
fn streams_exercise_the_interesting_paths() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut total = Seen::default();
    for _ in 0..12 {
        let ops = proptest::collection::vec(op(), 150)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let cmds = commands(&ops);
        let s = run(&cmds, cmds.len() / 2).unwrap();
        total.trades += s.trades;
        total.deltas += s.deltas;
        total.closed_klines += s.closed_klines;
        total.ticker_rolls += s.ticker_rolls;
    }
    println!(
        "trades {} deltas {} closed klines {} ticker rolls on tick {}",
        total.trades, total.deltas, total.closed_klines, total.ticker_rolls
    );
    assert!(
        total.trades > 200
            && total.deltas > 500
            && total.closed_klines > 200
            && total.ticker_rolls > 0
    );
}
