//! Turning a real market-by-order feed (LOBSTER, ITCH) into ringex commands.
//!
//! What holds: four users play the market. Resting orders come from a maker
//! per side (user 1 buys, user 2 sells); what the feed reports as an
//! execution of a resting order becomes an IOC from a taker on the other side
//! (user 3 buys, user 4 sells) at the resting order's price and the executed
//! size, so ringex does the matching itself. Feed order references map to the
//! ids ringex will assign; a reference the feed never added (an order resting
//! before the file starts) is skipped whenever it is named, and counted.
//!
//! Mapping, message by message:
//! - add: GTC limit from the maker of that side;
//! - execute (size, optionally at a price): IOC from the opposite taker at
//!   the resting order's price, for the executed size;
//! - partial cancel (size): amend of the quantity down, `qty = total - size`
//!   where total includes what is filled (ringex's amend takes the new total);
//!   when that leaves nothing open in the model, a cancel instead;
//! - delete: cancel;
//! - replace (new reference, price, size): cancel, then a new GTC from the
//!   same maker (a replace loses priority in NASDAQ too);
//! - halt / resume: only when the state changes.
//!
//! The feed and ringex can disagree (orders that rested before the file, or
//! an IOC filling a different order at the same price than NASDAQ did); the
//! reference model keeps the ringex view, so cancels of orders that no longer
//! rest are still emitted and show up as the `unknown_order` fraction.
//!
//! A feed limited to the top of the book (LOBSTER level 1) also leaves out
//! the cancels of orders that were no longer at the top when cancelled, so
//! such orders would stay forever and later cross new orders. When the feed
//! says what its best prices are after each message, [`FeedMapper::reconcile`]
//! cancels every order of ours priced better than that (counted as
//! `reconcile_cancels`): the book then never holds a price NASDAQ did not.

use super::builder::{FlowBuilder, SymbolDef};
use engine::{Fixed, Name, OrderId, Side, Tif, UserId};
use std::collections::HashMap;

pub const MAKER_BUY: UserId = 1;
pub const MAKER_SELL: UserId = 2;
pub const TAKER_BUY: UserId = 3;
pub const TAKER_SELL: UserId = 4;

fn maker(side: Side) -> UserId {
    match side {
        Side::Buy => MAKER_BUY,
        Side::Sell => MAKER_SELL,
    }
}

fn taker(side: Side) -> UserId {
    match side {
        Side::Buy => TAKER_BUY,
        Side::Sell => TAKER_SELL,
    }
}

#[derive(Copy, Clone, Debug)]
struct Mapped {
    id: OrderId,
    symbol: u32,
}

/// Feed events in, commands out (through a [`FlowBuilder`]).
pub struct FeedMapper {
    pub b: FlowBuilder,
    refs: HashMap<u64, Mapped>,
}

impl FeedMapper {
    /// Setup: the quote asset, then `symbols` (each with its own base asset,
    /// whole shares) at tick 0.0001 and lot 1, then the four funded users.
    pub fn new(name: &str, ts_start_ns: u64, symbols: &[&str], measured_max: Option<u64>) -> Self {
        let mut b = FlowBuilder::new(name, 0, ts_start_ns);
        if let Some(n) = measured_max {
            b.limit_measured(n);
        }
        let quote = Name::new("USD").expect("name");
        b.add_asset("USD", 4);
        let mut bases = Vec::new();
        for s in symbols {
            let base = Name::new(s).expect("stock name");
            b.add_asset(s, 0);
            b.add_symbol(SymbolDef {
                name: Name::new(&format!("{s}-USD")).expect("symbol name"),
                base,
                quote,
                tick: Fixed::new(1, 4),
                lot: Fixed::new(1, 0),
            });
            bases.push(base);
        }
        for user in [MAKER_BUY, MAKER_SELL, TAKER_BUY, TAKER_SELL] {
            b.add_user(user);
            // 10,000,000,000 USD and 1,000,000,000 shares of each stock.
            b.deposit(user, quote, Fixed::new(10_000_000_000, 0));
            for base in &bases {
                b.deposit(user, *base, Fixed::new(1_000_000_000, 0));
            }
        }
        b.start_measured();
        FeedMapper {
            b,
            refs: HashMap::new(),
        }
    }

