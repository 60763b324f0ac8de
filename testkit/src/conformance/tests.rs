//! The comparison half of the runner, tested without an engine: the subset
//! matcher, decimal equality, which replies count, and how `run_scenario`
//! reports differences (driven by a scripted target).

use super::*;
use serde_json::json;
use std::collections::VecDeque;

#[test]
fn decimals_compare_by_value() {
    assert!(decimal_eq("1", "1.000"));
    assert!(decimal_eq("100.5", "100.50"));
    assert!(decimal_eq("0", "0.0"));
    assert!(decimal_eq("-0.01", "-0.010"));
    assert!(!decimal_eq("1", "1.0001"));
    assert!(!decimal_eq("1", "-1"));
    // Not decimals: compared as text.
    assert!(decimal_eq("buy", "buy"));
    assert!(!decimal_eq("1e2", "100"));
    assert!(!decimal_eq("+1", "1"));
    assert!(!decimal_eq(".5", "0.5"));
    assert!(!decimal_eq("1.", "1"));
    assert!(decimal_value("12.34").is_some());
    assert!(decimal_value("").is_none());
    assert!(decimal_value("-").is_none());
    assert!(decimal_value("1_000").is_none());
}

fn actual() -> Value {
    json!({"type":"execution","exec_type":"trade","status":"filled","order_id":4,
           "price":"100.50","qty":"2","client_order_id":null,"trade_id":1,
           "nested":{"a":[1,"2.0"]}})
}

#[test]
fn subset_accepts_listed_fields_only() {
    let a = actual();
    assert_eq!(subset_diff(&json!({}), &a), None);
    assert_eq!(
        subset_diff(&json!({"type":"execution","order_id":4}), &a),
        None
    );
    // Decimals by value, on both sides.
    assert_eq!(
        subset_diff(&json!({"price":"100.5","qty":"2.000"}), &a),
        None
    );
    // Expected null: null or absent.
    assert_eq!(
        subset_diff(&json!({"client_order_id":null,"reason":null}), &a),
        None
    );
    // Nested objects and arrays, recursively.
    assert_eq!(subset_diff(&json!({"nested":{"a":[1,"2"]}}), &a), None);
    assert_eq!(subset_diff(&json!({"nested":{}}), &a), None);
}

#[test]
fn subset_names_the_first_differing_field() {
    let a = actual();
    let d = subset_diff(&json!({"type":"execution","status":"partially_filled"}), &a).unwrap();
    assert_eq!(d.path, "status");
    assert_eq!(d.expected, json!("partially_filled"));
    assert_eq!(d.actual, Some(json!("filled")));
    assert_eq!(
        d.to_string(),
        r#"field `status`: expected "partially_filled", actual "filled""#
    );

    let d = subset_diff(&json!({"reason":"ioc_remainder"}), &a).unwrap();
    assert_eq!((d.path.as_str(), d.actual.clone()), ("reason", None));
    assert!(d.to_string().contains("actual absent"));

    // A value where null is expected.
    let d = subset_diff(&json!({"trade_id":null}), &a).unwrap();
    assert_eq!(d.path, "trade_id");

    // Types matter: a decimal string is not a number, a number not a string.
    assert_eq!(
        subset_diff(&json!({"order_id":"4"}), &a).unwrap().path,
        "order_id"
    );
    assert_eq!(subset_diff(&json!({"qty":2}), &a).unwrap().path, "qty");
    assert_eq!(
        subset_diff(&json!({"order_id":5}), &a).unwrap().path,
        "order_id"
    );
    assert_eq!(
        subset_diff(&json!({"price":"100.51"}), &a).unwrap().path,
        "price"
    );

    // Nested paths, array lengths.
    assert_eq!(
        subset_diff(&json!({"nested":{"a":[1,"3"]}}), &a)
            .unwrap()
            .path,
        "nested.a[1]"
    );
    assert_eq!(
        subset_diff(&json!({"nested":{"a":[1]}}), &a).unwrap().path,
        "nested.a"
    );
    // Expected object, actual not one.
    assert_eq!(subset_diff(&json!({"x":1}), &json!([1])).unwrap().path, "");
}

#[test]
fn numbers_compare_across_representations() {
    assert_eq!(subset_diff(&json!(1), &json!(1u64)), None);
    assert_eq!(subset_diff(&json!(-1), &json!(-1i64)), None);
    assert_eq!(subset_diff(&json!(u64::MAX), &json!(u64::MAX)), None);
    assert!(subset_diff(&json!(1), &json!(1.5)).is_some());
    assert_eq!(subset_diff(&json!(1.5), &json!(1.5)), None);
}

