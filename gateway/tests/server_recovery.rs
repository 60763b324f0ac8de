//! Crash and shutdown of a running `ringex`: after `kill -9` a restart on
//! the same data dir holds every acknowledged command (same balances, same
//! open orders, same `snapshot` seq and state hash), from the newest
//! snapshot plus the journal tail or from the journal alone; SIGTERM drains,
//! leaves a snapshot and exits 0.

mod e2e;

use e2e::{limit, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// What a client can see of the state: per user, balances and open orders.
fn visible_state(srv: &Server, users: &[u64]) -> Vec<(u64, Value, Value)> {
    users
        .iter()
        .map(|&u| {
            let mut ws = srv.trader(u);
            let mut b = ws.request(json!({"op": "balances"}));
            let mut o = ws.request(json!({"op": "open_orders"}));
            for v in [&mut b, &mut o] {
                v.as_object_mut().expect("object").remove("req_id");
            }
            (u, b, o)
        })
        .collect()
}

/// The admin `snapshot`: (seq, state_hash).
fn snapshot(srv: &Server) -> (u64, String) {
    let r = srv.admin().request(json!({"op": "snapshot"}));
    assert!(
        r["type"] == "admin" && r["op"] == "snapshot" && r["ok"] == true,
        "snapshot: {r}"
    );
    let hash = r["state_hash"].as_str().expect("state_hash").to_string();
    assert!(
        hash.len() >= 32 && hash.bytes().all(|c| c.is_ascii_hexdigit()),
        "{r}"
    );
    (r["seq"].as_u64().expect("seq"), hash)
}

fn healthz_seq(srv: &Server) -> u64 {
    srv.get("/healthz", None).json()["seq"]
        .as_u64()
        .expect("seq")
}

fn snapshot_files(data_dir: &Path) -> Vec<String> {
    match std::fs::read_dir(data_dir.join("snapshots")) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".tmp"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn kill_9_then_restart_on_the_same_data_dir_keeps_the_state() {
    let dir = tempfile::Builder::new()
        .prefix("ringex-e2e-")
        .tempdir()
        .expect("temp dir");
    let users = [1, 2];
    let mut srv = Server::start(dir.path(), "");
    {
        let mut admin = srv.admin();
        e2e::setup_market(&mut admin, &users);
        let mut t1 = srv.trader(1);
        let mut t2 = srv.trader(2);
        for p in ["100", "101", "102"] {
            t1.request_all(limit("sell", p, "1"));
        }
        t2.request_all(limit("buy", "99", "2"));
        let trades = t2.request_all(limit("buy", "101", "1.5"));
        assert!(
            trades.iter().any(|r| r["exec_type"] == "trade"),
            "{trades:?}"
        );
    }

    // 1. Snapshot, crash, restart: the same state, the same hash at the same seq.
    let before = visible_state(&srv, &users);
    let snap = snapshot(&srv);
    assert_eq!(snap.0, healthz_seq(&srv));
    srv.kill9();
    let mut srv = Server::start(dir.path(), "");
    assert_eq!(healthz_seq(&srv), snap.0, "recovered seq");
    assert_eq!(
        visible_state(&srv, &users),
        before,
        "state after kill -9 and restart"
    );
    assert_eq!(
        snapshot(&srv),
        snap,
        "snapshot seq and state hash after restart"
    );

    // 2. Acknowledged commands after the last snapshot survive a crash
    //    (recovery = snapshot + journal tail).
    {
        let mut t1 = srv.trader(1);
        let mut t2 = srv.trader(2);
        for i in 0..20u32 {
            let p = format!("{}", 110 + i);
            let r = t1.request_all(limit("sell", &p, "0.01"));
            assert_eq!(r[0]["exec_type"], "new", "{r:?}");
        }
        let r = t2.request_all(limit("buy", "111", "0.015"));
        assert!(r.iter().any(|x| x["exec_type"] == "trade"), "{r:?}");
        let r = t1.request_all(json!({"op": "cancel", "symbol": "BTC-USD", "order_id": 6}));
        assert_eq!(r[0]["exec_type"], "canceled", "{r:?}");
    }
    let seq_at_crash = healthz_seq(&srv);
    assert_eq!(seq_at_crash, snap.0 + 22);
    let before = visible_state(&srv, &users);
    srv.kill9();
    let mut srv = Server::start(dir.path(), "");
    assert_eq!(
        healthz_seq(&srv),
        seq_at_crash,
        "every acknowledged command recovered"
    );
    assert_eq!(
        visible_state(&srv, &users),
        before,
        "state after the second crash"
    );
    let snap2 = snapshot(&srv);
    assert_eq!(snap2.0, seq_at_crash);

    // 3. The journal alone gives the same state: remove the snapshots.
    srv.kill9();
    std::fs::remove_dir_all(srv.data_dir.join("snapshots")).expect("remove snapshots");
    let srv = Server::start(dir.path(), "");
    assert_eq!(healthz_seq(&srv), seq_at_crash, "replayed from the journal");
    assert_eq!(
        visible_state(&srv, &users),
        before,
        "state replayed from the journal"
    );
    assert_eq!(
        snapshot(&srv),
        snap2,
        "state hash replayed from the journal"
    );
}

#[test]
fn sigterm_drains_writes_a_snapshot_and_exits_0() {
    let dir = tempfile::Builder::new()
        .prefix("ringex-e2e-")
        .tempdir()
        .expect("temp dir");
    let mut srv = Server::start(dir.path(), "");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    let mut t1 = srv.trader(1);
    let r = t1.request_all(limit("buy", "50", "1"));
    assert_eq!(r[0]["exec_type"], "new", "{r:?}");
    let seq = healthz_seq(&srv);
    let before = visible_state(&srv, &[1]);
    assert!(
        snapshot_files(&srv.data_dir).is_empty(),
        "no snapshot before the shutdown"
    );

    // Connections are still open while it stops.
    let status = srv
        .terminate(Duration::from_secs(20))
        .expect("exits within 20 s of SIGTERM");
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        srv.log_tail()
    );
    let files = snapshot_files(&srv.data_dir);
    assert!(
        !files.is_empty(),
        "no snapshot in the data dir's snapshots/ after SIGTERM"
    );
    drop((admin, t1));

    let srv = Server::start(dir.path(), "");
    assert_eq!(healthz_seq(&srv), seq);
    assert_eq!(visible_state(&srv, &[1]), before);
    assert_eq!(snapshot(&srv).0, seq);
}
