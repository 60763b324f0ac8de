//! The network event loop (the only module that touches sockets; mio stays here).
//!
//! One thread runs this agent: it accepts connections on the HTTP/WebSocket
//! port and the binary TCP port, reads and frames requests, hands them to
//! [`Router`] (which publishes into the inbound ring), consumes the outbound
//! ring in order, and writes each session's queued output.
//!
//! What holds: reads are bounded per connection per cycle (a chatty peer
//! cannot starve others), every peer-controlled size is bounded (HTTP head
//! and body, WebSocket frame and message, binary frame, send queue,
//! connection count), and the loop never blocks except in `poll` while idle.
//! The clock is read once per duty cycle.

use crate::http;
use crate::router::{Router, Wire};
use engine::CommandKind;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use pipeline::idle::{IdleStrategy, Wait};
use pipeline::metrics::Metrics;
use pipeline::{try_publish, Consumer, InProducer, InSlot, OutSlot, Output, Pipeline, Shared};
use rustc_hash::FxHashMap;
use std::io::{self, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tungstenite::protocol::{frame::coding::CloseCode, CloseFrame, Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};
use wire::{binary, json};

const HTTP_LISTENER: Token = Token(usize::MAX - 1);
const TCP_LISTENER: Token = Token(usize::MAX - 2);
pub const WAKER: Token = Token(usize::MAX - 3);

/// Wakes the event loop from the business-logic thread (mio's waker on the
/// loop's poller, under the pipeline's [`pipeline::Waker`]).
pub struct PollWaker(mio::Waker);

impl PollWaker {
    pub fn new(poll: &Poll) -> io::Result<PollWaker> {
        mio::Waker::new(poll.registry(), WAKER).map(PollWaker)
    }
}

impl pipeline::Waker for PollWaker {
    fn wake(&self) {
        let _ = self.0.wake();
    }
}

/// Bytes read from one connection per cycle before moving on.
const READ_BUDGET: usize = 256 << 10;

#[derive(Clone, Debug)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub max_frame_bytes: usize,
    pub http_head_max: usize,
    pub http_body_max: usize,
    /// An HTTP connection that has not sent a complete request in this long is closed.
    pub http_idle: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 1024,
            max_frame_bytes: 64 << 10,
            http_head_max: 8 << 10,
            http_body_max: 64 << 10,
            http_idle: Duration::from_secs(10),
        }
    }
}

enum Conn {
    Http {
        stream: TcpStream,
        buf: Vec<u8>,
        since: Instant,
    },
    Ws {
        ws: Box<WebSocket<TcpStream>>,
    },
    Bin {
        stream: TcpStream,
        buf: Vec<u8>,
    },
}

pub struct EventLoop {
    poll: Poll,
    events: Events,
    http: TcpListener,
    tcp: TcpListener,
    conns: FxHashMap<u32, Conn>,
    next_sid: u32,
    pub router: Router,
    pipeline: Pipeline,
    shared: Arc<Shared>,
    limits: ConnLimits,
    /// Connections whose read budget ran out: read again next cycle.
    read_again: Vec<u32>,
    to_close: Vec<(u32, Option<String>)>,
    /// Scratch for the tokens of one poll (kept to avoid allocating per cycle).
    ready: Vec<(Token, bool)>,
    start: Instant,
    batch: u64,
    last_latency_seq: u64,
    pub stopping: bool,
    /// `inbound_published` when the core was last woken.
    woken_at: u64,
    /// The history store's feed, a consumer of the outbound stream beside
    /// the router (the pipeline must publish inputs).
    pub history: Option<history::Feed>,
    /// The history query worker (its own thread and store connection).
    pub history_queries: Option<crate::history_queries::QueryWorker>,
    /// A replicated node: the stream's records to publish while standing
    /// by, and the node's role.
    pub replica: Option<Replica>,
}

/// The gateway's side of a replicated node.
pub struct Replica {
    pub records: crossbeam_channel::Receiver<engine::Command>,
    pub view: Arc<replication::NodeView>,
    pub stats: Arc<replication::Stats>,
    /// A record the ring had no room for, published first next cycle.
    pending: Option<engine::Command>,
    /// The view's version the router was last told about.
    told: Option<u64>,
}

