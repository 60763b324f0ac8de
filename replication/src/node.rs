//! A replicated node's role, driven on a thread of its own: follow the
//! stream as a standby, take the lease when it is free (role `auto` or
//! `primary`), catch up to the stream's end, open a new epoch in the stream
//! (fencing every older writer), then lead; renew the lease while leading
//! and stop intake at once when it is lost.
//!
//! What holds:
//! - Order entry opens ([`State::Leading`]) only after the node applied
//!   every record the stream holds and its epoch marker is stored.
//! - A leader that cannot renew within `lease_ms`, or learns that someone
//!   else holds the lease, stops intake ([`pipeline::Shared::stop_intake`])
//!   and stays stopped: it rejoins as a standby when restarted.
//!
//! Must never: lead without the lease, or open order entry behind the stream.

use crate::config::{ReplicationConfig, Role};
use crate::lease::{Leader, Lease, LeaseError};
use crate::link::{Link, PublishFail};
use crate::replicator::Handover;
use crate::{Follower, Stats};
use crossbeam_channel::{Receiver, Sender};
use engine::Command;
use pipeline::Shared;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    Following = 0,
    Promoting = 1,
    Leading = 2,
    Stopped = 3,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Following => "standby",
            State::Promoting => "promoting",
            State::Leading => "primary",
            State::Stopped => "stopped",
        }
    }
    fn from_u8(v: u8) -> State {
        match v {
            0 => State::Following,
            1 => State::Promoting,
            2 => State::Leading,
            _ => State::Stopped,
        }
    }
}

/// What the gateway sees of the node (a default one: following, epoch 0).
#[derive(Default)]
pub struct NodeView {
    state: AtomicU8,
    epoch: AtomicU64,
    leader: Mutex<Option<Leader>>,
    /// Bumped when the state or the leader changes: a reader polling each
    /// loop cycle looks at the rest only when it moved.
    version: AtomicU64,
}

impl NodeView {
    pub fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Acquire))
    }
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }
    /// The primary's client addresses, as the lease last named them.
    pub fn leader(&self) -> Option<Leader> {
        self.leader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// Changes whenever [`NodeView::state`] or [`NodeView::leader`] does.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }
    fn set(&self, s: State) {
        if self.state.swap(s as u8, Ordering::AcqRel) != s as u8 {
            self.version.fetch_add(1, Ordering::AcqRel);
        }
    }
    fn set_leader(&self, l: Leader) {
        let mut cur = self.leader.lock().unwrap_or_else(|e| e.into_inner());
        if cur.as_ref() != Some(&l) {
            *cur = Some(l);
            self.version.fetch_add(1, Ordering::AcqRel);
        }
    }
}

