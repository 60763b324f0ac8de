//! The order slab and the two intrusive lists that run through it.
//!
//! What it owns: [`Order`] and its [`OrderState`], allocation and freeing of
//! slab slots, the client order ids kept beside the slab, and the links that
//! make an order *open*: its level's queue (`prev`/`next`, see `book`) and
//! its user's open-order list (`uprev`/`unext`, in `order_id` order).
//!
//! What must hold:
//! - A slot is either free (in `Engine::free_slots`, state `Free`) or holds
//!   one live order; slab indices never name a free slot from a list, a
//!   level or an index.
//! - An order is *listed* exactly while it is open (resting or an
//!   untriggered stop): then it is in its book's `by_id` and in its user's
//!   list, and `Account::open_count` counts it. [`Engine::list`] and
//!   [`Engine::close`] are the only ways in and out.
//! - A level's `visible`, `count`, `head` and `tail` agree with its queue
//!   after every [`unlink`] and [`push_tail`].
//!
//! It never emits events and never moves funds.

use crate::accounts::NIL;
use crate::book::{BookSide, Level};
use crate::*;
use bincode::{Decode, Encode};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub(crate) enum OrderState {
    Free,
    /// Being matched: not in a level, maybe listed (triggered stop, amend).
    Incoming,
    Resting,
    Stop,
}

/// An order in the slab. Its `client_order_id`, when it has one, is kept
/// apart in `Engine::clids` (same index), so that the fields matching reads
/// stay dense.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Order {
    pub id: OrderId,
    pub user: UserId,
    /// Limit price; zero for market and stop-market.
    pub price: Ticks,
    pub qty: Lots,
    pub filled: Lots,
    /// Visible quantity while resting (the current slice of an iceberg).
    pub visible: Lots,
    pub cum_quote: i64,
    pub prev: u32,
    pub next: u32,
    pub acct: u32,
    pub symbol: SymbolId,
    /// Slot of its level while resting (see `book`).
    pub level: u32,
    /// While incoming: where its new level probably is in the book's sorted
    /// levels (where its previous one was), or [`NIL`] (the top). A hint only.
    pub near: u32,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Tif,
    pub stp: Stp,
    pub post_only: bool,
    pub listed: bool,
    /// `Engine::clids` holds its client order id.
    pub has_clid: bool,
    pub state: OrderState,
    pub uprev: u32,
    pub unext: u32,
    /// Trigger price; zero when not a stop.
    pub stop_price: Ticks,
    /// Iceberg slice size; zero for a plain order.
    pub display: Lots,
}

impl Order {
    #[inline]
    pub fn remaining(&self) -> i64 {
        self.qty.get() - self.filled.get()
    }
    #[inline]
    pub fn limit(&self) -> Option<Ticks> {
        if self.order_type.has_limit_price() {
            Some(self.price)
        } else {
            None
        }
    }
}

impl Engine {
    /// Puts `o` in a free slot (or a new one); returns its slab index.
    pub(super) fn alloc(&mut self, o: Order, clid: Option<ClOrdId>) -> u32 {
        match self.free_slots.pop() {
            Some(i) => {
                debug_assert_eq!(self.orders[i as usize].state, OrderState::Free);
                self.orders[i as usize] = o;
                if clid.is_some() {
                    self.clids[i as usize] = clid;
                }
                i
            }
            None => {
                self.orders.push(o);
                self.clids.push(clid);
                (self.orders.len() - 1) as u32
            }
        }
    }

    /// The client order id of the order at `idx`.
    #[inline]
    pub(crate) fn clid(&self, idx: u32) -> Option<ClOrdId> {
        if self.orders[idx as usize].has_clid {
            self.clids[idx as usize]
        } else {
            None
        }
    }

