//! `md-fanout`: book-delta messages per second delivered to 1, 10 and 100
//! WebSocket subscribers of a real `ringex`, and trade-to-subscriber latency.
//!
//! ```sh
//! cargo build --release -p gateway --bin ringex
//! cargo run --release -p benches --bin md-fanout            # 1, 10, 100 subscribers, 5 s each
//! cargo run --release -p benches --bin md-fanout -- --quick # 1 and 10, 1 s each
//! ```
//! One JSON line per subscriber count on stdout, appended to
//! `target/bench-results/md_fanout.jsonl`.

use benches::md_fanout::{run, Options};
use benches::results::{default_results_dir, ResultsWriter};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Market-data fan-out to WebSocket subscribers")]
struct Cli {
    /// 1 and 10 subscribers, 1 s each.
    #[arg(long)]
    quick: bool,
    /// Subscriber counts, comma-separated (default 1,10,100).
    #[arg(long)]
    subscribers: Option<String>,
    /// Seconds of load per subscriber count.
    #[arg(long)]
    secs: Option<f64>,
    /// The ringex binary (default: next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only; append nothing.
    #[arg(long)]
    no_append: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut o = if cli.quick {
        Options::quick(cli.server)
    } else {
        Options::full(cli.server)
    };
    if let Some(s) = cli.subscribers {
        match s
            .split(',')
            .map(|x| x.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) if !v.is_empty() && v.iter().all(|&n| n > 0) => o.subscribers = v,
            _ => {
                eprintln!("md-fanout: --subscribers takes positive counts, comma-separated");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(s) = cli.secs {
        o.secs = s;
    }
    let mut w = if cli.no_append {
        ResultsWriter::stdout_only()
    } else {
        match ResultsWriter::open(
            &cli.results.unwrap_or_else(default_results_dir),
            "md_fanout",
        ) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("md-fanout: results: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    match run(&o) {
        Ok(lines) => {
            for l in &lines {
                if let Err(e) = w.line(l) {
                    eprintln!("md-fanout: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("md-fanout: {e}");
            ExitCode::FAILURE
        }
    }
}
