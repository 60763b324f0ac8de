//! Shared by the market-data tests: an engine and a `MarketData` fed the same
//! commands, a client that rebuilds a book from a snapshot and deltas, and
//! reference computations of klines and the ticker written independently of
//! the code under test.
#![allow(dead_code)]

use crate::common::*;
use engine::market_data::*;
use engine::*;
use std::collections::BTreeMap;

pub const SEC: u64 = 1_000_000_000;
pub const MIN: u64 = 60 * SEC;
pub const HOUR: u64 = 60 * MIN;
pub const DAY: u64 = 24 * HOUR;
pub const WEEK: u64 = 7 * DAY;
/// 2024-01-01 00:00:00 UTC, a Monday.
pub const JAN_1_2024_NS: u64 = 1_704_067_200 * SEC;
/// Quote units (USD, scale 6) in one tick (0.5) times one lot (0.01).
pub const QPTL: i64 = 5_000;

/// BTC (scale 8) / USD (scale 6) with tick 0.5 and lot 0.01.
pub fn spec(sym: &str) -> SymbolSpec {
    SymbolSpec {
        symbol: name(sym),
        base: name("BTC"),
        quote: name("USD"),
        tick_size: fx("0.5"),
        lot_size: fx("0.01"),
        min_qty: fx("0.01"),
        maker_fee_bps: 10,
        taker_fee_bps: 20,
        price_band_pct: None,
    }
}

/// An engine with assets, the given symbols and `users` funded users.
pub fn setup(symbols: &[&str], users: u64) -> Sim {
    let mut sim = Sim::new();
    sim.cmd(CommandKind::AddAsset {
        asset: name("BTC"),
        scale: 8,
    });
    sim.cmd(CommandKind::AddAsset {
        asset: name("USD"),
        scale: 6,
    });
    for s in symbols {
        let ev = sim.cmd(CommandKind::AddSymbol(spec(s)));
        assert!(matches!(ev[0], Event::Admin { ok: true, .. }), "{ev:?}");
    }
    for u in 1..=users {
        sim.add_user(u);
        sim.deposit(u, "USD", "1000000000");
        sim.deposit(u, "BTC", "1000000");
    }
    sim
}

/// A limit order of `lots` lots at `ticks` ticks in `sym` (tick 0.5, lot 0.01).
pub fn limit_ticks(sym: &str, user: u64, side: Side, ticks: i64, lots: i64) -> Place {
    Place {
        symbol: name(sym),
        price: Some(Fixed::new(ticks * 5, 1)),
        qty: Fixed::new(lots, 2),
        ..limit(user, side, "1", "1")
    }
}

/// The taker `trade` reports of `events`, as public trades, in order.
pub fn taker_trades(events: &[Event]) -> Vec<(SymbolId, PublicTrade)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Execution(r) if r.exec_type == ExecType::Trade => {
                let f = r.fill?;
                (f.liquidity == Liquidity::Taker).then(|| {
                    (
                        r.symbol.unwrap(),
                        PublicTrade {
                            trade_id: f.trade_id,
                            price: f.price,
                            qty: f.qty,
                            taker_side: r.side,
                            ts_ns: r.ts_ns,
                        },
                    )
                })
            }
            _ => None,
        })
        .collect()
}

/// One symbol, two users, and market data fed every command.
pub struct Feed {
    pub sim: Sim,
    pub md: MarketData,
    pub sym: SymbolId,
    /// Every public trade so far, in order.
    pub trades: Vec<PublicTrade>,
    /// Check the market-data invariants every this many commands and ticks.
    pub check_every: u64,
    steps: u64,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    pub fn new() -> Feed {
        let sim = setup(&[SYM], 2);
        let mut md = MarketData::new();
        md.sync_symbols(sim.e.directory());
        let sym = sim.e.directory().symbol_id(&name(SYM)).unwrap();
        Feed {
            sim,
            md,
            sym,
            trades: Vec::new(),
            check_every: 1,
            steps: 0,
        }
    }

    fn step_done(&mut self) {
        self.steps += 1;
        if self.steps >= self.check_every {
            self.steps = 0;
            self.md.check_invariants().unwrap();
        }
    }

