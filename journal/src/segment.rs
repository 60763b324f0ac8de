//! Segment files: names, listing, memory maps, creation and prefaulting.
//!
//! What holds:
//! - A segment is named `journal-<first_seq, 20 digits>.seg`, so names sort
//!   by sequence. A segment being prepared is `journal-spare.seg.tmp` until
//!   the writer gives it its header and renames it; `*.tmp` files are never
//!   part of the journal.
//! - A segment file is created at its full size and never shrinks while it
//!   is mapped; this crate only extends a short file (when repairing a torn
//!   tail) or deletes whole files.
//!
//! What it must never do: map a file that this crate may shrink, or touch
//! (prefault) bytes that could hold written records.

use crate::error::{JournalError, Result};
use crate::format::PAGE;
use memmap2::{Mmap, MmapMut};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

pub(crate) const SPARE_NAME: &str = "journal-spare.seg.tmp";

/// File name of the segment whose first record is `first_seq`.
pub fn segment_file_name(first_seq: u64) -> String {
    format!("journal-{first_seq:020}.seg")
}

/// Parses a segment file name back to its first sequence number.
pub(crate) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("journal-")?.strip_suffix(".seg")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[derive(Debug, Clone)]
pub(crate) struct SegmentFile {
    pub path: PathBuf,
    pub name_seq: u64,
}

/// The segment files of `journal_dir`, sorted by first sequence number. A
/// missing directory is an empty journal.
pub(crate) fn list_segments(journal_dir: &Path) -> Result<Vec<SegmentFile>> {
    let rd = match fs::read_dir(journal_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(JournalError::io("listing", journal_dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| JournalError::io("listing", journal_dir, e))?;
        let name = entry.file_name();
        if let Some(seq) = name.to_str().and_then(parse_segment_name) {
            out.push(SegmentFile {
                path: entry.path(),
                name_seq: seq,
            });
        }
    }
    out.sort_by_key(|s| s.name_seq);
    Ok(out)
}

/// Removes leftover `*.tmp` files (spares of an earlier run).
pub(crate) fn remove_temp_files(journal_dir: &Path) -> Result<()> {
    let rd = fs::read_dir(journal_dir).map_err(|e| JournalError::io("listing", journal_dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| JournalError::io("listing", journal_dir, e))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(".tmp"))
        {
            let p = entry.path();
            fs::remove_file(&p).map_err(|e| JournalError::io("removing", &p, e))?;
        }
    }
    Ok(())
}

/// Maps a segment file read-only.
pub(crate) fn map_read(file: &File, path: &Path) -> Result<Mmap> {
    // SAFETY: `Mmap::map` is unsafe because the returned slice assumes the
    // file does not change or shrink while mapped. This crate never shrinks a
    // segment file (it only extends a short one in `Journal::open` before
    // any mapping of it exists, and deletes whole files, which keeps existing
    // mappings valid). Changes by anything else, including a `JournalWriter`
    // appending to the same directory while this mapping is read, are
    // excluded by the crate's documented contract: one writer per directory,
    // no reader concurrent with it, no other program touching the files.
    unsafe { Mmap::map(file) }.map_err(|e| JournalError::io("mapping", path, e))
}

/// Maps a segment file read-write (shared: writes go to the file).
pub(crate) fn map_write(file: &File, path: &Path) -> Result<MmapMut> {
    // SAFETY: as for `map_read`: segment files never shrink while mapped, and
    // the documented contract gives the single `JournalWriter` (or the repair
    // in `Journal::open`, before the writer exists) the only access to the
    // file while this mapping lives. The flusher's second mapping of the same
    // file is a `MmapRaw` used only for msync, never dereferenced.
    unsafe { MmapMut::map_mut(file) }.map_err(|e| JournalError::io("mapping", path, e))
}

/// A preallocated, mapped segment file that has no header yet.
pub(crate) struct Spare {
    pub file: File,
    pub map: MmapMut,
    pub path: PathBuf,
}

/// Creates `journal_dir/journal-spare.seg.tmp` of `bytes` bytes, maps it and,
/// when `prefault`, writes one zero byte into every page so the first real
/// write into each page does not take a page fault.
pub(crate) fn create_spare(journal_dir: &Path, bytes: u64, prefault: bool) -> Result<Spare> {
    let path = journal_dir.join(SPARE_NAME);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(JournalError::io("removing", &path, e))
        }
        _ => {}
    }
    // A new file rather than a truncated one: ext4 flushes every dirty page
    // of a file that was truncated to zero when it is closed, which would
    // stall whoever closes a finished segment.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| JournalError::io("creating", &path, e))?;
    file.set_len(bytes)
        .map_err(|e| JournalError::io("sizing", &path, e))?;
    if let Err(e) = allocate(&file, bytes, &path) {
        // Give back whatever part was allocated: the disk is full.
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    let mut map = map_write(&file, &path)?;
    if prefault {
        prefault_from(&mut map, 0);
    }
    Ok(Spare { file, map, path })
}

/// Reserves every block of `file` (`len` bytes) on the filesystem. A
/// segment is written through a shared mapping, and a store into a page the
/// filesystem cannot back (disk full) is a SIGBUS that kills the process;
/// with the blocks reserved up front, a full disk is an ordinary error
/// (`ErrorKind::StorageFull`) when a segment is created or opened instead.
/// Where `posix_fallocate` is not available the file stays sparse.
pub(crate) fn allocate(file: &File, len: u64, path: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let len = libc::off_t::try_from(len)
            .map_err(|_| JournalError::Config(format!("segment of {len} bytes is too large")))?;
        // SAFETY: a plain system call on a file descriptor `file` owns.
        let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
        if rc != 0 {
            return Err(JournalError::io(
                "allocating",
                path,
                std::io::Error::from_raw_os_error(rc),
            ));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, len, path);
    Ok(())
}

/// Writes a zero into every page of `map` from the page holding `from` on.
/// The bytes from `from` on must already be zero (unwritten space).
/// Yields the CPU after every 1 MiB, so that when this runs on a background
/// thread that preempted the writer, the writer gets its CPU back quickly.
pub(crate) fn prefault_from(map: &mut [u8], from: usize) {
    let mut p = from;
    while p < map.len() {
        map[p] = 0;
        p = (p / PAGE + 1) * PAGE;
        if p & (YIELD_EVERY - 1) == 0 {
            std::thread::yield_now();
        }
    }
}

/// Background work is done in slices of this many bytes, yielding between.
pub(crate) const YIELD_EVERY: usize = 1 << 20;

/// Makes directory entry changes (create, rename, remove) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io("syncing directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_seq_and_parse_back() {
        let a = segment_file_name(9);
        let b = segment_file_name(10);
        assert_eq!(a, "journal-00000000000000000009.seg");
        assert!(a < b);
        assert_eq!(parse_segment_name(&b), Some(10));
        assert_eq!(parse_segment_name(SPARE_NAME), None);
        assert_eq!(parse_segment_name("journal-1.seg"), None);
        assert_eq!(
            parse_segment_name(&segment_file_name(u64::MAX)),
            Some(u64::MAX)
        );
    }
}
