//! A small reference model of ringex's order books, kept by the flow
//! generators so that they know, command by command, which of their orders
//! still rest, how much of each is filled, and which commands trade.
//!
//! What holds: price-time priority per symbol, trades at the maker's price,
//! self-trades allowed (`stp: none`, the default), funds never short (every
//! generated user is funded far beyond what it can lock), order ids predicted
//! as 1, 2, 3, … with every place consuming one, halts refusing places and
//! amends. Amend follows `matching.md`: `qty` is the new total (filled part
//! included) and must exceed the filled part; the order keeps its place only
//! when the price is unchanged and `qty` does not grow, otherwise it leaves
//! its level and arrives again as an incoming order at the new price. Only
//! the order types the generators emit are modelled (limit GTC/IOC, market);
//! anything else is a bug in a generator and panics.
//!
//! It is deliberately simple (a `BTreeMap` of `VecDeque`s per side) and
//! obviously correct rather than fast; it is never timed.

use engine::{OrderId, Side, Tif, UserId};
use std::collections::{BTreeMap, VecDeque};

/// One order as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefOrder {
    pub symbol: u32,
    pub user: UserId,
    pub side: Side,
    /// Limit price in ticks (0 for a market order).
    pub price: i64,
    /// Total quantity in lots, filled part included.
    pub total: i64,
    pub filled: i64,
    /// Resting on the book right now.
    pub live: bool,
    /// Index in the symbol's resting list while live.
    slot: u32,
}

impl RefOrder {
    pub fn remaining(&self) -> i64 {
        self.total - self.filled
    }
}

/// Why the model expects ringex to refuse a command.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RefReject {
    MarketHalted,
    /// Cancel or amend of an order that does not rest (filled, cancelled,
    /// never existed, or another user's).
    UnknownOrder,
    /// Amend to a total not above the filled part.
    InvalidQty,
}

/// What the model expects one command to do.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Maker/taker matches (ringex `trade_id`s) caused by the command.
    pub trades: u32,
    pub reject: Option<RefReject>,
}

#[derive(Default, Debug)]
struct Book {
    bids: BTreeMap<i64, VecDeque<OrderId>>,
    asks: BTreeMap<i64, VecDeque<OrderId>>,
    /// Live order ids in no particular order, for picking targets uniformly.
    resting: Vec<OrderId>,
    halted: bool,
}

/// Books of every symbol plus every order ever placed, indexed by order id.
#[derive(Debug)]
pub struct RefModel {
    books: Vec<Book>,
    /// `orders[id]`; index 0 is unused because ids start at 1.
    orders: Vec<RefOrder>,
}

impl Default for RefModel {
    fn default() -> Self {
        Self::new()
    }
}

fn remove_resting(resting: &mut Vec<OrderId>, orders: &mut [RefOrder], id: OrderId) {
    let slot = orders[id as usize].slot as usize;
    debug_assert_eq!(resting[slot], id);
    resting.swap_remove(slot);
    if let Some(&moved) = resting.get(slot) {
        orders[moved as usize].slot = slot as u32;
    }
}

impl RefModel {
    pub fn new() -> Self {
        let dummy = RefOrder {
            symbol: u32::MAX,
            user: 0,
            side: Side::Buy,
            price: 0,
            total: 0,
            filled: 0,
            live: false,
            slot: 0,
        };
        RefModel {
            books: Vec::new(),
            orders: vec![dummy],
        }
    }

    /// Adds a symbol; returns its index (the order of `add_symbol`).
    pub fn add_symbol(&mut self) -> u32 {
        self.books.push(Book::default());
        (self.books.len() - 1) as u32
    }

    pub fn symbols(&self) -> u32 {
        self.books.len() as u32
    }

    pub fn set_halted(&mut self, symbol: u32, halted: bool) {
        self.books[symbol as usize].halted = halted;
    }

    pub fn halted(&self, symbol: u32) -> bool {
        self.books[symbol as usize].halted
    }

    /// The id the next place will get.
    pub fn next_order_id(&self) -> OrderId {
        self.orders.len() as OrderId
    }

    pub fn order(&self, id: OrderId) -> Option<&RefOrder> {
        if id == 0 {
            return None;
        }
        self.orders.get(id as usize)
    }

    pub fn best_bid(&self, symbol: u32) -> Option<i64> {
        self.books[symbol as usize]
            .bids
            .last_key_value()
            .map(|(p, _)| *p)
    }

    pub fn best_ask(&self, symbol: u32) -> Option<i64> {
        self.books[symbol as usize]
            .asks
            .first_key_value()
            .map(|(p, _)| *p)
    }

