//! Recovery: newest valid snapshot, then the journal after it, through the
//! engine. The journals hold only `AddAsset` commands (one new asset each),
//! which the engine accepts.

mod common;

use common::*;
use engine::{Engine, EngineLimits};
use journal::recovery::{self, open_and_recover, recover};
use journal::JournalError;
use std::fs;
use std::path::Path;

fn journal_commands(dir: &Path, from: u64, to: u64) {
    let (mut w, _) = journal::Journal::open(small(dir)).unwrap();
    assert_eq!(w.next_seq(), from);
    for seq in from..=to {
        w.append(&add_asset(seq)).unwrap();
    }
    w.close().unwrap();
}

/// An engine that applied `1..=to` directly.
fn direct(to: u64) -> Engine {
    let mut e = Engine::new(EngineLimits::default());
    let mut ev = Vec::new();
    for seq in 1..=to {
        e.apply(&add_asset(seq), &mut ev).unwrap();
        ev.clear();
    }
    e
}

#[test]
fn recovering_an_empty_data_dir_gives_a_fresh_engine() {
    let t = tempfile::tempdir().unwrap();
    let r = recover(t.path(), EngineLimits::default()).unwrap();
    assert_eq!(
        (r.snapshot_seq, r.replayed, r.last_seq, r.torn_tail),
        (None, 0, 0, None)
    );
    let (w, report, r) = open_and_recover(small(t.path()), EngineLimits::default()).unwrap();
    assert_eq!(
        (w.next_seq(), report.summary.records, r.last_seq),
        (1, 0, 0)
    );
}

#[test]
fn recovery_refuses_damage_before_applying_anything() {
    let t = tempfile::tempdir().unwrap();
    journal_commands(t.path(), 1, 20);
    let seg = &segment_files(t.path())[0];
    flip(seg, journal::SEGMENT_HEADER_LEN + 30);
    match recover(t.path(), EngineLimits::default()) {
        Err(JournalError::Corrupt {
            seq: 1,
            next_valid_seq: Some(2),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn recovery_without_a_snapshot_needs_the_journal_from_seq_1() {
    let t = tempfile::tempdir().unwrap();
    let mut w = open(&config(t.path(), 4096, false, journal::Durability::Os));
    for seq in 1..=100 {
        w.append(&add_asset(seq)).unwrap();
    }
    w.close().unwrap();
    fs::remove_file(&segment_files(t.path())[0]).unwrap();
    match recover(t.path(), EngineLimits::default()) {
        Err(JournalError::Missing { wanted: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn recovery_replays_the_whole_journal_without_a_snapshot() {
    let t = tempfile::tempdir().unwrap();
    journal_commands(t.path(), 1, 100);
    let r = recover(t.path(), EngineLimits::default()).unwrap();
    assert_eq!((r.snapshot_seq, r.replayed, r.last_seq), (None, 100, 100));
    assert_eq!(r.engine.last_seq(), 100);
    assert_eq!(r.engine.state_hash(), direct(100).state_hash());
}

#[test]
fn recovery_starts_from_the_newest_snapshot_and_replays_the_rest() {
    let t = tempfile::tempdir().unwrap();
    journal_commands(t.path(), 1, 50);
    recovery::write_snapshot(t.path(), &direct(50), 3).unwrap();
    journal_commands(t.path(), 51, 120);
    let r = recover(t.path(), EngineLimits::default()).unwrap();
    assert_eq!(
        (r.snapshot_seq, r.replayed, r.last_seq),
        (Some(50), 70, 120)
    );
    assert_eq!(r.engine.state_hash(), direct(120).state_hash());
}

#[test]
fn a_damaged_newest_snapshot_makes_recovery_use_the_previous_one() {
    let t = tempfile::tempdir().unwrap();
    journal_commands(t.path(), 1, 100);
    recovery::write_snapshot(t.path(), &direct(40), 3).unwrap();
    let newest = recovery::write_snapshot(t.path(), &direct(80), 3).unwrap();
    let mut b = fs::read(&newest).unwrap();
    let last = b.len() - 1;
    b[last] ^= 1;
    fs::write(&newest, b).unwrap();
    let r = recover(t.path(), EngineLimits::default()).unwrap();
    assert_eq!(
        (r.snapshot_seq, r.replayed, r.last_seq),
        (Some(40), 60, 100)
    );
    assert_eq!(r.engine.state_hash(), direct(100).state_hash());
}

#[test]
fn a_snapshot_ahead_of_the_journal_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    journal_commands(t.path(), 1, 40);
    recovery::write_snapshot(t.path(), &direct(50), 3).unwrap();
    match recover(t.path(), EngineLimits::default()) {
        Err(JournalError::SnapshotAheadOfJournal {
            snapshot_seq: 50,
            journal_next_seq: 41,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn open_and_recover_cuts_a_torn_tail_and_continues() {
    let t = tempfile::tempdir().unwrap();
    journal_commands(t.path(), 1, 30);
    let seg = &segment_files(t.path())[0];
    let len = fs::metadata(seg).unwrap().len();
    // Tear the last record: find its end by reading, then damage its last byte.
    let summary = journal::verify(t.path()).unwrap();
    let end = journal::SEGMENT_HEADER_LEN as u64 + summary.bytes;
    assert!(end < len);
    let last_frame = summary.bytes / 30;
    flip(seg, (end - last_frame + 30) as usize);

    // Read-only recovery reports the tail and leaves it.
    let r = recover(t.path(), EngineLimits::default()).unwrap();
    assert_eq!((r.replayed, r.last_seq), (29, 29));
    assert_eq!(
        r.torn_tail.as_ref().map(|t| t.last_good_seq),
        Some(Some(29))
    );

    let (mut w, report, r) = open_and_recover(small(t.path()), EngineLimits::default()).unwrap();
    assert!(report.torn_tail.is_some());
    assert_eq!(
        (r.last_seq, r.torn_tail.is_none(), w.next_seq()),
        (29, true, 30)
    );
    w.append(&add_asset(30)).unwrap();
    w.close().unwrap();
    assert_eq!(
        recover(t.path(), EngineLimits::default()).unwrap().last_seq,
        30
    );
}
