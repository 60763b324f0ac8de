//! `verify`: damage in the middle fails and names its place; a torn tail is
//! reported and is not an error.

mod common;
use common::*;

#[test]
fn verify_summarises_an_intact_journal_and_its_snapshots() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(31, 400));
    tool(&["snapshot", &p(t.path()), "--at", "100"]).ok();
    let v = tool(&["verify", &p(t.path())]).ok().json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], 400);
    assert_eq!(v["first_seq"], 1);
    assert_eq!(v["last_seq"], 400);
    let segs = segment_files(t.path()).len() as u64;
    assert!(segs > 1, "the test journal spans segments");
    assert_eq!(v["segments"], segs);
    assert!(v["bytes"].as_u64().unwrap() > 400 * 24);
    assert!(v["torn_tail"].is_null());
    assert_eq!(v["snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(v["snapshots"][0]["seq"], 100);
    assert_eq!(v["damage"].as_array().unwrap().len(), 0);
}

#[test]
fn verify_on_a_corrupted_middle_record_fails_and_names_its_seq() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(32, 400));
    let (segment, offset) = corrupt(t.path(), 257);
    let r = tool(&["verify", &p(t.path())]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("seq 257"), "{}", r.stderr);
    let file = segment.file_name().unwrap().to_str().unwrap();
    assert!(r.stderr.contains(file), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("offset {offset}")),
        "{}",
        r.stderr
    );
    let v = r.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["records"], 256, "the records before the damage");
    assert_eq!(v["damage"][0]["seq"], 257);
    assert_eq!(v["damage"][0]["offset"], offset as u64);

    // Nothing else reads past it either.
    for args in [vec!["run", &p(t.path())], vec!["dump", &p(t.path())]] {
        let r = tool(&args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(r.stderr.contains("seq 257"), "{}", r.stderr);
    }
}

#[test]
fn verify_on_a_torn_tail_reports_it_and_exits_0() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(33, 300));
    let (segment, offset) = corrupt(t.path(), 300);
    let r = tool(&["verify", &p(t.path())]).ok();
    assert!(r.stderr.contains("torn tail"), "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], 299);
    assert_eq!(v["last_seq"], 299);
    assert_eq!(v["torn_tail"]["last_good_seq"], 299);
    assert_eq!(v["torn_tail"]["offset"], offset as u64);
    assert_eq!(v["torn_tail"]["segment"], p(&segment));
    // dump stops before it too, and is not an error.
    let d = tool(&["dump", &p(t.path())]).ok();
    assert_eq!(d.stdout.lines().count(), 299);
}

#[test]
fn verify_flags_a_damaged_snapshot_file() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(34, 200));
    let snap = tool(&["snapshot", &p(t.path()), "--at", "150"]).ok().json();
    let path = std::path::PathBuf::from(snap["path"].as_str().unwrap());
    let mut b = std::fs::read(&path).unwrap();
    let last = b.len() - 1;
    b[last] ^= 1;
    std::fs::write(&path, &b).unwrap();
    let r = tool(&["verify", &p(t.path())]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains(path.file_name().unwrap().to_str().unwrap()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("checksum"), "{}", r.stderr);
    // run falls back to scratch with a warning, and still gets the state right.
    let run = tool(&["run", &p(t.path())]).ok();
    assert!(run.stderr.contains("skipping snapshot"), "{}", run.stderr);
    assert_eq!(run.json()["cmds"], 200);
}
