//! Codec tests: every api.md example decodes, every edge check answers
//! `malformed` with the field in its message, reports encode exactly as
//! api.md shows, commands round-trip through their JSON line, and no input
//! makes a decoder panic.

use super::*;
use crate::api::*;
use engine::{
    AssetId, ClOrdId, Command, CommandKind, Directory, Fixed, KeyHash, Name, OrderRef, OrderType,
    Place, Role, Side, Stp, SymbolSpec, Tif, TxId,
};
use engine::{
    Balance, Event, ExecReport, ExecType, Fill, Liquidity, Lots, OrderStatus, Reason, RejectOp,
    SymbolId, Ticks, Units,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn fx(s: &str) -> Fixed {
    parse_decimal(s).unwrap()
}

fn ok(text: &str) -> Request {
    decode_request(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> WireError {
    match decode_request(text) {
        Ok(r) => panic!("{text} decoded as {r:?}"),
        Err(e) => e,
    }
}

/// Asserts `malformed` and that the message mentions `needle`.
fn malformed(text: &str, needle: &str) {
    let e = err(text);
    assert_eq!(e.code, ErrorCode::Malformed, "{text}: {e}");
    assert!(
        e.message.contains(needle),
        "{text}: message {:?} should mention {needle:?}",
        e.message
    );
}

fn place(text: &str) -> PlaceOrder {
    match ok(text).op {
        Op::Trader(TraderOp::Place(p)) => p,
        other => panic!("{text}: {other:?}"),
    }
}

fn admin(text: &str) -> CommandKind {
    match ok(text).op {
        Op::Admin(k) => k,
        other => panic!("{text}: {other:?}"),
    }
}

// --- decoding: the api.md examples -----------------------------------------

#[test]
fn decodes_the_api_examples() {
    let r = ok(r#"{"op":"login","api_key":"k-2","cancel_on_disconnect":true}"#);
    assert_eq!(
        r.op,
        Op::Login {
            key_hash: KeyHash::of_key("k-2"),
            cancel_on_disconnect: true
        }
    );
    assert_eq!(r.req_id, None);

    let r = ok(
        r#"{"op":"place","req_id":7,"symbol":"BTC-USD","side":"buy","type":"limit","price":"100.5",
 "qty":"2","tif":"gtc","client_order_id":"a1","post_only":false,"display_qty":null,
 "stop_price":null,"stp":"none"}"#,
    );
    assert_eq!(r.req_id, Some(7));
    assert_eq!(
        r.op,
        Op::Trader(TraderOp::Place(PlaceOrder {
            symbol: name("BTC-USD"),
            side: Side::Buy,
            order_type: OrderType::Limit,
            tif: Tif::Gtc,
            price: Some(Fixed::new(1005, 1)),
            qty: Fixed::new(2, 0),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: ClOrdId::new("a1"),
        }))
    );

    let r = ok(r#"{"op":"cancel","req_id":8,"symbol":"BTC-USD","order_id":123}"#);
    assert_eq!(
        r.op,
        Op::Trader(TraderOp::Cancel {
            symbol: name("BTC-USD"),
            target: OrderRef::Id(123)
        })
    );
    let r = ok(r#"{"op":"cancel","req_id":9,"symbol":"BTC-USD","client_order_id":"a1"}"#);
    assert_eq!(
        r.op,
        Op::Trader(TraderOp::Cancel {
            symbol: name("BTC-USD"),
            target: OrderRef::Client(ClOrdId::new("a1").unwrap())
        })
    );
    let r = ok(
        r#"{"op":"amend","req_id":10,"symbol":"BTC-USD","order_id":123,"price":"101","qty":"1.5"}"#,
    );
    assert_eq!(
        r.op,
        Op::Trader(TraderOp::Amend {
            symbol: name("BTC-USD"),
            target: OrderRef::Id(123),
            price: Some(Fixed::new(101, 0)),
            qty: Some(Fixed::new(15, 1)),
        })
    );
    assert_eq!(
        ok(r#"{"op":"cancel_all","req_id":11,"symbol":"BTC-USD"}"#).op,
        Op::Trader(TraderOp::CancelAll {
            symbol: Some(name("BTC-USD"))
        })
    );
    assert_eq!(
        ok(r#"{"op":"cancel_all"}"#).op,
        Op::Trader(TraderOp::CancelAll { symbol: None })
    );
    assert_eq!(ok(r#"{"op":"balances"}"#).op, Op::Balances { user: None });
    assert_eq!(
        ok(r#"{"op":"balances","user":7}"#).op,
        Op::Balances { user: Some(7) }
    );
    assert_eq!(
        ok(r#"{"op":"open_orders","symbol":"BTC-USD"}"#).op,
        Op::OpenOrders {
            symbol: Some(name("BTC-USD")),
            after_order_id: None,
            limit: None,
        }
    );
    assert_eq!(
        ok(r#"{"op":"open_orders"}"#).op,
        Op::OpenOrders {
            symbol: None,
            after_order_id: None,
            limit: None,
        }
    );

    assert_eq!(
        admin(r#"{"op":"add_asset","asset":"USD","scale":4}"#),
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 4
        }
    );
    assert_eq!(
        admin(
            r#"{"op":"add_symbol","symbol":"BTC-USD","base":"BTC","quote":"USD","tick_size":"0.01",
 "lot_size":"0.0001","min_qty":"0.0001","maker_fee_bps":10,"taker_fee_bps":20,
 "price_band_pct":null}"#
        ),
        CommandKind::AddSymbol(SymbolSpec {
            symbol: name("BTC-USD"),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: Fixed::new(1, 2),
            lot_size: Fixed::new(1, 4),
            min_qty: Fixed::new(1, 4),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        })
    );
    assert_eq!(
        admin(r#"{"op":"add_user","user":7,"api_key":"k-7","role":"trader"}"#),
        CommandKind::AddUser {
            user: 7,
            key_hash: KeyHash::of_key("k-7"),
            role: Role::Trader
        }
    );
    assert_eq!(
        admin(r#"{"op":"deposit","user":7,"asset":"USD","amount":"1000","tx_id":"d-1"}"#),
        CommandKind::Deposit {
            user: 7,
            asset: name("USD"),
            amount: Fixed::new(1000, 0),
            tx_id: TxId::new("d-1").unwrap()
        }
    );
    assert_eq!(
        admin(r#"{"op":"withdraw","user":7,"asset":"USD","amount":"10","tx_id":"w-1"}"#),
        CommandKind::Withdraw {
            user: 7,
            asset: name("USD"),
            amount: Fixed::new(10, 0),
            tx_id: TxId::new("w-1").unwrap()
        }
    );
    assert_eq!(
        admin(r#"{"op":"halt","symbol":"BTC-USD"}"#),
        CommandKind::Halt {
            symbol: name("BTC-USD")
        }
    );
    assert_eq!(
        admin(r#"{"op":"resume","symbol":"BTC-USD"}"#),
        CommandKind::Resume {
            symbol: name("BTC-USD")
        }
    );
    assert_eq!(ok(r#"{"op":"snapshot"}"#).op, Op::Snapshot);
    assert_eq!(ok(r#"{"op":"fees"}"#).op, Op::Fees);

    let r = ok(
        r#"{"op":"subscribe","req_id":3,"channels":["book:BTC-USD","trades:BTC-USD","ticker:BTC-USD",
 "klines:BTC-USD:1m","balances"]}"#,
    );
    assert_eq!(
        r.op,
        Op::Subscribe(vec![
            Channel::Book(name("BTC-USD")),
            Channel::Trades(name("BTC-USD")),
            Channel::Ticker(name("BTC-USD")),
            Channel::Klines(name("BTC-USD"), KlineInterval::M1),
            Channel::Balances,
        ])
    );
    assert_eq!(
        ok(r#"{"op":"unsubscribe","channels":["book:BTC-USD"]}"#).op,
        Op::Unsubscribe(vec![Channel::Book(name("BTC-USD"))])
    );
}

#[test]
fn place_variants() {
    let p = place(r#"{"op":"place","symbol":"S","side":"sell","type":"market","qty":"3"}"#);
    assert_eq!(
        (p.order_type, p.tif, p.price, p.stp, p.post_only),
        (OrderType::Market, Tif::Gtc, None, Stp::None, false)
    );
    let p = place(
        r#"{"op":"place","symbol":"S","side":"buy","type":"stop_limit","qty":"1","price":"105","stop_price":"100","tif":"ioc"}"#,
    );
    assert_eq!(p.stop_price, Some(Fixed::new(100, 0)));
    assert_eq!(p.tif, Tif::Ioc);
    let p = place(
        r#"{"op":"place","symbol":"S","side":"sell","type":"stop_market","qty":"1","stop_price":"99.5"}"#,
    );
    assert_eq!(p.stop_price, Some(Fixed::new(995, 1)));
    let p = place(
        r#"{"op":"place","symbol":"S","side":"sell","type":"limit","qty":"3","price":"100","display_qty":"1","post_only":true,"stp":"cancel_both"}"#,
    );
    assert_eq!(p.display_qty, Some(Fixed::new(1, 0)));
    assert!(p.post_only);
    assert_eq!(p.stp, Stp::CancelBoth);
    // Zero and off-tick values are the engine's to refuse (they consume an order_id).
    let p = place(
        r#"{"op":"place","symbol":"S","side":"buy","type":"limit","qty":"0","price":"100.005"}"#,
    );
    assert_eq!(p.qty, Fixed::new(0, 0));
    assert_eq!(p.price, Some(Fixed::new(100005, 3)));
    // A market order with an explicit null price is fine.
    place(r#"{"op":"place","symbol":"S","side":"buy","type":"market","qty":"1","price":null}"#);
    // Market FOK is left to the engine.
    place(r#"{"op":"place","symbol":"S","side":"buy","type":"market","qty":"1","tif":"fok"}"#);
}

#[test]
fn trader_ops_take_the_user_from_the_session() {
    let Op::Trader(t) =
        ok(r#"{"op":"place","symbol":"S","side":"buy","type":"limit","qty":"1","price":"2"}"#).op
    else {
        panic!()
    };
    match t.to_command_kind(42) {
        CommandKind::Place(p) => assert_eq!(p.user, 42),
        other => panic!("{other:?}"),
    }
    // A `user` field in a trader op is ignored: the session decides.
    let Op::Trader(t) = ok(r#"{"op":"cancel_all","user":9}"#).op else {
        panic!()
    };
    assert_eq!(
        t.to_command_kind(3),
        CommandKind::CancelAll {
            user: 3,
            symbol: None
        }
    );
}

#[test]
fn access_classes() {
    assert_eq!(
        ok(r#"{"op":"login","api_key":"k"}"#).op.access(),
        Access::Public
    );
    assert_eq!(
        ok(r#"{"op":"subscribe","channels":["balances"]}"#)
            .op
            .access(),
        Access::Public
    );
    assert_eq!(ok(r#"{"op":"cancel_all"}"#).op.access(), Access::LoggedIn);
    assert_eq!(ok(r#"{"op":"balances"}"#).op.access(), Access::LoggedIn);
    assert_eq!(
        ok(r#"{"op":"balances","user":1}"#).op.access(),
        Access::Admin
    );
    assert_eq!(ok(r#"{"op":"fees"}"#).op.access(), Access::Admin);
    assert_eq!(
        ok(r#"{"op":"halt","symbol":"S"}"#).op.access(),
        Access::Admin
    );
}

// --- decoding: refusals -----------------------------------------------------

#[test]
fn req_id_is_echoed_even_when_the_rest_is_malformed() {
    let e = err(r#"{"op":"place","req_id":7}"#);
    assert_eq!((e.req_id, e.code), (Some(7), ErrorCode::Malformed));
    let e = err(r#"{"req_id":8,"op":"frobnicate"}"#);
    assert_eq!((e.req_id, e.code), (Some(8), ErrorCode::UnknownOp));
    assert!(e.message.contains("frobnicate"));
    let e = err(r#"{"req_id":9}"#);
    assert_eq!((e.req_id, e.code), (Some(9), ErrorCode::Malformed));
    let e = err(r#"{"req_id":10,"op":5}"#);
    assert_eq!((e.req_id, e.code), (Some(10), ErrorCode::Malformed));
    // Duplicate keys: the field-by-field read fails; the req_id is still found.
    let e = err(r#"{"req_id":11,"op":"fees","op":"fees"}"#);
    assert_eq!((e.req_id, e.code), (Some(11), ErrorCode::Malformed));
    // Not JSON, not an object, a bad req_id: nothing to echo.
    for text in [
        "",
        "hello",
        "{",
        r#"{"op":"fees""#,
        "[1,2]",
        "\"fees\"",
        "42",
        "null",
        r#"{"op":"fees","req_id":"7"}"#,
        r#"{"op":"fees","req_id":-1}"#,
        r#"{"op":"fees","req_id":1.5}"#,
    ] {
        let e = err(text);
        assert_eq!((e.req_id, e.code), (None, ErrorCode::Malformed), "{text}");
    }
}

#[test]
fn unknown_fields_are_ignored_and_null_is_absent() {
    let p = place(
        r#"{"op":"place","symbol":"S","side":"buy","type":"limit","qty":"1","price":"2","colour":"blue","nested":{"a":[1,2]},"tif":null,"stp":null,"client_order_id":null}"#,
    );
    assert_eq!(
        (p.tif, p.stp, p.client_order_id),
        (Tif::Gtc, Stp::None, None)
    );
    // Leading whitespace is fine.
    ok(" \n\t{\"op\":\"fees\"}");
}

#[test]
fn edge_checks_are_malformed_with_a_clear_message() {
    let base = r#""op":"place","symbol":"S","side":"buy""#;
    let cases = [
        // required fields
        (
            r#"{"op":"place","side":"buy","type":"limit","qty":"1","price":"1"}"#,
            "symbol",
        ),
        (
            r#"{"op":"place","symbol":"S","type":"limit","qty":"1","price":"1"}"#,
            "side",
        ),
        (
            r#"{"op":"place","symbol":"S","side":"buy","qty":"1","price":"1"}"#,
            "type",
        ),
        (
            r#"{"op":"place","symbol":"S","side":"buy","type":"limit","price":"1"}"#,
            "qty",
        ),
        // order type combinations
        (&format!(r#"{{{base},"type":"limit","qty":"1"}}"#), "price"),
        (
            &format!(r#"{{{base},"type":"stop_limit","qty":"1","stop_price":"1"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"market","qty":"1","price":"1"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"stop_market","qty":"1","price":"1","stop_price":"1"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"stop_market","qty":"1"}}"#),
            "stop_price",
        ),
        (
            &format!(r#"{{{base},"type":"stop_limit","qty":"1","price":"1"}}"#),
            "stop_price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"1","stop_price":"1"}}"#),
            "stop_price",
        ),
        (
            &format!(
                r#"{{{base},"type":"stop_limit","qty":"1","price":"1","stop_price":"1","tif":"fok"}}"#
            ),
            "fok",
        ),
        (
            &format!(r#"{{{base},"type":"stop_market","qty":"1","stop_price":"1","tif":"fok"}}"#),
            "fok",
        ),
        (
            &format!(
                r#"{{{base},"type":"limit","qty":"1","price":"1","tif":"ioc","post_only":true}}"#
            ),
            "post_only",
        ),
        (
            &format!(r#"{{{base},"type":"market","qty":"1","post_only":true}}"#),
            "post_only",
        ),
        (
            &format!(
                r#"{{{base},"type":"stop_limit","qty":"1","price":"1","stop_price":"1","post_only":true}}"#
            ),
            "post_only",
        ),
        (
            &format!(
                r#"{{{base},"type":"limit","qty":"1","price":"1","tif":"fok","display_qty":"1"}}"#
            ),
            "display_qty",
        ),
        (
            &format!(r#"{{{base},"type":"market","qty":"1","display_qty":"1"}}"#),
            "display_qty",
        ),
        // enum strings
        (
            r#"{"op":"place","symbol":"S","side":"BUY","type":"limit","qty":"1","price":"1"}"#,
            "side",
        ),
        (
            &format!(r#"{{{base},"type":"iceberg","qty":"1","price":"1"}}"#),
            "type",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"1","tif":"day"}}"#),
            "tif",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"1","stp":"both"}}"#),
            "stp",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"1","post_only":"yes"}}"#),
            "post_only",
        ),
        // names and ids
        (
            r#"{"op":"place","symbol":"BTC USD","side":"buy","type":"limit","qty":"1","price":"1"}"#,
            "symbol",
        ),
        (
            r#"{"op":"place","symbol":"ABCDEFGHIJKLMNOPQ","side":"buy","type":"limit","qty":"1","price":"1"}"#,
            "symbol",
        ),
        (
            r#"{"op":"place","symbol":"","side":"buy","type":"limit","qty":"1","price":"1"}"#,
            "symbol",
        ),
        (
            r#"{"op":"place","symbol":7,"side":"buy","type":"limit","qty":"1","price":"1"}"#,
            "symbol",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"1","client_order_id":"a.b"}}"#),
            "client_order_id",
        ),
        (
            &format!(
                r#"{{{base},"type":"limit","qty":"1","price":"1","client_order_id":"{}"}}"#,
                "x".repeat(37)
            ),
            "client_order_id",
        ),
        (
            r#"{"op":"deposit","user":1,"asset":"USD","amount":"1","tx_id":"a b"}"#,
            "tx_id",
        ),
        (
            &format!(
                r#"{{"op":"deposit","user":1,"asset":"USD","amount":"1","tx_id":"{}"}}"#,
                "t".repeat(65)
            ),
            "tx_id",
        ),
        // decimals
        (
            &format!(r#"{{{base},"type":"limit","qty":1,"price":"1"}}"#),
            "decimals are JSON strings",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":100.5}}"#),
            "decimals are JSON strings",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"-1","price":"1"}}"#),
            "negative",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1e3","price":"1"}}"#),
            "qty",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"abc","price":"1"}}"#),
            "qty",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"1_000"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":" 1"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"+1"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":".5"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"5."}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":""}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"9223372036854775808"}}"#),
            "price",
        ),
        (
            &format!(r#"{{{base},"type":"limit","qty":"1","price":"0.0000000000000000001"}}"#),
            "price",
        ),
        // cancel and amend
        (r#"{"op":"cancel","symbol":"S"}"#, "order_id"),
        (r#"{"op":"cancel","order_id":1}"#, "symbol"),
        (
            r#"{"op":"cancel","symbol":"S","order_id":1,"client_order_id":"a"}"#,
            "not both",
        ),
        (r#"{"op":"cancel","symbol":"S","order_id":-1}"#, "order_id"),
        (r#"{"op":"cancel","symbol":"S","order_id":"1"}"#, "order_id"),
        (r#"{"op":"amend","symbol":"S","order_id":1}"#, "price"),
        (
            r#"{"op":"amend","symbol":"S","order_id":1,"qty":"x"}"#,
            "qty",
        ),
        // admin
        (r#"{"op":"add_asset","asset":"USD"}"#, "scale"),
        (r#"{"op":"add_asset","asset":"USD","scale":256}"#, "scale"),
        (r#"{"op":"add_asset","asset":"USD","scale":"4"}"#, "scale"),
        (
            r#"{"op":"add_symbol","symbol":"X","base":"A","quote":"B","tick_size":"1","lot_size":"1","min_qty":"1","maker_fee_bps":10}"#,
            "taker_fee_bps",
        ),
        (
            r#"{"op":"add_symbol","symbol":"X","base":"A","quote":"B","tick_size":"1","lot_size":"1","min_qty":"1","maker_fee_bps":10,"taker_fee_bps":20,"price_band_pct":10}"#,
            "price_band_pct",
        ),
        (r#"{"op":"add_user","user":1}"#, "api_key"),
        (r#"{"op":"add_user","user":1,"api_key":""}"#, "api_key"),
        (
            r#"{"op":"add_user","user":1,"api_key":"k","key_hash":"00"}"#,
            "not both",
        ),
        (r#"{"op":"add_user","user":1,"key_hash":"zz"}"#, "key_hash"),
        (
            r#"{"op":"add_user","user":1,"api_key":"k","role":"root"}"#,
            "role",
        ),
        (r#"{"op":"add_user","api_key":"k"}"#, "user"),
        (
            r#"{"op":"deposit","user":1,"asset":"USD","tx_id":"t"}"#,
            "amount",
        ),
        (
            r#"{"op":"withdraw","user":1,"asset":"USD","amount":"-5","tx_id":"t"}"#,
            "negative",
        ),
        (r#"{"op":"halt"}"#, "symbol"),
        (r#"{"op":"balances","user":"7"}"#, "user"),
        // session
        (r#"{"op":"login"}"#, "api_key"),
        (r#"{"op":"login","api_key":5}"#, "api_key"),
        (
            r#"{"op":"login","api_key":"k","cancel_on_disconnect":1}"#,
            "cancel_on_disconnect",
        ),
        (r#"{"op":"subscribe"}"#, "channels"),
        (r#"{"op":"subscribe","channels":[]}"#, "channels"),
        (r#"{"op":"subscribe","channels":"book:S"}"#, "channels"),
        (r#"{"op":"subscribe","channels":["book"]}"#, "channels"),
        (r#"{"op":"subscribe","channels":["depth:S"]}"#, "channels"),
        (
            r#"{"op":"subscribe","channels":["klines:S:2m"]}"#,
            "channels",
        ),
        (r#"{"op":"subscribe","channels":[1]}"#, "channels"),
        // op itself
        (r#"{"symbol":"S"}"#, "op"),
        (r#"{"op":null}"#, "op"),
        (r#"{"op":["place"]}"#, "op"),
    ];
    for (text, needle) in cases {
        malformed(text, needle);
    }
    let too_many: Vec<String> = (0..=CHANNELS_MAX).map(|i| format!("book:S{i}")).collect();
    malformed(
        &json!({"op":"subscribe","channels":too_many}).to_string(),
        "channels",
    );
    malformed(
        &json!({"op":"login","api_key":"k".repeat(API_KEY_BYTES_MAX + 1)}).to_string(),
        "api_key",
    );
}

#[test]
fn unknown_op_is_its_own_code() {
    let e = err(r#"{"op":"Place"}"#);
    assert_eq!(e.code, ErrorCode::UnknownOp);
    assert_eq!(e.code.as_str(), "unknown_op");
    assert_eq!(e.code.http_status(), 400);
    // A very long op name is cut in the message.
    let e = err(&json!({"op": "x".repeat(10_000)}).to_string());
    assert!(e.message.len() < 100);
}

#[test]
fn error_codes_and_statuses() {
    let all = [
        (ErrorCode::Malformed, "malformed", 400),
        (ErrorCode::UnknownOp, "unknown_op", 400),
        (ErrorCode::Unauthenticated, "unauthenticated", 401),
        (ErrorCode::Forbidden, "forbidden", 403),
        (ErrorCode::RateLimited, "rate_limited", 429),
        (ErrorCode::TooLarge, "too_large", 413),
        (ErrorCode::Overloaded, "overloaded", 503),
        (ErrorCode::Unavailable, "unavailable", 503),
        (ErrorCode::InvalidLimit, "invalid_limit", 400),
        (ErrorCode::InvalidCursor, "invalid_cursor", 400),
        (ErrorCode::InvalidRange, "invalid_range", 400),
        (ErrorCode::UnknownOrder, "unknown_order", 404),
        (ErrorCode::HistoryUnavailable, "history_unavailable", 503),
        (ErrorCode::HistoryDisabled, "history_disabled", 404),
    ];
    for (code, s, status) in all {
        assert_eq!((code.as_str(), code.http_status()), (s, status));
    }
}

#[test]
fn decimals_are_exact_and_normalised() {
    assert_eq!(fx("100.5"), Fixed::new(1005, 1));
    assert_eq!(fx("100.500"), Fixed::new(1005, 1));
    assert_eq!(fx("2"), Fixed::new(2, 0));
    assert_eq!(fx("0"), Fixed::new(0, 0));
    assert_eq!(fx("0.000"), Fixed::new(0, 0));
    assert_eq!(fx("007"), Fixed::new(7, 0));
    assert_eq!(fx("0.0001"), Fixed::new(1, 4));
    assert_eq!(fx("0.000000000000000001"), Fixed::new(1, 18));
    assert_eq!(fx("1.0000000000000000000000"), Fixed::new(1, 0));
    assert_eq!(fx("9223372036854775807"), Fixed::new(i64::MAX, 0));
    assert_eq!(fx("922337203.6854775807"), Fixed::new(i64::MAX, 10));
    for bad in [
        "",
        "-1",
        "-0",
        "+1",
        "1e5",
        "1E5",
        "1_0",
        " 1",
        "1 ",
        ".1",
        "1.",
        "1..2",
        "1.2.3",
        "0x10",
        "NaN",
        "inf",
        "１",
        "9223372036854775808",
        "0.0000000000000000001",
        "1.00000000000000000000000000001",
    ] {
        assert!(parse_decimal(bad).is_err(), "{bad:?} should be refused");
    }
    assert!(parse_decimal(&"1".repeat(DECIMAL_BYTES_MAX + 1)).is_err());
    // Escapes inside the JSON string are fine.
    let p = place(
        r#"{"op":"place","symbol":"S","side":"buy","type":"limit","qty":"\u0031","price":"2"}"#,
    );
    assert_eq!(p.qty, Fixed::new(1, 0));
}

#[test]
fn api_keys_are_hashed_never_kept() {
    let secret = "k-very-secret-key";
    let r = ok(&json!({"op":"add_user","user":1,"api_key":secret}).to_string());
    assert_eq!(
        r.op,
        Op::Admin(CommandKind::AddUser {
            user: 1,
            key_hash: KeyHash::of_key(secret),
            role: Role::Trader
        })
    );
    assert!(!format!("{r:?}").contains(secret));
    let r = ok(&json!({"op":"login","api_key":secret}).to_string());
    assert!(!format!("{r:?}").contains(secret));
    // key_hash: the hex of the SHA-256, either case.
    let h = KeyHash::of_key(secret);
    let mut hex = String::new();
    push_hex(&mut hex, &h.0);
    for text in [hex.clone(), hex.to_uppercase()] {
        assert_eq!(
            admin(&json!({"op":"add_user","user":1,"key_hash":text,"role":"admin"}).to_string()),
            CommandKind::AddUser {
                user: 1,
                key_hash: h,
                role: Role::Admin
            }
        );
    }
}

#[test]
fn channels_parse_and_print_back() {
    for s in [
        "book:BTC-USD",
        "trades:ETH-USD",
        "ticker:X",
        "klines:BTC-USD:1m",
        "klines:BTC-USD:5m",
        "klines:BTC-USD:15m",
        "klines:BTC-USD:30m",
        "klines:BTC-USD:1h",
        "klines:BTC-USD:4h",
        "klines:BTC-USD:1d",
        "klines:BTC-USD:1w",
        "balances",
    ] {
        let c = Channel::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(c.to_string(), s);
    }
    for s in [
        "",
        "book",
        "book:",
        "klines:X",
        "klines:X:1y",
        "balances:X",
        "book:a b",
    ] {
        assert!(Channel::parse(s).is_none(), "{s}");
    }
    assert_eq!(KlineInterval::W1.retention(), 156);
}

// --- encoding -------------------------------------------------------------

/// BTC scale 8, USD scale 6, BTC-USD tick 0.01 lot 0.0001, as the scenarios use.
fn directory() -> Directory {
    let mut d = Directory::default();
    d.add_asset(name("BTC"), 8, 16).unwrap();
    d.add_asset(name("USD"), 6, 16).unwrap();
    let spec = match admin(
        r#"{"op":"add_symbol","symbol":"BTC-USD","base":"BTC","quote":"USD","tick_size":"0.01","lot_size":"0.0001","min_qty":"0.0001","maker_fee_bps":10,"taker_fee_bps":20}"#,
    ) {
        CommandKind::AddSymbol(s) => s,
        _ => unreachable!(),
    };
    d.add_symbol(spec, 16).unwrap();
    d
}

const BTC: AssetId = AssetId(0);
const USD: AssetId = AssetId(1);

fn report() -> ExecReport {
    // The api.md trade example: buy 2 @ 100.5, 0.5 filled at 100.4.
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
        cum_quote: Units::new(50_200_000), // 0.5 * 100.4 = 50.2 USD
        fill: Some(Fill {
            trade_id: 9,
            price: Ticks::new(10040),
            qty: Lots::new(5000),
            fee: Units::new(50_000), // 0.0005 BTC
            fee_asset: BTC,
            liquidity: Liquidity::Taker,
        }),
    }
}

fn enc(ev: &Event, req_id: Option<u64>) -> String {
    let mut s = String::new();
    encode_event(ev, &directory(), req_id, &mut s);
    s
}

#[test]
fn execution_trade_report_is_exactly_the_api_shape() {
    let s = enc(&Event::Execution(report()), Some(7));
    assert_eq!(
        s,
        r#"{"type":"execution","req_id":7,"exec_type":"trade","status":"partially_filled","order_id":123,"client_order_id":"a1","user":2,"symbol":"BTC-USD","side":"buy","order_type":"limit","tif":"gtc","price":"100.5","qty":"2","filled_qty":"0.5","remaining_qty":"1.5","avg_price":"100.4","trade_id":9,"last_price":"100.4","last_qty":"0.5","fee":"0.0005","fee_asset":"BTC","liquidity":"taker","seq":4711,"ts":1732147200000000000}"#
    );
    // Appends, never clears: the caller owns the buffer.
    let mut buf = String::from("x");
    encode_event(&Event::Execution(report()), &directory(), None, &mut buf);
    assert!(buf.starts_with("x{\"type\":\"execution\",\"exec_type\""));
}

#[test]
fn execution_fields_follow_exec_type() {
    // new market order: price null, avg_price null, no reason, no trade fields
    let mut r = report();
    r.exec_type = ExecType::New;
    r.status = OrderStatus::New;
    r.order_type = OrderType::Market;
    r.price = None;
    r.client_order_id = None;
    r.filled = Lots::ZERO;
    r.remaining = r.qty;
    r.cum_quote = Units::ZERO;
    r.fill = None;
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["price"], Value::Null);
    assert_eq!(v["avg_price"], Value::Null);
    assert_eq!(v["client_order_id"], Value::Null);
    for absent in [
        "reason",
        "trade_id",
        "last_price",
        "last_qty",
        "fee",
        "fee_asset",
        "liquidity",
        "stop_price",
        "req_id",
    ] {
        assert!(v.get(absent).is_none(), "{absent} in {v}");
    }

    // canceled with reason; stop_price present on a stop
    let mut r = report();
    r.exec_type = ExecType::Canceled;
    r.status = OrderStatus::Canceled;
    r.order_type = OrderType::StopLimit;
    r.stop_price = Some(Ticks::new(10000));
    r.reason = Some(Reason::UserCanceled);
    r.remaining = Lots::ZERO;
    r.fill = None;
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["reason"], "user_canceled");
    assert_eq!(v["stop_price"], "100");
    assert_eq!(v["remaining_qty"], "0");
    assert!(v.get("trade_id").is_none());

    // a reason on a non-cancel report is not shown
    let mut r = report();
    r.exec_type = ExecType::Replaced;
    r.reason = Some(Reason::UserCanceled);
    r.fill = None;
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert!(v.get("reason").is_none());

    // unknown_symbol reject: no symbol in the engine, decimals null
    let mut r = report();
    r.symbol = None;
    r.exec_type = ExecType::Rejected;
    r.status = OrderStatus::Rejected;
    r.reason = Some(Reason::UnknownSymbol);
    r.fill = None;
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["symbol"], Value::Null);
    assert_eq!(v["qty"], Value::Null);
    assert_eq!(v["reason"], "unknown_symbol");
    // an id the directory does not know is not a panic either
    r.symbol = Some(SymbolId(99));
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["symbol"], Value::Null);
}

#[test]
fn avg_price_is_rounded_to_four_decimals_past_the_tick() {
    let mut r = report();
    // 1 @ 100 + 2 @ 101 = 302 USD for 3 BTC: 100.666666.. -> 100.666667
    r.filled = Lots::new(30000);
    r.cum_quote = Units::new(302_000_000);
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["avg_price"], "100.666667");
    // 1 @ 100 + 1 @ 101: exactly 100.5
    r.filled = Lots::new(20000);
    r.cum_quote = Units::new(201_000_000);
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["avg_price"], "100.5");
    // half away from zero: 0.0001 BTC for 0.01000005 USD is not reachable
    // with this symbol; check the rounding on 2 lots at 100.00 and 100.01:
    // 0.020001 / 0.0002 = 100.005 exactly -> "100.005"
    r.filled = Lots::new(2);
    r.cum_quote = Units::new(20_001);
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["avg_price"], "100.005");
    // 3 lots for 0.030001 USD: 100.003333.. -> 100.003333
    r.filled = Lots::new(3);
    r.cum_quote = Units::new(30_001);
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["avg_price"], "100.003333");
    // 3 lots for 0.030002 USD: 100.0066666.. -> 100.006667 (rounds up)
    r.cum_quote = Units::new(30_002);
    let v: Value = serde_json::from_str(&enc(&Event::Execution(r), None)).unwrap();
    assert_eq!(v["avg_price"], "100.006667");
}

#[test]
fn reject_cancel_all_and_admin_reports() {
    let s = enc(
        &Event::Reject {
            seq: 5,
            ts_ns: 6,
            user: 2,
            op: RejectOp::Cancel,
            target: Some(OrderRef::Id(999)),
            reason: Reason::UnknownOrder,
        },
        Some(8),
    );
    assert_eq!(
        s,
        r#"{"type":"reject","req_id":8,"op":"cancel","user":2,"order_id":999,"reason":"unknown_order","seq":5,"ts":6}"#
    );
    let s = enc(
        &Event::Reject {
            seq: 5,
            ts_ns: 6,
            user: 2,
            op: RejectOp::Amend,
            target: Some(OrderRef::Client(ClOrdId::new("a1").unwrap())),
            reason: Reason::Unsupported,
        },
        None,
    );
    assert_eq!(
        s,
        r#"{"type":"reject","op":"amend","user":2,"client_order_id":"a1","reason":"unsupported","seq":5,"ts":6}"#
    );
    let s = enc(
        &Event::CancelAll {
            seq: 5,
            ts_ns: 6,
            user: 2,
            canceled: 3,
        },
        Some(11),
    );
    assert_eq!(
        s,
        r#"{"type":"cancel_all","req_id":11,"user":2,"canceled":3,"seq":5,"ts":6}"#
    );
    let s = enc(
        &Event::Admin {
            seq: 5,
            ts_ns: 6,
            op: engine::AdminOp::Deposit,
            ok: true,
            reason: None,
        },
        None,
    );
    assert_eq!(
        s,
        r#"{"type":"admin","op":"deposit","ok":true,"seq":5,"ts":6}"#
    );
    let s = enc(
        &Event::Admin {
            seq: 5,
            ts_ns: 6,
            op: engine::AdminOp::Withdraw,
            ok: false,
            reason: Some(Reason::InsufficientFunds),
        },
        Some(1),
    );
    assert_eq!(
        s,
        r#"{"type":"admin","req_id":1,"op":"withdraw","ok":false,"reason":"insufficient_funds","seq":5,"ts":6}"#
    );
    // Market data is not a report.
    let s = enc(
        &Event::Level {
            symbol: SymbolId(0),
            side: Side::Buy,
            price: Ticks::new(1),
            qty: Lots::new(1),
        },
        Some(1),
    );
    assert_eq!(s, "");
}

#[test]
fn query_and_session_replies() {
    let d = directory();
    let mut s = String::new();
    let bal = [
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
    ];
    encode_balances(None, &bal, &d, None, &mut s);
    assert_eq!(
        s,
        r#"{"type":"balances","balances":{"USD":{"available":"900","locked":"100.5"},"BTC":{"available":"0.00000001","locked":"0"}}}"#
    );
    s.clear();
    encode_balances(Some(7), &bal[..1], &d, Some(3), &mut s);
    assert_eq!(
        s,
        r#"{"type":"balances","req_id":3,"user":7,"balances":{"USD":{"available":"900","locked":"100.5"}}}"#
    );
    s.clear();
    encode_fees(&[(USD, Units::new(350_000))], &d, Some(4), &mut s);
    assert_eq!(
        s,
        r#"{"type":"admin","req_id":4,"op":"fees","ok":true,"fees":{"USD":"0.35"}}"#
    );
    s.clear();
    encode_fees(&[], &d, None, &mut s);
    assert_eq!(s, r#"{"type":"admin","op":"fees","ok":true,"fees":{}}"#);
    s.clear();
    encode_open_orders(&[report(), report()], Some(123), &d, Some(5), &mut s);
    let v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["type"], "open_orders");
    assert_eq!(v["req_id"], 5);
    assert_eq!(v["orders"].as_array().unwrap().len(), 2);
    assert_eq!(v["orders"][1]["order_id"], 123);
    assert!(v["orders"][0].get("req_id").is_none());
    assert_eq!(v["next_cursor"], 123);
    s.clear();
    encode_open_orders(&[], None, &d, None, &mut s);
    assert_eq!(
        s,
        r#"{"type":"open_orders","orders":[],"next_cursor":null}"#
    );
    s.clear();
    encode_login_ok(2, Role::Trader, None, &mut s);
    assert_eq!(s, r#"{"type":"login","ok":true,"user":2,"role":"trader"}"#);
    s.clear();
    encode_snapshot_ok(42, &[0xab; 32], Some(1), &mut s);
    let v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["seq"], 42);
    assert_eq!(v["state_hash"], "ab".repeat(32));
    s.clear();
    encode_subscribed(
        &[Channel::Book(name("BTC-USD")), Channel::Balances],
        true,
        Some(9),
        &mut s,
    );
    assert_eq!(
        s,
        r#"{"type":"subscribed","req_id":9,"channels":["book:BTC-USD","balances"]}"#
    );
    s.clear();
    encode_subscribed(&[Channel::Trades(name("X"))], false, None, &mut s);
    assert_eq!(s, r#"{"type":"unsubscribed","channels":["trades:X"]}"#);
}

#[test]
fn error_messages_are_escaped() {
    let e = WireError::new(Some(7), ErrorCode::Malformed, "bad \"x\"\\ \n\t\u{1} é");
    let mut s = String::new();
    encode_error(&e, &mut s);
    let v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(
        v,
        json!({"type":"error","req_id":7,"code":"malformed","message":"bad \"x\"\\ \n\t\u{1} é"})
    );
    s.clear();
    encode_error(&WireError::new(None, ErrorCode::Overloaded, "full"), &mut s);
    assert_eq!(
        s,
        r#"{"type":"error","code":"overloaded","message":"full"}"#
    );
    // The error of a real decode, echoing what the client sent.
    s.clear();
    encode_error(&err(r#"{"op":"a\"b\\c","req_id":1}"#), &mut s);
    let v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["code"], "unknown_op");
    assert_eq!(v["message"], "unknown op \"a\\\"b\\\\c\"");
}

// --- command JSON round trip -------------------------------------------------

fn all_command_kinds() -> Vec<CommandKind> {
    let s = name("BTC-USD");
    let cl = ClOrdId::new("Cl_1-x").unwrap();
    let tx = TxId::new("tx-\"quoted\"\\1").unwrap();
    let p = Place {
        user: 3,
        symbol: s,
        side: Side::Buy,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(fx("100.5")),
        qty: fx("2"),
        stop_price: None,
        display_qty: Some(fx("0.5")),
        post_only: true,
        stp: Stp::CancelMaker,
        client_order_id: Some(cl),
    };
    vec![
        CommandKind::Place(p),
        CommandKind::Place(Place {
            side: Side::Sell,
            order_type: OrderType::Market,
            tif: Tif::Ioc,
            price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::CancelTaker,
            client_order_id: None,
            ..p
        }),
        CommandKind::Place(Place {
            order_type: OrderType::StopLimit,
            tif: Tif::Ioc,
            stop_price: Some(fx("99.99")),
            display_qty: None,
            post_only: false,
            stp: Stp::CancelBoth,
            ..p
        }),
        CommandKind::Place(Place {
            order_type: OrderType::StopMarket,
            price: None,
            stop_price: Some(fx("0.000000000000000001")),
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            ..p
        }),
        CommandKind::Place(Place {
            tif: Tif::Fok,
            display_qty: None,
            post_only: false,
            qty: Fixed::new(i64::MAX, 18),
            ..p
        }),
        CommandKind::Cancel {
            user: 1,
            symbol: s,
            target: OrderRef::Id(u64::MAX),
        },
        CommandKind::Cancel {
            user: 1,
            symbol: s,
            target: OrderRef::Client(cl),
        },
        CommandKind::Amend {
            user: 1,
            symbol: s,
            target: OrderRef::Id(5),
            price: Some(fx("101")),
            qty: Some(fx("1.5")),
        },
        CommandKind::Amend {
            user: 1,
            symbol: s,
            target: OrderRef::Client(cl),
            price: None,
            qty: Some(fx("0")),
        },
        CommandKind::Amend {
            user: 1,
            symbol: s,
            target: OrderRef::Id(5),
            price: Some(fx("7")),
            qty: None,
        },
        CommandKind::CancelAll {
            user: 1,
            symbol: Some(s),
        },
        CommandKind::CancelAll {
            user: 1,
            symbol: None,
        },
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: s,
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx("0.01"),
            lot_size: fx("0.0001"),
            min_qty: fx("0.001"),
            maker_fee_bps: 0,
            taker_fee_bps: u32::MAX,
            price_band_pct: Some(fx("12.5")),
        }),
        CommandKind::AddSymbol(SymbolSpec {
            symbol: s,
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx("1"),
            lot_size: fx("1"),
            min_qty: fx("1"),
            maker_fee_bps: 1,
            taker_fee_bps: 2,
            price_band_pct: None,
        }),
        CommandKind::AddUser {
            user: 7,
            key_hash: KeyHash::of_key("k-7"),
            role: Role::Admin,
        },
        CommandKind::AddUser {
            user: 0,
            key_hash: KeyHash([0; 32]),
            role: Role::Trader,
        },
        CommandKind::Deposit {
            user: 7,
            asset: name("USD"),
            amount: fx("1000.000001"),
            tx_id: tx,
        },
        CommandKind::Withdraw {
            user: 7,
            asset: name("USD"),
            amount: fx("10"),
            tx_id: TxId::new("w-1").unwrap(),
        },
        CommandKind::Halt { symbol: s },
        CommandKind::Resume { symbol: s },
    ]
}

#[test]
fn every_command_kind_round_trips_through_its_json_line() {
    let mut seen = std::collections::BTreeSet::new();
    for (i, kind) in all_command_kinds().into_iter().enumerate() {
        let cmd = Command {
            seq: i as u64 + 1,
            ts_ns: 1_700_000_000_000_000_000 + i as u64,
            kind,
        };
        let mut line = String::new();
        encode_command_json(&cmd, &mut line);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["op"], kind.op_name());
        assert_eq!(v["seq"], cmd.seq);
        let back = decode_command_json(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(back, cmd, "{line}");
        if let CommandKind::AddUser { key_hash, .. } = kind {
            let CommandKind::AddUser { key_hash: h2, .. } = back.kind else {
                panic!()
            };
            assert_eq!(h2, key_hash);
            assert!(v.get("api_key").is_none());
        }
        // The same line read as a client request gives the same command kind.
        let req = decode_request(&line).unwrap();
        let again = match req.op {
            Op::Admin(k) => k,
            Op::Trader(t) => t.to_command_kind(v["user"].as_u64().unwrap()),
            other => panic!("{other:?}"),
        };
        assert_eq!(again, kind);
        seen.insert(kind.op_name());
    }
    assert_eq!(seen.len(), 11, "every CommandKind variant is covered");
}

#[test]
fn the_dump_shape_is_readable() {
    let cmd = Command {
        seq: 12,
        ts_ns: 34,
        kind: CommandKind::Place(Place {
            user: 2,
            symbol: name("BTC-USD"),
            side: Side::Buy,
            order_type: OrderType::Limit,
            tif: Tif::Gtc,
            price: Some(fx("100.5")),
            qty: fx("2"),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: None,
        }),
    };
    let mut s = String::new();
    encode_command_json(&cmd, &mut s);
    assert_eq!(
        s,
        r#"{"seq":12,"ts":34,"op":"place","user":2,"symbol":"BTC-USD","side":"buy","type":"limit","tif":"gtc","price":"100.5","qty":"2","post_only":false,"stp":"none"}"#
    );
    assert!(decode_command_json(r#"{"seq":1,"ts":2,"op":"fees"}"#).is_err());
    assert!(decode_command_json(r#"{"ts":2,"op":"halt","symbol":"S"}"#).is_err());
    assert!(decode_command_json(r#"{"seq":1,"ts":2,"op":"cancel_all"}"#).is_err());
}

// --- fuzzing: no input makes a decoder panic -------------------------------------

const FIELD_NAMES: &[&str] = &[
    "op",
    "req_id",
    "seq",
    "ts",
    "api_key",
    "key_hash",
    "cancel_on_disconnect",
    "user",
    "role",
    "symbol",
    "side",
    "type",
    "price",
    "qty",
    "tif",
    "client_order_id",
    "post_only",
    "display_qty",
    "stop_price",
    "stp",
    "order_id",
    "asset",
    "scale",
    "base",
    "quote",
    "tick_size",
    "lot_size",
    "min_qty",
    "maker_fee_bps",
    "taker_fee_bps",
    "price_band_pct",
    "amount",
    "tx_id",
    "channels",
    "extra",
];

const OPS: &[&str] = &[
    "login",
    "place",
    "cancel",
    "amend",
    "cancel_all",
    "balances",
    "open_orders",
    "add_asset",
    "add_symbol",
    "add_user",
    "deposit",
    "withdraw",
    "halt",
    "resume",
    "snapshot",
    "fees",
    "subscribe",
    "unsubscribe",
    "nope",
];

const WORDS: &[&str] = &[
    "buy",
    "sell",
    "limit",
    "market",
    "stop_limit",
    "stop_market",
    "gtc",
    "ioc",
    "fok",
    "none",
    "cancel_taker",
    "cancel_maker",
    "cancel_both",
    "trader",
    "admin",
    "BTC-USD",
    "BTC",
    "USD",
    "0",
    "1",
    "0.5",
    "100.5",
    "-1",
    "1e3",
    "99999999999999999999",
    "0.0000000000000000001",
    "book:BTC-USD",
    "klines:BTC-USD:1m",
    "balances",
    "a1",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        proptest::sample::select(WORDS).prop_map(Value::from),
        proptest::sample::select(OPS).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn message() -> impl Strategy<Value = Value> {
    (
        proptest::sample::select(OPS),
        proptest::collection::btree_map(proptest::sample::select(FIELD_NAMES), json_value(), 0..12),
    )
        .prop_map(|(op, fields)| {
            let mut m: serde_json::Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            m.entry("op").or_insert_with(|| Value::from(op));
            Value::Object(m)
        })
}

/// Anything accepted is a request whose commands survive their JSON line.
fn check_accepted(text: &str) {
    let Ok(req) = decode_request(text) else {
        return;
    };
    let kind = match req.op {
        Op::Admin(k) => k,
        Op::Trader(t) => t.to_command_kind(1),
        _ => return,
    };
    let cmd = Command {
        seq: 1,
        ts_ns: 2,
        kind,
    };
    let mut line = String::new();
    encode_command_json(&cmd, &mut line);
    assert_eq!(decode_command_json(&line).unwrap(), cmd, "{text} -> {line}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = decode_request(&s);
        let _ = decode_command_json(&s);
        let _ = parse_decimal(&s);
        let _ = Channel::parse(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = String::from_utf8_lossy(&b);
        let _ = decode_request(&s);
        let _ = decode_command_json(&s);
    }

    #[test]
    fn arbitrary_objects_never_panic(v in message()) {
        let text = v.to_string();
        check_accepted(&text);
        // The same with a syntax error somewhere in it.
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = decode_request(&text[..cut]);
    }

    #[test]
    fn mutated_valid_messages_never_panic(
        base in proptest::sample::select(vec![
            r#"{"op":"place","req_id":1,"symbol":"BTC-USD","side":"buy","type":"limit","price":"100.5","qty":"2","tif":"gtc","client_order_id":"a1","stp":"none"}"#,
            r#"{"op":"place","symbol":"BTC-USD","side":"sell","type":"stop_limit","price":"99","stop_price":"100","qty":"2","tif":"ioc"}"#,
            r#"{"op":"amend","symbol":"BTC-USD","order_id":123,"price":"101","qty":"1.5"}"#,
            r#"{"op":"add_symbol","symbol":"BTC-USD","base":"BTC","quote":"USD","tick_size":"0.01","lot_size":"0.0001","min_qty":"0.0001","maker_fee_bps":10,"taker_fee_bps":20,"price_band_pct":"10"}"#,
            r#"{"op":"deposit","user":7,"asset":"USD","amount":"1000","tx_id":"d-1"}"#,
            r#"{"op":"add_user","user":7,"api_key":"k-7","role":"trader"}"#,
            r#"{"op":"subscribe","channels":["book:BTC-USD","klines:BTC-USD:1m"]}"#,
        ]),
        field in proptest::sample::select(FIELD_NAMES),
        value in json_value(),
    ) {
        let mut v: Value = serde_json::from_str(base).unwrap();
        v[field] = value;
        check_accepted(&v.to_string());
    }

    #[test]
    fn decimals_round_trip(m in 0i64..=i64::MAX, scale in 0u8..=18) {
        let f = Fixed::new(m, scale).normalized();
        prop_assert_eq!(parse_decimal(&f.to_string()), Ok(f));
    }
}

#[test]
fn an_http_route_supplies_the_op_and_overrides_the_body_s() {
    let r = decode_request_as(
        r#"{"symbol":"S","side":"sell","type":"market","qty":"3"}"#,
        "place",
    )
    .unwrap();
    assert!(matches!(r.op, Op::Trader(TraderOp::Place(_))), "{r:?}");
    let r = decode_request_as(
        r#"{"op":"fees","req_id":4,"symbol":"BTC-USD","order_id":123}"#,
        "cancel",
    )
    .unwrap();
    assert_eq!(r.req_id, Some(4));
    assert!(matches!(r.op, Op::Trader(TraderOp::Cancel { .. })), "{r:?}");
    for bad in ["[1]", "not json", r#"{"symbol":"S"}"#] {
        let e = decode_request_as(bad, "place").unwrap_err();
        assert_eq!(e.code, ErrorCode::Malformed, "{bad}: {e}");
    }
}

#[test]
fn paged_queries_decode_with_their_own_error_codes() {
    assert_eq!(
        ok(r#"{"op":"open_orders","after_order_id":"17","limit":5}"#).op,
        Op::OpenOrders {
            symbol: None,
            after_order_id: Some(17),
            limit: Some(5),
        }
    );
    assert_eq!(
        ok(r#"{"op":"order","client_order_id":"c-1"}"#).op,
        Op::History(HistoryQuery::Order {
            key: OrderLookup::Client(ClOrdId::new("c-1").unwrap())
        })
    );
    assert_eq!(
        ok(r#"{"op":"order","order_id":"42"}"#).op,
        Op::History(HistoryQuery::Order {
            key: OrderLookup::Id(42)
        })
    );
    assert_eq!(
        ok(r#"{"op":"order_history","symbol":"BTC-USD","from_ts":1,"to_ts":"9","cursor":7,"limit":"1000"}"#).op,
        Op::History(HistoryQuery::OrderHistory {
            symbol: Some(name("BTC-USD")),
            from_ts: Some(1),
            to_ts: Some(9),
            before_order_id: Some(7),
            limit: Some(1000),
        })
    );
    assert_eq!(
        ok(r#"{"op":"my_trades","from_trade_id":3}"#).op,
        Op::History(HistoryQuery::MyTrades {
            symbol: None,
            from_trade_id: Some(3),
            limit: None,
        })
    );
    assert_eq!(
        ok(r#"{"op":"transfers","after_seq":"12"}"#).op,
        Op::History(HistoryQuery::Transfers {
            after_seq: Some(12),
            limit: None,
        })
    );
    for (text, code) in [
        (r#"{"op":"my_trades","limit":0}"#, ErrorCode::InvalidLimit),
        (
            r#"{"op":"my_trades","limit":1001}"#,
            ErrorCode::InvalidLimit,
        ),
        (
            r#"{"op":"my_trades","limit":"abc"}"#,
            ErrorCode::InvalidLimit,
        ),
        (r#"{"op":"my_trades","limit":-1}"#, ErrorCode::InvalidLimit),
        (r#"{"op":"my_trades","limit":1.5}"#, ErrorCode::InvalidLimit),
        (
            r#"{"op":"open_orders","limit":1001}"#,
            ErrorCode::InvalidLimit,
        ),
        (
            r#"{"op":"transfers","after_seq":"x1"}"#,
            ErrorCode::InvalidCursor,
        ),
        (
            r#"{"op":"transfers","after_seq":0}"#,
            ErrorCode::InvalidCursor,
        ),
        (
            r#"{"op":"open_orders","after_order_id":"-3"}"#,
            ErrorCode::InvalidCursor,
        ),
        (
            r#"{"op":"order_history","cursor":"9223372036854775808"}"#,
            ErrorCode::InvalidCursor,
        ),
        (
            r#"{"op":"order_history","cursor":true}"#,
            ErrorCode::InvalidCursor,
        ),
        (
            r#"{"op":"order_history","from_ts":5,"to_ts":4}"#,
            ErrorCode::InvalidRange,
        ),
        (
            r#"{"op":"order_history","before_order_id":1,"cursor":2}"#,
            ErrorCode::Malformed,
        ),
        (
            r#"{"op":"order","order_id":1,"client_order_id":"a"}"#,
            ErrorCode::Malformed,
        ),
        (r#"{"op":"order"}"#, ErrorCode::Malformed),
        (r#"{"op":"executions"}"#, ErrorCode::Malformed),
    ] {
        assert_eq!(err(text).code, code, "{text}");
    }
    assert_eq!(
        err(r#"{"op":"my_trades","req_id":4,"limit":0}"#).req_id,
        Some(4)
    );
}
