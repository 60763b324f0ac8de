//! `replay-bench` as a user runs it, at a tiny size: it exits 0 and prints
//! its `replay` and `recovery` lines. Never a timing assertion.

use std::process::Command;

#[test]
fn replay_bench_prints_replay_and_recovery_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_replay-bench"))
        .args(["--cmds", "3000", "--no-save", "--tmp"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let replay = lines
        .iter()
        .find(|l| l["bench"] == "replay")
        .expect("replay line");
    assert_eq!(replay["cmds"], 3000);
    let recovery = lines
        .iter()
        .find(|l| l["bench"] == "recovery")
        .expect("recovery line");
    assert_eq!(recovery["journaled"], 3000);
    assert_eq!(
        recovery["snapshot_at"], 2700,
        "90% of the journal by default"
    );
}
