//! `events`: re-derived outputs are the same bytes on every replay, whether
//! the replay starts from a snapshot or from scratch.

mod common;
use common::*;
use serde_json::Value;

#[test]
fn replaying_twice_gives_the_same_event_stream_byte_for_byte() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(21, 500));
    let d = p(t.path());
    let first = tool(&["events", &d, "--from", "1", "--to", "500"]).ok();
    let second = tool(&["events", &d, "--from", "1", "--to", "500"]).ok();
    assert!(
        first.stdout.lines().count() > 500,
        "{} lines",
        first.stdout.lines().count()
    );
    assert_eq!(first.stdout, second.stdout);

    // A window, from a snapshot inside the journal and from scratch.
    tool(&["snapshot", &d, "--at", "300"]).ok();
    let window = |extra: &[&str]| {
        let mut args = vec!["events", &d, "--from", "301", "--to", "420"];
        args.extend_from_slice(extra);
        tool(&args).ok().stdout
    };
    let from_snapshot = window(&[]);
    let from_scratch = window(&["--from-scratch"]);
    assert_eq!(from_snapshot, from_scratch);
    let expected: String = first
        .stdout
        .lines()
        .filter(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (301..=420).contains(&v["seq"].as_u64().unwrap())
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(from_snapshot, expected);
}

#[test]
fn event_lines_are_json_carrying_their_inputs_seq() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(22, 300);
    journal(t.path(), &cmds);
    let (_, events) = apply_all(&cmds);
    let out = tool(&["events", &p(t.path()), "--from", "200", "--to", "260"])
        .ok()
        .stdout;
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: usize = events[199..260].iter().map(Vec::len).sum();
    assert_eq!(lines.len(), want);
    let mut last = 0;
    for v in &lines {
        let seq = v["seq"].as_u64().unwrap();
        assert!((200..=260).contains(&seq) && seq >= last, "{v}");
        last = seq;
        let ty = v["type"].as_str().unwrap();
        assert!(
            ["execution", "reject", "cancel_all", "admin", "level"].contains(&ty),
            "{v}"
        );
        if ty == "level" {
            assert_eq!(v["symbol"], "BTC-USD");
            assert!(v["price"].as_str().unwrap().contains('.') || v["price"].is_string());
        }
    }
    assert!(
        lines.iter().any(|v| v["exec_type"] == "trade"),
        "some trade in the window"
    );

    let reports = tool(&[
        "events",
        &p(t.path()),
        "--from",
        "200",
        "--to",
        "260",
        "--reports-only",
    ])
    .ok()
    .stdout;
    let no_levels: String = out
        .lines()
        .filter(|l| !l.starts_with("{\"type\":\"level\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(reports, no_levels);
}

#[test]
fn an_empty_or_reversed_range_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(23, 40));
    for (from, to) in [("0", "3"), ("9", "3")] {
        let r = tool(&["events", &p(t.path()), "--from", from, "--to", to]);
        assert_eq!(r.code, 2, "{r:?}");
    }
    let r = tool(&["events", &p(t.path()), "--from", "30", "--to", "41"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("ends at seq 40"), "{}", r.stderr);
}
