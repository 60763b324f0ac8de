//! History queries of a running `ringex` over WebSocket, HTTP and the
//! binary port: an order in any state, closed orders, own trades, transfers
//! and public executions from the store, paginated, each the caller's own
//! data (the admin's: everyone's); the same answers after a restart; bad
//! input answered with clear codes, never with another user's rows. Run
//! against SQLite (the default) and, when `RINGEX_TEST_PG_URL` is set,
//! PostgreSQL. And pages of open orders: 187,000 resting orders of one
//! trader, every page delivered, together all of them.

mod e2e;

use e2e::Server;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use wire::binary::ReplyBody;
use wire::client::{Client, ClientError};
use wire::{ErrorCode, HistoryQuery, OrderLookup};

fn place(ws: &mut e2e::Ws, side: &str, price: &str, qty: &str, clid: &str) -> u64 {
    let mut o = e2e::limit(side, price, qty);
    o["client_order_id"] = json!(clid);
    let r = ws.request(o);
    assert_eq!(r["type"], "execution", "{r}");
    r["order_id"].as_u64().unwrap()
}

fn error_code(v: &Value) -> &str {
    assert_eq!(v["type"], "error", "expected an error, got {v}");
    v["code"].as_str().unwrap()
}

/// What the market holds after [`trade_cancel_deposit`].
struct Ids {
    /// User 1's resting sell, partly filled (0.4 of 1).
    rest: u64,
    /// User 2's buy, filled against it.
    filled: u64,
    /// User 1's canceled sell.
    canceled: u64,
}

/// User 1 rests a sell, user 2 buys part of it, user 1 places and cancels
/// another; the admin deposits once more for user 1 and withdraws.
fn trade_cancel_deposit(srv: &Server) -> Ids {
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2, 3]);
    let mut t1 = srv.trader(1);
    let mut t2 = srv.trader(2);
    let rest = place(&mut t1, "sell", "100", "1", "s-1");
    let filled = place(&mut t2, "buy", "100", "0.4", "b-1");
    let canceled = place(&mut t1, "sell", "105", "0.5", "s-2");
    let r = t1.request(json!({"op":"cancel","symbol":"BTC-USD","order_id":canceled}));
    assert_eq!(r["exec_type"], "canceled", "{r}");
    admin.admin_ok(json!({"op":"deposit","user":1,"asset":"USD","amount":"5","tx_id":"extra-1"}));
    admin.admin_ok(json!({"op":"withdraw","user":1,"asset":"USD","amount":"2.5","tx_id":"out-1"}));
    Ids {
        rest,
        filled,
        canceled,
    }
}