    /// Makes an order open: findable by id, in its user's list, counted in its book.
    pub(crate) fn list(&mut self, idx: u32) {
        let o = &mut self.orders[idx as usize];
        debug_assert!(!o.listed);
        o.listed = true;
        let (id, acct, s) = (o.id, o.acct, o.symbol);
        self.books[s.0 as usize].by_id.insert(id, idx);
        let a = &mut self.accounts[acct as usize];
        let tail = a.last;
        a.last = idx;
        a.open_count += 1;
        if tail == NIL {
            a.first = idx;
        } else {
            self.orders[tail as usize].unext = idx;
        }
        let o = &mut self.orders[idx as usize];
        o.uprev = tail;
        o.unext = NIL;
    }

    /// Forgets a closed order (filled, cancelled or never rested) and frees its slot.
    pub(super) fn close(&mut self, idx: u32) {
        let o = &self.orders[idx as usize];
        debug_assert!(o.state != OrderState::Free, "slot {idx} closed twice");
        let (listed, has_clid, acct) = (o.listed, o.has_clid, o.acct);
        if listed {
            let (id, symbol, uprev, unext) = (o.id, o.symbol, o.uprev, o.unext);
            let removed = self.books[symbol.0 as usize].by_id.remove(id);
            debug_assert_eq!(removed, Some(idx), "order {id} not found by id");
            let a = &mut self.accounts[acct as usize];
            a.open_count -= 1;
            if uprev == NIL {
                a.first = unext;
            } else {
                self.orders[uprev as usize].unext = unext;
            }
            if unext == NIL {
                self.accounts[acct as usize].last = uprev;
            } else {
                self.orders[unext as usize].uprev = uprev;
            }
        }
        if has_clid {
            if let Some(c) = &self.clids[idx as usize] {
                self.accounts[acct as usize].close_clid(c);
            }
        }
        let slot = &mut self.orders[idx as usize];
        slot.state = OrderState::Free;
        slot.listed = false;
        self.free_slots.push(idx);
    }
}

/// Removes `idx` from the level at slot `pos` (see [`BookSide::emptied`] for
/// what happens to a level that empties). Returns the level's visible quantity afterwards.
#[inline(always)]
pub(super) fn unlink(side: &mut BookSide, orders: &mut [Order], pos: usize, idx: u32) -> Lots {
    let (prev, next, vis) = {
        let o = &orders[idx as usize];
        debug_assert!(
            o.state == OrderState::Resting && o.level as usize == pos,
            "order {} is not in level slot {pos}",
            o.id
        );
        (o.prev, o.next, o.visible)
    };
    let lvl = &mut side.slots[pos];
    debug_assert!(lvl.count > 0 && lvl.visible >= vis);
    if prev == NIL {
        lvl.head = next;
    } else {
        orders[prev as usize].next = next;
    }
    if next == NIL {
        lvl.tail = prev;
    } else {
        orders[next as usize].prev = prev;
    }
    lvl.count -= 1;
    lvl.visible = Lots::new(lvl.visible.get() - vis.get());
    debug_assert!(
        (lvl.count == 0) == (lvl.head == NIL && lvl.tail == NIL)
            && (lvl.count > 0 || lvl.visible == Lots::ZERO),
        "level {:?} queue and totals disagree after unlink",
        lvl.price
    );
    let o = &mut orders[idx as usize];
    o.prev = NIL;
    o.next = NIL;
    let v = lvl.visible;
    if lvl.count == 0 {
        side.emptied(pos as u32);
    }
    v
}

/// Appends `idx` at the back of `lvl`'s queue. Also rebuilds levels from a
/// snapshot, so it asserts nothing about the order: a bad snapshot is an
/// error of `check_invariants`, not a panic.
#[inline(always)]
pub(crate) fn push_tail(lvl: &mut Level, orders: &mut [Order], idx: u32) {
    let tail = lvl.tail;
    {
        let o = &mut orders[idx as usize];
        o.prev = tail;
        o.next = NIL;
        lvl.visible = Lots::new(lvl.visible.get() + o.visible.get());
    }
    if tail == NIL {
        lvl.head = idx;
    } else {
        orders[tail as usize].next = idx;
    }
    lvl.tail = idx;
    lvl.count += 1;
}
