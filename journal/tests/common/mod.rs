//! Helpers shared by the journal's integration tests.
#![allow(dead_code)]

use engine::{Command, CommandKind, Name};
use journal::{
    Durability, Journal, JournalConfig, JournalWriter, FRAME_HEADER_LEN, SEGMENT_HEADER_LEN,
};
use std::fs;
use std::path::{Path, PathBuf};

pub const PAYLOAD_LEN: usize = 64;
pub const FRAME: usize = FRAME_HEADER_LEN + PAYLOAD_LEN;

/// A 64-byte opaque payload with no zero byte, different for every `seq`
/// and `salt`.
pub fn payload(seq: u64, salt: u8) -> [u8; PAYLOAD_LEN] {
    let mut p = [0u8; PAYLOAD_LEN];
    for (i, b) in p.iter_mut().enumerate() {
        *b = ((seq as usize * 7 + i * 13 + salt as usize * 101) % 255) as u8 + 1;
    }
    p
}

pub fn config(
    dir: &Path,
    segment_bytes: u64,
    prefault: bool,
    durability: Durability,
) -> JournalConfig {
    JournalConfig {
        segment_bytes,
        prefault,
        durability,
        ..JournalConfig::new(dir)
    }
}

pub fn small(dir: &Path) -> JournalConfig {
    config(dir, 64 * 1024, false, Durability::Os)
}

pub fn open(cfg: &JournalConfig) -> JournalWriter {
    let (w, report) = Journal::open(cfg.clone()).expect("open");
    assert!(
        report.torn_tail.is_none(),
        "unexpected torn tail: {:?}",
        report.torn_tail
    );
    w
}

/// Appends opaque records `w.next_seq()..=last` with `payload(seq, salt)`.
pub fn append_raw_upto(w: &mut JournalWriter, last: u64, salt: u8) {
    while w.next_seq() <= last {
        let seq = w.next_seq();
        w.append_raw(seq, seq * 1000, &payload(seq, salt))
            .expect("append");
    }
    w.flush_batch().expect("flush");
}

/// Every record as (seq, ts_ns, payload), framing checked.
pub fn read_raw(dir: &Path) -> Vec<(u64, u64, Vec<u8>)> {
    let mut r = journal::read_records(dir, 0).expect("reader");
    let mut out = Vec::new();
    while let Some(rec) = r.next_raw() {
        let rec = rec.expect("record");
        out.push((rec.seq, rec.ts_ns, rec.payload.to_vec()));
    }
    out
}

pub fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(journal::journal_dir(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

/// Byte offset of the frame of `seq` in its segment, for journals written
/// with 64-byte payloads into segments starting at `first_seq`.
pub fn frame_offset(first_seq: u64, seq: u64) -> usize {
    SEGMENT_HEADER_LEN + (seq - first_seq) as usize * FRAME
}

/// Copies a data directory (journal and snapshots) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for sub in ["journal", "snapshots"] {
        let src = from.join(sub);
        if !src.exists() {
            continue;
        }
        fs::create_dir_all(to.join(sub)).unwrap();
        for e in fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), to.join(sub).join(e.file_name())).unwrap();
        }
    }
}

/// A command the real engine accepts: a new asset, unique per `seq`.
pub fn add_asset(seq: u64) -> Command {
    Command {
        seq,
        ts_ns: 1_700_000_000_000_000_000 + seq,
        kind: CommandKind::AddAsset {
            asset: Name::new(&format!("AS{seq}")).unwrap(),
            scale: 8,
        },
    }
}

pub fn flip(path: &Path, offset: usize) {
    let mut b = fs::read(path).unwrap();
    b[offset] ^= 0xFF;
    fs::write(path, b).unwrap();
}

pub fn zero(path: &Path, range: std::ops::Range<usize>) {
    let mut b = fs::read(path).unwrap();
    b[range].fill(0);
    fs::write(path, b).unwrap();
}
