//! Cancel, cancel-all and amend of open orders.
//!
//! What it owns: finding the open order a command names, taking an open
//! order out of its level or stop map, and changing the price or quantity
//! of a resting order.
//!
//! What must hold:
//! - A command names an order of its own user in the symbol it names, by
//!   order id or client order id; anything else is an unknown order.
//! - A cancelled order leaves everything it was in (level or stop map, its
//!   book's ids, its user's list) and its remaining lock returns.
//! - An amend keeps the order's id. It keeps its place in the queue when the
//!   price stays and the quantity does not grow (a reduction comes out of
//!   the hidden reserve first); otherwise it leaves its level and comes back
//!   in as an incoming order, which may match. The lock follows the new
//!   price and remainder, and is taken before anything moves: an amend that
//!   the user cannot fund changes nothing. Untriggered stops are not
//!   amendable.

use super::orders::{unlink, OrderState};
use super::Stamp;
use crate::accounts::NIL;
use crate::*;

impl Engine {
    /// The open order of `acct` in `sym` that `target` names.
    #[inline(always)]
    fn find_open(&self, acct: u32, sym: SymbolId, target: &OrderRef) -> Option<u32> {
        let idx = match *target {
            OrderRef::Id(id) => self.books[sym.0 as usize].by_id.get(id)?,
            OrderRef::Client(ref c) => {
                let e = self.accounts[acct as usize].clids.get(c)?;
                if e.open == NIL {
                    return None;
                }
                e.open
            }
        };
        let o = &self.orders[idx as usize];
        (o.listed && o.acct == acct && o.symbol == sym).then_some(idx)
    }

    /// Cancels an open order (resting or untriggered stop).
    pub(super) fn cancel_open(
        &mut self,
        st: Stamp,
        idx: u32,
        reason: Reason,
        out: &mut Vec<Event>,
    ) {
        let o = &self.orders[idx as usize];
        let (symbol, side, price, slot) = (o.symbol, o.side, o.price, o.level);
        let book = &mut self.books[symbol.0 as usize];
        match o.state {
            OrderState::Resting => {
                let bs = book.side_mut(side);
                let v = unlink(bs, &mut self.orders, slot as usize, idx);
                out.push(Event::Level {
                    symbol,
                    side,
                    price,
                    qty: v,
                });
            }
            OrderState::Stop => {
                let removed = book.stops_mut(side).remove(&(o.stop_price.get(), o.id));
                debug_assert_eq!(removed, Some(idx), "stop {} not in its map", o.id);
            }
            OrderState::Incoming | OrderState::Free => {}
        }
        self.close_incoming(st, idx, reason, out);
    }

    pub(super) fn cancel(
        &mut self,
        st: Stamp,
        user: UserId,
        symbol: &Name,
        target: &OrderRef,
        out: &mut Vec<Event>,
    ) {
        let reject = |reason| Event::Reject {
            seq: st.seq,
            ts_ns: st.ts_ns,
            user,
            op: RejectOp::Cancel,
            target: Some(*target),
            reason,
        };
        let Some(acct) = self.user_idx.get(user) else {
            return out.push(reject(Reason::UnknownUser));
        };
        let Some(sym) = self.symbol_id(symbol) else {
            return out.push(reject(Reason::UnknownSymbol));
        };
        match self.find_open(acct, sym, target) {
            Some(idx) => self.cancel_open(st, idx, Reason::UserCanceled, out),
            None => out.push(reject(Reason::UnknownOrder)),
        }
    }

