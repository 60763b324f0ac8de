//! Operator commands: assets, symbols, users, deposits, withdrawals, halts.
//!
//! What it owns: growing the directory, the books and the ledger, moving
//! funds in and out, and the `Admin` event each of these answers with.
//!
//! What must hold:
//! - Capacity bounds ([`EngineLimits`](super::EngineLimits)) are checked
//!   before anything grows, so a replay refuses exactly what the live run
//!   refused.
//! - A deposit keeps everything held of an asset within an `i64` (the
//!   asset's `net_in` is bounded), so no balance and no sum of balances can
//!   overflow later; a withdrawal takes only what is available. Either way
//!   conservation holds: `net_in` moves by exactly what the balance moves.
//! - A `tx_id` is used once, ever.
//! - Every command answers with exactly one `Admin` event, `ok` or with its
//!   reason.

use super::Stamp;
use crate::accounts::Account;
use crate::book::Book;
use crate::*;

impl Engine {
    pub(super) fn add_asset(&mut self, st: Stamp, asset: Name, scale: u8, out: &mut Vec<Event>) {
        let r = self
            .dir
            .add_asset(asset, scale, self.limits.assets_max)
            .map(|_| self.ledger.push_asset(self.accounts.len()));
        admin_event(st, AdminOp::AddAsset, r.err(), out)
    }

    pub(super) fn add_symbol(&mut self, st: Stamp, spec: SymbolSpec, out: &mut Vec<Event>) {
        let r = self
            .dir
            .add_symbol(spec, self.limits.symbols_max)
            .map(|_| self.books.push(Book::new()));
        admin_event(st, AdminOp::AddSymbol, r.err(), out)
    }

    pub(super) fn add_user(
        &mut self,
        st: Stamp,
        user: UserId,
        key_hash: KeyHash,
        role: Role,
        out: &mut Vec<Event>,
    ) {
        let r = self.try_add_user(user, key_hash, role);
        admin_event(st, AdminOp::AddUser, r.err(), out)
    }

    fn try_add_user(&mut self, user: UserId, key_hash: KeyHash, role: Role) -> Result<(), Reason> {
        if self.user_idx.get(user).is_some() {
            return Err(Reason::Exists);
        }
        if self.accounts.len() >= self.limits.users_max.min(u32::MAX as usize - 1) {
            return Err(Reason::LimitReached);
        }
        let idx = self.accounts.len() as u32;
        self.accounts.push(Account::new(user, role, key_hash));
        self.user_idx.insert(user, idx);
        self.ledger.push_account();
        Ok(())
    }

    /// A deposit (`op` is `Deposit`) or a withdrawal (`Withdraw`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn transfer(
        &mut self,
        st: Stamp,
        op: AdminOp,
        user: UserId,
        asset: &Name,
        amount: Fixed,
        tx_id: TxId,
        out: &mut Vec<Event>,
    ) {
        let r = self.try_transfer(user, asset, amount, tx_id, op == AdminOp::Deposit);
        admin_event(st, op, r.err(), out)
    }

    fn try_transfer(
        &mut self,
        user: UserId,
        asset: &Name,
        amount: Fixed,
        tx_id: TxId,
        deposit: bool,
    ) -> Result<(), Reason> {
        let acct = self.user_idx.get(user).ok_or(Reason::UnknownUser)?;
        let aid = self.dir.asset_id(asset).ok_or(Reason::UnknownAsset)?;
        let units = amount
            .to_scale(self.dir.asset(aid).scale)
            .filter(|&u| u > 0)
            .ok_or(Reason::InvalidAmount)?;
        if self.tx_ids.contains(&tx_id) {
            return Err(Reason::DuplicateTx);
        }
        let a = aid.0 as usize;
        if deposit {
            // Everything held of an asset sums to `net_in`; bounding it keeps
            // every balance and every sum of balances inside an i64.
            let net = self.ledger.net_in[a] + units as i128;
            if net > i64::MAX as i128 {
                return Err(Reason::InvalidAmount);
            }
            self.ledger.net_in[a] = net;
            let b = self.ledger.at_mut(acct, aid);
            b.available = Units::new(b.available.get() + units);
        } else {
            let b = self.ledger.at_mut(acct, aid);
            if b.available.get() < units {
                return Err(Reason::InsufficientFunds);
            }
            b.available = Units::new(b.available.get() - units);
            self.ledger.net_in[a] -= units as i128;
            debug_assert!(self.ledger.net_in[a] >= 0, "more withdrawn than deposited");
        }
        self.tx_ids.insert(tx_id);
        Ok(())
    }

    /// Halts (`op` is `Halt`) or resumes (`Resume`) trading in a symbol.
    pub(super) fn set_halt(&mut self, st: Stamp, op: AdminOp, symbol: &Name, out: &mut Vec<Event>) {
        let r = match self.dir.symbol_id(symbol) {
            Some(s) => {
                self.books[s.0 as usize].halted = op == AdminOp::Halt;
                Ok(())
            }
            None => Err(Reason::UnknownSymbol),
        };
        admin_event(st, op, r.err(), out)
    }
}

fn admin_event(st: Stamp, op: AdminOp, err: Option<Reason>, out: &mut Vec<Event>) {
    out.push(Event::Admin {
        seq: st.seq,
        ts_ns: st.ts_ns,
        op,
        ok: err.is_none(),
        reason: err,
    });
}
