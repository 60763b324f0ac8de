//! The markdown summary of benchmark results: reads the JSON lines under
//! `target/bench-results/*.jsonl` and prints one table per kind of line.
//!
//! What holds: every line that parses as a JSON object with a `bench` field
//! is shown exactly once, in the table of its `bench`; known benches get
//! chosen columns in a fixed order, any other bench (a new one, say
//! `md_fanout`) a table of all its fields, so nothing is dropped silently.
//! Lines that do not parse are counted and reported, never fatal. A *mark*
//! (the byte length of every results file at one moment) lets a script show
//! only what was appended after it, i.e. the lines of one run.
//!
//! What it must never do: write to the results files.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Byte length of each `*.jsonl` file of `dir`, by file name.
pub type Mark = BTreeMap<String, u64>;

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The current length of every results file.
pub fn mark(dir: &Path) -> Mark {
    jsonl_files(dir)
        .into_iter()
        .filter_map(|p| {
            let len = std::fs::metadata(&p).ok()?.len();
            Some((p.file_name()?.to_string_lossy().into_owned(), len))
        })
        .collect()
}

pub fn mark_to_json(m: &Mark) -> String {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(*v)))
            .collect::<Map<String, Value>>(),
    )
    .to_string()
}

pub fn mark_from_json(s: &str) -> Result<Mark, String> {
    let v: Value = serde_json::from_str(s).map_err(|e| format!("mark: {e}"))?;
    let o = v.as_object().ok_or("mark: not an object")?;
    Ok(o.iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
        .collect())
}

/// Result lines of `dir`: after `since` (a file absent from it is read
/// whole; a file shorter than its mark, i.e. truncated, is read whole), and
/// only those with `unix_s >= since_unix` when given. Also returns how many
/// lines did not parse.
pub fn read_lines(
    dir: &Path,
    since: Option<&Mark>,
    since_unix: Option<u64>,
) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut bad = 0;
    for p in jsonl_files(dir) {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let fname = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let from = since
            .and_then(|m| m.get(&fname).copied())
            .filter(|&n| n as usize <= bytes.len())
            .unwrap_or(0) as usize;
        for line in String::from_utf8_lossy(&bytes[from..]).lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line) {
                Ok(v) if v.get("bench").and_then(Value::as_str).is_some() => {
                    if let Some(t) = since_unix {
                        if v.get("unix_s")
                            .and_then(Value::as_u64)
                            .is_some_and(|u| u < t)
                        {
                            continue;
                        }
                    }
                    out.push(v)
                }
                _ => bad += 1,
            }
        }
    }
    (out, bad)
}

#[derive(Copy, Clone)]
enum Fmt {
    /// As it is (strings unquoted).
    Plain,
    /// An integer with thousands separators.
    Int,
    /// Nanoseconds shown in microseconds.
    Us,
    /// A ratio, 3 decimals.
    Ratio,
    /// Bytes shown in MiB.
    Mib,
    /// A rate: a number per second, or `max`.
    Rate,
    /// Seconds, 3 decimals.
    Secs,
}

/// `1234567` as `1,234,567`.
pub fn group_int(n: i128) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn cell(v: Option<&Value>, f: Fmt) -> String {
    let Some(v) = v else {
        return String::new();
    };
    if v.is_null() {
        return "–".into();
    }
    let num = v.as_f64();
    match (f, num) {
        (Fmt::Int, Some(x)) => group_int(x.round() as i128),
        (Fmt::Us, Some(x)) => {
            let us = x / 1000.0;
            if us >= 100.0 {
                group_int(us.round() as i128)
            } else {
                format!("{us:.1}")
            }
        }
        (Fmt::Ratio, Some(x)) => format!("{x:.3}"),
        (Fmt::Mib, Some(x)) => format!("{:.1}", x / (1024.0 * 1024.0)),
        (Fmt::Secs, Some(x)) => format!("{x:.3}"),
        (Fmt::Rate, Some(x)) => group_int(x.round() as i128),
        _ => match v {
            Value::String(s) => s.replace('|', "\\|"),
            other => other.to_string(),
        },
    }
}

type Cols = &'static [(&'static str, &'static str, Fmt)];

