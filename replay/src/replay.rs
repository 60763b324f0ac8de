//! The replay loop every command shares: pick a starting state, then feed
//! the journal's inputs to the engine in order.
//!
//! What it owns:
//! - [`start`]: the newest snapshot at or below a sequence that checks out
//!   (file checksums, the engine accepts the payload, and the restored
//!   engine's `last_seq` and `state_hash` equal the header's), falling back
//!   to older ones with a warning, or an empty engine
//!   (`Engine::new(EngineLimits::default())`) when there is none or when asked to
//!   start from scratch. The same rules as `journal::recovery::recover`.
//! - [`replay`]: applies the records after the start through
//!   [`Engine::apply`], up to a sequence or to the end (stopping before a
//!   torn tail), with one events buffer cleared per command and nothing else
//!   allocated or formatted per command unless the caller's hook does it.
//!   The journal is read (framing, checksums, decoding) on a thread of its
//!   own, a few batches ahead of the engine, so reading overlaps applying;
//!   the engine still sees every record, in order, on the calling thread.
//!
//! What it must never do: skip a record, apply one out of order, carry on
//! after the engine or the journal reports a problem, or stop short of the
//! sequence it was asked for without saying so (that is an error).

use crate::datadir::DataDir;
use crate::error::Failure;
use crate::progress::Progress;
use crate::Ctx;
use engine::{Engine, EngineLimits, Event};
use journal::{Record, TornTail};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The snapshot a replay started from.
#[derive(Debug, Clone)]
pub struct SnapshotUsed {
    pub seq: u64,
    pub path: PathBuf,
    /// Reading, checking and restoring it.
    pub load_secs: f64,
}

/// The state a replay starts from.
pub struct Start {
    pub engine: Engine,
    /// `None`: an empty engine.
    pub snapshot: Option<SnapshotUsed>,
}

/// Reads the snapshot file at `path` and restores the engine from it,
/// checking everything [`start`] checks. The error says what is wrong
/// (the path is the caller's to add).
pub fn load_snapshot(path: &Path) -> Result<(journal::snapshot::Snapshot, Engine), String> {
    let snap = journal::snapshot::read(path).map_err(|e| match e {
        journal::JournalError::Snapshot { defect, .. } => defect.to_string(),
        other => other.to_string(),
    })?;
    let engine = Engine::from_snapshot_bytes(&snap.payload)
        .map_err(|e| format!("the engine refuses its payload: {e}"))?;
    if engine.last_seq() != snap.seq {
        return Err(format!(
            "restored engine is at seq {}, the header says {}",
            engine.last_seq(),
            snap.seq
        ));
    }
    if engine.state_hash() != snap.state_hash {
        return Err("restored state hash differs from the header".into());
    }
    Ok((snap, engine))
}

/// The state to replay from so as to reach `at_most` (`None`: the end):
/// the newest usable snapshot with `seq <= at_most`, or an empty engine.
pub fn start(
    dir: &DataDir,
    at_most: Option<u64>,
    from_scratch: bool,
    ctx: &Ctx,
) -> Result<Start, Failure> {
    let scratch = || Start {
        engine: Engine::new(EngineLimits::default()),
        snapshot: None,
    };
    if from_scratch {
        return Ok(scratch());
    }
    for (seq, path) in journal::snapshot::list(dir.path())? {
        if at_most.is_some_and(|m| seq > m) {
            continue;
        }
        let t0 = Instant::now();
        match load_snapshot(&path) {
            Ok((snap, engine)) => {
                return Ok(Start {
                    engine,
                    snapshot: Some(SnapshotUsed {
                        seq: snap.seq,
                        path,
                        load_secs: t0.elapsed().as_secs_f64(),
                    }),
                })
            }
            Err(why) => ctx.warn(format_args!(
                "skipping snapshot {}: {why}; trying an older one",
                path.display()
            )),
        }
    }
    Ok(scratch())
}

/// What [`replay`] did.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The engine's last sequence when the replay stopped.
    pub last_seq: u64,
    /// Inputs applied.
    pub applied: u64,
    /// Time spent reading and applying them.
    pub secs: f64,
    /// The torn tail the journal ends with, when the replay reached it.
    pub torn_tail: Option<TornTail>,
}

