//! The primary's replicator: the pipeline's gate ([`pipeline::gate::Gate`])
//! that stores each journaled batch in the replicated stream before the
//! business logic may apply it, so that no output exists for an input the
//! stream does not hold (`ack = "replicated"`).
//!
//! What holds:
//! - Batches are published in journal order, each naming the stream
//!   sequence of the previous one; the first names the stream's end as the
//!   primary found it after catching up.
//! - A refused publish (another writer came in between: fenced) stops
//!   intake at once; the batch is never applied.
//! - No quorum, a timeout, a lost connection: the same batch is retried
//!   with back-off (its message id makes a retry of a stored batch a
//!   no-op); nothing after it is applied meanwhile, the inbound ring fills
//!   and the gateway answers `overloaded`.
//!
//! Must never: let a batch pass that the stream did not acknowledge.

use crate::link::{Link, PublishFail, Tail};
use crate::Stats;
use bytes::Bytes;
use engine::Command;
use pipeline::agent::Stop;
use pipeline::gate::Gate;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

pub struct Replicator {
    link: Link,
    handover: Option<Arc<Handover>>,
    /// Stream sequence of our last write (or of the end we started at).
    expected: u64,
    epoch: u64,
    buf: Vec<u8>,
    stats: Arc<Stats>,
}

impl Replicator {
    /// `tail`: the stream's end, which the local journal must already hold.
    pub fn new(link: Link, tail: Tail, epoch: u64, stats: Arc<Stats>) -> Replicator {
        stats
            .replicated_seq
            .store(tail.journal_seq, Ordering::Release);
        stats.stream_seq.store(tail.stream_seq, Ordering::Release);
        Replicator {
            link,
            handover: None,
            expected: tail.stream_seq,
            epoch,
            buf: Vec::with_capacity(64 << 10),
            stats,
        }
    }
}

impl Replicator {
    /// A replicator that passes batches unpublished until `handover` says
    /// to lead (a node that starts as a standby).
    pub fn following(link: Link, handover: Arc<Handover>, stats: Arc<Stats>) -> Replicator {
        let mut r = Replicator::new(link, Tail::default(), 0, stats);
        r.handover = Some(handover);
        r
    }
}

impl Gate for Replicator {
    fn name(&self) -> &'static str {
        "replicator"
    }

    fn pass(&mut self, cmds: &[Command]) -> Result<(), Stop> {
        let (first, last) = (cmds[0].seq, cmds[cmds.len() - 1].seq);
        if let Some(h) = &self.handover {
            if !h.leading() {
                return Ok(());
            }
            if let Some((tail, epoch)) = h.lead.lock().unwrap_or_else(|e| e.into_inner()).take() {
                self.expected = tail.stream_seq;
                self.epoch = epoch;
                self.stats
                    .stream_seq
                    .store(tail.stream_seq, Ordering::Release);
                self.stats
                    .replicated_seq
                    .store(tail.journal_seq, Ordering::Release);
            }
        }
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
                        tracing::warn!("replication: {m}; holding outputs and retrying");
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
