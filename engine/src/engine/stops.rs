//! Stop orders: waiting untriggered, and triggering after trades.
//!
//! What it owns: putting an accepted stop in its book's stop map, and
//! turning stops into incoming orders when the last trade price reaches them.
//!
//! What must hold:
//! - An untriggered stop is listed (open, cancellable) and sits in exactly
//!   one of its book's `buy_stops`/`sell_stops`, keyed by (stop price,
//!   order id); it is in no level, and what `place` locked for it stays
//!   locked.
//! - A buy stop triggers when the last price is at or above its stop price,
//!   a sell stop when at or below. Stops that trigger together run oldest
//!   first (by order id), each reported `Triggered` before it matches; their
//!   trades may trigger more, until none does.
//! - Triggering uses the band reference of the command that caused it, not a
//!   price its own trades set.
//! - `Engine::triggered` is scratch: empty between commands.

use super::orders::OrderState;
use super::Stamp;
use crate::*;

impl Engine {
    /// Lists the accepted stop at `idx` and puts it in its book's stop map.
    #[inline]
    pub(super) fn arm_stop(&mut self, idx: u32) {
        let o = &mut self.orders[idx as usize];
        o.state = OrderState::Stop;
        let key = (o.stop_price.get(), o.id);
        let (side, sym) = (o.side, o.symbol);
        self.list(idx);
        self.books[sym.0 as usize].stops_mut(side).insert(key, idx);
    }

    /// Triggers the stops whose condition now holds, oldest first, and repeats
    /// while their trades trigger more.
    #[inline(always)]
    pub(super) fn process_triggers(
        &mut self,
        st: Stamp,
        sym: SymbolId,
        band_ref: Option<Ticks>,
        out: &mut Vec<Event>,
    ) {
        let book = &self.books[sym.0 as usize];
        if book.buy_stops.is_empty() && book.sell_stops.is_empty() {
            return;
        }
        self.trigger_stops(st, sym, band_ref, out);
    }

    #[inline(never)]
    fn trigger_stops(
        &mut self,
        st: Stamp,
        sym: SymbolId,
        band_ref: Option<Ticks>,
        out: &mut Vec<Event>,
    ) {
        let s = sym.0 as usize;
        loop {
            let book = &self.books[s];
            let Some(last) = book.last_price else { return };
            if book.buy_stops.is_empty() && book.sell_stops.is_empty() {
                return;
            }
            let mut trig = std::mem::take(&mut self.triggered);
            debug_assert!(trig.is_empty());
            let l = last.get();
            trig.extend(
                book.buy_stops
                    .range(..=(l, OrderId::MAX))
                    .map(|(k, &i)| (k.1, i)),
            );
            trig.extend(book.sell_stops.range((l, 0)..).map(|(k, &i)| (k.1, i)));
            if trig.is_empty() {
                self.triggered = trig;
                return;
            }
            trig.sort_unstable();
            for &(id, idx) in &trig {
                let o = &mut self.orders[idx as usize];
                debug_assert!(o.state == OrderState::Stop && o.id == id);
                o.state = OrderState::Incoming;
                let key = (o.stop_price.get(), id);
                let side = o.side;
                let removed = self.books[s].stops_mut(side).remove(&key);
                debug_assert_eq!(removed, Some(idx), "stop {id} not in its map");
            }
            for &(_, idx) in &trig {
                self.push_report(out, st, idx, ExecType::Triggered, None, None);
                let o = &self.orders[idx as usize];
                let si = self.dir.rules(sym);
                if o.order_type.has_limit_price() && !si.in_band(o.side, o.price, band_ref) {
                    self.close_incoming(st, idx, Reason::PriceOutOfBand, out);
                } else {
                    self.match_incoming(st, idx, band_ref, out);
                }
            }
            trig.clear();
            self.triggered = trig;
        }
    }
}
