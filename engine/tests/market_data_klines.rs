//! Klines: OHLCV per interval equals a direct computation from the trades,
//! trades exactly on interval edges fall in the later interval, each ring
//! keeps exactly its retention (the oldest dropped), weeks start on Monday
//! 00:00 UTC, intervals without trades have no kline, and a kline is
//! published closed once the clock passes its close time.
mod common;
mod market_data_support;

use common::*;
use engine::market_data::*;
use engine::*;
use market_data_support::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn klines_of(updates: &[MdUpdate]) -> Vec<(Interval, Kline)> {
    updates
        .iter()
        .filter_map(|u| match u {
            MdUpdate::Kline {
                interval, kline, ..
            } => Some((*interval, *kline)),
            _ => None,
        })
        .collect()
}

#[test]
fn weeks_start_on_monday() {
    let w = Interval::W1;
    // 2024-01-01 was a Monday.
    assert_eq!(w.open_time_ns(JAN_1_2024_NS), JAN_1_2024_NS);
    assert_eq!(
        w.open_time_ns(JAN_1_2024_NS + 3 * DAY + 12 * HOUR),
        JAN_1_2024_NS
    );
    assert_eq!(w.open_time_ns(JAN_1_2024_NS + WEEK - 1), JAN_1_2024_NS);
    assert_eq!(w.close_time_ns(JAN_1_2024_NS), JAN_1_2024_NS + WEEK - 1);
    assert_eq!(w.open_time_ns(JAN_1_2024_NS + WEEK), JAN_1_2024_NS + WEEK);
    // Sunday 2023-12-31 23:59:59.999999999 belongs to the week of Monday 2023-12-25.
    assert_eq!(w.open_time_ns(JAN_1_2024_NS - 1), JAN_1_2024_NS - WEEK);
    // The days and 4-hour blocks are UTC-aligned.
    assert_eq!(
        Interval::D1.open_time_ns(JAN_1_2024_NS + DAY - 1),
        JAN_1_2024_NS
    );
    assert_eq!(
        Interval::H4.open_time_ns(JAN_1_2024_NS + 5 * HOUR),
        JAN_1_2024_NS + 4 * HOUR
    );

    let mut f = Feed::new();
    f.trade(JAN_1_2024_NS - 1, 100, 1, Side::Buy); // Sunday, last nanosecond
    f.trade(JAN_1_2024_NS + 2 * DAY + 7 * HOUR, 120, 2, Side::Sell); // Wednesday
    f.trade(JAN_1_2024_NS + WEEK - 1, 90, 3, Side::Buy); // next Sunday, last nanosecond
    f.trade(JAN_1_2024_NS + WEEK, 95, 4, Side::Sell); // Monday 2024-01-08
    let k = f.md.klines(f.sym, Interval::W1, 10).unwrap();
    let opens: Vec<u64> = k.iter().map(|k| k.open_time_ns).collect();
    assert_eq!(
        opens,
        vec![JAN_1_2024_NS - WEEK, JAN_1_2024_NS, JAN_1_2024_NS + WEEK]
    );
    let mid = k[1];
    assert_eq!(mid.close_time_ns, JAN_1_2024_NS + WEEK - 1);
    assert_eq!(
        (mid.open, mid.high, mid.low, mid.close),
        (
            Ticks::new(120),
            Ticks::new(120),
            Ticks::new(90),
            Ticks::new(90)
        )
    );
    assert_eq!((mid.volume, mid.trades), (Lots::new(5), 2));
    assert_eq!(mid.quote_volume, Units::new((120 * 2 + 90 * 3) * QPTL));
    assert!(k[0].closed && k[1].closed && !k[2].closed);
}

#[test]
fn edge_trades_open_the_next_interval_and_empty_intervals_have_no_kline() {
    let mut f = Feed::new();
    let t0 = JAN_1_2024_NS;
    f.trade(t0 - 1, 100, 1, Side::Buy);
    f.trade(t0, 101, 1, Side::Buy);
    f.trade(t0 + MIN - 1, 102, 1, Side::Sell);
    f.trade(t0 + 3 * MIN, 103, 1, Side::Sell); // minutes 1 and 2 stay empty
    let m1 = f.md.klines(f.sym, Interval::M1, 100).unwrap();
    let opens: Vec<u64> = m1.iter().map(|k| k.open_time_ns).collect();
    assert_eq!(opens, vec![t0 - MIN, t0, t0 + 3 * MIN]);
    assert_eq!(
        (m1[1].open, m1[1].close, m1[1].trades),
        (Ticks::new(101), Ticks::new(102), 2)
    );
    let d1 = f.md.klines(f.sym, Interval::D1, 100).unwrap();
    assert_eq!(d1.len(), 2);
    assert_eq!((d1[1].open, d1[1].trades), (Ticks::new(101), 3));
    for iv in Interval::ALL {
        assert_eq!(
            f.md.klines(f.sym, iv, usize::MAX).unwrap(),
            reference_klines(&f.raw_trades(), iv, f.md.now_ns()),
            "{}",
            iv.as_str()
        );
    }
}