#[test]
fn which_replies_count() {
    for counted in [
        json!({"type":"execution"}),
        json!({"type":"reject"}),
        json!({"type":"cancel_all"}),
        json!({"type":"admin","op":"deposit"}),
    ] {
        assert!(is_counted_report(&counted), "{counted}");
    }
    for not in [
        json!({"type":"admin","op":"fees","fees":{}}),
        json!({"type":"admin","op":"snapshot"}),
        json!({"type":"balances"}),
        json!({"type":"open_orders"}),
        json!({"type":"error"}),
        json!({"type":"login"}),
        json!({"type":"subscribed"}),
        json!({"type":"book"}),
        json!({"type":"trade"}),
        json!({}),
        json!([]),
    ] {
        assert!(!is_counted_report(&not), "{not}");
    }
}

/// Replays canned replies and final state; records what it was sent.
#[derive(Default)]
struct Scripted {
    replies: VecDeque<Vec<Value>>,
    sent: Vec<(Sender, Value, u64)>,
    book: BookLevels,
    balance: Option<BalanceView>,
    fees: BTreeMap<String, String>,
    fail_check_at: Option<usize>,
    checks: usize,
}

impl Scripted {
    fn replying(replies: Vec<Vec<Value>>) -> Scripted {
        Scripted {
            replies: VecDeque::from(replies),
            ..Scripted::default()
        }
    }
}

impl Target for Scripted {
    fn setup(&mut self, _sc: &Scenario, _ts_ns: u64) -> Result<(), String> {
        Ok(())
    }
    fn send(&mut self, from: Sender, msg: &Value, ts_ns: u64) -> Result<Vec<Value>, String> {
        self.sent.push((from, msg.clone(), ts_ns));
        Ok(self.replies.pop_front().unwrap_or_default())
    }
    fn check(&mut self) -> Result<(), String> {
        self.checks += 1;
        if Some(self.checks) == self.fail_check_at {
            return Err("conservation broken for USD".into());
        }
        Ok(())
    }
    fn book(&mut self, _symbol: &str) -> Result<BookLevels, String> {
        Ok(self.book.clone())
    }
    fn balance(&mut self, _user: UserId, _asset: &str) -> Result<BalanceView, String> {
        self.balance.clone().ok_or_else(|| "no balance".into())
    }
    fn fees(&mut self) -> Result<BTreeMap<String, String>, String> {
        Ok(self.fees.clone())
    }
}

fn scenario(steps: Value, fin: Value) -> Scenario {
    Scenario::from_json(
        &json!({"name":"t","assets":[],"symbols":[],"users":[],"steps":steps,"final":fin})
            .to_string(),
    )
    .unwrap()
}

fn place_step(user: u64) -> Value {
    json!({"user":user,"send":{"op":"place"},"expect":[{"type":"execution","order_id":1}]})
}

#[test]
fn a_matching_run_passes_and_stamps_time() {
    let sc = scenario(
        json!([
            place_step(1),
            {"admin":true,"ts":1_800_000_000_000_000_000u64,"send":{"op":"halt"},"expect":[{"type":"admin","ok":true}]},
            {"user":2,"send":{"op":"balances"}},
            {"user":2,"send":{"op":"cancel_all"},"expect":[]}
        ]),
        json!({}),
    );
    let mut t = Scripted::replying(vec![
        // query replies and errors around the counted reports are ignored
        vec![
            json!({"type":"balances"}),
            json!({"type":"execution","order_id":1,"extra":true}),
            json!({"type":"admin","op":"fees"}),
        ],
        vec![json!({"type":"admin","op":"halt","ok":true})],
        vec![json!({"type":"execution","order_id":99})], // no expect: not checked
        vec![json!({"type":"error","code":"malformed"})],
    ]);
    let pass = run_scenario(&sc, &mut t).unwrap();
    assert_eq!(
        pass,
        Pass {
            steps: 4,
            events_checked: 2
        }
    );
    let ts: Vec<u64> = t.sent.iter().map(|s| s.2).collect();
    assert_eq!(
        ts,
        [
            TS_START_NS + 1,
            1_800_000_000_000_000_000,
            1_800_000_000_000_000_001,
            1_800_000_000_000_000_002
        ]
    );
    assert_eq!(t.sent[0].0, Sender::User(1));
    assert_eq!(t.sent[1].0, Sender::Admin);
    assert_eq!(t.checks, 5, "after setup and after every step");
}

