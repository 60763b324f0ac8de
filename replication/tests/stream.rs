//! Replication through a real JetStream cluster (the test script starts a
//! 3-node one and sets `RINGEX_TEST_NATS_URLS`; without it these tests say
//! so and skip): a standby fed by the stream journals exactly the primary's
//! records and reaches the same state hash; a second writer is fenced, and
//! a fenced primary stops intake with its batch unapplied.

use engine::{Command, EngineLimits};
use journal::{recovery, JournalConfig};
use pipeline::{idle::IdleConfig, try_publish, InSlot, Input, Pipeline, PipelineConfig, Shared};
use replay::workload::{Workload, WorkloadParams};
use replication::{Follower, Link, PublishFail, ReplicationConfig, Replicator, Stats, Tail};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn urls(test: &str) -> Option<Vec<String>> {
    match std::env::var("RINGEX_TEST_NATS_URLS") {
        Ok(u) if !u.is_empty() => Some(u.split(',').map(str::to_string).collect()),
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: skipping `{test}`: RINGEX_TEST_NATS_URLS is not set (scripts/nats.sh starts a 3-node cluster)"
            );
            None
        }
    }
}

fn config(urls: &[String], node: &str, stream: &str) -> ReplicationConfig {
    let mut c = ReplicationConfig::new(urls.to_vec(), node);
    c.stream = format!("{stream}_{}", std::process::id());
    c.lease_ms = 1_000;
    c
}

fn pcfg(dir: &Path) -> PipelineConfig {
    PipelineConfig {
        inbound_size: 1024,
        outbound_size: 1 << 14,
        shared_thread: true,
        idle: IdleConfig::default(),
        pin_cores: vec![],
        data_dir: dir.to_path_buf(),
        snapshots_keep: 2,
        batch: 64,
        waker: None,
        publish_inputs: false,
    }
}

/// Publishes `cmds` into `p` (draining its outputs), then waits until
/// all are applied or intake stopped; the last seq applied.
fn feed(p: &mut Pipeline, shared: &Shared, cmds: impl IntoIterator<Item = Command>) -> u64 {
    let mut last = 0;
    for c in cmds {
        last = c.seq;
        let slot = InSlot {
            input: Input::Command(c),
            ..InSlot::default()
        };
        while try_publish(&mut p.inbound, slot).is_err() {
            p.outbound
                .drain(u64::MAX, &mut |_: &pipeline::OutSlot, _| {});
            if !shared.intake.load(Ordering::Acquire) {
                return shared.applied_seq.load(Ordering::Acquire);
            }
            std::thread::yield_now();
        }
        p.wake();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while shared.applied_seq.load(Ordering::Acquire) < last
        && shared.intake.load(Ordering::Acquire)
        && Instant::now() < deadline
    {
        p.outbound
            .drain(u64::MAX, &mut |_: &pipeline::OutSlot, _| {});
        std::thread::sleep(Duration::from_millis(1));
    }
    p.outbound
        .drain(u64::MAX, &mut |_: &pipeline::OutSlot, _| {});
    shared.applied_seq.load(Ordering::Acquire)
}

fn state_hash(dir: &Path) -> ([u8; 32], u64) {
    let (w, _, rec) =
        recovery::open_and_recover(JournalConfig::new(dir), EngineLimits::default()).unwrap();
    drop(w);
    (rec.engine.state_hash(), rec.last_seq)
}

fn records(dir: &Path) -> Vec<Command> {
    journal::read_records(dir, 0)
        .unwrap()
        .map(|r| r.unwrap().command)
        .collect()
}

#[test]
fn a_standby_journals_and_applies_exactly_what_the_primary_replicated() {
    let Some(urls) = urls("a_standby_journals_and_applies_exactly_what_the_primary_replicated")
    else {
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let n = 3_000;
    let cmds: Vec<Command> = Workload::new(WorkloadParams::small(7, n)).collect();

    let ca = config(&urls, "a", "follow");
    let (writer, _, rec) =
        recovery::open_and_recover(JournalConfig::new(a.path()), EngineLimits::default()).unwrap();
    let link = Link::connect(&ca).unwrap();
    let tail = link.ensure_stream().unwrap();
    assert_eq!(tail, Tail::default(), "a fresh stream");
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared::default());
    let mut p = Pipeline::start_gated(
        pcfg(a.path()),
        rec.engine,
        writer,
        shared.clone(),
        Some(Box::new(Replicator::new(link, tail, 1, stats.clone()))),
    );
    let applied = feed(&mut p, &shared, cmds.iter().copied());
    assert_eq!(applied, cmds.len() as u64);
    assert_eq!(stats.replicated_seq.load(Ordering::Acquire), applied);
    p.stop();

    // The standby, from an empty journal.
    let (wb, _, recb) =
        recovery::open_and_recover(JournalConfig::new(b.path()), EngineLimits::default()).unwrap();
    let (tx, rx) = crossbeam_channel::bounded(4096);
    let sb = Arc::new(Stats::default());
    let follower = Follower::spawn(config(&urls, "b", "follow"), 0, tx, sb.clone());
    let shared_b = Arc::new(Shared::default());
    let mut pb = Pipeline::start(pcfg(b.path()), recb.engine, wb, shared_b.clone());
    let got = feed(&mut pb, &shared_b, rx.iter().take(cmds.len()));
    assert_eq!(got, applied);
    assert_eq!(follower.stop().unwrap(), applied);
    pb.stop();

    assert_eq!(records(a.path()), cmds, "the primary's journal");
    assert_eq!(
        records(b.path()),
        cmds,
        "the standby's journal: the same records"
    );
    assert_eq!(state_hash(a.path()), state_hash(b.path()), "the same state");
}

#[test]
fn a_second_writer_is_fenced_and_a_fenced_primary_applies_nothing_more() {
    let Some(urls) = urls("a_second_writer_is_fenced_and_a_fenced_primary_applies_nothing_more")
    else {
        return;
    };
    let a = tempfile::tempdir().unwrap();
    let cmds: Vec<Command> = Workload::new(WorkloadParams::small(8, 600)).collect();
    let ca = config(&urls, "a", "fence");
    let (writer, _, rec) =
        recovery::open_and_recover(JournalConfig::new(a.path()), EngineLimits::default()).unwrap();
    let link = Link::connect(&ca).unwrap();
    let tail = link.ensure_stream().unwrap();
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared::default());
    let mut p = Pipeline::start_gated(
        pcfg(a.path()),
        rec.engine,
        writer,
        shared.clone(),
        Some(Box::new(Replicator::new(link, tail, 1, stats.clone()))),
    );
    assert_eq!(feed(&mut p, &shared, cmds[..300].iter().copied()), 300);

    // Another node takes the stream: a stale expectation is refused, the
    // true end is accepted.
    let other = Link::connect(&config(&urls, "b", "fence")).unwrap();
    let end = other.tail().unwrap();
    assert_eq!(end.journal_seq, 300);
    let mut frames = Vec::new();
    journal::frames::encode(&cmds[300..301], &mut frames).unwrap();
    let stale = other.publish(
        301,
        301,
        2,
        frames.clone().into(),
        end.stream_seq.saturating_sub(1),
    );
    assert!(matches!(stale, Err(PublishFail::Fenced(_))), "{stale:?}");
    let s = other
        .publish(301, 301, 2, frames.into(), end.stream_seq)
        .unwrap();
    assert_eq!(s, end.stream_seq + 1);

    // The old primary's next batch is refused: intake stops, nothing more applied.
    let applied = feed(&mut p, &shared, cmds[300..].iter().copied());
    assert_eq!(applied, 300, "nothing applied after the fence");
    assert!(!shared.intake.load(Ordering::Acquire));
    let why = shared.breach.lock().unwrap().clone().unwrap();
    assert!(why.contains("fenced"), "{why}");
    assert!(stats.fenced.load(Ordering::Acquire));
    assert_eq!(
        other.tail().unwrap().journal_seq,
        301,
        "the stream holds the new writer's"
    );
    p.stop();
}

