//! From a command and the events it caused to the row changes of the store.
//!
//! What holds:
//! - [`Projector::apply`] is a pure function of the commands seen so far
//!   (it keeps a mirror of the directory, built from the same `add_asset` /
//!   `add_symbol` commands the engine accepted, to name symbols and assets
//!   and to compute trade amounts); it reads no clock and no store.
//! - Within a [`Batch`] each order appears once, in its latest state (later
//!   reports of the same order are merged into its row), so a batch is a set
//!   of idempotent upserts keyed by `order_id`, `trade_id`, `tx_id`,
//!   `asset_id` and `symbol_id`, plus `last_seq` for `progress`.
//! - Every place is an order, rejected ones too. `display_qty`, `post_only`
//!   and `stp` are known from the place command only (the reports do not
//!   carry them); the row is `created` when this batch saw the place.
//!
//! Must never: allocate per event once its buffers are warm, beyond the
//! batch's own growth.

use crate::rows::*;
use engine::{
    Command, CommandKind, Directory, Event, ExecReport, ExecType, Liquidity, Name, OrderStatus, Seq,
};
use std::collections::HashMap;

/// An order row and whether this batch saw the order placed (then every
/// column is known; otherwise `display_qty`, `post_only`, `stp` and the
/// `created_*` columns are left as the store has them).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct OrderChange {
    pub row: OrderRow,
    pub created: bool,
}

/// The row changes of consecutive commands, ready for one transaction.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub orders: Vec<OrderChange>,
    pub trades: Vec<TradeRow>,
    pub transfers: Vec<TransferRow>,
    pub assets: Vec<AssetRow>,
    pub symbols: Vec<SymbolRow>,
    /// First and last input seq covered (0 when empty).
    pub first_seq: Seq,
    pub last_seq: Seq,
    /// Inputs covered.
    pub commands: u64,
    index: HashMap<u64, usize>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.commands == 0
    }

    /// Rows it writes (orders counted once).
    pub fn rows(&self) -> usize {
        self.orders.len()
            + self.trades.len()
            + self.transfers.len()
            + self.assets.len()
            + self.symbols.len()
    }

    pub fn clear(&mut self) {
        self.orders.clear();
        self.trades.clear();
        self.transfers.clear();
        self.assets.clear();
        self.symbols.clear();
        self.index.clear();
        self.first_seq = 0;
        self.last_seq = 0;
        self.commands = 0;
    }

    fn order(&mut self, change: OrderChange) {
        match self.index.get(&change.row.order_id) {
            Some(&i) => {
                let have = &mut self.orders[i];
                let mut row = change.row;
                if have.created && !change.created {
                    keep_creation(&mut row, &have.row);
                }
                have.row = row;
                have.created |= change.created;
            }
            None => {
                self.index.insert(change.row.order_id, self.orders.len());
                self.orders.push(change);
            }
        }
    }
}

/// Copies the columns only the place knows from `from` into `row`.
pub(crate) fn keep_creation(row: &mut OrderRow, from: &OrderRow) {
    row.display_qty = from.display_qty;
    row.post_only = from.post_only;
    row.stp = from.stp;
    row.created_seq = from.created_seq;
    row.created_ts = from.created_ts;
}

/// Turns commands and their events into row changes.
pub struct Projector {
    dir: Directory,
    batch: Batch,
    makers: Vec<ExecReport>,
}

impl Projector {
    /// `dir`: the directory as of the last command already projected (an
    /// empty one before the first command).
    pub fn new(dir: Directory) -> Projector {
        Projector {
            dir,
            batch: Batch::default(),
            makers: Vec::new(),
        }
    }

    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    pub fn batch(&self) -> &Batch {
        &self.batch
    }

    /// The batch so far, leaving an empty one (buffers kept in `spare`).
    pub fn take_batch(&mut self, spare: &mut Batch) -> Batch {
        spare.clear();
        std::mem::swap(&mut self.batch, spare);
        std::mem::take(spare)
    }

    /// Hands out the batch by reference and starts a new one.
    pub fn with_batch<R>(&mut self, f: impl FnOnce(&Batch) -> R) -> R {
        let r = f(&self.batch);
        self.batch.clear();
        r
    }

