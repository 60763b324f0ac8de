//! Where benchmark results go: one JSON object per line, printed on stdout
//! and appended to `target/bench-results/<bench>.jsonl`.
//!
//! What holds: a line is written whole or not at all (one `write_all` of the
//! serialized line and its newline on a file opened for appending), so two
//! runs appending to the same file never interleave inside a line. The
//! directory is the workspace's target directory (`CARGO_TARGET_DIR` when
//! set at run time) unless the caller gives another.

use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `<workspace>/target/bench-results`, or under `CARGO_TARGET_DIR` when set.
pub fn default_results_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target.join("bench-results")
}

/// Seconds since the Unix epoch, to tell runs apart in a results file.
pub fn unix_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Prints lines and appends them to a results file (when one is open).
pub struct ResultsWriter {
    file: Option<File>,
    path: Option<PathBuf>,
}

impl ResultsWriter {
    /// Appends to `<dir>/<bench>.jsonl`, creating the directory.
    pub fn open(dir: &Path, bench: &str) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.canonicalize()?.join(format!("{bench}.jsonl"));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(ResultsWriter {
            file: Some(file),
            path: Some(path),
        })
    }

    /// Prints only.
    pub fn stdout_only() -> Self {
        ResultsWriter {
            file: None,
            path: None,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn line(&mut self, v: &Value) -> io::Result<()> {
        let mut s = v.to_string();
        println!("{s}");
        if let Some(f) = self.file.as_mut() {
            s.push('\n');
            f.write_all(s.as_bytes())?;
        }
        Ok(())
    }
}
