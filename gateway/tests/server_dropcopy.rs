//! The drop copy over a running `ringex`: `subscribe` to `events` from a
//! `seq` while others trade gives every event of every input from there on
//! exactly once, in order, equal to the events the journal gives offline
//! (the engine replayed, in the form of `ringex-replay events`), with one
//! `caught_up` at the switch from backfill to live; a consumer resumes from
//! any seq; only the admin and `dropcopy` users may subscribe, and a
//! `dropcopy` user may not trade.

mod e2e;

use e2e::{limit, Ws};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// Every event of inputs `from..=to`, derived from the journal by an
/// engine replayed from scratch.
fn derived(data_dir: &Path, from: u64, to: u64) -> Vec<Value> {
    let mut engine = engine::Engine::new(engine::EngineLimits::default());
    let mut events = Vec::new();
    let mut out = Vec::new();
    for rec in journal::read_records(data_dir, 0).expect("journal") {
        let rec = rec.expect("record");
        if rec.seq > to {
            break;
        }
        events.clear();
        engine.apply(&rec.command, &mut events).expect("replay");
        if rec.seq >= from {
            for ev in &events {
                let mut s = String::new();
                wire::json::encode_sequenced_event(ev, rec.seq, engine.directory(), &mut s);
                out.push(serde_json::from_str(&s).expect("json"));
            }
        }
    }
    out
}

/// Reads the answer to a subscription, then `n` events and one
/// `caught_up` in whatever order they come; checks that nothing follows.
/// Returns the events and the `caught_up` seq.
fn consume(ws: &mut Ws, n: usize) -> (Vec<Value>, u64) {
    let ack = ws.recv();
    assert_eq!(ack["type"], "subscribed", "{ack}");
    assert_eq!(ack["channels"], json!(["events"]), "{ack}");
    let (mut events, mut caught_up) = (Vec::new(), None);
    while events.len() < n || caught_up.is_none() {
        let m = ws.recv();
        if m["type"] == "caught_up" {
            assert!(caught_up.is_none(), "a second caught_up: {m}");
            let seq = m["seq"].as_u64().expect("seq");
            // Everything before it is at or below its seq.
            assert!(
                events
                    .iter()
                    .all(|e: &Value| e["seq"].as_u64() <= Some(seq)),
                "caught_up {seq} after later events"
            );
            caught_up = Some((seq, events.len()));
        } else {
            assert!(m["seq"].is_u64(), "an event without seq: {m}");
            events.push(m);
        }
    }
    ws.expect_quiet(Duration::from_millis(300));
    let (m, at) = caught_up.unwrap();
    // ... and everything after it is later.
    assert!(events[at..].iter().all(|e| e["seq"].as_u64() > Some(m)));
    (events, m)
}

/// `rounds` rests and crosses between users 1 and 2.
fn trade(addr: std::net::SocketAddr, rounds: u32) {
    let login = |u: u64| {
        let mut ws = Ws::connect(addr, "/ws");
        assert_eq!(ws.login(&format!("k-{u}"), false)["type"], "login");
        ws
    };
    let (mut t1, mut t2) = (login(1), login(2));
    for i in 0..rounds {
        let p = format!("{}", 100 + i % 5);
        t1.request_all(limit("sell", &p, "1"));
        t2.request_all(limit("buy", &p, "0.5"));
        t2.request_all(limit("buy", "90", "0.1"));
        t1.request_all(limit("sell", "90", "0.05"));
    }
}

fn last_seq(srv: &e2e::Server) -> u64 {
    srv.get("/healthz", None).json()["seq"].as_u64().unwrap()
}