pub struct Node {
    pub view: Arc<NodeView>,
    pub stats: Arc<Stats>,
    /// Records from the stream, for the gateway to publish into the pipeline
    /// in order (a standby's only inputs).
    pub records: Receiver<Command>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub struct NodeConfig {
    pub repl: ReplicationConfig,
    pub role: Role,
    pub http: String,
    pub tcp: String,
}

impl Node {
    /// Starts following from the record after `local_last_seq`.
    pub fn start(
        cfg: NodeConfig,
        local_last_seq: u64,
        shared: Arc<Shared>,
        handover: Arc<Handover>,
        stats: Arc<Stats>,
    ) -> Result<Node, String> {
        cfg.repl.check()?;
        let lease = Lease::open(&cfg.repl)?;
        let link = Link::connect(&cfg.repl)?;
        let view = Arc::new(NodeView {
            state: AtomicU8::new(State::Following as u8),
            epoch: AtomicU64::new(0),
            leader: Mutex::new(None),
            version: AtomicU64::new(0),
        });
        let (tx, rx) = crossbeam_channel::bounded(1 << 16);
        let stop = Arc::new(AtomicBool::new(false));
        let mut run = Run {
            cfg,
            lease,
            link,
            shared,
            handover,
            stats: stats.clone(),
            view: view.clone(),
            tx,
            stop: stop.clone(),
            follower: None,
            handed: local_last_seq,
        };
        let thread = std::thread::Builder::new()
            .name("ringex-node".into())
            .spawn(move || run.run())
            .map_err(|e| e.to_string())?;
        Ok(Node {
            view,
            stats,
            records: rx,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Run {
    cfg: NodeConfig,
    lease: Lease,
    link: Link,
    shared: Arc<Shared>,
    handover: Arc<Handover>,
    stats: Arc<Stats>,
    view: Arc<NodeView>,
    tx: Sender<Command>,
    stop: Arc<AtomicBool>,
    follower: Option<Follower>,
    /// Last record handed to the pipeline (the local journal's end at start).
    handed: u64,
}

impl Run {
    fn me(&self) -> Leader {
        Leader {
            node_id: self.cfg.repl.node_id.clone(),
            epoch: 0,
            http: self.cfg.http.clone(),
            tcp: self.cfg.tcp.clone(),
        }
    }

    fn follow(&mut self) {
        if self.follower.is_none() {
            let from = self
                .handed
                .max(self.stats.replicated_seq.load(Ordering::Acquire));
            self.follower = Some(Follower::spawn(
                self.cfg.repl.clone(),
                from,
                self.tx.clone(),
                self.stats.clone(),
            ));
        }
    }

    fn unfollow(&mut self) {
        if let Some(f) = self.follower.take() {
            match f.stop() {
                Ok(last) => self.handed = self.handed.max(last),
                Err(e) => tracing::warn!("replication: follower: {e}"),
            }
        }
    }

    fn run(&mut self) {
        let tick = Duration::from_millis((self.cfg.repl.lease_ms / 4).max(50));
        let lease_for = Duration::from_millis(self.cfg.repl.lease_ms);
        let mut last_renewed = Instant::now();
        let mut seen_epoch = 0u64;
        // Nothing is decided before the pipeline runs (it opens intake).
        while !self.shared.intake.load(Ordering::Acquire) {
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.follow();
        while !self.stop.load(Ordering::Acquire) {
            match self.view.state() {
                State::Following => match self.lease.current() {
                    Ok(Some(l)) => {
                        seen_epoch = seen_epoch.max(l.epoch);
                        self.view.set_leader(l);
                    }
                    Ok(None) if self.cfg.role != Role::Standby => {
                        let tail_epoch = self.link.tail().map(|t| t.epoch).unwrap_or(0);
                        match self.lease.acquire(self.me(), seen_epoch.max(tail_epoch)) {
                            Ok(Some(l)) => {
                                tracing::info!(
                                    epoch = l.epoch,
                                    "replication: took the lease; catching up"
                                );
                                self.view.epoch.store(l.epoch, Ordering::Release);
                                self.view.set_leader(l);
                                last_renewed = Instant::now();
                                self.view.set(State::Promoting);
                                continue;
                            }
                            Ok(None) => {}
                            Err(e) => tracing::warn!("replication: {e}"),
                        }
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!("replication: {e}"),
                },
                State::Promoting => {
                    if let Err(e) = self.lease.renew() {
                        tracing::warn!("replication: while promoting: {e}");
                        if matches!(e, LeaseError::Lost(_)) {
                            self.view.set(State::Following);
                            continue;
                        }
                    } else {
                        last_renewed = Instant::now();
                    }
                    if self.promote() {
                        self.view.set(State::Leading);
                        tracing::info!(epoch = self.view.epoch(), "replication: leading");
                        continue;
                    }
                }
                State::Leading => {
                    if !self.shared.intake.load(Ordering::Acquire) {
                        self.view.set(State::Stopped);
                        continue;
                    }
                    // With `ack = "local"` the replicator learns it was
                    // fenced on a thread of its own, maybe with no batch
                    // coming after: stop intake here as well.
                    if self.stats.fenced.load(Ordering::Acquire) {
                        self.shared.stop_intake(
                            "replication fenced: another primary writes to the stream; intake stopped",
                        );
                        self.view.set(State::Stopped);
                        continue;
                    }
                    match self.lease.renew() {
                        Ok(()) => last_renewed = Instant::now(),
                        Err(LeaseError::Lost(m)) => {
                            self.shared
                                .stop_intake(&format!("replication: {m}; intake stopped"));
                            self.view.set(State::Stopped);
                            continue;
                        }
                        Err(LeaseError::Unavailable(m)) => {
                            if last_renewed.elapsed() >= lease_for {
                                self.shared.stop_intake(&format!(
                                    "replication: the lease was not renewed for {} ms ({m}); intake stopped",
                                    lease_for.as_millis()
                                ));
                                self.view.set(State::Stopped);
                                continue;
                            }
                        }
                    }
                }
                State::Stopped => {}
            }
            std::thread::sleep(tick);
        }
        self.unfollow();
    }

    /// Catches up to the stream's end, then opens this node's epoch in it;
    /// `true` once leading may start.
    fn promote(&mut self) -> bool {
        let tail = match self.link.tail() {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("replication: {e}");
                return false;
            }
        };
        let handed = self
            .handed
            .max(self.stats.replicated_seq.load(Ordering::Acquire));
        let applied = self.shared.applied_seq.load(Ordering::Acquire);
        if handed < tail.journal_seq || applied < tail.journal_seq {
            self.follow();
            return false;
        }
        self.unfollow();
        let epoch = self.view.epoch();
        match self
            .link
            .publish_marker(epoch, tail.journal_seq, tail.stream_seq)
        {
            Ok(stream_seq) => {
                let mut t = tail;
                t.stream_seq = stream_seq;
                self.handover.lead(t, epoch);
                true
            }
            Err(PublishFail::Fenced(m)) => {
                // Someone wrote meanwhile (an old primary's last batch):
                // take it too, then try again.
                tracing::info!("replication: {m}; catching up again");
                self.follow();
                false
            }
            Err(PublishFail::Unavailable(m)) => {
                tracing::warn!("replication: {m}");
                false
            }
        }
    }
}
