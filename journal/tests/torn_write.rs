//! A write torn anywhere inside the last record (a crash mid-append) is cut
//! off when the journal is opened: exactly the records before it survive,
//! and appending continues with the right sequence number.

mod common;

use common::*;
use journal::{Defect, Journal, JournalConfig, SEGMENT_HEADER_LEN};
use std::fs::{self, OpenOptions};
use std::path::Path;

#[derive(Clone, Copy, Debug)]
enum Damage {
    /// Zero every byte from the offset to the end of the record.
    ZeroFrom,
    /// Invert the byte at the offset.
    Flip,
    /// Cut the file short at the offset.
    Truncate,
}

fn damage(path: &Path, off: usize, record_end: usize, how: Damage) {
    match how {
        Damage::ZeroFrom => zero(path, off..record_end),
        Damage::Flip => flip(path, off),
        Damage::Truncate => OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(off as u64)
            .unwrap(),
    }
}

/// Writes `n` records into segments of `segment_bytes`, then for every byte
/// offset of record `n` damages a copy there and checks open, append, reopen.
fn every_offset_of_the_last_record(segment_bytes: u64, n: u64, how: Damage) {
    let template = tempfile::tempdir().unwrap();
    let cfg = |d: &Path| config(d, segment_bytes, false, journal::Durability::Os);
    {
        let mut w = open(&cfg(template.path()));
        append_raw_upto(&mut w, n, 0);
        w.close().unwrap();
    }
    let per_segment = (segment_bytes as usize - SEGMENT_HEADER_LEN) / FRAME;
    let last_first_seq = (n - 1) / per_segment as u64 * per_segment as u64 + 1;
    let name = journal::segment_file_name(last_first_seq);
    let start = frame_offset(last_first_seq, n);
    let end = start + FRAME;

    for off in start..end {
        let t = tempfile::tempdir().unwrap();
        copy_dir(template.path(), t.path());
        let seg = journal::journal_dir(t.path()).join(&name);
        damage(&seg, off, end, how);

        let (mut w, report) =
            Journal::open(cfg(t.path())).unwrap_or_else(|e| panic!("{how:?} at {off}: {e}"));
        // Zeroing the whole record leaves a clean end; anything else is torn.
        let whole_record_zeroed = matches!(how, Damage::ZeroFrom) && off == start;
        match &report.torn_tail {
            Some(torn) => {
                assert!(!whole_record_zeroed);
                assert_eq!(torn.segment, seg, "{how:?} at {off}");
                assert_eq!(torn.offset, start as u64, "{how:?} at {off}");
                assert_eq!(torn.last_good_seq, Some(n - 1), "{how:?} at {off}");
            }
            None => assert!(
                whole_record_zeroed,
                "{how:?} at {off}: torn tail not reported"
            ),
        }
        assert_eq!(report.summary.last_seq, Some(n - 1), "{how:?} at {off}");
        assert_eq!(w.next_seq(), n, "{how:?} at {off}");

        append_raw_upto(&mut w, n + 1, 1);
        w.close().unwrap();

        let w = open(&cfg(t.path()));
        assert_eq!(w.next_seq(), n + 2);
        drop(w);
        let recs = read_raw(t.path());
        assert_eq!(recs.len() as u64, n + 1, "{how:?} at {off}");
        for (i, (seq, ts, p)) in recs.iter().enumerate() {
            let want = i as u64 + 1;
            assert_eq!((*seq, *ts), (want, want * 1000));
            let salt = u8::from(want >= n);
            assert_eq!(
                p[..],
                payload(want, salt)[..],
                "{how:?} at {off}: seq {want}"
            );
        }
        let s = journal::verify_framing(t.path()).unwrap();
        assert_eq!((s.records, s.torn_tail), (n + 1, None));
    }
}

#[test]
fn zeroing_from_any_offset_of_the_last_record_keeps_exactly_the_records_before_it() {
    every_offset_of_the_last_record(64 * 1024, 20, Damage::ZeroFrom);
}

#[test]
fn flipping_any_byte_of_the_last_record_keeps_exactly_the_records_before_it() {
    every_offset_of_the_last_record(64 * 1024, 20, Damage::Flip);
}

#[test]
fn truncating_the_file_anywhere_in_the_last_record_keeps_exactly_the_records_before_it() {
    every_offset_of_the_last_record(64 * 1024, 20, Damage::Truncate);
}

// 4096-byte segments hold 45 records of 88 bytes: record 46 is alone in the
// second segment.

#[test]
fn zeroing_a_record_that_opened_a_new_segment_keeps_the_records_before_it() {
    every_offset_of_the_last_record(4096, 46, Damage::ZeroFrom);
}

#[test]
fn flipping_a_byte_of_a_record_that_opened_a_new_segment_keeps_the_records_before_it() {
    every_offset_of_the_last_record(4096, 46, Damage::Flip);
}

#[test]
fn truncating_a_record_that_opened_a_new_segment_keeps_the_records_before_it() {
    every_offset_of_the_last_record(4096, 46, Damage::Truncate);
}

#[test]
fn stray_bytes_after_the_end_marker_are_cut() {
    // A record whose body reached the file but whose length word did not.
    let t = tempfile::tempdir().unwrap();
    let cfg = small(t.path());
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 10, 0);
    w.close().unwrap();
    let seg = &segment_files(t.path())[0];
    let end = frame_offset(1, 11);
    let mut b = fs::read(seg).unwrap();
    b[end + 8..end + FRAME].copy_from_slice(&[0xAB; FRAME - 8]);
    fs::write(seg, &b).unwrap();

    let (mut w, report) = Journal::open(cfg.clone()).unwrap();
    let torn = report.torn_tail.expect("torn tail");
    assert!(
        matches!(torn.defect, Defect::GarbageAfterEnd { .. }),
        "{torn:?}"
    );
    assert_eq!(torn.last_good_seq, Some(10));
    assert_eq!(w.next_seq(), 11);
    append_raw_upto(&mut w, 12, 0);
    w.close().unwrap();
    drop(open(&cfg));
    assert_eq!(read_raw(t.path()).len(), 12);
}

