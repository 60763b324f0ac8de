//! The gateway's logic without sockets: sessions, logins, permissions, rate
//! limits, sequencing into the inbound ring, and routing of outputs.
//!
//! What holds:
//! - A command gets its `seq` only when it is published; a full ring answers
//!   `overloaded` and spends nothing. Bad input is answered here and never
//!   reaches the ring, let alone the journal.
//! - Reports about a user's orders go to every logged-in session of that
//!   user; `req_id` only to the session that sent the request.
//! - Everything a session receives comes in the engine's order (one outbound
//!   ring, consumed in order), and each session's queue is bounded.
//! - Directory and users are mirrors fed by the business logic in sequence,
//!   so logins and decimal formatting agree with the engine.
//!
//! Must never: touch a socket, block, or hold business state of its own.

use crate::codec::binary;
use crate::codec::json::{self, Access, Channel, ErrorCode, Op, Request, WireError};
use crate::codec::md;
use crate::http;
use crate::metrics::Metrics;
use crate::pipeline::{InSlot, Input, OutSlot, Output, Query, Reply};
use crate::session::{Outbox, TokenBucket};
use engine::market_data::{Interval, MarketData, MdUpdate, Ticker};
use engine::{
    CommandKind, Directory, Event, ExecType, KeyHash, Liquidity, Role, SymbolId, UserId, UserInfo,
};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::fmt::Write;

/// How a session speaks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Wire {
    /// WebSocket JSON, full API.
    Ws,
    /// WebSocket `/ws/executions`: the public trade stream, nothing to send.
    WsTrades,
    /// Binary TCP frames.
    Binary,
    /// HTTP/1.1 request/response.
    Http,
}

#[derive(Clone, Debug)]
pub struct Limits {
    pub rate_per_s: u64,
    pub burst: u64,
    pub send_queue_bytes: usize,
    /// Recent trade reports kept per user for `GET /v1/execution`.
    pub recent_trades: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_per_s: 2_000,
            burst: 4_000,
            send_queue_bytes: 4 << 20,
            recent_trades: 100,
        }
    }
}

/// What an HTTP session waits for.
#[derive(Debug)]
enum HttpWait {
    /// `{"events":[...]}` of one order or cancel.
    Events(Vec<String>),
    /// A query answered with the reply's own JSON.
    Query(Option<String>),
}

pub struct Session {
    pub wire: Wire,
    pub user: Option<(UserId, Role)>,
    pub cancel_on_disconnect: bool,
    bucket: TokenBucket,
    pub out: Outbox,
    http_wait: Option<HttpWait>,
    http_keep_alive: bool,
    /// Market-data channels this session receives.
    subs: Vec<Sub>,
    /// Receives its user's balances after each change.
    balances_sub: bool,
}

/// A market-data channel, resolved to a symbol.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
enum Sub {
    Book(SymbolId),
    Trades(SymbolId),
    Ticker(SymbolId),
    Klines(SymbolId, Interval),
}

/// At most this many ticker messages a second per symbol.
const TICKER_MIN_GAP_NS: u64 = 100_000_000;
/// How often the market-data clock is moved by wall time (closing klines,
/// rolling the ticker window) when no trade does it.
const MD_TICK_NS: u64 = 1_000_000_000;

impl Session {
    /// Is this (HTTP) session waiting for the engine's answer?
    pub fn http_busy(&self) -> bool {
        self.http_wait.is_some()
    }
}

/// A request arrived at a session, already decoded or refused by its codec.
pub type Decoded = Result<Request, WireError>;

pub struct Front {
    pub dir: Directory,
    keys: FxHashMap<KeyHash, UserInfo>,
    admin_key: Option<KeyHash>,
    pub sessions: FxHashMap<u32, Session>,
    by_user: FxHashMap<UserId, Vec<u32>>,
    trade_stream: Vec<u32>,
    recent: FxHashMap<UserId, VecDeque<engine::ExecReport>>,
    /// Last sequence handed out.
    pub next_seq: u64,
    last_ts: u64,
    limits: Limits,
    s: String,
    b: Vec<u8>,
    /// The market-data projection, fed in engine order, off the business-logic thread.
    pub md: MarketData,
    md_events: Vec<Event>,
    md_out: Vec<MdUpdate>,
    subs: FxHashMap<Sub, Vec<u32>>,
    /// Per symbol: when a ticker was last sent, and the newest one held back.
    tickers: FxHashMap<SymbolId, (u64, Option<Ticker>)>,
    last_md_tick_ns: u64,
    next_md_tick: u64,
    /// Users whose balances subscribers must be told (the gateway queries them in order).
    pub balance_pushes: Vec<UserId>,
    balances_subs: FxHashMap<UserId, Vec<u32>>,
}

