//! `wire-latency`: round trip of a place and its `new` report through the
//! real `ringex` server over loopback (binary TCP and WebSocket), beside a
//! bare TCP echo of the same message sizes, coordinated omission corrected.
//!
//! ```sh
//! cargo build --release -p gateway --bin ringex
//! cargo run --release -p benches --bin wire-latency
//! cargo run --release -p benches --bin wire-latency -- --quick
//! cargo run --release -p benches --bin wire-latency -- --server target/release/ringex --profile default --rates 1k,max
//! ```
//! One JSON line per (engine, transport, profile, rate) and a ratio line per
//! (profile, transport, rate) on stdout, appended to
//! `target/bench-results/wire_latency.jsonl`; percentile distributions in
//! `target/bench-results/hgrm/`, the plot in
//! `target/bench-results/wire_latency.svg`; progress on stderr.

use benches::latency::Rate;
use benches::wire_latency::{find_server, run, Options, Transport};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Wire latency of the ringex server over loopback vs a TCP echo")]
struct Cli {
    /// Both profiles, both transports, every rate, within a minute.
    #[arg(long)]
    quick: bool,
    /// The ringex binary (default: next to this executable).
    #[arg(long)]
    server: Option<PathBuf>,
    /// default, low_latency, or both.
    #[arg(long, default_value = "both")]
    profile: String,
    /// tcp, ws, or both.
    #[arg(long, default_value = "both")]
    transport: String,
    /// Offered rates, comma-separated (1k, 10k, 50k, max = closed loop).
    #[arg(long, default_value = "1k,10k,50k,max")]
    rates: String,
    /// Recorded seconds per measurement (default 5; quick 0.5).
    #[arg(long)]
    secs: Option<f64>,
    /// Warm-up seconds per measurement (default 1; quick 0.1).
    #[arg(long)]
    warmup_secs: Option<f64>,
    /// Skip the TCP echo (and the ratios).
    #[arg(long)]
    no_echo: bool,
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only; write no files.
    #[arg(long)]
    no_append: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let server = cli.server.clone().or_else(find_server);
    if let Some(p) = &server {
        if !p.is_file() {
            eprintln!("wire-latency: no server binary at {}", p.display());
            return ExitCode::from(2);
        }
    }
    let mut o = if cli.quick {
        Options::quick(server)
    } else {
        Options::full(server)
    };
    o.profiles = match cli.profile.as_str() {
        "both" => vec!["default".into(), "low_latency".into()],
        "default" | "low_latency" => vec![cli.profile.clone()],
        other => {
            eprintln!("wire-latency: unknown profile {other:?}");
            return ExitCode::from(2);
        }
    };
    o.transports = match cli.transport.as_str() {
        "both" => vec![Transport::Tcp, Transport::Ws],
        "tcp" => vec![Transport::Tcp],
        "ws" => vec![Transport::Ws],
        other => {
            eprintln!("wire-latency: unknown transport {other:?}");
            return ExitCode::from(2);
        }
    };
    o.rates = match Rate::parse_list(&cli.rates) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wire-latency: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(s) = cli.secs {
        o.secs = s;
    }
    if let Some(s) = cli.warmup_secs {
        o.warmup_secs = s;
    }
    o.echo = !cli.no_echo;
    o.results_dir = (!cli.no_append).then(|| {
        cli.results
            .unwrap_or_else(benches::results::default_results_dir)
    });
    match run(&o) {
        Ok(lines) if lines.iter().all(|l| l.get("error").is_none()) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("wire-latency: {e}");
            ExitCode::FAILURE
        }
    }
}
