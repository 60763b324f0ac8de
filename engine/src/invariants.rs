//! What must hold after every command, checked on demand.
//!
//! - Conservation per asset: users' available + locked + the fee account
//!   equals deposits minus withdrawals.
//! - No balance and no fee account is negative.
//! - Each user's locked amount per asset is exactly what its open orders
//!   still need (buy limit: price * remaining quote; sell: remaining base;
//!   stop-market buy: nothing).
//! - Books: levels strictly sorted and indexed by price, the best one not
//!   empty, each level's visible total the sum of its orders', every resting
//!   order in the right level (and naming it) with 0 < visible <= remaining;
//!   never crossed at rest.
//! - Every open order is reachable by id and from its user's list, which is in
//!   order_id order; counts agree everywhere.
//!
//! It walks the whole state: meant for tests, replay verification and
//! snapshot restore, not for the hot path.

use crate::accounts::NIL;
use crate::engine::OrderState;
use crate::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantError(pub String);

impl std::fmt::Display for InvariantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invariant broken: {}", self.0)
    }
}

impl std::error::Error for InvariantError {}

macro_rules! ensure {
    ($c:expr, $($m:tt)*) => {
        if !$c {
            return Err(InvariantError(format!($($m)*)));
        }
    };
}

impl Engine {
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        let n_assets = self.ledger.assets;
        ensure!(
            self.ledger.balances.len() == n_assets * self.accounts.len(),
            "balance table size"
        );
        // Balances: never negative; conservation.
        let mut held = vec![0i128; n_assets];
        for (i, b) in self.ledger.balances.iter().enumerate() {
            ensure!(
                b.available.get() >= 0 && b.locked.get() >= 0,
                "negative balance: user {} asset {}: {:?}",
                self.accounts[i / n_assets.max(1)].user,
                i % n_assets.max(1),
                b
            );
            held[i % n_assets] += b.available.get() as i128 + b.locked.get() as i128;
        }
        for (a, &held_a) in held.iter().enumerate() {
            let fee = self.ledger.fees[a];
            ensure!(fee >= 0, "negative fee account for asset {a}");
            ensure!(
                held_a + fee as i128 == self.ledger.net_in[a],
                "conservation broken for asset {}: held {} + fees {} != net deposits {}",
                self.dir.asset(AssetId(a as u16)).name,
                held_a,
                fee,
                self.ledger.net_in[a]
            );
        }

