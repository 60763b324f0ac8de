//! The rolling 24 h ticker, at minute granularity.
//!
//! What holds:
//! - Trades are summed into one bucket per UTC minute, in a table of
//!   [`WINDOW_MINUTES`] buckets indexed by `minute % WINDOW_MINUTES`, so the
//!   memory is fixed whatever the time span.
//! - At clock time `now`, the window is the minutes
//!   `now_minute - 1439 ..= now_minute`: a trade 1,439 minutes back is in,
//!   one 1,440 minutes back is out.
//! - The aggregates (`open`, `high`, `low`, `volume`, `quote`, `trades`) are
//!   always those of the buckets inside the window: a trade updates them in
//!   place; a minute falling out makes them be recomputed from the buckets
//!   that remain (at most once a minute).
//! - `last` is the price of the newest trade ever seen, even after it left
//!   the window.

use super::kline::MINUTE_NS;
use crate::types::*;

/// Minutes in the rolling window.
pub const WINDOW_MINUTES: u64 = 1440;

/// The 24 h statistics of a symbol. Prices in ticks, volume in lots, quote
/// volume in quote asset units. `open`, `high`, `low`, `change` and
/// `change_pct` are `None` while the window holds no trade.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub struct Ticker {
    /// Open of the first minute of the window that has a trade.
    pub open: Option<Ticks>,
    pub high: Option<Ticks>,
    pub low: Option<Ticks>,
    /// Price of the last trade (kept after it leaves the window).
    pub last: Option<Ticks>,
    pub volume: Lots,
    pub quote_volume: Units,
    /// `last - open`.
    pub change: Option<Ticks>,
    /// `change / open * 100` in percent with two decimals (that is, in basis
    /// points: `Fixed { mantissa: bp, scale: 2 }`), rounded half away from zero.
    pub change_pct: Option<Fixed>,
    pub trades: u64,
    pub best_bid: Option<Ticks>,
    pub best_ask: Option<Ticks>,
    /// Clock time of the last change of any field above.
    pub ts_ns: u64,
}

