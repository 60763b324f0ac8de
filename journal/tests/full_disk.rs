//! The journal on a full filesystem (a size-limited tmpfs this test mounts;
//! it needs root and skips with a notice otherwise).
//!
//! What must hold: when no segment can be created for lack of space, the
//! append that needs one returns an error (`ErrorKind::StorageFull`) instead
//! of the process dying of SIGBUS on a write into an unbacked page; the
//! writer is unchanged by the failure, so once space is back the same append
//! succeeds and the journal goes on, intact and contiguous.

use journal::{Journal, JournalConfig, JournalError};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmpfs mounted for the test; unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "NOTICE: full_disk: cannot mount a tmpfs (needs root): skipping the full-disk test"
            );
            return None;
        }
        Some(Tmpfs(path.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` up: returns the filler file.
fn fill(dir: &Path) -> PathBuf {
    let p = dir.join("filler");
    let mut f = std::fs::File::create(&p).unwrap();
    let chunk = vec![0xA5u8; 4096];
    while f.write_all(&chunk).and_then(|_| f.flush()).is_ok() {}
    p
}

/// Waits until the preparer's spare segment has all its blocks.
fn wait_for_spare(jdir: &Path, bytes: u64) {
    let spare = jdir.join("journal-spare.seg.tmp");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if std::fs::metadata(&spare).is_ok_and(|m| m.blocks() * 512 >= bytes) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no spare segment prepared");
}

#[test]
fn a_full_disk_is_an_append_error_and_appends_resume_when_space_is_back() {
    let t = tempfile::tempdir().unwrap();
    let mnt = t.path().join("mnt");
    let Some(_fs) = Tmpfs::mount(&mnt, "4m") else {
        return;
    };
    const SEG: u64 = 1 << 20;
    let mut cfg = JournalConfig::new(&mnt);
    cfg.segment_bytes = SEG;
    let (mut w, _) = Journal::open(cfg).unwrap();
    wait_for_spare(&journal::journal_dir(&mnt), SEG);
    let filler = fill(&mnt);

    // Room for the open segment and the spare: then the next one cannot be made.
    let payload = [7u8; 100];
    let mut seq = 1u64;
    let err = loop {
        match w.append_raw(seq, seq, &payload) {
            Ok(()) => seq += 1,
            Err(e) => break e,
        }
        assert!(seq < 100_000, "a 4 MiB filesystem took {seq} records");
    };
    let JournalError::Io { source, .. } = &err else {
        panic!("expected an I/O error, got {err}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::StorageFull, "{err}");
    assert!(
        err.to_string().contains("No space left"),
        "the error says why: {err}"
    );
    let written = seq - 1;
    assert!(
        written as usize * journal::frame_len(payload.len()) > SEG as usize,
        "the spare segment was used before the error ({written} records)"
    );
    assert_eq!(
        w.next_seq(),
        seq,
        "a failed append leaves the writer as it was"
    );

    // Space is back: the same append succeeds, and the journal rolls on.
    std::fs::remove_file(filler).unwrap();
    for _ in 0..12_000 {
        w.append_raw(seq, seq, &payload).unwrap();
        seq += 1;
    }
    w.close().unwrap();
    let s = journal::verify_framing(&mnt).unwrap();
    assert_eq!(s.records, seq - 1);
    assert_eq!((s.first_seq, s.last_seq), (Some(1), Some(seq - 1)));
    assert!(s.torn_tail.is_none());
    assert!(s.segments >= 3, "{s:?}");
}

#[test]
fn opening_a_journal_on_a_full_disk_is_an_error_not_a_crash() {
    let t = tempfile::tempdir().unwrap();
    let mnt = t.path().join("mnt");
    let Some(_fs) = Tmpfs::mount(&mnt, "2m") else {
        return;
    };
    let filler = fill(&mnt);
    let mut cfg = JournalConfig::new(&mnt);
    cfg.segment_bytes = 1 << 20;
    let err = Journal::open(cfg.clone())
        .err()
        .expect("no room for a segment");
    assert!(err.to_string().contains("No space left"), "{err}");
    std::fs::remove_file(filler).unwrap();
    let (mut w, _) = Journal::open(cfg).expect("opens once there is room");
    w.append_raw(1, 1, b"x").unwrap();
    w.close().unwrap();
}
