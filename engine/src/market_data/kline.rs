//! Candlesticks (klines) per interval, bucketed by trade time in UTC.
//!
//! What holds:
//! - An interval of length `L` starts at a multiple of `L` since the Unix
//!   epoch, except weeks, which start on Monday 00:00 UTC (the epoch was a
//!   Thursday, so week starts are `4 days + k weeks`).
//! - A kline exists only for an interval with at least one trade (as on
//!   Binance: no empty candles). The ring of each interval keeps the newest
//!   [`Interval::retention`] klines, oldest first, strictly increasing by
//!   `open_time_ns`; only the newest may be open.
//! - `close_time_ns = open_time_ns + L - 1`; a kline is closed once the
//!   market-data clock is past `close_time_ns`.

use super::ring::Ring;
use crate::types::*;

pub(crate) const MINUTE_NS: u64 = 60 * 1_000_000_000;
const HOUR_NS: u64 = 60 * MINUTE_NS;
const DAY_NS: u64 = 24 * HOUR_NS;
const WEEK_NS: u64 = 7 * DAY_NS;
/// 1970-01-05, the first Monday after the epoch.
const FIRST_MONDAY_NS: u64 = 4 * DAY_NS;

/// A kline interval. Each starts at a multiple of its length since the Unix
/// epoch (UTC), except weeks, which start on Monday 00:00 UTC; a trade at
/// exactly the start of an interval belongs to it, not to the one before.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Interval {
    M1,
    M5,
    M15,
    M30,
    H1,
    H4,
    D1,
    W1,
}

impl Interval {
    /// Every interval, shortest first (the order of updates within a command).
    pub const ALL: [Interval; 8] = [
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::M30,
        Interval::H1,
        Interval::H4,
        Interval::D1,
        Interval::W1,
    ];

    /// The name the wire API uses (`1m` … `1w`).
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::D1 => "1d",
            Interval::W1 => "1w",
        }
    }

    pub fn parse(s: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.as_str() == s)
    }

    pub const fn len_ns(self) -> u64 {
        match self {
            Interval::M1 => MINUTE_NS,
            Interval::M5 => 5 * MINUTE_NS,
            Interval::M15 => 15 * MINUTE_NS,
            Interval::M30 => 30 * MINUTE_NS,
            Interval::H1 => HOUR_NS,
            Interval::H4 => 4 * HOUR_NS,
            Interval::D1 => DAY_NS,
            Interval::W1 => WEEK_NS,
        }
    }

    /// How many klines of this interval are kept.
    pub const fn retention(self) -> usize {
        match self {
            Interval::M1 => 1440,
            Interval::M5 => 1152,
            Interval::M15 => 960,
            Interval::M30 => 1008,
            Interval::H1 => 720,
            Interval::H4 => 720,
            Interval::D1 => 365,
            Interval::W1 => 156,
        }
    }

    /// Position in [`Interval::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Start of the interval that holds `ts_ns`, possibly before the epoch
    /// (only for the week of 1970-01-01).
    fn start_i128(self, ts_ns: u64) -> i128 {
        let t = ts_ns as i128;
        let len = self.len_ns() as i128;
        match self {
            Interval::W1 => {
                let off = FIRST_MONDAY_NS as i128;
                (t - off).div_euclid(len) * len + off
            }
            _ => t - t % len,
        }
    }

    /// Start of the interval that holds `ts_ns`. Only the week of
    /// 1970-01-01, which began on Monday 1969-12-29, is cut at 0.
    pub fn open_time_ns(self, ts_ns: u64) -> u64 {
        self.start_i128(ts_ns).max(0) as u64
    }

    /// Last nanosecond of the interval that holds `ts_ns`.
    pub fn close_time_ns(self, ts_ns: u64) -> u64 {
        let c = self.start_i128(ts_ns) + self.len_ns() as i128 - 1;
        c.min(u64::MAX as i128) as u64
    }
}

/// One candlestick. Prices in ticks, volume in lots, quote volume in quote
/// asset units.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Kline {
    pub open_time_ns: u64,
    pub close_time_ns: u64,
    pub open: Ticks,
    pub high: Ticks,
    pub low: Ticks,
    pub close: Ticks,
    pub volume: Lots,
    pub quote_volume: Units,
    pub trades: u64,
    /// The interval is over: no trade will change this kline any more.
    pub closed: bool,
}

