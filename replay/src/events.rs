//! `events DIR --from SEQ --to SEQ`: the outputs of a range of inputs,
//! re-derived by the engine.
//!
//! What it owns: replaying silently from the newest usable snapshot below
//! `--from` (or from scratch) up to `--from - 1`, then printing every event
//! of the inputs `--from..=--to` as one JSON line each, in the engine's
//! order (see [`crate::output`] for the shapes; `--reports-only` leaves out
//! the `level` market-data lines). The same journal prints the same bytes
//! on every run, whichever snapshot it starts from.
//!
//! What it must never do: print events of inputs outside the range, or
//! anything that depends on where the replay started (a snapshot or
//! scratch) or on when it ran.

use crate::datadir;
use crate::error::Failure;
use crate::output::push_event_line;
use crate::progress::Progress;
use crate::replay::{describe_start, replay, start};
use crate::Ctx;
use engine::Event;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct EventsArgs {
    pub dir: PathBuf,
    pub from: u64,
    pub to: u64,
    pub from_scratch: bool,
    pub reports_only: bool,
}

pub fn command(args: &EventsArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    if args.from == 0 || args.from > args.to {
        return Err(Failure::usage(format!(
            "--from {} --to {}: need 1 <= --from <= --to",
            args.from, args.to
        )));
    }
    let dir = datadir::open(&args.dir)?;
    let mut st = start(&dir, Some(args.from - 1), args.from_scratch, ctx)?;
    describe_start(&st, ctx);
    let progress = Progress::new(!ctx.quiet, st.engine.last_seq(), Some(args.to));
    let mut line = String::with_capacity(4096);
    let (from, reports_only) = (args.from, args.reports_only);
    let r = replay(
        &dir,
        &mut st.engine,
        Some(args.to),
        &progress,
        |rec, engine, events| {
            if rec.seq < from {
                return Ok(());
            }
            line.clear();
            for ev in events {
                if reports_only && matches!(ev, Event::Level { .. }) {
                    continue;
                }
                push_event_line(ev, rec.seq, engine.directory(), &mut line);
            }
            out.write_all(line.as_bytes())?;
            Ok(())
        },
    );
    progress.finish();
    r?;
    Ok(())
}
