//! `compare`: the first sequence at which two journals (or their outputs)
//! part; identical journals compare equal.

mod common;
use common::*;
use engine::{CommandKind, Fixed};

/// Two journals: the same first `prefix` commands, then different ones.
fn forked(prefix: usize) -> (tempfile::TempDir, tempfile::TempDir) {
    let a_cmds = commands(41, 300);
    let mut b_cmds = a_cmds[..prefix].to_vec();
    // Same workload, different seed: the setup agrees, the orders do not.
    b_cmds.extend(commands(42, 300)[prefix..].iter().copied());
    assert_ne!(a_cmds[prefix], b_cmds[prefix]);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    journal(a.path(), &a_cmds);
    journal(b.path(), &b_cmds);
    (a, b)
}

#[test]
fn compare_finds_the_first_differing_seq_of_journals_sharing_a_prefix() {
    let (a, b) = forked(180);
    let r = tool(&["compare", &p(a.path()), &p(b.path())]);
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["first_difference"], 181);
    assert_eq!(v["records_equal"], 180);
    assert_eq!(v["a"]["seq"], 181);
    assert_eq!(v["b"]["seq"], 181);
    assert!(r.stderr.contains("differ at seq 181"), "{}", r.stderr);
    assert!(
        r.stdout.trim_end().starts_with("{\"first_difference\":181"),
        "{}",
        r.stdout
    );
}

#[test]
fn identical_journals_compare_equal() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cmds = commands(43, 250);
    journal(a.path(), &cmds);
    journal(b.path(), &cmds);
    for extra in [None, Some("--outputs")] {
        let mut args = vec!["compare".to_string(), p(a.path()), p(b.path())];
        args.extend(extra.map(String::from));
        let r = tool(&args).ok();
        assert_eq!(
            r.stdout.trim_end(),
            "{\"identical\":true,\"records\":250}",
            "{args:?}"
        );
    }
}

#[test]
fn a_journal_that_goes_on_differs_where_the_other_ends() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cmds = commands(44, 200);
    journal(a.path(), &cmds);
    journal(b.path(), &cmds[..150]);
    let v = tool(&["compare", &p(a.path()), &p(b.path())]).json();
    assert_eq!(v["first_difference"], 151);
    assert_eq!(v["why"], "B ends at seq 150");
    assert!(v["b"].is_null());
    let r = tool(&["compare", &p(b.path()), &p(a.path()), "--outputs"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["first_difference"], 151);
}

#[test]
fn compare_outputs_finds_the_first_seq_whose_events_differ() {
    // B orders one more lot than A in its first limit order after seq 200:
    // the first input that differs is also the first whose events differ.
    let a_cmds = commands(45, 260);
    let mut b_cmds = a_cmds.clone();
    let i = (200..260)
        .find(|&i| matches!(a_cmds[i].kind, CommandKind::Place(ref p) if p.price.is_some()))
        .expect("a limit place after seq 200");
    if let CommandKind::Place(ref mut p) = b_cmds[i].kind {
        p.qty = Fixed::new(p.qty.mantissa + 1, p.qty.scale);
    }
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    journal(a.path(), &a_cmds);
    journal(b.path(), &b_cmds);
    let seq = i as u64 + 1;
    let inputs = tool(&["compare", &p(a.path()), &p(b.path())]).json();
    assert_eq!(inputs["first_difference"], seq);
    let outputs = tool(&["compare", &p(a.path()), &p(b.path()), "--outputs"]);
    assert_eq!(outputs.code, 1);
    let v = outputs.json();
    assert_eq!(v["first_difference"], seq);
    assert!(v["a"].is_array() && v["b"].is_array(), "{v}");
    assert_ne!(v["a"], v["b"]);
}

#[test]
fn outputs_can_agree_where_inputs_differ_and_then_the_states_are_compared() {
    // B provisions user 2 with another API key hash: the `add_user` answer
    // is the same, every later report too, but the state is not.
    let a_cmds = commands(46, 200);
    let mut b_cmds = a_cmds.clone();
    let i = a_cmds
        .iter()
        .position(|c| matches!(c.kind, CommandKind::AddUser { user: 2, .. }))
        .unwrap();
    if let CommandKind::AddUser {
        ref mut key_hash, ..
    } = b_cmds[i].kind
    {
        *key_hash = engine::KeyHash::of_key("another key");
    }
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    journal(a.path(), &a_cmds);
    journal(b.path(), &b_cmds);
    let inputs = tool(&["compare", &p(a.path()), &p(b.path())]).json();
    assert_eq!(inputs["first_difference"], i as u64 + 1);
    let r = tool(&["compare", &p(a.path()), &p(b.path()), "--outputs"]);
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert!(v["first_difference"].is_null(), "{v}");
    assert_eq!(v["records_equal"], 200);
    assert_ne!(v["state_hash_a"], v["state_hash_b"]);
}
