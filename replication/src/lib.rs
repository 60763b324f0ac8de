//! Ringex replication: the journal replicated through a NATS JetStream
//! stream to hot standbys.
//!
//! What holds:
//! - The primary's [`replicator`] is the pipeline's gate: every journaled
//!   batch is stored in the stream (replicas 3), in journal order. With
//!   `ack = "replicated"` that happens before the business logic applies
//!   it, so no output leaves for an input the stream lacks; with
//!   `ack = "local"` the batch is applied at once and published just after.
//! - The standby's [`follower`] tails the stream and hands the records, in
//!   order and exactly once, to its own pipeline, which journals them with
//!   the same seq and bytes and applies them: the same state hash at every
//!   seq.
//! - Fencing: every publish names the stream sequence it expects last
//!   ([`link`]); a second writer is refused and stops its intake.
//! - Both agents run on threads of their own with their own small runtime;
//!   nothing here runs on the business-logic thread or the gateway loop.
//!
//! Must never: release an output of an unreplicated input (with
//! `ack = "replicated"`), or let two primaries write one stream.

pub mod config;
pub mod follower;
pub mod lease;
pub mod link;
pub mod node;
pub mod replicator;

pub use config::{Ack, ReplicationConfig, Role};
pub use follower::Follower;
pub use lease::{Leader, Lease, LeaseError};
pub use link::{Link, PublishFail, Tail};
pub use node::{Node, NodeConfig, NodeView, State};
pub use replicator::{Handover, Replicator, LOCAL_BACKLOG};

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Mutex;

/// What replication has done, readable from any thread (`/healthz`, metrics).
#[derive(Default)]
pub struct Stats {
    /// Last journal seq the stream acknowledged (primary) or handed over (standby).
    pub replicated_seq: AtomicU64,
    /// Last journal seq the primary's gate let the business logic apply:
    /// beyond `replicated_seq` only with `ack = "local"`.
    pub passed_seq: AtomicU64,
    /// Stream sequence of the last message written or seen.
    pub stream_seq: AtomicU64,
    /// Last journal seq the stream holds, as the standby last saw it.
    pub primary_seq: AtomicU64,
    /// Failed publishes (each retried).
    pub failures: AtomicU64,
    /// False while the stream refuses or times out.
    pub available: AtomicBool,
    /// A publish was refused: another primary writes.
    pub fenced: AtomicBool,
    /// The server is stopping: a retrying publish gives up.
    pub closing: AtomicBool,
    pub ack_latency: pipeline::metrics::Histogram,
    pub last_error: Mutex<Option<String>>,
}

impl Stats {
    /// Inputs the primary applied (and may have reported) that the stream
    /// has not acknowledged yet: 0 with `ack = "replicated"`.
    pub fn unreplicated(&self) -> u64 {
        use std::sync::atomic::Ordering::Acquire;
        self.passed_seq
            .load(Acquire)
            .saturating_sub(self.replicated_seq.load(Acquire))
    }
}