    /// Runs one command stamped `ts_ns` through the engine and market data.
    pub fn cmd_at(&mut self, ts_ns: u64, kind: CommandKind) -> Vec<MdUpdate> {
        self.sim.ts = ts_ns - 1; // `Sim::cmd` stamps `ts + 1`
        self.sim.cmd(kind);
        let mut out = Vec::new();
        self.md
            .apply(self.sim.seq, &self.sim.events, &mut out)
            .unwrap();
        self.trades
            .extend(taker_trades(&self.sim.events).into_iter().map(|t| t.1));
        self.step_done();
        out
    }

    /// One trade of `lots` at `ticks`, at `ts_ns`: user 1 rests the maker
    /// order, user 2 takes it whole. Returns the updates of both commands.
    pub fn trade(&mut self, ts_ns: u64, ticks: i64, lots: i64, taker: Side) -> Vec<MdUpdate> {
        let maker = limit_ticks(SYM, 1, taker.opposite(), ticks, lots);
        let mut out = self.cmd_at(ts_ns, CommandKind::Place(maker));
        let taker = limit_ticks(SYM, 2, taker, ticks, lots);
        out.extend(self.cmd_at(ts_ns, CommandKind::Place(taker)));
        out
    }

    pub fn tick(&mut self, now_ns: u64) -> Vec<MdUpdate> {
        let mut out = Vec::new();
        self.md.tick(now_ns, &mut out);
        self.step_done();
        out
    }

    /// (ts, price, qty) of every trade so far.
    pub fn raw_trades(&self) -> Vec<(u64, i64, i64)> {
        self.trades
            .iter()
            .map(|t| (t.ts_ns, t.price.get(), t.qty.get()))
            .collect()
    }
}

// ----------------------------------------------------------- references

/// First day (days since the epoch, maybe negative) of the Monday-based week
/// holding `ts_ns`.
fn week_first_day(ts_ns: u64) -> i64 {
    let days = (ts_ns / DAY) as i64;
    let weekday_from_monday = (days + 3) % 7; // 1970-01-01 was a Thursday
    days - weekday_from_monday
}

/// (open_time, close_time) of the interval holding `ts_ns`.
pub fn bucket(iv: Interval, ts_ns: u64) -> (u64, u64) {
    match iv {
        Interval::W1 => {
            let d = week_first_day(ts_ns);
            let open = (d.max(0) as u64) * DAY;
            let close = ((d + 7) as u64) * DAY - 1;
            (open, close)
        }
        _ => {
            let len = match iv {
                Interval::M1 => MIN,
                Interval::M5 => 5 * MIN,
                Interval::M15 => 15 * MIN,
                Interval::M30 => 30 * MIN,
                Interval::H1 => HOUR,
                Interval::H4 => 4 * HOUR,
                Interval::D1 => DAY,
                Interval::W1 => unreachable!(),
            };
            let open = ts_ns / len * len;
            (open, open + len - 1)
        }
    }
}

/// The klines that must be kept for `trades` (ts, price, qty) at clock
/// `now_ns`: one per interval with trades, the newest `retention`, oldest first.
pub fn reference_klines(trades: &[(u64, i64, i64)], iv: Interval, now_ns: u64) -> Vec<Kline> {
    let mut m: BTreeMap<u64, Kline> = BTreeMap::new();
    for &(ts, p, q) in trades {
        let (open_time_ns, close_time_ns) = bucket(iv, ts);
        let k = m.entry(open_time_ns).or_insert(Kline {
            open_time_ns,
            close_time_ns,
            open: Ticks::new(p),
            high: Ticks::new(p),
            low: Ticks::new(p),
            close: Ticks::new(p),
            volume: Lots::ZERO,
            quote_volume: Units::ZERO,
            trades: 0,
            closed: false,
        });
        k.high = k.high.max(Ticks::new(p));
        k.low = k.low.min(Ticks::new(p));
        k.close = Ticks::new(p);
        k.volume = Lots::new(k.volume.get() + q);
        k.quote_volume = Units::new(k.quote_volume.get() + p * q * QPTL);
        k.trades += 1;
    }
    let all: Vec<Kline> = m
        .into_values()
        .map(|mut k| {
            k.closed = now_ns > k.close_time_ns;
            k
        })
        .collect();
    let keep = all.len().saturating_sub(iv.retention());
    all[keep..].to_vec()
}

