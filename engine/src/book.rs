//! Order books: price levels and the orders queued in them.
//!
//! What holds:
//! - Each side keeps its levels in a slab (`slots`): a level keeps its slot
//!   for as long as it exists, so a resting order names its level by slot
//!   (`Order::level`) and leaving a level needs no search. A map from price
//!   to slot ([`IdMap`]) finds the level an order joins in O(1).
//! - `sorted` lists every existing level as `(key, slot)`, sorted so that the
//!   BEST level is LAST (the key is `price` for bids, `-price` for asks).
//!   Most activity is at the top of the book, so inserting or removing a
//!   level there moves few bytes; the best price is also kept in the side
//!   itself. A new level's place is searched outwards from a hint (where the
//!   order's previous level was, or the top), so a move of a few ticks costs
//!   a few probes however deep the book.
//! - Inside a level, orders form an intrusive doubly linked list through the
//!   order slab (`prev`/`next` are slab indices), in time priority: removal
//!   is O(1).
//! - `Level::visible` is the sum of the visible quantity of its orders.
//! - A level that empties stays (count 0, still in `sorted` and the map) so
//!   that an order moving back to that price inserts nothing, and a new level
//!   next to an empty one takes its place in `sorted` (re-keyed, nothing
//!   moves); the BEST level is never empty (emptied top levels are removed
//!   at once), and empty levels are compacted away once they outnumber the
//!   live ones. Everything that walks levels (L2, FOK, snapshots) skips
//!   empty ones, so none of this is observable.
//! - At rest the best bid is below the best ask (checked by `invariants`).
//! - Untriggered stops wait in ordered maps keyed by (stop price, order id),
//!   outside the levels.

use crate::accounts::NIL;
use crate::types::*;
use std::collections::BTreeMap;

/// A map from a 64-bit key to a slab index, for the two lookups every
/// command makes: orders by id and levels by price.
///
/// Open addressing with linear probing over a power-of-two table kept at
/// most half full, Fibonacci hashing (a multiply and a shift, which also
/// spreads regular key patterns such as every k-th order id), and
/// backward-shift deletion, so there are no tombstones and a probe stops at
/// the first empty slot. A slot is empty when its value is [`NIL`] (no slab
/// index is ever `NIL`). Nothing ever iterates it: only `get`, `insert`,
/// `remove` and `len` exist, so its layout can never leak into what the
/// engine emits.
#[derive(Clone, Debug)]
pub(crate) struct IdMap {
    slots: Vec<IdSlot>,
    /// `64 - log2(slots.len())`: the hash is the top bits of the product.
    shift: u32,
    len: usize,
}

#[derive(Copy, Clone, Debug)]
struct IdSlot {
    key: u64,
    val: u32,
}

const EMPTY_SLOT: IdSlot = IdSlot { key: 0, val: NIL };

impl Default for IdMap {
    fn default() -> Self {
        IdMap::with_capacity_log2(3)
    }
}

impl IdMap {
    fn with_capacity_log2(bits: u32) -> IdMap {
        IdMap {
            slots: vec![EMPTY_SLOT; 1 << bits],
            shift: 64 - bits,
            len: 0,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub fn get(&self, key: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let e = self.slots[i];
            if e.val == NIL {
                return None;
            }
            if e.key == key {
                return Some(e.val);
            }
            i = (i + 1) & mask;
        }
    }

    /// Maps `key` to `val` (not [`NIL`]); returns the value it replaced.
    pub fn insert(&mut self, key: u64, val: u32) -> Option<u32> {
        debug_assert!(val != NIL);
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let e = &mut self.slots[i];
            if e.val == NIL {
                *e = IdSlot { key, val };
                self.len += 1;
                return None;
            }
            if e.key == key {
                return Some(std::mem::replace(&mut e.val, val));
            }
            i = (i + 1) & mask;
        }
    }

