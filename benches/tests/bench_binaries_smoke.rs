//! Every benchmark binary of this crate, run as a user runs it at tiny
//! sizes: it exits 0 and prints JSON lines of the documented kind. Never a
//! timing assertion. (`journal-bench` and `replay-bench` have theirs in their
//! own crates.)

use serde_json::Value;
use std::process::Command;

/// Runs `bin` with `args`; returns its stdout JSON lines.
fn run(bin: &str, args: &[&str]) -> Vec<Value> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    assert!(
        out.status.success(),
        "{bin} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn benches_of(lines: &[Value]) -> Vec<&str> {
    lines.iter().filter_map(|l| l["bench"].as_str()).collect()
}

#[test]
fn engine_throughput_runs_every_engine_on_tiny_generated_flows() {
    let bin = env!("CARGO_BIN_EXE_engine-throughput");
    let common = [
        "--cmds",
        "3000",
        "--runs",
        "1",
        "--min-cmds",
        "0",
        "--no-append",
    ];
    let mix = run(bin, &[&["--flow", "mix"][..], &common].concat());
    let deep = run(
        bin,
        &[
            &[
                "--flow",
                "deep",
                "--deep-symbols",
                "20",
                "--deep-orders",
                "2000",
            ][..],
            &common,
        ]
        .concat(),
    );
    for lines in [&mix, &deep] {
        let engines: Vec<&str> = lines
            .iter()
            .filter(|l| l["bench"] == "engine_throughput")
            .filter_map(|l| l["engine"].as_str())
            .collect();
        assert_eq!(engines, ["ringex", "matchcore", "lobster"]);
        assert!(benches_of(lines).contains(&"engine_throughput_ratio"));
        for l in lines.iter().filter(|l| l["bench"] == "engine_throughput") {
            assert_eq!(l["cmds"], 3000, "{l}");
            assert!(l["cmds_per_s"].as_f64().unwrap() > 0.0, "{l}");
        }
    }
}

#[test]
fn pipeline_latency_binary_runs_at_an_offered_rate() {
    // The default profile only: nothing pinned or spinning beside the other tests.
    let lines = run(
        env!("CARGO_BIN_EXE_pipeline-latency"),
        &[
            "--profile",
            "default",
            "--rates",
            "100k",
            "--secs",
            "0.02",
            "--warmup-secs",
            "0.01",
            "--max-cmds",
            "5000",
            "--no-append",
        ],
    );
    let profiles: Vec<&str> = lines
        .iter()
        .filter(|l| l["bench"] == "pipeline_latency")
        .filter_map(|l| l["profile"].as_str())
        .collect();
    assert_eq!(profiles, ["default"]);
    assert!(lines.iter().all(|l| l.get("error").is_none()), "{lines:?}");
}

#[test]
fn memory_binary_reports_bytes_per_order() {
    let lines = run(
        env!("CARGO_BIN_EXE_memory"),
        &[
            "--orders",
            "2000",
            "--symbols",
            "2",
            "--levels",
            "100",
            "--no-append",
        ],
    );
    assert_eq!(benches_of(&lines), ["memory"]);
    assert_eq!(lines[0]["orders"], 2000);
}

#[test]
fn flowgen_writes_a_command_file_engine_throughput_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mix.flow");
    let file = file.to_str().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_flowgen"))
        .args(["--flow", "mix", "--cmds", "2000", "--out", file])
        .status()
        .unwrap();
    assert!(status.success());
    let lines = run(
        env!("CARGO_BIN_EXE_engine-throughput"),
        &[
            "--file",
            file,
            "--engines",
            "ringex",
            "--runs",
            "1",
            "--min-cmds",
            "0",
            "--no-append",
        ],
    );
    let l = lines
        .iter()
        .find(|l| l["bench"] == "engine_throughput")
        .expect("a result line");
    assert_eq!(l["cmds"], 2000, "{l}");
}

#[test]
fn bench_summary_renders_the_results_of_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().to_str().unwrap();
    run(
        env!("CARGO_BIN_EXE_memory"),
        &[
            "--orders",
            "1000",
            "--symbols",
            "1",
            "--levels",
            "50",
            "--results",
            results,
        ],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_bench-summary"))
        .args(["--results", results])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Memory per resting order"), "{text}");
    assert!(text.contains("| 1,000 |"), "{text}");
}

