//! `snapshot --at`: an offline snapshot that recovery then starts from, and
//! that never costs an existing snapshot.

mod common;
use common::*;

#[test]
fn snapshot_at_writes_a_file_that_recovery_then_uses() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(51, 400);
    journal(t.path(), &cmds);
    let v = tool(&["snapshot", &p(t.path()), "--at", "333"]).ok().json();
    assert_eq!(v["seq"], 333);
    let want = hex(&apply_all(&cmds[..333]).0.state_hash());
    assert_eq!(v["state_hash"], want.as_str());
    let path = std::path::PathBuf::from(v["path"].as_str().unwrap());
    assert!(path.starts_with(journal::snapshot::snapshot_dir(t.path())));
    assert!(path.exists());

    let rec =
        journal::recovery::recover(t.path(), engine::EngineLimits::default()).expect("recovers");
    assert_eq!(rec.snapshot_seq, Some(333));
    assert_eq!(rec.snapshot_path.as_deref(), Some(path.as_path()));
    assert_eq!(rec.replayed, 67);
    assert_eq!(rec.last_seq, 400);
    assert_eq!(rec.engine.state_hash(), apply_all(&cmds).0.state_hash());
}

#[test]
fn snapshot_keeps_every_existing_snapshot() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(52, 200));
    for at in ["190", "180", "170", "160", "10"] {
        tool(&["snapshot", &p(t.path()), "--at", at]).ok();
    }
    let seqs: Vec<u64> = journal::snapshot::list(t.path())
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(seqs, vec![190, 180, 170, 160, 10]);
    // Rewriting one gives the same bytes.
    let before = std::fs::read(&journal::snapshot::list(t.path()).unwrap()[2].1).unwrap();
    tool(&["snapshot", &p(t.path()), "--at", "170"]).ok();
    let after = std::fs::read(&journal::snapshot::list(t.path()).unwrap()[2].1).unwrap();
    assert_eq!(before, after);
}

#[test]
fn snapshot_beyond_the_journal_is_refused() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(53, 50));
    let r = tool(&["snapshot", &p(t.path()), "--at", "60"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(journal::snapshot::list(t.path()).unwrap().is_empty());
}
