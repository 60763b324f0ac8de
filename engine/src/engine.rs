//! The state machine: applies one command, emits its events.
//!
//! What it owns: the [`Engine`] state, its capacity bounds
//! ([`EngineLimits`]) and the entry point [`Engine::apply`], which rejects a
//! sequence gap before anything else, stamps the command's time and hands
//! the command to the module of its operation. The `impl Engine` is split by
//! operation, one concern a file:
//!
//! - `place`: the checks a new order passes, and its acceptance;
//! - `matching`: an incoming order against the book, fills, resting;
//! - `stops`: untriggered stops, and triggering them after trades;
//! - `amend_cancel`: cancel, cancel-all and amend of open orders;
//! - `admin`: assets, symbols, users, deposits, withdrawals, halts;
//! - `queries`: read-only views for the gateway, tools and tests;
//! - `orders`: the order slab and the lists that run through it;
//! - `reports`: what an order's execution report says.
//!
//! What holds (see also `invariants`, which checks it all):
//! - Commands are applied in sequence order with no gap; time is the
//!   command's, clamped to be non-decreasing.
//! - Orders live in one slab (`Vec<Order>` plus a free list) and are named by
//!   slab index inside the engine, by `order_id` outside. An order is *listed*
//!   while it is open (resting or an untriggered stop): then it is in its
//!   book's `by_id` (a cancel or amend names the symbol, and an id of another
//!   symbol is unknown there anyway) and in its user's open-order list (in
//!   `order_id` order). An incoming order is matched before it is listed, so
//!   an IOC that never rests costs no map insert.
//! - The fields matching reads stay in `Order`; the client order id (38
//!   bytes, absent from most orders) sits apart in `Engine::clids`.
//! - Names resolve cheaply: users through a direct table for small ids (a
//!   map for the rest), symbols through a one-entry cache in front of the
//!   name map; `Directory` keeps what matching needs of a symbol precomputed.
//! - Most incoming orders do not cross: they rest or go without entering the
//!   matching loop; an amend that moves an order leaves its level by the
//!   slot the order names and looks for its new one near the old one.
//! - Funds: a buy with a limit price locks `price * qty` quote; every sell
//!   locks `qty` base; market and stop-market buys lock nothing and spend
//!   what is available as they match. A fill releases the taker's lock at its
//!   own limit and charges the maker's price, so the difference returns.
//! - Events are appended in the order `matching.md` gives; `Level` events
//!   (market data) follow the change they describe.
//!
//! Debug builds also assert these where a single step could break them
//! (after a fill, a lock or unlock, a level change, resting); release builds
//! compile those checks away.

mod admin;
mod amend_cancel;
mod matching;
mod orders;
mod place;
mod queries;
mod reports;
mod stops;

pub(crate) use orders::{push_tail, Order, OrderState};

use crate::accounts::*;
use crate::book::*;
use crate::*;
use bincode::{Decode, Encode};
use rustc_hash::FxHashSet;

/// Bounds on what the engine holds. Part of the state (snapshots carry them),
/// so a replay refuses exactly what the live run refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EngineLimits {
    pub assets_max: usize,
    pub symbols_max: usize,
    pub users_max: usize,
    /// Resting orders plus untriggered stops, per symbol.
    pub orders_per_symbol_max: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            assets_max: 1_024,
            symbols_max: 65_536,
            users_max: 10_000_000,
            orders_per_symbol_max: 20_000_000,
        }
    }
}

/// A user as the gateway needs it for logins.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub user: UserId,
    pub role: Role,
    pub key_hash: KeyHash,
}

/// A command the engine cannot take at all (a caller's bug, not a business reject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// The command's sequence is not the engine's last plus one.
    SequenceGap { expected: Seq, got: Seq },
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::SequenceGap { expected, got } => {
                write!(f, "sequence gap: expected {expected}, got {got}")
            }
        }
    }
}

impl std::error::Error for ApplyError {}

