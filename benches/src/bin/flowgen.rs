//! `flowgen`: builds a flow and writes it to a command file, once, so that
//! every engine runs exactly the same commands.
//!
//! ```sh
//! cargo run --release -p benches --bin flowgen -- --flow mix --seed 7 --cmds 3000000 --out mix.flow
//! ```
//! Prints one JSON line: the flow, its sizes, the file, and what the
//! reference model expects of the measured part (trading fraction,
//! unknown-order fraction, …).

use benches::flowfile::write_flow;
use benches::flows::{build, FlowError, FlowKind, FlowOptions, DEFAULT_SEED};
use clap::Parser;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    about = "Write a benchmark flow (mix, deep, lobster, itch, equity-SCENARIO) to a command file"
)]
struct Cli {
    /// mix, deep, lobster, itch, or equity-static|normal|swing25|swing40|flash (equity: normal).
    #[arg(long)]
    flow: String,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Measured commands (generated flows: exactly, default 3,000,000, equity ~2M; data flows: at most).
    #[arg(long)]
    cmds: Option<u64>,
    /// The command file to write.
    #[arg(long)]
    out: PathBuf,
    /// Directory holding lobster/ and itch/ (default ../shared/data beside the repository).
    #[arg(long)]
    data: Option<PathBuf>,
    /// deep only: symbols (default 10,000).
    #[arg(long)]
    deep_symbols: Option<u32>,
    /// deep only: pre-filled resting orders (default 1,000,000).
    #[arg(long)]
    deep_orders: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(kind) = FlowKind::parse(&cli.flow) else {
        eprintln!(
            "unknown flow {:?}: mix, deep, lobster, itch, equity or equity-static|normal|swing25|swing40|flash",
            cli.flow
        );
        return ExitCode::from(2);
    };
    let mut o = FlowOptions::new(
        cli.seed,
        cli.cmds,
        cli.data.unwrap_or_else(benches::data::default_data_dir),
    );
    o.deep_symbols = cli.deep_symbols;
    o.deep_orders = cli.deep_orders;
    let (flow, stats) = match build(kind, &o) {
        Ok(x) => x,
        Err(FlowError::MissingData(p)) => {
            benches::data::notice_missing(&format!("flow {kind}"), &p);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("flowgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = match write_flow(&flow, &cli.out) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("flowgen: {}: {e}", cli.out.display());
            return ExitCode::FAILURE;
        }
    };
    let mut line = json!({
        "flow": flow.name,
        "seed": flow.seed,
        "file": cli.out.display().to_string(),
        "bytes": bytes,
    });
    if let (Some(l), serde_json::Value::Object(s)) = (line.as_object_mut(), stats.to_json()) {
        l.extend(s);
    }
    println!("{line}");
    ExitCode::SUCCESS
}
