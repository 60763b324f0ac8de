//! The business-logic stage: owns the [`Engine`], applies the inbound ring's
//! inputs in order and is the single producer of the outbound stream.
//!
//! What holds:
//! - Everything an input causes goes out in order, in the outbound ring:
//!   directory changes, then its events, then balance pushes for watched
//!   users it touched, then `Done` when asked. Query answers are slots too
//!   (a head, one slot per item, `End`), after everything before them.
//! - An engine panic or refused command publishes `Halted` and stops the
//!   agent with the reason; the runner stops intake.
//! - Nothing here blocks, reads a clock or touches a socket; counters are
//!   plain integers stored into [`Shared`] once per batch.

use crate::agent::{Agent, Stop};
use crate::metrics::CoreCounts;
use crate::outbound::{OutSlot, Output, ShortText};
use crate::rings::{InSlot, Input, OutProducer, Query};
use crate::{Shared, Waker};
use disruptor::{EventPoller, Polling, Producer, SingleConsumerBarrier};
use engine::{Command, CommandKind, Engine, Event, Seq, SymbolId, UserId};
use rustc_hash::FxHashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The agent: the inbound ring's last consumer, driving [`BusinessLogic`].
pub struct LogicAgent {
    poller: EventPoller<InSlot, SingleConsumerBarrier>,
    logic: BusinessLogic<OutProducer>,
}

/// Where the business logic puts its outputs: the outbound ring, or a
/// vector when it runs in process without rings ([`InProcess`]).
pub trait OutSink {
    fn put(&mut self, slot: OutSlot);
}

impl OutSink for OutProducer {
    #[inline]
    fn put(&mut self, slot: OutSlot) {
        self.publish(|o| *o = slot);
    }
}

impl OutSink for Vec<OutSlot> {
    fn put(&mut self, slot: OutSlot) {
        self.push(slot);
    }
}

/// The engine and what applying inputs needs around it.
struct BusinessLogic<S: OutSink> {
    engine: Engine,
    out: S,
    events: Vec<Event>,
    shared: Arc<Shared>,
    /// Where snapshots are written; `None`: answered with the hash only.
    data_dir: Option<PathBuf>,
    snapshots_keep: usize,
    batch: u64,
    /// Why the engine refused or panicked: the agent stops after its batch.
    halted: Option<String>,
    waker: Option<Arc<dyn Waker>>,
    /// Users whose balances are pushed after each change.
    watched: FxHashSet<UserId>,
    /// Scratch: watched users one command touched.
    touched: Vec<UserId>,
    /// Counted here, published to `shared.metrics` once per batch.
    counts: CoreCounts,
    /// Publish each applied command before its events.
    publish_inputs: bool,
}

impl LogicAgent {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        poller: EventPoller<InSlot, SingleConsumerBarrier>,
        engine: Engine,
        out: OutProducer,
        shared: Arc<Shared>,
        cfg: &crate::PipelineConfig,
    ) -> LogicAgent {
        let logic = BusinessLogic {
            engine,
            out,
            events: Vec::with_capacity(1024),
            shared,
            data_dir: Some(cfg.data_dir.clone()),
            snapshots_keep: cfg.snapshots_keep,
            batch: cfg.batch,
            halted: None,
            waker: cfg.waker.clone(),
            watched: FxHashSet::default(),
            touched: Vec::new(),
            counts: CoreCounts::default(),
            publish_inputs: cfg.publish_inputs,
        };
        LogicAgent { poller, logic }
    }
}

impl<S: OutSink> BusinessLogic<S> {
    fn publish(&mut self, output: Output, slot: &InSlot) {
        self.publish_at(output, slot, 0, false);
    }

    fn publish_at(&mut self, output: Output, slot: &InSlot, seq: Seq, last: bool) {
        let (session, req_id, recv_ns) = (slot.session, slot.req_id, slot.recv_ns);
        self.counts.outbound_published += 1;
        self.out.put(OutSlot {
            output,
            seq,
            last,
            session,
            req_id,
            recv_ns,
        });
    }

