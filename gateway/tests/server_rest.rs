//! The HTTP door of a running `ringex`: order entry and queries with
//! `X-API-Key`, public queries, health and metrics, keep-alive, and the
//! status codes of requests it refuses.

mod e2e;

use e2e::{http_request_text, limit, HttpConn, Server};
use serde_json::{json, Value};
use std::time::Duration;

/// A server with BTC-USD and traders 1 and 2; returns the commands journaled.
fn market() -> (tempfile::TempDir, Server, u64) {
    let (dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    let n = e2e::setup_market(&mut admin, &[1, 2]);
    (dir, srv, n)
}

fn order_body(side: &str, price: &str, qty: &str) -> String {
    let mut v = limit(side, price, qty);
    v.as_object_mut().unwrap().remove("op");
    v.to_string()
}

fn events(r: &e2e::HttpResponse) -> Vec<Value> {
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    v["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events array: {v}"))
        .clone()
}

fn healthz_seq(srv: &Server) -> u64 {
    let r = srv.get("/healthz", None);
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["status"], "ok", "{v}");
    v["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("healthz without seq: {v}"))
}

#[test]
fn order_entry_queries_health_and_metrics_over_http() {
    let (_dir, srv, setup_cmds) = market();
    assert_eq!(healthz_seq(&srv), setup_cmds, "healthz seq after setup");

    // Public symbol specs.
    let r = srv.get("/api/v1/symbols", None);
    assert_eq!(r.status, 200, "{r:?}");
    let syms = r.json();
    let btc = syms
        .as_array()
        .and_then(|a| a.iter().find(|s| s["symbol"] == "BTC-USD"))
        .unwrap_or_else(|| panic!("BTC-USD not listed: {syms}"))
        .clone();
    assert_eq!(
        (btc["base"].as_str(), btc["quote"].as_str()),
        (Some("BTC"), Some("USD"))
    );
    assert!(e2e::dec_eq(&btc["tick_size"], "0.01"), "{btc}");
    assert!(e2e::dec_eq(&btc["lot_size"], "0.0001"), "{btc}");
    assert_eq!(
        (btc["maker_fee_bps"].as_u64(), btc["taker_fee_bps"].as_u64()),
        (Some(10), Some(20))
    );
    assert!(btc["price_band_pct"].is_null(), "{btc}");

    // User 1 rests a sell.
    let body = json!({"symbol": "BTC-USD", "side": "sell", "type": "limit", "price": "100",
                      "qty": "1", "client_order_id": "s-1"});
    let ev = events(&srv.post("/v1/order", Some("k-1"), &body.to_string()));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["type"], "execution");
    assert_eq!(ev[0]["exec_type"], "new");
    assert_eq!(ev[0]["status"], "new");
    assert_eq!(ev[0]["order_id"], 1);
    assert_eq!(ev[0]["user"], 1);
    assert_eq!(ev[0]["client_order_id"], "s-1");

    let r = srv.get("/v1/orders", Some("k-1"));
    assert_eq!(r.status, 200, "{r:?}");
    let oo = r.json();
    assert_eq!(oo["type"], "open_orders", "{oo}");
    let orders = oo["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 1, "{oo}");
    assert_eq!(orders[0]["order_id"], 1);
    assert!(e2e::dec_eq(&orders[0]["remaining_qty"], "1"), "{oo}");

    let r = srv.get("/v1/balances", Some("k-1"));
    assert_eq!(r.status, 200, "{r:?}");
    let b = r.json();
    assert_eq!(b["type"], "balances", "{b}");
    assert!(e2e::dec_eq(&b["balances"]["BTC"]["available"], "9"), "{b}");
    assert!(e2e::dec_eq(&b["balances"]["BTC"]["locked"], "1"), "{b}");

    // User 2 takes 0.4, then 0.1: two trades at the maker's price.
    for (i, qty) in [(2u64, "0.4"), (3, "0.1")] {
        let ev = events(&srv.post("/v1/order", Some("k-2"), &order_body("buy", "101", qty)));
        let mine: Vec<&Value> = ev.iter().filter(|e| e["order_id"] == i).collect();
        assert_eq!(mine.len(), 2, "new + trade of order {i}: {ev:?}");
        assert_eq!(mine[0]["exec_type"], "new", "{ev:?}");
        assert_eq!(mine[1]["exec_type"], "trade", "{ev:?}");
        assert_eq!(mine[1]["status"], "filled", "{ev:?}");
        assert_eq!(mine[1]["liquidity"], "taker", "{ev:?}");
        assert!(e2e::dec_eq(&mine[1]["last_price"], "100"), "{ev:?}");
        assert!(e2e::dec_eq(&mine[1]["last_qty"], qty), "{ev:?}");
    }

    // Recent trade reports, newest first, `limit` honoured.
    let r = srv.get("/v1/execution?limit=1", Some("k-2"));
    assert_eq!(r.status, 200, "{r:?}");
    let ex = r.json();
    let ex = ex
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {ex}"));
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_eq!(
        (ex[0]["order_id"].as_u64(), ex[0]["trade_id"].as_u64()),
        (Some(3), Some(2)),
        "{ex:?}"
    );
    let ex = srv.get("/v1/execution?limit=10", Some("k-2")).json();
    let ids: Vec<u64> = ex
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["trade_id"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(ids, vec![2, 1], "{ex}");
    let ex = srv.get("/v1/execution", Some("k-1")).json();
    let ex = ex.as_array().expect("array");
    assert_eq!(ex.len(), 2, "{ex:?}");
    assert!(
        ex.iter()
            .all(|e| e["user"] == 1 && e["liquidity"] == "maker"),
        "{ex:?}"
    );

    // Cancel: by the owner, then by someone else (answered as unknown).
    let cancel = json!({"symbol": "BTC-USD", "order_id": 1}).to_string();
    let ev = events(&srv.post("/v1/order/cancel", Some("k-1"), &cancel));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["exec_type"], "canceled", "{ev:?}");
    assert_eq!(ev[0]["reason"], "user_canceled", "{ev:?}");
    assert!(e2e::dec_eq(&ev[0]["filled_qty"], "0.5"), "{ev:?}");
    let ev = events(&srv.post("/v1/order/cancel", Some("k-2"), &cancel));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["type"], "reject", "{ev:?}");
    assert_eq!(ev[0]["reason"], "unknown_order", "{ev:?}");

    let oo = srv.get("/v1/orders", Some("k-1")).json();
    assert_eq!(oo["orders"], json!([]), "{oo}");
    let b = srv.get("/v1/balances", Some("k-1")).json();
    assert!(
        e2e::dec_eq(&b["balances"]["BTC"]["available"], "9.5"),
        "{b}"
    );
    assert!(e2e::dec_eq(&b["balances"]["BTC"]["locked"], "0"), "{b}");
    // 0.5 sold at 100, less the 10 bps maker fee.
    assert!(
        e2e::dec_eq(&b["balances"]["USD"]["available"], "100049.95"),
        "{b}"
    );

    // Five commands: three places, two cancels (the refused one is journaled too).
    assert_eq!(healthz_seq(&srv), setup_cmds + 5);

    let r = srv.get("/metrics", None);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{r:?}"
    );
    for name in [
        "ringex_commands_total",
        "ringex_connections",
        "ringex_ring_depth",
    ] {
        assert!(r.body.contains(name), "metrics lack {name}:\n{}", r.body);
    }
    for line in r
        .body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let value = line.rsplit(' ').next().unwrap_or("");
        assert!(
            value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
            "not a Prometheus sample line: {line:?}"
        );
    }
}

