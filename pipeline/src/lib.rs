//! The LMAX pipeline: inbound ring -> journaler -> business logic -> outbound ring.
//!
//! What holds:
//! - The gateway is the single producer of the inbound ring and stamps each
//!   command's `seq` and `ts_ns` as it publishes (`try_publish`: a full ring
//!   is answered `overloaded` at once, and no sequence number is spent).
//! - The journaler appends every command to the journal and flushes at the
//!   end of each batch *before* releasing the batch, and the business logic
//!   polls behind it: no output exists for an input that is not journaled.
//! - The business-logic agent owns the [`Engine`]; it is the single producer
//!   of the outbound ring. Queries travel the inbound ring too (not
//!   journaled), so their answers come after every report of what preceded
//!   them. Replies too big for a ring slot go through a channel, announced by
//!   an `Output::Reply` slot that the consumer reads in order.
//! - One error path: a stage that cannot go on (journal write failed, engine
//!   panic or refused command) returns [`agent::Stop`]; its runner stops
//!   intake and records why in [`Shared`]. The journal still replays to that
//!   point, and a batch the journaler could not write is never released.
//!
//! Must never: block the gateway, drop an accepted command, let the business
//! logic see a command before the journaler released it, or touch a socket
//! (the consumer is woken through the [`Waker`] trait).

pub mod agent;
pub mod idle;
pub mod metrics;

use crate::metrics::{CoreCounts, Metrics};
use agent::{Agent, Stop, StopHandler};
use crossbeam_channel::{Receiver, Sender};
use disruptor::{
    build_single_producer, BusySpin, EventPoller, Polling, Producer, SingleConsumerBarrier,
    SingleProducer, SingleProducerBarrier,
};
use engine::{
    AssetId, Balance, Command, CommandKind, Directory, Engine, Event, ExecReport, Name, Seq,
    SymbolId, Units, UserId, UserInfo,
};
use journal::JournalWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A query answered by the business logic in sequence with commands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Query {
    Balances {
        user: UserId,
    },
    OpenOrders {
        user: UserId,
        symbol: Option<Name>,
    },
    Fees,
    /// Write a snapshot now; answers its seq and state hash.
    Snapshot,
}

#[derive(Copy, Clone, Debug)]
pub enum Input {
    None,
    Command(Command),
    Query(Query),
}

/// One inbound ring slot.
#[derive(Copy, Clone, Debug)]
pub struct InSlot {
    pub input: Input,
    /// Gateway session that sent it (0: none).
    pub session: u32,
    pub req_id: Option<u64>,
    /// Ask for an `Output::Done` after the input's events (HTTP order entry).
    pub want_done: bool,
    /// Monotonic receive time at the gateway, for latency metrics.
    pub recv_ns: u64,
}

impl Default for InSlot {
    fn default() -> Self {
        InSlot {
            input: Input::None,
            session: 0,
            req_id: None,
            want_done: false,
            recv_ns: 0,
        }
    }
}

#[derive(Copy, Clone, Debug)]
pub enum Output {
    None,
    Event(Event),
    /// The next item of the reply channel belongs here.
    Reply,
    /// Every event of input `seq` (or of a query, seq 0) has been published.
    Done {
        seq: Seq,
    },
    /// Intake stopped: the engine refused or panicked on input `seq`.
    Halted {
        seq: Seq,
    },
}

/// One outbound ring slot.
#[derive(Copy, Clone, Debug)]
pub struct OutSlot {
    pub output: Output,
    /// The input's sequence (0 for queries).
    pub seq: Seq,
    /// The last event of its input: consumers that need a command's events
    /// together (market data) take them up to here.
    pub last: bool,
    pub session: u32,
    pub req_id: Option<u64>,
    pub recv_ns: u64,
}

impl Default for OutSlot {
    fn default() -> Self {
        OutSlot {
            output: Output::None,
            seq: 0,
            last: false,
            session: 0,
            req_id: None,
            recv_ns: 0,
        }
    }
}