/// The whole business state of the exchange.
#[derive(Clone)]
pub struct Engine {
    pub(crate) limits: EngineLimits,
    pub(crate) dir: Directory,
    pub(crate) books: Vec<Book>,
    pub(crate) orders: Vec<Order>,
    /// Client order ids by slab index (meaningful where `Order::has_clid`).
    pub(crate) clids: Vec<Option<ClOrdId>>,
    /// Free slots of `orders`, reused last freed first.
    pub(crate) free_slots: Vec<u32>,
    pub(crate) accounts: Vec<Account>,
    pub(crate) user_idx: UserIndex,
    pub(crate) ledger: Ledger,
    pub(crate) tx_ids: FxHashSet<TxId>,
    pub(crate) last_seq: Seq,
    pub(crate) last_ts: u64,
    pub(crate) next_order_id: OrderId,
    pub(crate) next_trade_id: TradeId,
    /// Scratch for stop triggering: (order id, slab index) of the stops one
    /// price reaches. Empty between commands; kept only for its allocation.
    triggered: Vec<(OrderId, u32)>,
    /// The last symbol name resolved, and its id: most commands in a row
    /// name the same symbol. Symbols are never removed, so it never goes stale.
    last_symbol: Option<(Name, SymbolId)>,
}

/// What every event of the current command carries: its sequence and its
/// (clamped) time.
#[derive(Copy, Clone)]
struct Stamp {
    seq: Seq,
    ts_ns: u64,
}

impl Engine {
    pub fn new(limits: EngineLimits) -> Engine {
        Engine {
            limits,
            dir: Directory::default(),
            books: Vec::new(),
            orders: Vec::new(),
            clids: Vec::new(),
            free_slots: Vec::new(),
            accounts: Vec::new(),
            user_idx: UserIndex::default(),
            ledger: Ledger::default(),
            tx_ids: FxHashSet::default(),
            last_seq: 0,
            last_ts: 0,
            next_order_id: 1,
            next_trade_id: 1,
            triggered: Vec::new(),
            last_symbol: None,
        }
    }

    /// The id of the symbol named `name`, through a one-entry cache.
    #[inline]
    fn symbol_id(&mut self, name: &Name) -> Option<SymbolId> {
        if let Some((n, id)) = self.last_symbol {
            if n == *name {
                return Some(id);
            }
        }
        let id = self.dir.symbol_id(name)?;
        self.last_symbol = Some((*name, id));
        Some(id)
    }

    /// Applies one command, appending its events to `out` (which is not cleared).
    pub fn apply(&mut self, cmd: &Command, out: &mut Vec<Event>) -> Result<(), ApplyError> {
        if cmd.seq != self.last_seq + 1 {
            return Err(ApplyError::SequenceGap {
                expected: self.last_seq + 1,
                got: cmd.seq,
            });
        }
        self.last_seq = cmd.seq;
        self.last_ts = self.last_ts.max(cmd.ts_ns);
        let st = Stamp {
            seq: cmd.seq,
            ts_ns: self.last_ts,
        };
        match &cmd.kind {
            CommandKind::Place(p) => self.place(st, p, out),
            CommandKind::Cancel {
                user,
                symbol,
                target,
            } => self.cancel(st, *user, symbol, target, out),
            CommandKind::Amend {
                user,
                symbol,
                target,
                price,
                qty,
            } => self.amend(st, *user, symbol, target, price, qty, out),
            CommandKind::CancelAll { user, symbol } => {
                self.cancel_all(st, *user, symbol.as_ref(), out)
            }
            CommandKind::AddAsset { asset, scale } => self.add_asset(st, *asset, *scale, out),
            CommandKind::AddSymbol(spec) => self.add_symbol(st, *spec, out),
            CommandKind::AddUser {
                user,
                key_hash,
                role,
            } => self.add_user(st, *user, *key_hash, *role, out),
            CommandKind::Deposit {
                user,
                asset,
                amount,
                tx_id,
            } => self.transfer(st, AdminOp::Deposit, *user, asset, *amount, *tx_id, out),
            CommandKind::Withdraw {
                user,
                asset,
                amount,
                tx_id,
            } => self.transfer(st, AdminOp::Withdraw, *user, asset, *amount, *tx_id, out),
            CommandKind::Halt { symbol } => self.set_halt(st, AdminOp::Halt, symbol, out),
            CommandKind::Resume { symbol } => self.set_halt(st, AdminOp::Resume, symbol, out),
        }
        debug_assert!(self.triggered.is_empty());
        Ok(())
    }
}
