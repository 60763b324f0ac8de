//! The leader lease: one key in a JetStream key-value bucket whose entries
//! expire after `lease_ms`, holding the primary's node id, epoch and client
//! addresses.
//!
//! What holds:
//! - Taking it is create-if-absent: of two standbys that see it expire, one
//!   wins. The winner's epoch is one more than any epoch it has seen (the
//!   lease's, or the stream's last batch's).
//! - Renewing is an update at the revision last written: a holder whose
//!   lease was taken over meanwhile is told so ([`LeaseError::Lost`]).
//!
//! Must never: let two nodes both believe they renewed the same lease.

use crate::config::ReplicationConfig;
use crate::link::Link;
use async_nats::jetstream::kv;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const KEY: &str = "leader";

/// Who holds the lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leader {
    pub node_id: String,
    pub epoch: u64,
    /// HTTP/WebSocket and binary TCP addresses clients use.
    pub http: String,
    pub tcp: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseError {
    /// Someone else holds it now.
    Lost(String),
    /// The bucket could not be reached or answered with an error.
    Unavailable(String),
}

impl std::fmt::Display for LeaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaseError::Lost(m) => write!(f, "lease lost: {m}"),
            LeaseError::Unavailable(m) => write!(f, "lease unavailable: {m}"),
        }
    }
}

pub struct Lease {
    link: Link,
    kv: kv::Store,
    revision: u64,
    held: Option<Leader>,
}

impl Lease {
    /// Opens (creating when absent) the lease bucket of `cfg.stream`.
    pub fn open(cfg: &ReplicationConfig) -> Result<Lease, String> {
        let link = Link::connect(cfg)?;
        let bucket = format!("{}_LEASE", cfg.stream);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let kv = loop {
            let r = link.block_on(async {
                match link.js().get_key_value(&bucket).await {
                    Ok(kv) => Ok(kv),
                    Err(_) => link
                        .js()
                        .create_key_value(kv::Config {
                            bucket: bucket.clone(),
                            history: 1,
                            max_age: Duration::from_millis(cfg.lease_ms),
                            num_replicas: cfg.replicas,
                            storage: async_nats::jetstream::stream::StorageType::File,
                            ..Default::default()
                        })
                        .await
                        .map_err(|e| format!("lease bucket {bucket}: {e}")),
                }
            });
            match r {
                Ok(kv) => break kv,
                // A cluster still electing its leaders times out: retry.
                Err(e) if std::time::Instant::now() < deadline => {
                    tracing::info!("replication: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e),
            }
        };
        Ok(Lease {
            link,
            kv,
            revision: 0,
            held: None,
        })
    }

    /// The current holder, if the lease is held.
    pub fn current(&self) -> Result<Option<Leader>, String> {
        self.link.block_on(async {
            match self.kv.entry(KEY).await {
                Ok(Some(e)) if e.operation == kv::Operation::Put => {
                    serde_json::from_slice(&e.value)
                        .map(Some)
                        .map_err(|err| format!("lease value: {err}"))
                }
                Ok(_) => Ok(None),
                Err(e) => Err(format!("lease: {e}")),
            }
        })
    }

    /// Takes the lease if nobody holds it, with an epoch above `seen`;
    /// `Ok(None)` when someone else holds it.
    pub fn acquire(&mut self, mut me: Leader, seen: u64) -> Result<Option<Leader>, String> {
        let current = self.current()?;
        if let Some(c) = current {
            return Ok((c.node_id == me.node_id && Some(&c) == self.held.as_ref()).then_some(c));
        }
        me.epoch = seen + 1;
        let value = serde_json::to_vec(&me).map_err(|e| e.to_string())?;
        let r = self.link.block_on(self.kv.create(KEY, value.into()));
        match r {
            Ok(rev) => {
                self.revision = rev;
                self.held = Some(me.clone());
                Ok(Some(me))
            }
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(format!("taking the lease: {e}")),
        }
    }

    /// Renews the lease we hold.
    pub fn renew(&mut self) -> Result<(), LeaseError> {
        let Some(me) = &self.held else {
            return Err(LeaseError::Lost("not held".into()));
        };
        let value = serde_json::to_vec(me).map_err(|e| LeaseError::Unavailable(e.to_string()))?;
        match self
            .link
            .block_on(self.kv.update(KEY, value.into(), self.revision))
        {
            Ok(rev) => {
                self.revision = rev;
                Ok(())
            }
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                self.held = None;
                Err(LeaseError::Lost(format!(
                    "the lease was taken over ({})",
                    self.current()
                        .ok()
                        .flatten()
                        .map(|l| format!("by {} at epoch {}", l.node_id, l.epoch))
                        .unwrap_or_else(|| "expired".into())
                )))
            }
            Err(e) => Err(LeaseError::Unavailable(e.to_string())),
        }
    }

    pub fn held(&self) -> Option<&Leader> {
        self.held.as_ref()
    }
}