    /// Unmaps `key`; returns its value.
    pub fn remove(&mut self, key: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let e = self.slots[i];
            if e.val == NIL {
                return None;
            }
            if e.key == key {
                break;
            }
            i = (i + 1) & mask;
        }
        let val = self.slots[i].val;
        // Backward shift: pull later entries of the run into the hole when
        // their home is not between the hole and where they sit.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = self.slots[j];
            if e.val == NIL {
                break;
            }
            let home = self.home(e.key);
            // Distance from home to j and from hole to j, along the probe order.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = e;
                hole = j;
            }
        }
        self.slots[hole] = EMPTY_SLOT;
        self.len -= 1;
        Some(val)
    }

    #[cold]
    fn grow(&mut self) {
        let bits = 64 - self.shift + 1;
        let old = std::mem::replace(self, IdMap::with_capacity_log2(bits));
        for e in old.slots {
            if e.val != NIL {
                self.insert(e.key, e.val);
            }
        }
    }
}

/// Aggregated visible quantity per price, best first on each side.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct L2Book {
    pub bids: Vec<(Ticks, Lots)>,
    pub asks: Vec<(Ticks, Lots)>,
}

#[derive(Copy, Clone, Debug)]
pub(crate) struct Level {
    pub price: Ticks,
    pub visible: Lots,
    pub head: u32,
    pub tail: u32,
    pub count: u32,
    /// Its position in `sorted` when it was placed there: a search hint
    /// only (levels inserted or dropped below it shift it).
    pub at: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct BookSide {
    pub side: Side,
    /// Level slab; a slot not in `sorted` is free (listed in `free`).
    pub slots: Vec<Level>,
    free: Vec<u32>,
    /// Existing levels as `(key, slot)`, sorted by key: best last, and the
    /// last one never empty.
    pub sorted: Vec<(i64, u32)>,
    /// Price -> slot of every existing level.
    by_price: IdMap,
    /// Existing levels with no orders, kept for reuse.
    pub empty: usize,
    /// Price of the best level (the last in `sorted`), kept here so that the
    /// crossing check, which every incoming order makes, reads no more than
    /// the side itself.
    best_price: Option<Ticks>,
}

impl BookSide {
    pub fn new(side: Side) -> BookSide {
        BookSide {
            side,
            slots: Vec::new(),
            free: Vec::new(),
            sorted: Vec::new(),
            by_price: IdMap::default(),
            empty: 0,
            best_price: None,
        }
    }

    #[inline]
    pub fn key(&self, price: Ticks) -> i64 {
        match self.side {
            Side::Buy => price.get(),
            Side::Sell => -price.get(),
        }
    }

    /// The best level, never empty.
    #[inline]
    pub fn best(&self) -> Option<&Level> {
        self.sorted.last().map(|&(_, s)| &self.slots[s as usize])
    }

    /// Existing levels (empty ones included), best first.
    #[inline]
    pub fn levels_best_first(&self) -> impl Iterator<Item = &Level> + '_ {
        self.sorted
            .iter()
            .rev()
            .map(|&(_, s)| &self.slots[s as usize])
    }

    /// The level at `price`, created empty if absent; returns its slot.
    /// A new level's place in `sorted` is searched outwards from position
    /// `hint` (e.g. where the order's previous level was; [`NIL`]: the top),
    /// so a nearby price costs a few probes whatever the depth of the book.
    #[inline(always)]
    pub fn level_for(&mut self, price: Ticks, hint: u32) -> u32 {
        match self.by_price.get(price.get() as u64) {
            Some(slot) => {
                if self.slots[slot as usize].count == 0 {
                    self.empty -= 1;
                }
                slot
            }
            None => self.insert_level(price, hint),
        }
    }

