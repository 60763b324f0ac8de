//! `ws://HOST/ws/executions`: the public trade stream of every symbol, no
//! login, nothing to send; it shows trades (taker side), never anyone's
//! private reports.

mod e2e;

use e2e::{limit, Incoming};
use serde_json::json;
use std::time::Duration;

#[test]
fn the_public_trade_stream_shows_each_trade_once() {
    let (_dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2]);
    let mut stream = e2e::Ws::connect(srv.http, "/ws/executions");
    let mut t1 = srv.trader(1);
    let mut t2 = srv.trader(2);
    t1.request_all(limit("sell", "100", "1"));
    t1.request_all(limit("sell", "101", "1"));
    let r = t2.request_all(limit("buy", "101", "1.5"));
    assert_eq!(
        r.iter().filter(|x| x["exec_type"] == "trade").count(),
        2,
        "{r:?}"
    );

    for (id, price, qty) in [(1, "100", "1"), (2, "101", "0.5")] {
        let m = stream.recv();
        assert_eq!(m["type"], "trade", "{m}");
        assert_eq!(m["symbol"], "BTC-USD", "{m}");
        assert_eq!(m["trade_id"], id, "{m}");
        assert!(e2e::dec_eq(&m["price"], price), "{m}");
        assert!(e2e::dec_eq(&m["qty"], qty), "{m}");
        assert_eq!(m["taker_side"], "buy", "{m}");
        assert!(m["ts"].is_u64(), "{m}");
        assert!(
            m.get("user").is_none() && m.get("order_id").is_none(),
            "private fields: {m}"
        );
    }
    stream.expect_quiet(Duration::from_millis(300));

    // The stream takes no requests, and stays open.
    stream.send(&json!({"op": "balances", "req_id": 3}));
    let m = stream.recv();
    assert_eq!(
        (m["type"].as_str(), m["code"].as_str()),
        (Some("error"), Some("forbidden")),
        "{m}"
    );
    t2.request_all(limit("buy", "101", "0.1"));
    match stream.next(e2e::REPLY_WAIT) {
        Incoming::Msg(m) => assert_eq!(m["trade_id"], 3, "{m}"),
        other => panic!("expected the third trade, got {other:?}"),
    }
}