/// `change / open` in basis points, rounded half away from zero.
pub fn change_pct(change: Ticks, open: Ticks) -> Option<Fixed> {
    let o = open.get() as i128;
    if o <= 0 {
        return None;
    }
    let n = change.get() as i128 * 10_000;
    let (mut q, r) = (n / o, n % o);
    if 2 * r.abs() >= o {
        q += n.signum();
    }
    i64::try_from(q).ok().map(|bp| Fixed::new(bp, 2))
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Bucket {
    minute: u64,
    open: i64,
    high: i64,
    low: i64,
    volume: i64,
    quote: i64,
    /// 0: the bucket is empty, whatever its other fields say.
    trades: u64,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Totals {
    open: Option<Ticks>,
    high: Option<Ticks>,
    low: Option<Ticks>,
    volume: i64,
    quote: i64,
    trades: u64,
    /// Oldest minute of the window with a trade.
    oldest: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct TickerWindow {
    /// Empty until the first trade, then exactly `WINDOW_MINUTES` buckets.
    buckets: Vec<Bucket>,
    totals: Totals,
    last: Option<Ticks>,
}

impl TickerWindow {
    fn slot(minute: u64) -> usize {
        (minute % WINDOW_MINUTES) as usize
    }

    /// Adds a trade at `ts_ns`, which must be in the minute the window was
    /// last rolled to (or later, within the same window).
    pub fn add(&mut self, ts_ns: u64, price: Ticks, qty: Lots, quote: i64) {
        if self.buckets.is_empty() {
            self.buckets = vec![Bucket::default(); WINDOW_MINUTES as usize];
        }
        let minute = ts_ns / MINUTE_NS;
        let (p, q) = (price.get(), qty.get());
        let b = &mut self.buckets[Self::slot(minute)];
        if b.trades == 0 || b.minute != minute {
            *b = Bucket {
                minute,
                open: p,
                high: p,
                low: p,
                volume: 0,
                quote: 0,
                trades: 0,
            };
        }
        b.high = b.high.max(p);
        b.low = b.low.min(p);
        b.volume = b.volume.saturating_add(q);
        b.quote = b.quote.saturating_add(quote);
        b.trades = b.trades.saturating_add(1);
        let t = &mut self.totals;
        if t.trades == 0 {
            t.open = Some(price);
            t.high = Some(price);
            t.low = Some(price);
            t.oldest = Some(minute);
        } else {
            t.high = t.high.max(Some(price));
            t.low = t.low.map(|l| l.min(price));
        }
        t.volume = t.volume.saturating_add(q);
        t.quote = t.quote.saturating_add(quote);
        t.trades = t.trades.saturating_add(1);
        self.last = Some(price);
    }

    /// When the oldest minute with a trade leaves the window.
    pub fn due_ns(&self) -> u64 {
        match self.totals.oldest {
            Some(m) => (m + WINDOW_MINUTES).saturating_mul(MINUTE_NS),
            None => u64::MAX,
        }
    }

    /// Drops the minutes that are out of the window at `now_ns`; `true` when
    /// that changed the aggregates.
    pub fn roll(&mut self, now_ns: u64) -> bool {
        if now_ns < self.due_ns() {
            return false;
        }
        let now_minute = now_ns / MINUTE_NS;
        let first = (now_minute + 1).saturating_sub(WINDOW_MINUTES);
        for b in self.buckets.iter_mut() {
            if b.trades > 0 && b.minute < first {
                *b = Bucket::default();
            }
        }
        self.totals = self.recompute(now_minute);
        true
    }

    /// The aggregates of the window ending at `now_minute`, from the buckets.
    fn recompute(&self, now_minute: u64) -> Totals {
        let mut t = Totals::default();
        if self.buckets.is_empty() {
            return t;
        }
        let first = (now_minute + 1).saturating_sub(WINDOW_MINUTES);
        for minute in first..=now_minute {
            let b = &self.buckets[Self::slot(minute)];
            if b.trades == 0 || b.minute != minute {
                continue;
            }
            if t.trades == 0 {
                t.open = Some(Ticks::new(b.open));
                t.high = Some(Ticks::new(b.high));
                t.low = Some(Ticks::new(b.low));
                t.oldest = Some(minute);
            } else {
                t.high = t.high.max(Some(Ticks::new(b.high)));
                t.low = t.low.map(|l| l.min(Ticks::new(b.low)));
            }
            t.volume = t.volume.saturating_add(b.volume);
            t.quote = t.quote.saturating_add(b.quote);
            t.trades = t.trades.saturating_add(b.trades);
        }
        t
    }

    pub fn ticker(&self, best_bid: Option<Ticks>, best_ask: Option<Ticks>, ts_ns: u64) -> Ticker {
        let t = &self.totals;
        let change = match (t.open, self.last) {
            (Some(o), Some(l)) => l.checked_sub(o),
            _ => None,
        };
        Ticker {
            open: t.open,
            high: t.high,
            low: t.low,
            last: self.last,
            volume: Lots::new(t.volume),
            quote_volume: Units::new(t.quote),
            change,
            change_pct: match (change, t.open) {
                (Some(c), Some(o)) => change_pct(c, o),
                _ => None,
            },
            trades: t.trades,
            best_bid,
            best_ask,
            ts_ns,
        }
    }

    /// Checks that the aggregates are those of the window at `now_ns` and
    /// that no bucket outside it is left non-empty.
    pub fn check(&self, now_ns: u64) -> Result<(), String> {
        let now_minute = now_ns / MINUTE_NS;
        let first = (now_minute + 1).saturating_sub(WINDOW_MINUTES);
        if let Some(b) = self
            .buckets
            .iter()
            .find(|b| b.trades > 0 && (b.minute < first || b.minute > now_minute))
        {
            return Err(format!("ticker bucket outside the window: {b:?}"));
        }
        let r = self.recompute(now_minute);
        if r != self.totals {
            return Err(format!(
                "ticker totals {:?} differ from the buckets' {r:?}",
                self.totals
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_pct_rounds_half_away_from_zero() {
        let p = |c, o| change_pct(Ticks::new(c), Ticks::new(o)).map(|f| f.to_string());
        assert_eq!(p(1, 3).as_deref(), Some("33.33"));
        assert_eq!(p(2, 3).as_deref(), Some("66.67"));
        assert_eq!(p(-2, 3).as_deref(), Some("-66.67"));
        assert_eq!(p(1, 80000).as_deref(), Some("0")); // 0.125 bp -> 0
        assert_eq!(p(1, 20000).as_deref(), Some("0.01")); // 0.5 bp -> 1
        assert_eq!(p(-1, 20000).as_deref(), Some("-0.01"));
        assert_eq!(p(0, 5).as_deref(), Some("0"));
        assert_eq!(p(1, 0), None);
    }
}
