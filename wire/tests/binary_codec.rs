//! The binary protocol: every request op and every reply kind round-trips,
//! carries what its JSON counterpart carries, survives being cut anywhere,
//! refuses garbage without panicking; and the blocking client works against
//! a fake server on loopback.

use engine::{
    AdminOp, AssetId, Balance, ClOrdId, CommandKind, Directory, Event, ExecReport, ExecType, Fill,
    Fixed, KeyHash, Liquidity, Lots, Name, OrderRef, OrderStatus, OrderType, Reason, RejectOp,
    Role, Side, Stp, SymbolId, Ticks, Tif, Units,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use wire::binary::{
    decode_frame, decode_reply, encode_balances_bin, encode_error_bin, encode_event_bin,
    encode_fees_bin, encode_history_bin, encode_login, encode_login_ok_bin, encode_open_orders_bin,
    encode_request, encode_snapshot_ok_bin, msg, BalanceEntry, Execution, FeeEntry, FrameError,
    Reply, ReplyBody, Target, TradeFill, FRAME_BYTES_MAX,
};
use wire::client::{limit_order, Client, ClientError};
use wire::json::{
    decode_request, encode_balances, encode_error, encode_event, encode_fees, encode_login_ok,
    encode_open_orders, encode_snapshot_ok,
};
use wire::{ErrorCode, Op, PlaceOrder, Request, TraderOp, WireError};

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn fx(m: i64, s: u8) -> Fixed {
    Fixed::new(m, s)
}

// --- requests ---------------------------------------------------------------

/// Every op of api.md that the binary port carries, in JSON.
const REQUESTS: &[&str] = &[
    r#"{"op":"place","req_id":7,"symbol":"BTC-USD","side":"buy","type":"limit","price":"100.5","qty":"2","tif":"gtc","client_order_id":"a1","post_only":false,"display_qty":null,"stop_price":null,"stp":"none"}"#,
    r#"{"op":"place","symbol":"BTC-USD","side":"sell","type":"market","qty":"0.25","tif":"ioc","stp":"cancel_both"}"#,
    r#"{"op":"place","req_id":0,"symbol":"BTC-USD","side":"buy","type":"limit","price":"99","qty":"5","post_only":true,"display_qty":"1","stp":"cancel_maker"}"#,
    r#"{"op":"place","req_id":1,"symbol":"BTC-USD","side":"sell","type":"limit","price":"1.50","qty":"1","tif":"fok","stp":"cancel_taker"}"#,
    r#"{"op":"place","req_id":2,"symbol":"ETH-USD","side":"buy","type":"stop_limit","price":"101","stop_price":"100","qty":"1","tif":"ioc"}"#,
    r#"{"op":"place","req_id":3,"symbol":"ETH-USD","side":"sell","type":"stop_market","stop_price":"90","qty":"0","client_order_id":"s_1-x"}"#,
    r#"{"op":"cancel","req_id":8,"symbol":"BTC-USD","order_id":123}"#,
    r#"{"op":"cancel","req_id":9,"symbol":"BTC-USD","client_order_id":"a1"}"#,
    r#"{"op":"cancel","symbol":"BTC-USD","order_id":0}"#,
    r#"{"op":"amend","req_id":10,"symbol":"BTC-USD","order_id":123,"price":"101","qty":"1.5"}"#,
    r#"{"op":"amend","symbol":"BTC-USD","client_order_id":"a1","qty":"3"}"#,
    r#"{"op":"amend","symbol":"BTC-USD","order_id":18446744073709551615,"price":"0.000000000000000001"}"#,
    r#"{"op":"cancel_all","req_id":11,"symbol":"BTC-USD"}"#,
    r#"{"op":"cancel_all","req_id":12}"#,
    r#"{"op":"balances"}"#,
    r#"{"op":"balances","req_id":13,"user":7}"#,
    r#"{"op":"open_orders","symbol":"BTC-USD"}"#,
    r#"{"op":"open_orders","req_id":14}"#,
    r#"{"op":"fees","req_id":15}"#,
    r#"{"op":"snapshot","req_id":18446744073709551615}"#,
    r#"{"op":"add_asset","asset":"USD","scale":4}"#,
    r#"{"op":"add_symbol","symbol":"BTC-USD","base":"BTC","quote":"USD","tick_size":"0.01","lot_size":"0.0001","min_qty":"0.0001","maker_fee_bps":10,"taker_fee_bps":20,"price_band_pct":null}"#,
    r#"{"op":"add_symbol","req_id":5,"symbol":"x.y_Z-9","base":"BTC","quote":"USD","tick_size":"1","lot_size":"1","min_qty":"10","maker_fee_bps":0,"taker_fee_bps":4294967295,"price_band_pct":"12.5"}"#,
    r#"{"op":"add_user","user":7,"api_key":"k-7","role":"trader"}"#,
    r#"{"op":"add_user","req_id":4,"user":1,"key_hash":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","role":"admin"}"#,
    r#"{"op":"deposit","user":7,"asset":"USD","amount":"1000","tx_id":"d-1"}"#,
    r#"{"op":"withdraw","req_id":6,"user":7,"asset":"USD","amount":"10.000","tx_id":"w~1!{}"}"#,
    r#"{"op":"halt","symbol":"BTC-USD"}"#,
    r#"{"op":"resume","req_id":99,"symbol":"BTC-USD"}"#,
];

fn encode(req: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request(req, &mut out).unwrap();
    out
}

fn login_frame(key: &str, cod: bool, req_id: Option<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_login(key, cod, req_id, &mut out).unwrap();
    out
}

/// Every valid client frame the tests use: each JSON example as binary, and logins.
fn request_frames() -> Vec<(Request, Vec<u8>)> {
    let mut v: Vec<(Request, Vec<u8>)> = REQUESTS
        .iter()
        .map(|text| {
            let req = decode_request(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let b = encode(&req);
            (req, b)
        })
        .collect();
    for (json_text, key, cod, req_id) in [
        (
            r#"{"op":"login","api_key":"k-2","cancel_on_disconnect":true}"#,
            "k-2",
            true,
            None,
        ),
        (
            r#"{"op":"login","req_id":1,"api_key":"ключ \"с\" пробелом"}"#,
            "ключ \"с\" пробелом",
            false,
            Some(1),
        ),
    ] {
        v.push((
            decode_request(json_text).unwrap(),
            login_frame(key, cod, req_id),
        ));
    }
    v
}

#[test]
fn every_request_op_round_trips_to_the_request_json_gives() {
    let frames = request_frames();
    let mut types = std::collections::BTreeSet::new();
    for (req, b) in &frames {
        let got = decode_frame(b).unwrap_or_else(|e| panic!("{req:?}: {e}"));
        assert_eq!(got, Some((req.clone(), b.len())), "{req:?}");
        types.insert(b[4]);
    }
    // Every client message type is exercised.
    let all = [
        msg::LOGIN,
        msg::PLACE,
        msg::CANCEL,
        msg::AMEND,
        msg::CANCEL_ALL,
        msg::BALANCES,
        msg::OPEN_ORDERS,
        msg::FEES,
        msg::SNAPSHOT,
        msg::ADD_ASSET,
        msg::ADD_SYMBOL,
        msg::ADD_USER,
        msg::DEPOSIT,
        msg::WITHDRAW,
        msg::HALT,
        msg::RESUME,
    ];
    assert_eq!(types, all.into_iter().collect());
}

#[test]
fn login_carries_the_key_and_decodes_to_its_hash() {
    let b = login_frame("k-2", true, Some(3));
    // The key travels in clear (the server hashes it), after a u16 length.
    assert_eq!(&b[14..], &[1, 3, 0, b'k', b'-', b'2']);
    let (req, _) = decode_frame(&b).unwrap().unwrap();
    assert_eq!(
        req,
        Request {
            req_id: Some(3),
            op: Op::Login {
                key_hash: KeyHash::of_key("k-2"),
                cancel_on_disconnect: true,
            },
        }
    );
    // 256 bytes is the longest key; the decoder checks too.
    let long = "k".repeat(256);
    assert!(decode_frame(&login_frame(&long, false, None))
        .unwrap()
        .is_some());
    let mut b = login_frame(&long, false, None);
    b.push(b'k');
    b[15..17].copy_from_slice(&257u16.to_le_bytes());
    patch_len(&mut b);
    assert_malformed(&b, "api_key");
}

#[test]
fn add_user_accepts_the_key_in_clear_too() {
    let mut b = frame_head(msg::ADD_USER, Some(4));
    b.extend_from_slice(&7u64.to_le_bytes());
    b.extend_from_slice(&[0, 0]); // trader, key form 0
    b.extend_from_slice(&3u16.to_le_bytes());
    b.extend_from_slice(b"k-7");
    patch_len(&mut b);
    let (req, n) = decode_frame(&b).unwrap().unwrap();
    assert_eq!(n, b.len());
    assert_eq!(
        req,
        decode_request(r#"{"op":"add_user","req_id":4,"user":7,"api_key":"k-7"}"#).unwrap()
    );
}

#[test]
fn frames_decode_one_after_another() {
    let frames = request_frames();
    let stream: Vec<u8> = frames.iter().flat_map(|(_, b)| b.clone()).collect();
    let mut at = 0;
    for (req, b) in &frames {
        let (got, n) = decode_frame(&stream[at..]).unwrap().unwrap();
        assert_eq!((&got, n), (req, b.len()));
        at += n;
    }
    assert_eq!(at, stream.len());
    assert_eq!(decode_frame(&stream[at..]).unwrap(), None);
}

#[test]
fn every_prefix_of_a_frame_is_need_more() {
    for (_, b) in request_frames() {
        for cut in 0..b.len() {
            assert_eq!(decode_frame(&b[..cut]).unwrap(), None, "cut {cut} of {b:?}");
        }
    }
    for (_, b) in reply_frames() {
        for cut in 0..b.len() {
            assert_eq!(decode_reply(&b[..cut]).unwrap(), None, "cut {cut} of {b:?}");
        }
    }
}

#[test]
fn an_oversize_length_is_too_large_and_loses_framing() {
    for len in [FRAME_BYTES_MAX as u32 - 3, 1 << 20, u32::MAX] {
        let b = len.to_le_bytes();
        let e = decode_frame(&b).unwrap_err();
        assert_eq!((e.error.code, e.skip), (ErrorCode::TooLarge, None));
        assert_eq!(e.error.req_id, None);
        let e = decode_reply(&b).unwrap_err();
        assert_eq!((e.error.code, e.skip), (ErrorCode::TooLarge, None));
    }
}

fn frame_head(ty: u8, req_id: Option<u64>) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0, ty, 0x10 | u8::from(req_id.is_some())];
    b.extend_from_slice(&req_id.unwrap_or(0).to_le_bytes());
    b
}

fn patch_len(b: &mut [u8]) {
    let len = (b.len() - 4) as u32;
    b[..4].copy_from_slice(&len.to_le_bytes());
}

fn assert_malformed(b: &[u8], needle: &str) -> FrameError {
    let e = decode_frame(b).expect_err("malformed");
    assert_eq!(e.error.code, ErrorCode::Malformed, "{e}");
    assert_eq!(e.skip, Some(b.len()), "{e}");
    assert!(
        e.error.message.contains(needle),
        "{:?} lacks {needle:?}",
        e.error.message
    );
    e
}

#[test]
fn truncated_and_garbage_bodies_are_malformed_and_skipped_whole() {
    let (place_req, place) = request_frames().swap_remove(0);
    assert_eq!(place_req.req_id, Some(7));
    // Cut the body short, keeping the length consistent.
    for cut in 14..place.len() {
        let mut b = place[..cut].to_vec();
        patch_len(&mut b);
        let e = decode_frame(&b).expect_err("truncated");
        assert_eq!(e.error.code, ErrorCode::Malformed);
        assert_eq!((e.error.req_id, e.skip), (Some(7), Some(cut)));
    }
    // A byte too many.
    let mut b = place.clone();
    b.push(0);
    patch_len(&mut b);
    assert_malformed(&b, "after the last field");

    let set = |at: usize, v: &[u8]| {
        let mut b = place.clone();
        b[14 + at..14 + at + v.len()].copy_from_slice(v);
        b
    };
    assert_malformed(&set(0, &[2]), "side: unknown code 2");
    assert_malformed(&set(1, &[4]), "type: unknown code 4");
    assert_malformed(&set(2, &[3]), "tif");
    assert_malformed(&set(3, &[4]), "stp");
    assert_malformed(&set(4, &[2]), "post_only: expected 0 or 1");
    assert_malformed(&set(5, &(-2i64).to_le_bytes()), "qty: must not be negative");
    assert_malformed(&set(13, &[19]), "qty: more than 18 decimals");
    assert_malformed(
        &set(5, &[0, 0, 0, 0, 0, 0, 0, 0, 0xff]),
        "missing field `qty`",
    );
    assert_malformed(&set(23, &[1]), "stop_price: a null decimal has mantissa 0");
    // price null on a limit; a stop price on a limit
    assert_malformed(&set(14, &[0, 0, 0, 0, 0, 0, 0, 0, 0xff]), "needs a price");
    assert_malformed(
        &set(23, &[1, 0, 0, 0, 0, 0, 0, 0, 0]),
        "takes no stop_price",
    );
    // market with a price, post-only IOC, iceberg FOK, FOK stop
    assert_malformed(&set(1, &[1]), "takes no price");
    assert_malformed(&set(2, &[1, 0, 1]), "post_only");
    let mut b = set(2, &[2]); // fok
    b[14 + 32..14 + 41].copy_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0]); // display_qty 1
    assert_malformed(&b, "gtc limit order can be an iceberg");
    // symbol: bad characters, empty, longer than 16, not UTF-8
    assert_malformed(&set(42, b"B C"), "symbol: expected 1 to 16");
    assert_malformed(&set(42, &[0xff]), "symbol");
    assert_malformed(&set(41, &[0]), "missing field `symbol`");
    // client_order_id with a dot
    let n = place.len();
    let mut b = place.clone();
    b[n - 1] = b'.';
    assert_malformed(&b, "client_order_id: expected 1 to 36");

    // Header-only frames of body-less ops decode; others say what is missing.
    let mut b = frame_head(msg::CANCEL, Some(1));
    patch_len(&mut b);
    assert_malformed(&b, "frame ends early");
    let mut b = frame_head(msg::SNAPSHOT, None);
    patch_len(&mut b);
    assert_eq!(decode_frame(&b).unwrap().unwrap().0.op, Op::Snapshot);
}

