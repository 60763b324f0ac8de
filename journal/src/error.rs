//! Errors, and the description of damage found on disk.
//!
//! What holds: every error about damaged data says where it is (file, byte
//! offset) and, for the journal, which sequence number is affected, so an
//! operator can act on the message alone.
//!
//! What this module must never do: turn damage into a quiet success. A torn
//! tail is not an error (it is reported as a [`TornTail`] and logged), but
//! damage followed by valid records always is ([`JournalError::Corrupt`]).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What is wrong with a segment or a record at some offset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Defect {
    /// The segment header is unusable (bad magic, version, checksum, size).
    SegmentHeader(&'static str),
    /// The file name's sequence number disagrees with the header's `first_seq`.
    SegmentName { name_seq: u64, header_seq: u64 },
    /// The segment's `first_seq` does not continue the previous segment.
    SegmentStart { expected: u64, found: u64 },
    /// The record's length word is zero-or-absurd, or runs past the segment end.
    Length { len: u32 },
    /// The file ends before the segment (or the record) does.
    Truncated { file_len: u64, segment_bytes: u64 },
    /// The record's crc32c does not match its contents.
    Checksum { stored: u32, computed: u32 },
    /// A checksum-valid record with the wrong sequence number.
    SeqDiscontinuity { expected: u64, found: u64 },
    /// The end-of-data marker (a zero length word) is followed by non-zero bytes.
    GarbageAfterEnd { at: u64 },
    /// The record is intact but its payload is not the [`engine::Command`] it
    /// claims to be (does not decode, or its seq/ts disagree with the frame).
    Undecodable(String),
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Defect::SegmentHeader(why) => write!(f, "bad segment header ({why})"),
            Defect::SegmentName {
                name_seq,
                header_seq,
            } => {
                write!(
                    f,
                    "file name says first seq {name_seq}, header says {header_seq}"
                )
            }
            Defect::SegmentStart { expected, found } => {
                write!(f, "segment starts at seq {found}, expected {expected}")
            }
            Defect::Length { len } => write!(f, "record length {len} out of range"),
            Defect::Truncated {
                file_len,
                segment_bytes,
            } => write!(
                f,
                "file ends early ({file_len} bytes, segment is {segment_bytes})"
            ),
            Defect::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Defect::SeqDiscontinuity { expected, found } => {
                write!(
                    f,
                    "sequence discontinuity: expected {expected}, found {found}"
                )
            }
            Defect::GarbageAfterEnd { at } => {
                write!(
                    f,
                    "non-zero bytes at offset {at} after the end-of-data marker"
                )
            }
            Defect::Undecodable(why) => write!(f, "payload is not a valid command: {why}"),
        }
    }
}

/// A damaged end of the journal with nothing valid after it: the remains of
/// a write that never completed. [`crate::Journal::open`] cuts it off;
/// readers stop before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Segment file holding the damage.
    pub segment: PathBuf,
    /// Byte offset of the first damaged byte's record (0: the segment header).
    pub offset: u64,
    /// The last intact sequence number before the damage, if any.
    pub last_good_seq: Option<u64>,
    pub defect: Defect,
    /// Later segment files, none holding a valid record, that go with it.
    pub later_segments: Vec<PathBuf>,
}

impl fmt::Display for TornTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "torn tail in {} at byte offset {} ({}); last good seq {}",
            self.segment.display(),
            self.offset,
            self.defect,
            match self.last_good_seq {
                Some(s) => s.to_string(),
                None => "none".to_string(),
            }
        )?;
        if !self.later_segments.is_empty() {
            write!(
                f,
                "; {} later segment(s) hold no valid record",
                self.later_segments.len()
            )?;
        }
        Ok(())
    }
}

/// What is wrong with a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotDefect {
    /// Shorter than its header, bad magic, unknown version, bad header crc.
    Header(&'static str),
    /// The file name's sequence number disagrees with the header.
    Name {
        name_seq: u64,
        header_seq: u64,
    },
    /// The payload length in the header disagrees with the file.
    PayloadLength {
        header: u64,
        actual: u64,
    },
    PayloadChecksum {
        stored: u32,
        computed: u32,
    },
    /// The engine refused the payload.
    Engine(String),
    /// The restored engine's last sequence number differs from the header's.
    EngineSeq {
        header: u64,
        engine: u64,
    },
    /// The restored engine's state hash differs from the header's.
    StateHash,
}

