//! The primary's replicator: the pipeline's gate ([`pipeline::gate::Gate`])
//! that stores each journaled batch in the replicated stream.
//!
//! - `ack = "replicated"` (the default): the batch is published before the
//!   business logic may apply it, so that no output exists for an input the
//!   stream does not hold.
//! - `ack = "local"` ([`Replicator::with_ack`]): the gate hands a copy of the
//!   batch to a publisher thread of its own (`ringex-replicator`) and
//!   releases it at once: outputs leave after the local journal, and the
//!   stream gets every batch a moment later, in the same order. At most
//!   [`LOCAL_BACKLOG`] batches wait for the stream; beyond that the gate
//!   waits (the inbound ring fills and the gateway answers `overloaded`).
//!
//! What holds:
//! - Batches are published in journal order, each naming the stream
//!   sequence of the previous one; the first names the stream's end as the
//!   primary found it after catching up.
//! - A refused publish (another writer came in between: fenced) stops
//!   intake at once; with `replicated` the batch is never applied, with
//!   `local` no batch is released after the gate learnt of it.
//! - No quorum, a timeout, a lost connection: the same batch is retried
//!   with back-off (its message id makes a retry of a stored batch a
//!   no-op); nothing after it is published meanwhile. With `replicated`
//!   nothing after it is applied either: the inbound ring fills and the
//!   gateway answers `overloaded`.
//!
//! Must never: publish out of journal order, or (with `replicated`) let a
//! batch pass that the stream did not acknowledge.

use crate::config::Ack;
use crate::link::{Link, PublishFail, Tail};
use crate::Stats;
use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use engine::Command;
use pipeline::agent::Stop;
use pipeline::gate::Gate;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// With `ack = "local"`: how many released batches may wait for the stream
/// before the gate waits too.
pub const LOCAL_BACKLOG: usize = 1024;

/// Hands the stream over to the replicator when its node becomes the
/// primary. Until then the gate passes what it is given without publishing:
/// on a standby that is the follower's records, which the stream has.
#[derive(Default)]
pub struct Handover {
    lead: std::sync::Mutex<Option<(Tail, u64)>>,
    leading: std::sync::atomic::AtomicBool,
}

impl Handover {
    /// From the next batch on, publish after `tail` (the stream's end, which
    /// the local journal holds) with `epoch`.
    pub fn lead(&self, tail: Tail, epoch: u64) {
        *self.lead.lock().unwrap_or_else(|e| e.into_inner()) = Some((tail, epoch));
        self.leading.store(true, Ordering::Release);
    }

    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::Acquire)
    }
}

/// Publishes batches in order after the stream sequence it last wrote.
struct Publisher {
    link: Link,
    /// Stream sequence of our last write (or of the end we started at).
    expected: u64,
    epoch: u64,
    buf: Vec<u8>,
    stats: Arc<Stats>,
}

impl Publisher {
    fn lead(&mut self, tail: Tail, epoch: u64) {
        self.expected = tail.stream_seq;
        self.epoch = epoch;
        self.stats
            .stream_seq
            .store(tail.stream_seq, Ordering::Release);
        self.stats
            .replicated_seq
            .store(tail.journal_seq, Ordering::Release);
    }

    /// Stores `cmds` in the stream, retrying while it is unavailable; `Err`
    /// when fenced, or when the server stops with the batch unstored.
    fn publish(&mut self, cmds: &[Command]) -> Result<(), Stop> {
        let (first, last) = (cmds[0].seq, cmds[cmds.len() - 1].seq);
        self.buf.clear();
        journal::frames::encode(cmds, &mut self.buf)
            .map_err(|e| Stop(format!("replication: encoding batch {first}: {e}")))?;
        let payload = Bytes::copy_from_slice(&self.buf);
        let t0 = Instant::now();
        let mut delay = Duration::from_millis(5);
        let mut warned = false;
        loop {
            match self
                .link
                .publish(first, last, self.epoch, payload.clone(), self.expected)
            {
                Ok(stream_seq) => {
                    self.expected = stream_seq;
                    self.stats.stream_seq.store(stream_seq, Ordering::Release);
                    self.stats.replicated_seq.store(last, Ordering::Release);
                    self.stats
                        .ack_latency
                        .record(t0.elapsed().as_nanos() as u64);
                    self.stats.available.store(true, Ordering::Release);
                    if warned {
                        tracing::info!(first, "replication: the stream takes batches again");
                    }
                    return Ok(());
                }
                Err(PublishFail::Fenced(m)) => {
                    self.stats.fenced.store(true, Ordering::Release);
                    return Err(Stop(format!(
                        "replication fenced: {m}: another primary writes to the stream; intake stopped"
                    )));
                }
                Err(PublishFail::Unavailable(m)) => {
                    self.stats.failures.fetch_add(1, Ordering::AcqRel);
                    self.stats.available.store(false, Ordering::Release);
                    if !warned {
                        tracing::warn!("replication: {m}; retrying");
                        warned = true;
                    }
                    if self.stats.closing.load(Ordering::Acquire) {
                        return Err(Stop(format!(
                            "replication: stopping with batch {first}..={last} unreplicated: {m}"
                        )));
                    }
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_millis(500));
                }
            }
        }
    }
}