/// Answers that do not fit a ring slot.
#[derive(Clone, Debug)]
pub enum Reply {
    /// `None`: no such user.
    Balances {
        user: UserId,
        balances: Option<Vec<(AssetId, Balance)>>,
    },
    OpenOrders(Vec<ExecReport>),
    Fees(Vec<(AssetId, Units)>),
    Snapshot {
        seq: Seq,
        state_hash: [u8; 32],
        error: Option<String>,
    },
    /// The directory changed (asset or symbol added): a copy for mirrors.
    Directory(Box<Directory>),
    /// A user was added: what logins need.
    User(UserInfo),
}

pub type InProducer = SingleProducer<InSlot, SingleConsumerBarrier>;
pub type OutProducer = SingleProducer<OutSlot, SingleConsumerBarrier>;
pub type OutPoller = EventPoller<OutSlot, SingleProducerBarrier>;

/// Wakes the consumer of the outbound ring when it may be parked (the
/// gateway's event loop implements it over its poller).
pub trait Waker: Send + Sync {
    fn wake(&self);
}

impl std::fmt::Debug for dyn Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waker")
    }
}

/// State shared between the pipeline's threads and the gateway.
#[derive(Default)]
pub struct Shared {
    /// False once intake must stop (shutdown or engine breach).
    pub intake: AtomicBool,
    /// Why intake stopped, when it was a breach.
    pub breach: std::sync::Mutex<Option<String>>,
    /// Last sequence the business logic applied.
    pub applied_seq: AtomicU64,
    pub metrics: Metrics,
}

impl Shared {
    /// Stops intake and records why (the first reason wins).
    pub fn stop_intake(&self, why: &str) {
        let mut b = self.breach.lock().unwrap_or_else(|e| e.into_inner());
        if b.is_none() {
            *b = Some(why.to_string());
        }
        self.intake.store(false, Ordering::Release);
    }
}

/// The runners' error path: an agent that cannot go on stops intake.
impl StopHandler for Shared {
    fn on_stop(&self, agent: &'static str, why: &Stop) {
        tracing::error!(agent, "{why}");
        self.stop_intake(&why.0);
    }
}

/// The journaler stage.
pub struct JournalAgent {
    poller: EventPoller<InSlot, SingleProducerBarrier>,
    writer: JournalWriter,
    batch: u64,
    /// The business-logic thread, when it runs apart and may park: woken
    /// after each released batch so that it does not sleep out its park.
    next: Option<std::thread::Thread>,
}

impl Agent for JournalAgent {
    fn name(&self) -> &'static str {
        "journaler"
    }

    fn do_work(&mut self) -> Result<usize, Stop> {
        let n = self.journal_batch()?;
        if n > 0 {
            if let Some(t) = &self.next {
                t.unpark();
            }
        }
        Ok(n)
    }

    fn on_close(&mut self) {
        if let Err(e) = self.writer.sync() {
            tracing::error!(error = %e, "journal sync at close failed");
        }
    }
}

impl JournalAgent {
    /// Journals one batch and releases it; returns its size. A batch that
    /// cannot be written is never released: the business logic never sees
    /// it, and what was journaled before recovers on restart.
    fn journal_batch(&mut self) -> Result<usize, Stop> {
        match self.poller.take(self.batch) {
            Ok(mut g) => {
                let mut n = 0;
                let mut failed = None;
                for slot in &mut g {
                    n += 1;
                    if let Input::Command(cmd) = &slot.input {
                        if let Err(e) = self.writer.append(cmd) {
                            failed = Some(format!(
                                "journal append failed at seq {}: {e}; intake stopped",
                                cmd.seq
                            ));
                            break;
                        }
                    }
                }
                if failed.is_none() {
                    if let Err(e) = self.writer.flush_batch() {
                        failed = Some(format!("journal flush failed: {e}; intake stopped"));
                    }
                }
                if let Some(why) = failed {
                    // Keep the batch unreleased: dropping the guard would hand
                    // unjournaled commands to the business logic.
                    std::mem::forget(g);
                    return Err(Stop(why));
                }
                // The guard drops here: only now may the business logic see the batch.
                Ok(n)
            }
            Err(Polling::NoEvents) | Err(Polling::Shutdown) => Ok(0),
        }
    }
}

