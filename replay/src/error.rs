//! Why a command failed, and the exit code that says so.
//!
//! What it owns: the mapping from what went wrong to the exit status (1 for
//! damage, broken invariants and differences; 2 for usage and I/O problems)
//! and the one-line message the operator reads on stderr.
//!
//! What it must never do: turn damage into a usage error or a success, or
//! lose the place (file, offset, seq) a journal error names.

use journal::JournalError;
use std::fmt;
use std::io;

/// Exit status for damage, broken invariants and differences.
pub const EXIT_DAMAGE: u8 = 1;
/// Exit status for usage and I/O problems.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug)]
pub enum Failure {
    /// The request cannot be served as asked (bad range, no journal, a
    /// sequence beyond the journal's end).
    Usage(String),
    /// An operating-system call failed.
    Io(String),
    /// Damage in a journal or snapshot, an input the engine refused, or a
    /// broken engine invariant.
    Damage(String),
    /// Two journals differ (already described on stdout).
    Different(String),
    /// Whoever reads stdout went away (`| head`): stop quietly.
    Closed,
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Io(_) => EXIT_USAGE,
            Failure::Damage(_) | Failure::Different(_) => EXIT_DAMAGE,
            Failure::Closed => 0,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Failure {
        Failure::Usage(msg.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Io(m) | Failure::Damage(m) | Failure::Different(m) => {
                f.write_str(m)
            }
            Failure::Closed => f.write_str("output closed"),
        }
    }
}

impl std::error::Error for Failure {}

impl From<JournalError> for Failure {
    fn from(e: JournalError) -> Failure {
        match e {
            JournalError::Io { .. } | JournalError::Config(_) => Failure::Io(e.to_string()),
            _ => Failure::Damage(e.to_string()),
        }
    }
}

impl From<io::Error> for Failure {
    /// Errors writing the output: a closed pipe ends the command quietly.
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Io(format!("writing output: {e}"))
        }
    }
}
