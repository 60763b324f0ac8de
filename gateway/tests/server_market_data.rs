//! Market data over a running `ringex`: a WebSocket subscriber rebuilds the
//! L2 book from its snapshot and sequenced deltas while orders flow from other
//! connections, never sees a `seq` gap, and ends with exactly the book the
//! REST endpoint serves; trades, klines and the ticker arrive; bad channels are
//! refused; a subscriber that cannot keep up is closed with a reason.

mod e2e;

use e2e::{limit, Incoming};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

type Side = BTreeMap<String, String>;

fn apply_levels(book: &mut Side, levels: &Value) {
    for l in levels.as_array().expect("levels") {
        let (p, q) = (
            l[0].as_str().unwrap().to_string(),
            l[1].as_str().unwrap().to_string(),
        );
        if testkit::conformance::decimal_eq(&q, "0") {
            book.remove(&p);
        } else {
            book.insert(p, q);
        }
    }
}

fn as_side(levels: &Value) -> Side {
    let mut s = Side::new();
    apply_levels(&mut s, levels);
    s
}

#[test]
fn a_subscriber_rebuilds_the_book_while_others_trade_and_agrees_with_rest() {
    let (_dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2, 3]);
    let mut traders: Vec<e2e::Ws> = (1..=3).map(|u| srv.trader(u)).collect();
    // Some depth before anyone subscribes: the snapshot must carry it.
    traders[0].request_all(limit("buy", "99", "1"));
    traders[1].request_all(limit("sell", "101", "2"));

    let mut sub = srv.ws();
    let ack = sub.request(json!({"op": "subscribe",
        "channels": ["book:BTC-USD", "trades:BTC-USD", "ticker:BTC-USD", "klines:BTC-USD:1m"]}));
    assert_eq!(ack["type"], "subscribed", "{ack}");
    let snap = sub.recv();
    assert_eq!(
        (snap["type"].as_str(), snap["snapshot"].as_bool()),
        (Some("book"), Some(true)),
        "{snap}"
    );
    let (mut bids, mut asks) = (as_side(&snap["bids"]), as_side(&snap["asks"]));
    assert_eq!(bids.get("99").map(String::as_str), Some("1"));
    let mut seq = snap["seq"].as_u64().unwrap();

    // A deterministic flow from three connections: rests, crosses, cancels.
    let mut x: u64 = 7;
    for i in 0..150u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let t = (x >> 33) as usize % 3;
        let price = 95 + (x >> 40) % 11;
        let qty = format!("0.{}", 1 + (x >> 50) % 9);
        let side = if (x >> 20) & 1 == 0 { "buy" } else { "sell" };
        if i % 10 == 9 {
            traders[t].request_all(json!({"op": "cancel_all", "symbol": "BTC-USD"}));
        } else {
            traders[t].request_all(limit(side, &price.to_string(), &qty));
        }
    }
    for t in &mut traders {
        t.barrier().unwrap();
    }

    let (mut trades, mut klines, mut tickers) = (0, 0, 0);
    loop {
        match sub.next(Duration::from_millis(700)) {
            Incoming::Msg(m) => match m["type"].as_str() {
                Some("book") => {
                    assert_eq!(m["snapshot"], false, "{m}");
                    assert_eq!(m["prev_seq"].as_u64(), Some(seq), "gap before {m}");
                    seq = m["seq"].as_u64().unwrap();
                    assert_eq!(seq, m["prev_seq"].as_u64().unwrap() + 1);
                    apply_levels(&mut bids, &m["bids"]);
                    apply_levels(&mut asks, &m["asks"]);
                }
                Some("trade") => trades += 1,
                Some("kline") => klines += 1,
                Some("ticker") => tickers += 1,
                other => panic!("unexpected {other:?}: {m}"),
            },
            Incoming::Timeout => break,
            Incoming::Closed(how) => panic!("subscriber closed: {how}"),
        }
    }
    let rest = srv.get("/api/v1/orderbook/BTC-USD?depth=1000", None).json();
    assert_eq!(
        rest["seq"].as_u64(),
        Some(seq),
        "REST book at another seq: {rest}"
    );
    assert_eq!(as_side(&rest["bids"]), bids);
    assert_eq!(as_side(&rest["asks"]), asks);
    assert!(!bids.is_empty() || !asks.is_empty());
    let rest_trades = srv
        .get("/api/v1/executions/BTC-USD?limit=1000", None)
        .json();
    assert_eq!(
        rest_trades.as_array().unwrap().len(),
        trades,
        "every public trade was pushed once"
    );
    assert!(
        trades > 0 && klines > 0 && tickers > 0,
        "trades {trades} klines {klines} tickers {tickers}"
    );
    let stats = srv.get("/api/v1/statistics/BTC-USD", None).json();
    assert_eq!(stats["trades"].as_u64(), Some(trades as u64));
    let k = srv.get("/api/v1/klines/BTC-USD/1m?limit=5", None);
    assert_eq!(k.status, 200);
    assert_eq!(srv.get("/api/v1/klines/BTC-USD/7m", None).status, 404);
    assert_eq!(srv.get("/api/v1/orderbook/NOPE-USD", None).status, 404);
}

#[test]
fn unknown_channels_are_refused_and_unsubscribe_stops_the_flow() {
    let (_dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    let mut sub = srv.ws();
    let r = sub.request(json!({"op": "subscribe", "channels": ["book:NOPE-USD"]}));
    assert_eq!(
        (r["type"].as_str(), r["code"].as_str()),
        (Some("error"), Some("malformed")),
        "{r}"
    );
    let r = sub.request(json!({"op": "subscribe", "channels": ["balances"]}));
    assert_eq!(r["code"], "unauthenticated", "{r}");
    let r = sub.request(json!({"op": "subscribe", "channels": ["trades:BTC-USD"]}));
    assert_eq!(r["type"], "subscribed");
    let r = sub.request(json!({"op": "unsubscribe", "channels": ["trades:BTC-USD"]}));
    assert_eq!(r["type"], "unsubscribed", "{r}");
    let mut t = srv.trader(1);
    t.request_all(limit("sell", "100", "1"));
    t.request_all(limit("buy", "100", "1"));
    sub.expect_quiet(Duration::from_millis(500));
}

#[test]
fn a_balances_subscriber_is_told_after_each_change() {
    let (_dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    let mut t = srv.trader(1);
    let r = t.request(json!({"op": "subscribe", "channels": ["balances"]}));
    assert_eq!(r["type"], "subscribed", "{r}");
    t.request_all(limit("buy", "100", "1"));
    // Pushes carry no req_id; the last one shows the lock of the resting order.
    let mut last = None;
    while let Incoming::Msg(m) = t.next(Duration::from_millis(500)) {
        if m["type"] == "balances" && m.get("req_id").is_none_or(Value::is_null) {
            last = Some(m);
        }
    }
    let last = last.expect("a balances push");
    assert!(
        e2e::dec_eq(&last["balances"]["USD"]["locked"], "100"),
        "{last}"
    );
}
