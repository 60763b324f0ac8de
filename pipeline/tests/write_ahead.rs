//! The pipeline end to end without sockets: commands published into the
//! inbound ring are journaled, applied in order and their events come out of
//! the outbound ring; queries answer in sequence; after a stop (which writes a
//! snapshot) recovery from the data dir gives the same state hash.

use engine::*;
use journal::{recovery, JournalConfig};
use pipeline::{
    idle::IdleConfig, try_publish, Answer, Answers, InSlot, Input, OutSlot, Output, Pipeline,
    PipelineConfig, Query, Shared,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fx(m: i64, s: u8) -> Fixed {
    Fixed::new(m, s)
}
fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn setup() -> Vec<CommandKind> {
    vec![
        CommandKind::AddAsset {
            asset: name("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 2,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: name("BTC-USD"),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx(1, 0),
            lot_size: fx(1, 2),
            min_qty: fx(1, 2),
            maker_fee_bps: 0,
            taker_fee_bps: 0,
            price_band_pct: None,
        }),
        CommandKind::AddUser {
            user: 1,
            key_hash: KeyHash::of_key("a"),
            role: Role::Trader,
        },
        CommandKind::Deposit {
            user: 1,
            asset: name("USD"),
            amount: fx(1_000_000, 0),
            tx_id: TxId::new("d1").unwrap(),
        },
        CommandKind::Deposit {
            user: 1,
            asset: name("BTC"),
            amount: fx(1_000, 0),
            tx_id: TxId::new("d2").unwrap(),
        },
    ]
}

fn place(side: Side, price: i64) -> CommandKind {
    CommandKind::Place(Place {
        user: 1,
        symbol: name("BTC-USD"),
        side,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(fx(price, 0)),
        qty: fx(1, 0),
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: None,
    })
}

fn config(dir: &std::path::Path, shared_thread: bool) -> PipelineConfig {
    PipelineConfig {
        inbound_size: 64,
        outbound_size: 64,
        shared_thread,
        idle: IdleConfig::default(),
        pin_cores: vec![],
        data_dir: dir.to_path_buf(),
        snapshots_keep: 2,
        batch: 32,
        waker: None,
        publish_inputs: false,
    }
}

fn run(shared_thread: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut jc = JournalConfig::new(dir.path());
    jc.segment_bytes = 1 << 16;
    let (writer, _, rec) = recovery::open_and_recover(jc.clone(), EngineLimits::default()).unwrap();
    let mut p = Pipeline::start(
        config(dir.path(), shared_thread),
        rec.engine,
        writer,
        Arc::new(Shared::default()),
    );

    let mut inputs: Vec<Input> = Vec::new();
    let mut seq = 0;
    let mut kinds = setup();
    for i in 0..200 {
        kinds.push(place(
            if i % 2 == 0 { Side::Buy } else { Side::Sell },
            100 + (i % 7),
        ));
    }
    for k in kinds {
        seq += 1;
        inputs.push(Input::Command(Command {
            seq,
            ts_ns: seq * 10,
            kind: k,
        }));
    }
    inputs.push(Input::Query(Query::Balances { user: 1 }));
    let (mut sent, mut events) = (0, Vec::new());
    // Directory and user announcements seen.
    let mut mirrors = 0;
    let mut answers = Answers::default();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last_seq_seen = 0;
    let mut got_query_reply = false;
    while !got_query_reply {
        assert!(
            Instant::now() < deadline,
            "pipeline stalled: sent {sent}, events {}",
            events.len()
        );
        // Publish what fits (the ring is small on purpose: backpressure).
        while sent < inputs.len() {
            let slot = InSlot {
                input: inputs[sent],
                session: 7,
                req_id: Some(sent as u64),
                ..InSlot::default()
            };
            if try_publish(&mut p.inbound, slot).is_err() {
                break;
            }
            sent += 1;
        }
        p.outbound.drain(u64::MAX, &mut |o: &OutSlot, _| {
            assert_eq!(o.session, 7);
            match o.output {
                Output::Event(e) => {
                    if let Event::Execution(r) = e {
                        assert!(r.seq >= last_seq_seen, "events out of order");
                        last_seq_seen = r.seq;
                    }
                    events.push(e);
                }
                Output::AssetAdded { .. } | Output::SymbolAdded(_) | Output::UserAdded(_) => {
                    mirrors += 1
                }
                ref a if Answers::takes(a) => {
                    if let Some(Answer::Balances { .. }) = answers.push(a) {
                        got_query_reply = true;
                        assert_eq!(o.req_id, Some(inputs.len() as u64 - 1));
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        });
    }
    // The balances reply comes after every report of the 206 commands before it.
    assert_eq!(last_seq_seen, seq);
    let trades = events
        .iter()
        .filter(|e| matches!(e, Event::Execution(r) if r.exec_type == ExecType::Trade))
        .count();
    assert!(trades > 0);
    // Directory and user mirrors were announced: 2 assets + 1 symbol + 1 user.
    assert_eq!(mirrors, 4);
    let shared = p.shared.clone();
    assert_eq!(
        shared
            .applied_seq
            .load(std::sync::atomic::Ordering::Acquire),
        seq
    );
    p.stop();

    // The stop wrote a snapshot at `seq`; recovery agrees with a replay from scratch.
    let from_snapshot = recovery::recover(dir.path(), EngineLimits::default()).unwrap();
    assert_eq!(from_snapshot.snapshot_seq, Some(seq));
    let mut scratch = Engine::new(EngineLimits::default());
    let mut out = Vec::new();
    for r in journal::read_records(dir.path(), 1).unwrap() {
        scratch.apply(&r.unwrap().command, &mut out).unwrap();
    }
    assert_eq!(scratch.last_seq(), seq);
    assert_eq!(scratch.state_hash(), from_snapshot.engine.state_hash());
}

#[test]
fn journaled_applied_in_order_and_recoverable_shared_thread() {
    run(true);
}

#[test]
fn journaled_applied_in_order_and_recoverable_dedicated_threads() {
    run(false);
}

/// A parked stage is woken when work arrives: with a park of ten minutes,
/// every command still comes out, because the publisher wakes the first
/// stage (`Pipeline::wake`) and a dedicated journaler wakes the logic.
fn wakes_parked_stages(shared_thread: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut jc = JournalConfig::new(dir.path());
    jc.segment_bytes = 1 << 16;
    let (writer, _, rec) = recovery::open_and_recover(jc, EngineLimits::default()).unwrap();
    let mut cfg = config(dir.path(), shared_thread);
    cfg.idle = IdleConfig::Park { us: 600_000_000 };
    let mut p = Pipeline::start(cfg, rec.engine, writer, Arc::new(Shared::default()));
    for (i, kind) in setup().into_iter().enumerate() {
        // Let the stages go to sleep before each command.
        std::thread::sleep(Duration::from_millis(20));
        let seq = i as u64 + 1;
        let slot = InSlot {
            input: Input::Command(Command {
                seq,
                ts_ns: seq,
                kind,
            }),
            want_done: true,
            ..InSlot::default()
        };
        try_publish(&mut p.inbound, slot).expect("ring has room");
        p.wake();
        let deadline = Instant::now() + Duration::from_secs(30);
        'wait: loop {
            assert!(
                Instant::now() < deadline,
                "command {seq} not applied: a parked stage was not woken"
            );
            let mut done = false;
            p.outbound.drain(u64::MAX, &mut |o: &OutSlot, _| {
                if let Output::Done { seq: s } = o.output {
                    assert_eq!(s, seq);
                    done = true;
                }
            });
            if done {
                break 'wait;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    p.stop();
}

#[test]
fn parked_core_thread_is_woken_by_the_publisher() {
    wakes_parked_stages(true);
}

#[test]
fn parked_logic_thread_is_woken_by_the_journaler() {
    wakes_parked_stages(false);
}