    fn handle(&mut self, slot: &InSlot) {
        self.counts.applied += 1;
        match slot.input {
            Input::None => {}
            Input::Command(cmd) => self.command(&cmd, slot),
            Input::Query(q) => {
                self.query(q, slot);
                if slot.want_done {
                    self.publish(Output::Done { seq: 0 }, slot);
                }
            }
        }
    }

    /// Answers a query as consecutive slots.
    fn query(&mut self, q: Query, slot: &InSlot) {
        match q {
            Query::Balances { user } => self.balances(user, slot),
            Query::WatchBalances { user, on } => {
                if on {
                    self.watched.insert(user);
                    let push = InSlot {
                        session: 0,
                        req_id: None,
                        ..*slot
                    };
                    self.balances(user, &push);
                } else {
                    self.watched.remove(&user);
                }
            }
            Query::OpenOrders {
                user,
                symbol,
                after,
                limit,
            } => {
                let sym: Option<SymbolId> =
                    symbol.and_then(|n| self.engine.directory().symbol_id(&n));
                let limit = limit.clamp(1, crate::rings::OPEN_ORDERS_LIMIT_MAX) as usize;
                let (orders, more) = if symbol.is_some() && sym.is_none() {
                    (Vec::new(), false)
                } else {
                    self.engine.open_orders_page(user, sym, after, limit)
                };
                let next_cursor = if more {
                    orders.last().map(|r| r.order_id)
                } else {
                    None
                };
                self.publish(Output::OpenOrders { next_cursor }, slot);
                for r in orders {
                    self.publish(Output::OpenOrder(r), slot);
                }
                self.publish(Output::End, slot);
            }
            Query::Fees => {
                self.publish(Output::Fees, slot);
                for (asset, units) in self.engine.fees() {
                    self.publish(Output::Fee { asset, units }, slot);
                }
                self.publish(Output::End, slot);
            }
            Query::Snapshot => {
                let (seq, state_hash, error) = self.snapshot();
                let error = error.map(|e| ShortText::new(&e));
                self.publish(
                    Output::Snapshot {
                        seq,
                        state_hash,
                        error,
                    },
                    slot,
                );
            }
        }
    }

    fn balances(&mut self, user: UserId, slot: &InSlot) {
        let balances = self.engine.balances(user);
        self.publish(
            Output::Balances {
                user,
                found: balances.is_some(),
            },
            slot,
        );
        for (asset, balance) in balances.into_iter().flatten() {
            self.publish(Output::Balance { asset, balance }, slot);
        }
        self.publish(Output::End, slot);
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
        if self.publish_inputs {
            let last = self.events.is_empty();
            self.publish_at(Output::Input(*cmd), slot, cmd.seq, last);
        }
        // Mirrors (logins, encoders) learn of new assets, symbols and users
        // before the admin answer that announces them.
        let ok = matches!(self.events.first(), Some(Event::Admin { ok: true, .. }));
        if ok {
            match cmd.kind {
                CommandKind::AddAsset { asset, scale } => {
                    self.publish(Output::AssetAdded { asset, scale }, slot)
                }
                CommandKind::AddSymbol(spec) => self.publish(Output::SymbolAdded(spec), slot),
                CommandKind::AddUser { user, .. } => {
                    if let Some(u) = self.engine.user(user) {
                        self.publish(Output::UserAdded(u), slot);
                    }
                }
                _ => {}
            }
        }
        let watching = !self.watched.is_empty();
        for i in 0..self.events.len() {
            let ev = self.events[i];
            if let Event::Execution(r) = &ev {
                if let Some(reason) = r.reason {
                    if r.exec_type == engine::ExecType::Rejected {
                        self.counts.reject(reason);
                    }
                }
                if watching && self.watched.contains(&r.user) && !self.touched.contains(&r.user) {
                    self.touched.push(r.user);
                }
            }
            let last = i + 1 == self.events.len();
            self.publish_at(Output::Event(ev), slot, cmd.seq, last);
        }
        if !self.touched.is_empty() {
            // Pushes carry no session and no req_id: they go to subscribers.
            let push = InSlot {
                session: 0,
                req_id: None,
                ..*slot
            };
            let mut touched = std::mem::take(&mut self.touched);
            for &user in &touched {
                self.balances(user, &push);
            }
            touched.clear();
            self.touched = touched;
        }
        if slot.want_done {
            self.publish(Output::Done { seq: cmd.seq }, slot);
        }
    }

