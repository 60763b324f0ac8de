//! `history-bench`: what the history store sustains and costs, on SQLite
//! and (with a URL) PostgreSQL: rows/s of the writer, its lag at steady
//! rates through the real pipeline, pipeline throughput with the store on
//! and off, and catch-up time of a journal into an empty store.
//!
//! ```sh
//! cargo run --release -p benches --bin history-bench
//! cargo run --release -p benches --bin history-bench -- --smoke
//! cargo run --release -p benches --bin history-bench -- --pg postgres://ringex@127.0.0.1:5432/ringex
//! ```
//! One JSON line per measurement and backend on stdout, appended to
//! `target/bench-results/history.jsonl`; progress on stderr. The PostgreSQL
//! runs each get a fresh database on the server `--pg` (or
//! `RINGEX_TEST_PG_URL`) names.

use benches::history_bench::{run, Options, PARTS};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "History store: writer rows/s, lag at steady rates, pipeline cost, catch-up")]
struct Cli {
    /// Tiny sizes (a CI smoke run of a few seconds).
    #[arg(long)]
    smoke: bool,
    /// PostgreSQL server for the postgres runs (default: RINGEX_TEST_PG_URL; none: SQLite only).
    #[arg(long, value_name = "URL")]
    pg: Option<String>,
    /// PostgreSQL only.
    #[arg(long)]
    no_sqlite: bool,
    /// Measurements, comma-separated: write, lag, pipeline, catch_up (default all).
    #[arg(long)]
    parts: Option<String>,
    /// Commands offered to the writer (default 1,000,000; smoke 5,000).
    #[arg(long)]
    write_cmds: Option<u64>,
    /// Steady rates of the lag runs, comma-separated (default 100k,500k; smoke 100k).
    #[arg(long)]
    lag_rates: Option<String>,
    /// Seconds per lag run (default 2; smoke 0.05).
    #[arg(long)]
    lag_secs: Option<f64>,
    /// Commands of each pipeline run, store off and on (default 1,000,000; smoke 5,000).
    #[arg(long)]
    pipeline_cmds: Option<u64>,
    /// Journaled commands caught up (default 1,000,000; smoke 5,000).
    #[arg(long)]
    catch_up_cmds: Option<u64>,
    /// Seed of the mix flow.
    #[arg(long, default_value_t = benches::flows::DEFAULT_SEED)]
    seed: u64,
    /// Parent of the temporary data directories (default: the system's temp dir).
    #[arg(long)]
    tmp: Option<PathBuf>,
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only; write no files.
    #[arg(long)]
    no_append: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut o = if cli.smoke {
        Options::smoke()
    } else {
        Options::full()
    };
    if let Some(p) = &cli.parts {
        let parts: Vec<String> = p.split(',').map(|s| s.trim().to_string()).collect();
        if let Some(bad) = parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
            eprintln!("history-bench: unknown part {bad:?} (expected {PARTS:?})");
            return ExitCode::from(2);
        }
        o.parts = parts;
    }
    if let Some(r) = &cli.lag_rates {
        match benches::latency::Rate::parse_list(r) {
            Ok(rates) => {
                o.lag_rates = rates
                    .into_iter()
                    .filter_map(|r| match r {
                        benches::latency::Rate::PerSec(n) => Some(n),
                        benches::latency::Rate::Max => None,
                    })
                    .collect()
            }
            Err(e) => {
                eprintln!("history-bench: {e}");
                return ExitCode::from(2);
            }
        }
    }
    macro_rules! set {
        ($($f:ident),*) => {$(if let Some(v) = cli.$f { o.$f = v; })*};
    }
    set!(write_cmds, lag_secs, pipeline_cmds, catch_up_cmds);
    o.seed = cli.seed;
    o.pg_url = cli.pg.or_else(|| std::env::var("RINGEX_TEST_PG_URL").ok());
    o.no_sqlite = cli.no_sqlite;
    if o.no_sqlite && o.pg_url.is_none() {
        eprintln!("history-bench: --no-sqlite needs --pg URL");
        return ExitCode::from(2);
    }
    o.tmp_dir = cli.tmp;
    o.results_dir = (!cli.no_append).then(|| {
        cli.results
            .unwrap_or_else(benches::results::default_results_dir)
    });
    match run(&o) {
        Ok(lines) if lines.iter().all(|l| l.get("error").is_none()) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("history-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
