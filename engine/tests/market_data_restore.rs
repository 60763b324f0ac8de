//! A restart rebuilds market data from past trades: `MarketData` fed live
//! and one started from the engine (`from_engine`) then given the same
//! trades (`restore_trades`, in pages of any size) hold the same trade tape,
//! klines of every interval and 24 h ticker figures, and stay equal as
//! trading goes on.
mod common;
mod market_data_support;

use common::*;
use engine::market_data::*;
use engine::*;
use market_data_support::*;
use proptest::prelude::*;

/// Gaps between steps: on and off interval edges, up to a month.
const GAPS: [u64; 12] = [
    0,
    1,
    SEC,
    MIN - 1,
    MIN,
    7 * MIN,
    HOUR,
    5 * HOUR,
    DAY,
    3 * DAY,
    WEEK,
    30 * DAY,
];

/// What a client can read of one symbol, with the ticker's own time left
/// out (after a restart it is the last trade's, see `restore_trades`).
fn visible(md: &MarketData, sym: SymbolId) -> (Vec<Vec<Kline>>, Vec<PublicTrade>, Ticker) {
    let klines = Interval::ALL
        .iter()
        .map(|&iv| md.klines(sym, iv, usize::MAX).unwrap())
        .collect();
    let tape = md.recent_trades(sym, usize::MAX).unwrap();
    let ticker = Ticker {
        ts_ns: 0,
        ..md.ticker(sym).unwrap()
    };
    (klines, tape, ticker)
}

/// A restarted market data: the engine's books, then `trades` in pages of `page`.
fn restored(f: &Feed, page: usize) -> MarketData {
    let mut md = MarketData::from_engine(&f.sim.e);
    let mut taken = 0;
    for chunk in f.trades.chunks(page.max(1)) {
        taken += md.restore_trades(f.sym, chunk);
    }
    assert_eq!(taken, f.trades.len());
    // Pages fed twice change nothing.
    assert_eq!(md.restore_trades(f.sym, &f.trades), 0);
    // The server's first wall-time tick.
    md.tick(f.md.now_ns(), &mut Vec::new());
    md.check_invariants().unwrap();
    md
}

/// The updates that do not depend on the book's own sequence or the ticker's time.
fn public_part(updates: &[MdUpdate]) -> Vec<MdUpdate> {
    updates
        .iter()
        .filter(|u| !matches!(u, MdUpdate::Book(_)))
        .map(|u| match u {
            MdUpdate::Ticker { symbol, ticker } => MdUpdate::Ticker {
                symbol: *symbol,
                ticker: Ticker {
                    ts_ns: 0,
                    ..*ticker
                },
            },
            u => u.clone(),
        })
        .collect()
}

#[derive(Clone, Debug)]
enum Step {
    Trade {
        px: i64,
        lots: i64,
        buy: bool,
    },
    /// A resting order: the book (and maybe the best price) moves, no trade.
    Rest {
        px: i64,
        lots: i64,
        buy: bool,
    },
    Tick,
}

fn step() -> impl Strategy<Value = (usize, Step)> {
    let s = prop_oneof![
        4 => (1..400i64, 1..50i64, any::<bool>()).prop_map(|(px, lots, buy)| Step::Trade { px, lots, buy }),
        1 => (1..400i64, 1..50i64, any::<bool>()).prop_map(|(px, lots, buy)| Step::Rest { px, lots, buy }),
        1 => Just(Step::Tick),
    ];
    (0..GAPS.len(), s)
}

