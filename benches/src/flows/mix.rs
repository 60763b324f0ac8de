//! The `mix` and `deep` flows: exchange-core's benchmark mix, generated
//! deterministically from a seed.
//!
//! What holds:
//! - Setup: assets, symbols, users (each funded far beyond anything it can
//!   lock, so the risk check runs on every order and never refuses one), then
//!   the pre-fill: GTC orders on both sides of each symbol's centre price over
//!   `price_slots` slots (bids below, asks above, denser near the centre), so
//!   the pre-fill never trades.
//! - Measured: per command a symbol is drawn by its weight (one symbol for
//!   `mix`; iid Pareto weights, shape 1.5, for `deep`, as exchange-core does),
//!   then 9% GTC, 3% IOC, 6% cancel, 82% move (amend of the price of a resting
//!   order), sizes `1 + r³` lots with r uniform in 1..=6.
//! - Cancel and move targets are drawn among the orders the reference model
//!   says are resting, so none of them is an `unknown_order`; a symbol with
//!   nothing resting gets a passive GTC instead (counted in the notes).
//! - Prices: passive orders go between the current mid and `price_slots / 2`
//!   ticks away, never crossing; an aggressive GTC or a crossing move is priced
//!   0..=2 ticks through the opposite best; an IOC always aims at the opposite
//!   best. The aggressive probabilities are tuned so that about 6% of the
//!   measured commands trade, and lean on the book size so that each book
//!   stays near its pre-fill depth over millions of commands.

use super::builder::{FlowBuilder, FlowStats, SymbolDef};
use crate::flowfile::Flow;
use engine::{Fixed, Name, Side, Tif};
use replay::rng::SplitMix64;

/// What shapes a `mix`-like flow.
#[derive(Clone, Debug, PartialEq)]
pub struct MixParams {
    pub name: &'static str,
    pub seed: u64,
    /// Measured commands.
    pub cmds: u64,
    pub symbols: u32,
    /// Resting orders placed in the setup, over all symbols.
    pub prefill_orders: u64,
    /// Width of the pre-filled price range of a symbol, in ticks.
    pub price_slots: i64,
    pub users: u64,
    /// Shape of the Pareto distribution the symbol weights are drawn from.
    pub pareto_shape: f64,
}

impl MixParams {
    /// exchange-core's single-symbol mix.
    pub fn mix(seed: u64, cmds: u64) -> Self {
        MixParams {
            name: "mix",
            seed,
            cmds,
            symbols: 1,
            prefill_orders: 1_000,
            price_slots: 750,
            users: 1_000,
            pareto_shape: 1.5,
        }
    }

    /// A million resting orders over ten thousand symbols.
    pub fn deep(seed: u64, cmds: u64) -> Self {
        MixParams {
            name: "deep",
            seed,
            cmds,
            symbols: 10_000,
            prefill_orders: 1_000_000,
            price_slots: 750,
            users: 10_000,
            pareto_shape: 1.5,
        }
    }
}

/// Probability that a GTC is aggressive.
const GTC_AGGRESSIVE: f64 = 0.25;
/// Probability that a move crosses the spread.
const MOVE_CROSSES: f64 = 0.008;
/// Below this fraction of its pre-fill depth, a book gets a passive GTC
/// instead of a cancel (as exchange-core's generator refills a thin book).
const REFILL_BELOW: f64 = 0.9;
/// Largest step of a passive move, in ticks.
const MOVE_STEP_MAX: u64 = 5;
/// Base asset count of `deep` (symbols share them round-robin).
const DEEP_BASES: u32 = 10;
/// First timestamp of a generated flow (2023-11-14T22:13:20Z) and the step per command.
pub const TS_START_NS: u64 = 1_700_000_000_000_000_000;
const TS_STEP_NS: u64 = 1_000;

struct SymbolState {
    center: i64,
    /// Expected resting orders (its share of the pre-fill), at least 1.
    target: f64,
}

/// Draws a symbol index by weight (cumulative table, binary search).
struct Weights {
    cumulative: Vec<f64>,
}

impl Weights {
    fn pareto(n: u32, shape: f64, rng: &mut SplitMix64) -> Weights {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|_| {
                let u = 1.0 - rng.unit(); // (0, 1]
                acc += u.powf(-1.0 / shape);
                acc
            })
            .collect();
        Weights { cumulative }
    }

    fn total(&self) -> f64 {
        *self.cumulative.last().unwrap_or(&1.0)
    }

    fn share(&self, i: usize) -> f64 {
        let prev = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        (self.cumulative[i] - prev) / self.total()
    }

    fn draw(&self, rng: &mut SplitMix64) -> u32 {
        if self.cumulative.len() == 1 {
            return 0;
        }
        let x = rng.unit() * self.total();
        let i = self.cumulative.partition_point(|&c| c <= x);
        i.min(self.cumulative.len() - 1) as u32
    }
}