#[test]
fn targets_and_options_follow_the_json_rules() {
    let cancel = |kind: u8, id: u64, clid: &str| {
        let mut b = frame_head(msg::CANCEL, None);
        b.push(kind);
        b.extend_from_slice(&id.to_le_bytes());
        b.push(7);
        b.extend_from_slice(b"BTC-USD");
        b.push(clid.len() as u8);
        b.extend_from_slice(clid.as_bytes());
        patch_len(&mut b);
        b
    };
    assert!(decode_frame(&cancel(0, 5, "")).unwrap().is_some());
    assert!(decode_frame(&cancel(1, 0, "a1")).unwrap().is_some());
    assert_malformed(&cancel(0, 5, "a1"), "not both");
    assert_malformed(&cancel(1, 5, "a1"), "not both");
    assert_malformed(&cancel(1, 0, ""), "missing field `client_order_id`");
    assert_malformed(&cancel(2, 0, ""), "target: unknown code 2");

    // amend needs price or qty
    let mut b = frame_head(msg::AMEND, None);
    b.push(0);
    b.extend_from_slice(&5u64.to_le_bytes());
    for _ in 0..2 {
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    }
    b.push(3);
    b.extend_from_slice(b"A-B");
    b.push(0);
    patch_len(&mut b);
    assert_malformed(&b, "amend needs `price` or `qty`");

    // balances: a user without has_user
    let mut b = frame_head(msg::BALANCES, None);
    b.push(0);
    b.extend_from_slice(&7u64.to_le_bytes());
    patch_len(&mut b);
    assert_malformed(&b, "user");

    // deposits need a tx_id
    let mut b = frame_head(msg::DEPOSIT, None);
    b.extend_from_slice(&7u64.to_le_bytes());
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.push(3);
    b.extend_from_slice(b"USD");
    b.push(0);
    patch_len(&mut b);
    assert_malformed(&b, "missing field `tx_id`");
}