    /// The first order in time priority at the best price of `side`.
    pub fn best_order(&self, symbol: u32, side: Side) -> Option<OrderId> {
        let book = &self.books[symbol as usize];
        let level = match side {
            Side::Buy => book.bids.last_key_value(),
            Side::Sell => book.asks.first_key_value(),
        };
        level.and_then(|(_, q)| q.front().copied())
    }

    /// Live orders of `symbol`.
    pub fn resting_len(&self, symbol: u32) -> usize {
        self.books[symbol as usize].resting.len()
    }

    /// The `i`-th live order of `symbol` (an arbitrary but deterministic order).
    pub fn resting_at(&self, symbol: u32, i: usize) -> OrderId {
        self.books[symbol as usize].resting[i]
    }

    /// Live orders over all symbols.
    pub fn resting_total(&self) -> u64 {
        self.books.iter().map(|b| b.resting.len() as u64).sum()
    }

    /// Matches an incoming quantity; returns (filled, trades).
    fn take(&mut self, symbol: u32, taker: Side, limit: Option<i64>, qty: i64) -> (i64, u32) {
        let RefModel { books, orders } = self;
        let book = &mut books[symbol as usize];
        let (levels, resting) = match taker {
            Side::Buy => (&mut book.asks, &mut book.resting),
            Side::Sell => (&mut book.bids, &mut book.resting),
        };
        let mut left = qty;
        let mut trades = 0u32;
        while left > 0 {
            let entry = match taker {
                Side::Buy => levels.first_entry(),
                Side::Sell => levels.last_entry(),
            };
            let Some(mut entry) = entry else { break };
            let price = *entry.key();
            if let Some(l) = limit {
                let crosses = match taker {
                    Side::Buy => price <= l,
                    Side::Sell => price >= l,
                };
                if !crosses {
                    break;
                }
            }
            let queue = entry.get_mut();
            while left > 0 {
                let Some(&maker) = queue.front() else { break };
                let m = &mut orders[maker as usize];
                let q = left.min(m.remaining());
                debug_assert!(q > 0);
                m.filled += q;
                left -= q;
                trades += 1;
                if m.remaining() == 0 {
                    m.live = false;
                    queue.pop_front();
                    remove_resting(resting, orders, maker);
                }
            }
            if queue.is_empty() {
                entry.remove();
            }
        }
        (qty - left, trades)
    }

    fn rest(&mut self, id: OrderId) {
        let o = &mut self.orders[id as usize];
        let book = &mut self.books[o.symbol as usize];
        let levels = match o.side {
            Side::Buy => &mut book.bids,
            Side::Sell => &mut book.asks,
        };
        levels.entry(o.price).or_default().push_back(id);
        o.live = true;
        o.slot = book.resting.len() as u32;
        book.resting.push(id);
    }

    fn unrest(&mut self, id: OrderId) {
        let (symbol, side, price) = {
            let o = &self.orders[id as usize];
            (o.symbol, o.side, o.price)
        };
        let book = &mut self.books[symbol as usize];
        let levels = match side {
            Side::Buy => &mut book.bids,
            Side::Sell => &mut book.asks,
        };
        let queue = levels
            .get_mut(&price)
            .expect("model: live order without its level");
        let pos = queue
            .iter()
            .position(|&x| x == id)
            .expect("model: live order not in its level");
        queue.remove(pos);
        if queue.is_empty() {
            levels.remove(&price);
        }
        remove_resting(&mut book.resting, &mut self.orders, id);
        self.orders[id as usize].live = false;
    }

    /// A place; `id` must be [`Self::next_order_id`]. `price: None` is a market order.
    #[allow(clippy::too_many_arguments)]
    pub fn place(
        &mut self,
        id: OrderId,
        symbol: u32,
        user: UserId,
        side: Side,
        tif: Tif,
        price: Option<i64>,
        qty: i64,
    ) -> Outcome {
        assert_eq!(
            id,
            self.next_order_id(),
            "model: order ids are consumed in order"
        );
        assert!(tif != Tif::Fok, "model: FOK is not generated");
        assert!(
            qty > 0 && price.is_none_or(|p| p > 0),
            "model: generators emit valid orders"
        );
        self.orders.push(RefOrder {
            symbol,
            user,
            side,
            price: price.unwrap_or(0),
            total: qty,
            filled: 0,
            live: false,
            slot: 0,
        });
        if self.halted(symbol) {
            return Outcome {
                trades: 0,
                reject: Some(RefReject::MarketHalted),
            };
        }
        let (filled, trades) = self.take(symbol, side, price, qty);
        self.orders[id as usize].filled = filled;
        if filled < qty && tif == Tif::Gtc && price.is_some() {
            self.rest(id);
        }
        Outcome {
            trades,
            reject: None,
        }
    }

