//! Two `ringex` nodes on one replicated stream (a real 3-node JetStream
//! cluster that the test script starts and names in
//! `RINGEX_TEST_NATS_URLS`; without it these tests say so and skip): the
//! standby answers order entry `not_primary` naming the primary; after a
//! `kill -9` of the primary it takes over within `lease_ms` + 1 s with
//! every order a client had a report for; the old primary restarted
//! rejoins as a standby at the same seq.

mod e2e;

use e2e::replication::{healthz, nats_urls as nats, wait_role};
use e2e::{limit, Server};
use serde_json::json;
use std::time::{Duration, Instant};

const LEASE_MS: u64 = 1_000;

fn section(urls: &str, node: &str, stream: &str) -> String {
    e2e::replication::section(urls, node, stream, LEASE_MS, "")
}

fn open_orders(srv: &Server, user: u64) -> Vec<u64> {
    let r = srv.trader(user).request(json!({"op": "open_orders"}));
    let mut ids: Vec<u64> = r["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("open orders: {r}"))
        .iter()
        .map(|o| o["order_id"].as_u64().expect("order_id"))
        .collect();
    ids.sort();
    ids
}

#[test]
fn kill_9_of_the_primary_the_standby_takes_over_with_every_acknowledged_order() {
    let test = "kill_9_of_the_primary_the_standby_takes_over_with_every_acknowledged_order";
    let Some(urls) = nats(test) else { return };
    let stream = format!("FAILOVER_{}", std::process::id());
    let (ra, rb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = Server::start(ra.path(), &section(&urls, "a", &stream));
    wait_role(&a, "primary", Duration::from_secs(15));
    let b = Server::start(rb.path(), &section(&urls, "b", &stream));
    wait_role(&b, "standby", Duration::from_secs(15));

    e2e::setup_market(&mut a.admin(), &[1, 2]);
    let mut acked = Vec::new();
    let mut t1 = a.trader(1);
    for i in 0..40 {
        let replies = t1.request_all(limit("sell", &format!("{}", 100 + i), "0.01"));
        let id = replies
            .iter()
            .find_map(|r| r["order_id"].as_u64())
            .unwrap_or_else(|| panic!("no report: {replies:?}"));
        acked.push(id);
    }
    // The standby refuses order entry and names the primary.
    let r = b.trader(2).request(limit("buy", "50", "0.01"));
    assert_eq!(r["code"], "not_primary", "{r}");
    assert_eq!(r["primary"], a.http.to_string(), "{r}");
    let seq_a = healthz(&a)["seq"].as_u64().unwrap();

    a.kill9();
    let took = wait_role(
        &b,
        "primary",
        Duration::from_millis(LEASE_MS + 1_000) + Duration::from_secs(4),
    );
    eprintln!("failover: the standby led {took:?} after the kill (lease {LEASE_MS} ms)");
    assert!(healthz(&b)["seq"].as_u64().unwrap() >= seq_a);
    assert_eq!(
        open_orders(&b, 1),
        acked,
        "every acknowledged order is on the new primary"
    );
    // Order entry is open there.
    let replies = b.trader(2).request_all(limit("buy", "100", "0.01"));
    assert!(
        replies.iter().any(|r| r["exec_type"] == "trade"),
        "the new primary matches: {replies:?}"
    );

    // The old primary, restarted, follows the new one.
    let a2 = Server::start(ra.path(), &section(&urls, "a", &stream));
    wait_role(&a2, "standby", Duration::from_secs(15));
    let target = healthz(&b)["seq"].as_u64().unwrap();
    let t0 = Instant::now();
    while healthz(&a2)["seq"].as_u64().unwrap() < target {
        assert!(t0.elapsed() < Duration::from_secs(15), "{}", a2.log_tail());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(open_orders(&a2, 1), open_orders(&b, 1));
    let snap = |s: &Server| {
        let r = s.admin().request(json!({"op": "snapshot"}));
        (r["seq"].clone(), r["state_hash"].clone())
    };
    assert_eq!(snap(&a2), snap(&b), "the same state hash");
}
