//! `pipeline-latency`: latency through the real pipeline (inbound ring,
//! journaler, business logic, outbound ring) in this process, at fixed
//! offered rates, coordinated omission corrected.
//!
//! ```sh
//! cargo run --release -p benches --bin pipeline-latency
//! cargo run --release -p benches --bin pipeline-latency -- --quick
//! cargo run --release -p benches --bin pipeline-latency -- --profile low_latency --durability fsync --rates 100k,1m
//! ```
//! One JSON line per (profile, durability, rate) on stdout, appended to
//! `target/bench-results/pipeline_latency.jsonl`; percentile distributions in
//! `target/bench-results/hgrm/`, the plot in
//! `target/bench-results/pipeline_latency.svg`; progress on stderr.

use benches::latency::Rate;
use benches::pipeline_latency::{parse_durabilities, run, Options, Profile};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Pipeline latency at fixed offered rates (in process, journal on)")]
struct Cli {
    /// A smoke run of a few seconds (short runs, at most 300,000 commands each).
    #[arg(long)]
    quick: bool,
    /// default, low_latency, or both.
    #[arg(long, default_value = "both")]
    profile: String,
    /// os, fsync or both.
    #[arg(long, default_value = "os")]
    durability: String,
    /// Offered rates, comma-separated (100k, 1m, 3m, 5m, max).
    #[arg(long, default_value = "100k,1m,3m,5m,max")]
    rates: String,
    /// Recorded seconds per rate (default 2; quick 0.2).
    #[arg(long)]
    secs: Option<f64>,
    /// Warm-up seconds per rate, not recorded (default 0.5; quick 0.05).
    #[arg(long)]
    warmup_secs: Option<f64>,
    /// Most commands per run, warm-up included; also the size of a max run (default 5,000,000; quick 300,000).
    #[arg(long)]
    max_cmds: Option<u64>,
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
    /// Inbound ring slots (default: the server's default).
    #[arg(long)]
    inbound_size: Option<usize>,
    /// Outbound ring slots (default: the server's default).
    #[arg(long)]
    outbound_size: Option<usize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut o = if cli.quick {
        Options::quick()
    } else {
        Options::full()
    };
    let parsed = (|| -> Result<(), String> {
        o.profiles = Profile::parse_list(&cli.profile)?;
        o.durabilities = parse_durabilities(&cli.durability)?;
        o.rates = Rate::parse_list(&cli.rates)?;
        Ok(())
    })();
    if let Err(e) = parsed {
        eprintln!("pipeline-latency: {e}");
        return ExitCode::from(2);
    }
    if let Some(s) = cli.secs {
        o.secs = s;
    }
    if let Some(s) = cli.warmup_secs {
        o.warmup_secs = s;
    }
    if let Some(n) = cli.max_cmds {
        o.max_cmds = n;
    }
    o.seed = cli.seed;
    if let Some(n) = cli.inbound_size {
        o.inbound_size = n;
    }
    if let Some(n) = cli.outbound_size {
        o.outbound_size = n;
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
            eprintln!("pipeline-latency: {e}");
            ExitCode::FAILURE
        }
    }
}
