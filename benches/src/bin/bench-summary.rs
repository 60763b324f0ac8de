//! `bench-summary`: markdown tables of the benchmark results.
//!
//! ```sh
//! cargo run --release -p benches --bin bench-summary                 # every line of target/bench-results/*.jsonl
//! bench-summary --mark-out MARK     # remember how long each results file is now
//! bench-summary --since-mark MARK   # only what was appended after that
//! bench-summary --since-unix 1700000000
//! ```

use benches::summary::{mark, mark_from_json, mark_to_json, markdown, read_lines};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Markdown summary of target/bench-results/*.jsonl")]
struct Cli {
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Write the current length of every results file to this file, print nothing else.
    #[arg(long)]
    mark_out: Option<PathBuf>,
    /// Only lines appended after this mark.
    #[arg(long)]
    since_mark: Option<PathBuf>,
    /// Only lines whose unix_s is at least this (lines without one are kept).
    #[arg(long)]
    since_unix: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let dir = cli
        .results
        .unwrap_or_else(benches::results::default_results_dir);
    if let Some(out) = &cli.mark_out {
        return match std::fs::write(out, mark_to_json(&mark(&dir))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench-summary: {}: {e}", out.display());
                ExitCode::FAILURE
            }
        };
    }
    let since = match &cli.since_mark {
        None => None,
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|s| mark_from_json(&s))
        {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("bench-summary: {}: {e}", p.display());
                return ExitCode::FAILURE;
            }
        },
    };
    let (lines, bad) = read_lines(&dir, since.as_ref(), cli.since_unix);
    if lines.is_empty() {
        println!("(no benchmark results in {})", dir.display());
    } else {
        print!("{}", markdown(&lines));
    }
    if bad > 0 {
        eprintln!("bench-summary: {bad} lines skipped (not a JSON object with a \"bench\" field)");
    }
    ExitCode::SUCCESS
}