/// Known benches: title and columns.
fn known(bench: &str) -> Option<(&'static str, Cols)> {
    use Fmt::*;
    Some(match bench {
        "engine_throughput" => (
            "Engine throughput (one thread, commands/s)",
            &[
                ("flow", "flow", Plain),
                ("engine", "engine", Plain),
                ("cmds", "cmds", Int),
                ("best cmds/s", "cmds_per_s", Int),
                ("median cmds/s", "median_cmds_per_s", Int),
                ("runs", "runs", Int),
                ("trades", "trades", Int),
            ],
        ),
        "engine_throughput_ratio" => (
            "Engine throughput ratios",
            &[
                ("flow", "flow", Plain),
                ("ringex/matchcore", "ringex_over_matchcore", Ratio),
                ("ringex/lobster", "ringex_over_lobster", Ratio),
                (
                    "median ringex/matchcore",
                    "median_ringex_over_matchcore",
                    Ratio,
                ),
                ("median ringex/lobster", "median_ringex_over_lobster", Ratio),
            ],
        ),
        "pipeline_latency" => (
            "Pipeline latency (in process, journal on; µs, from intended send)",
            &[
                ("profile", "profile", Plain),
                ("journal", "durability", Plain),
                ("rate/s", "rate", Rate),
                ("achieved/s", "achieved", Int),
                ("p50", "p50_ns", Us),
                ("p90", "p90_ns", Us),
                ("p99", "p99_ns", Us),
                ("p99.9", "p999_ns", Us),
                ("p99.99", "p9999_ns", Us),
                ("max", "max_ns", Us),
                ("cmds", "cmds", Int),
            ],
        ),
        "wire_latency" => (
            "Wire latency over loopback (place -> new report; µs)",
            &[
                ("engine", "engine", Plain),
                ("transport", "transport", Plain),
                ("profile", "profile", Plain),
                ("rate/s", "rate", Rate),
                ("achieved/s", "achieved", Int),
                ("p50", "p50_ns", Us),
                ("p90", "p90_ns", Us),
                ("p99", "p99_ns", Us),
                ("p99.9", "p999_ns", Us),
                ("max", "max_ns", Us),
                ("count", "count", Int),
            ],
        ),
        "wire_latency_ratio" => (
            "Wire latency, ringex / TCP echo",
            &[
                ("profile", "profile", Plain),
                ("transport", "transport", Plain),
                ("rate/s", "rate", Rate),
                ("p50 ratio", "p50_ratio", Ratio),
                ("p99 ratio", "p99_ratio", Ratio),
                ("ringex p50 µs", "ringex_p50_ns", Us),
                ("echo p50 µs", "echo_p50_ns", Us),
                ("ringex p99 µs", "ringex_p99_ns", Us),
                ("echo p99 µs", "echo_p99_ns", Us),
            ],
        ),
        "memory" => (
            "Memory per resting order",
            &[
                ("orders", "orders", Int),
                ("bytes/order", "bytes_per_order", Plain),
                ("RSS growth MiB", "rss_growth_bytes", Mib),
                ("RSS after MiB", "rss_after_bytes", Mib),
                ("symbols", "symbols", Int),
                ("levels/side", "levels_per_side", Int),
                ("places/s", "places_per_s", Int),
            ],
        ),
        "journal_append" => (
            "Journal append",
            &[
                ("durability", "durability", Plain),
                ("prefault", "prefault", Plain),
                ("records", "records", Int),
                ("records/s", "records_per_s", Int),
                ("batch", "batch", Int),
                ("batch p99 µs", "batch_p99_us", Plain),
                ("max batch µs", "max_batch_us", Plain),
            ],
        ),
        "journal_read_verify" => (
            "Journal read and verify",
            &[
                ("records", "records", Int),
                ("records/s", "records_per_s", Int),
                ("MiB/s", "mib_per_s", Plain),
            ],
        ),
        "replay" => (
            "Replay to a state hash",
            &[
                ("cmds", "cmds", Int),
                ("cmds/s", "cmds_per_s", Int),
                ("secs", "secs", Secs),
            ],
        ),
        "recovery" => (
            "Recovery: snapshot plus journal tail",
            &[
                ("journaled", "journaled", Int),
                ("snapshot at", "snapshot_at", Int),
                ("replayed", "replayed", Int),
                ("recover secs", "recover_secs", Secs),
                ("snapshot load secs", "snapshot_load_secs", Secs),
                ("replay secs", "replay_secs", Secs),
            ],
        ),
        "md_fanout" => (
            "Market-data fan-out to WebSocket subscribers (latency in µs, trade to subscriber)",
            &[
                ("subscribers", "subscribers", Int),
                ("secs", "secs", Secs),
                ("book msgs/s", "book_msgs_per_s", Int),
                ("per subscriber/s", "book_msgs_per_s_per_subscriber", Int),
                ("trades delivered", "trades_delivered", Int),
                ("gaps", "gaps", Int),
                ("closed", "subscribers_closed", Int),
                ("p50", "trade_latency_p50_ns", Us),
                ("p99", "trade_latency_p99_ns", Us),
                ("p99.9", "trade_latency_p999_ns", Us),
                ("max", "trade_latency_max_ns", Us),
            ],
        ),
        "history_write" => (
            "History writer into an empty store (rows/s)",
            &[
                ("backend", "backend", Plain),
                ("cmds", "cmds", Int),
                ("rows written", "rows", Int),
                ("rows/s", "rows_per_s", Int),
                ("cmds/s", "cmds_per_s", Int),
                ("secs", "secs", Secs),
            ],
        ),
        "history_lag" => (
            "History writer lag at a steady rate (inputs offered but not stored)",
            &[
                ("backend", "backend", Plain),
                ("rate/s", "rate", Rate),
                ("achieved/s", "achieved", Int),
                ("lag p50", "lag_p50", Int),
                ("lag p99", "lag_p99", Int),
                ("lag max", "lag_max", Int),
                ("drain secs", "drain_secs", Secs),
                ("dropped", "dropped", Int),
            ],
        ),
        "history_pipeline" => (
            "Pipeline throughput, history store off and on (commands/s)",
            &[
                ("backend", "backend", Plain),
                ("cmds", "cmds", Int),
                ("off", "off_cmds_per_s", Int),
                ("on", "on_cmds_per_s", Int),
                ("on/off", "on_over_off", Ratio),
                ("drain secs", "drain_secs", Secs),
            ],
        ),
        "history_catch_up" => (
            "History catch-up from the journal into an empty store",
            &[
                ("backend", "backend", Plain),
                ("cmds", "cmds", Int),
                ("rows", "rows", Int),
                ("secs", "secs", Secs),
                ("cmds/s", "cmds_per_s", Int),
                ("rows/s", "rows_per_s", Int),
            ],
        ),
        "replication_round_trip" => (
            "Replication: order round trip (place -> new report over binary TCP, sequential) beside the JetStream publish-ack of one batch; µs",
            &[
                ("path", "path", Plain),
                ("msg bytes", "msg_bytes", Int),
                ("achieved/s", "achieved", Int),
                ("p50", "p50_ns", Us),
                ("p90", "p90_ns", Us),
                ("p99", "p99_ns", Us),
                ("p99.9", "p999_ns", Us),
                ("max", "max_ns", Us),
                ("count", "count", Int),
            ],
        ),
        "replication_round_trip_ratio" => (
            "Replication: round trip on / off, and what it adds beside the floor",
            &[
                ("on/off p50", "on_over_off_p50", Ratio),
                ("on/off p99", "on_over_off_p99", Ratio),
                ("added p50 µs", "added_p50_ns", Us),
                ("floor p50 µs", "floor_p50_ns", Us),
                ("added/floor p50", "added_over_floor_p50", Ratio),
                ("on/floor p50", "on_over_floor_p50", Ratio),
                ("on/floor p99", "on_over_floor_p99", Ratio),
            ],
        ),
        "replication_sustained" => (
            "Replication: acknowledged orders/s sustained by pipelined clients",
            &[
                ("replication", "replication", Plain),
                ("clients", "clients", Int),
                ("window", "window", Int),
                ("secs", "secs", Secs),
                ("cmds/s", "cmds_per_s", Int),
                ("stream msgs", "stream_msgs", Int),
                ("records/msg", "records_per_msg", Plain),
            ],
        ),
        "replication_failover" => (
            "Replication: failover, kill -9 of the primary to the first accepted order",
            &[
                ("lease ms", "lease_ms", Int),
                ("failover ms", "failover_ms", Plain),
                ("over lease ms", "over_lease_ms", Plain),
                ("attempts", "attempts", Int),
                ("new role", "new_role", Plain),
                ("new epoch", "new_epoch", Plain),
            ],
        ),
        _ => return None,
    })
}

