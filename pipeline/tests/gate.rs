//! The gate between journaler and business logic: nothing is applied (no
//! output) before the gate passed its batch, everything is once it did, in
//! order; a gate that refuses stops intake with the batch unapplied. Both
//! thread placements.

use engine::*;
use journal::{recovery, JournalConfig};
use pipeline::agent::Stop;
use pipeline::gate::Gate;
use pipeline::{idle::IdleConfig, try_publish, InSlot, Input, OutSlot, Output, Pipeline};
use pipeline::{PipelineConfig, Shared};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Passes batches while `open` is at or above their last seq; refuses the
/// batch holding `refuse_at`.
struct Held {
    open: Arc<AtomicU64>,
    refuse_at: u64,
    seen: Arc<Mutex<Vec<u64>>>,
}

impl Gate for Held {
    fn name(&self) -> &'static str {
        "held"
    }
    fn pass(&mut self, cmds: &[Command]) -> Result<(), Stop> {
        let last = cmds.last().unwrap().seq;
        if cmds.iter().any(|c| c.seq == self.refuse_at) {
            return Err(Stop(format!("refused at {}", self.refuse_at)));
        }
        while self.open.load(Ordering::Acquire) < last {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.seen.lock().unwrap().extend(cmds.iter().map(|c| c.seq));
        Ok(())
    }
}

fn add_asset(seq: u64) -> Input {
    Input::Command(Command {
        seq,
        ts_ns: seq,
        kind: CommandKind::AddAsset {
            asset: Name::new(&format!("A{seq}")).unwrap(),
            scale: 2,
        },
    })
}

fn run(shared_thread: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (writer, _, rec) =
        recovery::open_and_recover(JournalConfig::new(dir.path()), EngineLimits::default())
            .unwrap();
    let cfg = PipelineConfig {
        inbound_size: 64,
        outbound_size: 256,
        shared_thread,
        idle: IdleConfig::default(),
        pin_cores: vec![],
        data_dir: dir.path().to_path_buf(),
        snapshots_keep: 1,
        batch: 8,
        waker: None,
        publish_inputs: false,
    };
    let open = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let gate = Held {
        open: open.clone(),
        refuse_at: 41,
        seen: seen.clone(),
    };
    let shared = Arc::new(Shared::default());
    let mut p = Pipeline::start_gated(
        cfg,
        rec.engine,
        writer,
        shared.clone(),
        Some(Box::new(gate)),
    );
    let mut applied = Vec::new();
    let drain = |p: &mut Pipeline, applied: &mut Vec<u64>| {
        p.outbound.drain(u64::MAX, &mut |o: &OutSlot, _| {
            if let Output::Event(Event::Admin { seq, .. }) = o.output {
                applied.push(seq);
            }
        });
    };
    for s in 1..=20 {
        while try_publish(
            &mut p.inbound,
            InSlot {
                input: add_asset(s),
                ..InSlot::default()
            },
        )
        .is_err()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    drain(&mut p, &mut applied);
    assert!(
        applied.is_empty(),
        "applied before the gate passed: {applied:?}"
    );
    open.store(12, Ordering::Release);
    let deadline = Instant::now() + Duration::from_secs(10);
    while applied.len() < 8 && Instant::now() < deadline {
        drain(&mut p, &mut applied);
    }
    std::thread::sleep(Duration::from_millis(50));
    drain(&mut p, &mut applied);
    let passed = seen.lock().unwrap().clone();
    assert_eq!(applied, passed, "applied exactly what passed, in order");
    assert!(applied.iter().all(|&s| s <= 12) && !applied.is_empty());
    open.store(u64::MAX, Ordering::Release);
    for s in 21..=50 {
        while try_publish(
            &mut p.inbound,
            InSlot {
                input: add_asset(s),
                ..InSlot::default()
            },
        )
        .is_err()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while shared.intake.load(Ordering::Acquire) && Instant::now() < deadline {
        drain(&mut p, &mut applied);
    }
    std::thread::sleep(Duration::from_millis(50));
    drain(&mut p, &mut applied);
    assert!(
        !shared.intake.load(Ordering::Acquire),
        "a refusing gate stops intake"
    );
    assert!(shared
        .breach
        .lock()
        .unwrap()
        .as_deref()
        .unwrap()
        .contains("refused at 41"));
    let passed = seen.lock().unwrap().clone();
    assert_eq!(applied, passed);
    assert!(applied.iter().all(|&s| s < 41), "{applied:?}");
    p.stop();
}

#[test]
fn the_gate_holds_every_output_until_it_passed_the_batch_shared_thread() {
    run(true);
}

#[test]
fn the_gate_holds_every_output_until_it_passed_the_batch_dedicated_threads() {
    run(false);
}