#[test]
fn the_same_refusals_as_json() {
    // Requests JSON refuses, built as binary, are refused with the same words.
    let market_with_price = Request {
        req_id: Some(1),
        op: Op::Trader(TraderOp::Place(PlaceOrder {
            order_type: OrderType::Market,
            ..place_order()
        })),
    };
    let e = decode_frame(&encode(&market_with_price)).unwrap_err();
    let j = decode_request(
        r#"{"op":"place","req_id":1,"symbol":"BTC-USD","side":"buy","type":"market","price":"100.5","qty":"2"}"#,
    )
    .unwrap_err();
    assert_eq!(e.error, j);

    let fok_stop = Request {
        req_id: None,
        op: Op::Trader(TraderOp::Place(PlaceOrder {
            order_type: OrderType::StopLimit,
            stop_price: Some(fx(100, 0)),
            tif: Tif::Fok,
            ..place_order()
        })),
    };
    let e = decode_frame(&encode(&fok_stop)).unwrap_err();
    let j = decode_request(
        r#"{"op":"place","symbol":"BTC-USD","side":"buy","type":"stop_limit","price":"100.5","stop_price":"100","tif":"fok","qty":"2"}"#,
    )
    .unwrap_err();
    assert_eq!(e.error, j);
}

fn place_order() -> PlaceOrder {
    limit_order(name("BTC-USD"), Side::Buy, fx(1005, 1), fx(2, 0))
}

#[test]
fn decimals_are_normalised_like_json() {
    let req = Request {
        req_id: None,
        op: Op::Trader(TraderOp::Place(PlaceOrder {
            price: Some(fx(100_500, 3)),
            qty: fx(20, 1),
            ..place_order()
        })),
    };
    let (got, _) = decode_frame(&encode(&req)).unwrap().unwrap();
    let Op::Trader(TraderOp::Place(p)) = got.op else {
        panic!()
    };
    assert_eq!((p.price, p.qty), (Some(fx(1005, 1)), fx(2, 0)));
}

#[test]
fn encoding_appends_and_reuses_the_buffer() {
    let frames = request_frames();
    let mut out = vec![0xAA];
    let (req, b) = &frames[0];
    encode_request(req, &mut out).unwrap();
    assert_eq!(out[0], 0xAA);
    assert_eq!(&out[1..], &b[..]);

    // Once warm, encoding allocates nothing: same capacity, same memory.
    let d = directory();
    let ev = Event::Execution(report());
    let mut out = Vec::with_capacity(FRAME_BYTES_MAX);
    encode_event_bin(&ev, &d, Some(7), &mut out);
    let (cap, ptr) = (out.capacity(), out.as_ptr());
    for _ in 0..100 {
        out.clear();
        encode_event_bin(&ev, &d, Some(7), &mut out);
        encode_request(req, &mut out).unwrap();
    }
    assert_eq!((out.capacity(), out.as_ptr()), (cap, ptr));
}

// --- replies ----------------------------------------------------------------

/// BTC scale 8, USD scale 6, ETH scale 8; BTC-USD tick 0.01 lot 0.0001.
fn directory() -> Directory {
    let mut d = Directory::default();
    d.add_asset(name("BTC"), 8, 16).unwrap();
    d.add_asset(name("USD"), 6, 16).unwrap();
    d.add_asset(name("ETH"), 8, 16).unwrap();
    d.add_symbol(
        engine::SymbolSpec {
            symbol: name("BTC-USD"),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx(1, 2),
            lot_size: fx(1, 4),
            min_qty: fx(1, 4),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        },
        16,
    )
    .unwrap();
    d
}

const BTC: AssetId = AssetId(0);
const USD: AssetId = AssetId(1);

/// The api.md trade example: buy 2 @ 100.5, 0.5 filled at 100.4.
fn report() -> ExecReport {
    ExecReport {
        seq: 4711,
        ts_ns: 1_732_147_200_000_000_000,
        user: 2,
        order_id: 123,
        client_order_id: ClOrdId::new("a1"),
        symbol: Some(SymbolId(0)),
        side: Side::Buy,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        exec_type: ExecType::Trade,
        status: OrderStatus::PartiallyFilled,
        reason: None,
        price: Some(Ticks::new(10050)),
        stop_price: None,
        qty: Lots::new(20000),
        filled: Lots::new(5000),
        remaining: Lots::new(15000),
        cum_quote: Units::new(50_200_000),
        fill: Some(Fill {
            trade_id: 9,
            price: Ticks::new(10040),
            qty: Lots::new(5000),
            fee: Units::new(50_000),
            fee_asset: BTC,
            liquidity: Liquidity::Taker,
        }),
    }
}

