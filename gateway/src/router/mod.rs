//! The router: the gateway's logic without sockets. Sessions, logins,
//! permissions, rate limits, sequencing into the inbound ring, and routing
//! of the outbound stream to sessions.
//!
//! A boundary without I/O: its state is private; the event loop hands it
//! inputs (sessions opened and closed, decoded requests, HTTP requests,
//! outbound slots, the clock) and takes its outputs (each session's
//! [`Outbox`] of bytes or text with its close flag, and the inputs it wants
//! published, through the one `publish` function the loop passes in).
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
//! Submodules: [`feed`] (market-data subscriptions and fan-out), [`rest`]
//! (the HTTP routes), [`history`] (history queries, answered by the query
//! worker off the loop), [`dropcopy`] (the sequenced `events` channel).
//!
//! Must never: touch a socket, block, or hold business state of its own.

mod dropcopy;
mod feed;
mod history;
mod replication_metrics;
mod rest;

use crate::http;
use crate::session::{Outbox, TokenBucket};
use engine::market_data::{MarketData, MdUpdate, Ticker};
use engine::{
    CommandKind, Directory, Event, ExecType, KeyHash, Liquidity, Role, SymbolId, UserId, UserInfo,
};
use feed::Feed;
use pipeline::metrics::Metrics;
use pipeline::{Answer, Answers, InSlot, Input, OutSlot, Output, Query};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use wire::binary;
use wire::json;
use wire::{Access, ErrorCode, Op, Request, WireError};

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

/// What bounds each session.
/// Where the primary takes order entry (from its lease): the address a
/// standby names in its `not_primary` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryAddrs {
    /// HTTP and WebSocket.
    pub http: String,
    /// The binary TCP port.
    pub tcp: String,
}

