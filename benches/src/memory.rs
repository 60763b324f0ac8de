//! The memory benchmark: resident bytes per resting order.
//!
//! One engine (no pipeline, no journal) gets assets, symbols and funded
//! users, then `N` GTC limit orders that never cross: bids below and asks
//! above each symbol's centre, spread uniformly over `levels` price levels
//! per side, round-robin over symbols and users, sizes 1..=10 lots. The
//! process's resident set (`VmRSS` in `/proc/self/status`) is read after the
//! setup and again after the `N` places; the difference over `N` is the cost
//! of one resting order, with its share of price levels, per-user lists and
//! whatever the engine's containers keep in reserve (a `Vec` that doubled is
//! counted as far as its pages were touched).
//!
//! What holds: the orders are a pure function of the options (SplitMix64);
//! every place must be accepted and rest (a reject, a trade or an engine
//! error fails the run, so the number is never one of a half-empty book).
//! Commands are generated one at a time, so the measured growth is the
//! engine's alone. Run each size in a fresh process (the binary does) so
//! memory freed by an earlier run cannot be reused and hide growth.
//!
//! What it must never do: report a number on a system without
//! `/proc/self/status` (Linux); it says so instead.

use crate::results::{unix_s, ResultsWriter};
use engine::{
    Command, CommandKind, Engine, EngineLimits, Event, ExecType, Fixed, KeyHash, Name, OrderType,
    Place, Role, Side, Stp, SymbolSpec, Tif, TxId,
};
use replay::rng::SplitMix64;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// The results file name (`<results dir>/memory.jsonl`).
pub const BENCH: &str = "memory";

#[derive(Clone, Debug)]
pub struct Options {
    /// Resting orders to place.
    pub orders: u64,
    pub symbols: u32,
    /// Price levels per side of each symbol.
    pub levels: u32,
    pub users: u64,
    pub seed: u64,
    /// Append results under this directory; `None`: stdout only.
    pub results_dir: Option<PathBuf>,
}

