//! Matching: an incoming order against the other side of its book.
//!
//! What it owns: the crossing test, price-time matching with self-trade
//! prevention and FOK, one fill and what it moves, resting a remainder, and
//! closing an incoming order that does not rest.
//!
//! What must hold:
//! - An incoming order is in no level while it matches; it trades with the
//!   head of the best opposite level, at that level's price, while it
//!   crosses and has something left.
//! - A fill moves funds between the two users and the fee account and
//!   creates none (checked in debug builds after every fill): the buyer's
//!   quote comes from its lock at its own limit (the excess returns) or,
//!   without a limit, from what is available; the seller's base comes from
//!   its lock; each side receives less its fee, floored, in what it receives.
//! - After a fill the maker leaves the level when filled, or (iceberg) shows
//!   a new slice at the back of its level; a resting order always shows
//!   `0 < visible <= remaining`.
//! - What rests does not cross: the book is never crossed at rest (checked
//!   in debug builds before and after resting).
//! - Most incoming orders do not cross: they rest or go without entering the
//!   matching loop.

use super::orders::{push_tail, unlink, Order, OrderState};
use super::Stamp;
use crate::accounts::NIL;
#[cfg(debug_assertions)]
use crate::directory::SymbolRules;
use crate::*;

/// The fields of an order that matching reads, copied small.
#[derive(Copy, Clone)]
struct OrderView {
    symbol: SymbolId,
    side: Side,
    acct: u32,
    stp: Stp,
    tif: Tif,
    post_only: bool,
    limit: Option<Ticks>,
}

impl OrderView {
    #[inline]
    fn of(o: &Order) -> OrderView {
        OrderView {
            symbol: o.symbol,
            side: o.side,
            acct: o.acct,
            stp: o.stp,
            tif: o.tif,
            post_only: o.post_only,
            limit: o.limit(),
        }
    }
}

impl Engine {
    /// Matches the order at `idx` (not in any level) against the other side,
    /// then rests its remainder (GTC limit) or cancels it.
    ///
    /// An incoming order always has something left to match. Most do not
    /// cross: they rest (GTC limit) or go at once, without the matching loop.
    #[inline(always)]
    pub(super) fn match_incoming(
        &mut self,
        st: Stamp,
        idx: u32,
        band_ref: Option<Ticks>,
        out: &mut Vec<Event>,
    ) {
        let o = &self.orders[idx as usize];
        debug_assert!(o.remaining() > 0);
        let limit = o.limit();
        let opp = o.side.opposite();
        if self.books[o.symbol.0 as usize].side(opp).crossed_by(limit) {
            return self.match_crossing(st, idx, band_ref, out);
        }
        // Nothing crosses: post-only passes, FOK cannot fill (limit only).
        if o.tif == Tif::Fok {
            self.close_incoming(st, idx, Reason::FokUnfillable, out);
        } else if limit.is_some() && o.tif == Tif::Gtc {
            self.rest(idx, out);
        } else {
            self.close_incoming(st, idx, Reason::IocRemainder, out);
        }
    }