    fn lookup(&mut self, feed_ref: u64) -> Option<Mapped> {
        let m = self.refs.get(&feed_ref).copied();
        if m.is_none() {
            self.b.stats.note("skipped_unknown_ref", 1);
        }
        m
    }

    pub fn add(&mut self, symbol: u32, feed_ref: u64, side: Side, price: i64, qty: i64) {
        if qty <= 0 || price <= 0 {
            self.b.stats.note("skipped_invalid_add", 1);
            return;
        }
        if let Some((id, _)) = self
            .b
            .place(maker(side), symbol, side, Tif::Gtc, Some(price), qty)
        {
            if self.refs.insert(feed_ref, Mapped { id, symbol }).is_some() {
                self.b.stats.note("reused_ref", 1);
            }
        }
    }

    pub fn execute(&mut self, feed_ref: u64, qty: i64) {
        let Some(m) = self.lookup(feed_ref) else {
            return;
        };
        let o = *self.b.model.order(m.id).expect("mapped order is known");
        if qty <= 0 {
            self.b.stats.note("skipped_invalid_execute", 1);
            return;
        }
        if !o.live {
            self.b.stats.note("execute_of_gone_order", 1);
        }
        let side = o.side.opposite();
        self.b
            .place(taker(side), m.symbol, side, Tif::Ioc, Some(o.price), qty);
    }

    pub fn reduce(&mut self, feed_ref: u64, qty: i64) {
        let Some(m) = self.lookup(feed_ref) else {
            return;
        };
        let o = *self.b.model.order(m.id).expect("mapped order is known");
        let total = o.total - qty;
        if o.live && total <= o.filled {
            self.b.stats.note("reduce_as_cancel", 1);
            self.b.cancel(o.user, m.symbol, m.id);
        } else {
            self.b
                .amend(o.user, m.symbol, m.id, None, Some(total.max(1)));
        }
    }

    pub fn delete(&mut self, feed_ref: u64) {
        let Some(m) = self.lookup(feed_ref) else {
            return;
        };
        let o = *self.b.model.order(m.id).expect("mapped order is known");
        if self.b.cancel(o.user, m.symbol, m.id).is_some() {
            self.refs.remove(&feed_ref);
        }
    }

    pub fn replace(&mut self, old_ref: u64, new_ref: u64, price: i64, qty: i64) {
        let Some(m) = self.lookup(old_ref) else {
            return;
        };
        let o = *self.b.model.order(m.id).expect("mapped order is known");
        if self.b.cancel(o.user, m.symbol, m.id).is_none() {
            return;
        }
        self.refs.remove(&old_ref);
        self.add(m.symbol, new_ref, o.side, price, qty);
    }

    /// Cancels our orders priced better than the feed's best on each side
    /// (`None`: the feed has nothing on that side). They cannot be in the
    /// feed's book: their removal happened where a level-limited feed does
    /// not look (see the module docs).
    pub fn reconcile(&mut self, symbol: u32, best_bid: Option<i64>, best_ask: Option<i64>) {
        for side in [Side::Buy, Side::Sell] {
            loop {
                let stale = match side {
                    Side::Buy => self
                        .b
                        .model
                        .best_bid(symbol)
                        .is_some_and(|p| best_bid.is_none_or(|f| p > f)),
                    Side::Sell => self
                        .b
                        .model
                        .best_ask(symbol)
                        .is_some_and(|p| best_ask.is_none_or(|f| p < f)),
                };
                if !stale || self.b.is_full() {
                    break;
                }
                let id = self
                    .b
                    .model
                    .best_order(symbol, side)
                    .expect("a best price has an order");
                let user = self.b.model.order(id).expect("resting order is known").user;
                self.b.cancel(user, symbol, id);
                self.b.stats.note("reconcile_cancels", 1);
            }
        }
    }

    pub fn set_halted(&mut self, symbol: u32, halted: bool) {
        if self.b.model.halted(symbol) == halted {
            return;
        }
        if halted {
            self.b.halt(symbol);
        } else {
            self.b.resume(symbol);
        }
    }
}
