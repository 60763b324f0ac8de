//! The 24 h ticker rolls at minute granularity: the window is the last 1,440
//! minutes including the current one, so a trade 1,441 or 1,440 minutes back
//! is out and one 1,439 minutes back is in; open, high, low, volume and
//! counts are recomputed when minutes drop; the best bid and ask follow the
//! book; `last` outlives the window.
mod common;
mod market_data_support;

use common::*;
use engine::market_data::*;
use engine::*;
use market_data_support::*;
use proptest::prelude::*;

fn tickers(updates: &[MdUpdate]) -> Vec<Ticker> {
    updates
        .iter()
        .filter_map(|u| match u {
            MdUpdate::Ticker { ticker, .. } => Some(*ticker),
            _ => None,
        })
        .collect()
}

#[test]
fn the_window_drops_the_right_minutes() {
    let mut f = Feed::new();
    // 10 s into a minute: the window counts minutes, not nanoseconds.
    let base = JAN_1_2024_NS + 10 * SEC;
    f.trade(base, 1000, 1, Side::Buy); // the high
    f.trade(base + MIN, 10, 2, Side::Sell); // the low
    f.trade(base + 2 * MIN, 500, 3, Side::Buy);
    let t = f.md.ticker(f.sym).unwrap();
    assert_eq!(
        (t.open, t.high, t.low, t.last),
        (
            Some(Ticks::new(1000)),
            Some(Ticks::new(1000)),
            Some(Ticks::new(10)),
            Some(Ticks::new(500))
        )
    );
    assert_eq!((t.volume, t.trades), (Lots::new(6), 3));

    // Last nanosecond of the 1,440th minute: everything is still in.
    let minute0 = JAN_1_2024_NS;
    assert!(tickers(&f.tick(minute0 + 1440 * MIN - 1)).is_empty());
    assert_eq!(f.md.ticker(f.sym).unwrap().trades, 3);

    // The first trade is now 1,440 minutes back: out. High recomputed.
    let up = tickers(&f.tick(minute0 + 1440 * MIN));
    assert_eq!(up.len(), 1);
    let t = up[0];
    assert_eq!(t, f.md.ticker(f.sym).unwrap());
    assert_eq!(
        (t.open, t.high, t.low),
        (
            Some(Ticks::new(10)),
            Some(Ticks::new(500)),
            Some(Ticks::new(10))
        )
    );
    assert_eq!(
        (t.volume, t.quote_volume, t.trades),
        (Lots::new(5), Units::new((10 * 2 + 500 * 3) * QPTL), 2)
    );
    assert_eq!(t.ts_ns, minute0 + 1440 * MIN);

    // A trade 1,441 minutes after the first: the second (1,440 back) is out,
    // the third (1,439 back) is in. Low recomputed.
    f.trade(base + 1441 * MIN, 600, 4, Side::Buy);
    let t = f.md.ticker(f.sym).unwrap();
    assert_eq!(
        (t.open, t.high, t.low, t.last),
        (
            Some(Ticks::new(500)),
            Some(Ticks::new(600)),
            Some(Ticks::new(500)),
            Some(Ticks::new(600))
        )
    );
    assert_eq!((t.volume, t.trades), (Lots::new(7), 2));
    assert_eq!(t.change, Some(Ticks::new(100)));
    assert_eq!(t.change_pct, Some(Fixed::new(2000, 2))); // 20.00 %
    assert_eq!(figures(t), reference_ticker(&f.raw_trades(), f.md.now_ns()));
}

