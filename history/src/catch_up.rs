//! Re-deriving the store's missing rows from the journal.
//!
//! What holds: the journal is the source of truth. [`catch_up`] reads the
//! store's `progress` P, starts an engine from the newest usable snapshot
//! at or below P (or an empty engine), replays the journal to P without
//! projecting (those rows are stored), then projects every later input into
//! batches of at most `batch_cmds` inputs, each applied with its `progress`
//! in one transaction. Stopping at any point (a crash, an error) leaves a
//! store that the next call continues exactly: no gap, no duplicate.
//!
//! Must never: skip a record, or project an input twice into one batch.

use crate::projection::{Batch, Projector};
use crate::store::{Store, StoreError};
use engine::{Engine, EngineLimits, Event, Seq};
use std::fmt;
use std::path::Path;

/// Why catching up stopped.
#[derive(Debug)]
pub enum CatchUpError {
    Journal(journal::JournalError),
    Store(StoreError),
    /// The engine refused a journaled input (a journal from another build?).
    Apply {
        seq: Seq,
        why: String,
    },
    /// The journal ends before the store's progress: the store is not of
    /// this journal.
    Behind {
        progress: Seq,
        journal_last: Seq,
    },
}

impl fmt::Display for CatchUpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatchUpError::Journal(e) => write!(f, "journal: {e}"),
            CatchUpError::Store(e) => write!(f, "store: {e}"),
            CatchUpError::Apply { seq, why } => {
                write!(f, "the engine refused journaled input {seq}: {why}")
            }
            CatchUpError::Behind {
                progress,
                journal_last,
            } => write!(
                f,
                "the store's progress is seq {progress} but the journal ends at {journal_last}: \
                 the store was not built from this journal"
            ),
        }
    }
}

impl std::error::Error for CatchUpError {}

impl From<journal::JournalError> for CatchUpError {
    fn from(e: journal::JournalError) -> Self {
        CatchUpError::Journal(e)
    }
}
impl From<StoreError> for CatchUpError {
    fn from(e: StoreError) -> Self {
        CatchUpError::Store(e)
    }
}

/// What a catch-up did.
pub struct CaughtUp {
    /// The engine at the last input it applied (for reconcile: the state
    /// the store's rows must account for).
    pub engine: Engine,
    /// Where the store's progress was before, and is now.
    pub from: Seq,
    pub to: Seq,
    /// The snapshot started from, if any.
    pub snapshot_seq: Option<Seq>,
    /// Journal records applied without projecting (their rows were
    /// stored): from the engine it started with up to the store's progress.
    pub replayed: u64,
    pub batches: u64,
    pub rows: u64,
}

/// The newest snapshot of `data_dir` at or below `at_most` that restores
/// an engine with the header's seq and state hash, or an empty engine.
pub fn start_engine(data_dir: &Path, at_most: Seq) -> Result<(Engine, Option<Seq>), CatchUpError> {
    for (seq, path) in journal::snapshot::list(data_dir)? {
        if seq > at_most {
            continue;
        }
        let snap = match journal::snapshot::read(&path) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("history: skipping snapshot {}: {e}", path.display());
                continue;
            }
        };
        match Engine::from_snapshot_bytes(&snap.payload) {
            Ok(e) if e.last_seq() == snap.seq && e.state_hash() == snap.state_hash => {
                return Ok((e, Some(snap.seq)))
            }
            _ => tracing::warn!(
                "history: skipping snapshot {}: it does not restore",
                path.display()
            ),
        }
    }
    Ok((Engine::new(EngineLimits::default()), None))
}

/// Brings `store` up to the journal of `data_dir`, up to input `to` (`None`:
/// the end of the journal, before any torn tail).
pub fn catch_up(
    data_dir: &Path,
    store: &mut dyn Store,
    to: Option<Seq>,
    batch_cmds: u64,
) -> Result<CaughtUp, CatchUpError> {
    catch_up_from(data_dir, store, to, batch_cmds, None)
}

