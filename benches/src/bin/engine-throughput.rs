//! `engine-throughput`: commands per second through ringex, `matchcore` and
//! `lobster`, single-threaded, on the same flow.
//!
//! ```sh
//! cargo run --release -p benches --bin engine-throughput -- --flow mix
//! cargo run --release -p benches --bin engine-throughput -- --flow all --cmds 100000 --runs 1
//! cargo run --release -p benches --bin engine-throughput -- --file mix.flow
//! ```
//! One JSON line per engine, then the ratios, on stdout and appended to
//! `target/bench-results/engine_throughput.jsonl`; progress on stderr.

use benches::flows::{FlowKind, FlowOptions, DEFAULT_SEED};
use benches::peers::EngineKind;
use benches::throughput::{run, Options, MIN_CMDS};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Engine throughput: ringex vs matchcore vs lobster, one thread, same commands")]
struct Cli {
    /// mix, deep, lobster, itch, equity (its five scenarios), one scenario
    /// (equity-static, -normal, -swing25, -swing40, -flash), or all.
    #[arg(long, default_value = "mix")]
    flow: String,
    /// Seed of generated flows.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Measured commands (generated flows: exactly, default 3,000,000, equity ~2M; data flows: at most).
    #[arg(long)]
    cmds: Option<u64>,
    /// Run this command file (written by `flowgen`) instead of building a flow.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Runs per engine; the best and the median are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// More runs until each engine has processed this many measured commands (short flows; 0: off).
    #[arg(long, default_value_t = MIN_CMDS)]
    min_cmds: u64,
    /// Comma-separated engines.
    #[arg(long, default_value = "ringex,matchcore,lobster")]
    engines: String,
    /// Directory holding lobster/ and itch/ (default ../shared/data beside the repository).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only; append nothing.
    #[arg(long)]
    no_append: bool,
    /// deep only: symbols (default 10,000).
    #[arg(long)]
    deep_symbols: Option<u32>,
    /// deep only: pre-filled resting orders (default 1,000,000).
    #[arg(long)]
    deep_orders: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let flows = if cli.flow == "all" {
        FlowKind::ALL.to_vec()
    } else if cli.flow == "equity" {
        FlowKind::ALL
            .into_iter()
            .filter(|k| matches!(k, FlowKind::Equity(_)))
            .collect()
    } else {
        match FlowKind::parse(&cli.flow) {
            Some(k) => vec![k],
            None => {
                eprintln!(
                    "unknown flow {:?}: mix, deep, lobster, itch, equity, equity-SCENARIO or all",
                    cli.flow
                );
                return ExitCode::from(2);
            }
        }
    };
    let mut engines = Vec::new();
    for name in cli.engines.split(',').filter(|s| !s.is_empty()) {
        match EngineKind::parse(name) {
            Some(k) => engines.push(k),
            None => {
                eprintln!("unknown engine {name:?}: ringex, matchcore, lobster");
                return ExitCode::from(2);
            }
        }
    }
    let mut flow = FlowOptions::new(
        cli.seed,
        cli.cmds,
        cli.data.unwrap_or_else(benches::data::default_data_dir),
    );
    flow.deep_symbols = cli.deep_symbols;
    flow.deep_orders = cli.deep_orders;
    let results_dir = if cli.no_append {
        None
    } else {
        Some(
            cli.results
                .unwrap_or_else(benches::results::default_results_dir),
        )
    };
    let o = Options {
        flows,
        flow,
        file: cli.file,
        runs: cli.runs,
        min_cmds: cli.min_cmds,
        engines,
        results_dir,
    };
    match run(&o) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engine-throughput: {e}");
            ExitCode::FAILURE
        }
    }
}
