//! Damage in the middle of the journal (a bad record followed by valid
//! ones, or a hole in the sequence) is an error that names the sequence
//! number. `verify`, readers and `Journal::open` all refuse; nothing is cut.

mod common;

use common::*;
use journal::{Defect, Journal, JournalError, JournalWriter};
use std::fs;
use std::path::Path;

fn corrupt_seq(e: &JournalError) -> (u64, Option<u64>, &Defect) {
    match e {
        JournalError::Corrupt {
            seq,
            next_valid_seq,
            defect,
            ..
        } => (*seq, *next_valid_seq, defect),
        other => panic!("expected Corrupt, got {other}"),
    }
}

/// Journal of 30 add-asset commands in one 64 KiB segment.
fn commands(dir: &Path) -> std::path::PathBuf {
    let mut w: JournalWriter = open(&small(dir));
    for seq in 1..=30 {
        w.append(&add_asset(seq)).unwrap();
    }
    w.close().unwrap();
    segment_files(dir).remove(0)
}

fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(journal::journal_dir(dir))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Every way in: verify (`decode`: the journal holds commands),
/// verify_framing, a reader, open. All must fail naming `seq`, and the files
/// must be left as they were.
fn assert_refused_at(dir: &Path, seq: u64, decode: bool) {
    let before = snapshot_of(dir);

    let e = journal::verify_framing(dir).unwrap_err();
    assert_eq!(corrupt_seq(&e).0, seq, "{e}");
    assert!(e.to_string().contains(&format!("seq {seq}")), "{e}");

    let mut reader = journal::read_records(dir, 0).unwrap();
    let mut good = Vec::new();
    if decode {
        let e = journal::verify(dir).unwrap_err();
        assert_eq!(corrupt_seq(&e).0, seq, "{e}");
        good.extend(reader.by_ref().map_while(|r| r.ok()).map(|r| r.seq));
        assert!(reader.next().is_none(), "nothing after the error");
    } else {
        loop {
            match reader.next_raw() {
                Some(Ok(r)) => good.push(r.seq),
                Some(Err(_)) => break,
                None => panic!("no error"),
            }
        }
        assert!(reader.next_raw().is_none(), "nothing after the error");
    }
    assert_eq!(good, (1..seq).collect::<Vec<_>>());

    let e = Journal::open(small(dir)).err().expect("open must refuse");
    assert_eq!(corrupt_seq(&e).0, seq, "{e}");
    assert_eq!(snapshot_of(dir), before, "open changed the files");
}

#[test]
fn a_flipped_byte_in_a_middle_record_is_named_by_its_seq() {
    let t = tempfile::tempdir().unwrap();
    let seg = commands(t.path());
    let len = fs::read(&seg).unwrap()[64..68].to_vec();
    let frame = journal::frame_len(u32::from_le_bytes(len.try_into().unwrap()) as usize);
    let at = 64 + 11 * frame; // record 12
    flip(&seg, at + 30);
    assert_refused_at(t.path(), 12, true);
    let e = journal::verify(t.path()).unwrap_err();
    let (_, next, defect) = corrupt_seq(&e);
    assert_eq!(next, Some(13));
    assert!(matches!(defect, Defect::Checksum { .. }), "{defect:?}");
    let msg = e.to_string();
    assert!(msg.contains(&journal::segment_file_name(1)), "{msg}");
    assert!(msg.contains(&format!("offset {at}")), "{msg}");
}

#[test]
fn a_zeroed_record_in_the_middle_is_not_taken_for_the_end() {
    let t = tempfile::tempdir().unwrap();
    let cfg = small(t.path());
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 30, 0);
    w.close().unwrap();
    let seg = &segment_files(t.path())[0];
    zero(seg, frame_offset(1, 7)..frame_offset(1, 8));
    let e = journal::verify_framing(t.path()).unwrap_err();
    assert_eq!(corrupt_seq(&e).0, 7);
    let e = Journal::open(cfg).err().unwrap();
    assert_eq!(
        corrupt_seq(&e),
        (
            7,
            Some(8),
            &Defect::GarbageAfterEnd {
                at: frame_offset(1, 8) as u64
            }
        )
    );
}

