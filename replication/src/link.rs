//! The replicated stream, seen through `async-nats` on a runtime of the
//! caller's thread (a current-thread tokio runtime: the replicator's or the
//! follower's own thread, never the business logic's or the gateway's).
//!
//! What holds:
//! - One stream (`replicas`, file storage, de-duplication by `Nats-Msg-Id`)
//!   on one subject; one message per journaled batch: its records as
//!   journal frames ([`journal::frames`]), `Nats-Msg-Id` = the batch's
//!   first seq, `Ringex-Last-Seq` = its last, `Ringex-Epoch` = the writer's
//!   lease epoch.
//! - Every publish names the stream sequence it expects last
//!   (`Nats-Expected-Last-Sequence`): a writer that is not the last one to
//!   have written is refused ([`PublishFail::Fenced`]), so two primaries can
//!   never interleave.
//!
//! Must never: report a batch stored that the stream did not acknowledge.

use crate::config::ReplicationConfig;
use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use async_nats::HeaderMap;
use bytes::Bytes;
use std::time::Duration;

pub const LAST_SEQ_HEADER: &str = "Ringex-Last-Seq";
pub const EPOCH_HEADER: &str = "Ringex-Epoch";

/// Why a publish did not land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishFail {
    /// Someone else wrote to the stream since our last write: we are not
    /// the primary any more.
    Fenced(String),
    /// No quorum, a timeout, a lost connection: retry the same batch (its
    /// message id makes a retry of a stored batch a no-op).
    Unavailable(String),
}

impl std::fmt::Display for PublishFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishFail::Fenced(m) => write!(f, "fenced: {m}"),
            PublishFail::Unavailable(m) => write!(f, "unavailable: {m}"),
        }
    }
}

/// One stored message: a batch of journal records.
#[derive(Debug, Clone)]
pub struct Batch {
    pub stream_seq: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub epoch: u64,
    pub payload: Bytes,
}

/// The stream's end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tail {
    /// Stream sequence of the last message (0: empty).
    pub stream_seq: u64,
    /// Journal seq of the last record stored (0: none).
    pub journal_seq: u64,
    /// Epoch of the last writer.
    pub epoch: u64,
}

pub struct Link {
    rt: tokio::runtime::Runtime,
    js: jetstream::Context,
    stream: String,
    subject: String,
    replicas: usize,
    timeout: Duration,
}

pub type Error = String;

