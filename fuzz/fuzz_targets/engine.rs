//! The engine fed arbitrary command sequences (decoded from the fuzz bytes by
//! `ringex_fuzz::commands`, after a fixed setup): every invariant holds after
//! every command; every command survives the journal codec; and
//! apply / snapshot / restore / apply gives the same events and state hash
//! as applying everything in one go. Byte 0 picks where the snapshot is cut.
#![no_main]
use engine::{decode_command, encode_command, Command, CommandKind, Engine, Event, EngineLimits};
use libfuzzer_sys::fuzz_target;
use ringex_fuzz::Bytes;

fn run(e: &mut Engine, kinds: &[CommandKind], ts: &mut u64, all: &mut Vec<Event>) {
    let mut out = Vec::new();
    let mut buf = [0u8; engine::COMMAND_BYTES_MAX];
    for k in kinds {
        let seq = e.last_seq() + 1;
        *ts += 1_000_000;
        let cmd = Command {
            seq,
            ts_ns: *ts,
            kind: *k,
        };
        let n = encode_command(&cmd, &mut buf).expect("command encodes");
        assert_eq!(
            decode_command(&buf[..n]).expect("command decodes"),
            (cmd, n)
        );
        out.clear();
        e.apply(&cmd, &mut out).expect("apply");
        if let Err(err) = e.check_invariants() {
            panic!("after seq {seq} {k:?}: {err}");
        }
        all.extend_from_slice(&out);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let mut kinds = ringex_fuzz::setup();
    let n_setup = kinds.len();
    kinds.extend(ringex_fuzz::commands(&mut Bytes::new(rest), 2000));

    let mut a = Engine::new(EngineLimits::default());
    let (mut ts, mut ev_a) = (0, Vec::new());
    run(&mut a, &kinds, &mut ts, &mut ev_a);

    let k = n_setup + (cut as usize * (kinds.len() - n_setup + 1)) / 256;
    let mut b = Engine::new(EngineLimits::default());
    let (mut ts, mut ev_b) = (0, Vec::new());
    run(&mut b, &kinds[..k], &mut ts, &mut ev_b);
    let mut c = Engine::from_snapshot_bytes(&b.snapshot_bytes()).expect("snapshot restores");
    assert_eq!(c.state_hash(), b.state_hash(), "restore changed the state");
    run(&mut c, &kinds[k..], &mut ts, &mut ev_b);
    assert_eq!(
        c.state_hash(),
        a.state_hash(),
        "snapshot at {k} changed the outcome"
    );
    assert!(ev_a == ev_b, "snapshot at {k} changed the events");
});
