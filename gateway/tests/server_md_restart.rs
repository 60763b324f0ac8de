//! Market data survives a restart of a running `ringex`: the public trades,
//! klines of several intervals, the 24 h statistics and the book answer the
//! same JSON after a clean stop (SIGINT) and after `kill -9` (the history
//! store is caught up with the journal during recovery, then market data is
//! rebuilt from it). Without a history store they start empty.

mod e2e;

use e2e::{limit, Server};
use serde_json::Value;
use std::time::Duration;

const PATHS: [&str; 8] = [
    "/api/v1/executions/BTC-USD?limit=1000",
    "/api/v1/klines/BTC-USD/1m",
    "/api/v1/klines/BTC-USD/5m",
    "/api/v1/klines/BTC-USD/1h",
    "/api/v1/klines/BTC-USD/1d",
    "/api/v1/klines/BTC-USD/1w",
    "/api/v1/statistics/BTC-USD",
    "/api/v1/orderbook/BTC-USD",
];

/// The answers of [`PATHS`]. A kline's `closed` is left out: it follows the
/// wall clock, which moves between two readings (a minute may end).
fn market_data(srv: &Server) -> Vec<(String, Value)> {
    PATHS
        .iter()
        .map(|p| {
            let r = srv.get(p, None);
            assert_eq!(r.status, 200, "{p}: {}", r.body);
            let mut v = r.json();
            if p.contains("klines") {
                for k in v.as_array_mut().expect("klines") {
                    assert!(k["closed"].is_boolean(), "{k}");
                    k.as_object_mut().expect("kline").remove("closed");
                }
            }
            if p.contains("orderbook") {
                // The book's sequence restarts at 0 (its subscribers resync).
                v.as_object_mut().expect("book").remove("seq");
            }
            (p.to_string(), v)
        })
        .collect()
}

/// Trades at several prices and two book sides; the last input trades.
fn trade(srv: &Server) {
    let mut t1 = srv.trader(1);
    let mut t2 = srv.trader(2);
    t2.request_all(limit("buy", "99", "2"));
    for p in ["100", "101", "102", "103"] {
        t1.request_all(limit("sell", p, "1"));
    }
    t2.request_all(limit("buy", "101", "1.5"));
    t1.request_all(limit("sell", "99", "0.25"));
    t2.request_all(limit("buy", "102", "0.75"));
}

fn assert_same(before: &[(String, Value)], after: &[(String, Value)], when: &str) {
    for ((p, a), (_, b)) in before.iter().zip(after) {
        assert_eq!(a, b, "{p} differs {when}");
    }
}

fn sigint(srv: &mut Server) {
    let st = std::process::Command::new("kill")
        .args(["-INT", &srv.pid().to_string()])
        .status()
        .expect("kill -INT");
    assert!(st.success());
    for _ in 0..200 {
        if !srv.running() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("ringex did not stop on SIGINT:\n{}", srv.log_tail());
}

#[test]
fn executions_klines_and_statistics_are_the_same_after_a_restart() {
    let dir = tempfile::Builder::new()
        .prefix("ringex-e2e-")
        .tempdir()
        .expect("temp dir");
    let mut srv = Server::start(dir.path(), "");
    e2e::setup_market(&mut srv.admin(), &[1, 2]);
    trade(&srv);
    let before = market_data(&srv);
    let trades = before[0].1.as_array().expect("executions").len();
    assert_eq!(trades, 5, "{:?}", before[0]);
    assert!(!before[6].1["last"].is_null(), "{:?}", before[6]);

    sigint(&mut srv);
    let srv = Server::start(dir.path(), "");
    assert!(
        srv.log_tail()
            .contains("market data rebuilt from the history store"),
        "{}",
        srv.log_tail()
    );
    assert_same(&before, &market_data(&srv), "after SIGINT and a restart");

    // More trading, then a crash: the store may not have the last inputs
    // yet; recovery catches it up from the journal before the rebuild.
    trade(&srv);
    let before = market_data(&srv);
    assert_eq!(before[0].1.as_array().unwrap().len(), 10);
    let mut srv = srv;
    srv.kill9();
    let srv = Server::start(dir.path(), "");
    assert_same(&before, &market_data(&srv), "after kill -9 and a restart");
}

#[test]
fn without_a_history_store_market_data_starts_empty() {
    let dir = tempfile::Builder::new()
        .prefix("ringex-e2e-")
        .tempdir()
        .expect("temp dir");
    let none = "[history]\nbackend = \"none\"\n";
    let mut srv = Server::start(dir.path(), none);
    e2e::setup_market(&mut srv.admin(), &[1, 2]);
    trade(&srv);
    assert_eq!(market_data(&srv)[0].1.as_array().unwrap().len(), 5);
    srv.kill9();
    let srv = Server::start(dir.path(), none);
    assert!(
        srv.log_tail().contains("no history store"),
        "{}",
        srv.log_tail()
    );
    let after = market_data(&srv);
    assert_eq!(after[0].1, serde_json::json!([]));
    assert!(after[6].1["last"].is_null(), "{:?}", after[6]);
    // The book is the engine's: it survives either way.
    assert!(!after[7].1["bids"].as_array().unwrap().is_empty());
}