#[test]
fn consumers_get_every_event_once_in_order_across_the_switch_and_resume() {
    let (_dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2]);
    admin.admin_ok(json!({"op": "add_user", "user": 9, "api_key": "k-dc", "role": "dropcopy"}));
    trade(srv.http, 20);
    // The middle consumer's backfill starts from this snapshot.
    admin.admin_ok(json!({"op": "snapshot"}));
    trade(srv.http, 20);
    let mid = last_seq(&srv) - 30;

    // Both subscribe while trading goes on.
    let live = std::thread::spawn({
        let addr = srv.http;
        move || trade(addr, 60)
    });
    let mut a = srv.ws();
    assert_eq!(a.login("k-dc", false)["role"], "dropcopy");
    a.send(&json!({"op": "subscribe", "channels": ["events"], "from_seq": 1}));
    let mut b = srv.admin();
    b.send(&json!({"op": "subscribe", "channels": ["events"], "from_seq": mid}));
    live.join().expect("trading");
    let end = last_seq(&srv);

    let all = derived(&srv.data_dir, 1, end);
    let (got, m) = consume(&mut a, all.len());
    assert_eq!(got.len(), all.len());
    for (i, (g, w)) in got.iter().zip(&all).enumerate() {
        assert_eq!(g, w, "event #{i} from seq 1");
    }
    assert!(
        (1..=end).all(|s| got.iter().any(|e| e["seq"] == s)),
        "a seq is missing"
    );
    assert!(m <= end);

    let tail = derived(&srv.data_dir, mid, end);
    let (got, _) = consume(&mut b, tail.len());
    assert_eq!(got, tail, "from seq {mid}");

    // Resuming after the last seq: nothing to backfill, caught up at once,
    // then live events only.
    let mut c = srv.ws();
    c.login("k-dc", false);
    c.send(&json!({"op": "subscribe", "channels": ["events"], "from_seq": end + 1}));
    assert_eq!(c.recv()["type"], "subscribed");
    assert_eq!(c.recv(), json!({"type": "caught_up", "seq": end}));
    trade(srv.http, 1);
    let next = derived(&srv.data_dir, end + 1, last_seq(&srv));
    for want in &next {
        assert_eq!(&c.recv(), want);
    }
    c.expect_quiet(Duration::from_millis(300));
    // The earlier consumers got the same live events.
    for ws in [&mut a, &mut b] {
        for want in &next {
            assert_eq!(&ws.recv(), want);
        }
    }
}

#[test]
fn only_the_admin_and_dropcopy_users_subscribe_and_dropcopy_users_do_not_trade() {
    let (_dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    admin.admin_ok(json!({"op": "add_user", "user": 9, "api_key": "k-dc", "role": "dropcopy"}));
    let sub = json!({"op": "subscribe", "channels": ["events"], "from_seq": 1});

    let mut t = srv.trader(1);
    let r = t.request(sub.clone());
    assert_eq!(
        (r["type"].as_str(), r["code"].as_str()),
        (Some("error"), Some("forbidden")),
        "{r}"
    );
    let r = srv.ws().request(sub.clone());
    assert_eq!(r["code"], "unauthenticated", "{r}");

    let mut dc = srv.ws();
    dc.login("k-dc", false);
    let r = dc.request(limit("buy", "100", "1"));
    assert_eq!(r["code"], "forbidden", "{r}");
    let r = dc.request(json!({"op": "balances"}));
    assert_eq!(r["code"], "forbidden", "{r}");
    let r = dc
        .request(json!({"op": "deposit", "user": 9, "asset": "USD", "amount": "1", "tx_id": "x"}));
    assert_eq!(r["code"], "forbidden", "{r}");
    let r = srv.post(
        "/v1/order",
        Some("k-dc"),
        &limit("buy", "100", "1").to_string(),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // `events` with other channels, or from a seq not reached yet.
    let r = dc.request(json!({"op": "subscribe", "channels": ["events", "trades:BTC-USD"]}));
    assert_eq!(r["code"], "malformed", "{r}");
    let r = dc.request(json!({"op": "subscribe", "channels": ["events"], "from_seq": 1_000_000}));
    assert_eq!(r["code"], "malformed", "{r}");
    // Then the real thing works on the same session.
    dc.send(&sub);
    let all = derived(&srv.data_dir, 1, last_seq(&srv));
    let (got, _) = consume(&mut dc, all.len());
    assert_eq!(got, all);
    // No other user's orders leaked to it, nothing else was journaled.
    assert!(got.iter().all(|e| e["user"] != 9 || e["type"] == "admin"));
}