#[derive(Clone, Debug)]
pub struct SessionLimits {
    pub rate_per_s: u64,
    pub burst: u64,
    pub send_queue_bytes: usize,
    /// Recent trade reports kept per user for `GET /v1/execution`.
    pub recent_trades: usize,
    /// Live events held for a drop-copy session while its backfill runs.
    pub dropcopy_buffer_bytes: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            rate_per_s: 2_000,
            burst: 4_000,
            send_queue_bytes: 4 << 20,
            recent_trades: 100,
            dropcopy_buffer_bytes: dropcopy::BUFFER_BYTES,
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

struct Session {
    wire: Wire,
    user: Option<(UserId, Role)>,
    cancel_on_disconnect: bool,
    bucket: TokenBucket,
    out: Outbox,
    http_wait: Option<HttpWait>,
    http_keep_alive: bool,
    /// Market-data channels this session receives.
    feeds: Vec<Feed>,
    /// Receives its user's balances after each change.
    balances_sub: bool,
}

impl Session {
    /// Is this (HTTP) session waiting for the engine's answer?
    fn http_busy(&self) -> bool {
        self.http_wait.is_some()
    }
}

/// A request arrived at a session, already decoded or refused by its codec.
pub type Decoded = Result<Request, WireError>;

pub struct Router {
    dir: Directory,
    keys: FxHashMap<KeyHash, UserInfo>,
    admin_key: Option<KeyHash>,
    sessions: FxHashMap<u32, Session>,
    by_user: FxHashMap<UserId, Vec<u32>>,
    trade_stream: Vec<u32>,
    recent: FxHashMap<UserId, VecDeque<engine::ExecReport>>,
    /// Last sequence handed out.
    next_seq: u64,
    last_ts: u64,
    limits: SessionLimits,
    /// Scratch buffers for encoding one message (kept to avoid allocating).
    text_buf: String,
    bytes_buf: Vec<u8>,
    /// The market-data projection, fed in engine order, off the business-logic thread.
    md: MarketData,
    md_events: Vec<Event>,
    md_out: Vec<MdUpdate>,
    feeds: FxHashMap<Feed, Vec<u32>>,
    /// Per symbol: when a ticker was last sent, and the newest one held back.
    tickers: FxHashMap<SymbolId, (u64, Option<Ticker>)>,
    last_md_tick_ns: u64,
    next_md_tick: u64,
    /// Sessions subscribed to each user's balances.
    balances_subs: FxHashMap<UserId, Vec<u32>>,
    /// Inputs no request waits for (balance watches), kept until the ring
    /// takes them, in order.
    deferred: VecDeque<Query>,
    /// Users whose orders must be cancelled (disconnects), kept until published.
    cancels: VecDeque<UserId>,
    /// Multi-slot answers being put back together.
    answers: Answers,
    /// Intake is stopped (a stage cannot go on, or the server is stopping):
    /// refused inputs are answered `unavailable`, not `overloaded`.
    intake_stopped: bool,
    /// Not the primary (a replicated standby, or one that is taking over):
    /// order entry and admin commands are answered `not_primary`, naming
    /// the primary when it is known: its binary TCP address to a binary
    /// session, its HTTP address to a WebSocket or HTTP one.
    standby: Option<Option<PrimaryAddrs>>,
    /// The history store, when there is one: its backend and writer stats.
    history: Option<HistoryInfo>,
    /// A replicated node's role and figures (`/healthz`, `/metrics`).
    replication: Option<(
        std::sync::Arc<replication::NodeView>,
        std::sync::Arc<replication::Stats>,
    )>,
    /// History queries waiting to be handed to the query worker.
    history_asks: Vec<crate::history_queries::Ask>,
    /// The drop-copy (`events`) sessions.
    dropcopy: dropcopy::DropCopy,
}

/// What the router shows of the history store (`/healthz`, `/metrics`).
#[derive(Clone)]
pub struct HistoryInfo {
    pub backend: &'static str,
    pub stats: std::sync::Arc<::history::Stats>,
}

impl HistoryInfo {
    /// The writer's gauges and counters in Prometheus text.
    pub fn render_metrics(&self, s: &mut String) {
        use std::fmt::Write;
        use std::sync::atomic::Ordering::Acquire;
        let st = &self.stats;
        for (name, kind, help, v) in [
            (
                "ringex_history_lag_seq",
                "gauge",
                "Inputs applied but not yet in the history store.",
                st.lag_seq(),
            ),
            (
                "ringex_history_progress_seq",
                "gauge",
                "Last input whose rows are in the history store.",
                st.progress.load(Acquire),
            ),
            (
                "ringex_history_dropped_total",
                "counter",
                "Inputs the writer's buffer could not take (re-derived from the journal).",
                st.dropped.load(Acquire),
            ),
            (
                "ringex_history_catch_ups_total",
                "counter",
                "Catch-ups of the history store from the journal.",
                st.catch_ups.load(Acquire),
            ),
            (
                "ringex_history_rows_total",
                "counter",
                "Rows written to the history store.",
                st.rows.load(Acquire),
            ),
            (
                "ringex_history_failures_total",
                "counter",
                "Failed history store operations (each retried).",
                st.failures.load(Acquire),
            ),
        ] {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{backend=\"{}\"}} {v}",
                self.backend
            );
        }
    }
}

/// The admin session's user id: not an engine user.
pub const ADMIN_USER: UserId = 0;

impl Router {
    pub fn new(
        dir: Directory,
        users: Vec<UserInfo>,
        admin_key: Option<KeyHash>,
        last_seq: u64,
        limits: SessionLimits,
        md: MarketData,
    ) -> Router {
        Router {
            md,
            md_events: Vec::with_capacity(256),
            md_out: Vec::with_capacity(64),
            feeds: FxHashMap::default(),
            tickers: FxHashMap::default(),
            last_md_tick_ns: 0,
            next_md_tick: 0,
            balances_subs: FxHashMap::default(),
            deferred: VecDeque::new(),
            cancels: VecDeque::new(),
            answers: Answers::default(),
            intake_stopped: false,
            standby: None,
            history: None,
            replication: None,
            history_asks: Vec::new(),
            dropcopy: dropcopy::DropCopy::new(
                last_seq,
                limits.dropcopy_buffer_bytes,
                limits.send_queue_bytes,
            ),
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
            text_buf: String::with_capacity(1024),
            bytes_buf: Vec::with_capacity(1024),
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
                feeds: Vec::new(),
                balances_sub: false,
            },
        );
    }

