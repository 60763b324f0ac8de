//! Bad input on every door of a running `ringex`: each gets its documented
//! error, the server keeps serving (a good request right after is answered),
//! and nothing bad reaches the journal.

mod e2e;

use e2e::{http_request_text, limit, HttpConn, Incoming, Server, Ws};
use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use wire::binary::{ReplyBody, FLAG_REQ_ID, PROTOCOL_VERSION};
use wire::client::{Client, ClientError};
use wire::ErrorCode;

fn market() -> (tempfile::TempDir, Server) {
    let (dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2]);
    (dir, srv)
}

fn applied_seq(srv: &Server) -> u64 {
    let v = srv.get("/healthz", None).json();
    v["seq"].as_u64().unwrap_or_else(|| panic!("healthz: {v}"))
}

/// The server still answers: an engine query on another connection.
fn still_serving(other: &mut Ws) {
    let r = other.request(json!({"op": "balances"}));
    assert_eq!(r["type"], "balances", "good request after bad input: {r}");
}

/// Sends `text` and expects an error with `code` (and `req_id` when given).
fn expect_error(ws: &mut Ws, text: &str, code: &str, req_id: Option<u64>) -> Value {
    ws.send_text(text).expect("send");
    let r = match ws.next(e2e::REPLY_WAIT) {
        Incoming::Msg(v) => v,
        other => panic!("{text:?}: expected an error, got {other:?}"),
    };
    assert_eq!(r["type"], "error", "{text:?} answered {r}");
    assert_eq!(r["code"], code, "{text:?} answered {r}");
    if let Some(id) = req_id {
        assert_eq!(r["req_id"], id, "{text:?} answered {r}");
    }
    r
}