/// [`catch_up`], starting from `kept` (the engine a previous catch-up
/// returned) when it is at or below the store's progress and no snapshot
/// lies between the two: a writer that falls behind again and again then
/// replays only what it has not seen, not the journal since the snapshot.
pub fn catch_up_from(
    data_dir: &Path,
    store: &mut dyn Store,
    to: Option<Seq>,
    batch_cmds: u64,
    kept: Option<Engine>,
) -> Result<CaughtUp, CatchUpError> {
    let from = store.progress()?;
    let kept = match kept {
        Some(e) if e.last_seq() <= from => {
            let newer_snapshot = journal::snapshot::list(data_dir)?
                .iter()
                .any(|(seq, _)| *seq > e.last_seq() && *seq <= from);
            (!newer_snapshot).then_some(e)
        }
        _ => None,
    };
    let (mut engine, snapshot_seq) = match kept {
        Some(e) => (e, None),
        None => start_engine(data_dir, from)?,
    };
    let replayed = from.saturating_sub(engine.last_seq());
    let mut events: Vec<Event> = Vec::with_capacity(256);
    let mut projector: Option<Projector> = None;
    if engine.last_seq() == from {
        projector = Some(Projector::new(engine.directory().clone()));
    }
    let (mut batches, mut rows) = (0u64, 0u64);
    let mut flush = |p: &mut Projector| -> Result<(), StoreError> {
        p.with_batch(|b: &Batch| {
            if b.is_empty() {
                return Ok(());
            }
            batches += 1;
            rows += b.rows() as u64;
            store.apply(b)
        })
    };
    // Never read past `to`: the journal beyond it may be being written.
    let read = !matches!(to, Some(t) if engine.last_seq() >= t);
    let records = match read {
        true => Some(journal::read_records(data_dir, engine.last_seq() + 1)?),
        false => None,
    };
    for rec in records.into_iter().flatten() {
        let rec = rec?;
        if to.is_some_and(|t| rec.seq > t) {
            break;
        }
        events.clear();
        engine
            .apply(&rec.command, &mut events)
            .map_err(|e| CatchUpError::Apply {
                seq: rec.seq,
                why: e.to_string(),
            })?;
        match projector.as_mut() {
            Some(p) => {
                p.apply(&rec.command, &events);
                if p.batch().commands >= batch_cmds.max(1) {
                    flush(p)?;
                }
            }
            None if rec.seq == from => {
                projector = Some(Projector::new(engine.directory().clone()));
            }
            None => {}
        }
        if to.is_some_and(|t| rec.seq >= t) {
            break;
        }
    }
    if let Some(p) = projector.as_mut() {
        flush(p)?;
    }
    if engine.last_seq() < from {
        return Err(CatchUpError::Behind {
            progress: from,
            journal_last: engine.last_seq(),
        });
    }
    let to = engine.last_seq();
    Ok(CaughtUp {
        engine,
        from,
        to,
        snapshot_seq,
        replayed,
        batches,
        rows,
    })
}

/// Every row the journal of `data_dir` gives up to `to` (`None`: the end),
/// derived offline in memory: what a store must equal.
pub fn derive(data_dir: &Path, to: Option<Seq>) -> Result<(crate::Rows, Engine), CatchUpError> {
    let mut engine = Engine::new(EngineLimits::default());
    let mut events = Vec::with_capacity(256);
    let mut projector = Projector::new(engine.directory().clone());
    let mut mem = crate::projection::MemoryStore::default();
    for rec in journal::read_records(data_dir, 0)? {
        let rec = rec?;
        if to.is_some_and(|t| rec.seq > t) {
            break;
        }
        events.clear();
        engine
            .apply(&rec.command, &mut events)
            .map_err(|e| CatchUpError::Apply {
                seq: rec.seq,
                why: e.to_string(),
            })?;
        projector.apply(&rec.command, &events);
        if projector.batch().commands >= 4096 {
            projector.with_batch(|b| mem.apply(b));
        }
        if to.is_some_and(|t| rec.seq >= t) {
            break;
        }
    }
    projector.with_batch(|b| mem.apply(b));
    Ok((mem.rows(), engine))
}
