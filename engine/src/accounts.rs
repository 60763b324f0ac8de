//! Users and their balances.
//!
//! What holds: every user has, per asset, `available` and `locked`, both never
//! negative. `locked` is exactly what the user's open orders still need
//! (checked by `invariants`). Balances live in one flat array with a stride of
//! the number of assets, so a fill touches two adjacent cache lines at most.
//! Users are found by id through a direct table for small ids and a map for
//! the rest ([`UserIndex`]), only ever looked up, never iterated.

use crate::types::*;
use crate::{ClOrdId, Role};
use bincode::{Decode, Encode};
use rustc_hash::FxHashMap;

/// What a user holds of one asset.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default, Encode, Decode)]
pub struct Balance {
    pub available: Units,
    pub locked: Units,
}

/// No order: the end of an intrusive list.
pub(crate) const NIL: u32 = u32::MAX;

/// How many of a user's most recent orders keep their `client_order_id` reserved.
pub(crate) const CLID_WINDOW: u64 = 1024;

/// A `client_order_id` the user has used: reserved while its order is open or
/// while it is among the user's last [`CLID_WINDOW`] orders.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub(crate) struct ClidEntry {
    /// Slab index of the open order using it, or [`NIL`].
    pub open: u32,
    /// The user's order number (`Account::placed` at the time) that used it last.
    pub no: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub user: UserId,
    pub role: Role,
    pub key_hash: KeyHash,
    /// Head and tail of the user's open orders (resting and untriggered stops), in order_id order.
    pub first: u32,
    pub last: u32,
    pub open_count: u32,
    /// Accepted orders so far: numbers the client_order_id window.
    pub placed: u64,
    pub clids: FxHashMap<ClOrdId, ClidEntry>,
}

impl Account {
    pub fn new(user: UserId, role: Role, key_hash: KeyHash) -> Account {
        Account {
            user,
            role,
            key_hash,
            first: NIL,
            last: NIL,
            open_count: 0,
            placed: 0,
            clids: FxHashMap::default(),
        }
    }

    /// Is `clid` reserved (open, or within the last orders' window)?
    #[inline]
    pub fn clid_taken(&self, clid: &ClOrdId) -> bool {
        match self.clids.get(clid) {
            None => false,
            Some(e) => e.open != NIL || self.placed - e.no < CLID_WINDOW,
        }
    }

    /// Records an accepted order; `clid` (if any) is now used by slab index `idx`.
    #[inline]
    pub fn note_order(&mut self, clid: Option<ClOrdId>, idx: u32) {
        self.placed += 1;
        if let Some(c) = clid {
            self.clids.insert(
                c,
                ClidEntry {
                    open: idx,
                    no: self.placed,
                },
            );
            // Forget ids that are neither open nor in the window, now and then;
            // what is kept depends only on the content, so replay agrees.
            if self.clids.len() > 2 * CLID_WINDOW as usize + self.open_count as usize {
                let placed = self.placed;
                self.clids
                    .retain(|_, e| e.open != NIL || placed - e.no < CLID_WINDOW);
            }
        }
    }

    /// The order using `clid` closed.
    #[inline]
    pub fn close_clid(&mut self, clid: &ClOrdId) {
        if let Some(e) = self.clids.get_mut(clid) {
            e.open = NIL;
        }
    }
}

/// User ids below this are found through a direct table (operators number
/// users densely as a rule); the table is as long as the largest such id
/// added, so at most 4 MiB.
const DIRECT_USERS: u64 = 1 << 20;

/// Account index by user id: a direct table for small ids, a map for the
/// rest. Only ever looked up, never iterated.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserIndex {
    /// `direct[user]`: the account of `user`, or [`NIL`].
    direct: Vec<u32>,
    map: FxHashMap<UserId, u32>,
}

impl UserIndex {
    #[inline]
    pub fn get(&self, user: UserId) -> Option<u32> {
        if user < DIRECT_USERS {
            match self.direct.get(user as usize) {
                Some(&a) if a != NIL => Some(a),
                _ => None,
            }
        } else {
            self.map.get(&user).copied()
        }
    }

    /// Adds `user` -> `acct`; `false` (and nothing changed) if `user` is known.
    pub fn insert(&mut self, user: UserId, acct: u32) -> bool {
        if self.get(user).is_some() {
            return false;
        }
        if user < DIRECT_USERS {
            let i = user as usize;
            if self.direct.len() <= i {
                self.direct.resize(i + 1, NIL);
            }
            self.direct[i] = acct;
        } else {
            self.map.insert(user, acct);
        }
        true
    }
}

/// All users' balances, the fee account and what came in and went out.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger {
    /// Number of assets; the stride of `balances`.
    pub assets: usize,
    pub balances: Vec<Balance>,
    /// The exchange's fee account, per asset.
    pub fees: Vec<i64>,
    /// Deposits minus withdrawals, per asset.
    pub net_in: Vec<i128>,
}

impl Ledger {
    #[inline]
    pub fn at(&self, acct: u32, asset: AssetId) -> &Balance {
        &self.balances[acct as usize * self.assets + asset.0 as usize]
    }
    #[inline]
    pub fn at_mut(&mut self, acct: u32, asset: AssetId) -> &mut Balance {
        &mut self.balances[acct as usize * self.assets + asset.0 as usize]
    }

    /// One more account, with nothing in it.
    pub fn push_account(&mut self) {
        self.balances
            .extend(std::iter::repeat_n(Balance::default(), self.assets));
    }

    /// One more asset: widens every account (rare admin operation).
    pub fn push_asset(&mut self, accounts: usize) {
        let old = self.assets;
        let mut b = Vec::with_capacity(accounts * (old + 1));
        for a in 0..accounts {
            b.extend_from_slice(&self.balances[a * old..(a + 1) * old]);
            b.push(Balance::default());
        }
        self.balances = b;
        self.assets = old + 1;
        self.fees.push(0);
        self.net_in.push(0);
    }

    /// Moves `amount` from available to locked; false (and nothing moved) if not enough.
    #[inline]
    pub fn lock(&mut self, acct: u32, asset: AssetId, amount: i64) -> bool {
        debug_assert!(amount >= 0, "lock of {amount}");
        let b = self.at_mut(acct, asset);
        if b.available.get() < amount {
            return false;
        }
        b.available = Units::new(b.available.get() - amount);
        b.locked = Units::new(b.locked.get() + amount);
        debug_assert!(b.available.get() >= 0 && b.locked.get() >= amount);
        true
    }

    /// Moves `amount` from locked back to available: the pair of
    /// [`Ledger::lock`], never more than is locked.
    #[inline]
    pub fn unlock(&mut self, acct: u32, asset: AssetId, amount: i64) {
        debug_assert!(amount >= 0, "unlock of {amount}");
        let b = self.at_mut(acct, asset);
        debug_assert!(
            b.locked.get() >= amount,
            "unlock of {amount} with {} locked",
            b.locked.get()
        );
        b.locked = Units::new(b.locked.get() - amount);
        b.available = Units::new(b.available.get() + amount);
    }
}