    fn own_live(&self, symbol: u32, user: UserId, id: OrderId) -> bool {
        self.order(id)
            .is_some_and(|o| o.live && o.user == user && o.symbol == symbol)
    }

    pub fn cancel(&mut self, symbol: u32, user: UserId, id: OrderId) -> Outcome {
        if !self.own_live(symbol, user, id) {
            return Outcome {
                trades: 0,
                reject: Some(RefReject::UnknownOrder),
            };
        }
        self.unrest(id);
        Outcome::default()
    }

    /// New price and/or new total quantity of a resting order.
    pub fn amend(
        &mut self,
        symbol: u32,
        user: UserId,
        id: OrderId,
        price: Option<i64>,
        qty: Option<i64>,
    ) -> Outcome {
        if !self.own_live(symbol, user, id) {
            return Outcome {
                trades: 0,
                reject: Some(RefReject::UnknownOrder),
            };
        }
        if self.halted(symbol) {
            return Outcome {
                trades: 0,
                reject: Some(RefReject::MarketHalted),
            };
        }
        let o = self.orders[id as usize];
        let total = qty.unwrap_or(o.total);
        if total <= o.filled {
            return Outcome {
                trades: 0,
                reject: Some(RefReject::InvalidQty),
            };
        }
        let new_price = price.unwrap_or(o.price);
        if new_price == o.price && total <= o.total {
            self.orders[id as usize].total = total;
            return Outcome::default();
        }
        self.unrest(id);
        {
            let m = &mut self.orders[id as usize];
            m.price = new_price;
            m.total = total;
        }
        let (filled, trades) = self.take(symbol, o.side, Some(new_price), total - o.filled);
        self.orders[id as usize].filled += filled;
        if self.orders[id as usize].remaining() > 0 {
            self.rest(id);
        }
        Outcome {
            trades,
            reject: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_time_and_amend_rules() {
        let mut m = RefModel::new();
        let s = m.add_symbol();
        assert_eq!(
            m.place(1, s, 7, Side::Sell, Tif::Gtc, Some(100), 5),
            Outcome::default()
        );
        assert_eq!(
            m.place(2, s, 8, Side::Sell, Tif::Gtc, Some(100), 5),
            Outcome::default()
        );
        assert_eq!(
            m.place(3, s, 9, Side::Sell, Tif::Gtc, Some(101), 5),
            Outcome::default()
        );
        // Buy 7 at 100: takes 5 of #1 then 2 of #2, never trades through to 101.
        let o = m.place(4, s, 1, Side::Buy, Tif::Ioc, Some(100), 8);
        assert_eq!(o.trades, 2);
        assert!(!m.order(1).unwrap().live);
        assert_eq!(m.order(2).unwrap().filled, 3);
        assert_eq!(m.order(4).unwrap().filled, 8);
        assert!(!m.order(4).unwrap().live);
        // Amend below the filled part is refused; reducing keeps the place.
        assert_eq!(
            m.amend(s, 8, 2, None, Some(3)).reject,
            Some(RefReject::InvalidQty)
        );
        assert_eq!(m.amend(s, 8, 2, None, Some(4)), Outcome::default());
        assert_eq!(m.order(2).unwrap().remaining(), 1);
        // Another user's order is unknown.
        assert_eq!(m.cancel(s, 1, 2).reject, Some(RefReject::UnknownOrder));
        // Amend to a crossing price matches as an incoming order.
        assert_eq!(
            m.place(5, s, 2, Side::Buy, Tif::Gtc, Some(99), 3),
            Outcome::default()
        );
        let o = m.amend(s, 2, 5, Some(101), None);
        assert_eq!(o.trades, 2); // 1 left of #2 at 100, then #3 at 101
        assert!(!m.order(5).unwrap().live);
        assert_eq!(m.order(3).unwrap().remaining(), 3);
        assert_eq!(m.best_ask(s), Some(101));
        assert_eq!(m.best_bid(s), None);
        assert_eq!(m.resting_len(s), 1);
        m.set_halted(s, true);
        assert_eq!(
            m.place(6, s, 2, Side::Buy, Tif::Gtc, Some(1), 1).reject,
            Some(RefReject::MarketHalted)
        );
        assert_eq!(m.cancel(s, 9, 3), Outcome::default());
        assert_eq!(m.resting_total(), 0);
    }
}