impl fmt::Display for SnapshotDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotDefect::Header(why) => write!(f, "bad snapshot header ({why})"),
            SnapshotDefect::Name {
                name_seq,
                header_seq,
            } => {
                write!(f, "file name says seq {name_seq}, header says {header_seq}")
            }
            SnapshotDefect::PayloadLength { header, actual } => {
                write!(f, "payload is {actual} bytes, header says {header}")
            }
            SnapshotDefect::PayloadChecksum { stored, computed } => write!(
                f,
                "payload checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            SnapshotDefect::Engine(why) => write!(f, "engine refused the snapshot: {why}"),
            SnapshotDefect::EngineSeq { header, engine } => write!(
                f,
                "restored engine is at seq {engine}, header says {header}"
            ),
            SnapshotDefect::StateHash => write!(f, "restored state hash differs from the header"),
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum JournalError {
    /// An operating-system call failed.
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// The configuration is unusable.
    Config(String),
    /// Damage inside the journal, with valid records after it (or an
    /// intact record that is out of sequence). Never skipped.
    Corrupt {
        segment: PathBuf,
        offset: u64,
        /// The sequence number the damaged record should carry.
        seq: u64,
        defect: Defect,
        /// Sequence number of the first valid record found after the damage.
        next_valid_seq: Option<u64>,
    },
    /// `append` was given a sequence number other than the next one.
    OutOfSequence { expected: u64, got: u64 },
    /// A payload that is empty or longer than [`crate::PAYLOAD_MAX`].
    PayloadSize { len: usize },
    /// The command could not be encoded.
    Encode { seq: u64, error: engine::CodecError },
    /// A reader was asked to start at `wanted` but the journal starts later.
    Missing { wanted: u64, first: u64 },
    /// A snapshot file is damaged (see [`crate::snapshot`] for fallback rules).
    Snapshot {
        path: PathBuf,
        defect: SnapshotDefect,
    },
    /// The newest usable snapshot covers more than the journal holds.
    SnapshotAheadOfJournal {
        snapshot: PathBuf,
        snapshot_seq: u64,
        journal_next_seq: u64,
    },
    /// The journal does not continue where the snapshot (or seq 0) ends.
    JournalGap { needed: u64, journal_next_seq: u64 },
    /// The engine refused a journaled command during replay.
    Apply { seq: u64, error: engine::ApplyError },
}

impl JournalError {
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> JournalError {
        JournalError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::Io { op, path, source } => {
                write!(f, "{op} {}: {source}", path.display())
            }
            JournalError::Config(why) => write!(f, "journal config: {why}"),
            JournalError::Corrupt {
                segment,
                offset,
                seq,
                defect,
                next_valid_seq,
            } => {
                write!(
                    f,
                    "journal corrupt at seq {seq}: {defect} in {} at byte offset {offset}",
                    segment.display()
                )?;
                if let Some(n) = next_valid_seq {
                    write!(f, " (valid records follow, from seq {n}); refusing to skip")?;
                }
                Ok(())
            }
            JournalError::OutOfSequence { expected, got } => {
                write!(
                    f,
                    "journal append out of sequence: expected {expected}, got {got}"
                )
            }
            JournalError::PayloadSize { len } => write!(
                f,
                "journal payload of {len} bytes (must be 1..={})",
                crate::PAYLOAD_MAX
            ),
            JournalError::Encode { seq, error } => write!(f, "encoding seq {seq}: {error}"),
            JournalError::Missing { wanted, first } => write!(
                f,
                "journal starts at seq {first}, records from seq {wanted} are missing"
            ),
            JournalError::Snapshot { path, defect } => {
                write!(f, "snapshot {}: {defect}", path.display())
            }
            JournalError::SnapshotAheadOfJournal {
                snapshot,
                snapshot_seq,
                journal_next_seq,
            } => {
                write!(
                    f,
                    "snapshot {} covers up to seq {snapshot_seq} but the journal only reaches seq {}",
                    snapshot.display(),
                    journal_next_seq.saturating_sub(1)
                )
            }
            JournalError::JournalGap {
                needed,
                journal_next_seq,
            } => write!(
                f,
                "journal does not continue at seq {needed} (it continues at {journal_next_seq})"
            ),
            JournalError::Apply { seq, error } => write!(f, "replaying seq {seq}: {error}"),
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JournalError::Io { source, .. } => Some(source),
            JournalError::Encode { error, .. } => Some(error),
            JournalError::Apply { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = JournalError> = std::result::Result<T, E>;