/// api.md: `POST /v1/order` answers `{"events":[...]}` "for that order".
/// The maker's report belongs to another user (its order id, client order
/// id, fee): it must not be shown to the taker.
#[test]
fn an_http_order_answer_holds_only_the_senders_own_reports() {
    let (_dir, srv, _) = market();
    let body = json!({"symbol": "BTC-USD", "side": "sell", "type": "limit", "price": "100",
                      "qty": "1", "client_order_id": "secret-1"});
    events(&srv.post("/v1/order", Some("k-1"), &body.to_string()));
    let ev = events(&srv.post("/v1/order", Some("k-2"), &order_body("buy", "100", "0.5")));
    let foreign: Vec<&Value> = ev.iter().filter(|e| e["user"] != 2).collect();
    assert!(
        foreign.is_empty(),
        "user 2's HTTP order answer shows other users' reports: {foreign:?}\nall events: {ev:?}"
    );
    assert_eq!(ev.len(), 2, "new + taker trade: {ev:?}");
}

#[test]
fn refused_http_requests_get_their_status_codes() {
    let (_dir, srv, _) = market();
    let good = order_body("buy", "10", "1");

    let r = srv.post("/v1/order", None, &good);
    assert_eq!(r.status, 401, "no key: {r:?}");
    assert_eq!(r.json()["code"], "unauthenticated", "{r:?}");
    let r = srv.post("/v1/order", Some("k-nobody"), &good);
    assert_eq!(r.status, 401, "unknown key: {r:?}");
    assert_eq!(r.json()["code"], "unauthenticated", "{r:?}");
    let r = srv.get("/v1/balances", Some("wrong"));
    assert_eq!(r.status, 401, "{r:?}");

    let r = srv.post("/v1/order", Some("k-1"), "{\"symbol\": \"BTC-USD\", ");
    assert_eq!(r.status, 400, "truncated JSON: {r:?}");
    assert_eq!(r.json()["code"], "malformed", "{r:?}");
    let r = srv.post("/v1/order", Some("k-1"), "[1,2]");
    assert_eq!(r.status, 400, "array body: {r:?}");
    let r = srv.post(
        "/v1/order",
        Some("k-1"),
        r#"{"symbol":"BTC-USD","side":"buy","type":"limit","price":"10"}"#,
    );
    assert_eq!(r.status, 400, "no qty: {r:?}");
    assert_eq!(r.json()["code"], "malformed", "{r:?}");

    let r = srv.get("/no/such/path", None);
    assert_eq!(r.status, 404, "{r:?}");
    let r = srv.get("/v1/order/cancel", Some("k-1"));
    assert!(
        r.status == 404 || r.status == 405,
        "GET on a POST route: {r:?}"
    );
    // `GET /v1/order` is the history lookup: it needs an order.
    let r = srv.get("/v1/order", Some("k-1"));
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("malformed")),
        "{r:?}"
    );

    // Nothing of the above was journaled, and a good request is served.
    let ev = events(&srv.post("/v1/order", Some("k-1"), &good));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["exec_type"], "new", "{ev:?}");
    assert_eq!(
        ev[0]["order_id"], 1,
        "refused requests must not consume order ids: {ev:?}"
    );
}

