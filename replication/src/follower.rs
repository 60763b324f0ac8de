//! The standby's follower: tails the replicated stream from the record
//! after its own journal's last and hands each record, in order, to the
//! standby's pipeline (which journals and applies it like any input).
//!
//! What holds: records come out contiguous from `from_seq + 1`, each
//! exactly once, also across a consumer made again after it stalled (a
//! NATS node lost: no message for a while though the stream holds more);
//! a gap, a message that does not decode, or a stream that
//! does not hold `from_seq + 1` (while holding more) stops the follower
//! with the reason. It runs on its own thread with its own runtime and
//! blocks only there (on the stream, or on a full hand-over channel).
//!
//! Must never: skip, repeat or reorder a record.

use crate::config::ReplicationConfig;
use crate::link::Link;
use crate::Stats;
use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use crossbeam_channel::Sender;
use engine::Command;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Follower {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Result<u64, String>>>,
}

impl Follower {
    /// Follows from the record after `from_seq`, sending each to `tx`.
    pub fn spawn(
        cfg: ReplicationConfig,
        from_seq: u64,
        tx: Sender<Command>,
        stats: Arc<Stats>,
    ) -> Follower {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ringex-follower".into())
            .spawn(move || {
                let r = follow(&cfg, from_seq, &tx, &stats, &s);
                if let Err(e) = &r {
                    tracing::error!("replication follower stopped: {e}");
                    *stats.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.clone());
                }
                r
            })
            .expect("spawn the follower");
        Follower {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops following; the last seq handed over.
    pub fn stop(mut self) -> Result<u64, String> {
        self.stop.store(true, Ordering::Release);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            _ => Err("the follower panicked".into()),
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// No message for this long while the stream holds more: the consumer is
/// made again (an ordered consumer whose NATS node died can stall silently).
const STALL: Duration = Duration::from_secs(2);

enum Consumed {
    Stopped,
    Stalled,
    /// The stream or its consumer could not be reached (a node lost, a
    /// leader being elected): try again.
    Unreachable(String),
}

fn follow(
    cfg: &ReplicationConfig,
    from_seq: u64,
    tx: &Sender<Command>,
    stats: &Stats,
    stop: &AtomicBool,
) -> Result<u64, String> {
    let link = Link::connect(cfg)?;
    let mut last = from_seq;
    loop {
        let Some(start) = start_of(&link, last, stats, stop)? else {
            return Ok(last);
        };
        match consume(&link, start, &mut last, tx, stats, stop)? {
            Consumed::Stopped => return Ok(last),
            Consumed::Stalled => tracing::warn!(
                last,
                "replication follower: no message for {STALL:?} while the stream holds more; subscribing again"
            ),
            Consumed::Unreachable(e) => {
                tracing::warn!(last, "replication follower: {e}; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// The stream sequence of the message holding `last + 1`, once the stream
/// has it; `None` when told to stop first.
fn start_of(
    link: &Link,
    last: u64,
    stats: &Stats,
    stop: &AtomicBool,
) -> Result<Option<u64>, String> {
    loop {
        if stop.load(Ordering::Acquire) {
            return Ok(None);
        }
        let tail = match link.tail() {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("replication follower: {e}; retrying");
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        };
        stats.stream_seq.store(tail.stream_seq, Ordering::Release);
        stats.primary_seq.store(tail.journal_seq, Ordering::Release);
        if tail.journal_seq > last {
            return match link.find(last + 1) {
                Err(e) => {
                    tracing::warn!("replication follower: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
                Ok(Some(s)) => Ok(Some(s)),
                Ok(None) => Err(format!(
                    "the stream does not hold record {} (it ends at {}): this journal is not of that stream",
                    last + 1,
                    tail.journal_seq
                )),
            };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Hands over the records from stream sequence `start` on until told to
/// stop, or until the consumer stalls.
fn consume(
    link: &Link,
    start: u64,
    last: &mut u64,
    tx: &Sender<Command>,
    stats: &Stats,
    stop: &AtomicBool,
) -> Result<Consumed, String> {
    link.block_on(async {
        let mut stream = match link.js().get_stream(link.stream_name()).await {
            Ok(s) => s,
            Err(e) => return Ok(Consumed::Unreachable(format!("stream: {e}"))),
        };
        let consumer = match stream
            .create_consumer(pull::OrderedConfig {
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: start,
                },
                ..Default::default()
            })
            .await
        {
            Ok(c) => c,
            Err(e) => return Ok(Consumed::Unreachable(format!("ordered consumer: {e}"))),
        };
        let mut messages = match consumer.messages().await {
            Ok(m) => m,
            Err(e) => return Ok(Consumed::Unreachable(format!("ordered consumer: {e}"))),
        };
        // Stream sequence of the last message seen, and since when none came.
        let mut seen = start.saturating_sub(1);
        let mut quiet_since = Instant::now();
        while !stop.load(Ordering::Acquire) {
            let next = tokio::time::timeout(Duration::from_millis(100), messages.next()).await;
            let msg = match next {
                Ok(None) => return Ok(Consumed::Stalled),
                Ok(Some(Ok(m))) => Some(m),
                Ok(Some(Err(e))) => {
                    tracing::warn!("replication follower: {e}");
                    None
                }
                Err(_) => None,
            };
            let Some(msg) = msg else {
                if quiet_since.elapsed() >= STALL {
                    quiet_since = Instant::now();
                    if let Ok(info) = stream.info().await {
                        if info.state.last_sequence > seen {
                            return Ok(Consumed::Stalled);
                        }
                    }
                }
                continue;
            };
            quiet_since = Instant::now();
            if let Ok(info) = msg.info() {
                seen = seen.max(info.stream_sequence);
                stats
                    .stream_seq
                    .fetch_max(info.stream_sequence, Ordering::AcqRel);
            }
            let records = journal::frames::decode(&msg.payload)
                .map_err(|e| format!("stream message after record {last}: {e}"))?;
            for r in records {
                if r.seq <= *last {
                    continue;
                }
                if r.seq != *last + 1 {
                    return Err(format!("gap in the stream: record {} after {last}", r.seq));
                }
                if tx.send(r.command).is_err() {
                    return Ok(Consumed::Stopped);
                }
                *last = r.seq;
                stats.replicated_seq.store(*last, Ordering::Release);
                stats.primary_seq.fetch_max(*last, Ordering::AcqRel);
            }
        }
        Ok(Consumed::Stopped)
    })
}