#[test]
fn the_lease_has_one_holder_expires_and_is_taken_with_a_higher_epoch() {
    let Some(urls) = urls("the_lease_has_one_holder_expires_and_is_taken_with_a_higher_epoch")
    else {
        return;
    };
    use replication::{Leader, Lease, LeaseError};
    let me = |id: &str| Leader {
        node_id: id.into(),
        epoch: 0,
        http: format!("{id}:80"),
        tcp: format!("{id}:90"),
    };
    let (ca, cb) = (config(&urls, "a", "lease"), config(&urls, "b", "lease"));
    let mut a = Lease::open(&ca).unwrap();
    let mut b = Lease::open(&cb).unwrap();
    let got = a
        .acquire(me("a"), 0)
        .unwrap()
        .expect("a free lease is taken");
    assert_eq!(got.epoch, 1);
    assert_eq!(b.acquire(me("b"), 0).unwrap(), None, "one holder");
    assert_eq!(b.current().unwrap().unwrap().node_id, "a");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(2_500) {
        a.renew().unwrap();
        assert_eq!(b.acquire(me("b"), 1).unwrap(), None, "renewed: still a's");
        std::thread::sleep(Duration::from_millis(200));
    }
    // a stops renewing: the lease expires and b takes it.
    let t1 = Instant::now();
    let taken = loop {
        if let Some(l) = b.acquire(me("b"), 1).unwrap() {
            break l;
        }
        assert!(
            t1.elapsed() < Duration::from_secs(10),
            "the lease never expired"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!((taken.node_id.as_str(), taken.epoch), ("b", 2));
    assert!(
        t1.elapsed() >= Duration::from_millis(700),
        "not before it expired"
    );
    assert!(matches!(a.renew(), Err(LeaseError::Lost(_))), "a lost it");
    b.renew().unwrap();
}

/// The gate of a primary with `ack = "local"`.
fn local_gate(link: Link, tail: Tail, stats: &Arc<Stats>) -> Option<Box<dyn pipeline::gate::Gate>> {
    Some(Box::new(
        Replicator::new(link, tail, 1, stats.clone()).with_ack(replication::Ack::Local),
    ))
}

fn wait_for(what: &str, within: Duration, ok: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn with_ack_local_batches_are_applied_at_once_and_still_published_in_order() {
    let Some(urls) =
        urls("with_ack_local_batches_are_applied_at_once_and_still_published_in_order")
    else {
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cmds: Vec<Command> = Workload::new(WorkloadParams::small(9, 3_000)).collect();
    let ca = config(&urls, "a", "local");
    let (writer, _, rec) =
        recovery::open_and_recover(JournalConfig::new(a.path()), EngineLimits::default()).unwrap();
    let link = Link::connect(&ca).unwrap();
    let tail = link.ensure_stream().unwrap();
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared::default());
    let mut p = Pipeline::start_gated(
        pcfg(a.path()),
        rec.engine,
        writer,
        shared.clone(),
        local_gate(link, tail, &stats),
    );
    let n = cmds.len() as u64;
    assert_eq!(feed(&mut p, &shared, cmds.iter().copied()), n);
    wait_for("every batch in the stream", Duration::from_secs(60), || {
        stats.replicated_seq.load(Ordering::Acquire) == n
    });
    assert_eq!(stats.unreplicated(), 0);
    p.stop();

    // A standby gets every record, in order.
    let (wb, _, recb) =
        recovery::open_and_recover(JournalConfig::new(b.path()), EngineLimits::default()).unwrap();
    let (tx, rx) = crossbeam_channel::bounded(4096);
    let follower = Follower::spawn(
        config(&urls, "b", "local"),
        0,
        tx,
        Arc::new(Stats::default()),
    );
    let shared_b = Arc::new(Shared::default());
    let mut pb = Pipeline::start(pcfg(b.path()), recb.engine, wb, shared_b.clone());
    assert_eq!(feed(&mut pb, &shared_b, rx.iter().take(cmds.len())), n);
    assert_eq!(follower.stop().unwrap(), n);
    pb.stop();
    assert_eq!(records(b.path()), cmds, "the standby's journal");
    assert_eq!(state_hash(a.path()), state_hash(b.path()), "the same state");
}

// The other writer here stores the very records the old primary is about
// to send (the same commands at the same seqs): the old primary's batch,
// when it holds just that record, is a byte-identical duplicate, which
// must still fence it (another epoch's), or it would write on after it.
#[test]
fn with_ack_local_a_fenced_primary_stops_and_never_writes_after_the_new_writer() {
    let Some(urls) =
        urls("with_ack_local_a_fenced_primary_stops_and_never_writes_after_the_new_writer")
    else {
        return;
    };
    let a = tempfile::tempdir().unwrap();
    let cmds: Vec<Command> = Workload::new(WorkloadParams::small(10, 600)).collect();
    let ca = config(&urls, "a", "localfence");
    let (writer, _, rec) =
        recovery::open_and_recover(JournalConfig::new(a.path()), EngineLimits::default()).unwrap();
    let link = Link::connect(&ca).unwrap();
    let tail = link.ensure_stream().unwrap();
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared::default());
    let mut p = Pipeline::start_gated(
        pcfg(a.path()),
        rec.engine,
        writer,
        shared.clone(),
        local_gate(link, tail, &stats),
    );
    assert_eq!(feed(&mut p, &shared, cmds[..300].iter().copied()), 300);
    wait_for("300 in the stream", Duration::from_secs(30), || {
        stats.replicated_seq.load(Ordering::Acquire) == 300
    });

    // Another writer comes in after record 300.
    let other = Link::connect(&config(&urls, "b", "localfence")).unwrap();
    let end = other.tail().unwrap();
    let mut frames = Vec::new();
    journal::frames::encode(&cmds[300..301], &mut frames).unwrap();
    other
        .publish(301, 301, 2, frames.into(), end.stream_seq)
        .unwrap();

    // The next batch is applied (that is the `local` risk) but its publish
    // is refused; once that is known nothing more is applied, and intake stops.
    let before = feed(&mut p, &shared, cmds[300..310].iter().copied());
    assert!(before > 300, "applied before the stream answered: {before}");
    let t0 = Instant::now();
    while !stats.fenced.load(Ordering::Acquire) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "not fenced: replicated {} failures {} error {:?}, stream {:?}",
            stats.replicated_seq.load(Ordering::Acquire),
            stats.failures.load(Ordering::Acquire),
            stats.last_error.lock().unwrap(),
            other.tail()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let applied = feed(&mut p, &shared, cmds[310..320].iter().copied());
    assert_eq!(applied, before, "nothing applied once the fence is known");
    assert!(!shared.intake.load(Ordering::Acquire));
    let why = shared.breach.lock().unwrap().clone().unwrap();
    assert!(why.contains("fenced"), "{why}");
    assert_eq!(
        other.tail().unwrap().journal_seq,
        301,
        "the old primary never wrote after the new writer"
    );
    p.stop();
}