    /// Adds the row changes of one command (`events`: everything
    /// `Engine::apply` produced for it).
    pub fn apply(&mut self, cmd: &Command, events: &[Event]) {
        let b = &mut self.batch;
        if b.commands == 0 {
            b.first_seq = cmd.seq;
        }
        b.commands += 1;
        b.last_seq = cmd.seq;
        let place = match &cmd.kind {
            CommandKind::Place(p) => Some(p),
            _ => None,
        };
        // The order a place creates is the first one reported new or rejected.
        let mut placed: Option<u64> = None;
        for ev in events {
            match ev {
                Event::Execution(r) => {
                    let created = match place {
                        Some(_)
                            if placed.is_none()
                                && matches!(r.exec_type, ExecType::New | ExecType::Rejected) =>
                        {
                            placed = Some(r.order_id);
                            true
                        }
                        _ => false,
                    };
                    let row = self.order_row(r, cmd, created);
                    self.batch.order(OrderChange { row, created });
                    if let Some(f) = r.fill {
                        match f.liquidity {
                            Liquidity::Maker => self.makers.push(*r),
                            Liquidity::Taker => {
                                if let Some(i) = self
                                    .makers
                                    .iter()
                                    .position(|m| m.fill.map(|mf| mf.trade_id) == Some(f.trade_id))
                                {
                                    let maker = self.makers.swap_remove(i);
                                    let t = self.trade_row(&maker, r);
                                    self.batch.trades.push(t);
                                }
                            }
                        }
                    }
                }
                Event::Admin {
                    ok: true,
                    seq,
                    ts_ns,
                    ..
                } => self.admin(cmd, *seq, *ts_ns),
                _ => {}
            }
        }
        self.makers.clear();
    }

    fn admin(&mut self, cmd: &Command, seq: Seq, ts: u64) {
        match cmd.kind {
            CommandKind::AddAsset { asset, scale } => {
                if let Ok(id) = self.dir.add_asset(asset, scale, usize::MAX) {
                    self.batch.assets.push(AssetRow {
                        asset_id: id.0,
                        name: asset,
                        scale,
                        seq,
                    });
                }
            }
            CommandKind::AddSymbol(spec) => {
                if let Ok(id) = self.dir.add_symbol(spec, usize::MAX) {
                    let s = self.dir.symbol(id);
                    self.batch.symbols.push(SymbolRow {
                        symbol_id: id.0,
                        name: spec.symbol,
                        base: spec.base,
                        quote: spec.quote,
                        tick_size: spec.tick_size.normalized(),
                        lot_size: spec.lot_size.normalized(),
                        base_per_lot: s.base_per_lot,
                        quote_per_tick_lot: s.quote_per_tick_lot,
                        maker_fee_bps: spec.maker_fee_bps,
                        taker_fee_bps: spec.taker_fee_bps,
                        seq,
                    });
                }
            }
            CommandKind::Deposit {
                user,
                asset,
                amount,
                tx_id,
            }
            | CommandKind::Withdraw {
                user,
                asset,
                amount,
                tx_id,
            } => {
                let Some(id) = self.dir.asset_id(&asset) else {
                    return;
                };
                let Some(units) = amount.to_scale(self.dir.asset(id).scale) else {
                    return;
                };
                let kind = if matches!(cmd.kind, CommandKind::Deposit { .. }) {
                    "deposit"
                } else {
                    "withdrawal"
                };
                self.batch.transfers.push(TransferRow {
                    tx_id,
                    user,
                    asset,
                    amount: units,
                    kind,
                    seq,
                    ts,
                });
            }
            _ => {}
        }
    }

    fn symbol_name(&self, r: &ExecReport, cmd: &Command) -> Name {
        match (r.symbol, &cmd.kind) {
            (Some(id), _) if (id.0 as usize) < self.dir.symbols().len() => {
                self.dir.symbol(id).spec.symbol
            }
            (_, CommandKind::Place(p)) => p.symbol,
            _ => Name::default(),
        }
    }