/// Runs `step` at `t` through the engine and every market data in `mds`;
/// returns each one's updates.
fn run(f: &mut Feed, mds: &mut [&mut MarketData], t: u64, step: &Step) -> Vec<Vec<MdUpdate>> {
    let mut outs = vec![Vec::new(); mds.len()];
    let cmds = match *step {
        Step::Tick => {
            for (md, out) in mds.iter_mut().zip(&mut outs) {
                md.tick(t, out);
            }
            return outs;
        }
        Step::Trade { px, lots, buy } => {
            let taker = if buy { Side::Buy } else { Side::Sell };
            vec![
                limit_ticks(SYM, 1, taker.opposite(), px, lots),
                limit_ticks(SYM, 2, taker, px, lots),
            ]
        }
        Step::Rest { px, lots, buy } => {
            vec![limit_ticks(
                SYM,
                1,
                if buy { Side::Buy } else { Side::Sell },
                px,
                lots,
            )]
        }
    };
    for p in cmds {
        f.sim.ts = t - 1;
        f.sim.cmd(CommandKind::Place(p));
        for (md, out) in mds.iter_mut().zip(&mut outs) {
            md.apply(f.sim.seq, &f.sim.events, out).unwrap();
        }
        f.trades
            .extend(taker_trades(&f.sim.events).into_iter().map(|t| t.1));
    }
    outs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn restored_equals_live_and_stays_equal(
        before in proptest::collection::vec(step(), 1..50),
        after in proptest::collection::vec(step(), 0..20),
        page in 1..8usize,
    ) {
        let mut f = Feed::new();
        let mut live = std::mem::take(&mut f.md);
        let mut t = JAN_1_2024_NS - MIN;
        for (gap, s) in &before {
            t += GAPS[*gap];
            run(&mut f, &mut [&mut live], t, s);
        }
        f.md = live;
        let mut back = restored(&f, page);
        let mut live = std::mem::take(&mut f.md);
        prop_assert_eq!(visible(&back, f.sym), visible(&live, f.sym));
        prop_assert_eq!(back.now_ns(), live.now_ns());
        prop_assert_eq!(
            back.book_snapshot(f.sym, usize::MAX).map(|b| (b.bids, b.asks)),
            live.book_snapshot(f.sym, usize::MAX).map(|b| (b.bids, b.asks))
        );
        for (gap, s) in &after {
            t += GAPS[*gap];
            let outs = run(&mut f, &mut [&mut live, &mut back], t, s);
            prop_assert_eq!(public_part(&outs[1]), public_part(&outs[0]));
            back.check_invariants().unwrap();
        }
        prop_assert_eq!(visible(&back, f.sym), visible(&live, f.sym));
    }
}

/// Long enough that every ring is full: more trades than the tape keeps,
/// more minutes than the 1m ring and the ticker window hold.
#[test]
fn full_rings_are_rebuilt_exactly() {
    let mut f = Feed::new();
    f.check_every = 500;
    let mut t = JAN_1_2024_NS;
    for i in 0..2_500i64 {
        t += if i % 7 == 0 { 3 * MIN } else { MIN + 1 };
        f.trade(
            t,
            100 + (i * 37) % 90,
            1 + i % 5,
            if i % 3 == 0 { Side::Buy } else { Side::Sell },
        );
    }
    assert!(f.trades.len() > TRADES_KEPT);
    assert_eq!(
        f.md.klines(f.sym, Interval::M1, usize::MAX).unwrap().len(),
        Interval::M1.retention()
    );
    for page in [1, 999, 5_000] {
        let back = restored(&f, page);
        assert_eq!(visible(&back, f.sym), visible(&f.md, f.sym), "page {page}");
        // The last change was a trade: the ticker's time is the same too.
        assert_eq!(back.ticker(f.sym), f.md.ticker(f.sym));
    }
    // Only the window needs feeding: the trades of the last day and the last
    // TRADES_KEPT give the same tape, 1m klines and ticker.
    let mut back = MarketData::from_engine(&f.sim.e);
    let from =
        f.trades.len() - TRADES_KEPT.max(f.trades.iter().filter(|x| x.ts_ns + DAY > t).count());
    back.restore_trades(f.sym, &f.trades[from..]);
    assert_eq!(
        back.recent_trades(f.sym, usize::MAX),
        f.md.recent_trades(f.sym, usize::MAX)
    );
    assert_eq!(back.ticker(f.sym), f.md.ticker(f.sym));
    let m1 = |md: &MarketData| md.klines(f.sym, Interval::M1, 1_000).unwrap();
    assert_eq!(m1(&back), m1(&f.md));
}

#[test]
fn unknown_symbols_and_empty_pages_take_nothing() {
    let f = Feed::new();
    let mut md = MarketData::from_engine(&f.sim.e);
    let t = PublicTrade {
        trade_id: 1,
        price: Ticks::new(10),
        qty: Lots::new(1),
        taker_side: Side::Buy,
        ts_ns: JAN_1_2024_NS,
    };
    assert_eq!(md.restore_trades(SymbolId(99), &[t]), 0);
    assert_eq!(md.restore_trades(f.sym, &[]), 0);
    assert_eq!(md.ticker(f.sym).unwrap().last, None);
    assert_eq!(md.restore_trades(f.sym, &[t]), 1);
    assert_eq!(md.ticker(f.sym).unwrap().last, Some(Ticks::new(10)));
    md.check_invariants().unwrap();
}
