//! Rebuilding the engine after a restart: newest usable snapshot, then the
//! journal after it.
//!
//! What holds:
//! - [`recover`] starts from the newest snapshot that passes its checksums,
//!   restores into an [`Engine`] whose `last_seq` and `state_hash` match the
//!   snapshot header (older snapshots are tried if not, each with a `warn!`),
//!   or from `Engine::new(limits)` when there is none. It then applies every
//!   journal record after the snapshot, in order, through [`Engine::apply`].
//! - The result is consistent with the journal: `last_seq + 1` is the
//!   sequence number [`crate::Journal::open`] continues with, or recovery
//!   fails ([`JournalError::SnapshotAheadOfJournal`],
//!   [`JournalError::JournalGap`], [`JournalError::Missing`]).
//!
//! What it must never do: modify the journal or the snapshots (a torn tail
//! is only reported; `Journal::open` cuts it), skip a record, or carry on
//! after the engine refuses one.

use crate::error::{JournalError, Result, SnapshotDefect, TornTail};
use crate::reader::read_records;
use crate::snapshot;
use crate::writer::{Journal, JournalConfig, JournalWriter, OpenReport};
use engine::{Engine, EngineLimits};
use std::fmt;
use std::path::{Path, PathBuf};
use tracing::warn;

/// The engine rebuilt by [`recover`], and how.
pub struct Recovered {
    pub engine: Engine,
    /// Sequence number of the snapshot started from (`None`: started empty).
    pub snapshot_seq: Option<u64>,
    pub snapshot_path: Option<PathBuf>,
    /// Journal records applied after the snapshot.
    pub replayed: u64,
    /// The last sequence number the engine has applied (0: none).
    pub last_seq: u64,
    /// A torn tail the replay stopped before (left in place).
    pub torn_tail: Option<TornTail>,
}

impl fmt::Debug for Recovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recovered")
            .field("snapshot_seq", &self.snapshot_seq)
            .field("snapshot_path", &self.snapshot_path)
            .field("replayed", &self.replayed)
            .field("last_seq", &self.last_seq)
            .field("torn_tail", &self.torn_tail)
            .finish_non_exhaustive()
    }
}

/// Rebuilds the engine from data directory `dir` (see the module docs).
/// `limits` applies only when no snapshot is used.
pub fn recover(dir: impl AsRef<Path>, limits: EngineLimits) -> Result<Recovered> {
    let dir = dir.as_ref();
    let loaded = snapshot::load_newest_with(dir, |snap| {
        let engine = Engine::from_snapshot_bytes(&snap.payload)
            .map_err(|e| SnapshotDefect::Engine(e.to_string()))?;
        if engine.last_seq() != snap.seq {
            return Err(SnapshotDefect::EngineSeq {
                header: snap.seq,
                engine: engine.last_seq(),
            });
        }
        if engine.state_hash() != snap.state_hash {
            return Err(SnapshotDefect::StateHash);
        }
        Ok(engine)
    })?;
    let (mut engine, snapshot_seq, snapshot_path) = match loaded {
        Some((snap, engine)) => (engine, Some(snap.seq), Some(snap.path)),
        None => (Engine::new(limits), None, None),
    };

    let mut last_seq = snapshot_seq.unwrap_or(0);
    let mut reader = read_records(dir, last_seq + 1)?;
    let mut events = Vec::with_capacity(256);
    let mut replayed = 0u64;
    for rec in &mut reader {
        let rec = rec?;
        events.clear();
        engine
            .apply(&rec.command, &mut events)
            .map_err(|error| JournalError::Apply {
                seq: rec.seq,
                error,
            })?;
        replayed += 1;
        last_seq = rec.seq;
    }

    let journal_next_seq = reader.next_seq().unwrap_or(1);
    if journal_next_seq < last_seq + 1 {
        return Err(JournalError::SnapshotAheadOfJournal {
            snapshot: snapshot_path.unwrap_or_default(),
            snapshot_seq: last_seq,
            journal_next_seq,
        });
    }
    if journal_next_seq > last_seq + 1 {
        return Err(JournalError::JournalGap {
            needed: last_seq + 1,
            journal_next_seq,
        });
    }
    let torn_tail = reader.torn_tail().cloned();
    if let Some(t) = &torn_tail {
        warn!("recovery: replay stopped before a {t}; opening the journal will cut it");
    }
    Ok(Recovered {
        engine,
        snapshot_seq,
        snapshot_path,
        replayed,
        last_seq,
        torn_tail,
    })
}

/// Writes a snapshot of `engine` into data directory `dir`, keeping the
/// newest `keep` (see [`snapshot::write`]). Sync the journal first
/// ([`JournalWriter::sync`]) so it is at least as durable as the snapshot.
pub fn write_snapshot(dir: impl AsRef<Path>, engine: &Engine, keep: usize) -> Result<PathBuf> {
    snapshot::write(
        dir,
        engine.last_seq(),
        &engine.state_hash(),
        &engine.snapshot_bytes(),
        keep,
    )
}

/// The usual startup: [`Journal::open`] (cutting a torn tail), then
/// [`recover`] from the repaired journal. The writer continues at
/// `recovered.last_seq + 1`.
pub fn open_and_recover(
    cfg: JournalConfig,
    limits: EngineLimits,
) -> Result<(JournalWriter, OpenReport, Recovered)> {
    let dir = cfg.dir.clone();
    let (writer, report) = Journal::open(cfg)?;
    let recovered = recover(&dir, limits)?;
    if writer.next_seq() != recovered.last_seq + 1 {
        return Err(JournalError::JournalGap {
            needed: recovered.last_seq + 1,
            journal_next_seq: writer.next_seq(),
        });
    }
    Ok((writer, report, recovered))
}