/// Reports of every shape JSON distinguishes.
fn reports() -> Vec<ExecReport> {
    let mut v = vec![report()];
    // new market order: no price, no avg, no client id
    let mut r = report();
    r.exec_type = ExecType::New;
    r.status = OrderStatus::New;
    r.order_type = OrderType::Market;
    r.tif = Tif::Ioc;
    r.price = None;
    r.client_order_id = None;
    r.filled = Lots::ZERO;
    r.remaining = r.qty;
    r.cum_quote = Units::ZERO;
    r.fill = None;
    v.push(r);
    // canceled stop with a reason
    let mut r = report();
    r.exec_type = ExecType::Canceled;
    r.status = OrderStatus::Canceled;
    r.order_type = OrderType::StopLimit;
    r.side = Side::Sell;
    r.stop_price = Some(Ticks::new(10000));
    r.reason = Some(Reason::UserCanceled);
    r.remaining = Lots::ZERO;
    r.fill = None;
    v.push(r);
    // canceled with no reason (JSON: "reason":null)
    let mut r = v[2];
    r.reason = None;
    v.push(r);
    // replaced with a stray reason and fill: neither shown
    let mut r = report();
    r.exec_type = ExecType::Replaced;
    r.reason = Some(Reason::UserCanceled);
    v.push(r);
    // a place rejected as unknown_symbol
    let mut r = report();
    r.symbol = None;
    r.exec_type = ExecType::Rejected;
    r.status = OrderStatus::Rejected;
    r.reason = Some(Reason::UnknownSymbol);
    r.fill = None;
    v.push(r);
    // a maker fill, fee in USD, whole order filled, avg with rounding
    let mut r = report();
    r.status = OrderStatus::Filled;
    r.filled = Lots::new(3);
    r.remaining = Lots::ZERO;
    r.cum_quote = Units::new(30_002);
    r.fill = Some(Fill {
        trade_id: u64::MAX,
        price: Ticks::new(1),
        qty: Lots::new(1),
        fee: Units::new(1),
        fee_asset: USD,
        liquidity: Liquidity::Maker,
    });
    v.push(r);
    // a fee asset the directory does not know
    let mut r = report();
    if let Some(f) = r.fill.as_mut() {
        f.fee_asset = AssetId(77);
    }
    v.push(r);
    // triggered, FOK, a 36-byte client id
    let mut r = report();
    r.exec_type = ExecType::Triggered;
    r.tif = Tif::Fok;
    r.order_type = OrderType::StopMarket;
    r.price = None;
    r.stop_price = Some(Ticks::new(1));
    r.client_order_id = ClOrdId::new(&"Z".repeat(36));
    v.push(r);
    v
}

fn events() -> Vec<Event> {
    let mut v: Vec<Event> = reports().into_iter().map(Event::Execution).collect();
    for (op, target, reason) in [
        (
            RejectOp::Cancel,
            Some(OrderRef::Id(999)),
            Reason::UnknownOrder,
        ),
        (
            RejectOp::Amend,
            Some(OrderRef::Client(ClOrdId::new("a1").unwrap())),
            Reason::InvalidPrice,
        ),
        (RejectOp::CancelAll, None, Reason::UnknownSymbol),
    ] {
        v.push(Event::Reject {
            seq: 12,
            ts_ns: 13,
            user: 2,
            op,
            target,
            reason,
        });
    }
    v.push(Event::CancelAll {
        seq: 14,
        ts_ns: 15,
        user: 2,
        canceled: 3,
    });
    v.push(Event::Admin {
        seq: 16,
        ts_ns: 17,
        op: AdminOp::Deposit,
        ok: true,
        reason: None,
    });
    v.push(Event::Admin {
        seq: 18,
        ts_ns: 19,
        op: AdminOp::Withdraw,
        ok: false,
        reason: Some(Reason::InsufficientFunds),
    });
    v
}

fn balances() -> Vec<(AssetId, Balance)> {
    vec![
        (
            USD,
            Balance {
                available: Units::new(900_000_000),
                locked: Units::new(100_500_000),
            },
        ),
        (
            BTC,
            Balance {
                available: Units::new(1),
                locked: Units::ZERO,
            },
        ),
        // unknown to the directory: left out, as in JSON
        (
            AssetId(50),
            Balance {
                available: Units::new(5),
                locked: Units::ZERO,
            },
        ),
    ]
}

fn fees() -> Vec<(AssetId, Units)> {
    vec![(USD, Units::new(350_000)), (BTC, Units::new(0))]
}

fn not_primary() -> WireError {
    let mut e = WireError::new(
        Some(8),
        ErrorCode::NotPrimary,
        "this node is a standby; the primary is 127.0.0.1:9001",
    );
    e.primary = Some("127.0.0.1:9001".into());
    e
}

fn error() -> WireError {
    WireError::new(
        Some(7),
        ErrorCode::Malformed,
        "qty: \"x\"\nis not a decimal",
    )
}

/// One binary frame and the JSON text of the same reply, for every kind.
fn reply_pairs() -> Vec<(Vec<u8>, String)> {
    let d = directory();
    let mut v = Vec::new();
    let mut pair = |bin: &dyn Fn(&mut Vec<u8>), js: &dyn Fn(&mut String)| {
        let (mut b, mut s) = (Vec::new(), String::new());
        bin(&mut b);
        js(&mut s);
        v.push((b, s));
    };
    for ev in events() {
        for req_id in [None, Some(7)] {
            pair(&|b| encode_event_bin(&ev, &d, req_id, b), &|s| {
                encode_event(&ev, &d, req_id, s)
            });
        }
    }
    for user in [None, Some(7)] {
        pair(
            &|b| encode_balances_bin(user, &balances(), &d, Some(3), b),
            &|s| encode_balances(user, &balances(), &d, Some(3), s),
        );
    }
    pair(&|b| encode_balances_bin(None, &[], &d, None, b), &|s| {
        encode_balances(None, &[], &d, None, s)
    });
    pair(
        &|b| encode_open_orders_bin(&reports(), Some(42), &d, Some(4), b),
        &|s| encode_open_orders(&reports(), Some(42), &d, Some(4), s),
    );
    pair(&|b| encode_open_orders_bin(&[], None, &d, None, b), &|s| {
        encode_open_orders(&[], None, &d, None, s)
    });
    pair(&|b| encode_fees_bin(&fees(), &d, Some(5), b), &|s| {
        encode_fees(&fees(), &d, Some(5), s)
    });
    let hash: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
    pair(&|b| encode_snapshot_ok_bin(99, &hash, Some(6), b), &|s| {
        encode_snapshot_ok(99, &hash, Some(6), s)
    });
    pair(
        &|b| encode_login_ok_bin(2, Role::Trader, Some(1), b),
        &|s| encode_login_ok(2, Role::Trader, Some(1), s),
    );
    pair(&|b| encode_login_ok_bin(1, Role::Admin, None, b), &|s| {
        encode_login_ok(1, Role::Admin, None, s)
    });
    pair(&|b| encode_error_bin(&error(), b), &|s| {
        encode_error(&error(), s)
    });
    pair(&|b| encode_error_bin(&not_primary(), b), &|s| {
        encode_error(&not_primary(), s)
    });
    v
}

fn reply_frames() -> Vec<(Reply, Vec<u8>)> {
    reply_pairs()
        .into_iter()
        .map(|(b, _)| {
            let (r, n) = decode_reply(&b).unwrap().unwrap();
            assert_eq!(n, b.len(), "one frame each");
            (r, b)
        })
        .collect()
}

