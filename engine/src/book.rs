//! Order books: price levels and the orders queued in them.
//!
//! What holds:
//! - Each side keeps its levels in one `Vec`, sorted so that the BEST level is
//!   LAST (bids ascending, asks descending, by a signed key). Most activity is
//!   at the top of the book, so inserting or removing a level there moves few
//!   bytes, and the best level is one load away.
//! - Inside a level, orders form an intrusive doubly linked list through the
//!   order slab (`prev`/`next` are slab indices), in time priority: removal
//!   by id is O(1) once the level is found by binary search.
//! - `Level::visible` is the sum of the visible quantity of its orders.
//! - A level that empties stays in place (count 0) so that an order moving
//!   back to that price does not shift the `Vec`; the BEST level is never
//!   empty (emptied top levels are popped at once), and empty levels are
//!   compacted away once they outnumber the live ones. Everything that walks
//!   levels (L2, FOK, snapshots) skips empty ones.
//! - At rest the best bid is below the best ask (checked by `invariants`).
//! - Untriggered stops wait in ordered maps keyed by (stop price, order id),
//!   outside the levels.

use crate::accounts::NIL;
use crate::types::*;
use std::collections::BTreeMap;

/// Aggregated visible quantity per price, best first on each side.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct L2Book {
    pub bids: Vec<(Ticks, Lots)>,
    pub asks: Vec<(Ticks, Lots)>,
}

#[derive(Copy, Clone, Debug)]
pub(crate) struct Level {
    /// Sort key: `price` for bids, `-price` for asks, so the best is the largest.
    pub key: i64,
    pub price: Ticks,
    pub visible: Lots,
    pub head: u32,
    pub tail: u32,
    pub count: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct BookSide {
    pub side: Side,
    /// Sorted by `key` ascending: best last, and the last one never empty.
    pub levels: Vec<Level>,
    /// Levels with no orders, kept for reuse.
    pub empty: usize,
}

impl BookSide {
    pub fn new(side: Side) -> BookSide {
        BookSide {
            side,
            levels: Vec::new(),
            empty: 0,
        }
    }

    #[inline]
    pub fn key(&self, price: Ticks) -> i64 {
        match self.side {
            Side::Buy => price.get(),
            Side::Sell => -price.get(),
        }
    }

    #[inline]
    pub fn best(&self) -> Option<&Level> {
        self.levels.last()
    }

    /// Position of the level at `price`, or where it would be inserted.
    /// Searches from the top first: most operations are near the best price.
    #[inline]
    pub fn find(&self, price: Ticks) -> Result<usize, usize> {
        let key = self.key(price);
        let n = self.levels.len();
        // Fast path: a few levels from the top.
        let lo = n.saturating_sub(8);
        for i in (lo..n).rev() {
            let k = self.levels[i].key;
            if k == key {
                return Ok(i);
            }
            if k < key {
                return Err(i + 1);
            }
        }
        self.levels[..lo].binary_search_by(|l| l.key.cmp(&key))
    }

    /// The level at `price`, created empty if absent; returns its position.
    #[inline]
    pub fn level_for(&mut self, price: Ticks) -> usize {
        match self.find(price) {
            Ok(i) => {
                if self.levels[i].count == 0 {
                    self.empty -= 1;
                }
                i
            }
            Err(i) => {
                let key = self.key(price);
                self.levels.insert(
                    i,
                    Level {
                        key,
                        price,
                        visible: Lots::ZERO,
                        head: NIL,
                        tail: NIL,
                        count: 0,
                    },
                );
                i
            }
        }
    }

    /// Does an incoming order on the other side at `limit` cross this side's best?
    /// `None` limit: a market order, crosses anything.
    #[inline]
    pub fn crossed_by(&self, limit: Option<Ticks>) -> bool {
        match (self.best(), limit) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(b), Some(p)) => match self.side {
                // resting asks; incoming buy crosses if p >= ask
                Side::Sell => p >= b.price,
                // resting bids; incoming sell crosses if p <= bid
                Side::Buy => p <= b.price,
            },
        }
    }

    /// The level at `pos` just lost its last order: pop it (and any empty
    /// levels under it) if it was the best, else keep it for reuse, and
    /// compact when empty levels outnumber live ones.
    pub fn emptied(&mut self, pos: usize) {
        if pos + 1 == self.levels.len() {
            self.levels.pop();
            while self.levels.last().is_some_and(|l| l.count == 0) {
                self.levels.pop();
                self.empty -= 1;
            }
        } else {
            self.empty += 1;
            if self.empty > 64 && self.empty * 2 > self.levels.len() {
                self.levels.retain(|l| l.count > 0);
                self.empty = 0;
            }
        }
    }

    pub fn l2(&self, depth: usize) -> Vec<(Ticks, Lots)> {
        self.levels
            .iter()
            .rev()
            .filter(|l| l.count > 0)
            .take(depth)
            .map(|l| (l.price, l.visible))
            .collect()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Book {
    pub bids: BookSide,
    pub asks: BookSide,
    /// Untriggered buy stops, by (stop price, order id) -> slab index.
    pub buy_stops: BTreeMap<(i64, OrderId), u32>,
    /// Untriggered sell stops, by (stop price, order id) -> slab index.
    pub sell_stops: BTreeMap<(i64, OrderId), u32>,
    pub last_price: Option<Ticks>,
    pub halted: bool,
    /// Resting orders plus untriggered stops.
    pub orders: usize,
}

impl Book {
    pub fn new() -> Book {
        Book {
            bids: BookSide::new(Side::Buy),
            asks: BookSide::new(Side::Sell),
            buy_stops: BTreeMap::new(),
            sell_stops: BTreeMap::new(),
            last_price: None,
            halted: false,
            orders: 0,
        }
    }

    #[inline]
    pub fn side_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    #[inline]
    pub fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    pub fn stops_mut(&mut self, side: Side) -> &mut BTreeMap<(i64, OrderId), u32> {
        match side {
            Side::Buy => &mut self.buy_stops,
            Side::Sell => &mut self.sell_stops,
        }
    }
}
