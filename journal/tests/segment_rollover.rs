//! Small segments: records roll over into new segment files named by their
//! first sequence number, and read back in order across them, with
//! prefaulting on and off and in both durability modes.

mod common;

use common::*;
use journal::{Durability, Journal, JournalConfig, JournalError, SEGMENT_HEADER_LEN};
use std::fs;

const SEG: u64 = 4096;
const PER_SEGMENT: u64 = ((SEG as usize - SEGMENT_HEADER_LEN) / FRAME) as u64; // 45

fn roll_and_read(prefault: bool, durability: Durability) {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), SEG, prefault, durability);
    let n = PER_SEGMENT * 6 + 7;
    let mut w = open(&cfg);
    // Batches of 10 with a flush after each, like the engine's input loop.
    while w.next_seq() <= n {
        let last = (w.next_seq() + 9).min(n);
        append_raw_upto(&mut w, last, 0);
    }
    assert_eq!(w.last_seq(), n);
    assert_eq!(
        w.segment_path().file_name().unwrap().to_str().unwrap(),
        journal::segment_file_name(6 * PER_SEGMENT + 1)
    );
    w.close().unwrap();

    let names: Vec<String> = segment_files(t.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = (0..7)
        .map(|i| journal::segment_file_name(i * PER_SEGMENT + 1))
        .collect();
    assert_eq!(names, want);
    for p in segment_files(t.path()) {
        assert_eq!(fs::metadata(&p).unwrap().len(), SEG, "{}", p.display());
    }
    // Nothing but segments is left behind after close.
    assert_eq!(
        fs::read_dir(journal::journal_dir(t.path()))
            .unwrap()
            .count(),
        7
    );

    let recs = read_raw(t.path());
    assert_eq!(recs.len() as u64, n);
    for (i, (seq, _, p)) in recs.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
        assert_eq!(p[..], payload(*seq, 0)[..]);
    }
    let s = journal::verify_framing(t.path()).unwrap();
    assert_eq!(
        (s.records, s.segments, s.first_seq, s.last_seq),
        (n, 7, Some(1), Some(n))
    );
    assert_eq!(s.bytes, n * FRAME as u64);
    assert_eq!(s.torn_tail, None);

    // Reading from the middle of a later segment, and from a segment start.
    for from in [
        1,
        2,
        PER_SEGMENT,
        PER_SEGMENT + 1,
        3 * PER_SEGMENT + 17,
        n,
        n + 1,
    ] {
        let mut r = journal::read_records(t.path(), from).unwrap();
        let mut seqs = Vec::new();
        while let Some(rec) = r.next_raw() {
            seqs.push(rec.unwrap().seq);
        }
        assert_eq!(seqs, (from..=n).collect::<Vec<_>>(), "from {from}");
        assert_eq!(r.next_seq(), Some(n + 1));
    }

    // Reopening continues in the last segment, and rolls on from there.
    let mut w = open(&cfg);
    assert_eq!(w.next_seq(), n + 1);
    append_raw_upto(&mut w, n + PER_SEGMENT, 0);
    w.close().unwrap();
    assert_eq!(segment_files(t.path()).len(), 8);
    assert_eq!(
        journal::verify_framing(t.path()).unwrap().last_seq,
        Some(n + PER_SEGMENT)
    );
}

#[test]
fn records_roll_over_and_read_back_with_prefault_in_os_mode() {
    roll_and_read(true, Durability::Os);
}

#[test]
fn records_roll_over_and_read_back_without_prefault_in_os_mode() {
    roll_and_read(false, Durability::Os);
}

#[test]
fn records_roll_over_and_read_back_with_prefault_in_fsync_mode() {
    roll_and_read(true, Durability::Fsync);
}

#[test]
fn records_roll_over_and_read_back_without_prefault_in_fsync_mode() {
    roll_and_read(false, Durability::Fsync);
}

#[test]
fn commands_round_trip_across_segments() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), SEG, true, Durability::Fsync);
    let mut w = open(&cfg);
    for seq in 1..=200 {
        w.append(&add_asset(seq)).unwrap();
        if seq % 16 == 0 {
            w.flush_batch().unwrap();
        }
    }
    w.close().unwrap();
    assert!(segment_files(t.path()).len() > 2);
    let recs: Vec<_> = journal::read_records(t.path(), 0)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(recs.len(), 200);
    for r in &recs {
        assert_eq!(r.command, add_asset(r.seq));
        assert_eq!(r.ts_ns, r.command.ts_ns);
    }
    let s = journal::verify(t.path()).unwrap();
    assert_eq!((s.records, s.last_seq), (200, Some(200)));
}

