//! `replication-bench`: order round trip with replication on and off beside
//! the bare JetStream publish-ack of one batch of one order (the floor),
//! commands/s sustained by a replicated pair, and failover time from
//! `kill -9` of the primary to the first order the standby accepts.
//!
//! ```sh
//! cargo build --release -p gateway --bin ringex
//! source scripts/nats.sh; nats_start    # a 3-node cluster on loopback
//! cargo run --release -p benches --bin replication-bench
//! cargo run --release -p benches --bin replication-bench -- --quick
//! cargo run --release -p benches --bin replication-bench -- --nats nats://127.0.0.1:4222 --orders 5000 --lease-ms 2000
//! ```
//! Without a cluster (`--nats`, else `RINGEX_BENCH_NATS_URLS`, else
//! `RINGEX_TEST_NATS_URLS`) it prints a notice and exits 0. One JSON line
//! per measurement on stdout, appended to
//! `target/bench-results/replication.jsonl`; percentile distributions in
//! `target/bench-results/hgrm/`, the plot in
//! `target/bench-results/replication.svg`; progress and a table on stderr.

use benches::replication_bench::{run, Options, PARTS};
use benches::wire_latency::find_server;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    about = "Replication: order round trip on/off beside the JetStream floor, sustained commands/s, failover time"
)]
struct Cli {
    /// Small sizes: every part in well under 30 s.
    #[arg(long)]
    quick: bool,
    /// NATS client URLs, comma-separated (default: RINGEX_BENCH_NATS_URLS, else RINGEX_TEST_NATS_URLS).
    #[arg(long, value_name = "URLS")]
    nats: Option<String>,
    /// The ringex binary (default: next to this executable).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Sequential round trips recorded per path (default 2,000; quick 300).
    #[arg(long)]
    orders: Option<u64>,
    /// Sequential round trips before those, not recorded (default 200; quick 50).
    #[arg(long)]
    warmup: Option<u64>,
    /// Pipelined clients of the sustained runs (default 4; quick 2).
    #[arg(long)]
    clients: Option<usize>,
    /// Places each client keeps outstanding (default 32; quick 16).
    #[arg(long)]
    window: Option<usize>,
    /// Recorded seconds of each sustained run (default 3; quick 1).
    #[arg(long)]
    secs: Option<f64>,
    /// Seconds of each sustained run before those (default 0.5; quick 0.2).
    #[arg(long)]
    warmup_secs: Option<f64>,
    /// The pair's replication.lease_ms (failover waits for it to expire).
    #[arg(long, default_value_t = 1_000)]
    lease_ms: u64,
    /// Microseconds the floor sleeps between two publishes (untimed; default 0: back to back).
    #[arg(long, default_value_t = 0)]
    floor_gap_us: u64,
    /// Measurements, comma-separated: floor, round_trip, sustained, failover (default all).
    #[arg(long)]
    parts: Option<String>,
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only; write no files.
    #[arg(long)]
    no_append: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let nats = cli
        .nats
        .clone()
        .or_else(|| std::env::var("RINGEX_BENCH_NATS_URLS").ok())
        .or_else(|| std::env::var("RINGEX_TEST_NATS_URLS").ok())
        .filter(|u| !u.trim().is_empty());
    let server = cli.server.clone().or_else(find_server);
    if let Some(p) = &server {
        if !p.is_file() {
            eprintln!("replication-bench: no server binary at {}", p.display());
            return ExitCode::from(2);
        }
    }
    let mut o = if cli.quick {
        Options::quick(nats, server)
    } else {
        Options::full(nats, server)
    };
    if let Some(p) = &cli.parts {
        let parts: Vec<String> = p.split(',').map(|s| s.trim().to_string()).collect();
        if let Some(bad) = parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
            eprintln!("replication-bench: unknown part {bad:?} (expected {PARTS:?})");
            return ExitCode::from(2);
        }
        o.parts = parts;
    }
    macro_rules! set {
        ($($f:ident),*) => {$(if let Some(v) = cli.$f { o.$f = v; })*};
    }
    set!(orders, warmup, clients, window, secs, warmup_secs);
    if o.orders == 0 || o.clients == 0 || o.window == 0 || o.secs <= 0.0 {
        eprintln!("replication-bench: --orders, --clients, --window and --secs must be positive");
        return ExitCode::from(2);
    }
    if cli.lease_ms < 200 {
        eprintln!("replication-bench: --lease-ms is at least 200 (as replication.lease_ms)");
        return ExitCode::from(2);
    }
    o.lease_ms = cli.lease_ms;
    o.floor_gap_us = cli.floor_gap_us;
    o.results_dir = (!cli.no_append).then(|| {
        cli.results
            .unwrap_or_else(benches::results::default_results_dir)
    });
    match run(&o) {
        Ok(lines) if lines.iter().all(|l| l.get("error").is_none()) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("replication-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
