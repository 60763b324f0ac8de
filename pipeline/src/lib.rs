//! The LMAX pipeline: inbound ring -> journaler -> business logic -> outbound stream.
//!
//! What holds:
//! - The gateway is the single producer of the inbound ring ([`rings`]) and
//!   stamps each command's `seq` and `ts_ns` as it publishes (`try_publish`:
//!   a full ring is answered `overloaded` at once, and no sequence number is
//!   spent).
//! - The [`journaler`] appends every command to the journal and flushes at
//!   the end of each batch *before* releasing the batch, and the business
//!   logic ([`logic`]) polls behind it: no output exists for an input that is
//!   not journaled.
//! - The business logic owns the [`Engine`]; it is the single producer of the
//!   [`outbound`] stream, one ordered ring that carries reports, query
//!   answers (several slots when large) and balance pushes alike. Queries
//!   travel the inbound ring too (not journaled), so their answers come after
//!   every report of what preceded them.
//! - One error path: a stage that cannot go on (journal write failed, engine
//!   panic or refused command) returns [`agent::Stop`]; its runner stops
//!   intake and records why in [`Shared`]. The journal still replays to that
//!   point, and a batch the journaler could not write is never released.
//!
//! Must never: block the gateway, drop an accepted command, let the business
//! logic see a command before the journaler released it, or touch a socket
//! (the consumer is woken through the [`Waker`] trait).

pub mod agent;
pub mod gate;
pub mod idle;
pub mod journaler;
pub mod logic;
pub mod metrics;
pub mod outbound;
pub mod rings;

pub use outbound::{Answer, Answers, Consumer, OutSlot, OutboundStream, Output, ShortText};
pub use rings::{try_publish, InProducer, InSlot, Input, Query, OPEN_ORDERS_LIMIT_MAX};

use crate::metrics::Metrics;
use agent::{Agent, Stop, StopHandler};
use disruptor::{build_single_producer, BusySpin};
use engine::Engine;
use journal::JournalWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

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
    /// False once intake must stop (shutdown or a stage that cannot go on).
    pub intake: AtomicBool,
    /// Why intake stopped, when a stage could not go on.
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
    /// Publish each applied command as [`Output::Input`] before its events
    /// (a history store consumes them); off, the stream carries events only.
    pub publish_inputs: bool,
}

/// The running core: threads plus what the gateway needs to talk to them.
pub struct Pipeline {
    pub inbound: InProducer,
    pub outbound: OutboundStream,
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
        Pipeline::start_gated(cfg, engine, writer, shared, None)
    }

    /// [`Pipeline::start`] with a [`gate::Gate`] between the journaler and
    /// the business logic, on a thread of its own (`ringex-gate`) that
    /// backs off to park when idle: every batch is applied only once the
    /// gate passed it.
    pub fn start_gated(
        cfg: PipelineConfig,
        engine: Engine,
        writer: JournalWriter,
        shared: Arc<Shared>,
        gate: Option<Box<dyn gate::Gate>>,
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
        let (gate, in_builder) = match gate {
            Some(g) => {
                let (p, b) = in_builder.and_then().new_event_poller();
                (Some(gate::GateAgent::new(p, g, cfg.batch)), b.and_then())
            }
            None => (None, in_builder.and_then()),
        };
        let (bl_poller, in_builder) = in_builder.new_event_poller();
        let in_producer = in_builder.build();
        let mut journaler = journaler::Journaler::new(j_poller, writer, cfg.batch);
        let logic = logic::LogicAgent::new(bl_poller, engine, out_producer, shared.clone(), &cfg);
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
        if let Some(gate) = gate {
            // journaler -> gate -> logic, each stage waking the next when
            // they may park. The gate blocks in a thread of its own.
            let parks = !cfg.idle.spins_forever();
            let next = gate.next.clone();
            let mut logic = Some(logic);
            let logic_thread = (!cfg.shared_thread).then(|| {
                spawn(
                    "ringex-logic",
                    vec![Box::new(logic.take().expect("logic")) as Box<dyn Agent>],
                    cfg.pin_cores.get(1).copied(),
                    cfg.idle,
                )
            });
            let g = spawn(
                "ringex-gate",
                vec![Box::new(gate)],
                None,
                idle::IdleConfig::default(),
            );
            journaler.next = parks.then(|| g.thread().clone());
            match logic_thread {
                Some(l) => {
                    if parks {
                        let _ = next.set(l.thread().clone());
                    }
                    threads.push(spawn(
                        "ringex-journal",
                        vec![Box::new(journaler)],
                        cfg.pin_cores.first().copied(),
                        cfg.idle,
                    ));
                    threads.push(l);
                }
                None => {
                    let core = spawn(
                        "ringex-core",
                        vec![Box::new(journaler), Box::new(logic.take().expect("logic"))],
                        cfg.pin_cores.first().copied(),
                        cfg.idle,
                    );
                    if parks {
                        let _ = next.set(core.thread().clone());
                    }
                    threads.push(core);
                }
            }
            threads.push(g);
        } else if cfg.shared_thread {
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
            outbound: OutboundStream::new(out_poller),
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
    pub fn stop(self) {
        self.running.store(false, Ordering::Release);
        for t in &self.threads {
            t.thread().unpark();
        }
        let Pipeline {
            inbound,
            outbound,
            threads,
            ..
        } = self;
        for t in threads {
            let _ = t.join();
        }
        drop(inbound);
        drop(outbound);
    }
}
