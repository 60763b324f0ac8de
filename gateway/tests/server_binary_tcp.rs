//! The binary port of a running `ringex`, through the Rust client library:
//! login, order entry, reports, queries; the same user's WebSocket session
//! sees the same order, and a match against another user's order reaches
//! both sides on their own doors.

mod e2e;

use e2e::Server;
use engine::{ExecType, Fixed, Liquidity, Name, OrderStatus, Role, Side};
use serde_json::json;
use wire::binary::{Execution, Reply, ReplyBody};
use wire::client::{limit_order, Client, ClientError};
use wire::{ErrorCode, Op};

fn market() -> (tempfile::TempDir, Server) {
    let (dir, srv) = e2e::start_fresh("");
    let mut admin = srv.admin();
    e2e::setup_market(&mut admin, &[1, 2]);
    (dir, srv)
}

fn recv(c: &mut Client) -> Reply {
    c.recv_timeout(e2e::REPLY_WAIT)
        .expect("binary recv")
        .expect("a reply within the wait")
}

fn execution(r: Reply) -> (Option<u64>, Execution) {
    match r.body {
        ReplyBody::Execution(x) => (r.req_id, *x),
        other => panic!("expected an execution, got {other:?}"),
    }
}

fn btc_usd() -> Name {
    Name::new("BTC-USD").expect("name")
}

#[test]
fn binary_order_shows_up_on_the_same_users_websocket_session() {
    let (_dir, srv) = market();
    let mut ws = srv.trader(1);
    let mut c = Client::connect(srv.tcp).expect("connect binary port");
    assert_eq!(c.login("k-1", false).expect("login"), (1, Role::Trader));

    let mut order = limit_order(btc_usd(), Side::Buy, Fixed::new(9950, 2), Fixed::new(15, 1));
    order.client_order_id = Some(engine::ClOrdId::new("bin-1").expect("clid"));
    let req_id = c.place(order).expect("place");
    let (rid, x) = execution(recv(&mut c));
    assert_eq!(rid, Some(req_id));
    assert_eq!((x.exec_type, x.status), (ExecType::New, OrderStatus::New));
    assert_eq!(x.user, 1);
    assert_eq!(x.symbol.as_deref(), Some("BTC-USD"));
    assert_eq!(x.client_order_id.as_deref(), Some("bin-1"));
    assert_eq!(x.price, Some(Fixed::new(995, 1)));
    assert_eq!(x.qty, Some(Fixed::new(15, 1)));

    // The WebSocket session of the same user gets the same report, without req_id.
    let seen = ws.barrier().expect("barrier");
    assert_eq!(seen.len(), 1, "{seen:?}");
    let v = &seen[0];
    assert_eq!(v["type"], "execution");
    assert_eq!(v["exec_type"], "new");
    assert_eq!(v["order_id"], x.order_id);
    assert_eq!(v["seq"], x.seq);
    assert_eq!(v["client_order_id"], "bin-1");
    assert!(e2e::dec_eq(&v["price"], "99.5"), "{v}");
    assert!(v.get("req_id").is_none(), "req_id only to the sender: {v}");
    let oo = ws.request(json!({"op": "open_orders"}));
    assert_eq!(oo["orders"][0]["order_id"], x.order_id, "{oo}");

    // And the other way round: a cancel over WebSocket reaches the binary session.
    let r =
        ws.request_all(json!({"op": "cancel", "symbol": "BTC-USD", "client_order_id": "bin-1"}));
    assert_eq!(r[0]["exec_type"], "canceled", "{r:?}");
    let (rid, x2) = execution(recv(&mut c));
    assert_eq!(rid, None);
    assert_eq!(
        (x2.exec_type, x2.order_id),
        (ExecType::Canceled, x.order_id)
    );

    // Queries over the binary port.
    let q = c
        .request(Op::OpenOrders {
            symbol: None,
            after_order_id: None,
            limit: None,
        })
        .expect("open_orders");
    let r = recv(&mut c);
    assert_eq!(r.req_id, Some(q));
    match r.body {
        ReplyBody::OpenOrders {
            orders,
            more,
            next_cursor,
        } => {
            assert!(
                orders.is_empty() && !more && next_cursor.is_none(),
                "{orders:?}"
            );
        }
        other => panic!("expected open orders, got {other:?}"),
    }
    let q = c.request(Op::Balances { user: None }).expect("balances");
    let r = recv(&mut c);
    assert_eq!(r.req_id, Some(q));
    match r.body {
        ReplyBody::Balances { balances, .. } => {
            let usd = balances.iter().find(|b| b.asset == "USD").expect("USD");
            assert_eq!(
                (usd.available, usd.locked),
                (Fixed::new(100000, 0), Fixed::new(0, 0))
            );
        }
        other => panic!("expected balances, got {other:?}"),
    }
}

#[test]
fn binary_taker_and_websocket_maker_both_get_their_trade_reports() {
    let (_dir, srv) = market();
    let mut maker = srv.trader(1);
    let r = maker.request_all(e2e::limit("sell", "100", "1"));
    let maker_order = r[0]["order_id"].as_u64().expect("order id");

    let mut c = Client::connect(srv.tcp).expect("connect");
    c.login("k-2", false).expect("login");
    let req = c
        .place(limit_order(
            btc_usd(),
            Side::Buy,
            Fixed::new(101, 0),
            Fixed::new(4, 1),
        ))
        .expect("place");
    let (rid, new) = execution(recv(&mut c));
    assert_eq!((rid, new.exec_type), (Some(req), ExecType::New));
    let (rid, trade) = execution(recv(&mut c));
    assert_eq!(
        (rid, trade.exec_type, trade.status),
        (Some(req), ExecType::Trade, OrderStatus::Filled)
    );
    let fill = trade.trade.expect("fill");
    assert_eq!(fill.liquidity, Liquidity::Taker);
    assert_eq!(fill.last_price, Some(Fixed::new(100, 0)));
    assert_eq!(fill.last_qty, Some(Fixed::new(4, 1)));
    // Nothing else for the taker: the maker's report is not the taker's business.
    assert!(
        c.recv_timeout(std::time::Duration::from_millis(300))
            .expect("recv")
            .is_none(),
        "extra reply to the taker"
    );

    let seen = maker.barrier().expect("barrier");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["exec_type"], "trade");
    assert_eq!(seen[0]["order_id"], maker_order);
    assert_eq!(seen[0]["liquidity"], "maker");
    assert_eq!(seen[0]["trade_id"], fill.trade_id);
}

#[test]
fn binary_login_with_a_wrong_key_is_refused_and_a_trader_cannot_do_admin_ops() {
    let (_dir, srv) = market();
    let mut c = Client::connect(srv.tcp).expect("connect");
    match c.login("k-nope", false) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::Unauthenticated),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(c.login("k-1", false).expect("login").0, 1);
    let q = c.request(Op::Snapshot).expect("snapshot");
    let r = recv(&mut c);
    assert_eq!(r.req_id, Some(q));
    match r.body {
        ReplyBody::Error { code, .. } => assert_eq!(code, ErrorCode::Forbidden),
        other => panic!("expected forbidden, got {other:?}"),
    }
    // The admin over the binary port.
    let mut a = Client::connect(srv.tcp).expect("connect");
    assert_eq!(
        a.login(e2e::ADMIN_KEY, false).expect("admin login"),
        (0, Role::Admin)
    );
    let q = a.request(Op::Snapshot).expect("snapshot");
    let r = recv(&mut a);
    assert_eq!(r.req_id, Some(q));
    assert!(matches!(r.body, ReplyBody::Snapshot { .. }), "{r:?}");
}