#[test]
fn a_kline_closes_when_the_clock_passes_its_close_time() {
    let mut f = Feed::new();
    let t0 = JAN_1_2024_NS;
    let up = f.trade(t0 + 30 * SEC, 100, 2, Side::Buy);
    let ks = klines_of(&up);
    assert_eq!(
        ks.iter().map(|k| k.0).collect::<Vec<_>>(),
        Interval::ALL.to_vec()
    );
    assert!(ks.iter().all(|(_, k)| !k.closed && k.trades == 1));

    assert!(
        f.tick(t0 + MIN - 1).is_empty(),
        "at close_time the minute is not over"
    );
    let up = f.tick(t0 + MIN);
    let ks = klines_of(&up);
    assert_eq!(ks.len(), 1);
    assert_eq!(ks[0].0, Interval::M1);
    assert!(ks[0].1.closed && ks[0].1.close_time_ns == t0 + MIN - 1);
    assert!(f.tick(t0 + MIN + 1).is_empty(), "closed once");
    let ks = klines_of(&f.tick(t0 + 5 * MIN));
    assert_eq!(
        ks.iter().map(|k| k.0).collect::<Vec<_>>(),
        vec![Interval::M5]
    );
    let ks = klines_of(&f.tick(t0 + WEEK));
    assert_eq!(
        ks.iter().map(|k| k.0).collect::<Vec<_>>(),
        Interval::ALL[2..].to_vec()
    );
    assert!(ks.iter().all(|(_, k)| k.closed));
    for iv in Interval::ALL {
        assert!(f.md.klines(f.sym, iv, 1).unwrap()[0].closed);
    }

    // A later trade closes the kline it leaves, then opens a new one.
    let mut f = Feed::new();
    f.trade(t0 + 30 * SEC, 100, 2, Side::Buy);
    let mut up = f.cmd_at(
        t0 + MIN,
        CommandKind::Place(limit_ticks(SYM, 1, Side::Sell, 101, 1)),
    );
    up.extend(f.cmd_at(
        t0 + MIN,
        CommandKind::Place(limit_ticks(SYM, 2, Side::Buy, 101, 1)),
    ));
    let ks = klines_of(&up);
    assert!(ks[0].0 == Interval::M1 && ks[0].1.closed && ks[0].1.open_time_ns == t0);
    let m1: Vec<&Kline> = ks
        .iter()
        .filter(|k| k.0 == Interval::M1)
        .map(|k| &k.1)
        .collect();
    assert_eq!(m1.len(), 2);
    assert!(!m1[1].closed && m1[1].open_time_ns == t0 + MIN && m1[1].open == Ticks::new(101));
}

#[test]
fn each_ring_keeps_exactly_its_retention() {
    for iv in Interval::ALL {
        let mut f = Feed::new();
        f.check_every = 101;
        let len = iv.close_time_ns(JAN_1_2024_NS) + 1 - JAN_1_2024_NS;
        let n = iv.retention() + 3;
        for i in 0..n as u64 {
            // Exactly on the edges; prices wander so OHLC is not constant.
            f.trade(
                JAN_1_2024_NS + i * len,
                100 + (i % 17) as i64,
                1 + (i % 3) as i64,
                Side::Buy,
            );
        }
        f.md.check_invariants().unwrap();
        let got = f.md.klines(f.sym, iv, usize::MAX).unwrap();
        assert_eq!(got.len(), iv.retention(), "{}", iv.as_str());
        assert_eq!(
            got[0].open_time_ns,
            JAN_1_2024_NS + 3 * len,
            "{}: the 3 oldest are dropped",
            iv.as_str()
        );
        assert_eq!(got, reference_klines(&f.raw_trades(), iv, f.md.now_ns()));
        let last5 = f.md.klines(f.sym, iv, 5).unwrap();
        assert_eq!(last5, got[got.len() - 5..].to_vec(), "oldest first");
    }
}

const GAPS_NS: [u64; 16] = [
    0,
    1,
    MIN - 1,
    MIN,
    MIN + 1,
    5 * MIN,
    15 * MIN,
    30 * MIN - 1,
    HOUR,
    4 * HOUR,
    4 * HOUR + 1,
    DAY - 1,
    DAY,
    3 * DAY,
    WEEK,
    WEEK + 1,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random trades whose times often sit exactly on interval edges (the
    /// clock starts one minute before a Monday midnight and moves by whole
    /// intervals), with ticks between them.
    #[test]
    fn ohlcv_equals_a_direct_computation(
        steps in proptest::collection::vec(
            (0..16usize, 1..400i64, 1..50i64, any::<bool>(), proptest::option::of(0..16usize)),
            1..60,
        )
    ) {
        let mut f = Feed::new();
        let mut t = JAN_1_2024_NS - MIN;
        let mut seen: BTreeMap<(Interval, u64), Kline> = BTreeMap::new();
        for (gap, px, lots, buy, tick) in steps {
            t += GAPS_NS[gap];
            let mut up = f.trade(t, px, lots, if buy { Side::Buy } else { Side::Sell });
            if let Some(g) = tick {
                t += GAPS_NS[g];
                up.extend(f.tick(t));
            }
            for (iv, k) in klines_of(&up) {
                seen.insert((iv, k.open_time_ns), k);
            }
            for iv in Interval::ALL {
                let got = f.md.klines(f.sym, iv, usize::MAX).unwrap();
                prop_assert_eq!(&got, &reference_klines(&f.raw_trades(), iv, f.md.now_ns()), "{}", iv.as_str());
                for k in &got {
                    prop_assert_eq!(seen.get(&(iv, k.open_time_ns)), Some(k), "published state differs");
                }
            }
        }
    }
}

#[test]
fn same_events_same_klines() {
    let run = || {
        let mut f = Feed::new();
        let mut all = Vec::new();
        for i in 0..200u64 {
            all.extend(f.trade(
                JAN_1_2024_NS + i * 7 * MIN + i,
                100 + (i * 31 % 23) as i64,
                1 + (i % 4) as i64,
                Side::Sell,
            ));
            if i % 10 == 0 {
                all.extend(f.tick(JAN_1_2024_NS + i * 7 * MIN + 3 * MIN));
            }
        }
        all
    };
    assert_eq!(run(), run());
}