impl Replica {
    pub fn new(node: &replication::Node) -> Replica {
        Replica {
            records: node.records.clone(),
            view: node.view.clone(),
            stats: node.stats.clone(),
            pending: None,
            told: None,
        }
    }
}

/// The one way the loop publishes into the inbound ring: refused while
/// intake is stopped, counted when the ring took it.
struct Publisher<'a> {
    inbound: &'a mut InProducer,
    shared: &'a Shared,
}

impl Publisher<'_> {
    fn publish(&mut self, slot: InSlot) -> bool {
        if !self.shared.intake.load(Ordering::Acquire) {
            return false;
        }
        let ok = try_publish(self.inbound, slot).is_ok();
        if ok {
            self.shared
                .metrics
                .inbound_published
                .fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

/// Hands outbound slots to the router, recording order latency on the way.
struct Route<'a> {
    router: &'a mut Router,
    history: Option<&'a mut history::Feed>,
    metrics: &'a Metrics,
    mono_ns: u64,
    last_latency_seq: &'a mut u64,
}

impl Consumer for Route<'_> {
    fn on_output(&mut self, slot: &OutSlot, end_of_batch: bool) {
        if let Some(h) = self.history.as_deref_mut() {
            h.on_output(slot, end_of_batch);
        }
        if let Output::Event(engine::Event::Execution(r)) = &slot.output {
            if slot.session != 0 && slot.recv_ns != 0 && r.seq != *self.last_latency_seq {
                *self.last_latency_seq = r.seq;
                self.metrics
                    .latency
                    .record(self.mono_ns.saturating_sub(slot.recv_ns));
            }
        }
        self.router.on_output(slot);
    }
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

impl EventLoop {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        poll: Poll,
        mut http: TcpListener,
        mut tcp: TcpListener,
        router: Router,
        pipeline: Pipeline,
        limits: ConnLimits,
    ) -> io::Result<EventLoop> {
        let shared = pipeline.shared.clone();
        poll.registry()
            .register(&mut http, HTTP_LISTENER, Interest::READABLE)?;
        poll.registry()
            .register(&mut tcp, TCP_LISTENER, Interest::READABLE)?;
        Ok(EventLoop {
            poll,
            events: Events::with_capacity(1024),
            http,
            tcp,
            conns: FxHashMap::default(),
            next_sid: 1,
            router,
            pipeline,
            shared,
            limits,
            read_again: Vec::new(),
            to_close: Vec::new(),
            ready: Vec::with_capacity(1024),
            start: Instant::now(),
            batch: 256,
            last_latency_seq: 0,
            stopping: false,
            woken_at: 0,
            history: None,
            history_queries: None,
            replica: None,
        })
    }

    /// Publishes an operator command (demo setup), driving the loop while the ring is full.
    pub fn publish_operator(&mut self, kind: CommandKind) {
        loop {
            let now_ns = wall_ns();
            let mut publisher = Publisher {
                inbound: &mut self.pipeline.inbound,
                shared: &self.shared,
            };
            let mut publish = |slot: InSlot| publisher.publish(slot);
            if self
                .router
                .publish_command(kind, 0, None, false, now_ns, 0, &mut publish)
            {
                return;
            }
            self.do_work(Some(Duration::from_millis(1)));
        }
    }

    /// Gives the pipeline back for stopping, after the loop ended.
    pub fn into_pipeline(self) -> Pipeline {
        self.pipeline
    }

    /// Runs until `stop` says so, then drains: stops intake, waits until the
    /// business logic applied everything published, flushes what is queued.
    pub fn run(&mut self, idle: &mut dyn IdleStrategy, stop: &dyn Fn() -> bool) {
        let mut wait = Wait::Spin;
        while !stop() {
            let timeout = match wait {
                Wait::Park(d) => Some(d),
                _ => Some(Duration::ZERO),
            };
            let work = self.do_work(timeout);
            wait = idle.next(work);
            if wait == Wait::Yield {
                std::thread::yield_now();
            }
        }
        self.stopping = true;
        self.shared.intake.store(false, Ordering::Release);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.shared.applied_seq.load(Ordering::Acquire) < self.router.next_seq()
            && Instant::now() < deadline
        {
            if self.do_work(Some(Duration::from_millis(1))) == 0
                && self
                    .shared
                    .breach
                    .lock()
                    .map(|b| b.is_some())
                    .unwrap_or(true)
            {
                break;
            }
        }
        self.do_work(Some(Duration::ZERO));
    }

    /// One duty cycle; returns how much it did.
    pub fn do_work(&mut self, timeout: Option<Duration>) -> usize {
        let mut work = 0;
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                tracing::error!(error = %e, "poll failed");
            }
        }
        let now_ns = wall_ns();
        let mono_ns = self.start.elapsed().as_nanos() as u64;
        self.router
            .set_intake_stopped(!self.shared.intake.load(Ordering::Acquire));
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        ready.extend(
            self.events
                .iter()
                .map(|e| (e.token(), e.is_readable() || e.is_read_closed())),
        );
        for &(tok, readable) in &ready {
            work += 1;
            match tok {
                HTTP_LISTENER => self.accept(false, mono_ns),
                TCP_LISTENER => self.accept(true, mono_ns),
                WAKER => {}
                Token(t) => {
                    if readable && !self.stopping {
                        self.read(t as u32, now_ns, mono_ns);
                    }
                }
            }
        }
        self.ready = ready;
        for sid in std::mem::take(&mut self.read_again) {
            work += 1;
            self.read(sid, now_ns, mono_ns);
        }
        work += self.feed_replica(mono_ns);
        self.wake_core();
        work += self.drain_outbound(mono_ns);
        work += self.history_queries();
        work += self.router.dropcopy_poll();
        self.router.md_tick(mono_ns, now_ns);
        for (&sid, c) in &self.conns {
            if let Conn::Http { buf, .. } = c {
                if !buf.is_empty() && !self.router.http_busy(sid) && !self.read_again.contains(&sid)
                {
                    self.read_again.push(sid);
                }
            }
        }
        {
            let mut publisher = Publisher {
                inbound: &mut self.pipeline.inbound,
                shared: &self.shared,
            };
            self.router
                .publish_deferred(now_ns, mono_ns, &mut |slot| publisher.publish(slot));
        }
        self.wake_core();
        work += self.flush_all();
        self.sweep_idle();
        self.close_marked();
        work
    }

    /// A replicated node: tells the router whether it leads, and publishes
    /// the stream's records (a standby's inputs) in order, as the ring takes them.
    fn feed_replica(&mut self, mono_ns: u64) -> usize {
        let Some(r) = self.replica.as_mut() else {
            return 0;
        };
        // The role changes rarely: no lock or copy unless it did.
        let version = r.view.version();
        if r.told != Some(version) {
            r.told = Some(version);
            let state = r.view.state();
            self.router.set_standby(match state {
                replication::State::Leading => None,
                _ => Some(
                    r.view
                        .leader()
                        .filter(|_| state == replication::State::Following)
                        .map(|l| crate::router::PrimaryAddrs {
                            http: l.http,
                            tcp: l.tcp,
                        }),
                ),
            });
        }
        let mut publisher = Publisher {
            inbound: &mut self.pipeline.inbound,
            shared: &self.shared,
        };
        let mut n = 0;
        while let Some(cmd) = r.pending.take().or_else(|| r.records.try_recv().ok()) {
            let slot = InSlot {
                input: pipeline::Input::Command(cmd),
                recv_ns: mono_ns,
                ..InSlot::default()
            };
            if !publisher.publish(slot) {
                r.pending = Some(cmd);
                break;
            }
            self.router.note_replicated(&cmd);
            n += 1;
        }
        n
    }

    /// Hands the history queries asked this cycle to the worker (a full
    /// queue answers `overloaded`) and routes the answers it has; never waits.
    fn history_queries(&mut self) -> usize {
        use crate::history_queries::Answer;
        let mut work = 0;
        for ask in self.router.take_history_asks() {
            work += 1;
            match &self.history_queries {
                Some(w) => {
                    if let Err(ask) = w.try_ask(ask) {
                        self.router.history_overloaded(&ask, &self.shared.metrics);
                    }
                }
                None => self.router.on_history_answer(Answer {
                    ask,
                    result: Err(history::queries::QueryError::Store(
                        history::StoreError::transient("no query worker"),
                    )),
                }),
            }
        }
        if let Some(w) = &self.history_queries {
            for a in w.answers() {
                work += 1;
                self.router.on_history_answer(a);
            }
        }
        work
    }

    /// Wakes the core thread if anything was published since it was last
    /// woken: with a profile that parks, it would otherwise sleep out its park.
    fn wake_core(&mut self) {
        let n = self
            .shared
            .metrics
            .inbound_published
            .load(Ordering::Relaxed);
        if n != self.woken_at {
            self.woken_at = n;
            self.pipeline.wake();
        }
    }

    fn accept(&mut self, binary: bool, mono_ns: u64) {
        loop {
            let listener = if binary { &self.tcp } else { &self.http };
            let (mut stream, _) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    return;
                }
            };
            if self.conns.len() >= self.limits.max_connections || self.stopping {
                tracing::warn!(
                    "connection refused: limit of {} reached",
                    self.limits.max_connections
                );
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let sid = self.next_sid;
            self.next_sid = self.next_sid.wrapping_add(1).max(1);
            if self
                .poll
                .registry()
                .register(
                    &mut stream,
                    Token(sid as usize),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                continue;
            }
            let conn = if binary {
                Conn::Bin {
                    stream,
                    buf: Vec::with_capacity(4096),
                }
            } else {
                Conn::Http {
                    stream,
                    buf: Vec::with_capacity(1024),
                    since: Instant::now(),
                }
            };
            self.conns.insert(sid, conn);
            self.router
                .open(sid, if binary { Wire::Binary } else { Wire::Http }, mono_ns);
            self.shared
                .metrics
                .connections
                .store(self.conns.len() as u64, Ordering::Relaxed);
        }
    }

    fn read(&mut self, sid: u32, now_ns: u64, mono_ns: u64) {
        let depths = self.ring_depths();
        let Some(conn) = self.conns.get_mut(&sid) else {
            return;
        };
        let metrics = &self.shared.metrics;
        let mut publisher = Publisher {
            inbound: &mut self.pipeline.inbound,
            shared: &self.shared,
        };
        let mut publish = |slot: InSlot| publisher.publish(slot);
        match conn {
            Conn::Bin { stream, buf } => {
                let (n, eof) = read_some(stream, buf, READ_BUDGET);
                loop {
                    match binary::decode_frame(buf) {
                        Ok(Some((req, used))) => {
                            buf.drain(..used);
                            self.router.on_request(
                                sid,
                                Ok(req),
                                now_ns,
                                mono_ns,
                                &mut publish,
                                metrics,
                            );
                        }
                        Ok(None) => break,
                        Err(e) => {
                            self.router.on_request(
                                sid,
                                Err(e.error),
                                now_ns,
                                mono_ns,
                                &mut publish,
                                metrics,
                            );
                            match e.skip {
                                // A bad frame is answered and dropped; the connection goes on.
                                Some(n) => {
                                    buf.drain(..n.min(buf.len()));
                                }
                                // Framing is lost: answer, then close.
                                None => {
                                    self.to_close.push((sid, Some("framing lost".into())));
                                    buf.clear();
                                    break;
                                }
                            }
                        }
                    }
                }
                if eof {
                    self.to_close.push((sid, None));
                } else if n >= READ_BUDGET {
                    self.read_again.push(sid);
                }
            }
            Conn::Ws { ws } => {
                let mut budget = 256;
                loop {
                    if budget == 0 {
                        self.read_again.push(sid);
                        break;
                    }
                    budget -= 1;
                    match ws.read() {
                        Ok(Message::Text(t)) => {
                            let req = json::decode_request(t.as_str());
                            self.router.on_request(
                                sid,
                                req,
                                now_ns,
                                mono_ns,
                                &mut publish,
                                metrics,
                            );
                        }
                        Ok(Message::Binary(_)) => {
                            let e = wire::WireError::new(
                                None,
                                wire::ErrorCode::Malformed,
                                "send JSON text frames",
                            );
                            self.router.on_request(
                                sid,
                                Err(e),
                                now_ns,
                                mono_ns,
                                &mut publish,
                                metrics,
                            );
                        }
                        Ok(Message::Close(_)) => {
                            self.to_close.push((sid, None));
                            break;
                        }
                        Ok(_) => {}
                        Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                            break
                        }
                        Err(tungstenite::Error::Capacity(c)) => {
                            let e = wire::WireError::new(
                                None,
                                wire::ErrorCode::TooLarge,
                                format!("{c}"),
                            );
                            self.router.on_request(
                                sid,
                                Err(e),
                                now_ns,
                                mono_ns,
                                &mut publish,
                                metrics,
                            );
                            self.to_close.push((sid, Some("message too large".into())));
                            break;
                        }
                        Err(e) => {
                            tracing::debug!(sid, error = %e, "websocket closed");
                            self.to_close.push((sid, None));
                            break;
                        }
                    }
                }
            }
            Conn::Http { stream, buf, since } => {
                let (_, eof) = read_some(
                    stream,
                    buf,
                    self.limits.http_head_max + self.limits.http_body_max + 1,
                );
                // Requests are answered one at a time, in order (pipelining):
                // the next is parsed once the one before is answered.
                while !self.router.http_busy(sid) {
                    match http::parse(buf, self.limits.http_head_max, self.limits.http_body_max) {
                        Ok(None) => break,
                        Err(e) => {
                            self.router.on_http_parse_error(sid, &e);
                            buf.clear();
                            break;
                        }
                        Ok(Some((req, used))) => {
                            buf.drain(..used);
                            *since = Instant::now();
                            if req.upgrade_websocket {
                                self.upgrade(sid, req, mono_ns);
                                return;
                            }
                            let applied = self.shared.applied_seq.load(Ordering::Acquire);
                            self.router.on_http(
                                sid,
                                &req,
                                now_ns,
                                &mut publish,
                                metrics,
                                applied,
                                depths,
                            );
                            if !req.keep_alive {
                                // Closed once its answer is written (see flush_all).
                                self.router.close_after_output(sid);
                                buf.clear();
                                break;
                            }
                        }
                    }
                }
                if eof {
                    // The peer finished sending: answer what is pending, then close.
                    self.router.close_after_output(sid);
                }
            }
        }
    }

    fn upgrade(&mut self, sid: u32, req: http::Request, mono_ns: u64) {
        let wire = match req.path.as_str() {
            "/ws" => Wire::Ws,
            "/ws/executions" => Wire::WsTrades,
            _ => {
                self.to_close
                    .push((sid, Some("no websocket at that path".into())));
                return;
            }
        };
        let Some(Conn::Http {
            mut stream, buf, ..
        }) = self.conns.remove(&sid)
        else {
            return;
        };
        let Some(key) = req.ws_key else {
            self.router.close(sid);
            return;
        };
        let mut hello = Vec::new();
        http::websocket_accept(&key, &mut hello);
        if stream.write_all(&hello).is_err() {
            self.router.close(sid);
            return;
        }
        // Bounded frames and send buffer: a slow reader is cut off, not buffered forever.
        let cfg = WebSocketConfig {
            max_message_size: Some(self.limits.max_frame_bytes),
            max_frame_size: Some(self.limits.max_frame_bytes),
            max_write_buffer_size: self.ws_send_bound(),
            ..WebSocketConfig::default()
        };
        let ws = WebSocket::from_partially_read(stream, buf, Role::Server, Some(cfg));
        self.conns.insert(sid, Conn::Ws { ws: Box::new(ws) });
        self.router.close(sid);
        self.router.open(sid, wire, mono_ns);
        self.read_again.push(sid);
    }

    fn ws_send_bound(&self) -> usize {
        // The outbox holds the bulk; tungstenite's own buffer only needs a few frames.
        4 * self.limits.max_frame_bytes + (1 << 20)
    }

    fn ring_depths(&self) -> (u64, u64) {
        let m = &self.shared.metrics;
        let published = m.inbound_published.load(Ordering::Relaxed);
        let applied = m.applied();
        let out_published = m.outbound_published();
        let out_consumed = m.outbound_consumed.load(Ordering::Relaxed);
        (
            published.saturating_sub(applied),
            out_published.saturating_sub(out_consumed),
        )
    }

    fn drain_outbound(&mut self, mono_ns: u64) -> usize {
        let mut route = Route {
            router: &mut self.router,
            history: self.history.as_mut(),
            metrics: &self.shared.metrics,
            mono_ns,
            last_latency_seq: &mut self.last_latency_seq,
        };
        let n = self.pipeline.outbound.drain(self.batch, &mut route);
        self.shared
            .metrics
            .outbound_consumed
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    fn flush_all(&mut self) -> usize {
        let mut work = 0;
        for (sid, out, answer_pending) in self.router.outboxes() {
            if out.is_empty() && out.close.is_none() {
                continue;
            }
            let Some(conn) = self.conns.get_mut(&sid) else {
                continue;
            };
            let res = match conn {
                Conn::Http { stream, .. } | Conn::Bin { stream, .. } => {
                    write_bytes(stream, &mut out.bytes)
                }
                Conn::Ws { ws } => {
                    let mut r = Ok(());
                    while let Some(t) = out.text.pop_front() {
                        match ws.write(Message::text(t)) {
                            Ok(()) => {}
                            Err(tungstenite::Error::WriteBufferFull(m)) => {
                                if let Message::Text(t) = m {
                                    out.text.push_front(t.as_str().to_string());
                                }
                                break;
                            }
                            Err(e) => {
                                r = Err(io::Error::other(e.to_string()));
                                break;
                            }
                        }
                    }
                    match ws.flush() {
                        Ok(()) => r,
                        Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                            r
                        }
                        Err(e) => Err(io::Error::other(e.to_string())),
                    }
                }
            };
            out.queued = out.bytes.len() + out.text.iter().map(|t| t.len()).sum::<usize>();
            work += 1;
            if res.is_err() {
                self.to_close.push((sid, None));
            } else if let Some(reason) = &out.close {
                if (out.is_empty() && !answer_pending) || out.overflowed {
                    self.to_close.push((sid, Some(reason.clone())));
                }
            }
        }
        work
    }

    fn sweep_idle(&mut self) {
        for (&sid, c) in &self.conns {
            if let Conn::Http { since, .. } = c {
                if since.elapsed() > self.limits.http_idle && !self.router.http_busy(sid) {
                    self.to_close.push((sid, Some("idle".into())));
                }
            }
        }
    }

    fn close_marked(&mut self) {
        for (sid, reason) in std::mem::take(&mut self.to_close) {
            let Some(conn) = self.conns.remove(&sid) else {
                continue;
            };
            match conn {
                Conn::Ws { mut ws } => {
                    let frame = reason.filter(|r| !r.is_empty()).map(|r| CloseFrame {
                        code: if r.starts_with("slow") {
                            CloseCode::Policy
                        } else {
                            CloseCode::Size
                        },
                        reason: r.into(),
                    });
                    let _ = ws.close(frame);
                    let _ = ws.flush();
                    let _ = self.poll.registry().deregister(ws.get_mut());
                }
                Conn::Http { mut stream, .. } | Conn::Bin { mut stream, .. } => {
                    let _ = self.poll.registry().deregister(&mut stream);
                }
            }
            // Cancel-on-disconnect is queued by the router and published in order.
            self.router.close(sid);
        }
        self.shared
            .metrics
            .connections
            .store(self.conns.len() as u64, Ordering::Relaxed);
    }
}

/// Reads what is there (up to `budget` bytes); returns bytes read and whether the peer closed.
fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>, budget: usize) -> (usize, bool) {
    let mut chunk = [0u8; 16 << 10];
    let mut total = 0;
    while total < budget {
        match stream.read(&mut chunk) {
            Ok(0) => return (total, true),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                total += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (total, false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return (total, true),
        }
    }
    (total, false)
}

/// Writes as much of `bytes` as the socket takes; keeps the rest.
fn write_bytes(stream: &mut TcpStream, bytes: &mut Vec<u8>) -> io::Result<()> {
    let mut off = 0;
    while off < bytes.len() {
        match stream.write(&bytes[off..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => off += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.drain(..off);
    Ok(())
}
