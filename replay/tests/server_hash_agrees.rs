//! The hash `run --to N` prints equals what the server's admin `snapshot`
//! op answers at seq N: the server's pipeline journals the workload, answers
//! two snapshot queries, and the tool replays its data directory.

mod common;
use common::*;
use engine::EngineLimits;
use journal::{recovery, JournalConfig};
use pipeline::{
    idle::IdleConfig, try_publish, InSlot, Input, OutSlot, Output, Pipeline, PipelineConfig, Query,
    Shared,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn the_admin_snapshot_hash_equals_what_run_prints_at_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut jc = JournalConfig::new(dir.path());
    jc.segment_bytes = SEGMENT_BYTES;
    let (writer, _, rec) = recovery::open_and_recover(jc, EngineLimits::default()).unwrap();
    let cfg = PipelineConfig {
        inbound_size: 64,
        outbound_size: 256,
        shared_thread: true,
        idle: IdleConfig::default(),
        pin_cores: vec![],
        data_dir: dir.path().to_path_buf(),
        snapshots_keep: 3,
        batch: 32,
        waker: None,
        publish_inputs: false,
    };
    let mut pipe = Pipeline::start(cfg, rec.engine, writer, Arc::new(Shared::default()));

    let cmds = commands(71, 320);
    let mut inputs: Vec<Input> = Vec::new();
    for (i, c) in cmds.iter().enumerate() {
        inputs.push(Input::Command(*c));
        if i + 1 == 170 {
            inputs.push(Input::Query(Query::Snapshot));
        }
    }
    inputs.push(Input::Query(Query::Snapshot));

    let mut answers: Vec<(u64, [u8; 32])> = Vec::new();
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while answers.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "pipeline stalled after {sent} inputs"
        );
        while sent < inputs.len() {
            let slot = InSlot {
                input: inputs[sent],
                session: 1,
                ..InSlot::default()
            };
            if try_publish(&mut pipe.inbound, slot).is_err() {
                break;
            }
            sent += 1;
        }
        pipe.outbound.drain(u64::MAX, &mut |o: &OutSlot, _| {
            if let Output::Snapshot {
                seq,
                state_hash,
                error,
            } = o.output
            {
                assert!(error.is_none(), "{error:?}");
                answers.push((seq, state_hash));
            }
        });
        std::thread::yield_now();
    }
    pipe.stop();

    assert_eq!(
        answers.iter().map(|a| a.0).collect::<Vec<_>>(),
        vec![170, 320]
    );
    for (seq, hash) in answers {
        for extra in [None, Some("--from-scratch")] {
            let mut args = vec![
                "run".to_string(),
                p(dir.path()),
                "--to".into(),
                seq.to_string(),
            ];
            args.extend(extra.map(String::from));
            let v = tool(&args).ok().json();
            assert_eq!(v["seq"], seq, "{args:?}");
            assert_eq!(v["state_hash"], hex(&hash).as_str(), "{args:?}");
        }
    }
}
