//! Read-only views of the state, for the gateway, tools and tests.
//!
//! What it owns: every public getter of [`Engine`] except the snapshot and
//! the invariant check (see `snapshot` and `invariants`).
//!
//! What must hold: a query changes nothing and allocates only its answer;
//! its answer is in an order fixed by the content (ids, asset order, price),
//! never by slab slots or map layout, so that two engines in the same state
//! answer the same.

use super::{EngineLimits, Stamp, UserInfo};
use crate::accounts::NIL;
use crate::*;

impl Engine {
    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }
    pub fn last_ts_ns(&self) -> u64 {
        self.last_ts
    }
    pub fn limits(&self) -> EngineLimits {
        self.limits
    }
    pub fn directory(&self) -> &Directory {
        &self.dir
    }
    pub fn user(&self, user: UserId) -> Option<UserInfo> {
        let a = &self.accounts[self.user_idx.get(user)? as usize];
        Some(UserInfo {
            user: a.user,
            role: a.role,
            key_hash: a.key_hash,
        })
    }
    /// All users, by user id.
    pub fn users(&self) -> Vec<UserInfo> {
        let mut v: Vec<UserInfo> = self
            .accounts
            .iter()
            .map(|a| UserInfo {
                user: a.user,
                role: a.role,
                key_hash: a.key_hash,
            })
            .collect();
        v.sort_by_key(|u| u.user);
        v
    }
    pub fn balance(&self, user: UserId, asset: AssetId) -> Option<Balance> {
        let acct = self.user_idx.get(user)?;
        ((asset.0 as usize) < self.ledger.assets).then(|| *self.ledger.at(acct, asset))
    }
    /// Every asset's balance of `user`, in asset order.
    pub fn balances(&self, user: UserId) -> Option<Vec<(AssetId, Balance)>> {
        let acct = self.user_idx.get(user)?;
        Some(
            (0..self.ledger.assets)
                .map(|a| (AssetId(a as u16), *self.ledger.at(acct, AssetId(a as u16))))
                .collect(),
        )
    }
    /// What the fee account holds, per asset.
    pub fn fees(&self) -> Vec<(AssetId, Units)> {
        self.ledger
            .fees
            .iter()
            .enumerate()
            .map(|(a, &f)| (AssetId(a as u16), Units::new(f)))
            .collect()
    }
    /// The user's open orders (resting and untriggered stops), in order_id order.
    pub fn open_orders(&self, user: UserId, symbol: Option<SymbolId>) -> Vec<ExecReport> {
        let Some(acct) = self.user_idx.get(user) else {
            return Vec::new();
        };
        let st = Stamp {
            seq: self.last_seq,
            ts_ns: self.last_ts,
        };
        let mut v = Vec::new();
        let mut cur = self.accounts[acct as usize].first;
        while cur != NIL {
            let o = &self.orders[cur as usize];
            if symbol.is_none_or(|s| s == o.symbol) {
                v.push(self.report(st, cur, ExecType::New, None, None));
            }
            cur = o.unext;
        }
        v
    }
    /// One page of the user's open orders: those with an `order_id` above
    /// `after` (all when `None`), in order_id order, at most `limit`, and
    /// whether more follow. Starts at the cursor's own order when it is
    /// still open (no walk over the orders before it).
    pub fn open_orders_page(
        &self,
        user: UserId,
        symbol: Option<SymbolId>,
        after: Option<OrderId>,
        limit: usize,
    ) -> (Vec<ExecReport>, bool) {
        let Some(acct) = self.user_idx.get(user) else {
            return (Vec::new(), false);
        };
        let st = Stamp {
            seq: self.last_seq,
            ts_ns: self.last_ts,
        };
        let mut cur = self.accounts[acct as usize].first;
        if let Some(a) = after {
            let listed = self
                .books
                .iter()
                .find_map(|b| b.by_id.get(a))
                .filter(|&i| self.orders[i as usize].acct == acct);
            cur = match listed {
                Some(i) => self.orders[i as usize].unext,
                None => {
                    // The cursor's order closed: walk the list past it.
                    while cur != NIL && self.orders[cur as usize].id <= a {
                        cur = self.orders[cur as usize].unext;
                    }
                    cur
                }
            };
        }
        let mut v = Vec::with_capacity(limit.min(1024));
        while cur != NIL {
            let o = &self.orders[cur as usize];
            if symbol.is_none_or(|s| s == o.symbol) {
                if v.len() == limit {
                    return (v, true);
                }
                v.push(self.report(st, cur, ExecType::New, None, None));
            }
            cur = o.unext;
        }
        (v, false)
    }
    /// The L2 book of a symbol to `depth` levels a side (empty for an unknown symbol).
    pub fn book(&self, symbol: SymbolId, depth: usize) -> L2Book {
        match self.books.get(symbol.0 as usize) {
            None => L2Book::default(),
            Some(b) => L2Book {
                bids: b.bids.l2(depth),
                asks: b.asks.l2(depth),
            },
        }
    }
    pub fn halted(&self, symbol: SymbolId) -> bool {
        self.books.get(symbol.0 as usize).is_some_and(|b| b.halted)
    }
    /// Resting orders plus untriggered stops over all symbols.
    pub fn open_order_count(&self) -> usize {
        self.books.iter().map(|b| b.by_id.len()).sum()
    }
}
