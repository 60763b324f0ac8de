//! `snapshot DIR --at SEQ`: write a snapshot file offline.
//!
//! What it owns: replaying to exactly `SEQ` (from the newest usable snapshot
//! at or below it), checking the engine's invariants, and writing
//! `DIR/snapshots/snapshot-<SEQ>.snap` through the journal crate
//! (`journal::recovery::write_snapshot`: temp file, fsync, rename, directory
//! fsync), then reading it back to check it. Prints
//! `{"seq":N,"state_hash":"<hex>","path":"..."}`. Recovery
//! (`journal::recovery::recover`) then starts from it when it is the newest.
//!
//! What it must never do: delete an existing snapshot (the journal crate
//! prunes to its `keep` newest, so this asks it to keep one more than there
//! are), touch the journal, or write a snapshot of a state it did not
//! reach. It is meant for a data directory no server is using (or a copy):
//! the journal crate also removes stray `*.snap.tmp` files when it writes.

use crate::datadir;
use crate::error::Failure;
use crate::output::{hash_hex, Obj};
use crate::replay::{load_snapshot, replay_to};
use crate::Ctx;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct SnapshotArgs {
    pub dir: PathBuf,
    pub at: u64,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub seq: u64,
    pub state_hash: [u8; 32],
    pub path: PathBuf,
}

/// Does the work of `snapshot` without printing.
pub fn execute(args: &SnapshotArgs, ctx: &Ctx) -> Result<Written, Failure> {
    if args.at == 0 {
        return Err(Failure::usage(
            "--at 0: there is nothing to snapshot before seq 1",
        ));
    }
    let dir = datadir::open(&args.dir)?;
    let (st, r) = replay_to(&dir, Some(args.at), false, ctx, true)?;
    st.engine.check_invariants().map_err(|e| {
        Failure::Damage(format!(
            "engine invariant broken at seq {}: {e}",
            r.last_seq
        ))
    })?;
    let existing = journal::snapshot::list(dir.path())?;
    if existing.iter().any(|(s, _)| *s == args.at) {
        ctx.note(format_args!(
            "replacing the existing snapshot at seq {}",
            args.at
        ));
    }
    let keep = existing.len() + 1;
    let path = journal::recovery::write_snapshot(dir.path(), &st.engine, keep)?;
    let (snap, _) = load_snapshot(&path)
        .map_err(|why| Failure::Damage(format!("{} reads back wrong: {why}", path.display())))?;
    Ok(Written {
        seq: snap.seq,
        state_hash: snap.state_hash,
        path,
    })
}

pub fn command(args: &SnapshotArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let w = execute(args, ctx)?;
    let line = Obj::new()
        .field("seq", w.seq)
        .field("state_hash", hash_hex(&w.state_hash))
        .field("path", w.path.display().to_string())
        .finish();
    writeln!(out, "{line}")?;
    Ok(())
}