fn size_lots(rng: &mut SplitMix64) -> i64 {
    let r = 1 + rng.below(6) as i64;
    1 + r * r * r
}

fn random_side(rng: &mut SplitMix64) -> Side {
    if rng.below(2) == 0 {
        Side::Buy
    } else {
        Side::Sell
    }
}

struct Gen<'a> {
    p: &'a MixParams,
    rng: SplitMix64,
    b: FlowBuilder,
    syms: Vec<SymbolState>,
}

impl Gen<'_> {
    fn half(&self) -> i64 {
        (self.p.price_slots / 2).max(1)
    }

    fn mid(&self, s: u32) -> i64 {
        match (self.b.model.best_bid(s), self.b.model.best_ask(s)) {
            (Some(b), Some(a)) => (a + b) / 2,
            (Some(b), None) => b,
            (None, Some(a)) => a - 1,
            (None, None) => self.syms[s as usize].center,
        }
    }

    /// Distance from the mid of a passive price: denser near the top.
    fn depth(&mut self) -> i64 {
        let u = self.rng.unit();
        (self.half() as f64 * u * u) as i64
    }

    /// A price that does not cross: bids at or below the mid, asks above it.
    fn passive_price(&mut self, s: u32, side: Side) -> i64 {
        let mid = self.mid(s);
        let k = self.depth();
        match side {
            Side::Buy => (mid - k).max(1),
            Side::Sell => mid + 1 + k,
        }
    }

    /// A price 0..=2 ticks through the opposite best, if there is one.
    fn crossing_price(&mut self, s: u32, side: Side) -> Option<i64> {
        let through = self.rng.below(3) as i64;
        match side {
            Side::Buy => self.b.model.best_ask(s).map(|a| a + through),
            Side::Sell => self.b.model.best_bid(s).map(|b| (b - through).max(1)),
        }
    }

    /// Resting orders of a book relative to its pre-fill depth.
    fn fullness(&self, s: u32) -> f64 {
        self.b.model.resting_len(s) as f64 / self.syms[s as usize].target
    }

    fn user(&mut self) -> u64 {
        1 + self.rng.below(self.p.users)
    }

    fn gtc(&mut self, s: u32, aggressive: bool) {
        let side = random_side(&mut self.rng);
        let price = if aggressive {
            self.crossing_price(s, side)
        } else {
            None
        };
        let price = match price {
            Some(p) => p,
            None => self.passive_price(s, side),
        };
        let (user, qty) = (self.user(), size_lots(&mut self.rng));
        self.b.place(user, s, side, Tif::Gtc, Some(price), qty);
    }

    fn ioc(&mut self, s: u32) {
        let side = random_side(&mut self.rng);
        let price = match self.crossing_price(s, side) {
            Some(p) => p,
            None => self.passive_price(s, side),
        };
        let (user, qty) = (self.user(), size_lots(&mut self.rng));
        self.b.place(user, s, side, Tif::Ioc, Some(price), qty);
    }

    fn pick_resting(&mut self, s: u32) -> Option<(u64, u64, Side, i64)> {
        let n = self.b.model.resting_len(s);
        if n == 0 {
            return None;
        }
        let id = self
            .b
            .model
            .resting_at(s, self.rng.below(n as u64) as usize);
        let o = self.b.model.order(id).expect("resting order is known");
        Some((id, o.user, o.side, o.price))
    }

    fn cancel(&mut self, s: u32) {
        if self.fullness(s) < REFILL_BELOW {
            self.b.stats.note("cancel_as_gtc_refill", 1);
            self.gtc(s, false);
            return;
        }
        match self.pick_resting(s) {
            Some((id, user, _, _)) => {
                self.b.cancel(user, s, id);
            }
            None => {
                self.b.stats.note("cancel_as_gtc_empty_book", 1);
                self.gtc(s, false);
            }
        }
    }

    fn moved_price(&mut self, s: u32, side: Side, price: i64, cross: bool) -> i64 {
        if cross {
            if let Some(p) = self.crossing_price(s, side) {
                return p;
            }
        }
        let (bb, ba) = (self.b.model.best_bid(s), self.b.model.best_ask(s));
        let mid = self.mid(s);
        let far = 2 * self.half();
        let d = 1 + self.rng.below(MOVE_STEP_MAX) as i64;
        let up = self.rng.below(2) == 0;
        let mut p = if up { price + d } else { price - d };
        match side {
            Side::Buy => {
                if p < mid - far {
                    p = price + d;
                }
                if let Some(a) = ba {
                    p = p.min(a - 1);
                }
                if p == price {
                    p = price - 1;
                }
            }
            Side::Sell => {
                if p > mid + far {
                    p = price - d;
                }
                if let Some(b) = bb {
                    p = p.max(b + 1);
                }
                if p == price {
                    p = price + 1;
                }
            }
        }
        p.max(1)
    }

    fn mv(&mut self, s: u32) {
        match self.pick_resting(s) {
            Some((id, user, side, price)) => {
                let cross = self.rng.chance(MOVE_CROSSES);
                let new_price = self.moved_price(s, side, price, cross);
                if new_price == price {
                    // Only possible at price 1 of a bid: nothing to move.
                    self.b.stats.note("move_as_gtc_no_room", 1);
                    self.gtc(s, false);
                } else {
                    self.b.amend(user, s, id, Some(new_price), None);
                }
            }
            None => {
                self.b.stats.note("move_as_gtc_empty_book", 1);
                self.gtc(s, false);
            }
        }
    }
}