#[test]
fn keep_alive_connection_serves_requests_one_after_another() {
    let (_dir, srv, _) = market();
    let mut c = HttpConn::connect(srv.http);
    for i in 1..=3u64 {
        c.write(
            http_request_text(
                "POST",
                "/v1/order",
                Some("k-1"),
                Some(&order_body("buy", "10", "1")),
                true,
            )
            .as_bytes(),
        );
        let r = c.response().expect("order answer");
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.header("connection"), Some("keep-alive"), "{r:?}");
        assert_eq!(r.json()["events"][0]["order_id"], i, "{r:?}");
        c.write(http_request_text("GET", "/healthz", None, None, true).as_bytes());
        let r = c.response().expect("healthz answer");
        assert_eq!(r.status, 200, "{r:?}");
    }
    c.write(http_request_text("GET", "/healthz", None, None, false).as_bytes());
    let r = c.response().expect("healthz answer");
    assert_eq!(r.header("connection"), Some("close"), "{r:?}");
    c.expect_closed(Duration::from_secs(5))
        .expect("closed after Connection: close");
}

/// A request that says `Connection: close` (or speaks HTTP/1.0) and is
/// answered by the engine (order entry, open orders, balances) must get its
/// answer before the connection is closed.
#[test]
fn connection_close_requests_answered_by_the_engine_get_their_answer() {
    let (_dir, srv, _) = market();
    let body = order_body("buy", "10", "1");
    let requests = [
        http_request_text("POST", "/v1/order", Some("k-1"), Some(&body), false),
        http_request_text("GET", "/v1/orders", Some("k-1"), None, false),
        http_request_text("GET", "/v1/balances", Some("k-1"), None, false),
        "GET /v1/balances HTTP/1.0\r\nX-API-Key: k-1\r\n\r\n".to_string(),
    ];
    let mut failed = Vec::new();
    for req in &requests {
        let mut c = HttpConn::connect(srv.http);
        c.write(req.as_bytes());
        match c.response() {
            Ok(r) if r.status == 200 => {}
            other => failed.push(format!(
                "{:?} -> {other:?}",
                req.lines().next().unwrap_or("")
            )),
        }
    }
    assert!(
        failed.is_empty(),
        "closed without (or with a wrong) answer:\n{}",
        failed.join("\n")
    );
}

/// HTTP/1.1 lets a client send its next request before the answer to the
/// previous one (pipelining); every request must be answered, in order.
#[test]
fn pipelined_http_requests_are_all_answered() {
    let (_dir, srv, _) = market();
    let mut c = HttpConn::connect(srv.http);
    let mut batch = String::new();
    batch.push_str(&http_request_text("GET", "/healthz", None, None, true));
    batch.push_str(&http_request_text(
        "POST",
        "/v1/order",
        Some("k-1"),
        Some(&order_body("buy", "10", "1")),
        true,
    ));
    batch.push_str(&http_request_text(
        "GET",
        "/v1/orders",
        Some("k-1"),
        None,
        true,
    ));
    batch.push_str(&http_request_text(
        "GET",
        "/api/v1/symbols",
        None,
        None,
        true,
    ));
    c.write(batch.as_bytes());
    let mut got = Vec::new();
    for i in 0..4 {
        match c.response_within(Duration::from_secs(3)) {
            Ok(r) => got.push(r),
            Err(e) => panic!(
                "pipelined request {} of 4 not answered within 3 s ({e}); answered: {:?}",
                i + 1,
                got.iter()
                    .map(|r| (r.status, r.body.clone()))
                    .collect::<Vec<_>>()
            ),
        }
    }
    assert_eq!(got[0].json()["status"], "ok");
    assert_eq!(got[1].json()["events"][0]["exec_type"], "new");
    assert_eq!(got[2].json()["type"], "open_orders");
    assert!(got[3].json().is_array());
}
