//! The snapshot loaders. Byte 0 picks the path:
//! - even: the rest is an engine snapshot payload for
//!   `Engine::from_snapshot_bytes`; an accepted one satisfies the invariants
//!   (checked by the loader) and re-encodes to a payload that loads to the
//!   same state hash;
//! - odd: the rest is a snapshot *file* for `journal::snapshot::read` and
//!   recovery (which must refuse or fall back, never panic).
#![no_main]
use engine::{Engine, EngineLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(e) = Engine::from_snapshot_bytes(rest) {
            e.check_invariants()
                .expect("loader accepted an inconsistent state");
            let bytes = e.snapshot_bytes();
            let again = Engine::from_snapshot_bytes(&bytes).expect("re-encoded snapshot loads");
            assert_eq!(again.state_hash(), e.state_hash());
        }
        return;
    }
    let t = ringex_fuzz::scratch_dir();
    let sdir = journal::snapshot::snapshot_dir(t.path());
    std::fs::create_dir_all(&sdir).unwrap();
    let p = sdir.join(journal::snapshot::snapshot_file_name((mode >> 1) as u64));
    std::fs::write(&p, rest).unwrap();
    let _ = journal::snapshot::read(&p);
    let _ = journal::recovery::recover(t.path(), EngineLimits::default());
});