    /// [`Engine::match_incoming`] for an order that crosses the other side.
    #[inline(never)]
    fn match_crossing(
        &mut self,
        st: Stamp,
        idx: u32,
        band_ref: Option<Ticks>,
        out: &mut Vec<Event>,
    ) {
        let o = OrderView::of(&self.orders[idx as usize]);
        let s = o.symbol.0 as usize;
        let limit = o.limit;
        let opp = o.side.opposite();
        if o.post_only && self.books[s].side(opp).crossed_by(limit) {
            return self.close_incoming(st, idx, Reason::PostOnlyWouldCross, out);
        }
        if o.tif == Tif::Fok && !self.fok_fillable(idx) {
            return self.close_incoming(st, idx, Reason::FokUnfillable, out);
        }
        loop {
            let remaining = self.orders[idx as usize].remaining();
            if remaining == 0 {
                break;
            }
            let side = self.books[s].side(opp);
            if !side.crossed_by(limit) {
                break;
            }
            let Some(best) = side.best() else { break };
            let px = best.price;
            let si = self.dir.rules(o.symbol);
            if limit.is_none() && !si.in_band(o.side, px, band_ref) {
                return self.close_incoming(st, idx, Reason::PriceOutOfBand, out);
            }
            let maker = best.head;
            let m = &self.orders[maker as usize];
            if m.acct == o.acct && o.stp != Stp::None {
                match o.stp {
                    Stp::CancelMaker => {
                        self.cancel_open(st, maker, Reason::SelfTradePrevented, out);
                        continue;
                    }
                    Stp::CancelBoth => {
                        self.cancel_open(st, maker, Reason::SelfTradePrevented, out);
                        return self.close_incoming(st, idx, Reason::SelfTradePrevented, out);
                    }
                    _ => return self.close_incoming(st, idx, Reason::SelfTradePrevented, out),
                }
            }
            let mut q = remaining.min(m.visible.get());
            if o.side == Side::Buy && limit.is_none() {
                // A market buy spends what is available, lot by lot.
                let per_lot = px.get() as i128 * si.quote_per_tick_lot as i128;
                let avail = self.ledger.at(o.acct, si.quote).available.get() as i128;
                let afford = (avail / per_lot).min(i64::MAX as i128) as i64;
                if afford == 0 {
                    return self.close_incoming(st, idx, Reason::InsufficientFunds, out);
                }
                q = q.min(afford);
            }
            self.fill(st, o.symbol, maker, idx, px, Lots::new(q), out);
        }
        let o = &self.orders[idx as usize];
        if o.remaining() == 0 {
            self.close(idx);
        } else if limit.is_some() && o.tif == Tif::Gtc {
            self.rest(idx, out);
        } else {
            self.close_incoming(st, idx, Reason::IocRemainder, out);
        }
    }

    /// Could a FOK order take its whole quantity now? Counts hidden reserves;
    /// under STP skips own orders (`cancel_maker`) or stops at the first one
    /// (`cancel_taker`, `cancel_both`: matching would stop there too).
    fn fok_fillable(&self, idx: u32) -> bool {
        let o = &self.orders[idx as usize];
        let need = o.remaining();
        let side = self.books[o.symbol.0 as usize].side(o.side.opposite());
        let mut have = 0i64;
        for lvl in side.levels_best_first() {
            let crosses = match o.side {
                Side::Buy => o.price >= lvl.price,
                Side::Sell => o.price <= lvl.price,
            };
            if !crosses {
                break;
            }
            let mut cur = lvl.head;
            while cur != NIL {
                let m = &self.orders[cur as usize];
                if m.acct == o.acct && o.stp != Stp::None {
                    if o.stp != Stp::CancelMaker {
                        return have >= need;
                    }
                } else {
                    have += m.remaining();
                    if have >= need {
                        return true;
                    }
                }
                cur = m.next;
            }
        }
        have >= need
    }