/// The admin session's user id: not an engine user.
pub const ADMIN_USER: UserId = 0;

impl Front {
    pub fn new(
        dir: Directory,
        users: Vec<UserInfo>,
        admin_key: Option<KeyHash>,
        last_seq: u64,
        limits: Limits,
        md: MarketData,
    ) -> Front {
        Front {
            md,
            md_events: Vec::with_capacity(256),
            md_out: Vec::with_capacity(64),
            subs: FxHashMap::default(),
            tickers: FxHashMap::default(),
            last_md_tick_ns: 0,
            next_md_tick: 0,
            balance_pushes: Vec::new(),
            balances_subs: FxHashMap::default(),
            dir,
            keys: users.into_iter().map(|u| (u.key_hash, u)).collect(),
            admin_key,
            sessions: FxHashMap::default(),
            by_user: FxHashMap::default(),
            trade_stream: Vec::new(),
            recent: FxHashMap::default(),
            next_seq: last_seq,
            last_ts: 0,
            limits,
            s: String::with_capacity(1024),
            b: Vec::with_capacity(1024),
        }
    }

    pub fn open(&mut self, id: u32, wire: Wire, now_ns: u64) {
        if wire == Wire::WsTrades {
            self.trade_stream.push(id);
        }
        self.sessions.insert(
            id,
            Session {
                wire,
                user: None,
                cancel_on_disconnect: false,
                bucket: TokenBucket::new(self.limits.rate_per_s, self.limits.burst, now_ns),
                out: Outbox::new(self.limits.send_queue_bytes),
                http_wait: None,
                http_keep_alive: true,
                subs: Vec::new(),
                balances_sub: false,
            },
        );
    }

    /// Forgets a session; returns the user whose orders must be cancelled
    /// (`cancel_on_disconnect`).
    pub fn close(&mut self, id: u32) -> Option<UserId> {
        let s = self.sessions.remove(&id)?;
        self.trade_stream.retain(|&x| x != id);
        for sub in &s.subs {
            if let Some(v) = self.subs.get_mut(sub) {
                v.retain(|&x| x != id);
            }
        }
        if let (true, Some((u, _))) = (s.balances_sub, s.user) {
            if let Some(v) = self.balances_subs.get_mut(&u) {
                v.retain(|&x| x != id);
            }
        }
        if let Some((u, _)) = s.user {
            if let Some(v) = self.by_user.get_mut(&u) {
                v.retain(|&x| x != id);
                if v.is_empty() {
                    self.by_user.remove(&u);
                }
            }
            if s.cancel_on_disconnect && u != ADMIN_USER {
                return Some(u);
            }
        }
        None
    }

    /// Stamps and publishes a command; `false` when the ring is full.
    #[allow(clippy::too_many_arguments)]
    pub fn publish_command(
        &mut self,
        kind: CommandKind,
        session: u32,
        req_id: Option<u64>,
        want_done: bool,
        now_ns: u64,
        recv_ns: u64,
        publish: &mut dyn FnMut(InSlot) -> bool,
    ) -> bool {
        let seq = self.next_seq + 1;
        let ts_ns = now_ns.max(self.last_ts);
        let slot = InSlot {
            input: Input::Command(engine::Command { seq, ts_ns, kind }),
            session,
            req_id,
            want_done,
            recv_ns,
        };
        if publish(slot) {
            self.next_seq = seq;
            self.last_ts = ts_ns;
            true
        } else {
            false
        }
    }

