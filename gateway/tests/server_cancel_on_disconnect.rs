//! `cancel_on_disconnect`: losing a session that logged in with it cancels
//! all of its user's open orders (a journaled `cancel_all`); the user's other
//! sessions get the `canceled` reports, the funds are unlocked, and other
//! users' orders stay. Without it, orders outlive the connection.

mod e2e;

use e2e::{limit, Incoming, Server, Ws};
use engine::{Fixed, Name, Side};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wire::client::{limit_order, Client};

fn market() -> (tempfile::TempDir, Server) {
    let (dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2]);
    (dir, srv)
}

/// Waits (bounded) for `n` `canceled` reports on `ws`.
fn canceled_reports(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    let deadline = Instant::now() + e2e::REPLY_WAIT;
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "only {} of {n} canceled reports: {got:?}",
            got.len()
        );
        match ws.next(left) {
            Incoming::Msg(v) if v["type"] == "execution" && v["exec_type"] == "canceled" => {
                got.push(v)
            }
            Incoming::Msg(v) => panic!("unexpected message while waiting for cancels: {v}"),
            Incoming::Timeout => {}
            Incoming::Closed(how) => panic!("watcher closed: {how}"),
        }
    }
    got
}

fn open_order_ids(ws: &mut Ws) -> Vec<u64> {
    let r = ws.request(json!({"op": "open_orders"}));
    r["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("open_orders answered {r}"))
        .iter()
        .map(|o| o["order_id"].as_u64().unwrap_or(0))
        .collect()
}

fn assert_unlocked(ws: &mut Ws) {
    let b = ws.request(json!({"op": "balances"}));
    for (asset, total) in [("USD", "100000"), ("BTC", "10")] {
        assert!(
            e2e::dec_eq(&b["balances"][asset]["locked"], "0"),
            "{asset} still locked: {b}"
        );
        assert!(
            e2e::dec_eq(&b["balances"][asset]["available"], total),
            "{asset}: {b}"
        );
    }
}

#[derive(Debug, Clone, Copy)]
enum Loss {
    /// The TCP connection drops, no close handshake.
    WsDrop,
    /// The client closes the WebSocket properly.
    WsClose,
    /// A binary-port session drops.
    BinaryDrop,
}

fn cancels_on(loss: Loss) {
    let (_dir, srv) = market();
    let mut watcher = srv.trader(1);
    let mut other = srv.trader(2);
    let rest = other.request_all(limit("sell", "120", "0.5"));
    assert_eq!(rest[0]["exec_type"], "new", "{rest:?}");
    let other_order = rest[0]["order_id"].as_u64().expect("order id");

    let mut ids = Vec::new();
    match loss {
        Loss::WsDrop | Loss::WsClose => {
            let mut owner = srv.trader_with(1, true);
            for (side, price) in [("buy", "90"), ("sell", "110")] {
                let r = owner.request_all(limit(side, price, "1"));
                assert_eq!(r.len(), 1, "{r:?}");
                assert_eq!(r[0]["exec_type"], "new", "{r:?}");
                ids.push(r[0]["order_id"].as_u64().expect("order id"));
            }
            if let Loss::WsClose = loss {
                owner.close();
            } else {
                owner.drop_connection();
            }
        }
        Loss::BinaryDrop => {
            let mut c = Client::connect(srv.tcp).expect("connect binary port");
            assert_eq!(c.login("k-1", true).expect("login").0, 1);
            let sym = Name::new("BTC-USD").expect("name");
            for (side, price) in [(Side::Buy, 90), (Side::Sell, 110)] {
                c.place(limit_order(
                    sym,
                    side,
                    Fixed::new(price, 0),
                    Fixed::new(1, 0),
                ))
                .expect("place");
                let r = c
                    .recv_timeout(e2e::REPLY_WAIT)
                    .expect("recv")
                    .expect("a reply");
                match r.body {
                    wire::binary::ReplyBody::Execution(x) => ids.push(x.order_id),
                    other => panic!("expected the new report, got {other:?}"),
                }
            }
            drop(c);
        }
    }
    // The watcher saw the two orders arrive, then both cancelled.
    let seen = watcher.barrier().expect("barrier");
    let news: Vec<u64> = seen
        .iter()
        .filter(|v| v["exec_type"] == "new")
        .map(|v| v["order_id"].as_u64().unwrap_or(0))
        .collect();
    let mut cancels = seen
        .into_iter()
        .filter(|v| v["exec_type"] == "canceled")
        .collect::<Vec<_>>();
    assert_eq!(
        news, ids,
        "{loss:?}: the other session of user 1 sees the orders"
    );
    let more = canceled_reports(&mut watcher, ids.len() - cancels.len());
    cancels.extend(more);
    let mut cancelled: Vec<u64> = cancels
        .iter()
        .map(|v| v["order_id"].as_u64().unwrap_or(0))
        .collect();
    cancelled.sort_unstable();
    assert_eq!(cancelled, ids, "{loss:?}: {cancels:?}");
    assert!(
        cancels
            .iter()
            .all(|v| v["status"] == "canceled" && v["user"] == 1),
        "{cancels:?}"
    );

    // A new session of user 1: nothing open, nothing locked.
    let mut again = srv.trader(1);
    assert_eq!(open_order_ids(&mut again), Vec::<u64>::new(), "{loss:?}");
    assert_unlocked(&mut again);
    // User 2's order is still there, and the bid at 90 is gone: a sell at 90 rests.
    assert_eq!(open_order_ids(&mut other), vec![other_order], "{loss:?}");
    let r = other.request_all(limit("sell", "90", "0.1"));
    assert_eq!(r.len(), 1, "{loss:?}: a sell at 90 must not trade: {r:?}");
    assert_eq!(r[0]["exec_type"], "new", "{r:?}");
}

#[test]
fn a_dropped_websocket_with_cancel_on_disconnect_cancels_the_users_orders() {
    cancels_on(Loss::WsDrop);
}

#[test]
fn a_closed_websocket_with_cancel_on_disconnect_cancels_the_users_orders() {
    cancels_on(Loss::WsClose);
}

#[test]
fn a_dropped_binary_session_with_cancel_on_disconnect_cancels_the_users_orders() {
    cancels_on(Loss::BinaryDrop);
}

#[test]
fn without_cancel_on_disconnect_orders_outlive_the_connection() {
    let (_dir, srv) = market();
    let mut owner = srv.trader(1);
    let r = owner.request_all(limit("buy", "90", "1"));
    let id = r[0]["order_id"].as_u64().expect("order id");
    // A cancel would be a journaled command: the seq stays put.
    let seq = srv.get("/healthz", None).json()["seq"].clone();
    owner.drop_connection();
    std::thread::sleep(Duration::from_millis(300));
    let mut again = srv.trader(1);
    assert_eq!(open_order_ids(&mut again), vec![id]);
    assert_eq!(srv.get("/healthz", None).json()["seq"], seq);
}
