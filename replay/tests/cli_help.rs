//! `--help` lists every command with a one-line description.

mod common;
use common::*;

#[test]
fn help_lists_every_command_with_a_description() {
    let r = tool(&["--help"]).ok();
    for cmd in ["verify", "dump", "run", "events", "snapshot", "compare"] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{cmd} ")))
            .unwrap_or_else(|| panic!("{cmd} missing from --help:\n{}", r.stdout));
        assert!(line.split_whitespace().count() > 3, "{line}");
    }
}

#[test]
fn unknown_commands_and_missing_arguments_exit_2() {
    assert_eq!(tool(&["frobnicate"]).code, 2);
    assert_eq!(tool(&["events", "x", "--from", "1"]).code, 2);
    assert_eq!(tool(&["snapshot", "x"]).code, 2);
}
