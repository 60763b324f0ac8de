//! `dump`: one JSON line per input, which the gateway's codec reads back to
//! the same command.

mod common;
use common::*;
use engine::Command;
use wire::json::decode_command_json;

fn assert_same(got: &[Command], want: &[Command]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w);
    }
}

#[test]
fn dump_lines_parse_back_with_decode_command_json_to_the_same_commands() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(61, 400);
    journal(t.path(), &cmds);
    let out = tool(&["dump", &p(t.path())]).ok().stdout;
    let back: Vec<engine::Command> = out
        .lines()
        .map(|l| decode_command_json(l).unwrap_or_else(|e| panic!("{l}: {e:?}")))
        .collect();
    assert_same(&back, &cmds);
    // Decimals are readable strings.
    assert!(
        out.contains("\"price\":\"29"),
        "{}",
        &out[..2000.min(out.len())]
    );
    assert!(out.contains("\"tick_size\":\"0.01\""));
}

#[test]
fn dump_from_to_prints_exactly_that_range() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(62, 300);
    journal(t.path(), &cmds);
    let out = tool(&["dump", &p(t.path()), "--from", "120", "--to", "180"])
        .ok()
        .stdout;
    let back: Vec<engine::Command> = out
        .lines()
        .map(|l| decode_command_json(l).unwrap())
        .collect();
    assert_same(&back, &cmds[119..180]);
    let r = tool(&["dump", &p(t.path()), "--from", "181", "--to", "180"]);
    assert_eq!(r.code, 2);
}