#[test]
fn a_leftover_spare_segment_is_removed_on_open() {
    let t = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        prefault: true,
        ..small(t.path())
    };
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 5, 0);
    w.close().unwrap();
    // What a crash while preparing the next segment leaves behind.
    fs::write(
        journal::journal_dir(t.path()).join("journal-spare.seg.tmp"),
        [7u8; 100],
    )
    .unwrap();
    let w = open(&cfg);
    assert_eq!(w.next_seq(), 6);
    w.close().unwrap();
    let names: Vec<_> = fs::read_dir(journal::journal_dir(t.path()))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec![journal::segment_file_name(1)]);
}

#[test]
fn a_trailing_segment_with_a_damaged_header_and_no_records_is_removed() {
    // A crash while a new segment was being named: its header never landed.
    let t = tempfile::tempdir().unwrap();
    let cfg = small(t.path());
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 10, 0);
    w.close().unwrap();
    let bogus = journal::journal_dir(t.path()).join(journal::segment_file_name(11));
    fs::write(&bogus, vec![0u8; 64 * 1024]).unwrap();

    let (mut w, report) = Journal::open(cfg.clone()).unwrap();
    let torn = report.torn_tail.expect("torn tail");
    assert_eq!(
        (torn.segment.as_path(), torn.offset, torn.last_good_seq),
        (bogus.as_path(), 0, Some(10))
    );
    assert!(!bogus.exists());
    assert_eq!(w.next_seq(), 11);
    append_raw_upto(&mut w, 11, 0);
    w.close().unwrap();
    assert_eq!(read_raw(t.path()).len(), 11);
}

/// Collects `(level, message)` of every event on this thread.
#[derive(Default, Clone)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<(tracing::Level, String)>>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), m.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn cutting_a_torn_tail_logs_one_warning_naming_segment_offset_and_last_good_seq() {
    let t = tempfile::tempdir().unwrap();
    let cfg = small(t.path());
    let mut w = open(&cfg);
    append_raw_upto(&mut w, 10, 0);
    w.close().unwrap();
    let seg = segment_files(t.path()).remove(0);
    let at = frame_offset(1, 10);
    flip(&seg, at + 40);

    let capture = Capture::default();
    let report = tracing::subscriber::with_default(capture.clone(), || {
        Journal::open(cfg.clone()).unwrap().1
    });
    assert!(report.torn_tail.is_some());
    let events = capture.0.lock().unwrap().clone();
    let warnings: Vec<&String> = events
        .iter()
        .filter(|(l, _)| *l == tracing::Level::WARN)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(warnings.len(), 1, "{events:?}");
    let line = warnings[0];
    assert!(!line.contains('\n'), "{line}");
    assert!(line.contains(&journal::segment_file_name(1)), "{line}");
    assert!(line.contains(&format!("offset {at}")), "{line}");
    assert!(line.contains("last good seq 9"), "{line}");

    // The clean reopen says nothing.
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || drop(open(&cfg)));
    assert!(capture
        .0
        .lock()
        .unwrap()
        .iter()
        .all(|(l, _)| *l != tracing::Level::WARN));
}

/// A journal cut after a seq keeps exactly the records up to it, in any
/// segment, drops the snapshots beyond it, and takes appends from there.
#[test]
fn truncate_after_keeps_the_records_up_to_the_cut_and_appends_after_it() {
    for cut_at in [0u64, 1, 37, 63, 64, 65, 150, 199, 200] {
        let t = tempfile::tempdir().unwrap();
        let mut cfg = journal::JournalConfig::new(t.path());
        cfg.segment_bytes = 4096;
        let (mut w, _) = journal::Journal::open(cfg.clone()).unwrap();
        let mut e = engine::Engine::new(engine::EngineLimits::default());
        let mut ev = Vec::new();
        for s in 1..=200u64 {
            let c = truncate_cmd(s);
            w.append(&c).unwrap();
            w.flush_batch().unwrap();
            e.apply(&c, &mut ev).unwrap();
            if s == 100 {
                journal::recovery::write_snapshot(t.path(), &e, 5).unwrap();
            }
        }
        w.close().unwrap();
        let removed = journal::truncate_after(t.path(), cut_at).unwrap();
        assert_eq!(removed, 200 - cut_at, "cut at {cut_at}");
        let seqs: Vec<u64> = journal::read_records(t.path(), 0)
            .unwrap()
            .map(|r| r.unwrap().seq)
            .collect();
        assert_eq!(seqs, (1..=cut_at).collect::<Vec<_>>(), "cut at {cut_at}");
        let snaps = journal::snapshot::list(t.path()).unwrap();
        assert_eq!(snaps.len(), usize::from(cut_at >= 100), "cut at {cut_at}");
        let (mut w, report) = journal::Journal::open(cfg).unwrap();
        assert!(report.torn_tail.is_none());
        assert_eq!(w.next_seq(), cut_at + 1);
        w.append(&truncate_cmd(cut_at + 1)).unwrap();
        w.close().unwrap();
        assert_eq!(journal::truncate_after(t.path(), cut_at + 5).unwrap(), 0);
    }
}

fn truncate_cmd(seq: u64) -> engine::Command {
    engine::Command {
        seq,
        ts_ns: seq,
        kind: engine::CommandKind::AddAsset {
            asset: engine::Name::new(&format!("A{seq}")).unwrap(),
            scale: 2,
        },
    }
}
