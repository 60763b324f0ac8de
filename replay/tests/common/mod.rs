//! Helpers shared by the integration tests: small journals built from the
//! deterministic workload, running the `ringex-replay` binary, and damaging
//! records on disk.
#![allow(dead_code)]

use engine::{Command, Engine, EngineLimits, Event};
use journal::{frame_len, FRAME_HEADER_LEN, SEGMENT_HEADER_LEN};
use replay::workload::{write_journal, Workload, WorkloadParams};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

/// Small segments, so that a few hundred records span several files.
pub const SEGMENT_BYTES: u64 = 16 * 1024;

/// The commands of a small workload.
pub fn commands(seed: u64, n: u64) -> Vec<Command> {
    Workload::new(WorkloadParams::small(seed, n)).collect()
}

/// Journals `cmds` into data directory `dir`.
pub fn journal(dir: &Path, cmds: &[Command]) {
    write_journal(dir, cmds.iter().copied(), Some(SEGMENT_BYTES)).expect("journal written");
}

/// The engine after applying `cmds` directly, with every event.
pub fn apply_all(cmds: &[Command]) -> (Engine, Vec<Vec<Event>>) {
    let mut e = Engine::new(EngineLimits::default());
    let mut all = Vec::new();
    for c in cmds {
        let mut events = Vec::new();
        e.apply(c, &mut events).expect("in sequence");
        all.push(events);
    }
    (e, all)
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The last stdout line, parsed.
    pub fn json(&self) -> Value {
        let line = self
            .stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("no output: {self:?}"));
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    pub fn ok(self) -> Ran {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self
    }
}

fn ran(out: Output) -> Ran {
    Ran {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs `ringex-replay` with `args`.
pub fn tool<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Ran {
    ran(Process::new(env!("CARGO_BIN_EXE_ringex-replay"))
        .args(args)
        .output()
        .expect("ringex-replay runs"))
}

pub fn p(path: &Path) -> String {
    path.display().to_string()
}

pub fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// The segment files of a data directory, in order.
pub fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(journal::journal_dir(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

/// Segment file and byte offset of the frame of `seq`.
pub fn locate(dir: &Path, seq: u64) -> (PathBuf, usize) {
    for path in segment_files(dir) {
        let b = fs::read(&path).unwrap();
        let mut off = SEGMENT_HEADER_LEN;
        while off + FRAME_HEADER_LEN <= b.len() {
            let len = u32::from_le_bytes(b[off..off + 4].try_into().unwrap()) as usize;
            if len == 0 {
                break;
            }
            let s = u64::from_le_bytes(b[off + 8..off + 16].try_into().unwrap());
            if s == seq {
                return (path, off);
            }
            off += frame_len(len);
        }
    }
    panic!("seq {seq} not found");
}

/// Flips one payload byte of the record of `seq` (its checksum then fails);
/// returns the segment file and the frame's offset.
pub fn corrupt(dir: &Path, seq: u64) -> (PathBuf, usize) {
    let (path, off) = locate(dir, seq);
    let mut b = fs::read(&path).unwrap();
    b[off + FRAME_HEADER_LEN + 1] ^= 0x5a;
    fs::write(&path, &b).unwrap();
    (path, off)
}
