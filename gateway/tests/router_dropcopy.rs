//! The drop copy's switch from backfill to live, driven deterministically
//! through the router (no sockets): a journal on disk, a router that has
//! routed part of it, a subscription from seq 1 arriving in the middle of
//! an input's events, then live slots faster than the session reads, so
//! that its live buffer overflows and the backfill starts again. The
//! session still gets every event of every input exactly once, in order,
//! and one `caught_up`.

use engine::{
    Command, CommandKind, Engine, EngineLimits, Event, Fixed, KeyHash, Name, OrderType, Place,
    Role, Side, Stp, SymbolSpec, Tif, TxId,
};
use gateway::router::{Router, SessionLimits, Wire};
use journal::{Journal, JournalConfig};
use pipeline::metrics::Metrics;
use pipeline::{OutSlot, Output};
use std::time::{Duration, Instant};
use wire::{Op, Request};

fn n(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn commands() -> Vec<CommandKind> {
    let d = |s: &str| wire::json::parse_decimal(s).unwrap();
    let mut v = vec![
        CommandKind::AddAsset {
            asset: n("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: n("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: n("BTC-USD"),
            base: n("BTC"),
            quote: n("USD"),
            tick_size: d("0.01"),
            lot_size: d("0.0001"),
            min_qty: d("0.0001"),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        }),
    ];
    for u in 1..=2 {
        v.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&format!("k-{u}")),
            role: Role::Trader,
        });
        for (asset, amount) in [("USD", "1000000"), ("BTC", "100")] {
            v.push(CommandKind::Deposit {
                user: u,
                asset: n(asset),
                amount: d(amount),
                tx_id: TxId::new(&format!("d-{u}-{asset}")).unwrap(),
            });
        }
    }
    for i in 0..600u64 {
        let (user, side) = if i % 2 == 0 {
            (1, Side::Sell)
        } else {
            (2, Side::Buy)
        };
        v.push(CommandKind::Place(Place {
            user,
            symbol: n("BTC-USD"),
            side,
            order_type: OrderType::Limit,
            tif: Tif::Gtc,
            price: Some(Fixed::new(10_000 + (i % 7) as i64 * 25, 2)),
            qty: Fixed::new(1 + (i % 3) as i64, 1),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: None,
        }));
    }
    v
}

/// Journals the commands into `dir` with a snapshot at `snap_at`; returns
/// every input's events, and the engine at the end.
fn journal(dir: &std::path::Path, snap_at: u64) -> (Vec<(u64, Vec<Event>)>, Engine) {
    let mut cfg = JournalConfig::new(dir);
    cfg.segment_bytes = 1 << 20;
    cfg.prefault = false;
    let (mut w, _) = Journal::open(cfg).unwrap();
    let mut e = Engine::new(EngineLimits::default());
    let mut all = Vec::new();
    for (i, kind) in commands().into_iter().enumerate() {
        let cmd = Command {
            seq: i as u64 + 1,
            ts_ns: 1_700_000_000_000_000_000 + i as u64 * 1_000_000,
            kind,
        };
        w.append(&cmd).unwrap();
        w.flush_batch().unwrap();
        let mut ev = Vec::new();
        e.apply(&cmd, &mut ev).unwrap();
        all.push((cmd.seq, ev));
        if cmd.seq == snap_at {
            journal::recovery::write_snapshot(dir, &e, 4).unwrap();
        }
    }
    w.close().unwrap();
    (all, e)
}

fn slots(seq: u64, events: &[Event]) -> Vec<OutSlot> {
    events
        .iter()
        .enumerate()
        .map(|(i, ev)| OutSlot {
            output: Output::Event(*ev),
            seq,
            last: i + 1 == events.len(),
            ..OutSlot::default()
        })
        .collect()
}

/// What the session's socket would write: its outbox, emptied.
fn take(router: &mut Router, got: &mut Vec<String>) {
    let out = router.outbox_mut(1).unwrap();
    assert!(!out.overflowed);
    got.extend(out.text.drain(..));
    out.queued = 0;
}