    /// Where `key`, which no level has, goes in `sorted`: the first position
    /// with a larger key. Gallops outwards from `hint`, then bisects.
    fn insertion_point(&self, key: i64, hint: u32) -> usize {
        let s = &self.sorted[..];
        let n = s.len();
        if n == 0 {
            return 0;
        }
        let i = (hint as usize).min(n - 1);
        let below = |lo: usize, hi: usize| lo + s[lo..hi].partition_point(|&(k, _)| k < key);
        let mut step = 1;
        if s[i].0 < key {
            // In (i, n].
            let mut lo = i + 1;
            loop {
                let j = i + step;
                if j >= n {
                    return below(lo, n);
                }
                if s[j].0 > key {
                    return below(lo, j);
                }
                lo = j + 1;
                step *= 2;
            }
        } else {
            // In [0, i].
            let mut hi = i;
            loop {
                if step > i {
                    return below(0, hi);
                }
                let j = i - step;
                if s[j].0 < key {
                    return below(j + 1, hi);
                }
                hi = j;
                step *= 2;
            }
        }
    }

    #[inline(never)]
    fn insert_level(&mut self, price: Ticks, hint: u32) -> u32 {
        let key = self.key(price);
        let pos = self.insertion_point(key, hint);
        let fresh = Level {
            price,
            visible: Lots::ZERO,
            head: NIL,
            tail: NIL,
            count: 0,
            at: pos as u32,
        };
        // An empty level right next to where the new one goes can become it:
        // re-keying it keeps `sorted` in order and moves nothing.
        for j in [pos.wrapping_sub(1), pos] {
            if let Some(&(_, s)) = self.sorted.get(j) {
                let lvl = &mut self.slots[s as usize];
                if lvl.count == 0 {
                    let old = std::mem::replace(
                        lvl,
                        Level {
                            at: j as u32,
                            ..fresh
                        },
                    )
                    .price;
                    self.by_price.remove(old.get() as u64);
                    self.by_price.insert(price.get() as u64, s);
                    self.sorted[j].0 = key;
                    self.empty -= 1;
                    if j + 1 == self.sorted.len() {
                        self.top_changed();
                    }
                    return s;
                }
            }
        }
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = fresh;
                s
            }
            None => {
                self.slots.push(fresh);
                (self.slots.len() - 1) as u32
            }
        };
        self.sorted.insert(pos, (key, slot));
        self.by_price.insert(price.get() as u64, slot);
        if pos + 1 == self.sorted.len() {
            self.best_price = Some(price);
        }
        slot
    }

    /// Forgets the (empty) level at `slot`; its entry in `sorted` is the caller's.
    fn drop_level(&mut self, slot: u32) {
        let price = self.slots[slot as usize].price;
        self.by_price.remove(price.get() as u64);
        self.free.push(slot);
    }

    /// Does an incoming order on the other side at `limit` cross this side's best?
    /// `None` limit: a market order, crosses anything.
    #[inline]
    pub fn crossed_by(&self, limit: Option<Ticks>) -> bool {
        match (self.best_price, limit) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(b), Some(p)) => match self.side {
                // resting asks; incoming buy crosses if p >= ask
                Side::Sell => p >= b,
                // resting bids; incoming sell crosses if p <= bid
                Side::Buy => p <= b,
            },
        }
    }

    /// Re-reads the best price after the top of `sorted` changed.
    #[inline]
    fn top_changed(&mut self) {
        self.best_price = self
            .sorted
            .last()
            .map(|&(_, s)| self.slots[s as usize].price);
    }

    /// The level at `slot` just lost its last order: drop it (and any empty
    /// levels under it) if it was the best, else keep it for reuse, and
    /// compact when empty levels outnumber live ones.
    pub fn emptied(&mut self, slot: u32) {
        if self.sorted.last().is_some_and(|&(_, s)| s == slot) {
            self.sorted.pop();
            self.drop_level(slot);
            while let Some(&(_, s)) = self.sorted.last() {
                if self.slots[s as usize].count != 0 {
                    break;
                }
                self.sorted.pop();
                self.drop_level(s);
                self.empty -= 1;
            }
            self.top_changed();
        } else {
            self.empty += 1;
            if self.empty > 64 && self.empty * 2 > self.sorted.len() {
                let mut sorted = std::mem::take(&mut self.sorted);
                sorted.retain(|&(_, s)| {
                    let keep = self.slots[s as usize].count > 0;
                    if !keep {
                        self.drop_level(s);
                    }
                    keep
                });
                self.sorted = sorted;
                self.empty = 0;
                self.top_changed();
            }
        }
    }

    pub fn l2(&self, depth: usize) -> Vec<(Ticks, Lots)> {
        self.levels_best_first()
            .filter(|l| l.count > 0)
            .take(depth)
            .map(|l| (l.price, l.visible))
            .collect()
    }

    /// Checks the slab, the map and `sorted` against each other (invariants).
    pub fn check_index(&self) -> Result<(), String> {
        if self.by_price.len() != self.sorted.len() {
            return Err(format!(
                "{} levels mapped by price, {} sorted",
                self.by_price.len(),
                self.sorted.len()
            ));
        }
        if self.sorted.len() + self.free.len() != self.slots.len() {
            return Err("level slots lost".into());
        }
        if self.best_price != self.best().map(|l| l.price) {
            return Err(format!("best price {:?} is stale", self.best_price));
        }
        for w in self.sorted.windows(2) {
            if w[0].0 >= w[1].0 {
                return Err("levels out of order".into());
            }
        }
        for &(key, s) in &self.sorted {
            let lvl = self
                .slots
                .get(s as usize)
                .ok_or("level slot out of range")?;
            if key != self.key(lvl.price) {
                return Err(format!("level key {key} but price {:?}", lvl.price));
            }
            if self.by_price.get(lvl.price.get() as u64) != Some(s) {
                return Err(format!("level {:?} not mapped to its slot", lvl.price));
            }
        }
        Ok(())
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
    /// Its open orders (resting and untriggered stops) by order id -> slab
    /// index. Kept per book: a cancel or amend names its symbol, and the
    /// orders of a busy book stay close together in memory.
    pub by_id: IdMap,
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
            by_id: IdMap::default(),
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

    /// Is the best bid at or above the best ask? Never true at rest.
    #[inline]
    pub fn crossed(&self) -> bool {
        matches!((self.bids.best_price, self.asks.best_price), (Some(b), Some(a)) if b >= a)
    }

    #[inline]
    pub fn stops_mut(&mut self, side: Side) -> &mut BTreeMap<(i64, OrderId), u32> {
        match side {
            Side::Buy => &mut self.buy_stops,
            Side::Sell => &mut self.sell_stops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// `IdMap` behaves as a map under random inserts and removes, with keys
    /// that are sequential, strided (regular patterns), random or extreme.
    #[test]
    fn id_map_is_a_map() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for pattern in 0..4u64 {
            let mut m = IdMap::default();
            let mut r: HashMap<u64, u32> = HashMap::new();
            for step in 0..60_000u64 {
                let k = match pattern {
                    0 => rnd() % 3_000,
                    1 => (rnd() % 2_000) * 1024,
                    2 => rnd(),
                    _ => [0, 1, u64::MAX, u64::MAX - 1, 1 << 63][(rnd() % 5) as usize],
                };
                // Grow first, then hover around a steady size.
                if step < 20_000 || rnd() % 2 == 0 {
                    let v = (rnd() % 1_000_000) as u32;
                    assert_eq!(m.insert(k, v), r.insert(k, v), "insert {k}");
                } else {
                    assert_eq!(m.remove(k), r.remove(&k), "remove {k}");
                }
                let probe = match pattern {
                    0 => rnd() % 3_000,
                    1 => (rnd() % 2_000) * 1024,
                    _ => k,
                };
                assert_eq!(m.get(probe), r.get(&probe).copied());
                assert_eq!(m.len(), r.len());
            }
            for (k, v) in &r {
                assert_eq!(m.get(*k), Some(*v));
            }
            let keys: Vec<u64> = r.keys().copied().collect();
            for k in keys {
                assert_eq!(m.remove(k), r.remove(&k));
            }
            assert_eq!(m.len(), 0);
        }
    }
}