enum Job {
    Lead(Tail, u64),
    Batch(Vec<Command>),
}

/// `ack = "local"`: the publisher on a thread of its own, fed in order.
struct Detached {
    tx: Option<Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    stats: Arc<Stats>,
}

impl Detached {
    fn spawn(mut p: Publisher) -> Detached {
        let stats = p.stats.clone();
        let (tx, rx): (Sender<Job>, Receiver<Job>) = crossbeam_channel::bounded(LOCAL_BACKLOG);
        let thread = std::thread::Builder::new()
            .name("ringex-replicator".into())
            .spawn(move || {
                for job in rx {
                    match job {
                        Job::Lead(tail, epoch) => p.lead(tail, epoch),
                        Job::Batch(cmds) => {
                            if let Err(Stop(why)) = p.publish(&cmds) {
                                tracing::error!("{why}");
                                *p.stats.last_error.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some(why);
                                // Dropping the receiver refuses every
                                // later batch at the gate.
                                return;
                            }
                        }
                    }
                }
            })
            .expect("spawn the replicator");
        Detached {
            tx: Some(tx),
            thread: Some(thread),
            stats,
        }
    }

    fn send(&self, job: Job) -> Result<(), Stop> {
        match &self.tx {
            Some(tx) if tx.send(job).is_ok() => Ok(()),
            _ => Err(Stop(
                "replication: the replicator stopped; intake stopped".into(),
            )),
        }
    }

    /// Lets the publisher store what waits (it gives up on an unavailable
    /// stream once the server is closing) and waits for it.
    fn close(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

enum Mode {
    Inline(Box<Publisher>),
    Detached(Detached),
}

pub struct Replicator {
    mode: Mode,
    handover: Option<Arc<Handover>>,
    stats: Arc<Stats>,
}

impl Replicator {
    /// `tail`: the stream's end, which the local journal must already hold.
    pub fn new(link: Link, tail: Tail, epoch: u64, stats: Arc<Stats>) -> Replicator {
        let mut p = Publisher {
            link,
            expected: 0,
            epoch: 0,
            buf: Vec::with_capacity(64 << 10),
            stats: stats.clone(),
        };
        p.lead(tail, epoch);
        stats.passed_seq.store(tail.journal_seq, Ordering::Release);
        Replicator {
            mode: Mode::Inline(Box::new(p)),
            handover: None,
            stats,
        }
    }

    /// A replicator that passes batches unpublished until `handover` says
    /// to lead (a node that starts as a standby).
    pub fn following(link: Link, handover: Arc<Handover>, stats: Arc<Stats>) -> Replicator {
        let mut r = Replicator::new(link, Tail::default(), 0, stats);
        r.handover = Some(handover);
        r
    }

    /// With [`Ack::Local`], batches are released before they are published
    /// (by a thread of its own, in order); [`Ack::Replicated`] changes nothing.
    pub fn with_ack(self, ack: Ack) -> Replicator {
        let Replicator {
            mode,
            handover,
            stats,
        } = self;
        let mode = match (ack, mode) {
            (Ack::Local, Mode::Inline(p)) => Mode::Detached(Detached::spawn(*p)),
            (_, m) => m,
        };
        Replicator {
            mode,
            handover,
            stats,
        }
    }
}

impl Gate for Replicator {
    fn name(&self) -> &'static str {
        "replicator"
    }

    fn pass(&mut self, cmds: &[Command]) -> Result<(), Stop> {
        let last = cmds[cmds.len() - 1].seq;
        if let Some(h) = &self.handover {
            if !h.leading() {
                return Ok(());
            }
            // Taken here, in batch order: every batch passed before it was
            // the follower's, which the stream has.
            let lead = h.lead.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some((tail, epoch)) = lead {
                match &mut self.mode {
                    Mode::Inline(p) => p.lead(tail, epoch),
                    Mode::Detached(d) => d.send(Job::Lead(tail, epoch))?,
                }
            }
        }
        match &mut self.mode {
            Mode::Inline(p) => p.publish(cmds)?,
            Mode::Detached(d) => {
                if self.stats.fenced.load(Ordering::Acquire) {
                    return Err(Stop(
                        "replication fenced: another primary writes to the stream; intake stopped"
                            .into(),
                    ));
                }
                d.send(Job::Batch(cmds.to_vec()))?;
            }
        }
        self.stats.passed_seq.store(last, Ordering::Release);
        Ok(())
    }

    fn close(&mut self) {
        if let Mode::Detached(d) = &mut self.mode {
            d.close();
        }
    }
}

impl Drop for Detached {
    /// Dropped without [`Gate::close`] (the pipeline did not stop in
    /// order): the publisher gives up on an unavailable stream.
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stats.closing.store(true, Ordering::Release);
        }
        self.close();
    }
}