/// The business-logic stage: owns the engine.
pub struct LogicAgent {
    poller: EventPoller<InSlot, SingleConsumerBarrier>,
    core: Logic,
}

struct Logic {
    engine: Engine,
    out: OutProducer,
    replies: Sender<Reply>,
    events: Vec<Event>,
    shared: Arc<Shared>,
    data_dir: PathBuf,
    snapshots_keep: usize,
    batch: u64,
    /// Why the engine refused or panicked: the agent stops after its batch.
    halted: Option<String>,
    waker: Option<Arc<dyn Waker>>,
    /// Counted here, published to `shared.metrics` once per batch.
    counts: CoreCounts,
}

impl Logic {
    fn publish(&mut self, output: Output, slot: &InSlot) {
        self.publish_event(output, slot, 0, false);
    }

    fn publish_event(&mut self, output: Output, slot: &InSlot, seq: Seq, last: bool) {
        let (session, req_id, recv_ns) = (slot.session, slot.req_id, slot.recv_ns);
        self.counts.outbound_published += 1;
        self.out.publish(|o| {
            o.output = output;
            o.seq = seq;
            o.last = last;
            o.session = session;
            o.req_id = req_id;
            o.recv_ns = recv_ns;
        });
    }

    fn reply(&mut self, r: Reply, slot: &InSlot) {
        // The receiver lives as long as the gateway; if it is gone we are shutting down.
        let _ = self.replies.send(r);
        self.publish(Output::Reply, slot);
    }

    fn handle(&mut self, slot: &InSlot) {
        self.counts.applied += 1;
        match slot.input {
            Input::None => {}
            Input::Command(cmd) => self.command(&cmd, slot),
            Input::Query(q) => {
                let r = match q {
                    Query::Balances { user } => Reply::Balances {
                        user,
                        balances: self.engine.balances(user),
                    },
                    Query::OpenOrders { user, symbol } => {
                        let sym: Option<SymbolId> =
                            symbol.and_then(|n| self.engine.directory().symbol_id(&n));
                        if symbol.is_some() && sym.is_none() {
                            Reply::OpenOrders(Vec::new())
                        } else {
                            Reply::OpenOrders(self.engine.open_orders(user, sym))
                        }
                    }
                    Query::Fees => Reply::Fees(self.engine.fees()),
                    Query::Snapshot => self.snapshot(),
                };
                self.reply(r, slot);
                if slot.want_done {
                    self.publish(Output::Done { seq: 0 }, slot);
                }
            }
        }
    }