    fn order_row(&self, r: &ExecReport, cmd: &Command, created: bool) -> OrderRow {
        let symbol = self.symbol_name(r, cmd);
        let (display_qty, post_only, stp) = match (&cmd.kind, created) {
            (CommandKind::Place(p), true) => {
                let display = p.display_qty.and_then(|d| {
                    let id = r.symbol?;
                    self.dir.symbol(id).qty_to_lots(d).map(|l| l.get())
                });
                (display, p.post_only, p.stp.as_str())
            }
            _ => (None, false, "none"),
        };
        OrderRow {
            order_id: r.order_id,
            user: r.user,
            symbol,
            side: r.side.as_str(),
            order_type: r.order_type.as_str(),
            tif: r.tif.as_str(),
            price: r.price.map(|p| p.get()),
            stop_price: r.stop_price.map(|p| p.get()),
            qty: r.qty.get(),
            display_qty,
            filled_qty: r.filled.get(),
            quote_filled: r.cum_quote.get(),
            status: status_str(r.status),
            reason: r.reason.map(|x| x.as_str()),
            client_order_id: r.client_order_id,
            post_only,
            stp,
            created_seq: r.seq,
            created_ts: r.ts_ns,
            updated_seq: r.seq,
            updated_ts: r.ts_ns,
        }
    }

    fn trade_row(&self, maker: &ExecReport, taker: &ExecReport) -> TradeRow {
        let (mf, tf) = (
            maker.fill.expect("a maker fill"),
            taker.fill.expect("a taker fill"),
        );
        let (symbol, base, quote) = match taker.symbol {
            Some(id) if (id.0 as usize) < self.dir.symbols().len() => {
                let s = self.dir.symbol(id);
                (
                    s.spec.symbol,
                    s.base_units(tf.qty).unwrap_or(0),
                    s.quote_units(tf.price, tf.qty).unwrap_or(0),
                )
            }
            _ => (Name::default(), 0, 0),
        };
        let asset = |a: engine::AssetId| {
            if (a.0 as usize) < self.dir.assets().len() {
                self.dir.asset(a).name
            } else {
                Name::default()
            }
        };
        TradeRow {
            trade_id: tf.trade_id,
            symbol,
            price: tf.price.get(),
            qty: tf.qty.get(),
            taker_side: taker.side.as_str(),
            maker_order_id: maker.order_id,
            maker_user: maker.user,
            taker_order_id: taker.order_id,
            taker_user: taker.user,
            maker_fee: mf.fee.get(),
            maker_fee_asset: asset(mf.fee_asset),
            taker_fee: tf.fee.get(),
            taker_fee_asset: asset(tf.fee_asset),
            base_amount: base,
            quote_amount: quote,
            seq: taker.seq,
            ts: taker.ts_ns,
        }
    }
}

fn status_str(s: OrderStatus) -> &'static str {
    s.as_str()
}

/// Folds batches into the rows they leave behind (an in-memory store): the
/// reference the real stores are compared with, under the same rules
/// (orders upserted unless the stored row is newer, the rest insert-once).
#[derive(Default)]
pub struct MemoryStore {
    orders: std::collections::BTreeMap<u64, OrderRow>,
    trades: std::collections::BTreeMap<u64, TradeRow>,
    transfers: std::collections::BTreeMap<engine::TxId, TransferRow>,
    assets: std::collections::BTreeMap<u16, AssetRow>,
    symbols: std::collections::BTreeMap<u32, SymbolRow>,
    pub progress: Seq,
}

impl MemoryStore {
    pub fn apply(&mut self, b: &Batch) {
        for c in &b.orders {
            match self.orders.get_mut(&c.row.order_id) {
                Some(have) if have.updated_seq <= c.row.updated_seq => {
                    let mut row = c.row;
                    keep_creation(&mut row, have);
                    *have = row;
                }
                Some(_) => {}
                None => {
                    self.orders.insert(c.row.order_id, c.row);
                }
            }
        }
        for t in &b.trades {
            self.trades.entry(t.trade_id).or_insert(*t);
        }
        for t in &b.transfers {
            self.transfers.entry(t.tx_id).or_insert(*t);
        }
        for a in &b.assets {
            self.assets.entry(a.asset_id).or_insert(*a);
        }
        for s in &b.symbols {
            self.symbols.entry(s.symbol_id).or_insert(*s);
        }
        self.progress = self.progress.max(b.last_seq);
    }

    pub fn rows(&self) -> Rows {
        let mut r = Rows {
            orders: self.orders.values().copied().collect(),
            trades: self.trades.values().copied().collect(),
            transfers: self.transfers.values().copied().collect(),
            assets: self.assets.values().copied().collect(),
            symbols: self.symbols.values().copied().collect(),
        };
        r.sort();
        r
    }
}