    /// One match of `q` lots at `px` between the resting `maker` (at the head
    /// of the best level) and the incoming `taker`.
    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        st: Stamp,
        sym: SymbolId,
        maker: u32,
        taker: u32,
        px: Ticks,
        q: Lots,
        out: &mut Vec<Event>,
    ) {
        let si = *self.dir.rules(sym);
        let quote_amt = (px.get() as i128 * q.get() as i128 * si.quote_per_tick_lot as i128) as i64;
        let base_amt = q.get() * si.base_per_lot;
        let (m, t) = (
            OrderView::of(&self.orders[maker as usize]),
            OrderView::of(&self.orders[taker as usize]),
        );
        debug_assert!(
            q.get() > 0
                && q <= self.orders[maker as usize].visible
                && q.get() <= self.orders[taker as usize].remaining(),
            "fill of {q:?} exceeds what maker or taker has"
        );
        debug_assert!(
            self.books[sym.0 as usize]
                .side(m.side)
                .best()
                .is_some_and(|l| l.head == maker && l.price == px),
            "maker is not at the head of the best level"
        );
        let (buyer, seller) = if t.side == Side::Buy {
            (&t, &m)
        } else {
            (&m, &t)
        };
        #[cfg(debug_assertions)]
        let held_before = self.held_by(buyer.acct, seller.acct, &si);
        let (buyer_bps, seller_bps) = if t.side == Side::Buy {
            (si.taker_fee_bps, si.maker_fee_bps)
        } else {
            (si.maker_fee_bps, si.taker_fee_bps)
        };
        // The buyer pays: from its lock at its own limit (the excess returns),
        // or, without a limit, from what is available.
        match buyer.limit {
            Some(lim) => {
                let locked =
                    (lim.get() as i128 * q.get() as i128 * si.quote_per_tick_lot as i128) as i64;
                let b = self.ledger.at_mut(buyer.acct, si.quote);
                b.locked = Units::new(b.locked.get() - locked);
                b.available = Units::new(b.available.get() + locked - quote_amt);
            }
            None => {
                let b = self.ledger.at_mut(buyer.acct, si.quote);
                b.available = Units::new(b.available.get() - quote_amt);
            }
        }
        let b = self.ledger.at_mut(seller.acct, si.base);
        b.locked = Units::new(b.locked.get() - base_amt);
        // Each side receives less its fee, floored, in what it receives.
        let buyer_fee = fee(base_amt, buyer_bps);
        let seller_fee = fee(quote_amt, seller_bps);
        let b = self.ledger.at_mut(buyer.acct, si.base);
        b.available = Units::new(b.available.get() + base_amt - buyer_fee);
        let b = self.ledger.at_mut(seller.acct, si.quote);
        b.available = Units::new(b.available.get() + quote_amt - seller_fee);
        self.ledger.fees[si.base.0 as usize] += buyer_fee;
        self.ledger.fees[si.quote.0 as usize] += seller_fee;
        #[cfg(debug_assertions)]
        self.check_fill_funds(buyer.acct, seller.acct, &si, held_before);
        let (maker_fee, maker_fee_asset, taker_fee, taker_fee_asset) = if t.side == Side::Buy {
            (seller_fee, si.quote, buyer_fee, si.base)
        } else {
            (buyer_fee, si.base, seller_fee, si.quote)
        };

        let trade_id = self.next_trade_id;
        self.next_trade_id += 1;
        {
            let mo = &mut self.orders[maker as usize];
            mo.filled = Lots::new(mo.filled.get() + q.get());
            mo.visible = Lots::new(mo.visible.get() - q.get());
            mo.cum_quote += quote_amt;
            let to = &mut self.orders[taker as usize];
            to.filled = Lots::new(to.filled.get() + q.get());
            to.cum_quote += quote_amt;
        }
        let book = &mut self.books[si.id.0 as usize];
        book.last_price = Some(px);
        let mk = |fee, fee_asset, liquidity| Fill {
            trade_id,
            price: px,
            qty: q,
            fee: Units::new(fee),
            fee_asset,
            liquidity,
        };
        self.push_report(
            out,
            st,
            maker,
            ExecType::Trade,
            None,
            Some(mk(maker_fee, maker_fee_asset, Liquidity::Maker)),
        );
        self.push_report(
            out,
            st,
            taker,
            ExecType::Trade,
            None,
            Some(mk(taker_fee, taker_fee_asset, Liquidity::Taker)),
        );

        // The maker leaves the level, or (iceberg) shows a new slice at its back.
        let book = &mut self.books[si.id.0 as usize];
        let side = book.side_mut(m.side);
        let mo = &self.orders[maker as usize];
        let (m_rem, m_vis, m_display) = (mo.remaining(), mo.visible.get(), mo.display.get());
        let pos = mo.level as usize;
        side.slots[pos].visible = Lots::new(side.slots[pos].visible.get() - q.get());
        let level_qty = if m_rem == 0 {
            let v = unlink(side, &mut self.orders, pos, maker);
            self.close(maker);
            v
        } else if m_vis == 0 {
            let slice = Lots::new(m_display.min(m_rem));
            if side.slots[pos].count > 1 {
                unlink(side, &mut self.orders, pos, maker);
                self.orders[maker as usize].visible = slice;
                push_tail(&mut side.slots[pos], &mut self.orders, maker);
                self.orders[maker as usize].level = pos as u32;
            } else {
                self.orders[maker as usize].visible = slice;
                side.slots[pos].visible = slice;
            }
            side.slots[pos].visible
        } else {
            side.slots[pos].visible
        };
        debug_assert!(
            m_rem == 0 || {
                let mo = &self.orders[maker as usize];
                mo.visible.get() > 0 && mo.visible.get() <= mo.remaining()
            },
            "maker left resting with nothing visible"
        );
        out.push(Event::Level {
            symbol: si.id,
            side: m.side,
            price: px,
            qty: level_qty,
        });
    }

    /// What the accounts `a` and `b` (one account if the same) and the fee
    /// account hold of the base and of the quote of `si`.
    #[cfg(debug_assertions)]
    fn held_by(&self, a: u32, b: u32, si: &SymbolRules) -> [i128; 2] {
        let accts: &[u32] = if a == b { &[a] } else { &[a, b] };
        [si.base, si.quote].map(|asset| {
            let users: i128 = accts
                .iter()
                .map(|&x| {
                    let bal = self.ledger.at(x, asset);
                    bal.available.get() as i128 + bal.locked.get() as i128
                })
                .sum();
            users + self.ledger.fees[asset.0 as usize] as i128
        })
    }

    /// The pair of the fill's funds check: nothing was created or lost
    /// between `held_before` and now, and no balance went negative.
    #[cfg(debug_assertions)]
    fn check_fill_funds(&self, buyer: u32, seller: u32, si: &SymbolRules, held_before: [i128; 2]) {
        assert_eq!(
            self.held_by(buyer, seller, si),
            held_before,
            "a fill created or lost funds (base, quote)"
        );
        for acct in [buyer, seller] {
            for asset in [si.base, si.quote] {
                let b = self.ledger.at(acct, asset);
                assert!(
                    b.available.get() >= 0 && b.locked.get() >= 0,
                    "a fill left a negative balance: {b:?}"
                );
            }
        }
    }

    /// Puts an incoming order with a remainder into its level, at the back.
    #[inline(always)]
    fn rest(&mut self, idx: u32, out: &mut Vec<Event>) {
        let o = &mut self.orders[idx as usize];
        let rem = o.remaining();
        o.visible = Lots::new(if o.display.get() > 0 {
            o.display.get().min(rem)
        } else {
            rem
        });
        o.state = OrderState::Resting;
        let (s, side, price, near) = (o.symbol, o.side, o.price, o.near);
        debug_assert!(
            rem > 0
                && !self.books[s.0 as usize]
                    .side(side.opposite())
                    .crossed_by(Some(price)),
            "order {} would rest crossing the book",
            o.id
        );
        if !o.listed {
            self.list(idx);
        }
        let bs = self.books[s.0 as usize].side_mut(side);
        let slot = bs.level_for(price, near);
        let lvl = &mut bs.slots[slot as usize];
        push_tail(lvl, &mut self.orders, idx);
        self.orders[idx as usize].level = slot;
        out.push(Event::Level {
            symbol: s,
            side,
            price,
            qty: lvl.visible,
        });
        debug_assert!(!self.books[s.0 as usize].crossed(), "book crossed at rest");
    }

    /// Releases what the order still has locked.
    pub(super) fn release(&mut self, idx: u32) {
        let o = &self.orders[idx as usize];
        let si = self.dir.rules(o.symbol);
        let rem = Lots::new(o.remaining());
        let (asset, amt) = match (o.side, o.limit()) {
            (Side::Buy, Some(p)) => (si.quote, si.quote_units(p, rem).unwrap_or(0)),
            (Side::Buy, None) => (si.quote, 0),
            (Side::Sell, _) => (si.base, si.base_units(rem).unwrap_or(0)),
        };
        if amt != 0 {
            self.ledger.unlock(o.acct, asset, amt);
        }
    }

    /// Cancels the remainder of an order that is not in any level.
    pub(super) fn close_incoming(
        &mut self,
        st: Stamp,
        idx: u32,
        reason: Reason,
        out: &mut Vec<Event>,
    ) {
        self.push_report(out, st, idx, ExecType::Canceled, Some(reason), None);
        self.release(idx);
        self.close(idx);
    }
}

/// `amount * bps / 10_000`, rounded toward zero, exactly (in `i64` when the
/// product fits, which it does for any amount below about 9.2e14 units).
#[inline]
fn fee(amount: i64, bps: u32) -> i64 {
    match amount.checked_mul(bps as i64) {
        Some(p) => p / 10_000,
        None => (amount as i128 * bps as i128 / 10_000) as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::fee;

    /// The `i64` fast path of `fee` floors exactly as the 128-bit formula.
    #[test]
    fn fee_matches_wide_arithmetic() {
        let amounts = [
            0,
            1,
            9_999,
            10_000,
            10_001,
            123_456_789,
            i64::MAX / 10_000,
            i64::MAX / 10_000 + 1,
            i64::MAX / 2,
            i64::MAX,
        ];
        for &a in &amounts {
            for &bps in &[0u32, 1, 7, 10, 25, 9_999, 10_000] {
                let wide = (a as i128 * bps as i128 / 10_000) as i64;
                assert_eq!(fee(a, bps), wide, "{a} * {bps}");
            }
        }
    }
}