/// The 24 h figures a ticker must show at clock `now_ns`, best bid/ask and
/// ts left at their defaults.
pub fn reference_ticker(trades: &[(u64, i64, i64)], now_ns: u64) -> Ticker {
    let now_minute = now_ns / MIN;
    let inside: Vec<&(u64, i64, i64)> = trades
        .iter()
        .filter(|t| t.0 / MIN + 1439 >= now_minute && t.0 / MIN <= now_minute)
        .collect();
    let last = trades.last().map(|t| Ticks::new(t.1));
    let open = inside.first().map(|t| Ticks::new(t.1));
    let change = open.map(|o| Ticks::new(last.unwrap().get() - o.get()));
    let change_pct = change.map(|c| {
        // Half away from zero, as (2n + sign(n) * o) / 2o truncated.
        let (n, o) = (c.get() as i128 * 10_000, open.unwrap().get() as i128);
        Fixed::new(((2 * n + n.signum() * o) / (2 * o)) as i64, 2)
    });
    Ticker {
        open,
        high: inside.iter().map(|t| Ticks::new(t.1)).max(),
        low: inside.iter().map(|t| Ticks::new(t.1)).min(),
        last,
        volume: Lots::new(inside.iter().map(|t| t.2).sum()),
        quote_volume: Units::new(inside.iter().map(|t| t.1 * t.2 * QPTL).sum()),
        change,
        change_pct,
        trades: inside.len() as u64,
        ..Ticker::default()
    }
}

/// `t` without the fields the reference does not compute.
pub fn figures(t: Ticker) -> Ticker {
    Ticker {
        best_bid: None,
        best_ask: None,
        ts_ns: 0,
        ..t
    }
}

// ----------------------------------------------------------------- client

/// What a subscriber keeps: the book rebuilt from one snapshot and the deltas.
#[derive(Clone, Debug, Default)]
pub struct Client {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    pub seq: u64,
}

impl Client {
    pub fn from_snapshot(s: &BookSnapshot) -> Client {
        let mut c = Client {
            seq: s.seq,
            ..Client::default()
        };
        for &(p, q) in &s.bids {
            assert!(q.get() > 0);
            c.bids.insert(p.get(), q.get());
        }
        for &(p, q) in &s.asks {
            assert!(q.get() > 0);
            c.asks.insert(p.get(), q.get());
        }
        c
    }

    /// Applies a delta, refusing a gap, an unsorted side, a repeated level or
    /// a level that does not change.
    pub fn apply(&mut self, d: &BookDelta) -> Result<(), String> {
        if d.prev_seq != self.seq || d.seq != self.seq + 1 {
            return Err(format!(
                "gap: at {} got {}->{}",
                self.seq, d.prev_seq, d.seq
            ));
        }
        if d.bids.is_empty() && d.asks.is_empty() {
            return Err("empty delta".into());
        }
        self.seq = d.seq;
        for (levels, map, bids) in [
            (&d.bids, &mut self.bids, true),
            (&d.asks, &mut self.asks, false),
        ] {
            for w in levels.windows(2) {
                let sorted = if bids {
                    w[0].0 > w[1].0
                } else {
                    w[0].0 < w[1].0
                };
                if !sorted {
                    return Err(format!("levels not best first: {levels:?}"));
                }
            }
            for &(p, q) in levels {
                let before = map.get(&p.get()).copied().unwrap_or(0);
                if before == q.get() {
                    return Err(format!("level {p:?} sent unchanged at {q:?}"));
                }
                if q.get() > 0 {
                    map.insert(p.get(), q.get());
                } else {
                    map.remove(&p.get());
                }
            }
        }
        Ok(())
    }

    pub fn l2(&self) -> L2Book {
        L2Book {
            bids: self
                .bids
                .iter()
                .rev()
                .map(|(&p, &q)| (Ticks::new(p), Lots::new(q)))
                .collect(),
            asks: self
                .asks
                .iter()
                .map(|(&p, &q)| (Ticks::new(p), Lots::new(q)))
                .collect(),
        }
    }
}
