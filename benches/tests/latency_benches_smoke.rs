//! Each new benchmark runs through its library entry in its tiniest form
//! and prints lines with the fields the docs promise; the plots and
//! percentile files appear; the summary renders them. No timing is checked:
//! on a shared machine only the shape of the output is a fact.
//!
//! `wire-latency` needs the `ringex` binary next to the test executable (a
//! workspace build puts it there); without it only the TCP echo runs, with
//! a notice.

use benches::latency::Rate;
use benches::{memory, pipeline_latency, summary, wire_latency};
use serde_json::Value;

const LATENCY_FIELDS: [&str; 8] = [
    "rate", "achieved", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "count",
];

fn has(v: &Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(*k).is_some(), "{k} missing in {v}");
    }
}

fn no_errors(lines: &[Value]) {
    for l in lines {
        assert!(l.get("error").is_none(), "{l}");
    }
}

#[test]
fn pipeline_latency_prints_every_percentile_for_each_profile_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    let o = pipeline_latency::Options {
        rates: vec![Rate::PerSec(200_000), Rate::Max],
        secs: 0.005,
        warmup_secs: 0.001,
        max_cmds: 2_000,
        segment_mb: 4,
        tmp_dir: Some(dir.path().to_path_buf()),
        results_dir: Some(dir.path().join("results")),
        ..pipeline_latency::Options::quick()
    };
    let lines = pipeline_latency::run(&o).unwrap();
    assert_eq!(lines.len(), 4, "2 profiles x 2 rates");
    no_errors(&lines);
    for l in &lines {
        assert_eq!(l["bench"], "pipeline_latency");
        has(l, &LATENCY_FIELDS);
        has(
            l,
            &["profile", "durability", "p9999_ns", "placement", "cmds"],
        );
        assert_eq!(l["durability"], "os");
        assert!(l["count"].as_u64().unwrap() > 0);
    }
    let profiles: Vec<&str> = lines
        .iter()
        .map(|l| l["profile"].as_str().unwrap())
        .collect();
    assert_eq!(
        profiles,
        ["default", "default", "low_latency", "low_latency"]
    );
    let res = dir.path().join("results");
    let svg = std::fs::read_to_string(res.join("pipeline_latency.svg")).unwrap();
    assert!(svg.contains("percentile") && svg.contains("low_latency"));
    assert!(std::fs::read_dir(res.join("hgrm")).unwrap().count() >= 4);
    let written = std::fs::read_to_string(res.join("pipeline_latency.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 4);
}

#[test]
fn wire_latency_prints_ringex_echo_and_ratio_lines() {
    let dir = tempfile::tempdir().unwrap();
    let server = wire_latency::find_server();
    if server.is_none() {
        eprintln!("NOTICE: no ringex binary beside the test executable: the wire smoke test runs the TCP echo only");
    }
    let o = wire_latency::Options {
        profiles: vec!["default".into()],
        rates: vec![Rate::PerSec(2_000), Rate::Max],
        secs: 0.05,
        warmup_secs: 0.01,
        max_cmds: 200,
        results_dir: Some(dir.path().to_path_buf()),
        ..wire_latency::Options::quick(server.clone())
    };
    let lines = wire_latency::run(&o).unwrap();
    no_errors(&lines);
    let of = |engine: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["bench"] == "wire_latency" && l["engine"] == engine)
            .collect()
    };
    let echo = of("tcp-echo");
    assert_eq!(echo.len(), 2);
    for l in &echo {
        has(l, &LATENCY_FIELDS);
        has(l, &["transport", "req_bytes", "resp_bytes", "mode"]);
    }
    if server.is_some() {
        let ours = of("ringex");
        assert_eq!(ours.len(), 4, "2 transports x 2 rates");
        for l in &ours {
            has(l, &LATENCY_FIELDS);
            has(l, &["transport", "profile", "placement"]);
        }
        let ratios: Vec<&Value> = lines
            .iter()
            .filter(|l| l["bench"] == "wire_latency_ratio")
            .collect();
        assert_eq!(ratios.len(), 4);
        for r in ratios {
            has(
                r,
                &["profile", "transport", "rate", "p50_ratio", "p99_ratio"],
            );
        }
    }
    assert!(dir.path().join("wire_latency.svg").is_file());
}

#[test]
fn memory_reports_bytes_per_resting_order() {
    let mut o = memory::Options::new(3_000);
    o.symbols = 2;
    o.levels = 100;
    o.users = 10;
    let v = memory::run(&o).unwrap();
    has(
        &v,
        &[
            "orders",
            "bytes_per_order",
            "rss_before_bytes",
            "rss_after_bytes",
            "hwm_bytes",
        ],
    );
    assert_eq!(v["orders"], 3_000);
    assert!(v["rss_after_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn summary_renders_a_table_per_bench() {
    let lines = vec![
        serde_json::json!({"bench":"memory","orders":1000,"bytes_per_order":200.5,"rss_growth_bytes":200500}),
        serde_json::json!({"bench":"wire_latency_ratio","profile":"default","transport":"tcp","rate":1000,"p50_ratio":2.5,"p99_ratio":3.0}),
    ];
    let md = summary::markdown(&lines);
    assert!(md.contains("### Memory per resting order"));
    assert!(
        md.contains("| default | tcp | 1,000 | 2.500 | 3.000 |"),
        "{md}"
    );
}
