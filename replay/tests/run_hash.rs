//! `run`: the hash it prints is the engine's after exactly the inputs up to
//! the printed seq, whichever state the replay starts from.

mod common;
use common::*;

#[test]
fn run_from_scratch_and_from_a_snapshot_give_the_same_hash() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(11, 400);
    journal(t.path(), &cmds);
    let scratch = tool(&["run", &p(t.path()), "--from-scratch"]).ok().json();
    assert_eq!(scratch["seq"], 400);
    assert_eq!(scratch["cmds"], 400);

    let snap = tool(&["snapshot", &p(t.path()), "--at", "250"]).ok().json();
    assert_eq!(snap["seq"], 250);
    let from_snap = tool(&["run", &p(t.path())]).ok();
    assert!(
        from_snap.stderr.contains("snapshot"),
        "{}",
        from_snap.stderr
    );
    let from_snap = from_snap.json();
    assert_eq!(from_snap["seq"], 400);
    assert_eq!(
        from_snap["cmds"], 150,
        "replayed only what follows the snapshot"
    );
    assert_eq!(from_snap["state_hash"], scratch["state_hash"]);
}

#[test]
fn run_to_n_prints_the_hash_of_the_engine_applied_to_n_commands() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(12, 300);
    journal(t.path(), &cmds);
    tool(&["snapshot", &p(t.path()), "--at", "120"]).ok();
    for n in [1usize, 37, 119, 120, 121, 256, 300] {
        let (engine, _) = apply_all(&cmds[..n]);
        let want = hex(&engine.state_hash());
        for extra in [None, Some("--from-scratch")] {
            let mut args = vec!["run".to_string(), p(t.path()), "--to".into(), n.to_string()];
            args.extend(extra.map(String::from));
            let got = tool(&args).ok().json();
            assert_eq!(got["seq"], n as u64, "{args:?}");
            assert_eq!(got["state_hash"], want.as_str(), "{args:?}");
        }
    }
}

#[test]
fn run_prints_exactly_the_documented_last_line() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(13, 120));
    let r = tool(&["run", &p(t.path()), "--quiet"]).ok();
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stderr.is_empty(), "quiet run printed {}", r.stderr);
    let v = r.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec!["cmds", "cmds_per_s", "secs", "seq", "state_hash"];
    want.sort_unstable();
    assert_eq!(keys, want);
    let line = r.stdout.trim_end();
    assert!(line.starts_with("{\"seq\":120,\"state_hash\":\""), "{line}");
    assert!(v["secs"].is_number() && v["cmds_per_s"].is_number());
    assert_eq!(v["state_hash"].as_str().unwrap().len(), 64);
}

#[test]
fn run_stops_before_a_torn_tail_and_succeeds() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(14, 200);
    journal(t.path(), &cmds);
    corrupt(t.path(), 200);
    let r = tool(&["run", &p(t.path())]).ok();
    assert!(r.stderr.contains("torn tail"), "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["seq"], 199);
    assert_eq!(
        v["state_hash"],
        hex(&apply_all(&cmds[..199]).0.state_hash()).as_str()
    );
    // Asking for the torn record itself is asking beyond the journal.
    let r = tool(&["run", &p(t.path()), "--to", "200"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("ends at seq 199"), "{}", r.stderr);
}

#[test]
fn run_to_beyond_the_end_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    journal(t.path(), &commands(15, 50));
    let r = tool(&["run", &p(t.path()), "--to", "51"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.starts_with("ringex-replay: "), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn a_missing_journal_is_named_and_exits_2() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("no-such-dir");
    let empty = t.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for dir in [&missing, &empty] {
        let d = p(dir);
        for args in [
            vec!["verify", &d],
            vec!["dump", &d],
            vec!["run", &d],
            vec!["events", &d, "--from", "1", "--to", "2"],
            vec!["snapshot", &d, "--at", "1"],
            vec!["compare", &d, &d],
        ] {
            let r = tool(&args);
            assert_eq!(r.code, 2, "{args:?}: {r:?}");
            assert!(
                r.stderr
                    .contains(&format!("ringex-replay: no journal at {d}")),
                "{args:?}: {}",
                r.stderr
            );
            assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        }
    }
}

/// The journal is read a few thousand records ahead of the engine: a stop
/// at `--to` many batches in, with damage further on, still succeeds with
/// the hash of exactly those inputs; at the damage, the run fails naming it.
#[test]
fn run_to_a_seq_before_later_damage_succeeds_across_read_ahead_batches() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(21, 6000);
    journal(t.path(), &cmds);
    corrupt(t.path(), 5500);
    for n in [1023usize, 1024, 1025, 4097, 5499] {
        let (engine, _) = apply_all(&cmds[..n]);
        let got = tool(&["run", &p(t.path()), "--to", &n.to_string()])
            .ok()
            .json();
        assert_eq!(got["seq"], n as u64);
        assert_eq!(got["state_hash"], hex(&engine.state_hash()).as_str());
    }
    let r = tool(&["run", &p(t.path())]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("seq 5500"), "{}", r.stderr);
}
