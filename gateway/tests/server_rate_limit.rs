//! Rate limiting of a running `ringex` configured with a low rate and burst:
//! a burst of requests gets `rate_limited` errors (429 over HTTP), refused
//! requests are not journaled, and once the bucket refills requests succeed
//! again.

mod e2e;

use e2e::{http_request_text, limit, HttpConn};
use serde_json::{json, Value};
use std::time::Duration;

const RATE: u64 = 5;
const BURST: u64 = 10;

fn limited_server() -> (tempfile::TempDir, e2e::Server) {
    let (dir, srv) = e2e::start_fresh(&format!("[limits]\nrate_per_s = {RATE}\nburst = {BURST}\n"));
    let mut admin = srv.admin();
    // Login plus six commands: within the admin session's own burst.
    e2e::setup_market(&mut admin, &[1]);
    (dir, srv)
}

fn applied_seq(srv: &e2e::Server) -> u64 {
    srv.get("/healthz", None).json()["seq"]
        .as_u64()
        .expect("seq")
}

/// Sends `n` requests back to back, then collects one reply per request
/// (plus any further reports of the accepted ones) until a final barrier.
fn burst(ws: &mut e2e::Ws, n: u64, make: impl Fn(u64) -> Value) -> Vec<Value> {
    for i in 1..=n {
        let mut v = make(i);
        v["req_id"] = json!(i);
        ws.send(&v);
    }
    let mut got = Vec::new();
    let mut answered = std::collections::BTreeSet::new();
    while answered.len() < n as usize {
        let m = ws.recv();
        if let Some(id) = m["req_id"].as_u64() {
            answered.insert(id);
        }
        got.push(m);
    }
    got
}

#[test]
fn a_burst_over_the_limit_is_refused_then_served_again() {
    let (_dir, srv) = limited_server();
    let mut ws = srv.trader(1);
    let n = 40;
    let replies = burst(&mut ws, n, |_| json!({"op": "balances"}));
    let limited: Vec<&Value> = replies
        .iter()
        .filter(|r| r["type"] == "error" && r["code"] == "rate_limited")
        .collect();
    let served = replies.iter().filter(|r| r["type"] == "balances").count();
    assert_eq!(
        limited.len() + served,
        n as usize,
        "one reply each: {replies:?}"
    );
    assert!(served >= 1, "some requests are served: {replies:?}");
    assert!(
        limited.len() >= (n - 2 * BURST) as usize,
        "a burst of {n} with burst {BURST} must be limited, got {} limited",
        limited.len()
    );
    assert!(limited.iter().all(|r| r["req_id"].is_u64()), "{limited:?}");

    // The bucket refills: a few requests, paced, all succeed.
    std::thread::sleep(Duration::from_millis(1_000));
    for _ in 0..5 {
        let r = ws.request(json!({"op": "balances"}));
        assert_eq!(r["type"], "balances", "after the refill: {r}");
        std::thread::sleep(Duration::from_millis(1_000 / RATE + 10));
    }
}

#[test]
fn rate_limited_orders_are_not_journaled() {
    let (_dir, srv) = limited_server();
    let mut ws = srv.trader(1);
    let seq0 = applied_seq(&srv);
    let n = 30;
    let replies = burst(&mut ws, n, |i| {
        let mut p = limit("buy", "10", "0.001");
        p["client_order_id"] = json!(format!("o-{i}"));
        p
    });
    let accepted = replies
        .iter()
        .filter(|r| r["type"] == "execution" && r["exec_type"] == "new")
        .count() as u64;
    let limited = replies
        .iter()
        .filter(|r| r["type"] == "error" && r["code"] == "rate_limited")
        .count() as u64;
    assert_eq!(accepted + limited, n, "{replies:?}");
    assert!(limited >= n - 2 * BURST, "{limited} of {n} limited");
    // Let the bucket refill before the queries below.
    std::thread::sleep(Duration::from_millis(1_000));
    assert_eq!(
        applied_seq(&srv),
        seq0 + accepted,
        "only accepted orders are journaled"
    );
    let oo = ws.request(json!({"op": "open_orders"}));
    assert_eq!(
        oo["orders"].as_array().map(|a| a.len() as u64),
        Some(accepted),
        "{oo}"
    );
}

#[test]
fn http_keep_alive_connection_gets_429_then_200_again() {
    let (_dir, srv) = limited_server();
    let mut c = HttpConn::connect(srv.http);
    let mut statuses = Vec::new();
    let req = http_request_text("GET", "/v1/balances", Some("k-1"), None, true);
    // Back to back until refused (bounded: at most 200 requests).
    for _ in 0..200 {
        c.write(req.as_bytes());
        let r = c.response().expect("answer");
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(r.json()["code"], "rate_limited", "{r:?}");
            break;
        }
        assert_eq!(r.status, 200, "{r:?}");
    }
    assert!(statuses.contains(&429), "never limited: {statuses:?}");
    std::thread::sleep(Duration::from_millis(1_000));
    c.write(req.as_bytes());
    let r = c.response().expect("answer");
    assert_eq!(r.status, 200, "after the refill: {r:?}");
}
