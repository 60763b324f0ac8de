//! `journal-bench` as a user runs it, at a tiny size: it exits 0, prints a
//! line per durability x prefault case plus the read-and-verify line, and
//! appends the same lines to `--out`. Never a timing assertion.

use std::process::Command;

#[test]
fn journal_bench_prints_and_appends_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("journal.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_journal-bench"))
        .args([
            "--records",
            "2000",
            "--fsync-records",
            "200",
            "--segment-mib",
            "1",
        ])
        .arg("--dir")
        .arg(dir.path())
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with('{')).collect();
    let appends = lines
        .iter()
        .filter(|l| l.contains("\"bench\":\"journal_append\""))
        .count();
    assert_eq!(appends, 4, "os/fsync x prefault on/off:\n{stdout}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"bench\":\"journal_read_verify\"")
                && l.contains("\"records\":2000")),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(written.lines().count(), lines.len());
}
