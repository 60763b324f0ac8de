//! Checking a store against its journal.
//!
//! What holds: [`reconcile`] passes only when (1) the store's rows equal,
//! row for row, what the journal gives up to the store's `progress`, and
//! (2) for every user and asset of the engine at that seq,
//! deposits − withdrawals + trade flows − fees = available + locked,
//! computed from the store's own rows; and the fees the store records add up
//! to the engine's fee account per asset. The first difference is named.

use crate::catch_up::derive;
use crate::rows::Rows;
use crate::store::Store;
use engine::{Name, Seq, UserId};
use std::collections::HashMap;

/// What a passing reconcile covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub progress: Seq,
    pub orders: usize,
    pub trades: usize,
    pub transfers: usize,
    /// (user, asset) pairs whose balance identity was checked.
    pub balances: usize,
}

/// Net change per (user, asset) the rows account for, and fees per asset.
pub fn flows(rows: &Rows) -> (HashMap<(UserId, Name), i128>, HashMap<Name, i128>) {
    let mut net: HashMap<(UserId, Name), i128> = HashMap::new();
    let mut fees: HashMap<Name, i128> = HashMap::new();
    for t in &rows.transfers {
        let sign = if t.kind == "deposit" { 1 } else { -1 };
        *net.entry((t.user, t.asset)).or_default() += sign * t.amount as i128;
    }
    let sym: HashMap<Name, (Name, Name)> = rows
        .symbols
        .iter()
        .map(|s| (s.name, (s.base, s.quote)))
        .collect();
    for t in &rows.trades {
        let Some(&(base, quote)) = sym.get(&t.symbol) else {
            continue;
        };
        let (buyer, seller) = if t.taker_side == "buy" {
            (t.taker_user, t.maker_user)
        } else {
            (t.maker_user, t.taker_user)
        };
        *net.entry((buyer, base)).or_default() += t.base_amount as i128;
        *net.entry((buyer, quote)).or_default() -= t.quote_amount as i128;
        *net.entry((seller, base)).or_default() -= t.base_amount as i128;
        *net.entry((seller, quote)).or_default() += t.quote_amount as i128;
        for (user, fee, asset) in [
            (t.maker_user, t.maker_fee, t.maker_fee_asset),
            (t.taker_user, t.taker_fee, t.taker_fee_asset),
        ] {
            *net.entry((user, asset)).or_default() -= fee as i128;
            *fees.entry(asset).or_default() += fee as i128;
        }
    }
    (net, fees)
}

/// Checks `store` against the journal of `data_dir`; `Err` names the first
/// difference.
pub fn reconcile(data_dir: &std::path::Path, store: &mut dyn Store) -> Result<Reconciled, String> {
    let progress = store.progress().map_err(|e| format!("store: {e}"))?;
    let (want, engine) = derive(data_dir, Some(progress)).map_err(|e| e.to_string())?;
    if engine.last_seq() != progress {
        return Err(format!(
            "the store's progress is seq {progress} but the journal ends at {}",
            engine.last_seq()
        ));
    }
    let have = store.rows().map_err(|e| format!("store: {e}"))?;
    if let Some(d) = have.first_difference(&want) {
        return Err(d);
    }
    let (net, fees) = flows(&have);
    let dir = engine.directory();
    let mut balances = 0;
    for u in engine.users() {
        for (i, a) in dir.assets().iter().enumerate() {
            let b = engine
                .balance(u.user, engine::AssetId(i as u16))
                .unwrap_or_default();
            let held = b.available.get() as i128 + b.locked.get() as i128;
            let rows = net.get(&(u.user, a.name)).copied().unwrap_or(0);
            if held != rows {
                return Err(format!(
                    "balance of user {} in {}: deposits - withdrawals + trade flows - fees = {rows}, \
                     but available + locked = {held} (units of 10^-{})",
                    u.user, a.name, a.scale
                ));
            }
            balances += 1;
        }
    }
    for (id, units) in engine.fees() {
        let name = dir.asset(id).name;
        let stored = fees.get(&name).copied().unwrap_or(0);
        if stored != units.get() as i128 {
            return Err(format!(
                "fees in {name}: the store's trades add up to {stored}, the engine's fee account holds {}",
                units.get()
            ));
        }
    }
    Ok(Reconciled {
        progress,
        orders: have.orders.len(),
        trades: have.trades.len(),
        transfers: have.transfers.len(),
        balances,
    })
}
