//! Building a flow command by command, with the reference model alongside.
//!
//! What holds: every command a generator emits goes through [`FlowBuilder`],
//! which gives it the next `seq` (contiguous from 1) and a timestamp that
//! never goes backwards, puts it in the setup or the measured part, predicts
//! the order id of each place (1, 2, 3, … over all symbols, rejected places
//! included) and applies it to the [`RefModel`], counting what the measured
//! part is expected to do ([`FlowStats`]). Once a measured-command limit is
//! reached, further commands are dropped and touch neither the model nor the
//! id counter, so a truncated flow is still exactly what its model says.

use super::refbook::{Outcome, RefModel, RefReject};
use crate::flowfile::Flow;
use engine::{
    Command, CommandKind, Fixed, KeyHash, Name, OrderId, OrderRef, OrderType, Place, Role, Side,
    Stp, SymbolSpec, Tif, TxId, UserId,
};
use serde_json::{json, Value};

/// A symbol as the generators define it.
#[derive(Copy, Clone, Debug)]
pub struct SymbolDef {
    pub name: Name,
    pub base: Name,
    pub quote: Name,
    pub tick: Fixed,
    pub lot: Fixed,
}

/// What the measured part of a flow is expected to do, from the model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub setup_cmds: u64,
    pub measured_cmds: u64,
    pub places_gtc: u64,
    pub places_ioc: u64,
    pub places_market: u64,
    pub cancels: u64,
    pub amends: u64,
    pub halts: u64,
    pub resumes: u64,
    /// Measured commands that cause at least one trade.
    pub commands_trading: u64,
    /// Maker/taker matches (one ringex `trade_id` each).
    pub trades: u64,
    /// Cancels and amends naming an order that no longer rests.
    pub unknown_order: u64,
    /// Amends to a total not above the filled part.
    pub invalid_qty: u64,
    /// Places and amends refused because the symbol is halted.
    pub market_halted: u64,
    /// Live orders after the setup, and at the end.
    pub resting_after_setup: u64,
    pub resting_end: u64,
    /// Counters specific to one mapping (e.g. skipped feed messages).
    pub notes: Vec<(&'static str, u64)>,
}

impl FlowStats {
    pub fn trading_fraction(&self) -> f64 {
        ratio(self.commands_trading, self.measured_cmds)
    }

    /// Unknown-order rejects among cancels and amends.
    pub fn unknown_fraction(&self) -> f64 {
        ratio(self.unknown_order, self.cancels + self.amends)
    }

    pub fn note(&mut self, key: &'static str, by: u64) {
        match self.notes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v += by,
            None => self.notes.push((key, by)),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "setup_cmds": self.setup_cmds,
            "measured_cmds": self.measured_cmds,
            "places_gtc": self.places_gtc,
            "places_ioc": self.places_ioc,
            "places_market": self.places_market,
            "cancels": self.cancels,
            "amends": self.amends,
            "halts": self.halts,
            "resumes": self.resumes,
            "commands_trading": self.commands_trading,
            "trading_fraction": round6(self.trading_fraction()),
            "trades": self.trades,
            "unknown_order": self.unknown_order,
            "unknown_order_fraction": round6(self.unknown_fraction()),
            "invalid_qty": self.invalid_qty,
            "market_halted": self.market_halted,
            "resting_after_setup": self.resting_after_setup,
            "resting_end": self.resting_end,
        });
        for (k, n) in &self.notes {
            v[*k] = json!(n);
        }
        v
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Emits commands into a [`Flow`] and keeps the model in step.
pub struct FlowBuilder {
    name: String,
    seed: u64,
    seq: u64,
    ts_ns: u64,
    setup: Vec<Command>,
    measured: Vec<Command>,
    measuring: bool,
    measured_max: u64,
    symbols: Vec<SymbolDef>,
    pub model: RefModel,
    pub stats: FlowStats,
}

/// `unit * n` as an exact decimal.
pub fn fixed_times(unit: Fixed, n: i64) -> Fixed {
    let m = unit
        .mantissa
        .checked_mul(n)
        .expect("flow values fit an i64 mantissa");
    Fixed::new(m, unit.scale)
}

impl FlowBuilder {
    pub fn new(name: &str, seed: u64, ts_start_ns: u64) -> Self {
        FlowBuilder {
            name: name.to_string(),
            seed,
            seq: 0,
            ts_ns: ts_start_ns,
            setup: Vec::new(),
            measured: Vec::new(),
            measuring: false,
            measured_max: u64::MAX,
            symbols: Vec::new(),
            model: RefModel::new(),
            stats: FlowStats::default(),
        }
    }

    /// Stops emitting after `n` measured commands.
    pub fn limit_measured(&mut self, n: u64) {
        self.measured_max = n;
        self.measured.reserve(n.min(10_000_000) as usize);
    }

    /// Everything from now on is measured.
    pub fn start_measured(&mut self) {
        self.measuring = true;
        self.stats.resting_after_setup = self.model.resting_total();
    }

    pub fn is_full(&self) -> bool {
        self.measuring && self.measured.len() as u64 >= self.measured_max
    }

    pub fn measured_len(&self) -> u64 {
        self.measured.len() as u64
    }

    /// Moves the clock to `ts_ns` unless that would go backwards.
    pub fn set_time(&mut self, ts_ns: u64) {
        self.ts_ns = self.ts_ns.max(ts_ns);
    }

    pub fn advance(&mut self, dt_ns: u64) {
        self.ts_ns += dt_ns;
    }

    pub fn symbol(&self, index: u32) -> &SymbolDef {
        &self.symbols[index as usize]
    }