fn dec(v: Option<Fixed>) -> Value {
    v.map_or(Value::Null, |f| Value::String(f.to_string()))
}

fn opt_str(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

/// What JSON would say for a decoded execution, by api.md's rules.
fn exec_json(e: &Execution, req_id: Option<u64>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("execution"));
    if let Some(r) = req_id {
        m.insert("req_id".into(), json!(r));
    }
    m.insert("exec_type".into(), json!(e.exec_type.as_str()));
    m.insert("status".into(), json!(e.status.as_str()));
    m.insert("order_id".into(), json!(e.order_id));
    m.insert("client_order_id".into(), opt_str(&e.client_order_id));
    m.insert("user".into(), json!(e.user));
    m.insert("symbol".into(), opt_str(&e.symbol));
    m.insert("side".into(), json!(e.side.as_str()));
    m.insert("order_type".into(), json!(e.order_type.as_str()));
    m.insert("tif".into(), json!(e.tif.as_str()));
    m.insert("price".into(), dec(e.price));
    if e.stop_price.is_some() {
        m.insert("stop_price".into(), dec(e.stop_price));
    }
    m.insert("qty".into(), dec(e.qty));
    m.insert("filled_qty".into(), dec(e.filled_qty));
    m.insert("remaining_qty".into(), dec(e.remaining_qty));
    m.insert("avg_price".into(), dec(e.avg_price));
    if matches!(e.exec_type, ExecType::Rejected | ExecType::Canceled) {
        m.insert(
            "reason".into(),
            e.reason.map_or(Value::Null, |r| json!(r.as_str())),
        );
    }
    if let Some(t) = &e.trade {
        m.insert("trade_id".into(), json!(t.trade_id));
        m.insert("last_price".into(), dec(t.last_price));
        m.insert("last_qty".into(), dec(t.last_qty));
        m.insert("fee".into(), dec(Some(t.fee)));
        m.insert("fee_asset".into(), opt_str(&t.fee_asset));
        m.insert("liquidity".into(), json!(t.liquidity.as_str()));
    }
    m.insert("seq".into(), json!(e.seq));
    m.insert("ts".into(), json!(e.ts_ns));
    Value::Object(m)
}

/// The JSON text a decoded binary reply stands for.
fn reply_json(r: &Reply) -> Value {
    let mut v = match &r.body {
        ReplyBody::Execution(e) => return exec_json(e, r.req_id),
        // The JSON document itself (whole when not `more`).
        ReplyBody::History { part, .. } => return serde_json::from_str(part).unwrap(),
        ReplyBody::Login { user, role } => {
            json!({"type":"login","ok":true,"user":user,"role":role.as_str()})
        }
        ReplyBody::Reject {
            seq,
            ts_ns,
            user,
            op,
            target,
            reason,
        } => {
            let mut v = json!({"type":"reject","op":op.as_str(),"user":user,
                "reason":reason.as_str(),"seq":seq,"ts":ts_ns});
            match target {
                Some(Target::OrderId(id)) => v["order_id"] = json!(id),
                Some(Target::ClientOrderId(c)) => v["client_order_id"] = json!(c),
                None => {}
            }
            v
        }
        ReplyBody::CancelAll {
            seq,
            ts_ns,
            user,
            canceled,
        } => json!({"type":"cancel_all","user":user,"canceled":canceled,"seq":seq,"ts":ts_ns}),
        ReplyBody::Admin {
            seq,
            ts_ns,
            op,
            ok,
            reason,
        } => {
            let mut v = json!({"type":"admin","op":op.as_str(),"ok":ok,"seq":seq,"ts":ts_ns});
            if let Some(r) = reason {
                v["reason"] = json!(r.as_str());
            }
            v
        }
        ReplyBody::Snapshot { seq, state_hash } => {
            let hex: String = state_hash.iter().map(|b| format!("{b:02x}")).collect();
            json!({"type":"admin","op":"snapshot","ok":true,"seq":seq,"state_hash":hex})
        }
        ReplyBody::Balances {
            user,
            balances,
            more,
        } => {
            assert!(!more);
            let mut m = Map::new();
            for b in balances {
                m.insert(
                    b.asset.clone(),
                    json!({"available":b.available.to_string(),"locked":b.locked.to_string()}),
                );
            }
            let mut v = json!({"type":"balances","balances":m});
            if let Some(u) = user {
                v["user"] = json!(u);
            }
            v
        }
        ReplyBody::OpenOrders {
            orders,
            more,
            next_cursor,
        } => {
            assert!(!more);
            let list: Vec<Value> = orders.iter().map(|e| exec_json(e, None)).collect();
            json!({"type":"open_orders","orders":list,"next_cursor":next_cursor})
        }
        ReplyBody::Fees { fees, more } => {
            assert!(!more);
            let m: Map<String, Value> = fees
                .iter()
                .map(|f| (f.asset.clone(), json!(f.amount.to_string())))
                .collect();
            json!({"type":"admin","op":"fees","ok":true,"fees":m})
        }
        ReplyBody::Error {
            code,
            message,
            primary,
        } => {
            let mut v = json!({"type":"error","code":code.as_str(),"message":message});
            if let Some(p) = primary {
                v["primary"] = json!(p);
            }
            v
        }
    };
    if let Some(id) = r.req_id {
        v["req_id"] = json!(id);
    }
    v
}