    fn command(&mut self, cmd: &Command, slot: &InSlot) {
        self.events.clear();
        let engine = &mut self.engine;
        let events = &mut self.events;
        let r =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.apply(cmd, events)));
        let breach = match r {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(p) => Some(
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into()),
            ),
        };
        if let Some(why) = breach {
            // Stop intake at once; the runner records the same reason.
            let msg = format!("engine breach at seq {}: {why}; intake stopped", cmd.seq);
            self.shared.stop_intake(&msg);
            self.halted = Some(msg);
            self.publish(Output::Halted { seq: cmd.seq }, slot);
            return;
        }
        self.counts.command(&cmd.kind);
        // Mirrors (logins, encoders) learn of new assets, symbols and users
        // before the admin answer that announces them.
        let ok = matches!(self.events.first(), Some(Event::Admin { ok: true, .. }));
        if ok {
            match cmd.kind {
                CommandKind::AddAsset { .. } | CommandKind::AddSymbol(_) => {
                    let d = Box::new(self.engine.directory().clone());
                    self.reply(Reply::Directory(d), slot);
                }
                CommandKind::AddUser { user, .. } => {
                    if let Some(u) = self.engine.user(user) {
                        self.reply(Reply::User(u), slot);
                    }
                }
                _ => {}
            }
        }
        for i in 0..self.events.len() {
            let ev = self.events[i];
            if let Event::Execution(r) = &ev {
                if let Some(reason) = r.reason {
                    if r.exec_type == engine::ExecType::Rejected {
                        self.counts.reject(reason);
                    }
                }
            }
            let last = i + 1 == self.events.len();
            self.publish_event(Output::Event(ev), slot, cmd.seq, last);
        }
        if slot.want_done {
            self.publish(Output::Done { seq: cmd.seq }, slot);
        }
    }

    fn snapshot(&mut self) -> Reply {
        let seq = self.engine.last_seq();
        let bytes = self.engine.snapshot_bytes();
        let state_hash: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).into()
        };
        let error = journal::snapshot::write(
            &self.data_dir,
            seq,
            &state_hash,
            &bytes,
            self.snapshots_keep,
        )
        .err()
        .map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::error!(seq, error = %e, "snapshot failed");
        } else {
            tracing::info!(seq, state_hash = %hex::encode(state_hash), "snapshot written");
        }
        Reply::Snapshot {
            seq,
            state_hash,
            error,
        }
    }
}

impl Agent for LogicAgent {
    fn name(&self) -> &'static str {
        "business-logic"
    }

    fn do_work(&mut self) -> Result<usize, Stop> {
        match self.poller.take(self.core.batch) {
            Ok(mut g) => {
                let mut n = 0;
                let mut last_seq = None;
                for slot in &mut g {
                    n += 1;
                    self.core.handle(slot);
                    if self.core.halted.is_some() {
                        break;
                    }
                    if let Input::Command(c) = &slot.input {
                        last_seq = Some(c.seq);
                    }
                }
                // Once per batch: stores other threads read, not one per event.
                let core = &mut self.core;
                if let Some(seq) = last_seq {
                    core.shared.applied_seq.store(seq, Ordering::Release);
                }
                core.shared.metrics.publish_core(&core.counts);
                if let Some(w) = &self.core.waker {
                    // One wake per batch, not per event.
                    w.wake();
                }
                match &self.core.halted {
                    Some(why) => Err(Stop(why.clone())),
                    None => Ok(n),
                }
            }
            Err(Polling::NoEvents) | Err(Polling::Shutdown) => Ok(0),
        }
    }

    fn on_close(&mut self) {
        if self.core.halted.is_some() {
            return;
        }
        if let Reply::Snapshot { error: Some(e), .. } = self.core.snapshot() {
            tracing::error!(error = %e, "final snapshot failed");
        }
    }
}

/// How the pipeline's agents are placed on threads.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    pub inbound_size: usize,
    pub outbound_size: usize,
    /// Journaler and business logic on one thread (true) or each on its own.
    pub shared_thread: bool,
    pub idle: idle::IdleConfig,
    /// Cores to pin to: journaler, business logic (dedicated threads only).
    pub pin_cores: Vec<usize>,
    pub data_dir: PathBuf,
    pub snapshots_keep: usize,
    pub batch: u64,
    /// Woken after the business logic published a batch (a parked event loop).
    pub waker: Option<Arc<dyn Waker>>,
}

/// The running core: threads plus what the gateway needs to talk to them.
pub struct Pipeline {
    pub inbound: InProducer,
    pub outbound: OutPoller,
    pub replies: Receiver<Reply>,
    pub shared: Arc<Shared>,
    running: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// The thread that consumes the inbound ring, when it may park.
    first: Option<std::thread::Thread>,
}

