//! Opening a data directory for reading.
//!
//! What it owns: the decision that `DIR` holds a journal at all. The
//! journal crate reads a missing directory as an empty journal (right for a
//! server starting fresh, wrong for an operator who mistyped a path), so
//! every command goes through [`open`] first and gets a clear
//! "no journal at DIR" (exit 2) instead of an empty answer.
//!
//! What it must never do: create, modify or delete anything.

use crate::error::Failure;
use std::fs;
use std::path::{Path, PathBuf};

/// A data directory known to hold at least one journal segment file.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
    segments: usize,
}

impl DataDir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Segment files found when the directory was opened.
    pub fn segment_files(&self) -> usize {
        self.segments
    }
}

fn is_segment_name(name: &str) -> bool {
    name.strip_prefix("journal-")
        .and_then(|r| r.strip_suffix(".seg"))
        .is_some_and(|d| d.len() == 20 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `dir` if it holds `journal/journal-<seq>.seg` files; otherwise a usage
/// failure saying "no journal at DIR" and why.
pub fn open(dir: &Path) -> Result<DataDir, Failure> {
    let none = |why: String| Failure::usage(format!("no journal at {} ({why})", dir.display()));
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(none("not a directory".into())),
        Err(e) => return Err(none(e.to_string())),
    }
    let jdir = journal::journal_dir(dir);
    let rd = match fs::read_dir(&jdir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(none("it has no journal/ directory".into()))
        }
        Err(e) => {
            return Err(Failure::Io(format!("listing {}: {e}", jdir.display())));
        }
    };
    let mut segments = 0;
    for entry in rd {
        let entry = entry.map_err(|e| Failure::Io(format!("listing {}: {e}", jdir.display())))?;
        if entry.file_name().to_str().is_some_and(is_segment_name) {
            segments += 1;
        }
    }
    if segments == 0 {
        return Err(none("journal/ holds no segment files".into()));
    }
    Ok(DataDir {
        path: dir.to_path_buf(),
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_are_recognised() {
        assert!(is_segment_name(&journal::segment_file_name(1)));
        assert!(!is_segment_name("journal-spare.seg.tmp"));
        assert!(!is_segment_name("journal-1.seg"));
    }

    #[test]
    fn a_missing_or_empty_directory_is_no_journal() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("nope");
        let e = open(&missing).unwrap_err();
        assert!(e.to_string().starts_with("no journal at"), "{e}");
        assert_eq!(e.exit_code(), 2);
        fs::create_dir_all(t.path().join("journal")).unwrap();
        let e = open(t.path()).unwrap_err();
        assert!(e.to_string().contains("no segment files"), "{e}");
    }
}