#[test]
fn every_reply_kind_says_what_its_json_says() {
    let pairs = reply_pairs();
    let mut types = std::collections::BTreeSet::new();
    for (b, text) in &pairs {
        let (r, n) = decode_reply(b).unwrap().unwrap();
        assert_eq!(n, b.len());
        types.insert(b[4]);
        let want: Value = serde_json::from_str(text).unwrap();
        assert_eq!(reply_json(&r), want, "\nbinary {r:#?}\njson {text}");
    }
    assert_eq!(
        types,
        [
            msg::LOGIN_OK,
            msg::EXECUTION,
            msg::REJECT,
            msg::CANCEL_ALL_DONE,
            msg::ADMIN,
            msg::SNAPSHOT_OK,
            msg::BALANCES_REPLY,
            msg::OPEN_ORDERS_REPLY,
            msg::FEES_REPLY,
            msg::ERROR,
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn the_trade_report_decodes_to_these_values() {
    let mut b = Vec::new();
    encode_event_bin(&Event::Execution(report()), &directory(), Some(7), &mut b);
    assert_eq!(b.len(), 14 + 128 + 8 + 3 + 4);
    let (r, _) = decode_reply(&b).unwrap().unwrap();
    assert_eq!(
        r,
        Reply {
            req_id: Some(7),
            body: ReplyBody::Execution(Box::new(Execution {
                seq: 4711,
                ts_ns: 1_732_147_200_000_000_000,
                user: 2,
                order_id: 123,
                exec_type: ExecType::Trade,
                status: OrderStatus::PartiallyFilled,
                side: Side::Buy,
                order_type: OrderType::Limit,
                tif: Tif::Gtc,
                reason: None,
                price: Some(fx(1005, 1)),
                stop_price: None,
                qty: Some(fx(2, 0)),
                filled_qty: Some(fx(5, 1)),
                remaining_qty: Some(fx(15, 1)),
                avg_price: Some(fx(1004, 1)),
                symbol: Some("BTC-USD".into()),
                client_order_id: Some("a1".into()),
                trade: Some(TradeFill {
                    trade_id: 9,
                    last_price: Some(fx(1004, 1)),
                    last_qty: Some(fx(5, 1)),
                    fee: fx(5, 4),
                    fee_asset: Some("BTC".into()),
                    liquidity: Liquidity::Taker,
                }),
            })),
        }
    );
    // Fixed offsets: seq at body 0, exec_type at 40, price at 47.
    assert_eq!(&b[14..22], &4711u64.to_le_bytes());
    assert_eq!(b[14 + 40], 1);
    assert_eq!(&b[14 + 47..14 + 56], &[0xed, 3, 0, 0, 0, 0, 0, 0, 1]);

    let mut b = Vec::new();
    encode_balances_bin(None, &balances(), &directory(), Some(3), &mut b);
    let (r, _) = decode_reply(&b).unwrap().unwrap();
    assert_eq!(
        r.body,
        ReplyBody::Balances {
            user: None,
            balances: vec![
                BalanceEntry {
                    asset: "USD".into(),
                    available: fx(900, 0),
                    locked: fx(1005, 1),
                },
                BalanceEntry {
                    asset: "BTC".into(),
                    available: fx(1, 8),
                    locked: fx(0, 0),
                },
            ],
            more: false,
        }
    );
    let mut b = Vec::new();
    encode_fees_bin(&fees(), &directory(), None, &mut b);
    let (r, _) = decode_reply(&b).unwrap().unwrap();
    assert_eq!(
        r,
        Reply {
            req_id: None,
            body: ReplyBody::Fees {
                fees: vec![
                    FeeEntry {
                        asset: "USD".into(),
                        amount: fx(35, 2),
                    },
                    FeeEntry {
                        asset: "BTC".into(),
                        amount: fx(0, 0),
                    },
                ],
                more: false,
            },
        }
    );
}

#[test]
fn market_data_is_not_written() {
    let mut b = Vec::new();
    let ev = Event::Level {
        symbol: SymbolId(0),
        side: Side::Buy,
        price: Ticks::new(1),
        qty: Lots::new(1),
    };
    encode_event_bin(&ev, &directory(), Some(1), &mut b);
    assert!(b.is_empty());
}

#[test]
fn long_open_order_lists_span_frames_that_join_up() {
    let orders: Vec<ExecReport> = (0..100)
        .map(|i| {
            let mut r = report();
            r.order_id = i;
            r.client_order_id = ClOrdId::new(&format!("{i:0>36}"));
            r
        })
        .collect();
    let mut b = Vec::new();
    encode_open_orders_bin(&orders, Some(99), &directory(), Some(8), &mut b);
    let (mut at, mut got, mut frames) = (0, Vec::new(), 0);
    loop {
        let (r, n) = decode_reply(&b[at..]).unwrap().unwrap();
        assert!(n <= FRAME_BYTES_MAX);
        assert_eq!(r.req_id, Some(8));
        at += n;
        frames += 1;
        let ReplyBody::OpenOrders {
            orders,
            more,
            next_cursor,
        } = r.body
        else {
            panic!("{r:?}")
        };
        assert_eq!(next_cursor, Some(99), "every frame carries the cursor");
        got.extend(orders);
        if !more {
            break;
        }
    }
    assert_eq!(at, b.len());
    assert!(frames >= 5, "{frames} frames");
    let ids: Vec<u64> = got.iter().map(|e| e.order_id).collect();
    assert_eq!(ids, (0..100).collect::<Vec<_>>());
}

#[test]
fn bad_replies_are_malformed_and_skipped() {
    for (_, b) in reply_frames() {
        // truncated with a consistent length
        for cut in 14..b.len() {
            let mut t = b[..cut].to_vec();
            patch_len(&mut t);
            let e = decode_reply(&t).expect_err("truncated");
            assert_eq!((e.error.code, e.skip), (ErrorCode::Malformed, Some(cut)));
        }
        // a byte too many
        let mut t = b.clone();
        t.push(0);
        patch_len(&mut t);
        assert_eq!(decode_reply(&t).unwrap_err().skip, Some(t.len()));
        // MORE on a reply that is not a list
        let mut t = b.clone();
        t[5] |= 0x02;
        let ok = matches!(
            t[4],
            msg::BALANCES_REPLY | msg::OPEN_ORDERS_REPLY | msg::FEES_REPLY
        );
        assert_eq!(decode_reply(&t).is_ok(), ok, "{:#x}", t[4]);
    }
    // a count larger than the frame can hold
    let mut b = frame_head(msg::FEES_REPLY, None);
    b.extend_from_slice(&u16::MAX.to_le_bytes());
    patch_len(&mut b);
    assert!(decode_reply(&b)
        .unwrap_err()
        .error
        .message
        .contains("count"));
}

// --- fuzzing ----------------------------------------------------------------

fn check_frame_result<T>(buf: &[u8], r: Result<Option<(T, usize)>, FrameError>) {
    match r {
        Ok(None) => {}
        Ok(Some((_, n))) => assert!(n >= 14 && n <= buf.len() && n <= FRAME_BYTES_MAX),
        Err(e) => match e.skip {
            Some(n) => assert!(n >= 4 && n <= buf.len() && n <= FRAME_BYTES_MAX),
            None => assert_eq!(e.error.code, ErrorCode::TooLarge),
        },
    }
}

fn arb_dec() -> impl Strategy<Value = Fixed> {
    (0i64..=i64::MAX, 0u8..=18).prop_map(|(m, s)| Fixed::new(m, s).normalized())
}

prop_compose! {
    fn arb_place()(
        symbol in "[A-Za-z0-9._-]{1,16}",
        buy in any::<bool>(),
        ty in 0usize..4,
        tif in 0usize..3,
        stp in 0usize..4,
        post_only in any::<bool>(),
        price in arb_dec(),
        qty in arb_dec(),
        stop in arb_dec(),
        display in proptest::option::of(arb_dec()),
        clid in proptest::option::of("[A-Za-z0-9_-]{1,36}"),
    ) -> PlaceOrder {
        let order_type = [OrderType::Limit, OrderType::Market, OrderType::StopLimit, OrderType::StopMarket][ty];
        let mut tif = [Tif::Gtc, Tif::Ioc, Tif::Fok][tif];
        if order_type.is_stop() && tif == Tif::Fok {
            tif = Tif::Ioc;
        }
        let gtc_limit = order_type == OrderType::Limit && tif == Tif::Gtc;
        PlaceOrder {
            symbol: Name::new(&symbol).unwrap(),
            side: if buy { Side::Buy } else { Side::Sell },
            order_type,
            tif,
            price: order_type.has_limit_price().then_some(price),
            qty,
            stop_price: order_type.is_stop().then_some(stop),
            display_qty: display.filter(|_| gtc_limit),
            post_only: post_only && gtc_limit,
            stp: [Stp::None, Stp::CancelTaker, Stp::CancelMaker, Stp::CancelBoth][stp],
            client_order_id: clid.and_then(|c| ClOrdId::new(&c)),
        }
    }
}

fn place_json(p: &PlaceOrder, req_id: Option<u64>) -> String {
    let mut v = json!({
        "op": "place", "symbol": p.symbol.as_str(), "side": p.side.as_str(),
        "type": p.order_type.as_str(), "tif": p.tif.as_str(), "qty": p.qty.to_string(),
        "post_only": p.post_only, "stp": p.stp.as_str(),
    });
    let opt = |v: &mut Value, k: &str, f: Option<Fixed>| {
        if let Some(f) = f {
            v[k] = json!(f.to_string());
        }
    };
    opt(&mut v, "price", p.price);
    opt(&mut v, "stop_price", p.stop_price);
    opt(&mut v, "display_qty", p.display_qty);
    if let Some(c) = p.client_order_id {
        v["client_order_id"] = json!(c.as_str());
    }
    if let Some(r) = req_id {
        v["req_id"] = json!(r);
    }
    v.to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_frame_result(&b, decode_frame(&b));
        check_frame_result(&b, decode_reply(&b));
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(
        ty in any::<u8>(),
        flags in 0u8..4,
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut b = vec![0, 0, 0, 0, ty, 0x10 | flags];
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&body);
        patch_len(&mut b);
        check_frame_result(&b, decode_frame(&b));
        check_frame_result(&b, decode_reply(&b));
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut all: Vec<Vec<u8>> = request_frames().into_iter().map(|(_, b)| b).collect();
        all.extend(reply_frames().into_iter().map(|(_, b)| b));
        let mut b = which.get(&all).clone();
        for (at, v) in edits {
            // Leave the length alone half the time so the body is what varies.
            let i = at.index(b.len());
            if i >= 4 || v % 2 == 0 {
                b[i] = v;
            }
        }
        let b = &b[..cut.index(b.len() + 1)];
        check_frame_result(b, decode_frame(b));
        check_frame_result(b, decode_reply(b));
    }

    #[test]
    fn valid_places_round_trip_and_match_json(p in arb_place(), req_id in proptest::option::of(any::<u64>())) {
        let req = Request { req_id, op: Op::Trader(TraderOp::Place(p)) };
        let b = encode(&req);
        prop_assert_eq!(decode_frame(&b).unwrap(), Some((req.clone(), b.len())));
        prop_assert_eq!(decode_request(&place_json(&p, req_id)).unwrap(), req);
    }

    #[test]
    fn decimals_of_any_form_decode_to_jsons_value(m in 0i64..=i64::MAX, s in 0u8..=18) {
        // An unnormalised decimal on the wire is the value JSON reads from its text.
        let mut b = frame_head(msg::DEPOSIT, None);
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&m.to_le_bytes());
        b.push(s);
        b.extend_from_slice(&[3, b'U', b'S', b'D', 1, b'x']);
        patch_len(&mut b);
        let (req, _) = decode_frame(&b).unwrap().unwrap();
        let text = format!(
            r#"{{"op":"deposit","user":1,"asset":"USD","amount":"{}","tx_id":"x"}}"#,
            Fixed::new(m, s)
        );
        prop_assert_eq!(req, decode_request(&text).unwrap());
    }
}

// --- the client against a fake server ----------------------------------------

/// The server side of one loopback connection: decodes requests with the
/// codec and writes canned replies.
struct FakeConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl FakeConn {
    /// The next request, or `None` once the client hangs up.
    fn next(&mut self) -> Option<Request> {
        let mut chunk = [0u8; 1024];
        // Bounded: every iteration either decodes, or reads at least a byte,
        // or returns; a stuck client trips the read timeout.
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
}

/// Serves one connection on an ephemeral loopback port with `script`.
fn fake_server(script: impl FnOnce(FakeConn) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let h = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
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

fn new_report(req_id_order: u64) -> Event {
    let mut r = report();
    r.order_id = req_id_order;
    r.exec_type = ExecType::New;
    r.status = OrderStatus::New;
    r.filled = Lots::ZERO;
    r.remaining = r.qty;
    r.cum_quote = Units::ZERO;
    r.fill = None;
    Event::Execution(r)
}

#[test]
fn client_logs_in_places_and_reads_reports_however_they_are_cut() {
    let (addr, server) = fake_server(|mut c| {
        let d = directory();
        let login = c.next().unwrap();
        assert_eq!(
            login.op,
            Op::Login {
                key_hash: KeyHash::of_key("k-2"),
                cancel_on_disconnect: true,
            }
        );
        let mut out = Vec::new();
        encode_login_ok_bin(2, Role::Trader, login.req_id, &mut out);
        c.send(&out);
        let place = c.next().unwrap();
        let Op::Trader(TraderOp::Place(p)) = place.op else {
            panic!("{place:?}")
        };
        assert_eq!(p, place_order());
        out.clear();
        encode_event_bin(&new_report(55), &d, place.req_id, &mut out);
        c.send(&out);
        // A trade report without req_id, one byte per write.
        out.clear();
        encode_event_bin(&Event::Execution(report()), &d, None, &mut out);
        for byte in &out {
            c.send(std::slice::from_ref(byte));
        }
        // Then three replies in one write.
        out.clear();
        encode_fees_bin(&fees(), &d, Some(100), &mut out);
        encode_login_ok_bin(9, Role::Admin, None, &mut out);
        encode_error_bin(&error(), &mut out);
        c.send(&out);
        assert!(c.next().is_none(), "the client hangs up");
    });
    let mut client = Client::connect(addr).unwrap();
    assert_eq!(client.login("k-2", true).unwrap(), (2, Role::Trader));
    let req_id = client.place(place_order()).unwrap();
    assert_eq!(req_id, 2, "login took 1");
    let r = client.recv().unwrap();
    assert_eq!(r.req_id, Some(req_id));
    let ReplyBody::Execution(e) = r.body else {
        panic!("{r:?}")
    };
    assert_eq!((e.exec_type, e.order_id), (ExecType::New, 55));
    let r = client.recv().unwrap();
    assert_eq!(r.req_id, None);
    assert!(matches!(&r.body, ReplyBody::Execution(e) if e.trade.is_some()));
    assert!(matches!(
        client.recv().unwrap().body,
        ReplyBody::Fees { .. }
    ));
    assert!(matches!(
        client.recv().unwrap().body,
        ReplyBody::Login { user: 9, .. }
    ));
    assert_eq!(
        client.recv().unwrap().body,
        ReplyBody::Error {
            code: ErrorCode::Malformed,
            message: error().message,
            primary: None,
        }
    );
    drop(client);
    server.join().unwrap();
}

#[test]
fn a_refused_login_is_an_error_and_earlier_replies_are_kept() {
    let (addr, server) = fake_server(|mut c| {
        let login = c.next().unwrap();
        let mut out = Vec::new();
        // Something unrelated first, then the refusal.
        encode_event_bin(&new_report(1), &directory(), None, &mut out);
        encode_error_bin(
            &WireError::new(login.req_id, ErrorCode::Unauthenticated, "unknown api key"),
            &mut out,
        );
        c.send(&out);
        assert!(c.next().is_none());
    });
    let mut client = Client::connect(addr).unwrap();
    match client.login("nope", false) {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, ErrorCode::Unauthenticated);
            assert_eq!(message, "unknown api key");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.recv().unwrap().body,
        ReplyBody::Execution(_)
    ));
    drop(client);
    server.join().unwrap();
}

#[test]
fn recv_timeout_keeps_a_half_frame_for_later() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (addr, server) = fake_server(move |mut c| {
        let mut out = Vec::new();
        encode_snapshot_ok_bin(42, &[7; 32], Some(1), &mut out);
        let half = out.len() / 2;
        c.send(&out[..half]);
        go_rx.recv().unwrap();
        c.send(&out[half..]);
        assert!(c.next().is_none());
    });
    let mut client = Client::connect(addr).unwrap();
    // Nothing complete yet: None (however long it waited), the half kept.
    assert_eq!(
        client.recv_timeout(Duration::from_millis(20)).unwrap(),
        None
    );
    go_tx.send(()).unwrap();
    let r = client.recv().unwrap();
    assert_eq!(
        r,
        Reply {
            req_id: Some(1),
            body: ReplyBody::Snapshot {
                seq: 42,
                state_hash: [7; 32],
            },
        }
    );
    drop(client);
    server.join().unwrap();
}

