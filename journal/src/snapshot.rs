//! Snapshot files: the engine's whole state as of one sequence number.
//!
//! What holds:
//! - A snapshot is `DIR/snapshots/snapshot-<seq, 20 digits>.snap`: an
//!   80-byte header (`magic "RINGEXS1"`, `version: u32`, `header_len: u32`,
//!   `seq: u64`, `state_hash: [u8; 32]`, `payload_len: u64`, `crc32c(payload):
//!   u32`, `crc32c(bytes 0..68): u32`, zeros) followed by the payload (the
//!   engine's `snapshot_bytes()`).
//! - A snapshot file appears complete or not at all: it is written to a
//!   `.tmp` file, fsynced, renamed into place, and the directory fsynced.
//! - After a write, only the newest `keep` snapshots remain.
//! - [`load_newest`] returns the newest snapshot that checks out; a damaged
//!   newer one is skipped with a `warn!` line.
//!
//! What it must never do: overwrite or delete a snapshot before its
//! replacement is durable, or return a snapshot whose checksums fail.

use crate::error::{JournalError, Result, SnapshotDefect};
use crate::segment::sync_dir;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use tracing::warn;

const MAGIC: [u8; 8] = *b"RINGEXS1";
/// Version of the snapshot file layout written by this crate.
pub const SNAPSHOT_VERSION: u32 = 1;
/// Size of a snapshot file's header.
pub const SNAPSHOT_HEADER_LEN: usize = 80;
/// How many snapshots [`write()`] keeps by default.
pub const DEFAULT_KEEP: usize = 3;

/// A snapshot read back and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub path: PathBuf,
    /// The last sequence number the state includes.
    pub seq: u64,
    /// The engine's `state_hash()` at `seq`.
    pub state_hash: [u8; 32],
    /// The engine's `snapshot_bytes()`.
    pub payload: Vec<u8>,
}

/// `data_dir/snapshots`.
pub fn snapshot_dir(data_dir: impl AsRef<Path>) -> PathBuf {
    data_dir.as_ref().join("snapshots")
}

/// File name of the snapshot covering `seq`.
pub fn snapshot_file_name(seq: u64) -> String {
    format!("snapshot-{seq:020}.snap")
}

fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("snapshot-")?.strip_suffix(".snap")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn encode_header(seq: u64, state_hash: &[u8; 32], payload: &[u8]) -> [u8; SNAPSHOT_HEADER_LEN] {
    let mut h = [0u8; SNAPSHOT_HEADER_LEN];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(SNAPSHOT_HEADER_LEN as u32).to_le_bytes());
    h[16..24].copy_from_slice(&seq.to_le_bytes());
    h[24..56].copy_from_slice(state_hash);
    h[56..64].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    h[64..68].copy_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    let crc = crc32c::crc32c(&h[0..68]);
    h[68..72].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Writes a snapshot of state `payload` at `seq` into `data_dir/snapshots`
/// atomically, then deletes all but the newest `keep` (at least 1)
/// snapshots and any leftover temporary files. Returns the new file's path.
pub fn write(
    data_dir: impl AsRef<Path>,
    seq: u64,
    state_hash: &[u8; 32],
    payload: &[u8],
    keep: usize,
) -> Result<PathBuf> {
    let dir = snapshot_dir(data_dir);
    fs::create_dir_all(&dir).map_err(|e| JournalError::io("creating", &dir, e))?;
    let path = dir.join(snapshot_file_name(seq));
    let tmp = dir.join(format!("{}.tmp", snapshot_file_name(seq)));
    let header = encode_header(seq, state_hash, payload);
    let mut f = File::create(&tmp).map_err(|e| JournalError::io("creating", &tmp, e))?;
    f.write_all(&header)
        .and_then(|()| f.write_all(payload))
        .and_then(|()| f.sync_all())
        .map_err(|e| JournalError::io("writing", &tmp, e))?;
    drop(f);
    fs::rename(&tmp, &path).map_err(|e| JournalError::io("renaming", &tmp, e))?;
    sync_dir(&dir)?;
    prune(&dir, keep.max(1))?;
    Ok(path)
}

fn prune(dir: &Path, keep: usize) -> Result<()> {
    let rd = fs::read_dir(dir).map_err(|e| JournalError::io("listing", dir, e))?;
    let mut removed = false;
    for entry in rd {
        let entry = entry.map_err(|e| JournalError::io("listing", dir, e))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(".snap.tmp"))
        {
            let p = entry.path();
            fs::remove_file(&p).map_err(|e| JournalError::io("removing", &p, e))?;
            removed = true;
        }
    }
    for (_, p) in list_in(dir)?.into_iter().skip(keep) {
        fs::remove_file(&p).map_err(|e| JournalError::io("removing", &p, e))?;
        removed = true;
    }
    if removed {
        sync_dir(dir)?;
    }
    Ok(())
}

