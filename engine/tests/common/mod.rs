//! A small driver for engine tests: decimal strings in, events out, and the
//! invariants checked after every command.
#![allow(dead_code)]

use engine::*;

pub fn fx(s: &str) -> Fixed {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let m: i64 = format!("{int}{frac}").parse().expect("decimal");
    Fixed::new(m, frac.len() as u8)
}

pub fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

pub struct Sim {
    pub e: Engine,
    pub seq: u64,
    pub ts: u64,
    pub events: Vec<Event>,
}

pub const SYM: &str = "BTC-USD";

/// (price, quantity) per level as decimal strings, best first.
pub type Levels = Vec<(String, String)>;

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    pub fn new() -> Sim {
        Sim {
            e: Engine::new(EngineLimits::default()),
            seq: 0,
            ts: 1_700_000_000_000_000_000,
            events: Vec::new(),
        }
    }

    /// BTC (scale 8) / USD (scale 6), tick 0.01, lot 0.0001, fees 10/20 bps, optional band,
    /// users 1..=n each with 100000 USD and 10 BTC.
    pub fn standard(users: u64, band: Option<&str>) -> Sim {
        let mut s = Sim::new();
        s.cmd(CommandKind::AddAsset {
            asset: name("BTC"),
            scale: 8,
        });
        s.cmd(CommandKind::AddAsset {
            asset: name("USD"),
            scale: 6,
        });
        s.add_symbol(SYM, band);
        for u in 1..=users {
            s.add_user(u);
            s.deposit(u, "USD", "100000");
            s.deposit(u, "BTC", "10");
        }
        s
    }

    pub fn add_symbol(&mut self, sym: &str, band: Option<&str>) {
        let ev = self.cmd(CommandKind::AddSymbol(SymbolSpec {
            symbol: name(sym),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx("0.01"),
            lot_size: fx("0.0001"),
            min_qty: fx("0.0001"),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: band.map(fx),
        }));
        assert!(matches!(ev[0], Event::Admin { ok: true, .. }), "{ev:?}");
    }

    pub fn add_user(&mut self, u: u64) {
        let ev = self.cmd(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&format!("k-{u}")),
            role: Role::Trader,
        });
        assert!(matches!(ev[0], Event::Admin { ok: true, .. }));
    }

    pub fn deposit(&mut self, u: u64, asset: &str, amount: &str) {
        let tx = TxId::new(&format!("dep-{}-{}", u, self.seq)).unwrap();
        let ev = self.cmd(CommandKind::Deposit {
            user: u,
            asset: name(asset),
            amount: fx(amount),
            tx_id: tx,
        });
        assert!(matches!(ev[0], Event::Admin { ok: true, .. }), "{ev:?}");
    }

    /// Applies a command; returns its report events (market data left out).
    pub fn cmd(&mut self, kind: CommandKind) -> Vec<Event> {
        self.seq += 1;
        self.ts += 1;
        self.events.clear();
        self.e
            .apply(
                &Command {
                    seq: self.seq,
                    ts_ns: self.ts,
                    kind,
                },
                &mut self.events,
            )
            .unwrap();
        if let Err(e) = self.e.check_invariants() {
            panic!("after {kind:?}: {e}");
        }
        self.events
            .iter()
            .filter(|e| e.is_report())
            .copied()
            .collect()
    }

    pub fn place(&mut self, p: Place) -> Vec<ExecReport> {
        self.cmd(CommandKind::Place(p))
            .into_iter()
            .map(exec)
            .collect()
    }

    pub fn limit(&mut self, user: u64, side: Side, price: &str, qty: &str) -> Vec<ExecReport> {
        self.place(limit(user, side, price, qty))
    }

    pub fn cancel(&mut self, user: u64, id: u64) -> Vec<Event> {
        self.cmd(CommandKind::Cancel {
            user,
            symbol: name(SYM),
            target: OrderRef::Id(id),
        })
    }

    pub fn amend(
        &mut self,
        user: u64,
        id: u64,
        price: Option<&str>,
        qty: Option<&str>,
    ) -> Vec<Event> {
        self.cmd(CommandKind::Amend {
            user,
            symbol: name(SYM),
            target: OrderRef::Id(id),
            price: price.map(fx),
            qty: qty.map(fx),
        })
    }

    pub fn bal(&self, user: u64, asset: &str) -> (String, String) {
        let a = self.e.directory().asset_id(&name(asset)).unwrap();
        let scale = self.e.directory().asset(a).scale;
        let b = self.e.balance(user, a).unwrap();
        (
            units_to_fixed(scale, b.available).to_string(),
            units_to_fixed(scale, b.locked).to_string(),
        )
    }

    pub fn fee(&self, asset: &str) -> String {
        let a = self.e.directory().asset_id(&name(asset)).unwrap();
        let scale = self.e.directory().asset(a).scale;
        units_to_fixed(scale, self.e.fees()[a.0 as usize].1).to_string()
    }

    /// The L2 book as decimal strings, best first.
    pub fn book(&self, sym: &str) -> (Levels, Levels) {
        let d = self.e.directory();
        let id = d.symbol_id(&name(sym)).unwrap();
        let si = d.symbol(id);
        let l2 = self.e.book(id, usize::MAX);
        let f = |v: Vec<(Ticks, Lots)>| {
            v.into_iter()
                .map(|(p, q)| {
                    (
                        si.ticks_to_fixed(p).to_string(),
                        si.lots_to_fixed(q).to_string(),
                    )
                })
                .collect()
        };
        (f(l2.bids), f(l2.asks))
    }
}

pub fn limit(user: u64, side: Side, price: &str, qty: &str) -> Place {
    Place {
        user,
        symbol: name(SYM),
        side,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(fx(price)),
        qty: fx(qty),
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: None,
    }
}

pub fn market(user: u64, side: Side, qty: &str) -> Place {
    Place {
        order_type: OrderType::Market,
        price: None,
        ..limit(user, side, "1", qty)
    }
}

pub fn exec(e: Event) -> ExecReport {
    match e {
        Event::Execution(r) => r,
        other => panic!("expected an execution report, got {other:?}"),
    }
}

/// (exec_type, order_id) of each report, for compact assertions.
pub fn kinds(v: &[ExecReport]) -> Vec<(ExecType, u64)> {
    v.iter().map(|r| (r.exec_type, r.order_id)).collect()
}

pub fn s(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}