    /// Writes a snapshot of the engine now: its seq, state hash and, when
    /// writing failed, why.
    fn snapshot(&mut self) -> (Seq, [u8; 32], Option<String>) {
        let seq = self.engine.last_seq();
        let bytes = self.engine.snapshot_bytes();
        let state_hash = Engine::state_hash_of(&bytes);
        let Some(data_dir) = &self.data_dir else {
            return (seq, state_hash, None);
        };
        let error =
            journal::snapshot::write(data_dir, seq, &state_hash, &bytes, self.snapshots_keep)
                .err()
                .map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::error!(seq, error = %e, "snapshot failed");
        } else {
            tracing::info!(seq, state_hash = %hex::encode(state_hash), "snapshot written");
        }
        (seq, state_hash, error)
    }
}

impl Agent for LogicAgent {
    fn name(&self) -> &'static str {
        "business-logic"
    }

    fn do_work(&mut self) -> Result<usize, Stop> {
        let logic = &mut self.logic;
        match self.poller.take(logic.batch) {
            Ok(mut g) => {
                let mut n = 0;
                let mut last_seq = None;
                for slot in &mut g {
                    n += 1;
                    logic.handle(slot);
                    if logic.halted.is_some() {
                        break;
                    }
                    if let Input::Command(c) = &slot.input {
                        last_seq = Some(c.seq);
                    }
                }
                // Once per batch: stores other threads read, not one per event.
                if let Some(seq) = last_seq {
                    logic.shared.applied_seq.store(seq, Ordering::Release);
                }
                logic.shared.metrics.publish_core(&logic.counts);
                if let Some(w) = &logic.waker {
                    // One wake per batch, not per event.
                    w.wake();
                }
                match &logic.halted {
                    Some(why) => Err(Stop(why.clone())),
                    None => Ok(n),
                }
            }
            Err(Polling::NoEvents) | Err(Polling::Shutdown) => Ok(0),
        }
    }

    fn on_close(&mut self) {
        if self.logic.halted.is_some() {
            return;
        }
        if let (_, _, Some(e)) = self.logic.snapshot() {
            tracing::error!(error = %e, "final snapshot failed");
        }
    }
}

/// The business logic in process, without rings, threads or files: what a
/// runner that plays inputs one at a time needs (the conformance runner).
/// Snapshots are answered with the state hash and not written.
pub struct InProcess {
    logic: BusinessLogic<Vec<OutSlot>>,
}

impl InProcess {
    pub fn new(engine: Engine) -> InProcess {
        InProcess {
            logic: BusinessLogic {
                engine,
                out: Vec::new(),
                events: Vec::new(),
                shared: Arc::new(Shared::default()),
                data_dir: None,
                snapshots_keep: 0,
                batch: 1,
                halted: None,
                waker: None,
                watched: FxHashSet::default(),
                touched: Vec::new(),
                counts: CoreCounts::default(),
                publish_inputs: false,
            },
        }
    }

    /// Publishes each applied command as [`Output::Input`] before its events.
    pub fn publish_inputs(mut self, on: bool) -> InProcess {
        self.logic.publish_inputs = on;
        self
    }

    /// Applies one input; its outputs, in order. `Err` once the engine
    /// refused or panicked (the `Halted` slot is not returned).
    pub fn handle(&mut self, slot: &InSlot) -> Result<Vec<OutSlot>, String> {
        if let Some(why) = &self.logic.halted {
            return Err(why.clone());
        }
        self.logic.handle(slot);
        match &self.logic.halted {
            Some(why) => Err(why.clone()),
            None => Ok(std::mem::take(&mut self.logic.out)),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.logic.engine
    }
}
