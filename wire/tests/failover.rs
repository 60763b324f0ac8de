//! The failover client against fake nodes on loopback: it follows the
//! primary a `not_primary` answer names, moves on when a connect is refused
//! or an answer is lost, sends again only an order with a
//! `client_order_id`, and gives up after its attempts.

use engine::{
    ClOrdId, Directory, Event, ExecReport, ExecType, Fixed, Lots, Name, OrderStatus, OrderType,
    Role, Side, SymbolId, Ticks, Tif, Units,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use wire::binary::{
    decode_frame, encode_error_bin, encode_event_bin, encode_login_ok_bin, ReplyBody,
};
use wire::client::limit_order;
use wire::failover::{Failover, FailoverError, Policy};
use wire::{ErrorCode, Op, PlaceOrder, Request, TraderOp, WireError};

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn directory() -> Directory {
    let mut d = Directory::default();
    d.add_asset(name("BTC"), 8, 16).unwrap();
    d.add_asset(name("USD"), 6, 16).unwrap();
    d.add_symbol(
        engine::SymbolSpec {
            symbol: name("BTC-USD"),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: Fixed::new(1, 2),
            lot_size: Fixed::new(1, 4),
            min_qty: Fixed::new(1, 4),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        },
        16,
    )
    .unwrap();
    d
}

/// A `new` report of order `order_id` for the place `p`.
fn new_report(order_id: u64, p: &PlaceOrder) -> Event {
    Event::Execution(ExecReport {
        seq: order_id,
        ts_ns: 1,
        user: 2,
        order_id,
        client_order_id: p.client_order_id,
        symbol: Some(SymbolId(0)),
        side: p.side,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        exec_type: ExecType::New,
        status: OrderStatus::New,
        reason: None,
        price: Some(Ticks::new(10050)),
        stop_price: None,
        qty: Lots::new(100),
        filled: Lots::ZERO,
        remaining: Lots::new(100),
        cum_quote: Units::ZERO,
        fill: None,
    })
}

fn order(clid: Option<&str>) -> PlaceOrder {
    PlaceOrder {
        client_order_id: clid.map(|c| ClOrdId::new(c).unwrap()),
        ..limit_order(
            name("BTC-USD"),
            Side::Buy,
            Fixed::new(1005, 1),
            Fixed::new(1, 2),
        )
    }
}

/// Fast pauses: these tests count attempts, they do not time them.
fn policy(attempts: u32) -> Policy {
    Policy {
        attempts,
        backoff_min: Duration::from_millis(1),
        backoff_max: Duration::from_millis(4),
        connect_timeout: Duration::from_secs(10),
        reply_wait: Duration::from_secs(10),
    }
}

/// The server side of one connection.
struct FakeConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl FakeConn {
    /// The next request, or `None` once the client hangs up.
    fn next(&mut self) -> Option<Request> {
        let mut chunk = [0u8; 1024];
        loop {
            if let Some((req, n)) = decode_frame(&self.buf).expect("client sent a bad frame") {
                self.buf.drain(..n);
                return Some(req);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    fn send(&mut self, b: &[u8]) {
        self.stream.write_all(b).unwrap();
    }

    /// Answers the login as user 2.
    fn login(&mut self) {
        let login = self.next().expect("a login");
        assert!(matches!(login.op, Op::Login { .. }), "{login:?}");
        let mut out = Vec::new();
        encode_login_ok_bin(2, Role::Trader, login.req_id, &mut out);
        self.send(&out);
    }

    /// The next place: its `req_id` and order.
    fn place(&mut self) -> (Option<u64>, PlaceOrder) {
        let r = self.next().expect("a place");
        let Op::Trader(TraderOp::Place(p)) = r.op else {
            panic!("{r:?}")
        };
        (r.req_id, p)
    }

    fn not_primary(&mut self, req_id: Option<u64>, primary: Option<SocketAddr>) {
        let mut e = WireError::new(req_id, ErrorCode::NotPrimary, "this node is a standby");
        e.primary = primary.map(|p| p.to_string());
        let mut out = Vec::new();
        encode_error_bin(&e, &mut out);
        self.send(&out);
    }

    fn accept(&mut self, req_id: Option<u64>, order_id: u64, p: &PlaceOrder) {
        let mut out = Vec::new();
        encode_event_bin(&new_report(order_id, p), &directory(), req_id, &mut out);
        self.send(&out);
    }
}

/// A node that serves one connection with `script`.
fn node(script: impl FnOnce(FakeConn) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let h = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // A safety net against a hung test, not a timing assertion.
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        script(FakeConn {
            stream,
            buf: Vec::new(),
        });
    });
    (addr, h)
}

/// An address nothing listens on.
fn refused() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn accepted_order_id(r: &wire::binary::Reply) -> u64 {
    match &r.body {
        ReplyBody::Execution(e) if e.exec_type == ExecType::New => e.order_id,
        other => panic!("not a new report: {other:?}"),
    }
}

#[test]
fn a_standby_s_not_primary_is_followed_to_the_primary_it_names() {
    let (primary, hp) = node(|mut c| {
        c.login();
        let (req_id, p) = c.place();
        assert_eq!(p, order(Some("o-1")), "the same order again");
        c.accept(req_id, 77, &p);
        assert!(c.next().is_none());
    });
    let (standby, hs) = node(move |mut c| {
        c.login();
        let (req_id, _) = c.place();
        c.not_primary(req_id, Some(primary));
        assert!(c.next().is_none(), "the client leaves");
    });
    // The primary is not even in the list: the answer names it.
    let mut f = Failover::connect(&[standby.to_string()], "k-2", false, policy(5)).unwrap();
    assert_eq!(f.address(), Some(standby.to_string().as_str()));
    let r = f.place(order(Some("o-1"))).unwrap();
    assert_eq!(accepted_order_id(&r), 77);
    assert_eq!(f.address(), Some(primary.to_string().as_str()));
    let s = f.stats();
    assert_eq!((s.connects, s.not_primary, s.resends), (2, 1, 0));
    drop(f);
    hs.join().unwrap();
    hp.join().unwrap();
}

#[test]
fn no_primary_known_yet_moves_to_the_next_address() {
    let (a, ha) = node(|mut c| {
        c.login();
        let (req_id, _) = c.place();
        c.not_primary(req_id, None);
        assert!(c.next().is_none());
    });
    let (b, hb) = node(|mut c| {
        c.login();
        let (req_id, p) = c.place();
        c.accept(req_id, 5, &p);
        assert!(c.next().is_none());
    });
    let mut f = Failover::connect(&[a, b], "k-2", false, policy(5)).unwrap();
    // Without a client_order_id too: a not_primary order was never taken.
    let r = f.place(order(None)).unwrap();
    assert_eq!(accepted_order_id(&r), 5);
    assert_eq!(f.address(), Some(b.to_string().as_str()));
    drop(f);
    ha.join().unwrap();
    hb.join().unwrap();
}

#[test]
fn a_refused_connect_moves_to_the_next_address() {
    let (b, hb) = node(|mut c| {
        c.login();
        let (req_id, p) = c.place();
        c.accept(req_id, 9, &p);
        assert!(c.next().is_none());
    });
    let dead = refused();
    let mut f = Failover::connect(&[dead, b], "k-2", false, policy(5)).unwrap();
    assert_eq!(f.address(), Some(b.to_string().as_str()));
    assert_eq!(f.stats().connect_failures, 1);
    assert_eq!(accepted_order_id(&f.place(order(Some("x"))).unwrap()), 9);
    drop(f);
    hb.join().unwrap();
}

#[test]
fn a_lost_answer_sends_an_order_with_a_client_order_id_again_elsewhere() {
    let (a, ha) = node(|mut c| {
        c.login();
        let _ = c.place();
        // Dies without answering.
    });
    let (b, hb) = node(|mut c| {
        c.login();
        let (req_id, p) = c.place();
        assert_eq!(p, order(Some("keep-me")), "the same order, same id");
        c.accept(req_id, 3, &p);
        assert!(c.next().is_none());
    });
    let mut f = Failover::connect(&[a, b], "k-2", false, policy(5)).unwrap();
    let r = f.place(order(Some("keep-me"))).unwrap();
    assert_eq!(accepted_order_id(&r), 3);
    assert_eq!(f.stats().resends, 1);
    drop(f);
    ha.join().unwrap();
    hb.join().unwrap();
}

#[test]
fn a_lost_answer_to_an_order_without_a_client_order_id_is_not_sent_again() {
    let (a, ha) = node(|mut c| {
        c.login();
        let _ = c.place();
    });
    // Nothing may connect here: a connect would block the test in accept.
    let b = refused();
    let mut f = Failover::connect(&[a, b], "k-2", false, policy(5)).unwrap();
    match f.place(order(None)) {
        Err(FailoverError::Unanswered(_)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(f.stats().resends, 0);
    assert_eq!(f.address(), None);
    ha.join().unwrap();
}

#[test]
fn every_address_refused_gives_up_after_the_attempts() {
    let (x, y) = (refused(), refused());
    match Failover::connect(&[x, y], "k-2", false, policy(4)) {
        Err(FailoverError::GaveUp { attempts, last }) => {
            assert_eq!(attempts, 4);
            assert!(last.contains(&x.to_string()) || last.contains(&y.to_string()));
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("connected to nothing"),
    }
}

#[test]
fn a_wrong_key_stops_at_once() {
    let (a, ha) = node(|mut c| {
        let login = c.next().unwrap();
        let mut out = Vec::new();
        encode_error_bin(
            &WireError::new(login.req_id, ErrorCode::Unauthenticated, "unknown api key"),
            &mut out,
        );
        c.send(&out);
        assert!(c.next().is_none());
    });
    match Failover::connect(&[a], "nope", false, policy(5)) {
        Err(FailoverError::Refused { code, .. }) => assert_eq!(code, ErrorCode::Unauthenticated),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("logged in with a wrong key"),
    }
    ha.join().unwrap();
}
