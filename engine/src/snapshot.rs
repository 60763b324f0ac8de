//! Snapshot of the whole engine state, and the state hash.
//!
//! What holds: the snapshot is *canonical*: it lists everything in an order
//! that depends only on the state's content (accounts in creation order,
//! orders by book, price level and queue position, stops and ids sorted),
//! never on slab slots or hash-map layout. So two engines that went through
//! the same commands encode to the same bytes, and [`Engine::state_hash`] is
//! the SHA-256 of those bytes. Restoring rebuilds the indexes; priority is the
//! queue order written.

use crate::accounts::{Account, ClidEntry, Ledger, NIL};
use crate::book::Book;
use crate::engine::{Order, OrderState};
use crate::*;
use bincode::{Decode, Encode};
use rustc_hash::FxHashMap;

const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug)]
pub struct SnapshotError(pub String);

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "snapshot: {}", self.0)
    }
}

impl std::error::Error for SnapshotError {}

#[derive(Encode, Decode)]
struct Snap {
    version: u32,
    limits: EngineLimits,
    last_seq: u64,
    last_ts: u64,
    next_order_id: u64,
    next_trade_id: u64,
    assets: Vec<AssetInfo>,
    symbols: Vec<SymbolInfo>,
    users: Vec<SnapUser>,
    fees: Vec<i64>,
    net_in: Vec<i128>,
    tx_ids: Vec<TxId>,
    books: Vec<SnapBook>,
}

#[derive(Encode, Decode)]
struct SnapUser {
    user: UserId,
    role: Role,
    key_hash: KeyHash,
    placed: u64,
    balances: Vec<Balance>,
    /// (client order id, open order id or 0, order number), sorted.
    clids: Vec<(ClOrdId, OrderId, u64)>,
}

#[derive(Encode, Decode)]
struct SnapBook {
    halted: bool,
    last_price: Option<Ticks>,
    /// Best level first, queue order inside a level.
    bids: Vec<SnapOrder>,
    asks: Vec<SnapOrder>,
    /// Untriggered stops, by order id.
    stops: Vec<SnapOrder>,
}