#[test]
fn the_client_sees_the_server_hang_up() {
    let (addr, server) = fake_server(|mut c| {
        let _ = c.next();
    });
    let mut client = Client::connect(addr).unwrap();
    client.request(Op::Balances { user: None }).expect("sent");
    server.join().unwrap();
    assert!(matches!(client.recv(), Err(ClientError::Closed)));
    // Subscriptions are WebSocket-only: refused before anything is sent.
    assert!(matches!(
        client.request(Op::Subscribe(vec![])),
        Err(ClientError::Encode(_))
    ));
}

#[test]
fn an_oversize_reply_breaks_the_connection() {
    let (addr, server) = fake_server(|mut c| {
        c.send(&u32::MAX.to_le_bytes());
        assert!(c.next().is_none());
    });
    let mut client = Client::connect(addr).unwrap();
    match client.recv() {
        Err(ClientError::Protocol(e)) => assert_eq!(e.code, ErrorCode::TooLarge),
        other => panic!("{other:?}"),
    }
    assert!(matches!(client.recv(), Err(ClientError::Closed)));
    drop(client);
    server.join().unwrap();
}

#[test]
fn admin_ops_travel_whole() {
    // An admin session over the client: every admin command arrives as sent.
    let kinds: Vec<CommandKind> = REQUESTS
        .iter()
        .filter_map(|t| match decode_request(t).unwrap().op {
            Op::Admin(k) => Some(k),
            _ => None,
        })
        .collect();
    let expect = kinds.clone();
    let (addr, server) = fake_server(move |mut c| {
        for k in expect {
            let req = c.next().unwrap();
            assert_eq!(req.op, Op::Admin(k));
            let mut out = Vec::new();
            encode_event_bin(
                &Event::Admin {
                    seq: 1,
                    ts_ns: 2,
                    op: AdminOp::Halt,
                    ok: true,
                    reason: None,
                },
                &directory(),
                req.req_id,
                &mut out,
            );
            c.send(&out);
        }
        assert!(c.next().is_none());
    });
    let mut client = Client::connect(addr).unwrap();
    for k in kinds {
        let id = client.request(Op::Admin(k)).unwrap();
        let r = client.recv().unwrap();
        assert_eq!(r.req_id, Some(id));
    }
    drop(client);
    server.join().unwrap();
}

