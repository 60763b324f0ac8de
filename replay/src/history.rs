//! `history DIR --db URL` and `reconcile DIR [--db URL]`: the history store
//! against the journal.
//!
//! What it owns:
//! - `history`: brings the store at URL (a SQLite path, `sqlite:PATH` or a
//!   `postgres://` URL; created and migrated when new) up to the end of the
//!   journal of DIR, from the store's own `progress`; an empty store is
//!   rebuilt from the first record. Prints
//!   `{"from":P,"to":S,"batches":N,"rows":N,"secs":T,"rows_per_s":X}`.
//! - `reconcile`: checks the store (default `DIR/history.sqlite`) against
//!   the journal up to the store's `progress`: the same orders, trades and
//!   transfers row for row, and the balance identity for every user and
//!   asset. Prints `{"ok":true,"progress":P,…}`; exits 1 naming the first
//!   difference.
//!
//! What it must never do: write into the journal or the snapshots, or
//! report a store as reconciled that differs in any row.

use crate::datadir;
use crate::error::Failure;
use crate::output::{per_second, Obj};
use crate::Ctx;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct HistoryArgs {
    pub dir: PathBuf,
    pub db: String,
}

/// The store `--db` names, or the embedded default in the data directory.
pub fn db_url(dir: &Path, db: Option<String>) -> String {
    db.unwrap_or_else(|| dir.join("history.sqlite").display().to_string())
}

fn open_store(url: &str) -> Result<Box<dyn history::Store>, Failure> {
    history::open(url).map_err(|e| Failure::Io(format!("cannot open the history store {url}: {e}")))
}

pub fn rebuild(args: &HistoryArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let dir = datadir::open(&args.dir)?;
    let mut store = open_store(&args.db)?;
    let t0 = Instant::now();
    let done = history::catch_up(dir.path(), store.as_mut(), None, 4096).map_err(|e| match e {
        history::CatchUpError::Store(s) => Failure::Io(format!("history store: {s}")),
        other => Failure::Damage(other.to_string()),
    })?;
    let secs = t0.elapsed().as_secs_f64();
    ctx.note(format_args!(
        "history store {} ({}) now at seq {}",
        args.db,
        store.backend(),
        done.to
    ));
    let line = Obj::new()
        .field("from", done.from)
        .field("to", done.to)
        .field("batches", done.batches)
        .field("rows", done.rows)
        .field("secs", secs)
        .field("rows_per_s", per_second(done.rows, secs))
        .finish();
    writeln!(out, "{line}")?;
    Ok(())
}

pub fn reconcile(args: &HistoryArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let dir = datadir::open(&args.dir)?;
    let mut store = open_store(&args.db)?;
    let r = history::reconcile::reconcile(dir.path(), store.as_mut())
        .map_err(|d| Failure::Different(format!("history store {} differs: {d}", args.db)))?;
    ctx.note(format_args!(
        "history store {} reconciles at seq {}",
        args.db, r.progress
    ));
    let line = Obj::new()
        .field("ok", true)
        .field("progress", r.progress)
        .field("orders", r.orders as u64)
        .field("trades", r.trades as u64)
        .field("transfers", r.transfers as u64)
        .field("balances", r.balances as u64)
        .finish();
    writeln!(out, "{line}")?;
    Ok(())
}
