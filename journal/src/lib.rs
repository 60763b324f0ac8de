//! Ringex journal: every input command is appended to a memory-mapped,
//! append-only log before any of its outputs reach a client, so a crash
//! loses nothing acknowledged and any day can be replayed exactly.
//!
//! What holds:
//! - Records carry contiguous sequence numbers (each exactly one more than
//!   the one before, across segment files) and a crc32c over their contents;
//!   nothing is ever read back without both being checked.
//! - Damage at the very end of the journal with nothing valid after it (a
//!   torn write) is cut off when the journal is opened, with one `warn!`
//!   line naming segment, offset and the last good sequence number. Damage
//!   followed by anything valid is an error that names the sequence number
//!   ([`JournalError::Corrupt`]); it is never skipped.
//! - With [`Durability::Fsync`], a batch's records are on stable storage when
//!   [`JournalWriter::flush_batch`] returns; with [`Durability::Os`] (the
//!   default) they are in the page cache when `append` returns, which a
//!   process crash does not lose, and are msynced in the background.
//! - Snapshots are written atomically; recovery uses the newest one that
//!   checks out and replays the journal after it.
//!
//! What it must never do: allocate or wait for I/O per appended record (a
//! `Fsync` flush waits once per batch), or let outputs of a record go before
//! the record is appended.
//!
//! The caller's side of the contract (not checked): one [`JournalWriter`] per
//! data directory; readers ([`read_records`], [`verify`], [`recovery`]) do
//! not run while that writer appends (reading a live journal is not
//! supported yet); nothing else modifies or truncates the files.
//!
//! # Data directory layout
//!
//! ```text
//! DIR/
//!   journal/
//!     journal-00000000000000000001.seg   segments, named by first seq
//!     journal-00000000000000482113.seg
//!     journal-spare.seg.tmp              next segment being prepared
//!   snapshots/
//!     snapshot-00000000000000400000.snap named by the seq they cover
//!     snapshot-00000000000000450000.snap
//! ```
//!
//! Every function taking a `dir` takes `DIR`. A segment starts with a
//! 64-byte header (`RINGEXJ1`, format version, first seq, segment size,
//! header crc), then records: `len: u32`, `crc32c: u32` (over seq, ts and
//! payload), `seq: u64`, `ts_ns: u64`, the payload (a bincode-encoded
//! [`engine::Command`]), zero padding to 8 bytes. A zero length word ends
//! the data; segments are preallocated with zeros. Journal records older
//! than the oldest snapshot are kept (there is no compaction yet).
//!
//! # Use
//!
//! ```no_run
//! # fn main() -> journal::Result<()> {
//! use journal::{recovery, JournalConfig};
//! let cfg = JournalConfig::new("data");
//! let (mut writer, _report, recovered) =
//!     recovery::open_and_recover(cfg, engine::EngineLimits::default())?;
//! let mut engine = recovered.engine;
//! # let cmd: engine::Command = unimplemented!();
//! // per batch: append every command, flush, then apply and publish
//! writer.append(&cmd)?;
//! writer.flush_batch()?;
//! # let _ = &mut engine;
//! # Ok(())
//! # }
//! ```

mod error;
mod format;
pub mod frames;
mod reader;
pub mod recovery;
mod segment;
pub mod snapshot;
mod writer;

use std::path::{Path, PathBuf};

pub use error::{Defect, JournalError, Result, SnapshotDefect, TornTail};
pub use format::{frame_len, FORMAT_VERSION, FRAME_HEADER_LEN, PAYLOAD_MAX, SEGMENT_HEADER_LEN};
pub use reader::{read_records, verify, verify_framing, JournalReader, RawRecord, Record, Summary};
pub use segment::segment_file_name;
pub use writer::{truncate_after, Durability, Journal, JournalConfig, JournalWriter, OpenReport};

/// `data_dir/journal`, where the segment files live.
pub fn journal_dir(data_dir: impl AsRef<Path>) -> PathBuf {
    data_dir.as_ref().join("journal")
}
