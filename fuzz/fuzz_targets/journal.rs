//! Arbitrary bytes as a journal segment file: the reader, `verify` and
//! recovery never panic; when the server's start-up (`open_and_recover`,
//! which cuts a torn tail) succeeds, the journal verifies clean with the same
//! records and the writer continues right after them.
//!
//! Input: byte 0 picks the segment's name (first seq 1, or the header's own
//! first seq), the rest is the file.
#![no_main]
use engine::EngineLimits;
use journal::{recovery, JournalConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let t = ringex_fuzz::scratch_dir();
    let jdir = journal::journal_dir(t.path());
    std::fs::create_dir_all(&jdir).unwrap();
    let first = if mode & 1 == 1 && file.len() >= 24 {
        u64::from_le_bytes(file[16..24].try_into().unwrap()).clamp(1, 1 << 40)
    } else {
        1
    };
    std::fs::write(jdir.join(journal::segment_file_name(first)), file).unwrap();

    let verified = journal::verify(t.path());
    if let Ok(mut r) = journal::read_records(t.path(), 0) {
        for rec in &mut r {
            if rec.is_err() {
                break;
            }
        }
    }
    let Ok(rec) = recovery::recover(t.path(), EngineLimits::default()) else {
        return;
    };
    let summary = verified.expect("recover succeeded where verify failed");
    assert_eq!(summary.records, rec.replayed);
    if mode & 2 == 0 {
        return;
    }
    // The server's start-up: open (cuts the torn tail) and recover. It may
    // refuse (a journal whose only segment is empty but named after a later
    // seq recovers to 0 and continues at that seq: `open_and_recover` calls
    // that a gap); when it does not, the journal must read clean and the
    // writer continue right after the records.
    let mut cfg = JournalConfig::new(t.path());
    cfg.segment_bytes = 1 << 16;
    cfg.prefault = false;
    let Ok((w, report, again)) = recovery::open_and_recover(cfg, EngineLimits::default()) else {
        return;
    };
    assert_eq!(
        w.next_seq(),
        again.last_seq + 1,
        "writer does not continue the journal"
    );
    assert_eq!(again.last_seq, rec.last_seq);
    assert_eq!(report.summary.records, rec.replayed);
    drop(w);
    let after = journal::verify(t.path()).expect("verify after open");
    assert!(
        after.torn_tail.is_none(),
        "torn tail left after open: {after:?}"
    );
    assert_eq!(after.records, rec.replayed);
});