#[test]
fn an_overflowing_live_buffer_restarts_the_backfill_and_loses_nothing() {
    let t = tempfile::tempdir().unwrap();
    let (inputs, engine) = journal(t.path(), 100);
    let end = inputs.last().unwrap().0;
    let mut want = Vec::new();
    for (seq, evs) in &inputs {
        for ev in evs {
            let mut s = String::new();
            wire::json::encode_sequenced_event(ev, *seq, engine.directory(), &mut s);
            want.push(s);
        }
    }
    // An input with several events, to split it across the subscription.
    let split = inputs
        .iter()
        .position(|(s, evs)| *s > 300 && evs.len() >= 3)
        .expect("an input with 3 events");
    let admin = KeyHash::of_key("admin");
    let limits = SessionLimits {
        send_queue_bytes: 1 << 20,
        dropcopy_buffer_bytes: 4 << 10,
        ..SessionLimits::default()
    };
    let mut md = engine::market_data::MarketData::new();
    md.sync_symbols(engine.directory());
    let before = inputs[split].0 - 1;
    let mut router = Router::new(
        engine.directory().clone(),
        engine.users(),
        Some(admin),
        before,
        limits,
        md,
    );
    router.enable_dropcopy(t.path().to_path_buf());
    let metrics = Metrics::default();
    let mut publish = |_| true;
    router.open(1, Wire::Ws, 0);
    let req = |op| Ok(Request { req_id: None, op });
    router.on_request(
        1,
        req(Op::Login {
            key_hash: admin,
            cancel_on_disconnect: false,
        }),
        0,
        0,
        &mut publish,
        &metrics,
    );
    let login = router.outbox_mut(1).unwrap().text.pop_front().unwrap();
    assert!(login.contains("\"login\""), "{login}");
    // The first event of the split input is routed before the subscription.
    let split_slots = slots(inputs[split].0, &inputs[split].1);
    router.on_output(&split_slots[0]);
    router.on_request(
        1,
        req(Op::SubscribeEvents { from_seq: Some(1) }),
        0,
        0,
        &mut publish,
        &metrics,
    );
    let mut got: Vec<String> = Vec::new();
    for s in &split_slots[1..] {
        router.on_output(s);
    }
    // Live inputs pour in while the backfill is read slowly. The backfill
    // switches to live only in `dropcopy_poll`, so the first 40 inputs
    // (well over the 4 KiB buffer) are routed before any poll: the buffer
    // overflows however fast the worker derives the backfill.
    let first_40: usize = inputs[split + 1..split + 41]
        .iter()
        .flat_map(|(seq, evs)| evs.iter().map(move |ev| (*seq, ev)))
        .map(|(seq, ev)| {
            let mut s = String::new();
            wire::json::encode_sequenced_event(ev, seq, engine.directory(), &mut s);
            s.len()
        })
        .sum();
    assert!(first_40 > 4 << 10, "{first_40} bytes");
    for (i, (seq, evs)) in inputs[split + 1..].iter().enumerate() {
        for s in slots(*seq, evs) {
            router.on_output(&s);
        }
        if i % 40 == 39 {
            std::thread::sleep(Duration::from_millis(2));
            router.dropcopy_poll();
            take(&mut router, &mut got);
        }
    }
    assert!(
        router.dropcopy_restarts() > 0,
        "the live buffer never overflowed"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !got.iter().any(|m| m.contains("caught_up")) {
        assert!(Instant::now() < deadline, "no caught_up");
        std::thread::sleep(Duration::from_millis(1));
        router.dropcopy_poll();
        take(&mut router, &mut got);
    }
    take(&mut router, &mut got);
    assert!(got[0].contains("\"subscribed\""), "{}", got[0]);
    let cu: Vec<usize> = (0..got.len())
        .filter(|&i| got[i].contains("caught_up"))
        .collect();
    assert_eq!(cu.len(), 1);
    let m: u64 = got[cu[0]]
        .trim_start_matches("{\"type\":\"caught_up\",\"seq\":")
        .trim_end_matches('}')
        .parse()
        .unwrap();
    assert!(m <= end, "{}", got[cu[0]]);
    let events: Vec<String> = got
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0 && *i != cu[0])
        .map(|(_, m)| m.clone())
        .collect();
    assert_eq!(events.len(), want.len());
    for (i, (g, w)) in events.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "event #{i}");
    }
    // Live from here: the next input goes straight out.
    let extra = [Event::CancelAll {
        seq: end + 1,
        ts_ns: 1,
        user: 1,
        canceled: 0,
    }];
    let n = got.len();
    for s in slots(end + 1, &extra) {
        router.on_output(&s);
    }
    take(&mut router, &mut got);
    assert_eq!(got.len(), n + 1);
    assert!(got[n].contains("cancel_all"), "{}", got[n]);
}