#[test]
fn last_outlives_an_empty_window() {
    let mut f = Feed::new();
    f.trade(JAN_1_2024_NS, 300, 1, Side::Buy);
    f.trade(JAN_1_2024_NS + 5 * MIN, 200, 1, Side::Buy);
    let up = tickers(&f.tick(JAN_1_2024_NS + 3 * DAY));
    assert_eq!(up.len(), 1, "both minutes drop in one roll");
    let t = up[0];
    assert_eq!(
        (t.open, t.high, t.low, t.change, t.change_pct),
        (None, None, None, None, None)
    );
    assert_eq!(
        (t.volume, t.quote_volume, t.trades),
        (Lots::ZERO, Units::ZERO, 0)
    );
    assert_eq!(t.last, Some(Ticks::new(200)));
    assert!(tickers(&f.tick(JAN_1_2024_NS + 9 * DAY)).is_empty());
    f.trade(JAN_1_2024_NS + 10 * DAY, 250, 2, Side::Sell);
    let t = f.md.ticker(f.sym).unwrap();
    assert_eq!(
        (t.open, t.last, t.change, t.trades),
        (
            Some(Ticks::new(250)),
            Some(Ticks::new(250)),
            Some(Ticks::ZERO),
            1
        )
    );
}

#[test]
fn best_bid_and_ask_follow_the_book() {
    let mut f = Feed::new();
    let t0 = JAN_1_2024_NS;
    let up = f.cmd_at(
        t0,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Buy, 100, 5)),
    );
    let tk = tickers(&up);
    assert_eq!(tk.len(), 1);
    assert_eq!(
        (tk[0].best_bid, tk[0].best_ask, tk[0].trades),
        (Some(Ticks::new(100)), None, 0)
    );
    let up = f.cmd_at(
        t0 + 1,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Sell, 110, 5)),
    );
    assert_eq!(tickers(&up)[0].best_ask, Some(Ticks::new(110)));
    // Below the best bid: the book changes, the ticker does not.
    let up = f.cmd_at(
        t0 + 2,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Buy, 90, 5)),
    );
    assert!(up.iter().any(|u| matches!(u, MdUpdate::Book(_))));
    assert!(tickers(&up).is_empty());
    // More quantity at the best price: still no ticker (prices only).
    let up = f.cmd_at(
        t0 + 3,
        CommandKind::Place(limit_ticks(SYM, 2, Side::Buy, 100, 1)),
    );
    assert!(tickers(&up).is_empty());
    // A sell sweeping the 100 bid: trades and a new best bid.
    let up = f.cmd_at(
        t0 + 4,
        CommandKind::Place(limit_ticks(SYM, 2, Side::Sell, 100, 6)),
    );
    let tk = tickers(&up);
    assert_eq!(tk.len(), 1);
    assert_eq!(
        (tk[0].best_bid, tk[0].best_ask, tk[0].trades, tk[0].last),
        (
            Some(Ticks::new(90)),
            Some(Ticks::new(110)),
            2,
            Some(Ticks::new(100))
        )
    );
    assert_eq!(tk[0].ts_ns, t0 + 4);
}

const GAPS_NS: [u64; 12] = [
    0,
    SEC,
    59 * SEC,
    MIN,
    7 * MIN,
    HOUR,
    6 * HOUR,
    1439 * MIN,
    1440 * MIN,
    1441 * MIN,
    DAY + 1,
    2 * DAY,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// After every trade and tick the ticker equals the figures computed
    /// directly from the trades in the window, and the last ticker published
    /// is the one a query returns.
    #[test]
    fn the_ticker_equals_a_direct_computation(
        steps in proptest::collection::vec(
            (0..12usize, 1..400i64, 1..50i64, any::<bool>(), proptest::option::of(0..12usize)),
            1..80,
        )
    ) {
        let mut f = Feed::new();
        let mut t = JAN_1_2024_NS + 17 * SEC;
        let mut last_published = None;
        for (gap, px, lots, buy, tick) in steps {
            t += GAPS_NS[gap];
            let mut up = f.trade(t, px, lots, if buy { Side::Buy } else { Side::Sell });
            prop_assert_eq!(figures(f.md.ticker(f.sym).unwrap()), reference_ticker(&f.raw_trades(), f.md.now_ns()));
            if let Some(g) = tick {
                t += GAPS_NS[g];
                up.extend(f.tick(t));
                prop_assert_eq!(figures(f.md.ticker(f.sym).unwrap()), reference_ticker(&f.raw_trades(), f.md.now_ns()));
            }
            if let Some(tk) = tickers(&up).last() {
                last_published = Some(*tk);
            }
            prop_assert_eq!(last_published, f.md.ticker(f.sym));
        }
    }
}
