//! The state machine: applies one command, emits its events.
//!
//! What holds (see also `invariants`):
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

use crate::accounts::*;
use crate::book::*;
use crate::*;
use bincode::{Decode, Encode};
use rustc_hash::FxHashSet;

/// Bounds on what the engine holds. Part of the state (snapshots carry them),
/// so a replay refuses exactly what the live run refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Limits {
    pub assets_max: usize,
    pub symbols_max: usize,
    pub users_max: usize,
    /// Resting orders plus untriggered stops, per symbol.
    pub orders_per_symbol_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
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

/// The fields of an order that matching reads, copied small.
#[derive(Copy, Clone)]
struct View {
    symbol: SymbolId,
    side: Side,
    acct: u32,
    stp: Stp,
    tif: Tif,
    post_only: bool,
    limit: Option<Ticks>,
}

impl View {
    #[inline]
    fn of(o: &Order) -> View {
        View {
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

/// The whole business state of the exchange.
#[derive(Clone)]
pub struct Engine {
    pub(crate) limits: Limits,
    pub(crate) dir: Directory,
    pub(crate) books: Vec<Book>,
    pub(crate) orders: Vec<Order>,
    /// Client order ids by slab index (meaningful where `Order::has_clid`).
    pub(crate) clids: Vec<Option<ClOrdId>>,
    pub(crate) free: Vec<u32>,
    pub(crate) accounts: Vec<Account>,
    pub(crate) user_idx: UserIndex,
    pub(crate) ledger: Ledger,
    pub(crate) tx_ids: FxHashSet<TxId>,
    pub(crate) last_seq: Seq,
    pub(crate) last_ts: u64,
    pub(crate) next_order_id: OrderId,
    pub(crate) next_trade_id: TradeId,
    /// Scratch for stop triggering; empty between commands.
    trig: Vec<(OrderId, u32)>,
    /// The last symbol name resolved, and its id: most commands in a row
    /// name the same symbol. Symbols are never removed, so it never goes stale.
    last_symbol: Option<(Name, SymbolId)>,
}

/// What every report of the current command carries.
#[derive(Copy, Clone)]
struct Ctx {
    seq: Seq,
    ts: u64,
}

impl Engine {
    pub fn new(limits: Limits) -> Engine {
        Engine {
            limits,
            dir: Directory::default(),
            books: Vec::new(),
            orders: Vec::new(),
            clids: Vec::new(),
            free: Vec::new(),
            accounts: Vec::new(),
            user_idx: UserIndex::default(),
            ledger: Ledger::default(),
            tx_ids: FxHashSet::default(),
            last_seq: 0,
            last_ts: 0,
            next_order_id: 1,
            next_trade_id: 1,
            trig: Vec::new(),
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
        let cx = Ctx {
            seq: cmd.seq,
            ts: self.last_ts,
        };
        match &cmd.kind {
            CommandKind::Place(p) => self.place(cx, p, out),
            CommandKind::Cancel {
                user,
                symbol,
                target,
            } => self.cancel(cx, *user, symbol, target, out),
            CommandKind::Amend {
                user,
                symbol,
                target,
                price,
                qty,
            } => self.amend(cx, *user, symbol, target, price, qty, out),
            CommandKind::CancelAll { user, symbol } => {
                self.cancel_all(cx, *user, symbol.as_ref(), out)
            }
            CommandKind::AddAsset { asset, scale } => {
                let r = self
                    .dir
                    .add_asset(*asset, *scale, self.limits.assets_max)
                    .map(|_| self.ledger.push_asset(self.accounts.len()));
                admin(cx, AdminOp::AddAsset, r.err(), out)
            }
            CommandKind::AddSymbol(spec) => {
                let r = self
                    .dir
                    .add_symbol(*spec, self.limits.symbols_max)
                    .map(|_| self.books.push(Book::new()));
                admin(cx, AdminOp::AddSymbol, r.err(), out)
            }
            CommandKind::AddUser {
                user,
                key_hash,
                role,
            } => {
                let r = self.add_user(*user, *key_hash, *role);
                admin(cx, AdminOp::AddUser, r.err(), out)
            }
            CommandKind::Deposit {
                user,
                asset,
                amount,
                tx_id,
            } => {
                let r = self.transfer(*user, asset, *amount, *tx_id, true);
                admin(cx, AdminOp::Deposit, r.err(), out)
            }
            CommandKind::Withdraw {
                user,
                asset,
                amount,
                tx_id,
            } => {
                let r = self.transfer(*user, asset, *amount, *tx_id, false);
                admin(cx, AdminOp::Withdraw, r.err(), out)
            }
            CommandKind::Halt { symbol } => {
                let r = self.set_halt(symbol, true);
                admin(cx, AdminOp::Halt, r.err(), out)
            }
            CommandKind::Resume { symbol } => {
                let r = self.set_halt(symbol, false);
                admin(cx, AdminOp::Resume, r.err(), out)
            }
        }
        Ok(())
    }

    // ----------------------------------------------------------------- admin

    fn add_user(&mut self, user: UserId, key_hash: KeyHash, role: Role) -> Result<(), Reason> {
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

    fn transfer(
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
        }
        self.tx_ids.insert(tx_id);
        Ok(())
    }

    fn set_halt(&mut self, symbol: &Name, halted: bool) -> Result<(), Reason> {
        let s = self.dir.symbol_id(symbol).ok_or(Reason::UnknownSymbol)?;
        self.books[s.0 as usize].halted = halted;
        Ok(())
    }

    // ----------------------------------------------------------------- place

    fn place(&mut self, cx: Ctx, p: &Place, out: &mut Vec<Event>) {
        let id = self.next_order_id;
        self.next_order_id += 1;
        let mut rej = Rejected {
            cx,
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
        let si = self.dir.hot(sym);
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
        self.ledger.lock(acct, asset, need);
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
        self.push_report(out, cx, idx, ExecType::New, None, None);
        if ot.is_stop() {
            let o = &mut self.orders[idx as usize];
            o.state = OrderState::Stop;
            let key = (o.stop_price.get(), o.id);
            let side = o.side;
            self.list(idx);
            self.books[sym.0 as usize].stops_mut(side).insert(key, idx);
            return;
        }
        self.match_incoming(cx, idx, band_ref, out);
        self.process_triggers(cx, sym, band_ref, out);
    }

    // -------------------------------------------------------------- matching

    /// Matches the order at `idx` (not in any level) against the other side,
    /// then rests its remainder (GTC limit) or cancels it.
    ///
    /// An incoming order always has something left to match. Most do not
    /// cross: they rest (GTC limit) or go at once, without the matching loop.
    #[inline(always)]
    fn match_incoming(&mut self, cx: Ctx, idx: u32, band_ref: Option<Ticks>, out: &mut Vec<Event>) {
        let o = &self.orders[idx as usize];
        debug_assert!(o.remaining() > 0);
        let limit = o.limit();
        let opp = o.side.opposite();
        if self.books[o.symbol.0 as usize].side(opp).crossed_by(limit) {
            return self.match_crossing(cx, idx, band_ref, out);
        }
        // Nothing crosses: post-only passes, FOK cannot fill (limit only).
        if o.tif == Tif::Fok {
            self.close_incoming(cx, idx, Reason::FokUnfillable, out);
        } else if limit.is_some() && o.tif == Tif::Gtc {
            self.rest(idx, out);
        } else {
            self.close_incoming(cx, idx, Reason::IocRemainder, out);
        }
    }

    /// [`Engine::match_incoming`] for an order that crosses the other side.
    #[inline(never)]
    fn match_crossing(&mut self, cx: Ctx, idx: u32, band_ref: Option<Ticks>, out: &mut Vec<Event>) {
        let o = View::of(&self.orders[idx as usize]);
        let s = o.symbol.0 as usize;
        let limit = o.limit;
        let opp = o.side.opposite();
        if o.post_only && self.books[s].side(opp).crossed_by(limit) {
            return self.close_incoming(cx, idx, Reason::PostOnlyWouldCross, out);
        }
        if o.tif == Tif::Fok && !self.fok_fillable(idx) {
            return self.close_incoming(cx, idx, Reason::FokUnfillable, out);
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
            let si = self.dir.hot(o.symbol);
            if limit.is_none() && !si.in_band(o.side, px, band_ref) {
                return self.close_incoming(cx, idx, Reason::PriceOutOfBand, out);
            }
            let maker = best.head;
            let m = &self.orders[maker as usize];
            if m.acct == o.acct && o.stp != Stp::None {
                match o.stp {
                    Stp::CancelMaker => {
                        self.cancel_open(cx, maker, Reason::SelfTradePrevented, out);
                        continue;
                    }
                    Stp::CancelBoth => {
                        self.cancel_open(cx, maker, Reason::SelfTradePrevented, out);
                        return self.close_incoming(cx, idx, Reason::SelfTradePrevented, out);
                    }
                    _ => return self.close_incoming(cx, idx, Reason::SelfTradePrevented, out),
                }
            }
            let mut q = remaining.min(m.visible.get());
            if o.side == Side::Buy && limit.is_none() {
                // A market buy spends what is available, lot by lot.
                let per_lot = px.get() as i128 * si.quote_per_tick_lot as i128;
                let avail = self.ledger.at(o.acct, si.quote).available.get() as i128;
                let afford = (avail / per_lot).min(i64::MAX as i128) as i64;
                if afford == 0 {
                    return self.close_incoming(cx, idx, Reason::InsufficientFunds, out);
                }
                q = q.min(afford);
            }
            self.fill(cx, o.symbol, maker, idx, px, Lots::new(q), out);
        }
        let o = &self.orders[idx as usize];
        if o.remaining() == 0 {
            self.close(idx);
        } else if limit.is_some() && o.tif == Tif::Gtc {
            self.rest(idx, out);
        } else {
            self.close_incoming(cx, idx, Reason::IocRemainder, out);
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
        cx: Ctx,
        sym: SymbolId,
        maker: u32,
        taker: u32,
        px: Ticks,
        q: Lots,
        out: &mut Vec<Event>,
    ) {
        let si = *self.dir.hot(sym);
        let quote_amt = (px.get() as i128 * q.get() as i128 * si.quote_per_tick_lot as i128) as i64;
        let base_amt = q.get() * si.base_per_lot;
        let (m, t) = (
            View::of(&self.orders[maker as usize]),
            View::of(&self.orders[taker as usize]),
        );
        let (buyer, seller) = if t.side == Side::Buy {
            (&t, &m)
        } else {
            (&m, &t)
        };
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
            cx,
            maker,
            ExecType::Trade,
            None,
            Some(mk(maker_fee, maker_fee_asset, Liquidity::Maker)),
        );
        self.push_report(
            out,
            cx,
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
        out.push(Event::Level {
            symbol: si.id,
            side: m.side,
            price: px,
            qty: level_qty,
        });
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
    }

    /// Releases what the order still has locked.
    fn release(&mut self, idx: u32) {
        let o = &self.orders[idx as usize];
        let si = self.dir.hot(o.symbol);
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
    fn close_incoming(&mut self, cx: Ctx, idx: u32, reason: Reason, out: &mut Vec<Event>) {
        self.push_report(out, cx, idx, ExecType::Canceled, Some(reason), None);
        self.release(idx);
        self.close(idx);
    }

    /// Cancels an open order (resting or untriggered stop).
    fn cancel_open(&mut self, cx: Ctx, idx: u32, reason: Reason, out: &mut Vec<Event>) {
        let o = &self.orders[idx as usize];
        let (symbol, side, price, slot) = (o.symbol, o.side, o.price, o.level);
        let book = &mut self.books[symbol.0 as usize];
        match o.state {
            OrderState::Resting => {
                let bs = book.side_mut(side);
                let v = unlink(bs, &mut self.orders, slot as usize, idx);
                out.push(Event::Level {
                    symbol,
                    side,
                    price,
                    qty: v,
                });
            }
            OrderState::Stop => {
                book.stops_mut(side).remove(&(o.stop_price.get(), o.id));
            }
            OrderState::Incoming | OrderState::Free => {}
        }
        self.close_incoming(cx, idx, reason, out);
    }

    /// Triggers the stops whose condition now holds, oldest first, and repeats
    /// while their trades trigger more.
    #[inline(always)]
    fn process_triggers(
        &mut self,
        cx: Ctx,
        sym: SymbolId,
        band_ref: Option<Ticks>,
        out: &mut Vec<Event>,
    ) {
        let book = &self.books[sym.0 as usize];
        if book.buy_stops.is_empty() && book.sell_stops.is_empty() {
            return;
        }
        self.trigger_stops(cx, sym, band_ref, out);
    }

    #[inline(never)]
    fn trigger_stops(
        &mut self,
        cx: Ctx,
        sym: SymbolId,
        band_ref: Option<Ticks>,
        out: &mut Vec<Event>,
    ) {
        let s = sym.0 as usize;
        loop {
            let book = &self.books[s];
            let Some(last) = book.last_price else { return };
            if book.buy_stops.is_empty() && book.sell_stops.is_empty() {
                return;
            }
            let mut trig = std::mem::take(&mut self.trig);
            trig.clear();
            let l = last.get();
            trig.extend(
                book.buy_stops
                    .range(..=(l, OrderId::MAX))
                    .map(|(k, &i)| (k.1, i)),
            );
            trig.extend(book.sell_stops.range((l, 0)..).map(|(k, &i)| (k.1, i)));
            if trig.is_empty() {
                self.trig = trig;
                return;
            }
            trig.sort_unstable();
            for &(id, idx) in &trig {
                let o = &mut self.orders[idx as usize];
                o.state = OrderState::Incoming;
                let key = (o.stop_price.get(), id);
                let side = o.side;
                self.books[s].stops_mut(side).remove(&key);
            }
            for &(_, idx) in &trig {
                self.push_report(out, cx, idx, ExecType::Triggered, None, None);
                let o = &self.orders[idx as usize];
                let si = self.dir.hot(sym);
                if o.order_type.has_limit_price() && !si.in_band(o.side, o.price, band_ref) {
                    self.close_incoming(cx, idx, Reason::PriceOutOfBand, out);
                } else {
                    self.match_incoming(cx, idx, band_ref, out);
                }
            }
            self.trig = trig;
        }
    }

    // --------------------------------------------------------- cancel, amend

    /// The open order of `acct` in `sym` that `target` names.
    #[inline(always)]
    fn find_open(&self, acct: u32, sym: SymbolId, target: &OrderRef) -> Option<u32> {
        let idx = match *target {
            OrderRef::Id(id) => self.books[sym.0 as usize].by_id.get(id)?,
            OrderRef::Client(ref c) => {
                let e = self.accounts[acct as usize].clids.get(c)?;
                if e.open == NIL {
                    return None;
                }
                e.open
            }
        };
        let o = &self.orders[idx as usize];
        (o.listed && o.acct == acct && o.symbol == sym).then_some(idx)
    }

    fn cancel(
        &mut self,
        cx: Ctx,
        user: UserId,
        symbol: &Name,
        target: &OrderRef,
        out: &mut Vec<Event>,
    ) {
        let reject = |reason| Event::Reject {
            seq: cx.seq,
            ts_ns: cx.ts,
            user,
            op: RejectOp::Cancel,
            target: Some(*target),
            reason,
        };
        let Some(acct) = self.user_idx.get(user) else {
            return out.push(reject(Reason::UnknownUser));
        };
        let Some(sym) = self.symbol_id(symbol) else {
            return out.push(reject(Reason::UnknownSymbol));
        };
        match self.find_open(acct, sym, target) {
            Some(idx) => self.cancel_open(cx, idx, Reason::UserCanceled, out),
            None => out.push(reject(Reason::UnknownOrder)),
        }
    }

    fn cancel_all(&mut self, cx: Ctx, user: UserId, symbol: Option<&Name>, out: &mut Vec<Event>) {
        let reject = |reason| Event::Reject {
            seq: cx.seq,
            ts_ns: cx.ts,
            user,
            op: RejectOp::CancelAll,
            target: None,
            reason,
        };
        let Some(acct) = self.user_idx.get(user) else {
            return out.push(reject(Reason::UnknownUser));
        };
        let filter = match symbol {
            None => None,
            Some(n) => match self.dir.symbol_id(n) {
                Some(s) => Some(s),
                None => return out.push(reject(Reason::UnknownSymbol)),
            },
        };
        let mut canceled = 0u32;
        let mut cur = self.accounts[acct as usize].first;
        while cur != NIL {
            let o = &self.orders[cur as usize];
            let next = o.unext;
            if filter.is_none_or(|s| s == o.symbol) {
                self.cancel_open(cx, cur, Reason::UserCanceled, out);
                canceled += 1;
            }
            cur = next;
        }
        out.push(Event::CancelAll {
            seq: cx.seq,
            ts_ns: cx.ts,
            user,
            canceled,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn amend(
        &mut self,
        cx: Ctx,
        user: UserId,
        symbol: &Name,
        target: &OrderRef,
        price: &Option<Fixed>,
        qty: &Option<Fixed>,
        out: &mut Vec<Event>,
    ) {
        let reject = |reason| Event::Reject {
            seq: cx.seq,
            ts_ns: cx.ts,
            user,
            op: RejectOp::Amend,
            target: Some(*target),
            reason,
        };
        let Some(acct) = self.user_idx.get(user) else {
            return out.push(reject(Reason::UnknownUser));
        };
        let Some(sym) = self.symbol_id(symbol) else {
            return out.push(reject(Reason::UnknownSymbol));
        };
        let Some(idx) = self.find_open(acct, sym, target) else {
            return out.push(reject(Reason::UnknownOrder));
        };
        let o = &self.orders[idx as usize];
        if o.state == OrderState::Stop {
            return out.push(reject(Reason::Unsupported));
        }
        let (side, post_only, level) = (o.side, o.post_only, o.level);
        let (old_price, old_qty, filled, visible) = (o.price, o.qty, o.filled, o.visible);
        let old_rem = Lots::new(o.remaining());
        let si = self.dir.hot(sym);
        let s = sym.0 as usize;
        let book = &self.books[s];
        if book.halted {
            return out.push(reject(Reason::MarketHalted));
        }
        let new_qty = match *qty {
            None => old_qty,
            Some(q) => match si.qty_to_lots(q) {
                Some(q) if q > filled => q,
                _ => return out.push(reject(Reason::InvalidQty)),
            },
        };
        let new_price = match *price {
            None => old_price,
            Some(p) => match si.price_to_ticks(p) {
                Some(t) if t.get() > 0 => t,
                _ => return out.push(reject(Reason::InvalidPrice)),
            },
        };
        let band_ref = book.last_price;
        if new_price != old_price && !si.in_band(side, new_price, band_ref) {
            return out.push(reject(Reason::PriceOutOfBand));
        }
        if post_only
            && new_price != old_price
            && book.side(side.opposite()).crossed_by(Some(new_price))
        {
            return out.push(reject(Reason::PostOnlyWouldCross));
        }
        let new_rem = Lots::new(new_qty.get() - filled.get());
        let (asset, old_need, new_need) = match side {
            Side::Buy => (
                si.quote,
                si.quote_units(old_price, old_rem).unwrap_or(0),
                si.quote_units(new_price, new_rem),
            ),
            Side::Sell => (
                si.base,
                si.base_units(old_rem).unwrap_or(0),
                si.base_units(new_rem),
            ),
        };
        let Some(new_need) = new_need else {
            return out.push(reject(Reason::InvalidQty));
        };
        if new_need > old_need {
            if !self.ledger.lock(acct, asset, new_need - old_need) {
                return out.push(reject(Reason::InsufficientFunds));
            }
        } else if new_need < old_need {
            self.ledger.unlock(acct, asset, old_need - new_need);
        }

        let keep_place = new_price == old_price && new_qty <= old_qty;
        // An amendable order is resting (stops were refused above).
        let pos = level as usize;
        if keep_place {
            // A reduction comes out of the hidden reserve first.
            let reduce = old_qty.get() - new_qty.get();
            let hidden = old_rem.get() - visible.get();
            let from_visible = (reduce - hidden).max(0);
            let ord = &mut self.orders[idx as usize];
            ord.qty = new_qty;
            ord.visible = Lots::new(ord.visible.get() - from_visible);
            self.push_report(out, cx, idx, ExecType::Replaced, None, None);
            if from_visible > 0 {
                let lvl = &mut self.books[s].side_mut(side).slots[pos];
                lvl.visible = Lots::new(lvl.visible.get() - from_visible);
                out.push(Event::Level {
                    symbol: sym,
                    side,
                    price: old_price,
                    qty: lvl.visible,
                });
            }
            return;
        }
        let bs = self.books[s].side_mut(side);
        let near = bs.slots[pos].at;
        let v = unlink(bs, &mut self.orders, pos, idx);
        out.push(Event::Level {
            symbol: sym,
            side,
            price: old_price,
            qty: v,
        });
        let ord = &mut self.orders[idx as usize];
        ord.qty = new_qty;
        ord.price = new_price;
        ord.visible = Lots::ZERO;
        self.push_report(out, cx, idx, ExecType::Replaced, None, None);
        // After the report: it reads the flag bytes beside `state` in one
        // load, which a fresh one-byte store in between would stall.
        let ord = &mut self.orders[idx as usize];
        ord.state = OrderState::Incoming;
        ord.level = NIL;
        ord.near = near;
        self.match_incoming(cx, idx, band_ref, out);
        self.process_triggers(cx, sym, band_ref, out);
    }

    // ---------------------------------------------------------- bookkeeping

    fn alloc(&mut self, o: Order, clid: Option<ClOrdId>) -> u32 {
        match self.free.pop() {
            Some(i) => {
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
    fn close(&mut self, idx: u32) {
        let o = &self.orders[idx as usize];
        let (listed, has_clid, acct) = (o.listed, o.has_clid, o.acct);
        if listed {
            let (id, symbol, uprev, unext) = (o.id, o.symbol, o.uprev, o.unext);
            self.books[symbol.0 as usize].by_id.remove(id);
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
        self.free.push(idx);
    }

    /// Appends the report of the order at `idx`.
    #[inline(always)]
    fn push_report(
        &self,
        out: &mut Vec<Event>,
        cx: Ctx,
        idx: u32,
        exec_type: ExecType,
        reason: Option<Reason>,
        fill: Option<Fill>,
    ) {
        // Written without its client order id, then patched: building the
        // 38-byte `Option<ClOrdId>` apart and copying it in costs more than
        // the patch, which most orders (without one) skip.
        out.push(Event::Execution(
            self.report_without_clid(cx, idx, exec_type, reason, fill),
        ));
        if self.orders[idx as usize].has_clid {
            self.patch_clid(out, idx);
        }
    }

    #[cold]
    #[inline(never)]
    fn patch_clid(&self, out: &mut [Event], idx: u32) {
        if let Some(Event::Execution(r)) = out.last_mut() {
            r.client_order_id = self.clid(idx);
        }
    }

    fn report(
        &self,
        cx: Ctx,
        idx: u32,
        exec_type: ExecType,
        reason: Option<Reason>,
        fill: Option<Fill>,
    ) -> ExecReport {
        ExecReport {
            client_order_id: self.clid(idx),
            ..self.report_without_clid(cx, idx, exec_type, reason, fill)
        }
    }

    #[inline(always)]
    fn report_without_clid(
        &self,
        cx: Ctx,
        idx: u32,
        exec_type: ExecType,
        reason: Option<Reason>,
        fill: Option<Fill>,
    ) -> ExecReport {
        let o = &self.orders[idx as usize];
        let status = match exec_type {
            ExecType::Canceled => OrderStatus::Canceled,
            _ if o.filled == o.qty => OrderStatus::Filled,
            _ if o.filled.get() > 0 => OrderStatus::PartiallyFilled,
            _ => OrderStatus::New,
        };
        let open = matches!(status, OrderStatus::New | OrderStatus::PartiallyFilled);
        ExecReport {
            seq: cx.seq,
            ts_ns: cx.ts,
            user: o.user,
            order_id: o.id,
            client_order_id: None,
            symbol: Some(o.symbol),
            side: o.side,
            order_type: o.order_type,
            tif: o.tif,
            exec_type,
            status,
            reason,
            price: o.limit(),
            stop_price: o.order_type.is_stop().then_some(o.stop_price),
            qty: o.qty,
            filled: o.filled,
            remaining: if open {
                Lots::new(o.remaining())
            } else {
                Lots::ZERO
            },
            cum_quote: Units::new(o.cum_quote),
            fill,
        }
    }

    // --------------------------------------------------------------- queries

    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }
    pub fn last_ts_ns(&self) -> u64 {
        self.last_ts
    }
    pub fn limits(&self) -> Limits {
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
        let cx = Ctx {
            seq: self.last_seq,
            ts: self.last_ts,
        };
        let mut v = Vec::new();
        let mut cur = self.accounts[acct as usize].first;
        while cur != NIL {
            let o = &self.orders[cur as usize];
            if symbol.is_none_or(|s| s == o.symbol) {
                v.push(self.report(cx, cur, ExecType::New, None, None));
            }
            cur = o.unext;
        }
        v
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
    pub fn last_trade_price(&self, symbol: SymbolId) -> Option<Ticks> {
        self.books.get(symbol.0 as usize)?.last_price
    }
    pub fn halted(&self, symbol: SymbolId) -> bool {
        self.books.get(symbol.0 as usize).is_some_and(|b| b.halted)
    }
    /// Resting orders plus untriggered stops over all symbols.
    pub fn open_order_count(&self) -> usize {
        self.books.iter().map(|b| b.by_id.len()).sum()
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

fn admin(cx: Ctx, op: AdminOp, err: Option<Reason>, out: &mut Vec<Event>) {
    out.push(Event::Admin {
        seq: cx.seq,
        ts_ns: cx.ts,
        op,
        ok: err.is_none(),
        reason: err,
    });
}

/// A place refused before it became an order: what its report can say.
struct Rejected<'a> {
    cx: Ctx,
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
            seq: self.cx.seq,
            ts_ns: self.cx.ts,
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

/// Removes `idx` from the level at slot `pos` (see [`BookSide::emptied`] for
/// what happens to a level that empties). Returns the level's visible quantity afterwards.
#[inline(always)]
fn unlink(side: &mut BookSide, orders: &mut [Order], pos: usize, idx: u32) -> Lots {
    let (prev, next, vis) = {
        let o = &orders[idx as usize];
        (o.prev, o.next, o.visible)
    };
    let lvl = &mut side.slots[pos];
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
    let o = &mut orders[idx as usize];
    o.prev = NIL;
    o.next = NIL;
    let v = lvl.visible;
    if lvl.count == 0 {
        side.emptied(pos as u32);
    }
    v
}

/// Appends `idx` at the back of `lvl`'s queue.
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