    fn error(&mut self, sid: u32, err: &WireError) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        match s.wire {
            Wire::Ws | Wire::WsTrades => {
                self.s.clear();
                json::encode_error(err, &mut self.s);
                s.out.push_text(self.s.clone());
            }
            Wire::Binary => {
                self.b.clear();
                binary::encode_error_bin(err, &mut self.b);
                s.out.push_bytes(&self.b);
            }
            Wire::Http => {
                self.s.clear();
                json::encode_error(err, &mut self.s);
                self.b.clear();
                http::response(
                    err.code.http_status(),
                    "application/json",
                    &self.s,
                    s.http_keep_alive,
                    &mut self.b,
                );
                s.out.push_bytes(&self.b);
                s.http_wait = None;
            }
        }
    }

    /// Handles one decoded (or refused) request of session `sid`.
    pub fn on_request(
        &mut self,
        sid: u32,
        req: Decoded,
        now_ns: u64,
        recv_ns: u64,
        publish: &mut dyn FnMut(InSlot) -> bool,
        metrics: &Metrics,
    ) {
        let req = match req {
            Ok(r) => r,
            Err(e) => {
                metrics
                    .gateway_errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return self.error(sid, &e);
            }
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        let req_id = req.req_id;
        let fail = |code, msg: &str| WireError::new(req_id, code, msg.to_string());
        if !s.bucket.allow(now_ns) {
            metrics
                .gateway_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return self.error(sid, &fail(ErrorCode::RateLimited, "rate limit exceeded"));
        }
        let refusal = match (req.op.access(), s.user) {
            (Access::Public, _) => None,
            (_, None) => Some(fail(ErrorCode::Unauthenticated, "log in first")),
            (Access::Admin, Some((_, Role::Trader))) => {
                Some(fail(ErrorCode::Forbidden, "admin only"))
            }
            _ => None,
        };
        if s.wire == Wire::WsTrades {
            return self.error(
                sid,
                &fail(
                    ErrorCode::Forbidden,
                    "the executions stream takes no requests",
                ),
            );
        }
        if let Some(e) = refusal {
            metrics
                .gateway_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return self.error(sid, &e);
        }
        let user = s.user.map(|u| u.0).unwrap_or(ADMIN_USER);
        let wire = s.wire;
        let query = |q: Query| InSlot {
            input: Input::Query(q),
            session: sid,
            req_id,
            want_done: wire == Wire::Http,
            recv_ns,
        };
        let ok = match req.op {
            Op::Login {
                key_hash,
                cancel_on_disconnect,
            } => return self.login(sid, key_hash, cancel_on_disconnect, req_id),
            Op::Trader(t) => {
                let want_done = wire == Wire::Http;
                self.publish_command(
                    t.to_command_kind(user),
                    sid,
                    req_id,
                    want_done,
                    now_ns,
                    recv_ns,
                    publish,
                )
            }
            Op::Admin(k) => self.publish_command(k, sid, req_id, false, now_ns, recv_ns, publish),
            Op::Balances { user: u } => publish(query(Query::Balances {
                user: u.unwrap_or(user),
            })),
            Op::OpenOrders { symbol } => publish(query(Query::OpenOrders { user, symbol })),
            Op::Fees => publish(query(Query::Fees)),
            Op::Snapshot => publish(query(Query::Snapshot)),
            Op::Subscribe(chs) => return self.subscribe(sid, &chs, true, req_id),
            Op::Unsubscribe(chs) => return self.subscribe(sid, &chs, false, req_id),
        };
        if !ok {
            metrics
                .overloaded
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.error(
                sid,
                &fail(ErrorCode::Overloaded, "inbound ring full, try again"),
            );
        } else if wire == Wire::Http {
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.http_wait = Some(match req.op {
                    Op::Trader(_) => HttpWait::Events(Vec::new()),
                    _ => HttpWait::Query(None),
                });
            }
        }
    }

    fn login(&mut self, sid: u32, key_hash: KeyHash, cod: bool, req_id: Option<u64>) {
        let who = if self.admin_key == Some(key_hash) {
            Some((ADMIN_USER, Role::Admin))
        } else {
            self.keys.get(&key_hash).map(|u| (u.user, u.role))
        };
        let Some((user, role)) = who else {
            return self.error(
                sid,
                &WireError::new(req_id, ErrorCode::Unauthenticated, "unknown api key"),
            );
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if let Some((old, _)) = s.user.take() {
            if let Some(v) = self.by_user.get_mut(&old) {
                v.retain(|&x| x != sid);
            }
        }
        s.user = Some((user, role));
        s.cancel_on_disconnect = cod;
        self.by_user.entry(user).or_default().push(sid);
        self.push_reply(
            sid,
            |_, out| json::encode_login_ok(user, role, req_id, out),
            |_, out| binary::encode_login_ok_bin(user, role, req_id, out),
        );
    }

    /// Queues a reply that exists in both encodings.
    /// The encoders get the directory mirror (borrowed, never copied).
    fn push_reply(
        &mut self,
        sid: u32,
        j: impl FnOnce(&Directory, &mut String),
        b: impl FnOnce(&Directory, &mut Vec<u8>),
    ) {
        let dir = &self.dir;
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        match s.wire {
            Wire::Binary => {
                self.b.clear();
                b(dir, &mut self.b);
                s.out.push_bytes(&self.b);
            }
            Wire::Ws => {
                self.s.clear();
                j(dir, &mut self.s);
                s.out.push_text(self.s.clone());
            }
            Wire::Http => {
                let mut t = String::new();
                j(dir, &mut t);
                match &mut s.http_wait {
                    Some(HttpWait::Events(v)) => v.push(t),
                    Some(HttpWait::Query(q)) => *q = Some(t),
                    None => {}
                }
            }
            Wire::WsTrades => {}
        }
    }

    /// Routes one outbound slot; `replies` holds the reply an `Output::Reply` announces.
    pub fn on_output(&mut self, o: &OutSlot, replies: &crossbeam_channel::Receiver<Reply>) {
        match o.output {
            Output::None => {}
            Output::Event(ev) => {
                if matches!(ev, Event::Level { .. })
                    || matches!(ev, Event::Execution(r) if r.exec_type == ExecType::Trade)
                {
                    self.md_events.push(ev);
                }
                self.on_event(o, &ev);
                if o.last && !self.md_events.is_empty() {
                    self.md_flush(o.seq);
                }
            }
            Output::Reply => {
                let Ok(r) = replies.try_recv() else {
                    tracing::error!("reply announced but not there");
                    return;
                };
                self.on_reply(o, r);
            }
            Output::Done { .. } => self.http_done(o.session),
            Output::Halted { seq } => {
                tracing::error!(seq, "business logic halted; intake stopped");
                self.error(
                    o.session,
                    &WireError::new(o.req_id, ErrorCode::Overloaded, "exchange halted intake"),
                );
            }
        }
    }

    fn on_event(&mut self, o: &OutSlot, ev: &Event) {
        match ev {
            Event::Level { .. } => {}
            Event::Execution(r) => {
                if self
                    .balances_subs
                    .get(&r.user)
                    .is_some_and(|v| !v.is_empty())
                    && !self.balance_pushes.contains(&r.user)
                {
                    self.balance_pushes.push(r.user);
                }
                // Every logged-in session of the owner, req_id only to the sender.
                // (The list is taken out and put back: no allocation per report.)
                if let Some(sids) = self.by_user.get_mut(&r.user).map(std::mem::take) {
                    for &sid in &sids {
                        let rid = if sid == o.session { o.req_id } else { None };
                        self.push_event(sid, ev, rid);
                    }
                    self.by_user.insert(r.user, sids);
                }
                if o.session != 0
                    && self
                        .sessions
                        .get(&o.session)
                        .is_some_and(|s| s.wire == Wire::Http)
                {
                    // HTTP order entry: the sender is not a logged-in session;
                    // it gets its own order's reports, never another user's.
                    let sender = self
                        .sessions
                        .get(&o.session)
                        .and_then(|s| s.user)
                        .map(|u| u.0);
                    if sender == Some(r.user) {
                        self.push_event(o.session, ev, o.req_id);
                    }
                }
                if r.exec_type == ExecType::Trade {
                    self.remember_trade(ev);
                    if r.fill.is_some_and(|f| f.liquidity == Liquidity::Taker)
                        && !self.trade_stream.is_empty()
                    {
                        self.public_trade(r);
                    }
                }
            }
            Event::Reject { .. } | Event::CancelAll { .. } | Event::Admin { .. } => {
                self.push_event(o.session, ev, o.req_id)
            }
        }
    }

    fn push_event(&mut self, sid: u32, ev: &Event, req_id: Option<u64>) {
        let dir = &self.dir;
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        match s.wire {
            Wire::Binary => {
                self.b.clear();
                binary::encode_event_bin(ev, dir, req_id, &mut self.b);
                s.out.push_bytes(&self.b);
            }
            Wire::Ws => {
                self.s.clear();
                json::encode_event(ev, dir, req_id, &mut self.s);
                s.out.push_text(self.s.clone());
            }
            Wire::Http => {
                if let Some(HttpWait::Events(v)) = &mut s.http_wait {
                    let mut t = String::new();
                    json::encode_event(ev, dir, req_id, &mut t);
                    v.push(t);
                }
            }
            Wire::WsTrades => {}
        }
    }

    /// Keeps the report for `GET /v1/execution`; encoded only when asked for.
    fn remember_trade(&mut self, ev: &Event) {
        let Event::Execution(r) = ev else { return };
        let q = self.recent.entry(r.user).or_default();
        if q.len() == self.limits.recent_trades {
            q.pop_back();
        }
        q.push_front(*r);
    }

    fn public_trade(&mut self, r: &engine::ExecReport) {
        let (Some(sym), Some(f)) = (r.symbol, r.fill) else {
            return;
        };
        let si = self.dir.symbol(sym);
        self.s.clear();
        let _ = write!(
            self.s,
            r#"{{"type":"trade","symbol":"{}","trade_id":{},"price":"{}","qty":"{}","taker_side":"{}","ts":{}}}"#,
            si.spec.symbol,
            f.trade_id,
            si.ticks_to_fixed(f.price),
            si.lots_to_fixed(f.qty),
            r.side.as_str(),
            r.ts_ns
        );
        for &sid in &self.trade_stream {
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.out.push_text(self.s.clone());
            }
        }
    }

    fn on_reply(&mut self, o: &OutSlot, r: Reply) {
        let (sid, rid) = (o.session, o.req_id);
        match r {
            Reply::Directory(d) => {
                self.dir = *d;
                self.md.sync_symbols(&self.dir);
            }
            Reply::User(u) => {
                self.keys.insert(u.key_hash, u);
            }
            Reply::Balances { user, balances } if sid == 0 => {
                // A push to the user's `balances` subscribers.
                let Some(b) = balances else { return };
                let mut t = String::new();
                json::encode_balances(None, &b, &self.dir, None, &mut t);
                for s in self.balances_subs.get(&user).into_iter().flatten() {
                    if let Some(x) = self.sessions.get_mut(s) {
                        x.out.push_text(t.clone());
                    }
                }
            }
            Reply::Balances { user, balances } => {
                let admin = self
                    .sessions
                    .get(&sid)
                    .and_then(|s| s.user)
                    .is_some_and(|u| u.1 == Role::Admin);
                let shown_user = admin.then_some(user);
                match balances {
                    Some(b) => self.push_reply(
                        sid,
                        |dir, out| json::encode_balances(shown_user, &b, dir, rid, out),
                        |dir, out| binary::encode_balances_bin(shown_user, &b, dir, rid, out),
                    ),
                    None => self.error(
                        sid,
                        &WireError::new(rid, ErrorCode::Malformed, "unknown_user"),
                    ),
                }
            }
            Reply::OpenOrders(v) => self.push_reply(
                sid,
                |dir, out| json::encode_open_orders(&v, dir, rid, out),
                |dir, out| binary::encode_open_orders_bin(&v, dir, rid, out),
            ),
            Reply::Fees(f) => self.push_reply(
                sid,
                |dir, out| json::encode_fees(&f, dir, rid, out),
                |dir, out| binary::encode_fees_bin(&f, dir, rid, out),
            ),
            Reply::Snapshot {
                seq,
                state_hash,
                error,
            } => match error {
                None => self.push_reply(
                    sid,
                    |_, out| json::encode_snapshot_ok(seq, &state_hash, rid, out),
                    |_, out| binary::encode_snapshot_ok_bin(seq, &state_hash, rid, out),
                ),
                Some(e) => self.error(
                    sid,
                    &WireError::new(rid, ErrorCode::Overloaded, format!("snapshot failed: {e}")),
                ),
            },
        }
    }

    fn subscribe(&mut self, sid: u32, chs: &[Channel], on: bool, req_id: Option<u64>) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        if s.wire != Wire::Ws {
            let e = WireError::new(
                req_id,
                ErrorCode::Malformed,
                "market-data channels are served over WebSocket",
            );
            return self.error(sid, &e);
        }
        let trader = s.user.filter(|u| u.0 != ADMIN_USER).map(|u| u.0);
        // Resolve everything first: one bad channel refuses the whole request.
        let mut resolved = Vec::with_capacity(chs.len());
        for ch in chs {
            let sym = |n: &engine::Name| self.dir.symbol_id(n);
            let r = match *ch {
                Channel::Book(n) => sym(&n).map(|s| Some(Sub::Book(s))),
                Channel::Trades(n) => sym(&n).map(|s| Some(Sub::Trades(s))),
                Channel::Ticker(n) => sym(&n).map(|s| Some(Sub::Ticker(s))),
                Channel::Klines(n, i) => sym(&n).map(|s| Some(Sub::Klines(s, i))),
                Channel::Balances => {
                    if trader.is_none() {
                        let e = WireError::new(
                            req_id,
                            ErrorCode::Unauthenticated,
                            "the balances channel needs a trader login",
                        );
                        return self.error(sid, &e);
                    }
                    Some(None)
                }
            };
            match r {
                Some(x) => resolved.push(x),
                None => {
                    let e = WireError::new(
                        req_id,
                        ErrorCode::Malformed,
                        format!("unknown symbol in channel {ch}"),
                    );
                    return self.error(sid, &e);
                }
            }
        }
        self.s.clear();
        json::encode_subscribed(chs, on, req_id, &mut self.s);
        let ack = self.s.clone();
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.out.push_text(ack);
        }
        for r in resolved {
            let Some(sub) = r else {
                // The user's own balances.
                let user = trader.unwrap_or(ADMIN_USER);
                let v = self.balances_subs.entry(user).or_default();
                v.retain(|&x| x != sid);
                if on {
                    v.push(sid);
                    if !self.balance_pushes.contains(&user) {
                        self.balance_pushes.push(user);
                    }
                }
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.balances_sub = on;
                }
                continue;
            };
            let v = self.subs.entry(sub).or_default();
            v.retain(|&x| x != sid);
            let Some(s) = self.sessions.get_mut(&sid) else {
                return;
            };
            s.subs.retain(|&x| x != sub);
            if !on {
                continue;
            }
            v.push(sid);
            s.subs.push(sub);
            // A book subscriber starts from a full snapshot; a ticker one from the current ticker.
            self.s.clear();
            match sub {
                Sub::Book(sym) => {
                    if let Some(snap) = self.md.book_snapshot(sym, usize::MAX) {
                        md::book(
                            self.dir.symbol(sym),
                            true,
                            snap.seq,
                            None,
                            &snap.bids,
                            &snap.asks,
                            None,
                            &mut self.s,
                        );
                    }
                }
                Sub::Ticker(sym) => {
                    if let Some(t) = self.md.ticker(sym) {
                        md::ticker(self.dir.symbol(sym), &self.dir, &t, &mut self.s);
                    }
                }
                Sub::Trades(_) | Sub::Klines(..) => {}
            }
            if !self.s.is_empty() {
                s.out.push_text(self.s.clone());
            }
        }
    }

    /// Applies the market-data events of input `seq` and fans the updates out.
    fn md_flush(&mut self, seq: u64) {
        let mut out = std::mem::take(&mut self.md_out);
        out.clear();
        if let Err(e) = self.md.apply(seq, &self.md_events, &mut out) {
            tracing::error!(seq, error = ?e, "market data refused an input");
        }
        self.md_events.clear();
        for u in out.drain(..) {
            self.md_send(u);
        }
        self.md_out = out;
    }

    fn md_send(&mut self, u: MdUpdate) {
        let sym = u.symbol();
        let key = match &u {
            MdUpdate::Book(_) => Sub::Book(sym),
            MdUpdate::Trade { .. } => Sub::Trades(sym),
            MdUpdate::Kline { interval, .. } => Sub::Klines(sym, *interval),
            MdUpdate::Ticker { ticker, .. } => {
                // At most 10 a second: hold the newest back until it is due.
                let now = self.last_md_tick_ns;
                let e = self.tickers.entry(sym).or_insert((0, None));
                if e.0 != 0 && now < e.0 + TICKER_MIN_GAP_NS {
                    e.1 = Some(*ticker);
                    return;
                }
                *e = (now.max(1), None);
                Sub::Ticker(sym)
            }
        };
        let Some(sids) = self.subs.get(&key).filter(|v| !v.is_empty()) else {
            return;
        };
        let si = self.dir.symbol(sym);
        self.s.clear();
        match &u {
            MdUpdate::Book(d) => md::book(
                si,
                false,
                d.seq,
                Some(d.prev_seq),
                &d.bids,
                &d.asks,
                None,
                &mut self.s,
            ),
            MdUpdate::Trade { trade, .. } => md::trade(si, trade, &mut self.s),
            MdUpdate::Kline {
                interval, kline, ..
            } => md::kline(si, &self.dir, *interval, kline, &mut self.s),
            MdUpdate::Ticker { ticker, .. } => md::ticker(si, &self.dir, ticker, &mut self.s),
        }
        for sid in sids {
            if let Some(s) = self.sessions.get_mut(sid) {
                // A subscriber that cannot keep up overflows its outbox and is
                // closed with a reason: it never sees a book with a gap.
                s.out.push_text(self.s.clone());
            }
        }
    }

    /// Time-driven market data: held-back tickers that are due, and (once a
    /// second) klines closing and the ticker window rolling by wall time.
    pub fn md_tick(&mut self, mono_ns: u64, wall_ns: u64) {
        self.last_md_tick_ns = mono_ns;
        let due: Vec<(SymbolId, Ticker)> = self
            .tickers
            .iter()
            .filter_map(|(&s, &(sent, held))| {
                held.filter(|_| mono_ns >= sent + TICKER_MIN_GAP_NS)
                    .map(|t| (s, t))
            })
            .collect();
        for (symbol, ticker) in due {
            self.md_send(MdUpdate::Ticker { symbol, ticker });
        }
        if mono_ns >= self.next_md_tick {
            self.next_md_tick = mono_ns + MD_TICK_NS;
            let mut out = std::mem::take(&mut self.md_out);
            out.clear();
            self.md.tick(wall_ns, &mut out);
            for u in out.drain(..) {
                self.md_send(u);
            }
            self.md_out = out;
        }
    }

    fn http_done(&mut self, sid: u32) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.wire != Wire::Http {
            return;
        }
        let body = match s.http_wait.take() {
            Some(HttpWait::Events(v)) => format!("{{\"events\":[{}]}}", v.join(",")),
            Some(HttpWait::Query(Some(q))) => q,
            _ => return,
        };
        self.b.clear();
        http::response(
            200,
            "application/json",
            &body,
            s.http_keep_alive,
            &mut self.b,
        );
        s.out.push_bytes(&self.b);
    }

    /// Is an HTTP session still waiting for its answer?
    pub fn http_busy(&self, sid: u32) -> bool {
        self.sessions
            .get(&sid)
            .is_some_and(|s| s.http_wait.is_some())
    }

    /// Handles one HTTP request (not an upgrade).
    #[allow(clippy::too_many_arguments)]
    pub fn on_http(
        &mut self,
        sid: u32,
        req: &http::Request,
        now_ns: u64,
        publish: &mut dyn FnMut(InSlot) -> bool,
        metrics: &Metrics,
        applied_seq: u64,
        ring_depths: (u64, u64),
    ) {
        let keep = req.keep_alive;
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.http_keep_alive = keep;
        }
        let respond = |f: &mut Front, status: u16, ctype: &str, body: &str| {
            if let Some(s) = f.sessions.get_mut(&sid) {
                f.b.clear();
                http::response(status, ctype, body, keep, &mut f.b);
                s.out.push_bytes(&f.b);
            }
        };
        let path = req.path.as_str();
        if let (Some((ctype, body)), "GET") = (crate::web::asset(path), req.method.as_str()) {
            if let Some(s) = self.sessions.get_mut(&sid) {
                self.b.clear();
                crate::web::response(ctype, body, keep, &mut self.b);
                s.out.push_bytes(&self.b);
            }
            return;
        }
        match (req.method.as_str(), path) {
            ("GET", "/healthz") => {
                return respond(
                    self,
                    200,
                    "application/json",
                    &format!("{{\"status\":\"ok\",\"seq\":{applied_seq}}}"),
                );
            }
            ("GET", "/metrics") => {
                let body = metrics.render(ring_depths.0, ring_depths.1);
                return respond(self, 200, "text/plain; version=0.0.4", &body);
            }
            ("GET", "/api/v1/symbols") => {
                let mut b = String::from("[");
                for (i, si) in self.dir.symbols().iter().enumerate() {
                    if i > 0 {
                        b.push(',');
                    }
                    let sp = &si.spec;
                    let _ = write!(
                        b,
                        r#"{{"symbol":"{}","base":"{}","quote":"{}","tick_size":"{}","lot_size":"{}","min_qty":"{}","maker_fee_bps":{},"taker_fee_bps":{},"price_band_pct":{}}}"#,
                        sp.symbol,
                        sp.base,
                        sp.quote,
                        sp.tick_size,
                        sp.lot_size,
                        sp.min_qty,
                        sp.maker_fee_bps,
                        sp.taker_fee_bps,
                        sp.price_band_pct
                            .map(|p| format!("\"{p}\""))
                            .unwrap_or_else(|| "null".into())
                    );
                }
                b.push(']');
                return respond(self, 200, "application/json", &b);
            }
            _ => {}
        }
        if req.method == "GET" && path.starts_with("/api/v1/") {
            if let Some((status, body)) = self.market_data_http(path, &req.query) {
                return respond(self, status, "application/json", &body);
            }
        }
        let private = matches!(
            (req.method.as_str(), path),
            ("POST", "/v1/order")
                | ("POST", "/v1/order/cancel")
                | ("GET", "/v1/execution")
                | ("GET", "/v1/orders")
                | ("GET", "/v1/balances")
        );
        if !private {
            let known = path.starts_with("/api/v1/")
                || path.starts_with("/v1/")
                || path == "/healthz"
                || path == "/metrics";
            let (status, msg) = if known {
                (405, "method not allowed")
            } else {
                (404, "unknown path")
            };
            return respond(
                self,
                status,
                "application/json",
                &format!("{{\"type\":\"error\",\"code\":\"not_found\",\"message\":\"{msg}\"}}"),
            );
        }
        let Some(key) = &req.api_key else {
            return self.error(
                sid,
                &WireError::new(
                    None,
                    ErrorCode::Unauthenticated,
                    "X-API-Key header required",
                ),
            );
        };
        let kh = KeyHash::of_key(key);
        let who = if self.admin_key == Some(kh) {
            None
        } else {
            self.keys.get(&kh).map(|u| (u.user, u.role))
        };
        let Some((user, _role)) = who else {
            return self.error(
                sid,
                &WireError::new(None, ErrorCode::Unauthenticated, "unknown api key"),
            );
        };
        // An HTTP session acts as the key's user for this one request.
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.user = Some((user, Role::Trader));
        }
        let text = std::str::from_utf8(&req.body).unwrap_or("");
        let decoded = match (req.method.as_str(), path) {
            ("POST", "/v1/order") => with_op(text, "place"),
            ("POST", "/v1/order/cancel") => with_op(text, "cancel"),
            ("GET", "/v1/orders") => Ok(Request {
                req_id: None,
                op: Op::OpenOrders { symbol: None },
            }),
            ("GET", "/v1/balances") => Ok(Request {
                req_id: None,
                op: Op::Balances { user: None },
            }),
            _ => {
                // GET /v1/execution?limit=N: kept here, newest first.
                let limit: usize = http::query_param(&req.query, "limit")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(100);
                let mut body = String::from("[");
                for (i, r) in self
                    .recent
                    .get(&user)
                    .into_iter()
                    .flatten()
                    .take(limit)
                    .enumerate()
                {
                    if i > 0 {
                        body.push(',');
                    }
                    json::encode_event(&Event::Execution(*r), &self.dir, None, &mut body);
                }
                body.push(']');
                return respond(self, 200, "application/json", &body);
            }
        };
        let decoded = decoded.and_then(|r| match r.op {
            Op::Trader(_) | Op::OpenOrders { .. } | Op::Balances { user: None } => Ok(r),
            _ => Err(WireError::new(
                r.req_id,
                ErrorCode::Malformed,
                "body does not match the route",
            )),
        });
        self.on_request(sid, decoded, now_ns, now_ns, publish, metrics);
    }
}