#[test]
fn a_differing_field_is_reported_in_full() {
    let sc = scenario(json!([place_step(1)]), json!({}));
    let mut t = Scripted::replying(vec![vec![json!({"type":"execution","order_id":2})]]);
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert!(
        e.starts_with(r#"step 1 (user 1) sent {"op":"place"}"#),
        "{e}"
    );
    assert!(
        e.contains("event 1 of 1: field `order_id`: expected 1, actual 2"),
        "{e}"
    );
    assert!(
        e.contains(r#"expected: {"order_id":1,"type":"execution"}"#),
        "{e}"
    );
    assert!(
        e.contains(r#"actual:   {"order_id":2,"type":"execution"}"#),
        "{e}"
    );
}

#[test]
fn a_count_difference_lists_the_missing_or_extra_events() {
    let sc = scenario(json!([place_step(1)]), json!({}));
    let mut t = Scripted::replying(vec![vec![
        json!({"type":"execution","order_id":1}),
        json!({"type":"reject","reason":"unknown_order"}),
    ]]);
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert!(e.contains("expected 1 event(s), got 2"), "{e}");
    assert!(
        e.contains(r#"extra event 2: {"reason":"unknown_order","type":"reject"}"#),
        "{e}"
    );

    let mut t = Scripted::default();
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert!(e.contains("expected 1 event(s), got 0"), "{e}");
    assert!(e.contains("missing event 1"), "{e}");
}

#[test]
fn a_broken_check_fails_the_step() {
    let sc = scenario(json!([place_step(1), place_step(1)]), json!({}));
    let mut t = Scripted::default();
    let ok = vec![json!({"type":"execution","order_id":1})];
    t.replies = VecDeque::from(vec![ok.clone(), ok]);
    t.fail_check_at = Some(3);
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert!(e.starts_with("step 2 (user 1)"), "{e}");
    assert!(
        e.contains("after the step: conservation broken for USD"),
        "{e}"
    );
}

#[test]
fn a_step_without_sender_is_a_scenario_error() {
    let sc = scenario(json!([{"send":{"op":"fees"}}]), json!({}));
    let e = run_scenario(&sc, &mut Scripted::default()).unwrap_err();
    assert!(e.contains("neither `user` nor `admin`"), "{e}");
}

#[test]
fn misspelt_step_fields_are_refused() {
    let text = json!({"name":"t","steps":[{"user":1,"send":{},"expects":[]}]}).to_string();
    assert!(Scenario::from_json(&text).unwrap_err().contains("expects"));
    // `note` is allowed.
    let text = json!({"name":"t","steps":[{"user":1,"send":{},"note":"why"}]}).to_string();
    assert!(Scenario::from_json(&text).is_ok());
}

#[test]
fn final_state_is_compared_exactly() {
    let fin = json!({
        "books": {"BTC-USD": {"bids": [["100", "1"], ["99", "0.5"]], "asks": []}},
        "balances": {"1": {"USD": {"available": "99850.5", "locked": "149.5"}}},
        "fees": {"USD": "0.35", "BTC": "0"}
    });
    let sc = scenario(json!([]), fin);
    let good = || Scripted {
        book: BookLevels {
            bids: vec![("100.0".into(), "1".into()), ("99".into(), "0.50".into())],
            asks: vec![],
        },
        balance: Some(BalanceView {
            available: "99850.50".into(),
            locked: "149.5".into(),
        }),
        fees: [("USD".to_string(), "0.350".to_string())]
            .into_iter()
            .collect(),
        ..Scripted::default()
    };
    // Fees of an asset absent from the target read as zero.
    assert!(run_scenario(&sc, &mut good()).is_ok());

    let mut t = good();
    t.book.bids.pop();
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert_eq!(
        e,
        r#"final.books.BTC-USD.bids: expected [["100","1"],["99","0.5"]], actual [["100.0","1"]]"#
    );

    let mut t = good();
    t.book.asks.push(("101".into(), "1".into()));
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert!(e.starts_with("final.books.BTC-USD.asks"), "{e}");

    let mut t = good();
    t.balance.as_mut().unwrap().locked = "149".into();
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert_eq!(
        e,
        r#"final.balances.1.USD.locked: expected "149.5", actual "149""#
    );

    let mut t = good();
    t.fees.insert("BTC".into(), "0.001".into());
    let e = run_scenario(&sc, &mut t).unwrap_err();
    assert_eq!(e, r#"final.fees.BTC: expected "0", actual "0.001""#);
}

#[test]
fn the_shipped_scenarios_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway/tests/scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let sc =
                Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                Some(sc.name.as_str()),
                path.file_stem().and_then(|s| s.to_str()),
                "a scenario is named after its file"
            );
            // Every step decodes through the codec (no scenario relies on a
            // malformed message by accident).
            for (i, step) in sc.steps.iter().enumerate() {
                wire::json::decode_request(&step.send.to_string())
                    .unwrap_or_else(|e| panic!("{} step {}: {e}", sc.name, i + 1));
            }
            for s in &sc.symbols {
                let mut body = s.clone();
                body.insert("op".into(), "add_symbol".into());
                wire::json::decode_request(&Value::Object(body).to_string()).unwrap();
            }
            n += 1;
        }
    }
    assert!(n > 0, "no scenarios in {}", dir.display());
}