#[test]
fn bad_websocket_messages_get_their_error_and_the_connection_keeps_serving() {
    let (_dir, srv) = market();
    let mut other = srv.trader(2);
    let seq_before = applied_seq(&srv);
    let mut ws = srv.ws();

    let place = limit("buy", "10", "1");
    let mut p = place.clone();
    p["req_id"] = json!(1);
    expect_error(&mut ws, &p.to_string(), "unauthenticated", Some(1));
    still_serving(&mut other);
    expect_error(
        &mut ws,
        r#"{"op":"login","req_id":2,"api_key":"k-wrong"}"#,
        "unauthenticated",
        Some(2),
    );
    still_serving(&mut other);
    let bad = [
        ("this is not json", "malformed", None),
        (
            r#"{"op":"place","req_id":3,"symbol":"BTC-"#,
            "malformed",
            None,
        ),
        ("[1,2,3]", "malformed", None),
        (r#"{"op":"frobnicate","req_id":4}"#, "unknown_op", Some(4)),
        (r#"{"req_id":5}"#, "malformed", Some(5)),
        (r#"{"op":"balances","req_id":"six"}"#, "malformed", None),
    ];
    for (text, code, req_id) in bad {
        expect_error(&mut ws, text, code, req_id);
        still_serving(&mut other);
    }

    // The same connection logs in fine after all that.
    let r = ws.login("k-1", false);
    assert_eq!(r["type"], "login", "{r}");
    assert_eq!(r["user"], 1, "{r}");

    let logged_in_bad = [
        (
            r#"{"op":"add_asset","req_id":7,"asset":"XYZ","scale":2}"#,
            "forbidden",
            Some(7),
        ),
        (
            r#"{"op":"deposit","req_id":8,"user":1,"asset":"USD","amount":"1","tx_id":"t"}"#,
            "forbidden",
            Some(8),
        ),
        (
            r#"{"op":"place","req_id":9,"symbol":"BTC-USD","side":"buy","type":"limit","price":"10"}"#,
            "malformed",
            Some(9),
        ),
        (
            r#"{"op":"place","req_id":10,"symbol":"BTC-USD","side":"buy","type":"limit","price":"10","qty":"abc"}"#,
            "malformed",
            Some(10),
        ),
        (
            r#"{"op":"place","req_id":11,"symbol":"BTC-USD","side":"up","type":"limit","price":"10","qty":"1"}"#,
            "malformed",
            Some(11),
        ),
        (
            r#"{"op":"cancel","req_id":12,"symbol":"BTC-USD","order_id":-1}"#,
            "malformed",
            Some(12),
        ),
    ];
    for (text, code, req_id) in logged_in_bad {
        expect_error(&mut ws, text, code, req_id);
        let r = ws.request(json!({"op": "balances"}));
        assert_eq!(r["type"], "balances", "after {text}: {r}");
    }

    // A binary frame on the JSON API.
    ws.ws_send_binary(b"\x01\x02\x03");
    let r = ws.recv();
    assert_eq!(
        (r["type"].as_str(), r["code"].as_str()),
        (Some("error"), Some("malformed")),
        "{r}"
    );

    assert_eq!(
        applied_seq(&srv),
        seq_before,
        "bad messages must not be journaled"
    );
    // And the connection is healthy: a good order goes through.
    let reports = ws.request_all(place);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["exec_type"], "new", "{reports:?}");
    assert_eq!(
        reports[0]["order_id"], 1,
        "bad messages must not consume order ids"
    );
}

#[test]
fn oversize_websocket_message_is_refused_as_too_large_and_closed() {
    let (_dir, srv) = market();
    let mut other = srv.trader(2);
    let mut ws = srv.trader(1);
    // Under the default 64 KiB limit: served (unknown fields are ignored).
    let pad = "x".repeat(60_000);
    let r = ws.request(json!({"op": "balances", "pad": pad}));
    assert_eq!(r["type"], "balances", "{r}");

    let pad = "x".repeat(70_000);
    ws.send_text(&json!({"op": "balances", "req_id": 1, "pad": pad}).to_string())
        .expect("send");
    let (got, how) = ws.until_closed(Duration::from_secs(10));
    assert_eq!(
        got.len(),
        1,
        "one error before the close, got {got:?} ({how})"
    );
    assert_eq!(got[0]["type"], "error", "{got:?}");
    assert_eq!(got[0]["code"], "too_large", "{got:?}");
    still_serving(&mut other);
    let mut again = srv.trader(1);
    still_serving(&mut again);
}

#[test]
fn oversize_http_body_gets_413_and_the_server_goes_on() {
    let (_dir, srv) = market();
    // Announced too large: refused without waiting for the body.
    let mut c = HttpConn::connect(srv.http);
    c.write(
        b"POST /v1/order HTTP/1.1\r\nHost: x\r\nX-API-Key: k-1\r\nContent-Length: 100000\r\n\r\n",
    );
    let r = c.response().expect("answer to an oversize head");
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.json()["code"], "too_large", "{r:?}");
    c.expect_closed(Duration::from_secs(5))
        .expect("closed after 413");

    // Sent in full.
    let body = format!(r#"{{"symbol":"BTC-USD","pad":"{}"}}"#, "y".repeat(70_000));
    let mut c = HttpConn::connect(srv.http);
    let req = http_request_text("POST", "/v1/order", Some("k-1"), Some(&body), true);
    // The server may close before reading all of it: a failed write is fine.
    let _ = c.stream.write_all(req.as_bytes());
    let r = c.response().expect("answer to an oversize body");
    assert_eq!(r.status, 413, "{r:?}");

    let r = srv.get("/v1/balances", Some("k-1"));
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn garbage_on_the_http_port_gets_400_then_close() {
    let (_dir, srv) = market();
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"[..],
        &b"HELLO THERE\r\n\r\n"[..],
        &b"GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n"[..],
    ] {
        let mut c = HttpConn::connect(srv.http);
        c.write(garbage);
        let r = c.response().expect("an answer to garbage");
        assert_eq!(r.status, 400, "{garbage:?}: {r:?}");
        assert_eq!(r.json()["code"], "malformed", "{r:?}");
        c.expect_closed(Duration::from_secs(5))
            .expect("closed after 400");
        assert_eq!(srv.get("/healthz", None).status, 200);
    }
}

/// One binary frame: header (len, type, version and flags, req_id), body.
fn frame(ty: u8, version: u8, req_id: Option<u64>, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&(10 + body.len() as u32).to_le_bytes());
    f.push(ty);
    let flags = if req_id.is_some() { FLAG_REQ_ID } else { 0 };
    f.push((version << 4) | flags);
    f.extend_from_slice(&req_id.unwrap_or(0).to_le_bytes());
    f.extend_from_slice(body);
    f
}

fn binary_error(c: &mut Client) -> (Option<u64>, ErrorCode) {
    match c.recv_timeout(e2e::REPLY_WAIT) {
        Ok(Some(r)) => match r.body {
            ReplyBody::Error { code, .. } => (r.req_id, code),
            other => panic!("expected an error frame, got {other:?}"),
        },
        other => panic!("expected an error frame, got {other:?}"),
    }
}

#[test]
fn bad_binary_frames_get_error_frames() {
    let (_dir, srv) = market();
    let mut raw = TcpStream::connect(srv.tcp).expect("connect binary port");
    let mut c = Client::from_stream(raw.try_clone().expect("clone")).expect("client");

    // Skipped whole and answered; the connection stays.
    raw.write_all(&frame(0x7e, PROTOCOL_VERSION, Some(77), b""))
        .unwrap();
    assert_eq!(binary_error(&mut c), (Some(77), ErrorCode::UnknownOp));
    raw.write_all(&frame(0x06, PROTOCOL_VERSION + 3, Some(78), b""))
        .unwrap();
    assert_eq!(binary_error(&mut c).1, ErrorCode::Malformed);
    raw.write_all(&frame(0x01, PROTOCOL_VERSION, Some(79), b"\x07"))
        .unwrap();
    assert_eq!(binary_error(&mut c), (Some(79), ErrorCode::Malformed));
    // Before login.
    raw.write_all(&frame(0x07, PROTOCOL_VERSION, Some(80), &[0]))
        .unwrap();
    assert_eq!(binary_error(&mut c), (Some(80), ErrorCode::Unauthenticated));
    let (user, _) = c.login("k-1", false).expect("login after bad frames");
    assert_eq!(user, 1);

    // Framing lost: too_large, then closed.
    let mut raw = TcpStream::connect(srv.tcp).expect("connect binary port");
    let mut c = Client::from_stream(raw.try_clone().expect("clone")).expect("client");
    raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(binary_error(&mut c), (None, ErrorCode::TooLarge));
    match c.recv_timeout(Duration::from_secs(5)) {
        Err(ClientError::Closed) | Err(ClientError::Io(_)) => {}
        other => panic!("expected the connection closed, got {other:?}"),
    }

    // Others are served.
    let mut c = Client::connect(srv.tcp).expect("connect");
    assert_eq!(c.login("k-2", false).expect("login").0, 2);
}

/// An HTTP connection that never completes its request is closed after the
/// idle timeout (10 s by default), even while it trickles bytes, and other
/// clients are served meanwhile.
#[test]
fn a_half_sent_http_request_is_closed_after_the_idle_timeout() {
    let (_dir, srv) = market();
    let mut slow = HttpConn::connect(srv.http);
    let start = Instant::now();
    slow.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
    let trickle = b"X-Slow: abcdefghijklmnopqrstuvwxyz";
    let mut closed_at = None;
    for (i, &byte) in trickle.iter().enumerate() {
        // Others are served while the slow client hangs on.
        if i % 3 == 0 {
            assert_eq!(srv.get("/healthz", None).status, 200);
        }
        std::thread::sleep(Duration::from_millis(500));
        if slow.stream.write_all(&[byte]).is_err() {
            closed_at = Some(start.elapsed());
            break;
        }
        if start.elapsed() > Duration::from_secs(16) {
            break;
        }
        if slow.expect_closed(Duration::from_millis(1)).is_ok() {
            closed_at = Some(start.elapsed());
            break;
        }
    }
    let closed_at = match closed_at {
        Some(t) => t,
        None => {
            slow.expect_closed(Duration::from_secs(4))
                .expect("the half-sent request's connection is closed");
            start.elapsed()
        }
    };
    assert!(
        closed_at >= Duration::from_secs(5),
        "closed after {closed_at:?}: long before the idle timeout"
    );
    assert!(
        slow.leftover().is_empty(),
        "nothing is answered to a request that never completed: {:?}",
        String::from_utf8_lossy(slow.leftover())
    );
    assert_eq!(srv.get("/healthz", None).status, 200);
}

/// Over `max_connections`, a new connection is dropped at once; when one
/// closes, new connections are served again.
#[test]
fn connections_over_the_limit_are_refused_until_one_closes() {
    let (_dir, srv) = e2e::start_fresh("[limits]\nmax_connections = 4\n");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1]);
    let mut held = vec![srv.trader(1), srv.trader(1), srv.trader(1)];
    // Four are open: a fifth gets no answer.
    let mut extra = HttpConn::connect(srv.http);
    let _ = extra
        .stream
        .write_all(http_request_text("GET", "/healthz", None, None, true).as_bytes());
    extra
        .expect_closed(Duration::from_secs(5))
        .expect("a connection over the limit is closed");
    assert!(extra.leftover().is_empty(), "answered over the limit");
    // The open ones still work.
    for ws in &mut held {
        still_serving(ws);
    }
    held.pop().expect("one").close();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = HttpConn::connect(srv.http);
        let _ = c
            .stream
            .write_all(http_request_text("GET", "/healthz", None, None, true).as_bytes());
        match c.response_within(Duration::from_secs(2)) {
            Ok(r) if r.status == 200 => break,
            other => assert!(
                Instant::now() < deadline,
                "no connection served after one closed: {other:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