    pub(super) fn cancel_all(
        &mut self,
        st: Stamp,
        user: UserId,
        symbol: Option<&Name>,
        out: &mut Vec<Event>,
    ) {
        let reject = |reason| Event::Reject {
            seq: st.seq,
            ts_ns: st.ts_ns,
            user,
            op: RejectOp::CancelAll,
            target: None,
            reason,
        };
        let Some(acct) = self.user_idx.get(user) else {
            return out.push(reject(Reason::UnknownUser));
        };
        let filter = match symbol {
            None => None,
            Some(n) => match self.dir.symbol_id(n) {
                Some(s) => Some(s),
                None => return out.push(reject(Reason::UnknownSymbol)),
            },
        };
        let mut canceled = 0u32;
        let mut cur = self.accounts[acct as usize].first;
        while cur != NIL {
            let o = &self.orders[cur as usize];
            let next = o.unext;
            if filter.is_none_or(|s| s == o.symbol) {
                self.cancel_open(st, cur, Reason::UserCanceled, out);
                canceled += 1;
            }
            cur = next;
        }
        out.push(Event::CancelAll {
            seq: st.seq,
            ts_ns: st.ts_ns,
            user,
            canceled,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn amend(
        &mut self,
        st: Stamp,
        user: UserId,
        symbol: &Name,
        target: &OrderRef,
        price: &Option<Fixed>,
        qty: &Option<Fixed>,
        out: &mut Vec<Event>,
    ) {
        let reject = |reason| Event::Reject {
            seq: st.seq,
            ts_ns: st.ts_ns,
            user,
            op: RejectOp::Amend,
            target: Some(*target),
            reason,
        };
        let Some(acct) = self.user_idx.get(user) else {
            return out.push(reject(Reason::UnknownUser));
        };
        let Some(sym) = self.symbol_id(symbol) else {
            return out.push(reject(Reason::UnknownSymbol));
        };
        let Some(idx) = self.find_open(acct, sym, target) else {
            return out.push(reject(Reason::UnknownOrder));
        };
        let o = &self.orders[idx as usize];
        if o.state == OrderState::Stop {
            return out.push(reject(Reason::Unsupported));
        }
        let (side, post_only, level) = (o.side, o.post_only, o.level);
        let (old_price, old_qty, filled, visible) = (o.price, o.qty, o.filled, o.visible);
        let old_rem = Lots::new(o.remaining());
        let si = self.dir.rules(sym);
        let s = sym.0 as usize;
        let book = &self.books[s];
        if book.halted {
            return out.push(reject(Reason::MarketHalted));
        }
        let new_qty = match *qty {
            None => old_qty,
            Some(q) => match si.qty_to_lots(q) {
                Some(q) if q > filled => q,
                _ => return out.push(reject(Reason::InvalidQty)),
            },
        };
        let new_price = match *price {
            None => old_price,
            Some(p) => match si.price_to_ticks(p) {
                Some(t) if t.get() > 0 => t,
                _ => return out.push(reject(Reason::InvalidPrice)),
            },
        };
        let band_ref = book.last_price;
        if new_price != old_price && !si.in_band(side, new_price, band_ref) {
            return out.push(reject(Reason::PriceOutOfBand));
        }
        if post_only
            && new_price != old_price
            && book.side(side.opposite()).crossed_by(Some(new_price))
        {
            return out.push(reject(Reason::PostOnlyWouldCross));
        }
        let new_rem = Lots::new(new_qty.get() - filled.get());
        let (asset, old_need, new_need) = match side {
            Side::Buy => (
                si.quote,
                si.quote_units(old_price, old_rem).unwrap_or(0),
                si.quote_units(new_price, new_rem),
            ),
            Side::Sell => (
                si.base,
                si.base_units(old_rem).unwrap_or(0),
                si.base_units(new_rem),
            ),
        };
        let Some(new_need) = new_need else {
            return out.push(reject(Reason::InvalidQty));
        };
        if new_need > old_need {
            if !self.ledger.lock(acct, asset, new_need - old_need) {
                return out.push(reject(Reason::InsufficientFunds));
            }
        } else if new_need < old_need {
            self.ledger.unlock(acct, asset, old_need - new_need);
        }

        let keep_place = new_price == old_price && new_qty <= old_qty;
        // An amendable order is resting (stops were refused above).
        debug_assert_eq!(self.orders[idx as usize].state, OrderState::Resting);
        let pos = level as usize;
        if keep_place {
            // A reduction comes out of the hidden reserve first.
            let reduce = old_qty.get() - new_qty.get();
            let hidden = old_rem.get() - visible.get();
            let from_visible = (reduce - hidden).max(0);
            let ord = &mut self.orders[idx as usize];
            ord.qty = new_qty;
            ord.visible = Lots::new(ord.visible.get() - from_visible);
            debug_assert!(
                ord.visible.get() > 0 && ord.visible.get() <= ord.remaining(),
                "amended order {} shows {:?} of {} remaining",
                ord.id,
                ord.visible,
                ord.remaining()
            );
            self.push_report(out, st, idx, ExecType::Replaced, None, None);
            if from_visible > 0 {
                let lvl = &mut self.books[s].side_mut(side).slots[pos];
                lvl.visible = Lots::new(lvl.visible.get() - from_visible);
                out.push(Event::Level {
                    symbol: sym,
                    side,
                    price: old_price,
                    qty: lvl.visible,
                });
            }
            return;
        }
        let bs = self.books[s].side_mut(side);
        let near = bs.slots[pos].at;
        let v = unlink(bs, &mut self.orders, pos, idx);
        out.push(Event::Level {
            symbol: sym,
            side,
            price: old_price,
            qty: v,
        });
        let ord = &mut self.orders[idx as usize];
        ord.qty = new_qty;
        ord.price = new_price;
        ord.visible = Lots::ZERO;
        self.push_report(out, st, idx, ExecType::Replaced, None, None);
        // After the report: it reads the flag bytes beside `state` in one
        // load, which a fresh one-byte store in between would stall.
        let ord = &mut self.orders[idx as usize];
        ord.state = OrderState::Incoming;
        ord.level = NIL;
        ord.near = near;
        self.match_incoming(st, idx, band_ref, out);
        self.process_triggers(st, sym, band_ref, out);
    }
}
