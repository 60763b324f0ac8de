//! Round trips and refusals of the binary codec, both directions.

use super::*;
use crate::api::*;
use engine::{AssetId, Directory, KeyHash, Units};

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn enc(req: &Request) -> Vec<u8> {
    let mut v = Vec::new();
    encode_request(req, &mut v).unwrap();
    v
}

fn limit_buy() -> Request {
    Request {
        req_id: Some(7),
        op: Op::Trader(TraderOp::Place(PlaceOrder {
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
        })),
    }
}

/// The example frame of docs/protocol.md, byte for byte.
#[test]
fn place_frame_matches_the_documented_example() {
    let b = enc(&limit_buy());
    #[rustfmt::skip]
    let want: Vec<u8> = [
        &[0x3e, 0, 0, 0][..],                // len 62
        &[0x02, 0x11],                       // place, version 1 | req_id flag
        &[7, 0, 0, 0, 0, 0, 0, 0],           // req_id 7
        &[0, 0, 0, 0, 0],                    // buy limit gtc stp none, not post-only
        &[2, 0, 0, 0, 0, 0, 0, 0, 0],        // qty 2
        &[0xed, 0x03, 0, 0, 0, 0, 0, 0, 1],  // price 100.5 = 1005e-1
        &[0, 0, 0, 0, 0, 0, 0, 0, 0xff],     // stop_price null
        &[0, 0, 0, 0, 0, 0, 0, 0, 0xff],     // display_qty null
        &[7, b'B', b'T', b'C', b'-', b'U', b'S', b'D'],
        &[2, b'a', b'1'],
    ]
    .concat();
    assert_eq!(b, want);
    assert_eq!(decode_frame(&b).unwrap(), Some((limit_buy(), b.len())));
}

#[test]
fn header_rules() {
    let good = enc(&limit_buy());
    let n = good.len();
    // version nibble
    let mut b = good.clone();
    b[5] = 0x21;
    let e = decode_frame(&b).unwrap_err();
    assert_eq!((e.error.code, e.skip), (ErrorCode::Malformed, Some(n)));
    // reserved flag bits
    let mut b = good.clone();
    b[5] = 0x15;
    assert_eq!(decode_frame(&b).unwrap_err().skip, Some(n));
    // the more flag is the server's
    let mut b = good.clone();
    b[5] = 0x13;
    let e = decode_frame(&b).unwrap_err();
    assert_eq!(e.error.req_id, Some(7));
    // req_id bytes without the flag
    let mut b = good.clone();
    b[5] = 0x10;
    assert!(decode_frame(&b)
        .unwrap_err()
        .error
        .message
        .contains("req_id"));
    // no flag, zero req_id: no req_id
    b[6] = 0;
    assert_eq!(decode_frame(&b).unwrap().unwrap().0.req_id, None);
    // req_id 0 is an id like any other
    let mut r = limit_buy();
    r.req_id = Some(0);
    assert_eq!(decode_frame(&enc(&r)).unwrap().unwrap().0.req_id, Some(0));
    // a frame shorter than its header is skipped whole
    let e = decode_frame(&[3, 0, 0, 0, 2, 0x10, 0]).unwrap_err();
    assert_eq!((e.error.code, e.skip), (ErrorCode::Malformed, Some(7)));
    // the largest legal frame is read; one byte more is too_large at once
    let mut b = vec![0u8; FRAME_BYTES_MAX];
    b[..4].copy_from_slice(&((FRAME_BYTES_MAX - 4) as u32).to_le_bytes());
    b[4] = msg::FEES;
    b[5] = 0x10;
    let e = decode_frame(&b).unwrap_err();
    assert_eq!(e.skip, Some(FRAME_BYTES_MAX));
    assert!(e.error.message.contains("after the last field"));
    let e = decode_frame(&((FRAME_BYTES_MAX - 3) as u32).to_le_bytes()).unwrap_err();
    assert_eq!((e.error.code, e.skip), (ErrorCode::TooLarge, None));
}