    fn push(&mut self, kind: CommandKind) -> bool {
        if self.is_full() {
            return false;
        }
        self.seq += 1;
        let cmd = Command {
            seq: self.seq,
            ts_ns: self.ts_ns,
            kind,
        };
        if self.measuring {
            self.measured.push(cmd);
        } else {
            self.setup.push(cmd);
        }
        true
    }

    fn count(&mut self, outcome: Outcome) {
        if !self.measuring {
            return;
        }
        if outcome.trades > 0 {
            self.stats.commands_trading += 1;
            self.stats.trades += outcome.trades as u64;
        }
        match outcome.reject {
            None => {}
            Some(RefReject::UnknownOrder) => self.stats.unknown_order += 1,
            Some(RefReject::InvalidQty) => self.stats.invalid_qty += 1,
            Some(RefReject::MarketHalted) => self.stats.market_halted += 1,
        }
    }

    pub fn add_asset(&mut self, asset: &str, scale: u8) {
        let asset = Name::new(asset).expect("asset name");
        self.push(CommandKind::AddAsset { asset, scale });
    }

    /// Adds a symbol (no price band, `min_qty` one lot, maker 1 bp, taker 2 bp).
    pub fn add_symbol(&mut self, def: SymbolDef) -> u32 {
        self.push(CommandKind::AddSymbol(SymbolSpec {
            symbol: def.name,
            base: def.base,
            quote: def.quote,
            tick_size: def.tick,
            lot_size: def.lot,
            min_qty: def.lot,
            maker_fee_bps: 1,
            taker_fee_bps: 2,
            price_band_pct: None,
        }));
        self.symbols.push(def);
        self.model.add_symbol()
    }

    pub fn add_user(&mut self, user: UserId) {
        let key_hash = KeyHash::of_key(&format!("bench-key-{user}"));
        self.push(CommandKind::AddUser {
            user,
            key_hash,
            role: Role::Trader,
        });
    }

    pub fn deposit(&mut self, user: UserId, asset: Name, amount: Fixed) {
        let tx_id = TxId::new(&format!("bench-dep-{}", self.seq + 1)).expect("tx id");
        self.push(CommandKind::Deposit {
            user,
            asset,
            amount,
            tx_id,
        });
    }

    pub fn halt(&mut self, symbol: u32) {
        let name = self.symbols[symbol as usize].name;
        if self.push(CommandKind::Halt { symbol: name }) {
            self.model.set_halted(symbol, true);
            if self.measuring {
                self.stats.halts += 1;
            }
        }
    }

    pub fn resume(&mut self, symbol: u32) {
        let name = self.symbols[symbol as usize].name;
        if self.push(CommandKind::Resume { symbol: name }) {
            self.model.set_halted(symbol, false);
            if self.measuring {
                self.stats.resumes += 1;
            }
        }
    }

    /// A limit (`price: Some`) or market (`price: None`) order. Returns the
    /// id ringex will give it and what the model expects, or `None` when the
    /// flow is full.
    pub fn place(
        &mut self,
        user: UserId,
        symbol: u32,
        side: Side,
        tif: Tif,
        price: Option<i64>,
        qty: i64,
    ) -> Option<(OrderId, Outcome)> {
        let def = self.symbols[symbol as usize];
        let order_type = if price.is_some() {
            OrderType::Limit
        } else {
            OrderType::Market
        };
        let place = Place {
            user,
            symbol: def.name,
            side,
            order_type,
            tif,
            price: price.map(|p| fixed_times(def.tick, p)),
            qty: fixed_times(def.lot, qty),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: None,
        };
        if !self.push(CommandKind::Place(place)) {
            return None;
        }
        let id = self.model.next_order_id();
        let outcome = self.model.place(id, symbol, user, side, tif, price, qty);
        if self.measuring {
            match (price, tif) {
                (None, _) => self.stats.places_market += 1,
                (Some(_), Tif::Gtc) => self.stats.places_gtc += 1,
                (Some(_), _) => self.stats.places_ioc += 1,
            }
        }
        self.count(outcome);
        Some((id, outcome))
    }

    pub fn cancel(&mut self, user: UserId, symbol: u32, id: OrderId) -> Option<Outcome> {
        let name = self.symbols[symbol as usize].name;
        if !self.push(CommandKind::Cancel {
            user,
            symbol: name,
            target: OrderRef::Id(id),
        }) {
            return None;
        }
        let outcome = self.model.cancel(symbol, user, id);
        if self.measuring {
            self.stats.cancels += 1;
        }
        self.count(outcome);
        Some(outcome)
    }

    /// New price (ticks) and/or new total quantity (lots, filled part included).
    pub fn amend(
        &mut self,
        user: UserId,
        symbol: u32,
        id: OrderId,
        price: Option<i64>,
        qty: Option<i64>,
    ) -> Option<Outcome> {
        let def = self.symbols[symbol as usize];
        let kind = CommandKind::Amend {
            user,
            symbol: def.name,
            target: OrderRef::Id(id),
            price: price.map(|p| fixed_times(def.tick, p)),
            qty: qty.map(|q| fixed_times(def.lot, q)),
        };
        if !self.push(kind) {
            return None;
        }
        let outcome = self.model.amend(symbol, user, id, price, qty);
        if self.measuring {
            self.stats.amends += 1;
        }
        self.count(outcome);
        Some(outcome)
    }

    /// The flow and what its measured part is expected to do.
    pub fn finish(mut self) -> (Flow, FlowStats) {
        if !self.measuring {
            self.start_measured();
        }
        self.stats.setup_cmds = self.setup.len() as u64;
        self.stats.measured_cmds = self.measured.len() as u64;
        self.stats.resting_end = self.model.resting_total();
        let flow = Flow {
            name: self.name,
            seed: self.seed,
            setup: self.setup,
            measured: self.measured,
        };
        debug_assert!(flow.check().is_ok());
        (flow, self.stats)
    }
}
