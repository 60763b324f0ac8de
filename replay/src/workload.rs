//! Synthetic journals for the tests and the benchmark.
//!
//! What it owns: [`Workload`], a deterministic stream of commands (seq 1, 2,
//! 3, … with timestamps one microsecond apart) of the `mix` kind, and
//! [`write_journal`], which journals such a stream. The stream is:
//! - setup: assets `BTC` (scale 8) and `USD` (scale 6), the symbol
//!   `BTC-USD` (tick 0.01, lot 0.001), users `1..=users`, each funded far
//!   beyond anything it can lock;
//! - pre-fill: passive GTC limit orders on both sides of a centre price;
//! - then the mix: place (passive and aggressive GTC, IOC, FOK, market,
//!   post-only, iceberg, stop-limit), cancel (by order id or client order
//!   id), amend (price moves around the centre, some size changes), a few
//!   cancels of unknown orders and `cancel_all`s, while the centre drifts.
//!   Cancels and amends target orders that are resting: the generator runs
//!   its own engine alongside and follows the reports.
//!
//! The same parameters always give the same commands (the PRNG, SplitMix64,
//! is written out here). What it must never do: read a clock or any
//! randomness but its seed, or be used for anything but synthetic data.

use engine::{
    ClOrdId, Command, CommandKind, Engine, EngineLimits, Event, ExecReport, Fixed, KeyHash, Name,
    OrderId, OrderRef, OrderStatus, OrderType, Place, Role, Side, Stp, SymbolSpec, Tif, TxId,
    UserId,
};
use journal::{Journal, JournalConfig, JournalError};
use std::collections::HashMap;
use std::path::Path;

pub use crate::rng::SplitMix64;

/// What shapes a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadParams {
    pub seed: u64,
    /// Total commands, setup included.
    pub cmds: u64,
    pub users: u64,
    /// Passive orders placed before the mix starts.
    pub prefill: u64,
}

impl WorkloadParams {
    /// A few users and a shallow book: for tests of a few hundred commands.
    pub fn small(seed: u64, cmds: u64) -> Self {
        WorkloadParams {
            seed,
            cmds,
            users: 6,
            prefill: 40,
        }
    }

    /// The benchmark's `mix`: a thousand users, a thousand resting orders.
    pub fn mix(seed: u64, cmds: u64) -> Self {
        WorkloadParams {
            seed,
            cmds,
            users: 1_000,
            prefill: 1_000,
        }
    }
}

pub const SYMBOL: &str = "BTC-USD";
/// Timestamp of seq 0; each command is one microsecond later.
pub const TS_START_NS: u64 = 1_700_000_000_000_000_000;
const TS_STEP_NS: u64 = 1_000;
/// Centre price in ticks of 0.01 (30 000.00).
const CENTER: i64 = 3_000_000;
/// Passive orders rest within this many ticks of the centre.
const HALF_WIDTH: u64 = 300;

fn name(s: &str) -> Name {
    Name::new(s).expect("a valid name")
}

/// Decimals as the gateway makes them: normalised (`30001`, not `30001.00`),
/// so that a command survives `dump` and `decode_command_json` byte for byte.
fn price(ticks: i64) -> Fixed {
    Fixed::new(ticks, 2).normalized()
}

fn lots(n: i64) -> Fixed {
    Fixed::new(n, 3).normalized()
}

#[derive(Clone, Copy)]
struct Resting {
    id: OrderId,
    user: UserId,
    side: Side,
    clid: Option<ClOrdId>,
}

/// The command stream (an iterator of [`Command`]).
pub struct Workload {
    p: WorkloadParams,
    rng: SplitMix64,
    seq: u64,
    setup: std::vec::IntoIter<CommandKind>,
    prefill_left: u64,
    center: i64,
    next_clid: u64,
    shadow: Engine,
    events: Vec<Event>,
    resting: Vec<Resting>,
    index: HashMap<OrderId, usize>,
}

impl Workload {
    pub fn new(p: WorkloadParams) -> Workload {
        let mut setup = vec![
            CommandKind::AddAsset {
                asset: name("BTC"),
                scale: 8,
            },
            CommandKind::AddAsset {
                asset: name("USD"),
                scale: 6,
            },
            CommandKind::AddSymbol(SymbolSpec {
                symbol: name(SYMBOL),
                base: name("BTC"),
                quote: name("USD"),
                tick_size: Fixed::new(1, 2),
                lot_size: Fixed::new(1, 3),
                min_qty: Fixed::new(1, 3),
                maker_fee_bps: 1,
                taker_fee_bps: 2,
                price_band_pct: None,
            }),
        ];
        for user in 1..=p.users {
            setup.push(CommandKind::AddUser {
                user,
                key_hash: KeyHash::of_key(&format!("k-{user}")),
                role: Role::Trader,
            });
        }
        for user in 1..=p.users {
            for (asset, amount) in [("USD", 1_000_000_000), ("BTC", 1_000_000)] {
                setup.push(CommandKind::Deposit {
                    user,
                    asset: name(asset),
                    amount: Fixed::new(amount, 0),
                    tx_id: TxId::new(&format!("d-{user}-{asset}")).expect("a valid tx id"),
                });
            }
        }
        Workload {
            rng: SplitMix64::new(p.seed),
            seq: 0,
            setup: setup.into_iter(),
            prefill_left: p.prefill,
            center: CENTER,
            next_clid: 1,
            shadow: Engine::new(EngineLimits::default()),
            events: Vec::with_capacity(256),
            resting: Vec::new(),
            index: HashMap::new(),
            p,
        }
    }