const ORDER: [&str; 20] = [
    "engine_throughput",
    "engine_throughput_ratio",
    "pipeline_latency",
    "wire_latency",
    "wire_latency_ratio",
    "memory",
    "journal_append",
    "journal_read_verify",
    "replay",
    "recovery",
    "md_fanout",
    "md_fanout_latency",
    "history_write",
    "history_lag",
    "history_pipeline",
    "history_catch_up",
    "replication_round_trip",
    "replication_round_trip_ratio",
    "replication_sustained",
    "replication_failover",
];

fn table(out: &mut String, heads: &[String], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", heads.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        heads.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
}

/// The markdown of `lines`: one section per bench.
pub fn markdown(lines: &[Value]) -> String {
    let mut by: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for v in lines {
        if let Some(b) = v.get("bench").and_then(Value::as_str) {
            by.entry(b.to_string()).or_default().push(v);
        }
    }
    let mut names: Vec<String> = ORDER
        .iter()
        .filter(|n| by.contains_key(**n))
        .map(|n| n.to_string())
        .collect();
    names.extend(by.keys().filter(|k| !ORDER.contains(&k.as_str())).cloned());
    let mut out = String::new();
    for name in names {
        let rows = &by[&name];
        let has_error = rows.iter().any(|v| v.get("error").is_some());
        match known(&name) {
            Some((title, cols)) => {
                let _ = writeln!(out, "### {title}\n");
                let mut heads: Vec<String> = cols.iter().map(|c| c.0.to_string()).collect();
                if has_error {
                    heads.push("error".into());
                }
                let body: Vec<Vec<String>> = rows
                    .iter()
                    .map(|v| {
                        let mut r: Vec<String> =
                            cols.iter().map(|(_, k, f)| cell(v.get(*k), *f)).collect();
                        if has_error {
                            r.push(cell(v.get("error"), Fmt::Plain));
                        }
                        r
                    })
                    .collect();
                table(&mut out, &heads, &body);
            }
            None => {
                let _ = writeln!(out, "### {name}\n");
                let mut keys: Vec<String> = Vec::new();
                for v in rows {
                    if let Some(o) = v.as_object() {
                        for k in o.keys() {
                            if k != "bench" && k != "unix_s" && !keys.contains(k) {
                                keys.push(k.clone());
                            }
                        }
                    }
                }
                let body: Vec<Vec<String>> = rows
                    .iter()
                    .map(|v| keys.iter().map(|k| cell(v.get(k), Fmt::Plain)).collect())
                    .collect();
                table(&mut out, &keys, &body);
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_and_unknown_benches_render() {
        let lines = vec![
            json!({"bench":"pipeline_latency","profile":"default","durability":"os","rate":1000000,"achieved":999000.0,"p50_ns":1500,"p90_ns":2500,"p99_ns":12000,"p999_ns":150000,"p9999_ns":900000,"max_ns":1200000,"cmds":10}),
            json!({"bench":"pipeline_latency","profile":"default","durability":"os","rate":"max","error":"timed out"}),
            json!({"bench":"md_fanout_x","subscribers":10,"msgs_per_s":12345}),
        ];
        let md = markdown(&lines);
        assert!(md.contains("| default | os | 1,000,000 | 999,000 | 1.5 | 2.5 | 12.0 | 150 | 900 | 1,200 | 10 |"), "{md}");
        assert!(md.contains("max"));
        assert!(md.contains("timed out"));
        assert!(md.contains("### md_fanout_x"));
        assert!(md.contains("| msgs_per_s | subscribers |"), "{md}");
    }

    #[test]
    fn marks_limit_lines_to_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.jsonl");
        std::fs::write(&f, "{\"bench\":\"x\",\"n\":1}\n").unwrap();
        let m = mark(dir.path());
        let m = mark_from_json(&mark_to_json(&m)).unwrap();
        std::fs::write(
            &f,
            "{\"bench\":\"x\",\"n\":1}\n{\"bench\":\"x\",\"n\":2}\nnot json\n",
        )
        .unwrap();
        let (lines, bad) = read_lines(dir.path(), Some(&m), None);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["n"], 2);
        assert_eq!(bad, 1);
        let (all, _) = read_lines(dir.path(), None, None);
        assert_eq!(all.len(), 2);
    }
}