impl Options {
    pub fn new(orders: u64) -> Options {
        Options {
            orders,
            symbols: 8,
            levels: 10_000,
            users: 1_000,
            seed: 1,
            results_dir: None,
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryResult {
    pub orders: u64,
    pub rss_before_bytes: u64,
    pub rss_after_bytes: u64,
    /// Peak resident set of the process (`VmHWM`).
    pub hwm_bytes: u64,
    pub place_secs: f64,
}

impl MemoryResult {
    pub fn bytes_per_order(&self) -> f64 {
        self.rss_after_bytes.saturating_sub(self.rss_before_bytes) as f64
            / self.orders.max(1) as f64
    }
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
pub fn proc_status_bytes(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

const CENTRE_TICKS: i64 = 5_000_000; // 50,000.00 at tick 0.01
const TS_START_NS: u64 = 1_700_000_000_000_000_000;

struct Feed {
    engine: Engine,
    events: Vec<Event>,
    seq: u64,
}

impl Feed {
    fn apply(&mut self, kind: CommandKind) -> Result<(), String> {
        self.seq += 1;
        let cmd = Command {
            seq: self.seq,
            ts_ns: TS_START_NS + self.seq,
            kind,
        };
        self.events.clear();
        self.engine
            .apply(&cmd, &mut self.events)
            .map_err(|e| format!("seq {}: {e}", cmd.seq))?;
        for e in &self.events {
            let bad = match e {
                Event::Execution(r) => r.exec_type != ExecType::New,
                Event::Admin { ok, .. } => !ok,
                Event::Reject { .. } | Event::CancelAll { .. } => true,
                Event::Level { .. } => false,
            };
            if bad {
                return Err(format!(
                    "seq {} ({}) did not rest or was refused: {e:?}",
                    cmd.seq,
                    cmd.kind.op_name()
                ));
            }
        }
        Ok(())
    }
}

fn name(s: &str) -> Name {
    Name::new(s).expect("benchmark names are valid")
}

/// Builds the engine, measures, and returns what it saw (no output).
pub fn measure(o: &Options) -> Result<MemoryResult, String> {
    if proc_status_bytes("VmRSS").is_none() {
        return Err("no /proc/self/status: resident memory cannot be read here".into());
    }
    let symbols = o.symbols.max(1);
    let levels = o.levels.max(1) as u64;
    let users = o.users.max(1);
    let mut f = Feed {
        engine: Engine::new(EngineLimits::default()),
        events: Vec::with_capacity(64),
        seq: 0,
    };
    let quote = name("USDT");
    f.apply(CommandKind::AddAsset {
        asset: quote,
        scale: 6,
    })?;
    let mut syms = Vec::new();
    for s in 0..symbols {
        let base = name(&format!("M{s}"));
        f.apply(CommandKind::AddAsset {
            asset: base,
            scale: 8,
        })?;
        let symbol = name(&format!("M{s}-USDT"));
        f.apply(CommandKind::AddSymbol(SymbolSpec {
            symbol,
            base,
            quote,
            tick_size: Fixed::new(1, 2),
            lot_size: Fixed::new(1, 3),
            min_qty: Fixed::new(1, 3),
            maker_fee_bps: 1,
            taker_fee_bps: 2,
            price_band_pct: None,
        }))?;
        syms.push((symbol, base));
    }
    // Enough for any size: a buy locks at most 10 lots * 50,000 = 500 USDT,
    // a sell 0.01 of the base; totals stay far inside an i64 of units.
    let per_user = o.orders.div_ceil(users) + 1;
    let usdt = (per_user * 600).max(1_000);
    let base_amount = (per_user / 50).max(10);
    for u in 1..=users {
        f.apply(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&format!("memory-bench-{u}")),
            role: Role::Trader,
        })?;
        let tx = |a: &str| TxId::new(&format!("m-{u}-{a}")).expect("tx id");
        f.apply(CommandKind::Deposit {
            user: u,
            asset: quote,
            amount: Fixed::new(usdt as i64, 0),
            tx_id: tx("q"),
        })?;
        for (i, (_, base)) in syms.iter().enumerate() {
            f.apply(CommandKind::Deposit {
                user: u,
                asset: *base,
                amount: Fixed::new(base_amount as i64, 0),
                tx_id: tx(&i.to_string()),
            })?;
        }
    }
    let rss_before = proc_status_bytes("VmRSS").unwrap_or(0);
    let mut rng = SplitMix64::new(o.seed);
    let t0 = Instant::now();
    for k in 0..o.orders {
        let (symbol, _) = syms[(k % symbols as u64) as usize];
        let user = 1 + (k / symbols as u64) % users;
        let side = if rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let depth = rng.below(levels) as i64;
        let ticks = match side {
            Side::Buy => CENTRE_TICKS - 1 - depth,
            Side::Sell => CENTRE_TICKS + 1 + depth,
        };
        let lots = 1 + rng.below(10) as i64;
        f.apply(CommandKind::Place(Place {
            user,
            symbol,
            side,
            order_type: OrderType::Limit,
            tif: Tif::Gtc,
            price: Some(Fixed::new(ticks, 2)),
            qty: Fixed::new(lots, 3),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: None,
        }))?;
    }
    let place_secs = t0.elapsed().as_secs_f64();
    let rss_after = proc_status_bytes("VmRSS").unwrap_or(0);
    let hwm = proc_status_bytes("VmHWM").unwrap_or(0);
    // Keep the engine alive until after the reading.
    drop(f);
    Ok(MemoryResult {
        orders: o.orders,
        rss_before_bytes: rss_before,
        rss_after_bytes: rss_after,
        hwm_bytes: hwm,
        place_secs,
    })
}

/// The JSON line of a result.
pub fn line(o: &Options, r: &MemoryResult) -> Value {
    json!({
        "bench": BENCH,
        "orders": r.orders,
        "bytes_per_order": (r.bytes_per_order() * 10.0).round() / 10.0,
        "rss_before_bytes": r.rss_before_bytes,
        "rss_after_bytes": r.rss_after_bytes,
        "rss_growth_bytes": r.rss_after_bytes.saturating_sub(r.rss_before_bytes),
        "hwm_bytes": r.hwm_bytes,
        "symbols": o.symbols.max(1),
        "levels_per_side": o.levels.max(1),
        "users": o.users.max(1),
        "place_secs": (r.place_secs * 1e6).round() / 1e6,
        "places_per_s": if r.place_secs > 0.0 { (r.orders as f64 / r.place_secs).round() } else { 0.0 },
        "seed": o.seed,
        "unix_s": unix_s(),
        "loadavg_1m": crate::latency::loadavg_1m(),
    })
}

/// Measures `o.orders` in this process, prints and appends the line.
pub fn run(o: &Options) -> Result<Value, String> {
    let mut w = match &o.results_dir {
        Some(d) => ResultsWriter::open(d, BENCH).map_err(|e| format!("{}: {e}", d.display()))?,
        None => ResultsWriter::stdout_only(),
    };
    eprintln!(
        "memory: placing {} resting orders over {} symbols x 2 x {} levels",
        o.orders, o.symbols, o.levels
    );
    let r = measure(o)?;
    let v = line(o, &r);
    w.line(&v).map_err(|e| e.to_string())?;
    Ok(v)
}