    /// The generator's own engine, having applied every command handed out.
    pub fn engine(&self) -> &Engine {
        &self.shadow
    }

    fn user(&mut self) -> UserId {
        1 + self.rng.below(self.p.users.max(1))
    }

    fn side(&mut self) -> Side {
        if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    /// `1 + r³` lots, r uniform in 1..=6.
    fn size(&mut self) -> i64 {
        let r = 1 + self.rng.below(6) as i64;
        1 + r * r * r
    }

    /// A price that rests on `side`: 1..=HALF_WIDTH ticks away from the centre.
    fn passive_price(&mut self, side: Side) -> i64 {
        let d = 1 + self.rng.below(HALF_WIDTH) as i64;
        match side {
            Side::Buy => self.center - d,
            Side::Sell => self.center + d,
        }
    }

    /// A price `d` ticks through the centre on `side`.
    fn through(&self, side: Side, d: i64) -> i64 {
        match side {
            Side::Buy => self.center + d,
            Side::Sell => self.center - d,
        }
    }

    fn clid(&mut self) -> Option<ClOrdId> {
        if self.rng.below(10) == 0 {
            let c = ClOrdId::new(&format!("c{}", self.next_clid));
            self.next_clid += 1;
            c
        } else {
            None
        }
    }

    /// A place of `1 + r³` lots (see [`Workload::size`]).
    fn place(&mut self, side: Side, order_type: OrderType, tif: Tif, px: Option<i64>) -> Place {
        let qty = self.size();
        self.place_lots(side, order_type, tif, px, qty)
    }

    fn place_lots(
        &mut self,
        side: Side,
        order_type: OrderType,
        tif: Tif,
        px: Option<i64>,
        qty: i64,
    ) -> Place {
        let user = self.user();
        let client_order_id = self.clid();
        Place {
            user,
            symbol: name(SYMBOL),
            side,
            order_type,
            tif,
            price: px.map(price),
            qty: lots(qty),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id,
        }
    }

    fn passive(&mut self) -> CommandKind {
        let side = self.side();
        let px = self.passive_price(side);
        let qty = self.size();
        let mut p = self.place_lots(side, OrderType::Limit, Tif::Gtc, Some(px), qty);
        match self.rng.below(50) {
            0 => p.post_only = true,
            1 => p.display_qty = Some(lots(qty / 2)),
            2 => p.stp = Stp::CancelTaker,
            _ => {}
        }
        CommandKind::Place(p)
    }

    fn target(&self, r: Resting) -> OrderRef {
        match r.clid {
            Some(c) => OrderRef::Client(c),
            None => OrderRef::Id(r.id),
        }
    }

    fn mixed(&mut self) -> CommandKind {
        if self.rng.below(50) == 0 {
            self.center += if self.rng.below(2) == 0 { 1 } else { -1 };
        }
        let n = self.resting.len() as u64;
        let target = self.p.prefill.max(10);
        let x = self.rng.below(1000);
        if n == 0 || (n < target * 9 / 10 && x < 300) {
            return self.passive();
        }
        let pick = self.resting[self.rng.below(n) as usize];
        match x {
            0..=59 => CommandKind::Cancel {
                user: pick.user,
                symbol: name(SYMBOL),
                target: self.target(pick),
            },
            60..=459 => {
                let px = if self.rng.below(100) == 0 {
                    let d = self.rng.below(3) as i64;
                    self.through(pick.side, d)
                } else {
                    self.passive_price(pick.side)
                };
                let qty = (self.rng.below(20) == 0).then(|| lots(self.size() + 8));
                CommandKind::Amend {
                    user: pick.user,
                    symbol: name(SYMBOL),
                    target: self.target(pick),
                    price: Some(price(px)),
                    qty,
                }
            }
            460..=759 => {
                if n > target * 2 {
                    CommandKind::Cancel {
                        user: pick.user,
                        symbol: name(SYMBOL),
                        target: self.target(pick),
                    }
                } else {
                    self.passive()
                }
            }
            760..=859 => {
                let side = self.side();
                let d = self.rng.below(3) as i64;
                let px = self.through(side, d);
                CommandKind::Place(self.place(side, OrderType::Limit, Tif::Gtc, Some(px)))
            }
            860..=939 => {
                let side = self.side();
                let px = self.through(side, 1);
                CommandKind::Place(self.place(side, OrderType::Limit, Tif::Ioc, Some(px)))
            }
            940..=959 => {
                let side = self.side();
                let px = self.through(side, 2);
                CommandKind::Place(self.place(side, OrderType::Limit, Tif::Fok, Some(px)))
            }
            960..=984 => {
                let side = self.side();
                let qty = 1 + self.rng.below(8) as i64;
                CommandKind::Place(self.place_lots(side, OrderType::Market, Tif::Ioc, None, qty))
            }
            985..=994 => {
                let side = self.side();
                let trigger = self.through(side, 20);
                let mut p = self.place(
                    side,
                    OrderType::StopLimit,
                    Tif::Gtc,
                    Some(self.through(side, 22)),
                );
                p.stop_price = Some(price(trigger));
                CommandKind::Place(p)
            }
            995..=998 => CommandKind::Cancel {
                user: self.user(),
                symbol: name(SYMBOL),
                target: OrderRef::Id(u64::MAX - self.rng.below(1000)),
            },
            _ => CommandKind::CancelAll {
                user: self.user(),
                symbol: Some(name(SYMBOL)),
            },
        }
    }

    fn track(&mut self, r: &ExecReport) {
        let open = matches!(r.status, OrderStatus::New | OrderStatus::PartiallyFilled)
            && r.order_type == OrderType::Limit
            && r.tif == Tif::Gtc;
        if open {
            if !self.index.contains_key(&r.order_id) {
                self.index.insert(r.order_id, self.resting.len());
                self.resting.push(Resting {
                    id: r.order_id,
                    user: r.user,
                    side: r.side,
                    clid: r.client_order_id,
                });
            }
        } else if matches!(
            r.status,
            OrderStatus::Filled | OrderStatus::Canceled | OrderStatus::Rejected
        ) {
            if let Some(i) = self.index.remove(&r.order_id) {
                self.resting.swap_remove(i);
                if let Some(moved) = self.resting.get(i) {
                    self.index.insert(moved.id, i);
                }
            }
        }
    }
}

impl Iterator for Workload {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        if self.seq >= self.p.cmds {
            return None;
        }
        let kind = match self.setup.next() {
            Some(k) => k,
            None if self.prefill_left > 0 => {
                self.prefill_left -= 1;
                let side = if self.prefill_left & 1 == 0 {
                    Side::Buy
                } else {
                    Side::Sell
                };
                let px = self.passive_price(side);
                CommandKind::Place(self.place(side, OrderType::Limit, Tif::Gtc, Some(px)))
            }
            None => self.mixed(),
        };
        self.seq += 1;
        let cmd = Command {
            seq: self.seq,
            ts_ns: TS_START_NS + self.seq * TS_STEP_NS,
            kind,
        };
        self.events.clear();
        let mut events = std::mem::take(&mut self.events);
        self.shadow
            .apply(&cmd, &mut events)
            .expect("the generator's commands are in sequence");
        for ev in &events {
            if let Event::Execution(r) = ev {
                self.track(r);
            }
        }
        self.events = events;
        Some(cmd)
    }
}