    /// Forgets a session; returns the user whose orders must be cancelled
    /// (`cancel_on_disconnect`).
    pub fn close(&mut self, id: u32) -> Option<UserId> {
        let s = self.sessions.remove(&id)?;
        self.dropcopy_close(id);
        self.trade_stream.retain(|&x| x != id);
        for sub in &s.feeds {
            if let Some(v) = self.feeds.get_mut(sub) {
                v.retain(|&x| x != id);
            }
        }
        if let (true, Some((u, _))) = (s.balances_sub, s.user) {
            self.unwatch(u, id);
        }
        if let Some((u, _)) = s.user {
            if let Some(v) = self.by_user.get_mut(&u) {
                v.retain(|&x| x != id);
                if v.is_empty() {
                    self.by_user.remove(&u);
                }
            }
            if s.cancel_on_disconnect && u != ADMIN_USER {
                self.cancels.push_back(u);
                return Some(u);
            }
        }
        None
    }

    /// Session `sid` no longer follows `user`'s balances; the last one to
    /// leave stops the business logic's pushes.
    fn unwatch(&mut self, user: UserId, sid: u32) {
        if let Some(v) = self.balances_subs.get_mut(&user) {
            v.retain(|&x| x != sid);
            if v.is_empty() {
                self.balances_subs.remove(&user);
                self.deferred
                    .push_back(Query::WatchBalances { user, on: false });
            }
        }
    }

    /// A replicated node's role, epoch and figures, for `/healthz`.
    pub fn set_replication(
        &mut self,
        view: std::sync::Arc<replication::NodeView>,
        stats: std::sync::Arc<replication::Stats>,
    ) {
        self.replication = Some((view, stats));
    }

    /// Told whether this node takes order entry (`None`: it does) or is a
    /// standby (with the primary's addresses, when known).
    pub fn set_standby(&mut self, standby: Option<Option<PrimaryAddrs>>) {
        self.standby = standby;
    }

    /// A command from the replicated stream, published by the loop with its
    /// own seq and time: later commands follow it.
    pub fn note_replicated(&mut self, cmd: &engine::Command) {
        self.next_seq = self.next_seq.max(cmd.seq);
        self.last_ts = self.last_ts.max(cmd.ts_ns);
    }

    /// The history store's figures for `/healthz` and `/metrics`.
    pub fn set_history(&mut self, info: HistoryInfo) {
        self.history = Some(info);
    }

    pub fn history(&self) -> Option<&HistoryInfo> {
        self.history.as_ref()
    }

    /// Told once per loop cycle whether the pipeline takes inputs.
    pub fn set_intake_stopped(&mut self, stopped: bool) {
        self.intake_stopped = stopped;
    }

    pub fn intake_stopped(&self) -> bool {
        self.intake_stopped
    }