impl Link {
    /// Connects to the cluster (any of `cfg.servers`; the client reconnects
    /// on its own afterwards).
    pub fn connect(cfg: &ReplicationConfig) -> Result<Link, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("replication runtime: {e}"))?;
        let timeout = Duration::from_millis(cfg.lease_ms.clamp(200, 5_000));
        let client = rt
            .block_on(
                async_nats::ConnectOptions::new()
                    .name(format!("ringex-{}", cfg.node_id))
                    .connection_timeout(timeout)
                    .request_timeout(Some(timeout))
                    .retry_on_initial_connect()
                    .max_reconnects(None)
                    .connect(cfg.servers.clone()),
            )
            .map_err(|e| format!("NATS {}: {e}", cfg.servers.join(",")))?;
        // The context starts a task: it must be made inside the runtime.
        let mut js = rt.block_on(async { jetstream::new(client) });
        // Stream and bucket requests may wait for a Raft leader (a cluster
        // just started, or a node just lost): longer than a publish ack.
        js.set_timeout(timeout.max(Duration::from_secs(5)));
        Ok(Link {
            rt,
            js,

            stream: cfg.stream.clone(),
            subject: format!("ringex.journal.{}", cfg.stream.to_lowercase()),
            replicas: cfg.replicas,
            timeout,
        })
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    pub(crate) fn js(&self) -> &jetstream::Context {
        &self.js
    }

    /// Creates the stream when absent (the first primary), and gives its end.
    pub fn ensure_stream(&self) -> Result<Tail, Error> {
        let cfg = stream::Config {
            name: self.stream.clone(),
            subjects: vec![self.subject.clone()],
            storage: stream::StorageType::File,
            num_replicas: self.replicas,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            ..Default::default()
        };
        // A cluster that is starting answers with timeouts until its
        // meta leader is elected: try for a while.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.rt.block_on(self.js.get_or_create_stream(cfg.clone())) {
                Ok(_) => break,
                Err(e) if std::time::Instant::now() < deadline => {
                    tracing::info!("replication: stream {}: {e}; retrying", self.stream);
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(format!("stream {}: {e}", self.stream)),
            }
        }
        self.tail()
    }

    /// The stream's last message and the last journal seq it holds.
    pub fn tail(&self) -> Result<Tail, Error> {
        self.rt.block_on(async {
            let mut s = self
                .js
                .get_stream(&self.stream)
                .await
                .map_err(|e| format!("stream {}: {e}", self.stream))?;
            let last = s
                .info()
                .await
                .map_err(|e| format!("stream {} info: {e}", self.stream))?
                .state
                .last_sequence;
            if last == 0 {
                return Ok(Tail::default());
            }
            let m = s
                .get_raw_message(last)
                .await
                .map_err(|e| format!("stream {} message {last}: {e}", self.stream))?;
            let b = batch_of(m)?;
            Ok(Tail {
                stream_seq: b.stream_seq,
                journal_seq: b.last_seq,
                epoch: b.epoch,
            })
        })
    }

    /// Stores one batch (`payload` = its frames) after `expected_last`;
    /// answers its stream sequence once the stream acknowledged it.
    pub fn publish(
        &self,
        first_seq: u64,
        last_seq: u64,
        epoch: u64,
        payload: Bytes,
        expected_last: u64,
    ) -> Result<u64, PublishFail> {
        let mut h = HeaderMap::new();
        h.insert(
            async_nats::header::NATS_MESSAGE_ID,
            first_seq.to_string().as_str(),
        );
        h.insert(
            async_nats::header::NATS_EXPECTED_LAST_SEQUENCE,
            expected_last.to_string().as_str(),
        );
        h.insert(LAST_SEQ_HEADER, last_seq.to_string().as_str());
        h.insert(EPOCH_HEADER, epoch.to_string().as_str());
        let res = self.rt.block_on(async {
            let ack = self
                .js
                .publish_with_headers(self.subject.clone(), h, payload.clone())
                .await?;
            tokio::time::timeout(self.timeout, ack)
                .await
                .unwrap_or_else(|_| Err(PublishErrorKind::TimedOut.into()))
        });
        match res {
            // The stream already had a message with this id: ours, from a
            // retry whose first ack was lost, or another writer's batch
            // with the same first seq (a new primary): only the first is
            // stored. Ours only if it is ours to the epoch: a new primary
            // may have written the very same records (the same commands at
            // the same seqs), and an old primary that took that for its own
            // would write on after it under its old epoch.
            Ok(ack) if ack.duplicate => match self.get(ack.sequence) {
                Ok(Some(b))
                    if b.payload == payload && b.last_seq == last_seq && b.epoch == epoch =>
                {
                    Ok(ack.sequence)
                }
                Ok(_) => Err(PublishFail::Fenced(format!(
                    "batch {first_seq}..={last_seq}: the stream holds another writer's batch {first_seq}"
                ))),
                Err(e) => Err(PublishFail::Unavailable(e)),
            },
            Ok(ack) => Ok(ack.sequence),
            Err(e) => match e.kind() {
                PublishErrorKind::WrongLastSequence => Err(PublishFail::Fenced(format!(
                    "batch {first_seq}..={last_seq}: the stream's last message is not {expected_last}"
                ))),
                _ => Err(PublishFail::Unavailable(format!(
                    "batch {first_seq}..={last_seq}: {e}"
                ))),
            },
        }
    }

    /// Writes the marker of a new epoch after `expected_last` (the end of the
    /// stream the new primary holds, `journal_seq` its last record): from
    /// here on, a publish by an older primary is refused.
    pub fn publish_marker(
        &self,
        epoch: u64,
        journal_seq: u64,
        expected_last: u64,
    ) -> Result<u64, PublishFail> {
        let mut h = HeaderMap::new();
        h.insert(
            async_nats::header::NATS_MESSAGE_ID,
            format!("epoch-{epoch}").as_str(),
        );
        h.insert(
            async_nats::header::NATS_EXPECTED_LAST_SEQUENCE,
            expected_last.to_string().as_str(),
        );
        h.insert(LAST_SEQ_HEADER, journal_seq.to_string().as_str());
        h.insert(EPOCH_HEADER, epoch.to_string().as_str());
        let res = self.rt.block_on(async {
            let ack = self
                .js
                .publish_with_headers(self.subject.clone(), h, Bytes::new())
                .await?;
            tokio::time::timeout(self.timeout, ack)
                .await
                .unwrap_or_else(|_| Err(PublishErrorKind::TimedOut.into()))
        });
        match res {
            Ok(ack) if ack.duplicate => Err(PublishFail::Fenced(format!(
                "epoch {epoch} was opened already"
            ))),
            Ok(ack) => Ok(ack.sequence),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Err(PublishFail::Fenced(
                format!("the stream moved past {expected_last} before epoch {epoch} opened"),
            )),
            Err(e) => Err(PublishFail::Unavailable(format!(
                "epoch {epoch} marker: {e}"
            ))),
        }
    }

    /// The message at `stream_seq`, `None` past the end.
    pub fn get(&self, stream_seq: u64) -> Result<Option<Batch>, Error> {
        self.rt.block_on(async {
            let s = self
                .js
                .get_stream(&self.stream)
                .await
                .map_err(|e| format!("stream {}: {e}", self.stream))?;
            match s.get_raw_message(stream_seq).await {
                Ok(m) => batch_of(m).map(Some),
                Err(e) if e.kind() == stream::RawMessageErrorKind::NoMessageFound => Ok(None),
                Err(e) => Err(format!("stream {} message {stream_seq}: {e}", self.stream)),
            }
        })
    }

    /// The stream sequence of the message holding journal seq `seq`, by
    /// bisection over `[1, tail]` (batches are in seq order); `None` when
    /// the stream does not hold it.
    pub fn find(&self, seq: u64) -> Result<Option<u64>, Error> {
        let tail = self.tail()?;
        if tail.stream_seq == 0 || seq > tail.journal_seq {
            return Ok(None);
        }
        let (mut lo, mut hi) = (1u64, tail.stream_seq);
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            let Some(b) = self.get(mid)? else {
                return Err(format!("stream {}: message {mid} missing", self.stream));
            };
            if seq < b.first_seq {
                hi = mid - 1;
            } else if seq > b.last_seq {
                lo = mid + 1;
            } else {
                return Ok(Some(mid));
            }
        }
        Ok(None)
    }

    pub fn stream_name(&self) -> &str {
        &self.stream
    }
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.as_str().parse().ok()
}

fn batch_of(m: async_nats::jetstream::message::StreamMessage) -> Result<Batch, Error> {
    let last = header_u64(&m.headers, LAST_SEQ_HEADER);
    let id = m.headers.get(async_nats::header::NATS_MESSAGE_ID.as_ref());
    // An epoch marker holds no record: it sits just after `last`.
    let first = match id.map(|v| v.as_str()) {
        Some(i) if i.starts_with("epoch-") => last.map(|l| l + 1),
        Some(i) => i.parse().ok(),
        None => None,
    };
    match (first, last) {
        (Some(first_seq), Some(last_seq)) if first_seq <= last_seq + 1 => Ok(Batch {
            stream_seq: m.sequence,
            first_seq,
            last_seq,
            epoch: header_u64(&m.headers, EPOCH_HEADER).unwrap_or(0),
            payload: m.payload,
        }),
        _ => Err(format!(
            "stream message {} is not a ringex batch (headers {:?})",
            m.sequence, m.headers
        )),
    }
}