#[derive(Encode, Decode)]
struct SnapOrder {
    id: OrderId,
    user: UserId,
    side: Side,
    order_type: OrderType,
    tif: Tif,
    stp: Stp,
    post_only: bool,
    price: Ticks,
    stop_price: Ticks,
    qty: Lots,
    filled: Lots,
    visible: Lots,
    display: Lots,
    cum_quote: i64,
    clid: Option<ClOrdId>,
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// At most this many bytes are claimed for tables being decoded at once: a
/// damaged length field is refused instead of allocated (fuzzing found a
/// payload asking for 61 GB, which aborted the process). Real tables are
/// far smaller.
const DECODE_LIMIT: usize = u32::MAX as usize;

fn decode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

impl SnapOrder {
    fn of(e: &Engine, idx: u32) -> SnapOrder {
        let o = &e.orders[idx as usize];
        SnapOrder {
            id: o.id,
            user: o.user,
            side: o.side,
            order_type: o.order_type,
            tif: o.tif,
            stp: o.stp,
            post_only: o.post_only,
            price: o.price,
            stop_price: o.stop_price,
            qty: o.qty,
            filled: o.filled,
            visible: o.visible,
            display: o.display,
            cum_quote: o.cum_quote,
            clid: e.clid(idx),
        }
    }
}

impl Engine {
    /// The whole state, canonically encoded.
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        let users = self
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut clids: Vec<(ClOrdId, OrderId, u64)> = a
                    .clids
                    .iter()
                    .map(|(c, e)| {
                        let open = if e.open == NIL {
                            0
                        } else {
                            self.orders[e.open as usize].id
                        };
                        (*c, open, e.no)
                    })
                    .collect();
                clids.sort_unstable();
                SnapUser {
                    user: a.user,
                    role: a.role,
                    key_hash: a.key_hash,
                    placed: a.placed,
                    balances: (0..self.ledger.assets)
                        .map(|x| *self.ledger.at(i as u32, AssetId(x as u16)))
                        .collect(),
                    clids,
                }
            })
            .collect();
        let mut tx_ids: Vec<TxId> = self.tx_ids.iter().copied().collect();
        tx_ids.sort_unstable();
        let books = self
            .books
            .iter()
            .map(|b| {
                let walk = |side: &crate::book::BookSide| {
                    let mut v = Vec::new();
                    for lvl in side.levels_best_first() {
                        let mut cur = lvl.head;
                        while cur != NIL {
                            v.push(SnapOrder::of(self, cur));
                            cur = self.orders[cur as usize].next;
                        }
                    }
                    v
                };
                let mut stops: Vec<SnapOrder> = b
                    .buy_stops
                    .values()
                    .chain(b.sell_stops.values())
                    .map(|&i| SnapOrder::of(self, i))
                    .collect();
                stops.sort_unstable_by_key(|o| o.id);
                SnapBook {
                    halted: b.halted,
                    last_price: b.last_price,
                    bids: walk(&b.bids),
                    asks: walk(&b.asks),
                    stops,
                }
            })
            .collect();
        let snap = Snap {
            version: SNAPSHOT_VERSION,
            limits: self.limits,
            last_seq: self.last_seq,
            last_ts: self.last_ts,
            next_order_id: self.next_order_id,
            next_trade_id: self.next_trade_id,
            assets: self.dir.assets().to_vec(),
            symbols: self.dir.symbols().to_vec(),
            users,
            fees: self.ledger.fees.clone(),
            net_in: self.ledger.net_in.clone(),
            tx_ids,
            books,
        };
        bincode::encode_to_vec(&snap, config()).expect("encoding into a Vec cannot fail")
    }

    /// SHA-256 of the canonical snapshot: equal for equal states.
    pub fn state_hash(&self) -> [u8; 32] {
        Engine::state_hash_of(&self.snapshot_bytes())
    }

    /// The state hash of snapshot bytes already taken ([`Engine::snapshot_bytes`]),
    /// so that a caller writing them does not encode the state twice.
    pub fn state_hash_of(snapshot_bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(snapshot_bytes).into()
    }

    /// Rebuilds an engine from [`Engine::snapshot_bytes`], checking its invariants.
    pub fn from_snapshot_bytes(bytes: &[u8]) -> Result<Engine, SnapshotError> {
        let (snap, used): (Snap, usize) = bincode::decode_from_slice(bytes, decode_config())
            .map_err(|e| SnapshotError(format!("decode: {e}")))?;
        if used != bytes.len() {
            return Err(SnapshotError(format!(
                "{} trailing bytes",
                bytes.len() - used
            )));
        }
        if snap.version != SNAPSHOT_VERSION {
            return Err(SnapshotError(format!(
                "version {} (this build reads {SNAPSHOT_VERSION})",
                snap.version
            )));
        }
        let bad = |m: &str| SnapshotError(m.to_string());
        let n_assets = snap.assets.len();
        if snap.fees.len() != n_assets || snap.net_in.len() != n_assets {
            return Err(bad("asset tables disagree"));
        }
        let mut e = Engine::new(snap.limits);
        e.last_seq = snap.last_seq;
        e.last_ts = snap.last_ts;
        e.next_order_id = snap.next_order_id;
        e.next_trade_id = snap.next_trade_id;
        for (i, s) in snap.symbols.iter().enumerate() {
            if s.id.0 as usize != i {
                return Err(bad("symbol ids out of order"));
            }
            if s.base.0 as usize >= n_assets || s.quote.0 as usize >= n_assets {
                return Err(bad("a symbol names an asset that does not exist"));
            }
        }
        e.dir = Directory::from_parts(snap.assets, snap.symbols);
        e.ledger = Ledger {
            assets: n_assets,
            balances: Vec::with_capacity(snap.users.len() * n_assets),
            fees: snap.fees,
            net_in: snap.net_in,
        };
        let mut pending_clids = Vec::new();
        for (i, u) in snap.users.into_iter().enumerate() {
            if u.balances.len() != n_assets || !e.user_idx.insert(u.user, i as u32) {
                return Err(bad("bad user entry"));
            }
            let mut a = Account::new(u.user, u.role, u.key_hash);
            a.placed = u.placed;
            e.ledger.balances.extend_from_slice(&u.balances);
            e.accounts.push(a);
            pending_clids.push(u.clids);
        }
        e.tx_ids = snap.tx_ids.into_iter().collect();
        if snap.books.len() != e.dir.symbols().len() {
            return Err(bad("book count differs from symbol count"));
        }
        let mut opened: Vec<(OrderId, u32)> = Vec::new();
        for (s, sb) in snap.books.into_iter().enumerate() {
            let mut book = Book::new();
            book.halted = sb.halted;
            book.last_price = sb.last_price;
            e.books.push(book);
            let sym = SymbolId(s as u32);
            for (list, state) in [
                (sb.bids, OrderState::Resting),
                (sb.asks, OrderState::Resting),
                (sb.stops, OrderState::Stop),
            ] {
                for so in list {
                    let idx = e.restore_order(sym, &so, state)?;
                    opened.push((so.id, idx));
                }
            }
        }
        // Users' open-order lists are in order_id order.
        opened.sort_unstable();
        for &(_, idx) in &opened {
            e.list(idx);
        }
        let ids: FxHashMap<OrderId, u32> = opened.iter().copied().collect();
        for (a, clids) in pending_clids.into_iter().enumerate() {
            for (c, open, no) in clids {
                let open = if open == 0 {
                    NIL
                } else {
                    *ids.get(&open)
                        .ok_or_else(|| bad("client order id names no open order"))?
                };
                e.accounts[a].clids.insert(c, ClidEntry { open, no });
            }
        }
        e.check_invariants()
            .map_err(|x| SnapshotError(format!("restored state is inconsistent: {x}")))?;
        Ok(e)
    }

    fn restore_order(
        &mut self,
        sym: SymbolId,
        so: &SnapOrder,
        state: OrderState,
    ) -> Result<u32, SnapshotError> {
        let acct = self
            .user_idx
            .get(so.user)
            .ok_or_else(|| SnapshotError(format!("order {} names an unknown user", so.id)))?;
        let o = Order {
            id: so.id,
            user: so.user,
            price: so.price,
            qty: so.qty,
            filled: so.filled,
            visible: so.visible,
            cum_quote: so.cum_quote,
            prev: NIL,
            next: NIL,
            acct,
            symbol: sym,
            level: NIL,
            near: NIL,
            side: so.side,
            order_type: so.order_type,
            tif: so.tif,
            stp: so.stp,
            post_only: so.post_only,
            listed: false,
            has_clid: so.clid.is_some(),
            state,
            uprev: NIL,
            unext: NIL,
            stop_price: so.stop_price,
            display: so.display,
        };
        self.orders.push(o);
        self.clids.push(so.clid);
        let idx = (self.orders.len() - 1) as u32;
        let book = &mut self.books[sym.0 as usize];
        match state {
            OrderState::Stop => {
                book.stops_mut(o.side)
                    .insert((o.stop_price.get(), o.id), idx);
            }
            _ => {
                let side = book.side_mut(o.side);
                // Orders come best level first: a new level goes below all.
                let slot = side.level_for(o.price, 0);
                crate::engine::push_tail(&mut side.slots[slot as usize], &mut self.orders, idx);
                self.orders[idx as usize].level = slot;
            }
        }
        Ok(idx)
    }
}