#[test]
fn history_queries_round_trip_and_answers_split_over_frames() {
    use wire::{HistoryQuery, OrderLookup};
    let qs = [
        HistoryQuery::Order {
            key: OrderLookup::Id(5),
        },
        HistoryQuery::Order {
            key: OrderLookup::Client(ClOrdId::new("c-9").unwrap()),
        },
        HistoryQuery::OrderHistory {
            symbol: Some(Name::new("BTC-USD").unwrap()),
            from_ts: Some(1),
            to_ts: Some(2),
            before_order_id: Some(3),
            limit: Some(4),
        },
        HistoryQuery::OrderHistory {
            symbol: None,
            from_ts: None,
            to_ts: None,
            before_order_id: None,
            limit: None,
        },
        HistoryQuery::MyTrades {
            symbol: None,
            from_trade_id: Some(8),
            limit: Some(1000),
        },
        HistoryQuery::Transfers {
            after_seq: Some(11),
            limit: None,
        },
        HistoryQuery::Executions {
            symbol: Name::new("ETH-USD").unwrap(),
            before_trade_id: Some(77),
            limit: Some(10),
        },
    ];
    for q in qs {
        let req = Request {
            req_id: Some(3),
            op: Op::History(q),
        };
        let mut b = Vec::new();
        encode_request(&req, &mut b).unwrap();
        let (back, n) = decode_frame(&b).unwrap().unwrap();
        assert_eq!((back, n), (req, b.len()));
    }
    // Paging: the tail is optional; a bad limit or range has its own code.
    for (op, code) in [
        (
            Op::OpenOrders {
                symbol: None,
                after_order_id: None,
                limit: Some(1001),
            },
            ErrorCode::InvalidLimit,
        ),
        (
            Op::History(HistoryQuery::OrderHistory {
                symbol: None,
                from_ts: Some(9),
                to_ts: Some(2),
                before_order_id: None,
                limit: None,
            }),
            ErrorCode::InvalidRange,
        ),
        (
            Op::History(HistoryQuery::Transfers {
                after_seq: Some(u64::MAX),
                limit: None,
            }),
            ErrorCode::InvalidCursor,
        ),
    ] {
        let mut b = Vec::new();
        encode_request(
            &Request {
                req_id: Some(1),
                op,
            },
            &mut b,
        )
        .unwrap();
        let e = decode_frame(&b).unwrap_err();
        assert_eq!((e.error.code, e.skip), (code, Some(b.len())));
    }
    let paged = Request {
        req_id: None,
        op: Op::OpenOrders {
            symbol: None,
            after_order_id: Some(5),
            limit: Some(7),
        },
    };
    let mut b = Vec::new();
    encode_request(&paged, &mut b).unwrap();
    assert_eq!(decode_frame(&b).unwrap().unwrap().0, paged);
    // A long answer (multi-byte characters at the cuts) comes back whole.
    let doc = format!("{{\"type\":\"transfers\",\"x\":\"{}\"}}", "é€".repeat(5000));
    let mut b = Vec::new();
    encode_history_bin(&doc, Some(9), &mut b);
    let (mut at, mut got, mut frames) = (0, String::new(), 0);
    loop {
        let (r, n) = decode_reply(&b[at..]).unwrap().unwrap();
        assert!(n <= FRAME_BYTES_MAX);
        assert_eq!(r.req_id, Some(9));
        at += n;
        frames += 1;
        let ReplyBody::History { part, more } = r.body else {
            panic!("{r:?}")
        };
        got.push_str(&part);
        if !more {
            break;
        }
    }
    assert_eq!((at, got.as_str()), (b.len(), doc.as_str()));
    assert!(frames > 5, "{frames}");
}