#[test]
fn a_damaged_length_word_in_the_middle_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let cfg = small(t.path());
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 30, 0);
    w.close().unwrap();
    let seg = &segment_files(t.path())[0];
    flip(seg, frame_offset(1, 20) + 1);
    let e = journal::verify_framing(t.path()).unwrap_err();
    assert_eq!(corrupt_seq(&e).0, 20);
    assert!(Journal::open(cfg).is_err());
}

#[test]
fn damage_in_an_earlier_segment_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), 4096, false, journal::Durability::Os);
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 100, 0); // 45 per segment: 3 segments
    w.close().unwrap();
    let segs = segment_files(t.path());
    assert_eq!(segs.len(), 3);
    // The last record of the first segment: only later segments are valid after it.
    flip(&segs[0], frame_offset(1, 45) + 40);
    let e = journal::verify_framing(t.path()).unwrap_err();
    assert_eq!(corrupt_seq(&e).0, 45);
    assert_eq!(corrupt_seq(&e).1, Some(46));
    let e = Journal::open(cfg).err().unwrap();
    assert_eq!(corrupt_seq(&e).0, 45);
}

#[test]
fn a_missing_segment_is_a_sequence_gap() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), 4096, false, journal::Durability::Os);
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 120, 0);
    w.close().unwrap();
    let segs = segment_files(t.path());
    fs::remove_file(&segs[1]).unwrap(); // seqs 46..=90
    let e = journal::verify_framing(t.path()).unwrap_err();
    let (seq, next, defect) = corrupt_seq(&e);
    assert_eq!((seq, next), (46, Some(91)));
    assert_eq!(
        defect,
        &Defect::SegmentStart {
            expected: 46,
            found: 91
        }
    );
    assert!(Journal::open(cfg).is_err());
}

#[test]
fn a_record_with_a_valid_checksum_but_the_wrong_seq_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let cfg = small(t.path());
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 10, 0);
    w.close().unwrap();
    // Rewrite record 5 as seq 6, with a correct checksum.
    let seg = &segment_files(t.path())[0];
    let mut b = fs::read(seg).unwrap();
    let at = frame_offset(1, 5);
    b[at + 8..at + 16].copy_from_slice(&6u64.to_le_bytes());
    let crc = crc32c::crc32c(&b[at + 8..at + FRAME]);
    b[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    fs::write(seg, &b).unwrap();
    let e = journal::verify_framing(t.path()).unwrap_err();
    assert_eq!(
        corrupt_seq(&e),
        (
            5,
            Some(6),
            &Defect::SeqDiscontinuity {
                expected: 5,
                found: 6
            }
        )
    );
    assert!(Journal::open(cfg).is_err());
}

#[test]
fn a_damaged_segment_header_with_records_after_it_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), 4096, false, journal::Durability::Os);
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 60, 0);
    w.close().unwrap();
    let segs = segment_files(t.path());
    flip(&segs[1], 20); // first_seq field of the second segment's header
    assert_refused_at(t.path(), 46, false);
}

#[test]
fn an_intact_record_that_is_not_a_command_fails_decoding_checks_only() {
    let t = tempfile::tempdir().unwrap();
    let mut w = open(&small(t.path()));
    w.append(&add_asset(1)).unwrap();
    w.append_raw(2, 5, &payload(2, 0)).unwrap();
    w.append(&add_asset(3)).unwrap();
    w.close().unwrap();
    assert_eq!(journal::verify_framing(t.path()).unwrap().records, 3);
    let e = journal::verify(t.path()).unwrap_err();
    assert!(
        matches!(corrupt_seq(&e), (2, None, Defect::Undecodable(_))),
        "{e}"
    );
}