impl Pipeline {
    /// Wires the rings and starts the journaler and business-logic threads.
    /// `engine` and `writer` come from recovery and must agree on the last seq.
    pub fn start(
        cfg: PipelineConfig,
        engine: Engine,
        writer: JournalWriter,
        shared: Arc<Shared>,
    ) -> Pipeline {
        assert_eq!(
            engine.last_seq(),
            writer.last_seq(),
            "engine and journal disagree"
        );
        shared
            .applied_seq
            .store(engine.last_seq(), Ordering::Release);
        shared.intake.store(true, Ordering::Release);
        let (out_poller, out_builder) =
            build_single_producer(cfg.outbound_size, OutSlot::default, BusySpin).new_event_poller();
        let out_producer = out_builder.build();
        let (j_poller, in_builder) =
            build_single_producer(cfg.inbound_size, InSlot::default, BusySpin).new_event_poller();
        let (bl_poller, in_builder) = in_builder.and_then().new_event_poller();
        let in_producer = in_builder.build();
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut journaler = JournalAgent {
            poller: j_poller,
            writer,
            batch: cfg.batch,
            next: None,
        };
        let logic = LogicAgent {
            poller: bl_poller,
            core: Logic {
                engine,
                out: out_producer,
                replies: tx,
                events: Vec::with_capacity(1024),
                shared: shared.clone(),
                data_dir: cfg.data_dir.clone(),
                snapshots_keep: cfg.snapshots_keep,
                batch: cfg.batch,
                halted: None,
                waker: cfg.waker.clone(),
                counts: CoreCounts::default(),
            },
        };
        let running = Arc::new(AtomicBool::new(true));
        let mut threads = Vec::new();
        let spawn = |name: &str,
                     mut agents: Vec<Box<dyn Agent>>,
                     core: Option<usize>,
                     idle: idle::IdleConfig| {
            let running = running.clone();
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || {
                    if let Some(c) = core {
                        if !core_affinity::set_for_current(core_affinity::CoreId { id: c }) {
                            tracing::warn!(core = c, "could not pin thread");
                        }
                    }
                    let mut idle = idle.build();
                    agent::run(&mut agents, idle.as_mut(), &running, shared.as_ref());
                })
                .expect("spawn pipeline thread")
        };
        if cfg.shared_thread {
            threads.push(spawn(
                "ringex-core",
                vec![Box::new(journaler), Box::new(logic)],
                cfg.pin_cores.first().copied(),
                cfg.idle,
            ));
        } else {
            let logic = spawn(
                "ringex-logic",
                vec![Box::new(logic)],
                cfg.pin_cores.get(1).copied(),
                cfg.idle,
            );
            if !cfg.idle.spins_forever() {
                journaler.next = Some(logic.thread().clone());
            }
            threads.push(spawn(
                "ringex-journal",
                vec![Box::new(journaler)],
                cfg.pin_cores.first().copied(),
                cfg.idle,
            ));
            threads.push(logic);
        }
        let first = (!cfg.idle.spins_forever()).then(|| threads[0].thread().clone());
        Pipeline {
            inbound: in_producer,
            outbound: out_poller,
            replies: rx,
            shared,
            running,
            threads,
            first,
        }
    }

    /// Wakes the thread that consumes the inbound ring if it is parked:
    /// call after publishing (once per batch is enough). Costs one atomic
    /// swap when it is awake, and nothing with a busy-spinning profile.
    #[inline]
    pub fn wake(&self) {
        if let Some(t) = &self.first {
            t.unpark();
        }
    }

    /// Stops the threads after they drained what was published; the business
    /// logic writes a final snapshot. Call after the gateway stopped publishing.
    pub fn stop(self) -> Receiver<Reply> {
        self.running.store(false, Ordering::Release);
        for t in &self.threads {
            t.thread().unpark();
        }
        let Pipeline {
            inbound,
            outbound,
            replies,
            threads,
            ..
        } = self;
        for t in threads {
            let _ = t.join();
        }
        drop(inbound);
        drop(outbound);
        replies
    }
}

/// Publishes an input from the gateway. `Err` when the ring is full.
pub fn try_publish(p: &mut InProducer, slot: InSlot) -> Result<(), disruptor::RingBufferFull> {
    p.try_publish(|s| *s = slot).map(|_| ())
}