/// Generates the flow `p` describes, and what the reference model expects of it.
pub fn generate(p: &MixParams) -> (Flow, FlowStats) {
    let mut rng = SplitMix64::new(p.seed);
    let weights = Weights::pareto(p.symbols, p.pareto_shape, &mut rng);
    let mut b = FlowBuilder::new(p.name, p.seed, TS_START_NS);
    b.limit_measured(p.cmds);

    // Assets and symbols.
    let quote = Name::new("USDT").expect("name");
    b.add_asset("USDT", 6);
    let bases: Vec<Name> = if p.symbols == 1 {
        b.add_asset("BTC", 8);
        vec![Name::new("BTC").expect("name")]
    } else {
        (0..DEEP_BASES.min(p.symbols))
            .map(|i| {
                let n = format!("C{i}");
                b.add_asset(&n, 8);
                Name::new(&n).expect("name")
            })
            .collect()
    };
    let mut syms = Vec::with_capacity(p.symbols as usize);
    for i in 0..p.symbols {
        let (name, center) = if p.symbols == 1 {
            ("BTC-USDT".to_string(), 5_000_000) // 50,000.00
        } else {
            // Log-uniform between 100.00 and 100,000.00.
            (
                format!("S{i:04}"),
                10f64.powf(4.0 + 3.0 * rng.unit()) as i64,
            )
        };
        b.add_symbol(SymbolDef {
            name: Name::new(&name).expect("symbol name"),
            base: bases[i as usize % bases.len()],
            quote,
            tick: Fixed::new(1, 2),
            lot: Fixed::new(1, 3),
        });
        let target = (weights.share(i as usize) * p.prefill_orders as f64).max(1.0);
        syms.push(SymbolState { center, target });
    }

    // Users, funded: 100,000,000 USDT and 100,000 of every base each.
    for user in 1..=p.users {
        b.add_user(user);
        b.deposit(user, quote, Fixed::new(100_000_000, 0));
        for base in &bases {
            b.deposit(user, *base, Fixed::new(100_000, 0));
        }
    }

    let mut g = Gen { p, rng, b, syms };

    // Pre-fill around each centre; never crosses.
    for _ in 0..p.prefill_orders {
        g.b.advance(TS_STEP_NS);
        let s = weights.draw(&mut g.rng);
        let side = random_side(&mut g.rng);
        let k = g.depth();
        let c = g.syms[s as usize].center;
        let price = match side {
            Side::Buy => (c - 1 - k).max(1),
            Side::Sell => c + 1 + k,
        };
        let (user, qty) = (g.user(), size_lots(&mut g.rng));
        g.b.place(user, s, side, Tif::Gtc, Some(price), qty);
    }

    let deepest = (0..p.symbols)
        .map(|s| g.b.model.resting_len(s))
        .max()
        .unwrap_or(0);
    g.b.stats.note("deepest_book_after_setup", deepest as u64);
    g.b.start_measured();
    while !g.b.is_full() {
        g.b.advance(TS_STEP_NS);
        let s = weights.draw(&mut g.rng);
        match g.rng.below(100) {
            0..=8 => {
                let aggressive = g.rng.chance(GTC_AGGRESSIVE);
                g.gtc(s, aggressive);
            }
            9..=11 => g.ioc(s),
            12..=17 => g.cancel(s),
            _ => g.mv(s),
        }
    }
    g.b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_flow() {
        let p = MixParams {
            prefill_orders: 200,
            ..MixParams::mix(5, 3_000)
        };
        let (a, sa) = generate(&p);
        let (b, sb) = generate(&p);
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        assert_eq!(a.measured.len(), 3_000);
        assert_eq!(sa.unknown_order, 0);
        let (c, _) = generate(&MixParams { seed: 6, ..p });
        assert_ne!(a.measured, c.measured);
    }

    #[test]
    fn deep_spreads_over_symbols() {
        let p = MixParams {
            symbols: 50,
            prefill_orders: 2_000,
            users: 20,
            ..MixParams::deep(1, 2_000)
        };
        let (f, s) = generate(&p);
        assert_eq!(s.resting_after_setup, 2_000);
        assert_eq!(f.measured.len(), 2_000);
        assert_eq!(s.unknown_order, 0);
    }
}