#[test]
fn many_reopens_continue_the_sequence() {
    let t = tempfile::tempdir().unwrap();
    for round in 0..12u64 {
        let cfg = config(t.path(), SEG, round % 2 == 0, Durability::Os);
        let mut w = open(&cfg);
        assert_eq!(w.next_seq(), round * 10 + 1);
        append_raw_upto(&mut w, round * 10 + 10, 0);
        // Half the time, no clean close.
        if round % 3 == 0 {
            w.close().unwrap();
        } else {
            drop(w);
        }
    }
    assert_eq!(read_raw(t.path()).len(), 120);
}

#[test]
fn a_record_that_exactly_fills_a_segment_does_not_roll_early() {
    // 64 + 45 * 88 = 4024: a 48-byte payload (72-byte frame) fills the rest.
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), SEG, false, Durability::Os);
    let mut w = open(&cfg);
    append_raw_upto(&mut w, PER_SEGMENT, 0);
    w.append_raw(PER_SEGMENT + 1, 0, &[9u8; 48]).unwrap();
    assert_eq!(segment_files(t.path()).len(), 1);
    w.append_raw(PER_SEGMENT + 2, 0, &[9u8; 1]).unwrap();
    w.close().unwrap();
    assert_eq!(segment_files(t.path()).len(), 2);
    assert_eq!(
        journal::verify_framing(t.path()).unwrap().records,
        PER_SEGMENT + 2
    );
}

#[test]
fn appends_out_of_sequence_or_of_bad_size_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let mut w = open(&small(t.path()));
    assert!(matches!(
        w.append_raw(2, 0, b"x"),
        Err(JournalError::OutOfSequence {
            expected: 1,
            got: 2
        })
    ));
    assert!(matches!(
        w.append(&add_asset(0)),
        Err(JournalError::OutOfSequence { .. })
    ));
    assert!(matches!(
        w.append_raw(1, 0, b""),
        Err(JournalError::PayloadSize { len: 0 })
    ));
    assert!(matches!(
        w.append_raw(1, 0, &[1u8; journal::PAYLOAD_MAX + 1]),
        Err(JournalError::PayloadSize { .. })
    ));
    w.append_raw(1, 0, &[1u8; journal::PAYLOAD_MAX]).unwrap();
    assert!(matches!(
        w.append_raw(1, 0, b"x"),
        Err(JournalError::OutOfSequence { .. })
    ));
    assert_eq!((w.last_seq(), w.next_seq()), (1, 2));
}

#[test]
fn bad_segment_sizes_are_refused() {
    let t = tempfile::tempdir().unwrap();
    for bytes in [0, 4095, 4097, 10_000] {
        let cfg = JournalConfig {
            segment_bytes: bytes,
            ..JournalConfig::new(t.path())
        };
        assert!(
            matches!(Journal::open(cfg), Err(JournalError::Config(_))),
            "{bytes}"
        );
    }
}

#[test]
fn reading_from_before_the_journal_start_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let mut w = open(&config(t.path(), SEG, false, Durability::Os));
    append_raw_upto(&mut w, 100, 0);
    w.close().unwrap();
    fs::remove_file(&segment_files(t.path())[0]).unwrap();
    let first = PER_SEGMENT + 1;
    let mut r = journal::read_records(t.path(), 3).unwrap();
    assert!(
        matches!(r.next_raw(), Some(Err(JournalError::Missing { wanted: 3, first: f })) if f == first)
    );
    // From 0 means "whatever is there".
    assert_eq!(
        journal::verify_framing(t.path()).unwrap().first_seq,
        Some(first)
    );
    assert_eq!(read_raw(t.path()).len() as u64, 100 - PER_SEGMENT);
}

#[test]
fn an_empty_data_dir_reads_as_an_empty_journal() {
    let t = tempfile::tempdir().unwrap();
    assert_eq!(
        journal::verify(t.path()).unwrap(),
        journal::Summary::default()
    );
    let w = open(&small(t.path()));
    assert_eq!((w.next_seq(), w.last_seq()), (1, 0));
    w.close().unwrap();
    let s = journal::verify(t.path()).unwrap();
    assert_eq!((s.segments, s.records, s.first_seq), (1, 0, None));
}