fn ws_checks(srv: &Server, ids: &Ids) {
    let mut t1 = srv.trader(1);
    // One order in any state: open (partly filled), canceled, by client id.
    let r = t1.request(json!({"op":"order","order_id":ids.rest}));
    assert_eq!(r["type"], "order", "{r}");
    let o = &r["order"];
    assert_eq!(
        (o["order_id"].as_u64(), o["user"].as_u64()),
        (Some(ids.rest), Some(1))
    );
    assert_eq!(o["status"], "partially_filled", "{o}");
    assert!(e2e::dec_eq(&o["filled_qty"], "0.4"), "{o}");
    assert!(e2e::dec_eq(&o["avg_price"], "100"), "{o}");
    assert!(e2e::dec_eq(&o["price"], "100"), "{o}");
    assert!(r["as_of_seq"].as_u64().unwrap() > 0, "{r}");
    let r = t1.request(json!({"op":"order","client_order_id":"s-2"}));
    assert_eq!(r["order"]["order_id"], ids.canceled, "{r}");
    assert_eq!(r["order"]["status"], "canceled", "{r}");
    assert_eq!(r["order"]["reason"], "user_canceled", "{r}");
    // Another user's order answers exactly like an unknown one.
    let other = t1.request(json!({"op":"order","order_id":ids.filled}));
    let unknown = t1.request(json!({"op":"order","order_id":987654}));
    assert_eq!(error_code(&other), "unknown_order");
    assert_eq!(error_code(&unknown), "unknown_order");
    assert_eq!(other["message"], unknown["message"]);
    let r = t1.request(json!({"op":"order","client_order_id":"b-1"}));
    assert_eq!(error_code(&r), "unknown_order", "user 2's client id");

    // Closed orders: user 1's canceled one only; user 2's filled one.
    let r = t1.request(json!({"op":"order_history","symbol":"BTC-USD"}));
    assert_eq!(r["type"], "order_history", "{r}");
    let ids1: Vec<u64> = r["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids1, vec![ids.canceled], "{r}");
    assert!(r["next_cursor"].is_null(), "{r}");
    let mut t2 = srv.trader(2);
    let r = t2.request(json!({"op":"order_history"}));
    assert_eq!(r["orders"][0]["order_id"], ids.filled, "{r}");
    assert_eq!(r["orders"][0]["status"], "filled", "{r}");
    assert_eq!(r["orders"].as_array().unwrap().len(), 1, "{r}");
    // A time range that excludes it.
    let r = t2.request(json!({"op":"order_history","from_ts":1,"to_ts":2}));
    assert_eq!(r["orders"], json!([]), "{r}");

    // Own fills: the trader's side only, no counterparty.
    let r = t1.request(json!({"op":"my_trades","symbol":"BTC-USD"}));
    assert_eq!(r["type"], "my_trades", "{r}");
    let trades = r["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 1, "{r}");
    let t = &trades[0];
    assert_eq!(
        (t["side"].as_str(), t["liquidity"].as_str()),
        (Some("sell"), Some("maker"))
    );
    assert_eq!(t["order_id"], ids.rest, "{t}");
    assert!(
        e2e::dec_eq(&t["price"], "100") && e2e::dec_eq(&t["qty"], "0.4"),
        "{t}"
    );
    assert!(
        e2e::dec_eq(&t["fee"], "0.04"),
        "maker fee 10 bps of 40 USD: {t}"
    );
    for k in [
        "taker_user",
        "maker_user",
        "taker_order_id",
        "maker_order_id",
    ] {
        assert!(t.get(k).is_none(), "a trader sees no {k}: {t}");
    }
    let r2 = t2.request(json!({"op":"my_trades"}));
    assert_eq!(r2["trades"][0]["side"], "buy", "{r2}");
    assert_eq!(r2["trades"][0]["liquidity"], "taker", "{r2}");
    let r3 = srv.trader(3).request(json!({"op":"my_trades"}));
    assert_eq!(r3["trades"], json!([]), "user 3 traded nothing: {r3}");

    // Transfers, two per page: USD, BTC, extra-1, out-1.
    let r = t1.request(json!({"op":"transfers","limit":2}));
    assert_eq!(r["type"], "transfers", "{r}");
    let page1 = r["transfers"].as_array().unwrap().clone();
    assert_eq!(page1.len(), 2, "{r}");
    let cursor = r["next_cursor"].as_u64().expect("a next page");
    let r = t1.request(json!({"op":"transfers","limit":2,"after_seq":cursor}));
    let page2 = r["transfers"].as_array().unwrap().clone();
    assert!(r["next_cursor"].is_null(), "the last page says so: {r}");
    let txs: Vec<&str> = page1
        .iter()
        .chain(&page2)
        .map(|t| t["tx_id"].as_str().unwrap())
        .collect();
    assert_eq!(txs, ["d-1-USD", "d-1-BTC", "extra-1", "out-1"], "{page2:?}");
    assert_eq!(page2[1]["kind"], "withdrawal");
    assert!(e2e::dec_eq(&page2[1]["amount"], "2.5"), "{page2:?}");
    assert!(page1.iter().chain(&page2).all(|t| t["user"] == 1));

    // Public executions from the store, by op too.
    let r = t1.request(json!({"op":"executions","symbol":"BTC-USD","limit":10}));
    assert_eq!(r["trades"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["trades"][0]["taker_side"], "buy", "{r}");

    // Bad input: clear codes, the req_id echoed.
    for (q, code) in [
        (json!({"op":"my_trades","limit":0}), "invalid_limit"),
        (json!({"op":"my_trades","limit":1001}), "invalid_limit"),
        (json!({"op":"order_history","limit":"abc"}), "invalid_limit"),
        (json!({"op":"transfers","after_seq":"x"}), "invalid_cursor"),
        (json!({"op":"order_history","cursor":-5}), "invalid_cursor"),
        (
            json!({"op":"my_trades","from_trade_id":"1e3"}),
            "invalid_cursor",
        ),
        (
            json!({"op":"order_history","from_ts":10,"to_ts":9}),
            "invalid_range",
        ),
        (json!({"op":"open_orders","limit":1001}), "invalid_limit"),
        (json!({"op":"order"}), "malformed"),
    ] {
        let r = t1.request(q.clone());
        assert_eq!(error_code(&r), code, "{q} -> {r}");
        assert!(r["req_id"].is_u64(), "{r}");
    }
    // Not logged in: only the public one.
    let mut anon = srv.ws();
    let r = anon.request(json!({"op":"my_trades"}));
    assert_eq!(error_code(&r), "unauthenticated");

    // The admin sees every user's.
    let mut admin = srv.admin();
    let r = admin.request(json!({"op":"order","order_id":ids.filled}));
    assert_eq!(r["order"]["user"], 2, "{r}");
    let r = admin.request(json!({"op":"my_trades"}));
    let t = &r["trades"][0];
    assert_eq!(
        (t["maker_user"].as_u64(), t["taker_user"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
}

/// `restarted`: the in-memory tape is not compared (it is rebuilt at
/// start-up elsewhere, not by this code).
fn http_checks(srv: &Server, ids: &Ids, restarted: bool) {
    let get = |path: &str, key: Option<&str>| srv.get(path, key);
    let r = get(&format!("/v1/order?order_id={}", ids.rest), Some("k-1"));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["order"]["status"], "partially_filled");
    let r = get("/v1/order?client_order_id=s-2", Some("k-1"));
    assert_eq!(r.json()["order"]["status"], "canceled", "{r:?}");
    // Another user's order: 404 exactly like an unknown one.
    let other = get(&format!("/v1/order?order_id={}", ids.rest), Some("k-3"));
    let unknown = get("/v1/order?order_id=424242", Some("k-3"));
    assert_eq!((other.status, unknown.status), (404, 404), "{other:?}");
    assert_eq!(other.body, unknown.body);
    assert_eq!(other.json()["code"], "unknown_order");
    let r = get("/v1/orders/history?symbol=BTC-USD&limit=10", Some("k-2"));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["orders"][0]["order_id"], ids.filled);
    let r = get("/v1/trades?symbol=BTC-USD", Some("k-2"));
    assert_eq!(r.json()["trades"][0]["side"], "buy", "{r:?}");
    let r = get("/v1/transfers?limit=3", Some("k-1"));
    let v = r.json();
    assert_eq!(v["transfers"].as_array().unwrap().len(), 3, "{v}");
    let cursor = v["next_cursor"].as_u64().expect("more");
    let v = get(
        &format!("/v1/transfers?limit=3&after_seq={cursor}"),
        Some("k-1"),
    )
    .json();
    assert_eq!(v["transfers"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["next_cursor"].is_null(), "{v}");
    for (path, status, code) in [
        ("/v1/trades?limit=0", 400, "invalid_limit"),
        ("/v1/trades?limit=1001", 400, "invalid_limit"),
        ("/v1/trades?limit=abc", 400, "invalid_limit"),
        ("/v1/orders/history?cursor=%2D1", 400, "invalid_cursor"),
        ("/v1/orders/history?from_ts=5&to_ts=4", 400, "invalid_range"),
        ("/v1/transfers?after_seq=zz", 400, "invalid_cursor"),
        ("/v1/order", 400, "malformed"),
        ("/v1/orders?limit=5000", 400, "invalid_limit"),
    ] {
        let r = get(path, Some("k-1"));
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (status, Some(code)),
            "{path}: {r:?}"
        );
    }
    let r = get("/v1/trades", None);
    assert_eq!(r.status, 401, "{r:?}");
    let r = get("/v1/trades", Some("no-such-key"));
    assert_eq!(r.status, 401, "{r:?}");
    // The admin key over HTTP: any user's order.
    let r = get(
        &format!("/v1/order?order_id={}", ids.filled),
        Some(e2e::ADMIN_KEY),
    );
    assert_eq!(r.json()["order"]["user"], 2, "{r:?}");
    // Public executions: the in-memory tape, and the store with a cursor.
    let stored = get("/api/v1/executions/BTC-USD?before_trade_id=1000000", None).json();
    assert_eq!(stored.as_array().map(Vec::len), Some(1), "{stored}");
    if !restarted {
        let mem = get("/api/v1/executions/BTC-USD", None).json();
        assert_eq!(mem, stored, "the same trades, the same shape");
    }
    let tid = stored[0]["trade_id"].as_u64().unwrap();
    let older = get(
        &format!("/api/v1/executions/BTC-USD?before_trade_id={tid}"),
        None,
    );
    assert_eq!(older.json(), json!([]), "{older:?}");
    let r = get("/api/v1/executions/BTC-USD?before_trade_id=abc", None);
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
    let r = get("/api/v1/executions/NOPE-USD?before_trade_id=5", None);
    assert_eq!(r.status, 404, "{r:?}");
}

fn binary_checks(srv: &Server, ids: &Ids) {
    let mut c = Client::connect(srv.tcp).expect("connect");
    c.login("k-1", false).expect("login");
    let doc: Value = serde_json::from_str(
        &c.history(HistoryQuery::Order {
            key: OrderLookup::Id(ids.canceled),
        })
        .expect("order"),
    )
    .unwrap();
    assert_eq!(doc["order"]["status"], "canceled", "{doc}");
    match c.history(HistoryQuery::Order {
        key: OrderLookup::Id(ids.filled),
    }) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::UnknownOrder),
        other => panic!("another user's order: {other:?}"),
    }
    let doc: Value = serde_json::from_str(
        &c.history(HistoryQuery::MyTrades {
            symbol: None,
            from_trade_id: None,
            limit: Some(5),
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["trades"][0]["order_id"], ids.rest, "{doc}");
    let doc: Value = serde_json::from_str(
        &c.history(HistoryQuery::Transfers {
            after_seq: None,
            limit: Some(1000),
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["transfers"].as_array().unwrap().len(), 4, "{doc}");
    match c.history(HistoryQuery::OrderHistory {
        symbol: None,
        from_ts: Some(3),
        to_ts: Some(2),
        before_order_id: None,
        limit: None,
    }) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::InvalidRange),
        other => panic!("from_ts > to_ts: {other:?}"),
    }
    let (open, next) = c.open_orders_page(None, None, None).unwrap();
    assert_eq!(
        (open.iter().map(|o| o.order_id).collect::<Vec<_>>(), next),
        (vec![ids.rest], None)
    );
}

fn run_all(extra: &str, backend: &str) {
    let (dir, mut srv) = e2e::start_fresh(extra);
    let h = srv.get("/healthz", None).json();
    assert_eq!(h["history"]["backend"], backend, "{h}");
    let ids = trade_cancel_deposit(&srv);
    ws_checks(&srv, &ids);
    http_checks(&srv, &ids, false);
    binary_checks(&srv, &ids);
    // After a restart the store still answers the closed orders and trades.
    assert!(
        srv.terminate(Duration::from_secs(20)).is_some(),
        "clean stop"
    );
    drop(srv);
    let srv = Server::start(dir.path(), extra);
    ws_checks(&srv, &ids);
    binary_checks(&srv, &ids);
    // ... and after a kill -9 too.
    let mut srv = srv;
    srv.kill9();
    drop(srv);
    let srv = Server::start(dir.path(), extra);
    http_checks(&srv, &ids, true);
}

#[test]
fn history_queries_over_ws_http_and_binary_sqlite() {
    run_all("", "sqlite");
}

#[test]
fn history_queries_over_ws_http_and_binary_postgres() {
    let Some(url) = history::testing::pg_fresh("server_history_queries") else {
        return;
    };
    run_all(
        &format!("[history]\nbackend = \"postgres\"\nurl = \"{url}\"\n"),
        "postgres",
    );
}

#[test]
fn without_a_store_history_queries_say_so() {
    let (_dir, srv) = e2e::start_fresh("[history]\nbackend = \"none\"\n");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    let mut t1 = srv.trader(1);
    let r = t1.request(json!({"op":"my_trades"}));
    assert_eq!(error_code(&r), "history_disabled", "{r}");
    let r = srv.get("/v1/orders/history", Some("k-1"));
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (404, Some("history_disabled"))
    );
    // The engine's queries go on.
    let r = t1.request(json!({"op":"open_orders"}));
    assert_eq!(r["type"], "open_orders", "{r}");
}

/// 187,000 resting orders of one trader: the unpaged question used to be
/// one answer larger than the send queue (the connection was dropped);
/// now every page arrives over WebSocket, HTTP and binary, in order_id
/// order, and together they hold every order exactly once.
#[test]
fn one_hundred_eighty_seven_thousand_open_orders_in_pages() {
    const N: usize = 187_000;
    let (_dir, srv) = e2e::start_fresh(
        "[history]\nbackend = \"none\"\n\n[limits]\nmax_connections = 64\nmax_frame_bytes = 65536\n\
         http_body_max = 65536\nrate_per_s = 100000000\nburst = 100000000\nsend_queue_bytes = 4194304\n",
    );
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    let mut t1 = srv.trader(1);
    let mut placed = BTreeSet::new();
    for chunk in 0..N / 1000 {
        for i in 0..1000 {
            let n = chunk * 1000 + i;
            // Buys at 1.00 to 50.99 of one lot: 187,000 resting orders.
            let price = format!("{}.{:02}", 1 + n % 50, n % 100);
            let mut o = e2e::limit("buy", &price, "0.0001");
            o["req_id"] = json!(n as u64 + 1);
            t1.send(&o);
        }
        for m in t1.barrier().expect("barrier") {
            assert_eq!(m["exec_type"], "new", "{m}");
            placed.insert(m["order_id"].as_u64().unwrap());
        }
    }
    assert_eq!(placed.len(), N);

    // WebSocket: the default page is 1000.
    let mut got = Vec::new();
    let mut after: Option<u64> = None;
    let mut pages = 0;
    loop {
        let mut q = json!({"op":"open_orders"});
        if let Some(a) = after {
            q["after_order_id"] = json!(a);
        }
        let r = t1.request(q);
        assert_eq!(r["type"], "open_orders", "{r}");
        let orders = r["orders"].as_array().unwrap();
        assert!(orders.len() <= 1000);
        got.extend(orders.iter().map(|o| o["order_id"].as_u64().unwrap()));
        pages += 1;
        match r["next_cursor"].as_u64() {
            Some(c) => {
                assert_eq!(orders.len(), 1000, "a page with a next one is full");
                assert_eq!(Some(c), got.last().copied());
                after = Some(c);
            }
            None => break,
        }
    }
    assert_eq!(pages, N / 1000);
    let want: Vec<u64> = placed.iter().copied().collect();
    assert_eq!(got, want, "every order once, in order_id order");

    // HTTP, 700 a page.
    let mut got = Vec::new();
    let mut path = "/v1/orders?limit=700".to_string();
    loop {
        let r = srv.get(&path, Some("k-1"));
        assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(300)]);
        let v = r.json();
        got.extend(
            v["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["order_id"].as_u64().unwrap()),
        );
        match v["next_cursor"].as_u64() {
            Some(c) => path = format!("/v1/orders?limit=700&after_order_id={c}"),
            None => break,
        }
    }
    assert_eq!(got, want);

    // Binary, the default page.
    let mut c = Client::connect(srv.tcp).expect("connect");
    c.login("k-1", false).expect("login");
    let mut got = Vec::new();
    let mut after = None;
    loop {
        let (orders, next) = c.open_orders_page(None, after, None).unwrap();
        got.extend(orders.iter().map(|o| o.order_id));
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(got, want);
    // The connection is still there.
    let (first, _) = c.open_orders_page(None, None, Some(1)).unwrap();
    assert_eq!(first[0].order_id, want[0]);
    while let Ok(Some(r)) = c.recv_timeout(Duration::from_millis(10)) {
        assert!(!matches!(r.body, ReplyBody::Error { .. }), "{r:?}");
    }
}