/// Applies the journal records after `engine.last_seq()` up to and including
/// `to` (`None`: to the end of the journal, stopping before a torn tail),
/// calling `each(record, engine, events)` after each one with the events it
/// caused. Fails if the journal is damaged before `to`, if the engine
/// refuses a record, if the journal ends before `to`, or if it ends before
/// the starting state (a snapshot newer than the journal).
pub fn replay<F>(
    dir: &DataDir,
    engine: &mut Engine,
    to: Option<u64>,
    progress: &Progress,
    mut each: F,
) -> Result<Replayed, Failure>
where
    F: FnMut(&Record, &Engine, &[Event]) -> Result<(), Failure>,
{
    let start_seq = engine.last_seq();
    if let Some(to) = to {
        if to < start_seq {
            return Err(Failure::usage(format!(
                "cannot replay back to seq {to} from state at seq {start_seq}"
            )));
        }
        if to == start_seq {
            return Ok(Replayed {
                last_seq: start_seq,
                applied: 0,
                secs: 0.0,
                torn_tail: None,
            });
        }
    }
    let t0 = Instant::now();
    let reader = journal::read_records(dir.path(), start_seq + 1)?;
    let mut events: Vec<Event> = Vec::with_capacity(1024);
    let mut applied = 0u64;
    let (torn_tail, next_seq) = std::thread::scope(|scope| -> Result<_, Failure> {
        let (rx, ahead) = read_ahead(scope, reader);
        for batch in &rx {
            for rec in batch? {
                events.clear();
                engine.apply(&rec.command, &mut events).map_err(|e| {
                    Failure::Damage(format!(
                        "the engine refused the input at seq {}: {e}",
                        rec.seq
                    ))
                })?;
                applied += 1;
                each(&rec, engine, &events)?;
                if applied & Progress::EVERY_MASK == 0 {
                    progress.set(applied);
                }
                if to == Some(rec.seq) {
                    // Returning drops `rx`: the reader stops at its next send.
                    return Ok((None, Some(rec.seq + 1)));
                }
            }
        }
        Ok(ahead.join().expect("journal read-ahead thread panicked"))
    })?;
    let secs = t0.elapsed().as_secs_f64();
    progress.set(applied);
    let last_seq = engine.last_seq();
    if to.is_some_and(|t| t == last_seq) && applied > 0 {
        return Ok(Replayed {
            last_seq,
            applied,
            secs,
            torn_tail: None,
        });
    }
    let journal_end = next_seq.map_or(0, |n| n.saturating_sub(1));
    if journal_end < start_seq {
        return Err(Failure::Damage(format!(
            "the starting snapshot covers up to seq {start_seq} but the journal ends at seq {journal_end}"
        )));
    }
    if let Some(to) = to {
        let torn = match &torn_tail {
            Some(t) => format!(" (then a {t})"),
            None => String::new(),
        };
        return Err(Failure::usage(format!(
            "the journal ends at seq {last_seq}{torn}; seq {to} is beyond it"
        )));
    }
    Ok(Replayed {
        last_seq,
        applied,
        secs,
        torn_tail,
    })
}

/// Records per batch handed from the read-ahead thread to the engine.
const READ_BATCH: usize = 1024;
/// Batches the read-ahead thread may be ahead by.
const READ_AHEAD: usize = 4;

/// A batch of records read ahead, or the error that ended reading.
type Batch = Result<Vec<Record>, journal::JournalError>;
/// How the read-ahead thread ended: the journal's torn tail, if any, and
/// the sequence it would continue with.
type ReadEnd = (Option<TornTail>, Option<u64>);

/// Starts a thread in `scope` that reads `reader` to its end in batches;
/// it stops early when the receiver is dropped. Joining it gives the torn
/// tail the journal ended with and the sequence it would continue with.
fn read_ahead<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut reader: journal::JournalReader,
) -> (
    crossbeam_channel::Receiver<Batch>,
    std::thread::ScopedJoinHandle<'scope, ReadEnd>,
) {
    let (tx, rx) = crossbeam_channel::bounded::<Batch>(READ_AHEAD);
    let handle = std::thread::Builder::new()
        .name("journal-read-ahead".into())
        .spawn_scoped(scope, move || {
            let mut batch = Vec::with_capacity(READ_BATCH);
            for rec in &mut reader {
                match rec {
                    Ok(r) => {
                        batch.push(r);
                        if batch.len() == READ_BATCH {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(READ_BATCH));
                            if tx.send(Ok(full)).is_err() {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        // What was read before the damage is applied first.
                        let _ = tx.send(Ok(std::mem::take(&mut batch)));
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok(batch));
            }
            (reader.torn_tail().cloned(), reader.next_seq())
        })
        .expect("spawn the journal read-ahead thread");
    (rx, handle)
}

/// Reads `DIR`'s journal up to `to` and replays it from the best start for
/// `to`, calling `each` for every record applied. For commands that only
/// need the end state.
pub fn replay_to(
    dir: &DataDir,
    to: Option<u64>,
    from_scratch: bool,
    ctx: &Ctx,
    progress_enabled: bool,
) -> Result<(Start, Replayed), Failure> {
    let mut st = start(dir, to, from_scratch, ctx)?;
    describe_start(&st, ctx);
    let progress = Progress::new(progress_enabled && !ctx.quiet, st.engine.last_seq(), to);
    let r = replay(dir, &mut st.engine, to, &progress, |_, _, _| Ok(()));
    progress.finish();
    let r = r?;
    if let Some(t) = &r.torn_tail {
        ctx.warn(format_args!("replay stopped before a {t}"));
    }
    Ok((st, r))
}

/// Tells the operator (unless quiet) where a replay starts.
pub fn describe_start(st: &Start, ctx: &Ctx) {
    match &st.snapshot {
        Some(s) => ctx.note(format_args!(
            "starting from snapshot {} (seq {}, loaded in {:.3} s)",
            s.path.display(),
            s.seq,
            s.load_secs
        )),
        None => ctx.note("starting from an empty engine"),
    }
}
