//! The L2 book as market data sees it: visible quantity per price level,
//! rebuilt from the engine's `Level` events alone.
//!
//! What holds: every stored quantity is positive (a level at 0 is removed);
//! `seq` is the sequence of the last delta message published for this book
//! (0 before the first), so a snapshot taken at `seq` is followed exactly by
//! the delta whose `prev_seq` is `seq`.

use crate::types::*;
use std::collections::BTreeMap;

/// A full book at a given book sequence, best level first on each side.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct BookSnapshot {
    pub symbol: SymbolId,
    pub seq: u64,
    pub bids: Vec<(Ticks, Lots)>,
    pub asks: Vec<(Ticks, Lots)>,
}

/// The levels one command changed, each with its final quantity (0: gone),
/// best first on each side.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BookDelta {
    pub symbol: SymbolId,
    pub seq: u64,
    pub prev_seq: u64,
    pub bids: Vec<(Ticks, Lots)>,
    pub asks: Vec<(Ticks, Lots)>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MdBook {
    /// Price in ticks -> visible lots; best bid is the last key.
    pub bids: BTreeMap<i64, i64>,
    /// Price in ticks -> visible lots; best ask is the first key.
    pub asks: BTreeMap<i64, i64>,
    pub seq: u64,
}

impl MdBook {
    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<i64, i64> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    pub fn qty(&self, side: Side, price: Ticks) -> i64 {
        let m = match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        };
        m.get(&price.get()).copied().unwrap_or(0)
    }

    /// Sets the level; a quantity of 0 (or below) removes it.
    pub fn set(&mut self, side: Side, price: Ticks, qty: Lots) {
        let m = self.side_mut(side);
        if qty.get() > 0 {
            m.insert(price.get(), qty.get());
        } else {
            m.remove(&price.get());
        }
    }

    pub fn best_bid(&self) -> Option<Ticks> {
        self.bids.keys().next_back().map(|&p| Ticks::new(p))
    }

    pub fn best_ask(&self) -> Option<Ticks> {
        self.asks.keys().next().map(|&p| Ticks::new(p))
    }

    /// Up to `depth` levels of a side, best first.
    pub fn levels(&self, side: Side, depth: usize) -> Vec<(Ticks, Lots)> {
        let f = |(&p, &q): (&i64, &i64)| (Ticks::new(p), Lots::new(q));
        match side {
            Side::Buy => self.bids.iter().rev().take(depth).map(f).collect(),
            Side::Sell => self.asks.iter().take(depth).map(f).collect(),
        }
    }
}
