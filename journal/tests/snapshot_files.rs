//! Snapshot files: written atomically, only the newest N kept, and a damaged
//! newest snapshot falls back to the one before it.

use journal::snapshot::{self, DEFAULT_KEEP, SNAPSHOT_HEADER_LEN};
use journal::{JournalError, SnapshotDefect};
use std::fs;
use std::path::Path;

fn state(seq: u64) -> Vec<u8> {
    (0..1000u64).map(|i| (i * 31 + seq) as u8).collect()
}

fn hash(seq: u64) -> [u8; 32] {
    [seq as u8; 32]
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(snapshot::snapshot_dir(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn a_written_snapshot_reads_back_exactly() {
    let t = tempfile::tempdir().unwrap();
    let p = snapshot::write(t.path(), 1234, &hash(7), &state(1234), DEFAULT_KEEP).unwrap();
    assert_eq!(
        p,
        snapshot::snapshot_dir(t.path()).join(snapshot::snapshot_file_name(1234))
    );
    assert_eq!(names(t.path()), vec![snapshot::snapshot_file_name(1234)]);
    let s = snapshot::load_newest(t.path()).unwrap().unwrap();
    assert_eq!(
        (s.seq, s.state_hash, s.payload, s.path),
        (1234, hash(7), state(1234), p)
    );
}

#[test]
fn an_empty_payload_is_a_valid_snapshot() {
    let t = tempfile::tempdir().unwrap();
    snapshot::write(t.path(), 1, &hash(1), &[], 3).unwrap();
    assert_eq!(
        snapshot::load_newest(t.path()).unwrap().unwrap().payload,
        Vec::<u8>::new()
    );
}

#[test]
fn only_the_newest_n_are_kept() {
    let t = tempfile::tempdir().unwrap();
    for seq in [10, 20, 30, 40, 50] {
        snapshot::write(t.path(), seq, &hash(seq), &state(seq), 3).unwrap();
    }
    let want: Vec<String> = [30, 40, 50]
        .iter()
        .map(|&s| snapshot::snapshot_file_name(s))
        .collect();
    assert_eq!(names(t.path()), want);
    snapshot::write(t.path(), 60, &hash(60), &state(60), 1).unwrap();
    assert_eq!(names(t.path()), vec![snapshot::snapshot_file_name(60)]);
    // keep = 0 still keeps the one just written.
    snapshot::write(t.path(), 70, &hash(70), &state(70), 0).unwrap();
    assert_eq!(names(t.path()), vec![snapshot::snapshot_file_name(70)]);
    let listed: Vec<u64> = snapshot::list(t.path())
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(listed, vec![70]);
}

#[test]
fn a_damaged_newest_snapshot_falls_back_to_the_previous_one() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 5] = [
        ("payload byte flipped", |p| {
            let mut b = fs::read(p).unwrap();
            b[SNAPSHOT_HEADER_LEN + 500] ^= 1;
            fs::write(p, b).unwrap();
        }),
        ("header byte flipped", |p| {
            let mut b = fs::read(p).unwrap();
            b[20] ^= 1;
            fs::write(p, b).unwrap();
        }),
        ("truncated", |p| {
            let b = fs::read(p).unwrap();
            fs::write(p, &b[..b.len() - 1]).unwrap();
        }),
        ("shorter than a header", |p| {
            fs::write(p, b"RINGEXS1").unwrap()
        }),
        ("empty", |p| fs::write(p, b"").unwrap()),
    ];
    for (what, damage) in damages {
        let t = tempfile::tempdir().unwrap();
        snapshot::write(t.path(), 100, &hash(100), &state(100), 3).unwrap();
        snapshot::write(t.path(), 200, &hash(200), &state(200), 3).unwrap();
        let newest = snapshot::write(t.path(), 300, &hash(300), &state(300), 3).unwrap();
        damage(&newest);
        assert!(
            matches!(snapshot::read(&newest), Err(JournalError::Snapshot { .. })),
            "{what}"
        );
        let s = snapshot::load_newest(t.path()).unwrap().unwrap();
        assert_eq!((s.seq, s.payload), (200, state(200)), "{what}");
    }
}

#[test]
fn a_snapshot_the_caller_rejects_falls_back_too() {
    let t = tempfile::tempdir().unwrap();
    snapshot::write(t.path(), 1, &hash(1), &state(1), 3).unwrap();
    snapshot::write(t.path(), 2, &hash(2), &state(2), 3).unwrap();
    let (s, tag) = snapshot::load_newest_with(t.path(), |s| {
        if s.seq == 2 {
            Err(SnapshotDefect::StateHash)
        } else {
            Ok("accepted")
        }
    })
    .unwrap()
    .unwrap();
    assert_eq!((s.seq, tag), (1, "accepted"));
}

#[test]
fn all_snapshots_damaged_means_none() {
    let t = tempfile::tempdir().unwrap();
    assert!(snapshot::load_newest(t.path()).unwrap().is_none());
    let p = snapshot::write(t.path(), 5, &hash(5), &state(5), 3).unwrap();
    fs::write(&p, b"garbage").unwrap();
    assert!(snapshot::load_newest(t.path()).unwrap().is_none());
}

#[test]
fn a_crash_mid_write_leaves_the_previous_snapshot_in_charge() {
    // What an interrupted write leaves: a partial temp file, never a partial
    // `.snap`.
    let t = tempfile::tempdir().unwrap();
    snapshot::write(t.path(), 10, &hash(10), &state(10), 3).unwrap();
    let tmp =
        snapshot::snapshot_dir(t.path()).join(format!("{}.tmp", snapshot::snapshot_file_name(20)));
    fs::write(&tmp, &state(20)[..100]).unwrap();
    assert_eq!(snapshot::load_newest(t.path()).unwrap().unwrap().seq, 10);
    // The next write cleans it up.
    snapshot::write(t.path(), 30, &hash(30), &state(30), 3).unwrap();
    assert!(!tmp.exists());
    assert_eq!(
        names(t.path()),
        vec![
            snapshot::snapshot_file_name(10),
            snapshot::snapshot_file_name(30)
        ]
    );
}

#[test]
fn rewriting_the_same_seq_replaces_the_file_whole() {
    let t = tempfile::tempdir().unwrap();
    snapshot::write(t.path(), 10, &hash(1), &state(1), 3).unwrap();
    snapshot::write(t.path(), 10, &hash(2), &state(2), 3).unwrap();
    let s = snapshot::load_newest(t.path()).unwrap().unwrap();
    assert_eq!((s.state_hash, s.payload), (hash(2), state(2)));
    assert_eq!(names(t.path()).len(), 1);
}

#[test]
fn a_renamed_snapshot_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let p = snapshot::write(t.path(), 10, &hash(1), &state(1), 3).unwrap();
    let q = p.with_file_name(snapshot::snapshot_file_name(11));
    fs::rename(&p, &q).unwrap();
    assert!(matches!(
        snapshot::read(&q),
        Err(JournalError::Snapshot {
            defect: SnapshotDefect::Name {
                name_seq: 11,
                header_seq: 10
            },
            ..
        })
    ));
}
