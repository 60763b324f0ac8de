//! `ringex-replay`: the operator's tool for Ringex journals.
//!
//! What it owns: reading a data directory (`DIR/journal/*.seg`,
//! `DIR/snapshots/*.snap`) offline and answering questions about it:
//! is it intact ([`verify`]), what are its inputs ([`dump`]), what state do
//! they lead to ([`run`]), what outputs ([`events`]), a snapshot at a chosen
//! sequence ([`snapshot`]), where two journals part ([`compare`]), and a
//! history store built from the journal or checked against it ([`history`]).
//! [`replay`] is the one replay loop all of them share; [`workload`] makes
//! synthetic journals for the tests and the benchmark.
//!
//! What holds:
//! - Every state hash it prints is [`engine::Engine::state_hash`] after the
//!   engine has applied exactly the journal's inputs up to the printed
//!   `seq`: the hash the admin `snapshot` op answers for that `seq`.
//! - Results go to stdout (one JSON object per line); notes, warnings and
//!   errors to stderr as `ringex-replay: ...`. Exit 0: done (a torn tail is
//!   reported, not an error); 1: damage, a broken invariant, or a
//!   difference; 2: a usage or I/O problem (including "no journal at DIR").
//!
//! The operator's side of the contract: the data directory is not being
//! written while the tool reads it (the journal crate does not support
//! reading a live journal yet): stop the server, or copy the directory.
//!
//! What it must never do: modify a journal segment, delete or overwrite a
//! snapshot other than the one it was asked to write, skip a damaged record
//! and go on, or print a hash for a sequence other than the one it names.

pub mod cli;
pub mod compare;
pub mod datadir;
pub mod dump;
pub mod error;
pub mod events;
pub mod history;
pub mod output;
pub mod progress;
pub mod replay;
pub mod rng;
pub mod run;
pub mod snapshot;
pub mod verify;
pub mod workload;

pub use error::Failure;

/// What every command needs besides its arguments.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx {
    /// No progress bar and no notes on stderr (warnings and errors remain).
    pub quiet: bool,
}

impl Ctx {
    /// A remark for the operator on stderr, unless quiet.
    pub fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("ringex-replay: {msg}");
        }
    }

    /// Something the operator should act on, printed even when quiet.
    pub fn warn(&self, msg: impl std::fmt::Display) {
        eprintln!("ringex-replay: warning: {msg}");
    }
}