    /// Publishes what no request waits for (cancel-on-disconnect first),
    /// in order, until the ring is full; the rest waits for the next cycle.
    pub fn publish_deferred(
        &mut self,
        now_ns: u64,
        mono_ns: u64,
        publish: &mut dyn FnMut(InSlot) -> bool,
    ) {
        while let Some(&user) = self.cancels.front() {
            let kind = CommandKind::CancelAll { user, symbol: None };
            if !self.publish_command(kind, 0, None, false, now_ns, mono_ns, publish) {
                return;
            }
            self.cancels.pop_front();
        }
        while let Some(&q) = self.deferred.front() {
            let slot = InSlot {
                input: Input::Query(q),
                recv_ns: mono_ns,
                ..InSlot::default()
            };
            if !publish(slot) {
                return;
            }
            self.deferred.pop_front();
        }
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
                self.text_buf.clear();
                json::encode_error(err, &mut self.text_buf);
                s.out.push_text(self.text_buf.clone());
            }
            Wire::Binary => {
                self.bytes_buf.clear();
                binary::encode_error_bin(err, &mut self.bytes_buf);
                s.out.push_bytes(&self.bytes_buf);
            }
            Wire::Http => {
                self.text_buf.clear();
                json::encode_error(err, &mut self.text_buf);
                self.bytes_buf.clear();
                http::response(
                    err.code.http_status(),
                    "application/json",
                    &self.text_buf,
                    s.http_keep_alive,
                    &mut self.bytes_buf,
                );
                s.out.push_bytes(&self.bytes_buf);
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
            (Access::Admin, Some((_, r))) if r != Role::Admin => {
                Some(fail(ErrorCode::Forbidden, "admin only"))
            }
            (Access::LoggedIn, Some((_, Role::DropCopy)))
                if !matches!(req.op, Op::SubscribeEvents { .. }) =>
            {
                Some(fail(
                    ErrorCode::Forbidden,
                    "a dropcopy user reads the events channel only",
                ))
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
        if let (Some(primary), Op::Trader(_) | Op::Admin(_)) = (&self.standby, &req.op) {
            // The address of the protocol this session speaks: a client
            // follows it without knowing the other port.
            let primary = primary.as_ref().map(|p| match s.wire {
                Wire::Binary => p.tcp.clone(),
                _ => p.http.clone(),
            });
            let mut e = fail(
                ErrorCode::NotPrimary,
                &match &primary {
                    Some(p) => format!("this node is a standby; the primary is {p}"),
                    None => "this node is a standby; no primary is known yet".to_string(),
                },
            );
            e.primary = primary;
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
            Op::OpenOrders {
                symbol,
                after_order_id,
                limit,
            } => publish(query(Query::OpenOrders {
                user,
                symbol,
                after: after_order_id,
                limit: limit.unwrap_or(pipeline::OPEN_ORDERS_LIMIT_MAX),
            })),
            Op::History(q) => return self.history_ask(sid, req_id, q),
            Op::Fees => publish(query(Query::Fees)),
            Op::Snapshot => publish(query(Query::Snapshot)),
            Op::Subscribe(chs) => return self.subscribe(sid, &chs, true, req_id),
            Op::SubscribeEvents { from_seq } => {
                return self.subscribe_events(sid, from_seq, req_id)
            }
            Op::Unsubscribe(chs) if chs == [wire::Channel::Events] => {
                return self.unsubscribe_events(sid, req_id)
            }
            Op::Unsubscribe(chs) => return self.subscribe(sid, &chs, false, req_id),
        };
        if !ok && self.intake_stopped {
            self.error(
                sid,
                &fail(
                    ErrorCode::Unavailable,
                    "intake stopped: the exchange cannot take inputs now",
                ),
            );
        } else if !ok {
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
                self.bytes_buf.clear();
                b(dir, &mut self.bytes_buf);
                s.out.push_bytes(&self.bytes_buf);
            }
            Wire::Ws => {
                self.text_buf.clear();
                j(dir, &mut self.text_buf);
                s.out.push_text(self.text_buf.clone());
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

    /// Routes one outbound slot.
    pub fn on_output(&mut self, o: &OutSlot) {
        self.dropcopy_on_output(o);
        if Answers::takes(&o.output) {
            let mut answers = std::mem::take(&mut self.answers);
            if let Some(a) = answers.push(&o.output) {
                self.on_answer(o, a);
            }
            self.answers = answers;
            return;
        }
        match o.output {
            Output::None | Output::Input(_) => {}
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
            Output::AssetAdded { asset, scale } => {
                // The engine accepted it: the mirror takes it the same way.
                if let Err(e) = self.dir.add_asset(asset, scale, usize::MAX) {
                    tracing::error!(?e, "directory mirror refused an asset");
                }
            }
            Output::SymbolAdded(spec) => {
                if let Err(e) = self.dir.add_symbol(spec, usize::MAX) {
                    tracing::error!(?e, "directory mirror refused a symbol");
                }
                self.md.sync_symbols(&self.dir);
            }
            Output::UserAdded(u) => {
                self.keys.insert(u.key_hash, u);
            }
            Output::Snapshot {
                seq,
                state_hash,
                error,
            } => {
                let rid = o.req_id;
                match error {
                    None => self.push_reply(
                        o.session,
                        |_, out| json::encode_snapshot_ok(seq, &state_hash, rid, out),
                        |_, out| binary::encode_snapshot_ok_bin(seq, &state_hash, rid, out),
                    ),
                    Some(e) => self.error(
                        o.session,
                        &WireError::new(
                            rid,
                            ErrorCode::Overloaded,
                            format!("snapshot failed: {}", e.as_str()),
                        ),
                    ),
                }
            }
            Output::Balances { .. }
            | Output::Balance { .. }
            | Output::OpenOrders { .. }
            | Output::OpenOrder(_)
            | Output::Fees
            | Output::Fee { .. }
            | Output::End => {}
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
                self.bytes_buf.clear();
                binary::encode_event_bin(ev, dir, req_id, &mut self.bytes_buf);
                s.out.push_bytes(&self.bytes_buf);
            }
            Wire::Ws => {
                self.text_buf.clear();
                json::encode_event(ev, dir, req_id, &mut self.text_buf);
                s.out.push_text(self.text_buf.clone());
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

    fn on_answer(&mut self, o: &OutSlot, a: Answer<'_>) {
        let (sid, rid) = (o.session, o.req_id);
        match a {
            Answer::Balances { user, balances } if sid == 0 => {
                // A push to the user's `balances` subscribers.
                let Some(b) = balances else { return };
                let Some(subs) = self.balances_subs.get(&user) else {
                    return;
                };
                self.text_buf.clear();
                json::encode_balances(None, b, &self.dir, None, &mut self.text_buf);
                for s in subs {
                    if let Some(x) = self.sessions.get_mut(s) {
                        x.out.push_text(self.text_buf.clone());
                    }
                }
            }
            Answer::Balances { user, balances } => {
                let admin = self
                    .sessions
                    .get(&sid)
                    .and_then(|s| s.user)
                    .is_some_and(|u| u.1 == Role::Admin);
                let shown_user = admin.then_some(user);
                match balances {
                    Some(b) => self.push_reply(
                        sid,
                        |dir, out| json::encode_balances(shown_user, b, dir, rid, out),
                        |dir, out| binary::encode_balances_bin(shown_user, b, dir, rid, out),
                    ),
                    None => self.error(
                        sid,
                        &WireError::new(rid, ErrorCode::Malformed, "unknown_user"),
                    ),
                }
            }
            Answer::OpenOrders {
                orders,
                next_cursor,
            } => self.push_reply(
                sid,
                |dir, out| json::encode_open_orders(orders, next_cursor, dir, rid, out),
                |dir, out| binary::encode_open_orders_bin(orders, next_cursor, dir, rid, out),
            ),
            Answer::Fees(f) => self.push_reply(
                sid,
                |dir, out| json::encode_fees(f, dir, rid, out),
                |dir, out| binary::encode_fees_bin(f, dir, rid, out),
            ),
        }
    }

    /// Last sequence handed out.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The output of session `sid`, for the event loop to write.
    pub fn outbox_mut(&mut self, sid: u32) -> Option<&mut Outbox> {
        self.sessions.get_mut(&sid).map(|s| &mut s.out)
    }

    /// Every session's output: `(sid, outbox, answer pending)`, where an
    /// HTTP session still waiting for its answer must not be closed yet.
    pub fn outboxes(&mut self) -> impl Iterator<Item = (u32, &mut Outbox, bool)> + '_ {
        self.sessions.iter_mut().map(|(&sid, s)| {
            let pending = s.wire == Wire::Http && s.http_busy();
            (sid, &mut s.out, pending)
        })
    }

    /// Closes `sid` once what it has queued is written (keeps an earlier reason).
    pub fn close_after_output(&mut self, sid: u32) {
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.out.close = s.out.close.take().or(Some(String::new()));
        }
    }
}
