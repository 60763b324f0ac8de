//! Where the shared real-data files are, and what to do when they are not.
//!
//! What holds: data lives in `../shared/data` beside the repository (found
//! from this crate's manifest directory at build time) unless a `--data DIR`
//! flag says otherwise. A missing file is never an error for a benchmark or a
//! test: the caller prints [`notice_missing`] and skips that flow.

use std::path::{Path, PathBuf};

/// `<repo>/../shared/data`, as seen from this crate at build time.
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// The LOBSTER AMZN message file inside `data_dir`.
pub fn lobster_messages(data_dir: &Path) -> PathBuf {
    data_dir.join("lobster/AMZN_2012-06-21_34200000_57600000_message_1.csv")
}

/// The ITCH 5.0 sample inside `data_dir`.
pub fn itch_sample(data_dir: &Path) -> PathBuf {
    data_dir.join("itch/ex20101224.TEST_ITCH_50.gz")
}

/// Prints, on stderr, that `what` is skipped because `path` is absent.
pub fn notice_missing(what: &str, path: &Path) {
    eprintln!(
        "NOTICE: {what} skipped: data file {} not found (expected under ../shared/data; pass --data DIR)",
        path.display()
    );
}