#[test]
fn unassigned_types_are_unknown_op_and_replies_are_not_requests() {
    for ty in [0x00, 0x0a, 0x1c, 0x40, msg::EXECUTION, 0xff] {
        let b = [10, 0, 0, 0, ty, 0x11, 9, 0, 0, 0, 0, 0, 0, 0];
        let e = decode_frame(&b).unwrap_err();
        assert_eq!(e.error.code, ErrorCode::UnknownOp, "{ty:#x}");
        assert_eq!((e.error.req_id, e.skip), (Some(9), Some(14)));
    }
    for ty in [msg::LOGIN, msg::PLACE, 0x20] {
        let b = [10, 0, 0, 0, ty, 0x10, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(decode_reply(&b).is_err());
    }
}

#[test]
fn subscriptions_and_hashed_logins_are_not_encoded() {
    let mut out = vec![1, 2, 3];
    let r = Request {
        req_id: None,
        op: Op::Subscribe(vec![]),
    };
    assert_eq!(
        encode_request(&r, &mut out),
        Err(EncodeError::WebSocketOnly("subscribe"))
    );
    let r = Request {
        req_id: None,
        op: Op::Login {
            key_hash: KeyHash::of_key("k"),
            cancel_on_disconnect: false,
        },
    };
    assert_eq!(
        encode_request(&r, &mut out),
        Err(EncodeError::LoginNeedsKey)
    );
    assert_eq!(
        encode_login("", false, None, &mut out),
        Err(EncodeError::ApiKeyLength)
    );
    assert_eq!(out, [1, 2, 3], "nothing appended on refusal");
}

#[test]
fn trader_commands_given_as_admin_ops_are_refused() {
    let Op::Trader(t) = limit_buy().op else {
        unreachable!()
    };
    let r = Request {
        req_id: Some(1),
        op: Op::Admin(t.to_command_kind(42)),
    };
    let mut out = Vec::new();
    assert_eq!(
        encode_request(&r, &mut out),
        Err(EncodeError::TraderCommandAsAdmin)
    );
    assert!(out.is_empty());
}

#[test]
fn list_replies_split_over_frames_of_at_most_the_maximum() {
    let mut dir = Directory::default();
    dir.add_asset(name("USD"), 2, 8).unwrap();
    let fees: Vec<(AssetId, Units)> = (0..500).map(|i| (AssetId(0), Units::new(i))).collect();
    let mut out = Vec::new();
    encode_fees_bin(&fees, &dir, Some(3), &mut out);
    let (mut at, mut got, mut frames) = (0, Vec::new(), 0);
    loop {
        let (r, n) = decode_reply(&out[at..]).unwrap().unwrap();
        assert!(n <= FRAME_BYTES_MAX);
        at += n;
        frames += 1;
        assert_eq!(r.req_id, Some(3));
        let ReplyBody::Fees { fees, more } = r.body else {
            panic!("{r:?}")
        };
        got.extend(fees);
        if !more {
            break;
        }
    }
    assert_eq!(at, out.len());
    assert!(frames > 1);
    assert_eq!(got.len(), 500);
    assert_eq!(got[499].amount, Fixed::new(499, 2));
}

#[test]
fn codes_are_dense_round_trip_and_are_documented() {
    let doc = include_str!("../../../docs/protocol.md");
    let mut missing = Vec::new();
    let mut check = |table: &str, code: u8, name: &str| {
        let row = format!("| {code} | `{name}` |");
        if !doc.contains(&row) {
            missing.push(format!("{table}: {row}"));
        }
    };
    macro_rules! each {
        ($all:ident, $to:ident, $of:ident, $table:literal) => {
            for v in $all {
                assert_eq!($of($to(*v)), Some(*v));
                check($table, $to(*v), v.as_str());
            }
        };
    }
    each!(ALL_SIDES, side_code, side_of, "side");
    each!(
        ALL_ORDER_TYPES,
        order_type_code,
        order_type_of,
        "order_type"
    );
    each!(ALL_TIFS, tif_code, tif_of, "tif");
    each!(ALL_STPS, stp_code, stp_of, "stp");
    each!(ALL_ROLES, role_code, role_of, "role");
    each!(ALL_EXEC_TYPES, exec_type_code, exec_type_of, "exec_type");
    each!(ALL_STATUSES, status_code, status_of, "status");
    each!(ALL_LIQUIDITIES, liquidity_code, liquidity_of, "liquidity");
    each!(ALL_REASONS, reason_code, reason_of, "reason");
    each!(ALL_REJECT_OPS, reject_op_code, reject_op_of, "reject op");
    each!(ALL_ADMIN_OPS, admin_op_code, admin_op_of, "admin op");
    each!(
        ALL_ERROR_CODES,
        error_code_code,
        error_code_of,
        "error code"
    );
    assert!(
        missing.is_empty(),
        "rows missing from docs/protocol.md:\n{missing:#?}"
    );
    // Tables are dense from their first code: no gaps a decoder would miss.
    assert_eq!(reason_of(0), None);
    assert_eq!(reason_of(ALL_REASONS.len() as u8 + 1), None);
    assert_eq!(side_of(2), None);
    // Message types in the doc too.
    for (ty, n) in [
        (msg::LOGIN, "login"),
        (msg::PLACE, "place"),
        (msg::CANCEL, "cancel"),
        (msg::AMEND, "amend"),
        (msg::CANCEL_ALL, "cancel_all"),
        (msg::BALANCES, "balances"),
        (msg::OPEN_ORDERS, "open_orders"),
        (msg::FEES, "fees"),
        (msg::SNAPSHOT, "snapshot"),
        (msg::ADD_ASSET, "add_asset"),
        (msg::ADD_SYMBOL, "add_symbol"),
        (msg::ADD_USER, "add_user"),
        (msg::DEPOSIT, "deposit"),
        (msg::WITHDRAW, "withdraw"),
        (msg::HALT, "halt"),
        (msg::RESUME, "resume"),
        (msg::ORDER, "order"),
        (msg::ORDER_HISTORY, "order_history"),
        (msg::MY_TRADES, "my_trades"),
        (msg::TRANSFERS, "transfers"),
        (msg::EXECUTIONS, "executions"),
        (msg::LOGIN_OK, "login_ok"),
        (msg::EXECUTION, "execution"),
        (msg::REJECT, "reject"),
        (msg::CANCEL_ALL_DONE, "cancel_all_done"),
        (msg::ADMIN, "admin"),
        (msg::SNAPSHOT_OK, "snapshot_ok"),
        (msg::BALANCES_REPLY, "balances_reply"),
        (msg::OPEN_ORDERS_REPLY, "open_orders_reply"),
        (msg::FEES_REPLY, "fees_reply"),
        (msg::HISTORY_REPLY, "history_reply"),
        (msg::ERROR, "error"),
    ] {
        let row = format!("| `{ty:#04x}` | `{n}` |");
        assert!(doc.contains(&row), "docs/protocol.md lacks {row}");
    }
}

#[test]
fn error_messages_are_cut_on_a_char_boundary() {
    let long = "é".repeat(ERROR_MESSAGE_BYTES_MAX);
    let mut out = Vec::new();
    encode_error_bin(&WireError::new(None, ErrorCode::Malformed, long), &mut out);
    let (r, _) = decode_reply(&out).unwrap().unwrap();
    let ReplyBody::Error { message, .. } = r.body else {
        panic!()
    };
    assert_eq!(message.len(), ERROR_MESSAGE_BYTES_MAX);
}