/// The snapshot files of `data_dir`, newest (highest seq) first, unchecked.
pub fn list(data_dir: impl AsRef<Path>) -> Result<Vec<(u64, PathBuf)>> {
    list_in(&snapshot_dir(data_dir))
}

fn list_in(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(JournalError::io("listing", dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| JournalError::io("listing", dir, e))?;
        if let Some(seq) = entry.file_name().to_str().and_then(parse_name) {
            out.push((seq, entry.path()));
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.0));
    Ok(out)
}

/// Reads one snapshot file and checks its header and payload checksums.
pub fn read(path: impl AsRef<Path>) -> Result<Snapshot> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| JournalError::io("reading", path, e))?;
    let bad = |defect| JournalError::Snapshot {
        path: path.to_path_buf(),
        defect,
    };
    if bytes.len() < SNAPSHOT_HEADER_LEN {
        return Err(bad(SnapshotDefect::Header("file shorter than the header")));
    }
    let h = &bytes[..SNAPSHOT_HEADER_LEN];
    let u32_at = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    let u64_at = |o: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&h[o..o + 8]);
        u64::from_le_bytes(a)
    };
    if h[0..8] != MAGIC {
        return Err(bad(SnapshotDefect::Header("bad magic")));
    }
    if u32_at(68) != crc32c::crc32c(&h[0..68]) {
        return Err(bad(SnapshotDefect::Header("header checksum mismatch")));
    }
    if u32_at(8) != SNAPSHOT_VERSION || u32_at(12) as usize != SNAPSHOT_HEADER_LEN {
        return Err(bad(SnapshotDefect::Header("unsupported version")));
    }
    let seq = u64_at(16);
    let name_seq = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(parse_name);
    if let Some(name_seq) = name_seq.filter(|&n| n != seq) {
        return Err(bad(SnapshotDefect::Name {
            name_seq,
            header_seq: seq,
        }));
    }
    let payload_len = u64_at(56);
    let actual = (bytes.len() - SNAPSHOT_HEADER_LEN) as u64;
    if payload_len != actual {
        return Err(bad(SnapshotDefect::PayloadLength {
            header: payload_len,
            actual,
        }));
    }
    let stored = u32_at(64);
    let computed = crc32c::crc32c(&bytes[SNAPSHOT_HEADER_LEN..]);
    if stored != computed {
        return Err(bad(SnapshotDefect::PayloadChecksum { stored, computed }));
    }
    let mut state_hash = [0u8; 32];
    state_hash.copy_from_slice(&h[24..56]);
    let mut payload = bytes;
    payload.drain(..SNAPSHOT_HEADER_LEN);
    Ok(Snapshot {
        path: path.to_path_buf(),
        seq,
        state_hash,
        payload,
    })
}

/// The newest snapshot of `data_dir` that passes [`read`]'s checks and
/// `accept`, falling back to older ones (each skip logged with `warn!`).
/// `Ok(None)`: there is no usable snapshot. I/O errors other than on
/// reading a snapshot file end the search.
pub fn load_newest_with<T>(
    data_dir: impl AsRef<Path>,
    mut accept: impl FnMut(&Snapshot) -> std::result::Result<T, SnapshotDefect>,
) -> Result<Option<(Snapshot, T)>> {
    for (_, path) in list(data_dir)? {
        let snap = match read(&path) {
            Ok(s) => s,
            Err(e) => {
                warn!("snapshot: skipping {e}; falling back to an older snapshot");
                continue;
            }
        };
        match accept(&snap) {
            Ok(t) => return Ok(Some((snap, t))),
            Err(defect) => {
                warn!(
                    "snapshot: skipping {}: {defect}; falling back to an older snapshot",
                    path.display()
                );
            }
        }
    }
    Ok(None)
}

/// The newest snapshot of `data_dir` whose checksums pass (see
/// [`load_newest_with`]).
pub fn load_newest(data_dir: impl AsRef<Path>) -> Result<Option<Snapshot>> {
    Ok(load_newest_with(data_dir, |_| Ok(()))?.map(|(s, ())| s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(parse_name(&snapshot_file_name(77)), Some(77));
        assert_eq!(parse_name("snapshot-77.snap"), None);
        assert_eq!(parse_name(&format!("{}.tmp", snapshot_file_name(77))), None);
    }

    #[test]
    fn every_header_byte_is_protected() {
        let t = tempfile::tempdir().unwrap();
        let p = write(t.path(), 9, &[3; 32], b"state", 3).unwrap();
        let good = fs::read(&p).unwrap();
        for i in 0..72 {
            let mut b = good.clone();
            b[i] ^= 0x10;
            fs::write(&p, &b).unwrap();
            assert!(read(&p).is_err(), "flip at {i} accepted");
        }
    }
}
