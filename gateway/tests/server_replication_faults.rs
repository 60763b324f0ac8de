//! A replicated pair under faults, on a real 3-node JetStream cluster
//! (`scripts/nats.sh`; without its `RINGEX_TEST_NATS_*` variables these
//! tests print a NOTICE and skip):
//! - NATS nodes killed: with one down clients see nothing; with two down the
//!   primary releases nothing unreplicated; the quorum back, trading
//!   resumes with nothing lost.
//! - `ack = "local"`: with two NATS nodes down the primary still answers
//!   orders (contrast the above), and the standby gets them once the
//!   quorum is back.
//! - A paused (SIGSTOP) primary that wakes after the standby took over never
//!   gets a message into the stream after the new epoch's, and releases no
//!   report for an input the new primary lacks.
//! - `/metrics` carries the `ringex_replication_*` figures.
//!
//! The tests stop NATS nodes or need a healthy cluster for their timing:
//! each holds [`serial`] for its whole run.

mod e2e;

use e2e::replication::{
    healthz, metric, nats_urls, open_clids, section, serial, wait_role, wait_seq, NatsNodes,
};
use e2e::{limit, Incoming, Server, Ws, REPLY_WAIT};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Long enough that a primary keeps its lease through a NATS outage of a
/// few seconds and the cluster's re-elections after it.
const LONG_LEASE_MS: u64 = 20_000;
/// For the takeover test.
const SHORT_LEASE_MS: u64 = 1_000;

/// Sends a sell (or buy) of 0.01 BTC at `price` with `clid`, not waiting;
/// its `req_id`.
fn place(ws: &mut Ws, side: &str, price: &str, clid: &str) -> u64 {
    let id = ws.fresh_req_id();
    let mut v = limit(side, price, "0.01");
    v["client_order_id"] = json!(clid);
    v["req_id"] = json!(id);
    ws.send(&v);
    id
}

/// The first message carrying `req_id` within `wait`; others are dropped.
fn answer(ws: &mut Ws, req_id: u64, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        match ws.next(left) {
            Incoming::Msg(v) if v["req_id"] == req_id => return Some(v),
            Incoming::Msg(_) | Incoming::Timeout => {}
            Incoming::Closed(how) => panic!("connection closed ({how}) waiting for {req_id}"),
        }
    }
}

/// An execution report (an output of the engine), not a gateway error.
fn is_report(v: &Value) -> bool {
    v["order_id"].is_u64()
}

/// Places and waits for the report; panics on anything else.
fn placed(ws: &mut Ws, side: &str, price: &str, clid: &str, wait: Duration) -> Value {
    let id = place(ws, side, price, clid);
    match answer(ws, id, wait) {
        Some(v) if is_report(&v) => v,
        other => panic!("{clid}: no report within {wait:?}: {other:?}"),
    }
}

fn seq(srv: &Server) -> u64 {
    healthz(srv)["seq"].as_u64().expect("seq")
}

