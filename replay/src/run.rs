//! `run DIR [--to SEQ] [--from-scratch]`: replay to a sequence and print the
//! state hash there.
//!
//! What it owns: starting from the newest usable snapshot at or below
//! `--to` (or from an empty engine with `--from-scratch`), replaying to
//! `--to` or to the end of the journal (stopping before a torn tail, which
//! is reported), checking the engine's invariants at the end, and printing,
//! as the last line on stdout,
//! `{"seq":N,"state_hash":"<hex>","cmds":N,"secs":S,"cmds_per_s":X}`:
//! `seq` the last input applied, `state_hash` the engine's hash there (what
//! the admin `snapshot` op answers at that seq), `cmds` the inputs replayed
//! after the starting snapshot, `secs` the time spent reading and applying
//! them, `cmds_per_s` their rate.
//!
//! What it must never do: allocate or format anything per command (the
//! loop is [`crate::replay::replay`] with an empty hook), write to the data
//! directory, or print a hash for a seq it did not reach.

use crate::datadir;
use crate::error::Failure;
use crate::output::run_line;
use crate::replay::{replay_to, SnapshotUsed};
use crate::Ctx;
use journal::TornTail;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct RunArgs {
    pub dir: PathBuf,
    pub to: Option<u64>,
    pub from_scratch: bool,
}

/// What a run found.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub seq: u64,
    pub state_hash: [u8; 32],
    /// Inputs replayed after the starting state.
    pub cmds: u64,
    /// Time reading and applying them.
    pub secs: f64,
    /// Everything: choosing and loading the snapshot, the replay, the
    /// invariant check and the final hash.
    pub total_secs: f64,
    pub snapshot: Option<SnapshotUsed>,
    pub torn_tail: Option<TornTail>,
}

/// Does the work of `run` without printing the result line.
pub fn execute(args: &RunArgs, ctx: &Ctx) -> Result<RunReport, Failure> {
    let t0 = Instant::now();
    let dir = datadir::open(&args.dir)?;
    let (st, r) = replay_to(&dir, args.to, args.from_scratch, ctx, true)?;
    let t_inv = Instant::now();
    st.engine.check_invariants().map_err(|e| {
        Failure::Damage(format!(
            "engine invariant broken at seq {}: {e}",
            r.last_seq
        ))
    })?;
    let state_hash = st.engine.state_hash();
    ctx.note(format_args!(
        "invariants hold at seq {} (checked and hashed in {:.3} s)",
        r.last_seq,
        t_inv.elapsed().as_secs_f64()
    ));
    Ok(RunReport {
        seq: r.last_seq,
        state_hash,
        cmds: r.applied,
        secs: r.secs,
        total_secs: t0.elapsed().as_secs_f64(),
        snapshot: st.snapshot,
        torn_tail: r.torn_tail,
    })
}

/// `run`: [`execute`], then the result line on `out`.
pub fn command(args: &RunArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let r = execute(args, ctx)?;
    writeln!(out, "{}", run_line(r.seq, &r.state_hash, r.cmds, r.secs))?;
    Ok(())
}
