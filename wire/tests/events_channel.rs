//! The drop copy's requests in JSON: `subscribe` to `events` alone, with
//! an optional `from_seq`; `events` mixed with other channels is refused;
//! `add_user` takes the `dropcopy` role.

use engine::{CommandKind, Role};
use wire::json::{decode_request, encode_login_ok};
use wire::{Channel, Op};

fn op(text: &str) -> Result<Op, String> {
    decode_request(text)
        .map(|r| r.op)
        .map_err(|e| e.message.to_string())
}

#[test]
fn events_subscriptions_decode() {
    assert_eq!(
        op(r#"{"op":"subscribe","channels":["events"],"from_seq":42}"#),
        Ok(Op::SubscribeEvents { from_seq: Some(42) })
    );
    assert_eq!(
        op(r#"{"op":"subscribe","channels":["events"]}"#),
        Ok(Op::SubscribeEvents { from_seq: None })
    );
    assert_eq!(
        op(r#"{"op":"unsubscribe","channels":["events"]}"#),
        Ok(Op::Unsubscribe(vec![Channel::Events]))
    );
    let mixed = op(r#"{"op":"subscribe","channels":["events","balances"]}"#).unwrap_err();
    assert!(mixed.contains("on its own"), "{mixed}");
    for bad in [r#""5""#, "-1", "1.5", "null"] {
        let text = format!(r#"{{"op":"subscribe","channels":["events"],"from_seq":{bad}}}"#);
        if bad == "null" {
            // An explicit null is no seq: from the next input.
            assert_eq!(op(&text), Ok(Op::SubscribeEvents { from_seq: None }));
        } else {
            let e = op(&text).unwrap_err();
            assert!(e.contains("from_seq"), "{text}: {e}");
        }
    }
    assert_eq!(Channel::parse("events"), Some(Channel::Events));
    assert_eq!(Channel::Events.to_string(), "events");
}

#[test]
fn the_dropcopy_role() {
    let r = op(r#"{"op":"add_user","user":9,"api_key":"k","role":"dropcopy"}"#).unwrap();
    assert!(
        matches!(
            r,
            Op::Admin(CommandKind::AddUser {
                user: 9,
                role: Role::DropCopy,
                ..
            })
        ),
        "{r:?}"
    );
    let mut s = String::new();
    encode_login_ok(9, Role::DropCopy, None, &mut s);
    assert!(s.contains(r#""role":"dropcopy""#), "{s}");
}