        // Open orders: what they need locked; reachability.
        let mut need = vec![0i64; self.ledger.balances.len()];
        let mut open = 0usize;
        for (s, book) in self.books.iter().enumerate() {
            let sym = SymbolId(s as u32);
            let si = self.dir.symbol(sym);
            let mut in_book = 0usize;
            for side in [&book.bids, &book.asks] {
                ensure!(
                    side.best().is_none_or(|l| l.count > 0),
                    "best level of {} is empty",
                    si.spec.symbol
                );
                let mut empty = 0usize;
                if let Err(m) = side.check_index() {
                    ensure!(false, "levels of {}: {m}", si.spec.symbol);
                }
                for &(_, slot) in &side.sorted {
                    let lvl = &side.slots[slot as usize];
                    let price = lvl.price;
                    let (mut cur, mut prev, mut count, mut vis) = (lvl.head, NIL, 0u32, 0i64);
                    while cur != NIL {
                        let o = &self.orders[cur as usize];
                        ensure!(
                            o.state == OrderState::Resting && o.listed,
                            "order {} in a level but not resting",
                            o.id
                        );
                        ensure!(
                            o.symbol == sym
                                && o.side == side.side
                                && o.price == price
                                && o.level == slot,
                            "order {} in the wrong level",
                            o.id
                        );
                        ensure!(
                            o.visible.get() > 0 && o.visible.get() <= o.remaining(),
                            "order {} visible {:?} remaining {}",
                            o.id,
                            o.visible,
                            o.remaining()
                        );
                        ensure!(o.prev == prev, "order {} back link broken", o.id);
                        ensure!(
                            book.by_id.get(o.id) == Some(cur),
                            "order {} not reachable by id",
                            o.id
                        );
                        count += 1;
                        vis += o.visible.get();
                        prev = cur;
                        cur = o.next;
                    }
                    ensure!(lvl.tail == prev, "level tail wrong");
                    ensure!(count == lvl.count, "level count wrong");
                    empty += (count == 0) as usize;
                    ensure!(
                        vis == lvl.visible.get(),
                        "level visible total wrong at {:?}",
                        price
                    );
                    in_book += count as usize;
                }
                ensure!(
                    empty == side.empty,
                    "empty level count {} but {} found",
                    side.empty,
                    empty
                );
            }
            if let (Some(b), Some(a)) = (book.bids.best(), book.asks.best()) {
                let (b, a) = (b.price, a.price);
                ensure!(
                    b < a,
                    "book {} crossed at rest: bid {:?} >= ask {:?}",
                    si.spec.symbol,
                    b,
                    a
                );
            }
            for (stops, side) in [(&book.buy_stops, Side::Buy), (&book.sell_stops, Side::Sell)] {
                for (&(sp, id), &idx) in stops {
                    let o = &self.orders[idx as usize];
                    ensure!(
                        o.state == OrderState::Stop
                            && o.listed
                            && o.id == id
                            && o.stop_price.get() == sp
                            && o.side == side
                            && o.symbol == sym,
                        "stop entry {id} inconsistent"
                    );
                    ensure!(
                        book.by_id.get(id) == Some(idx),
                        "stop {id} not reachable by id"
                    );
                    in_book += 1;
                }
            }
            ensure!(
                in_book == book.by_id.len(),
                "book {} counts {} orders, holds {}",
                si.spec.symbol,
                book.by_id.len(),
                in_book
            );
            open += in_book;
        }

        let mut listed = 0usize;
        for (a, acct) in self.accounts.iter().enumerate() {
            let (mut cur, mut prev, mut last_id, mut count) = (acct.first, NIL, 0u64, 0u32);
            while cur != NIL {
                let o = &self.orders[cur as usize];
                ensure!(
                    o.listed && o.acct == a as u32,
                    "user list of {} holds a foreign order",
                    acct.user
                );
                ensure!(
                    o.id > last_id,
                    "user list of {} out of order_id order",
                    acct.user
                );
                ensure!(o.uprev == prev, "user list back link broken");
                ensure!(
                    self.books[o.symbol.0 as usize].by_id.get(o.id) == Some(cur),
                    "order {} of user {} not reachable by id",
                    o.id,
                    acct.user
                );
                let si = self.dir.symbol(o.symbol);
                let rem = Lots::new(o.remaining());
                let (asset, amt) = match (o.side, o.limit()) {
                    (Side::Buy, Some(p)) => (si.quote, si.quote_units(p, rem).unwrap_or(i64::MAX)),
                    (Side::Buy, None) => (si.quote, 0),
                    (Side::Sell, _) => (si.base, si.base_units(rem).unwrap_or(i64::MAX)),
                };
                need[a * n_assets + asset.0 as usize] += amt;
                ensure!(
                    !o.has_clid || self.clids[cur as usize].is_some(),
                    "order {} client order id flag wrong",
                    o.id
                );
                if let Some(c) = &self.clid(cur) {
                    ensure!(
                        acct.clids.get(c).map(|e| e.open) == Some(cur),
                        "client order id of order {} not held open",
                        o.id
                    );
                }
                last_id = o.id;
                prev = cur;
                cur = o.unext;
                count += 1;
            }
            ensure!(
                acct.last == prev && count == acct.open_count,
                "user list of {} miscounted",
                acct.user
            );
            listed += count as usize;
        }
        ensure!(
            listed == open,
            "users list {listed} open orders, books {open}"
        );
        for (i, b) in self.ledger.balances.iter().enumerate() {
            ensure!(
                b.locked.get() == need[i],
                "user {} asset {}: locked {} but open orders need {}",
                self.accounts[i / n_assets].user,
                self.dir.asset(AssetId((i % n_assets) as u16)).name,
                b.locked.get(),
                need[i]
            );
        }
        Ok(())
    }
}