/// Journals `cmds` into data directory `dir` with `segment_bytes` segments
/// (`None`: the default), returning the last sequence number written.
pub fn write_journal(
    dir: &Path,
    cmds: impl IntoIterator<Item = Command>,
    segment_bytes: Option<u64>,
) -> Result<u64, JournalError> {
    let mut cfg = JournalConfig::new(dir);
    if let Some(b) = segment_bytes {
        cfg.segment_bytes = b;
    }
    let (mut w, _) = Journal::open(cfg)?;
    for (i, cmd) in cmds.into_iter().enumerate() {
        w.append(&cmd)?;
        if i % 4096 == 4095 {
            w.flush_batch()?;
        }
    }
    w.flush_batch()?;
    let last = w.last_seq();
    w.close()?;
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_deterministic_and_exercises_the_engine() {
        let a: Vec<Command> = Workload::new(WorkloadParams::small(7, 600)).collect();
        let b: Vec<Command> = Workload::new(WorkloadParams::small(7, 600)).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 600);
        let mut w = Workload::new(WorkloadParams::small(7, 600));
        let mut trades = 0;
        let mut unknown = 0;
        let mut events = Vec::new();
        let mut e = Engine::new(EngineLimits::default());
        for cmd in w.by_ref() {
            events.clear();
            e.apply(&cmd, &mut events).unwrap();
            for ev in &events {
                match ev {
                    Event::Execution(r) if r.fill.is_some() => trades += 1,
                    Event::Reject { .. } => unknown += 1,
                    _ => {}
                }
            }
        }
        e.check_invariants().unwrap();
        assert_eq!(e.state_hash(), w.engine().state_hash());
        assert!(trades > 20, "{trades} trades");
        assert!(unknown < 30, "{unknown} rejected cancels/amends");
        assert!(w.resting.len() > 10, "{} resting", w.resting.len());
    }
}
