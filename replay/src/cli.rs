//! The command line: arguments (clap derive) and the exit status.
//!
//! What it owns: the names, arguments and one-line descriptions of the
//! commands, dispatching to their modules with a buffered stdout, and
//! turning a [`Failure`] into `ringex-replay: <message>` on stderr and its
//! exit code (usage errors found by clap exit 2 too).
//!
//! What it must never do: do a command's work itself, or print anything on
//! stdout but a command's results.

use crate::compare::{self, CompareArgs};
use crate::dump::{self, DumpArgs};
use crate::error::Failure;
use crate::events::{self, EventsArgs};
use crate::history::{self, HistoryArgs};
use crate::run::{self, RunArgs};
use crate::snapshot::{self, SnapshotArgs};
use crate::verify::{self, VerifyArgs};
use crate::Ctx;
use clap::{Parser, Subcommand};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Operator tool for Ringex journals: check, print, replay, snapshot and
/// compare the data directory of an exchange (DIR/journal, DIR/snapshots),
/// offline.
///
/// Exit status: 0 done (a torn tail at the end of a journal is reported,
/// not an error), 1 damage, a broken engine invariant or a difference,
/// 2 usage or I/O problems (including "no journal at DIR").
#[derive(Debug, Parser)]
#[command(name = "ringex-replay", version)]
pub struct Cli {
    /// No progress bar and no notes on stderr (warnings and errors remain)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every record, segment and snapshot file; print a summary
    Verify {
        /// Data directory (holds journal/ and snapshots/)
        dir: PathBuf,
    },
    /// Print the journaled inputs as JSON lines, decimals readable
    Dump {
        /// Data directory
        dir: PathBuf,
        /// First sequence number to print (default: the first record)
        #[arg(long, value_name = "SEQ")]
        from: Option<u64>,
        /// Last sequence number to print (default: the last record)
        #[arg(long, value_name = "SEQ")]
        to: Option<u64>,
    },
    /// Replay to a sequence (from the best snapshot) and print its state hash
    Run {
        /// Data directory
        dir: PathBuf,
        /// Stop after this sequence number (default: the end of the journal)
        #[arg(long, value_name = "SEQ")]
        to: Option<u64>,
        /// Ignore the snapshots: replay every input from an empty engine
        #[arg(long)]
        from_scratch: bool,
    },
    /// Print the events the engine produces for a range of inputs, re-derived
    Events {
        /// Data directory
        dir: PathBuf,
        /// First input whose events are printed
        #[arg(long, value_name = "SEQ")]
        from: u64,
        /// Last input whose events are printed
        #[arg(long, value_name = "SEQ")]
        to: u64,
        /// Ignore the snapshots: replay every input from an empty engine
        #[arg(long)]
        from_scratch: bool,
        /// Leave out the market-data `level` lines
        #[arg(long)]
        reports_only: bool,
    },
    /// Replay to a sequence and write a snapshot file into DIR/snapshots
    Snapshot {
        /// Data directory (must not be in use by a server)
        dir: PathBuf,
        /// Sequence number the snapshot covers
        #[arg(long, value_name = "SEQ")]
        at: u64,
    },
    /// Find the first sequence at which two journals (or their outputs) differ
    Compare {
        /// First data directory
        dir_a: PathBuf,
        /// Second data directory
        dir_b: PathBuf,
        /// Compare the re-derived events instead of the inputs
        #[arg(long)]
        outputs: bool,
    },
    /// Build or bring up to date a history store (orders, trades, transfers) from the journal
    History {
        /// Data directory
        dir: PathBuf,
        /// The store: a SQLite file path (or sqlite:PATH) or a postgres:// URL
        #[arg(long, value_name = "URL")]
        db: String,
    },
    /// Check a history store against the journal: same rows, and every balance identity
    Reconcile {
        /// Data directory
        dir: PathBuf,
        /// The store (default: DIR/history.sqlite)
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
}

/// Runs one parsed command line, writing results to `out`.
pub fn dispatch(cli: Cli, out: &mut dyn Write) -> Result<(), Failure> {
    let ctx = Ctx { quiet: cli.quiet };
    match cli.command {
        Command::Verify { dir } => verify::command(&VerifyArgs { dir }, &ctx, out),
        Command::Dump { dir, from, to } => dump::command(&DumpArgs { dir, from, to }, &ctx, out),
        Command::Run {
            dir,
            to,
            from_scratch,
        } => run::command(
            &RunArgs {
                dir,
                to,
                from_scratch,
            },
            &ctx,
            out,
        ),
        Command::Events {
            dir,
            from,
            to,
            from_scratch,
            reports_only,
        } => events::command(
            &EventsArgs {
                dir,
                from,
                to,
                from_scratch,
                reports_only,
            },
            &ctx,
            out,
        ),
        Command::Snapshot { dir, at } => snapshot::command(&SnapshotArgs { dir, at }, &ctx, out),
        Command::Compare {
            dir_a,
            dir_b,
            outputs,
        } => compare::command(
            &CompareArgs {
                a: dir_a,
                b: dir_b,
                outputs,
            },
            &ctx,
            out,
        ),
        Command::History { dir, db } => history::rebuild(&HistoryArgs { dir, db }, &ctx, out),
        Command::Reconcile { dir, db } => {
            let db = history::db_url(&dir, db);
            history::reconcile(&HistoryArgs { dir, db }, &ctx, out)
        }
    }
}

/// The whole program: parse, dispatch, flush, report, exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut result = dispatch(cli, &mut out);
    let flushed = out.flush().map_err(Failure::from);
    if result.is_ok() {
        result = flushed;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !matches!(f, Failure::Closed) {
                eprintln!("ringex-replay: {f}");
            }
            ExitCode::from(f.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
