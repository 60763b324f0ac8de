//! Placing an order: the checks it passes, one after the other, then its
//! acceptance.
//!
//! What it owns: turning a [`Place`] into an order in the slab, or into a
//! `Rejected` report that says how far the checks got (symbol, price, stop
//! price and quantity once known).
//!
//! What must hold:
//! - Every place consumes an order id, accepted or not, so ids are
//!   predictable from the command stream alone.
//! - Apart from that id, nothing changes before the last check passes; then
//!   the funds the order needs move from available to locked in one step: a
//!   buy with a limit price locks `price * qty` quote, every sell locks `qty`
//!   base, market and stop-market buys lock nothing (they spend what is
//!   available as they match).
//! - An accepted order is reported `New` before anything else happens to
//!   it; a stop then waits (see `stops`), anything else matches at once (see
//!   `matching`), and the stops its trades reach trigger after it.

use super::orders::{Order, OrderState};
use super::Stamp;
use crate::accounts::NIL;
use crate::*;

impl Engine {
    pub(super) fn place(&mut self, st: Stamp, p: &Place, out: &mut Vec<Event>) {
        let id = self.next_order_id;
        self.next_order_id += 1;
        let mut rej = Rejected {
            st,
            id,
            p,
            symbol: None,
            price: None,
            stop_price: None,
            qty: Lots::ZERO,
        };
        let Some(acct) = self.user_idx.get(p.user) else {
            return rej.emit(Reason::UnknownUser, out);
        };
        let Some(sym) = self.symbol_id(&p.symbol) else {
            return rej.emit(Reason::UnknownSymbol, out);
        };
        rej.symbol = Some(sym);
        let si = self.dir.rules(sym);
        let book = &self.books[sym.0 as usize];
        if book.halted {
            return rej.emit(Reason::MarketHalted, out);
        }
        let ot = p.order_type;
        let fine_combo = match ot {
            OrderType::Limit => p.stop_price.is_none(),
            OrderType::Market => p.price.is_none() && p.stop_price.is_none() && p.tif != Tif::Fok,
            OrderType::StopLimit => p.tif != Tif::Fok,
            OrderType::StopMarket => p.price.is_none() && p.tif != Tif::Fok,
        } && (!p.post_only || (ot == OrderType::Limit && p.tif == Tif::Gtc))
            && (p.display_qty.is_none() || (ot == OrderType::Limit && p.tif == Tif::Gtc));
        if !fine_combo {
            return rej.emit(Reason::Unsupported, out);
        }
        let qty = match si.qty_to_lots(p.qty) {
            Some(q) if q.get() >= si.min_lots => q,
            _ => return rej.emit(Reason::InvalidQty, out),
        };
        rej.qty = qty;
        let display = match p.display_qty {
            None => Lots::ZERO,
            Some(d) => match si.qty_to_lots(d) {
                Some(d) if d.get() > 0 && d < qty => d,
                _ => return rej.emit(Reason::InvalidQty, out),
            },
        };
        let price = if ot.has_limit_price() {
            match p.price.and_then(|x| si.price_to_ticks(x)) {
                Some(t) if t.get() > 0 => t,
                _ => return rej.emit(Reason::InvalidPrice, out),
            }
        } else {
            Ticks::ZERO
        };
        rej.price = ot.has_limit_price().then_some(price);
        let stop_price = if ot.is_stop() {
            match p.stop_price.and_then(|x| si.price_to_ticks(x)) {
                Some(t) if t.get() > 0 => t,
                _ => return rej.emit(Reason::InvalidPrice, out),
            }
        } else {
            Ticks::ZERO
        };
        rej.stop_price = ot.is_stop().then_some(stop_price);
        if let Some(c) = &p.client_order_id {
            if self.accounts[acct as usize].clid_taken(c) {
                return rej.emit(Reason::DuplicateClientOrderId, out);
            }
        }
        let band_ref = book.last_price;
        if ot.has_limit_price() && !si.in_band(p.side, price, band_ref) {
            return rej.emit(Reason::PriceOutOfBand, out);
        }
        if ot.is_stop() {
            if let Some(last) = band_ref {
                let holds = match p.side {
                    Side::Buy => last >= stop_price,
                    Side::Sell => last <= stop_price,
                };
                if holds {
                    return rej.emit(Reason::StopWouldTrigger, out);
                }
            }
        }
        let (asset, need) = match p.side {
            Side::Buy if ot.has_limit_price() => match si.quote_units(price, qty) {
                Some(n) => (si.quote, n),
                None => return rej.emit(Reason::InvalidQty, out),
            },
            Side::Buy => (si.quote, 0),
            Side::Sell => match si.base_units(qty) {
                Some(n) => (si.base, n),
                None => return rej.emit(Reason::InvalidQty, out),
            },
        };
        if self.ledger.at(acct, asset).available.get() < need {
            return rej.emit(Reason::InsufficientFunds, out);
        }
        if book.by_id.len() >= self.limits.orders_per_symbol_max {
            return rej.emit(Reason::LimitReached, out);
        }

        // Accepted.
        let locked = self.ledger.lock(acct, asset, need);
        debug_assert!(locked, "funds checked above");
        let idx = self.alloc(
            Order {
                id,
                user: p.user,
                price,
                qty,
                filled: Lots::ZERO,
                visible: Lots::ZERO,
                cum_quote: 0,
                prev: NIL,
                next: NIL,
                acct,
                symbol: sym,
                level: NIL,
                near: NIL,
                side: p.side,
                order_type: ot,
                tif: p.tif,
                stp: p.stp,
                post_only: p.post_only,
                listed: false,
                has_clid: p.client_order_id.is_some(),
                state: OrderState::Incoming,
                uprev: NIL,
                unext: NIL,
                stop_price,
                display,
            },
            p.client_order_id,
        );
        self.accounts[acct as usize].note_order(p.client_order_id, idx);
        self.push_report(out, st, idx, ExecType::New, None, None);
        if ot.is_stop() {
            return self.arm_stop(idx);
        }
        self.match_incoming(st, idx, band_ref, out);
        self.process_triggers(st, sym, band_ref, out);
    }
}

/// A place refused before it became an order: what its report can say.
struct Rejected<'a> {
    st: Stamp,
    id: OrderId,
    p: &'a Place,
    symbol: Option<SymbolId>,
    price: Option<Ticks>,
    stop_price: Option<Ticks>,
    qty: Lots,
}

impl Rejected<'_> {
    fn emit(&self, reason: Reason, out: &mut Vec<Event>) {
        out.push(Event::Execution(ExecReport {
            seq: self.st.seq,
            ts_ns: self.st.ts_ns,
            user: self.p.user,
            order_id: self.id,
            client_order_id: self.p.client_order_id,
            symbol: self.symbol,
            side: self.p.side,
            order_type: self.p.order_type,
            tif: self.p.tif,
            exec_type: ExecType::Rejected,
            status: OrderStatus::Rejected,
            reason: Some(reason),
            price: self.price,
            stop_price: self.stop_price,
            qty: self.qty,
            filled: Lots::ZERO,
            remaining: Lots::ZERO,
            cum_quote: Units::ZERO,
            fill: None,
        }));
    }
}