#[test]
fn history_bench_smoke_measures_every_part_on_sqlite() {
    // SQLite only: the PostgreSQL runs need a server (`--pg`), which the
    // benchmark script passes when it has one.
    let out = Command::new(env!("CARGO_BIN_EXE_history-bench"))
        .args(["--smoke", "--no-append"])
        .env_remove("RINGEX_TEST_PG_URL")
        .output()
        .expect("history-bench");
    assert!(
        out.status.success(),
        "history-bench --smoke failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(
        benches_of(&lines),
        [
            "history_write",
            "history_lag",
            "history_pipeline",
            "history_catch_up"
        ]
    );
    for l in &lines {
        assert_eq!(l["backend"], "sqlite", "{l}");
        assert!(l.get("error").is_none(), "{l}");
    }
    let write = &lines[0];
    // Every stored row was written at least once by the catch-up too.
    assert!(write["rows_stored"].as_u64() > Some(0), "{write}");
    assert!(
        lines[3]["rows"].as_u64() >= write["rows_stored"].as_u64(),
        "{lines:?}"
    );
    assert!(write["rows_per_s"].as_f64() > Some(0.0), "{write}");
    assert_eq!(lines[1]["dropped"], 0, "{}", lines[1]);
    assert!(lines[2]["on_over_off"].as_f64() > Some(0.0), "{}", lines[2]);
}

/// `replication-bench` with `env` as its environment (besides ours).
fn replication_bench(args: &[&str], env_nats: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_replication-bench"));
    c.args(args)
        .env_remove("RINGEX_BENCH_NATS_URLS")
        .env_remove("RINGEX_TEST_NATS_URLS");
    if let Some(u) = env_nats {
        c.env("RINGEX_TEST_NATS_URLS", u);
    }
    c.output().expect("replication-bench")
}

#[test]
fn replication_bench_without_a_cluster_says_so_and_exits_0() {
    let out = replication_bench(&["--quick", "--no-append"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("NOTICE") && err.contains("no NATS cluster"),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains('{'),
        "no result lines without a cluster"
    );
}

#[test]
fn replication_bench_quick_measures_every_part_on_a_cluster() {
    let Some(urls) = std::env::var("RINGEX_TEST_NATS_URLS")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!(
            "NOTICE: skipping `replication_bench_quick_measures_every_part_on_a_cluster`: \
             RINGEX_TEST_NATS_URLS is not set (scripts/nats.sh starts a 3-node cluster)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().to_str().unwrap();
    let out = replication_bench(
        &[
            "--quick",
            "--orders",
            "100",
            "--warmup",
            "10",
            "--secs",
            "0.5",
            "--warmup-secs",
            "0.1",
            "--results",
            results,
        ],
        Some(&urls),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "replication-bench failed: {err}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    for l in &lines {
        assert!(l.get("error").is_none(), "{l}");
    }
    let batch = benches::replication_bench::one_order_batch().unwrap().len() as u64;
    let floor = &lines[0];
    assert_eq!(floor["path"], "jetstream_publish_ack", "{floor}");
    assert_eq!(floor["count"], 100, "{floor}");
    assert_eq!(floor["msg_bytes"].as_u64(), Some(batch), "{floor}");
    if err.contains("no ringex binary") {
        eprintln!("NOTICE: no ringex binary beside the bench: only the floor was measured");
        assert_eq!(lines.len(), 1, "{lines:?}");
        return;
    }
    assert_eq!(
        benches_of(&lines),
        [
            "replication_round_trip",
            "replication_round_trip",
            "replication_sustained",
            "replication_round_trip",
            "replication_sustained",
            "replication_failover",
            "replication_round_trip_ratio",
        ]
    );
    assert_eq!(lines[1]["path"], "ringex_replication_off");
    assert_eq!(lines[3]["path"], "ringex_replication_on");
    for l in [&lines[1], &lines[3]] {
        assert_eq!(l["count"], 100, "{l}");
        assert!(l["p50_ns"].as_u64() > Some(0), "{l}");
        assert!(l["p99_ns"].as_u64() >= l["p50_ns"].as_u64(), "{l}");
    }
    // Counts only, never a rate: a stalled second on a loaded machine may
    // leave the short recorded window empty.
    for l in [&lines[2], &lines[4]] {
        assert!(l["sent"].as_u64() > Some(0), "{l}");
        assert!(l["reports"].as_u64() <= l["sent"].as_u64(), "{l}");
    }
    // Every record the primary stored went into some stream message.
    let on = &lines[4];
    assert!(on["stream_msgs"].as_u64() > Some(0), "{on}");
    assert!(on["records"].as_u64() >= on["stream_msgs"].as_u64(), "{on}");
    let f = &lines[5];
    assert_eq!(f["new_role"], "primary", "{f}");
    assert!(f["failover_ms"].as_f64() > Some(0.0), "{f}");
    let written = std::fs::read_to_string(dir.path().join("replication.jsonl")).unwrap();
    assert_eq!(written.lines().count(), lines.len());
    assert!(dir.path().join("replication.svg").is_file());
}