impl Front {
    /// The public market-data routes, served from the projection (never by
    /// asking the business logic): `None` when `path` is not one of them.
    fn market_data_http(&self, path: &str, query: &str) -> Option<(u16, String)> {
        let parts: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
        let not_found = |what: &str| {
            (
                404,
                format!(
                    "{{\"type\":\"error\",\"code\":\"not_found\",\"message\":\"unknown {what}\"}}"
                ),
            )
        };
        let num = |name: &str, default: usize, max: usize| {
            http::query_param(query, name)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(default)
                .min(max)
        };
        let (kind, sym) = match parts.as_slice() {
            [k, s] | [k, s, _] => (*k, *s),
            _ => return None,
        };
        if !matches!(kind, "orderbook" | "executions" | "statistics" | "klines") {
            return None;
        }
        let Some(id) = engine::Name::new(sym).and_then(|n| self.dir.symbol_id(&n)) else {
            return Some(not_found("symbol"));
        };
        let si = self.dir.symbol(id);
        let mut b = String::new();
        match (kind, parts.len()) {
            ("orderbook", 2) => {
                let snap = self.md.book_snapshot(id, num("depth", 100, 5_000))?;
                md::orderbook_http(si, &snap, &mut b);
            }
            ("executions", 2) => {
                b.push('[');
                for (i, t) in self
                    .md
                    .recent_trades(id, num("limit", 100, 1_000))?
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        b.push(',');
                    }
                    md::trade(si, t, &mut b);
                }
                b.push(']');
            }
            ("statistics", 2) => match self.md.ticker(id) {
                Some(t) => md::ticker(si, &self.dir, &t, &mut b),
                None => return Some(not_found("symbol")),
            },
            ("klines", 3) => {
                let Some(interval) = Interval::parse(parts[2]) else {
                    return Some(not_found("interval"));
                };
                b.push('[');
                for (i, k) in self
                    .md
                    .klines(id, interval, num("limit", 500, interval.retention()))?
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        b.push(',');
                    }
                    md::kline(si, &self.dir, interval, k, &mut b);
                }
                b.push(']');
            }
            _ => return None,
        }
        Some((200, b))
    }
}

/// Decodes an HTTP body as the op the route implies (the body need not say `op`).
fn with_op(text: &str, op: &str) -> Result<Request, WireError> {
    let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        WireError::new(None, ErrorCode::Malformed, format!("body is not JSON: {e}"))
    })?;
    match v.as_object_mut() {
        Some(o) => {
            o.insert("op".into(), serde_json::Value::String(op.into()));
        }
        None => {
            return Err(WireError::new(
                None,
                ErrorCode::Malformed,
                "body must be a JSON object",
            ))
        }
    }
    json::decode_request(&v.to_string())
}