fn wait_metric(srv: &Server, name: &str, ok: impl Fn(f64) -> bool, within: Duration) -> f64 {
    let t0 = Instant::now();
    loop {
        if let Some(v) = metric(srv, name) {
            if ok(v) {
                return v;
            }
        }
        assert!(
            t0.elapsed() < within,
            "{name} = {:?} after {within:?}\n{}",
            metric(srv, name),
            srv.log_last(40)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Who leads once things settled: the one whose `/healthz` says primary.
fn wait_primary<'a>(a: &'a Server, b: &'a Server, within: Duration) -> &'a Server {
    let t0 = Instant::now();
    loop {
        for s in [a, b] {
            if healthz(s)["role"] == "primary" {
                return s;
            }
        }
        assert!(
            t0.elapsed() < within,
            "no primary within {within:?}: {} / {}",
            healthz(a),
            healthz(b)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn nats_nodes_lost_one_changes_nothing_two_release_nothing_unreplicated_and_trading_resumes() {
    let test =
        "nats_nodes_lost_one_changes_nothing_two_release_nothing_unreplicated_and_trading_resumes";
    let _serial = serial();
    let Some(urls) = nats_urls(test) else { return };
    let Some(mut nodes) = NatsNodes::from_env(test) else {
        return;
    };
    let stream = format!("NODELOSS_{}", std::process::id());
    let (ra, rb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start(ra.path(), &section(&urls, "a", &stream, LONG_LEASE_MS, ""));
    wait_role(&a, "primary", Duration::from_secs(30));
    let b = Server::start(rb.path(), &section(&urls, "b", &stream, LONG_LEASE_MS, ""));
    wait_role(&b, "standby", Duration::from_secs(30));
    e2e::setup_market(&mut a.admin(), &[1, 2]);
    let mut t1 = a.trader(1);
    let mut reported = Vec::new();
    for i in 0..5 {
        let clid = format!("up-{i}");
        placed(&mut t1, "sell", &format!("{}", 100 + i), &clid, REPLY_WAIT);
        reported.push(clid);
    }

    // One node down: every order is answered (a re-election of the stream's
    // leader may slow a few down; generous deadline).
    nodes.kill(3);
    let mut slowest = Duration::ZERO;
    for i in 0..10 {
        let clid = format!("one-down-{i}");
        let t0 = Instant::now();
        placed(
            &mut t1,
            "sell",
            &format!("{}", 200 + i),
            &clid,
            Duration::from_secs(30),
        );
        slowest = slowest.max(t0.elapsed());
        reported.push(clid);
    }
    eprintln!("one NATS node down: 10 orders answered, the slowest in {slowest:?}");
    assert_eq!(healthz(&a)["role"], "primary");
    wait_seq(&b, seq(&a), Duration::from_secs(30));

    // Two down: no quorum. The order is journaled but not released.
    let failures = "ringex_replication_publish_failures_total";
    let failed_before = metric(&a, failures).expect("failures");
    nodes.kill(2);
    let held = place(&mut t1, "sell", "300", "held");
    // The outage shows: publishes fail and are counted.
    wait_metric(&a, failures, |v| v > failed_before, Duration::from_secs(30));
    wait_metric(
        &a,
        "ringex_replication_available",
        |v| v == 0.0,
        Duration::from_secs(30),
    );
    match answer(&mut t1, held, Duration::from_secs(2)) {
        None => {}
        Some(v) => assert!(
            !is_report(&v),
            "a report released without the stream's ack: {v}"
        ),
    }
    assert_eq!(
        metric(&a, "ringex_replication_unreplicated_seq"),
        Some(0.0),
        "with ack = \"replicated\" nothing is applied ahead of the stream"
    );

    // The quorum back: the held order's report comes, trading resumes.
    let t_back = Instant::now();
    nodes.restore().expect("NATS nodes restarted");
    let late = answer(&mut t1, held, Duration::from_secs(60));
    eprintln!(
        "two NATS nodes down then back: the held order answered {:?} after the restart: {late:?}",
        t_back.elapsed()
    );
    let p = wait_primary(&a, &b, Duration::from_secs(60));
    let other = if std::ptr::eq(p, &a) { &b } else { &a };
    eprintln!(
        "primary after the outage: {} (a kept its lease: {})",
        healthz(p)["primary"],
        std::ptr::eq(p, &a)
    );
    match &late {
        Some(v) if is_report(v) => reported.push("held".into()),
        _ => {
            // Never reported: a client retries it with the same id.
            let mut t = p.trader(1);
            let id = place(&mut t, "sell", "300", "held");
            let r = answer(&mut t, id, Duration::from_secs(30)).expect("retry answered");
            eprintln!("the held order retried on the primary: {r}");
        }
    }
    let mut tp = p.trader(1);
    placed(&mut tp, "sell", "400", "after", Duration::from_secs(30));
    reported.push("after".into());
    let on_p = open_clids(p, 1);
    for c in &reported {
        assert!(
            on_p.contains(c),
            "{c} was reported but is not on the primary: {on_p:?}"
        );
    }
    assert_eq!(
        on_p.iter().filter(|c| *c == "held").count(),
        1,
        "the held order exists once: {on_p:?}"
    );
    // The standby (if it is one) converges to the primary.
    if healthz(other)["role"] == "standby" {
        wait_seq(other, seq(p), Duration::from_secs(60));
        assert_eq!(open_clids(other, 1), on_p);
    }
}

#[test]
fn ack_local_answers_with_two_nats_nodes_down_and_the_standby_gets_it_all_after() {
    let test = "ack_local_answers_with_two_nats_nodes_down_and_the_standby_gets_it_all_after";
    let _serial = serial();
    let Some(urls) = nats_urls(test) else { return };
    let Some(mut nodes) = NatsNodes::from_env(test) else {
        return;
    };
    let stream = format!("ACKLOCAL_{}", std::process::id());
    let local = "ack = \"local\"";
    let (ra, rb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start(
        ra.path(),
        &section(&urls, "a", &stream, LONG_LEASE_MS, local),
    );
    wait_role(&a, "primary", Duration::from_secs(30));
    let b = Server::start(
        rb.path(),
        &section(&urls, "b", &stream, LONG_LEASE_MS, local),
    );
    wait_role(&b, "standby", Duration::from_secs(30));
    e2e::setup_market(&mut a.admin(), &[1, 2]);
    let mut t1 = a.trader(1);
    placed(&mut t1, "sell", "100", "up", REPLY_WAIT);
    wait_seq(&b, seq(&a), Duration::from_secs(30));
    let b_before = seq(&b);

    nodes.kill(3);
    nodes.kill(2);
    // No quorum, yet every order is answered at once: outputs leave after
    // the local journal.
    for i in 0..5 {
        placed(
            &mut t1,
            "sell",
            &format!("{}", 200 + i),
            &format!("local-{i}"),
            REPLY_WAIT,
        );
    }
    let a_seq = seq(&a);
    let unreplicated = metric(&a, "ringex_replication_unreplicated_seq").expect("metric");
    assert!(
        unreplicated >= 5.0,
        "5 reported inputs are not in the stream yet: {unreplicated}"
    );
    assert_eq!(
        seq(&b),
        b_before,
        "the standby cannot have them: the stream does not"
    );
    assert_eq!(healthz(&a)["role"], "primary");

    // The quorum back: the replicator stores them, the standby follows.
    nodes.restore().expect("NATS nodes restarted");
    wait_seq(&b, a_seq, Duration::from_secs(60));
    wait_metric(
        &a,
        "ringex_replication_unreplicated_seq",
        |v| v == 0.0,
        Duration::from_secs(60),
    );
    assert_eq!(open_clids(&b, 1), open_clids(&a, 1));
    assert_eq!(
        open_clids(&b, 1).len(),
        6,
        "up and local-0..4 rest on the standby"
    );
    assert_eq!(healthz(&a)["role"], "primary", "the primary kept its lease");
    let snap = |s: &Server| {
        let r = s.admin().request(json!({"op": "snapshot"}));
        (r["seq"].clone(), r["state_hash"].clone())
    };
    assert_eq!(snap(&a), snap(&b), "the same state hash");
}

#[test]
fn a_paused_primary_that_wakes_after_the_takeover_writes_and_reports_nothing_the_new_one_lacks() {
    let test = "a_paused_primary_that_wakes_after_the_takeover_writes_and_reports_nothing_the_new_one_lacks";
    let _serial = serial();
    let Some(urls) = nats_urls(test) else { return };
    let stream = format!("PAUSED_{}", std::process::id());
    let (ra, rb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start(ra.path(), &section(&urls, "a", &stream, SHORT_LEASE_MS, ""));
    wait_role(&a, "primary", Duration::from_secs(30));
    let b = Server::start(rb.path(), &section(&urls, "b", &stream, SHORT_LEASE_MS, ""));
    wait_role(&b, "standby", Duration::from_secs(30));
    e2e::setup_market(&mut a.admin(), &[1, 2]);
    let mut t1 = a.trader(1);
    let mut reports = Vec::new();
    for i in 0..5 {
        reports.push(placed(
            &mut t1,
            "sell",
            &format!("{}", 100 + i),
            &format!("pre-{i}"),
            REPLY_WAIT,
        ));
    }
    // The replication figures of a primary that has published.
    assert_eq!(
        metric(&a, "ringex_replication_role{role=\"primary\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&a, "ringex_replication_role{role=\"standby\"}"),
        Some(0.0)
    );
    let epoch_a = healthz(&a)["epoch"].as_u64().expect("epoch");
    assert_eq!(metric(&a, "ringex_replication_epoch"), Some(epoch_a as f64));
    assert!(metric(&a, "ringex_replication_ack_latency_seconds_count").unwrap_or(0.0) >= 5.0);
    assert_eq!(
        metric(&b, "ringex_replication_role{role=\"standby\"}"),
        Some(1.0)
    );

    // Orders on their way in as the primary freezes.
    let burst: Vec<u64> = (0..10)
        .map(|i| {
            place(
                &mut t1,
                "sell",
                &format!("{}", 200 + i),
                &format!("burst-{i}"),
            )
        })
        .collect();
    a.pause();
    let took = wait_role(&b, "primary", Duration::from_secs(20));
    eprintln!("the standby led {took:?} after the SIGSTOP (lease {SHORT_LEASE_MS} ms)");
    let epoch_b = healthz(&b)["epoch"].as_u64().expect("epoch");
    assert!(epoch_b > epoch_a, "{epoch_b} > {epoch_a}");
    // The new primary writes to the stream.
    let mut tb = b.trader(1);
    reports.push(placed(&mut tb, "sell", "500", "on-b", REPLY_WAIT));

    // Orders the frozen primary's kernel takes: it reads them after it
    // wakes, and may journal them, but must never report them.
    let late: Vec<u64> = (0..5)
        .map(|i| {
            place(
                &mut t1,
                "sell",
                &format!("{}", 600 + i),
                &format!("late-{i}"),
            )
        })
        .collect();
    a.resume();
    // Whatever the old primary says now, for 5 s.
    let t0 = Instant::now();
    let mut after = Vec::new();
    while t0.elapsed() < Duration::from_secs(5) {
        match t1.next(Duration::from_millis(200)) {
            Incoming::Msg(v) => after.push(v),
            Incoming::Timeout => {}
            Incoming::Closed(_) => break,
        }
    }
    let woke: Vec<&Value> = after.iter().filter(|v| is_report(v)).collect();
    let clids: Vec<&str> = after
        .iter()
        .map(|v| {
            v["client_order_id"]
                .as_str()
                .unwrap_or(v["code"].as_str().unwrap_or("?"))
        })
        .collect();
    eprintln!(
        "the old primary after SIGCONT: {} messages, {} reports (burst of {}, {} sent while frozen): {clids:?}",
        after.len(),
        woke.len(),
        burst.len(),
        late.len()
    );
    for v in &woke {
        assert!(
            !late.contains(&v["req_id"].as_u64().unwrap_or(0)),
            "an order sent after the takeover was reported by the old primary: {v}"
        );
    }
    wait_role(&a, "stopped", Duration::from_secs(20));
    assert_eq!(
        metric(&a, "ringex_replication_role{role=\"stopped\"}"),
        Some(1.0)
    );

    // Every report any client got is on the new primary.
    let on_b = open_clids(&b, 1);
    for r in reports.iter().chain(woke.iter().copied()) {
        let c = r["client_order_id"]
            .as_str()
            .unwrap_or_else(|| panic!("clid: {r}"));
        assert!(
            on_b.contains(&c.to_string()),
            "{c} was reported but the new primary lacks it: {on_b:?}"
        );
    }

    // The stream: epochs never go back, so nothing of the old epoch comes
    // after the new epoch's first message.
    let mut cfg =
        replication::ReplicationConfig::new(urls.split(',').map(String::from).collect(), "reader");
    cfg.stream = stream.clone();
    let link = replication::Link::connect(&cfg).expect("link");
    let tail = link.tail().expect("tail");
    let mut epochs = Vec::new();
    for s in 1..=tail.stream_seq {
        let m = link.get(s).expect("get").expect("message");
        epochs.push(m.epoch);
    }
    let first_b = epochs
        .iter()
        .position(|&e| e == epoch_b)
        .expect("the new epoch is in the stream");
    assert!(
        epochs[first_b..].iter().all(|&e| e >= epoch_b),
        "an older epoch wrote after epoch {epoch_b}'s first message: {epochs:?}"
    );
    assert!(epochs.windows(2).all(|w| w[0] <= w[1]), "{epochs:?}");
    eprintln!(
        "stream epochs by message: {} of epoch {epoch_a}, then {} of {epoch_b}",
        epochs.iter().filter(|&&e| e == epoch_a).count(),
        epochs.iter().filter(|&&e| e == epoch_b).count()
    );
}