/// The klines of one interval of one symbol.
#[derive(Clone, Debug)]
pub(crate) struct KlineSeries {
    pub interval: Interval,
    pub ring: Ring<Kline>,
}

impl KlineSeries {
    pub fn new(interval: Interval) -> KlineSeries {
        KlineSeries {
            interval,
            ring: Ring::new(interval.retention()),
        }
    }

    /// Adds a trade at `ts_ns` (not before the newest kline's open time).
    pub fn add(&mut self, ts_ns: u64, price: Ticks, qty: Lots, quote: i64) {
        let open_time_ns = self.interval.open_time_ns(ts_ns);
        if let Some(k) = self.ring.last_mut() {
            if k.open_time_ns >= open_time_ns {
                k.high = k.high.max(price);
                k.low = k.low.min(price);
                k.close = price;
                k.volume = Lots::new(k.volume.get().saturating_add(qty.get()));
                k.quote_volume = Units::new(k.quote_volume.get().saturating_add(quote));
                k.trades = k.trades.saturating_add(1);
                return;
            }
        }
        self.ring.push(Kline {
            open_time_ns,
            close_time_ns: self.interval.close_time_ns(ts_ns),
            open: price,
            high: price,
            low: price,
            close: price,
            volume: qty,
            quote_volume: Units::new(quote),
            trades: 1,
            closed: false,
        });
    }

    /// Marks the newest kline closed if `now_ns` is past its close time;
    /// returns it when it was just closed.
    pub fn close_if_over(&mut self, now_ns: u64) -> Option<Kline> {
        let k = self.ring.last_mut()?;
        if k.closed || now_ns <= k.close_time_ns {
            return None;
        }
        k.closed = true;
        Some(*k)
    }

    /// When the open kline, if any, closes.
    pub fn due_ns(&self) -> u64 {
        match self.ring.last() {
            Some(k) if !k.closed => k.close_time_ns.saturating_add(1),
            _ => u64::MAX,
        }
    }

    /// Checks the ring: sorted, aligned, OHLC consistent, only the newest open.
    pub fn check(&self) -> Result<(), String> {
        let iv = self.interval;
        let n = self.ring.len();
        let mut prev: Option<u64> = None;
        for (i, k) in self.ring.iter().enumerate() {
            let what = |s: &str| Err(format!("{} kline #{i} {k:?}: {s}", iv.as_str()));
            if prev.is_some_and(|p| p >= k.open_time_ns) {
                return what("not after the previous one");
            }
            prev = Some(k.open_time_ns);
            if iv.close_time_ns(k.open_time_ns) != k.close_time_ns
                || iv.open_time_ns(k.close_time_ns) != k.open_time_ns
            {
                return what("not aligned to its interval");
            }
            if k.low > k.high
                || k.open < k.low
                || k.open > k.high
                || k.close < k.low
                || k.close > k.high
            {
                return what("open/close outside low..high");
            }
            if k.trades == 0 || k.volume.get() <= 0 {
                return what("empty");
            }
            if i + 1 < n && !k.closed {
                return what("open but not the newest");
            }
        }
        if n > iv.retention() {
            return Err(format!("{} ring holds {n} klines", iv.as_str()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_retentions_are_the_spec() {
        for iv in Interval::ALL {
            assert_eq!(Interval::parse(iv.as_str()), Some(iv));
            assert_eq!(Interval::ALL[iv.index()], iv);
        }
        assert_eq!(Interval::parse("2m"), None);
        let r: Vec<usize> = Interval::ALL.iter().map(|i| i.retention()).collect();
        assert_eq!(r, vec![1440, 1152, 960, 1008, 720, 720, 365, 156]);
    }

    #[test]
    fn first_week_is_cut_at_the_epoch() {
        let w = Interval::W1;
        assert_eq!(w.open_time_ns(0), 0);
        assert_eq!(w.close_time_ns(0), FIRST_MONDAY_NS - 1);
        assert_eq!(w.open_time_ns(FIRST_MONDAY_NS), FIRST_MONDAY_NS);
        assert_eq!(w.close_time_ns(u64::MAX), u64::MAX);
    }
}
