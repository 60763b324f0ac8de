//! `memory`: resident bytes per resting order, at 1 M and 10 M resting
//! orders (`--quick`: 100 k).
//!
//! ```sh
//! cargo run --release -p benches --bin memory
//! cargo run --release -p benches --bin memory -- --quick
//! cargo run --release -p benches --bin memory -- --orders 2000000 --symbols 4
//! ```
//! Each size runs in a fresh process (this binary starts itself with one
//! `--orders`), so memory an earlier size freed cannot hide growth. One JSON
//! line per size on stdout, appended to `target/bench-results/memory.jsonl`.

use benches::memory::{run, Options};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Resident bytes per resting order")]
struct Cli {
    /// 100,000 orders only.
    #[arg(long)]
    quick: bool,
    /// Resting orders, comma-separated (default 1000000,10000000).
    #[arg(long)]
    orders: Option<String>,
    #[arg(long, default_value_t = 8)]
    symbols: u32,
    /// Price levels per side of each symbol.
    #[arg(long, default_value_t = 10_000)]
    levels: u32,
    #[arg(long, default_value_t = 1_000)]
    users: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Results directory (default target/bench-results of the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only; append nothing.
    #[arg(long)]
    no_append: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let spec = cli.orders.clone().unwrap_or_else(|| {
        if cli.quick {
            "100000".into()
        } else {
            "1000000,10000000".into()
        }
    });
    let sizes: Result<Vec<u64>, _> = spec
        .split(',')
        .map(|s| s.trim().replace('_', "").parse::<u64>())
        .collect();
    let sizes = match sizes {
        Ok(s) if !s.is_empty() && s.iter().all(|&n| n > 0) => s,
        _ => {
            eprintln!("memory: --orders takes positive counts, comma-separated");
            return ExitCode::from(2);
        }
    };
    if sizes.len() > 1 {
        // One process per size.
        let Ok(exe) = std::env::current_exe() else {
            eprintln!("memory: cannot find this executable to run each size alone");
            return ExitCode::FAILURE;
        };
        let mut ok = true;
        for n in sizes {
            let mut c = std::process::Command::new(&exe);
            c.arg("--orders")
                .arg(n.to_string())
                .arg("--symbols")
                .arg(cli.symbols.to_string())
                .arg("--levels")
                .arg(cli.levels.to_string())
                .arg("--users")
                .arg(cli.users.to_string())
                .arg("--seed")
                .arg(cli.seed.to_string());
            if let Some(r) = &cli.results {
                c.arg("--results").arg(r);
            }
            if cli.no_append {
                c.arg("--no-append");
            }
            match c.status() {
                Ok(s) if s.success() => {}
                Ok(s) => {
                    eprintln!("memory: {n} orders: {s}");
                    ok = false;
                }
                Err(e) => {
                    eprintln!("memory: {n} orders: {e}");
                    ok = false;
                }
            }
        }
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut o = Options::new(sizes[0]);
    o.symbols = cli.symbols;
    o.levels = cli.levels;
    o.users = cli.users;
    o.seed = cli.seed;
    o.results_dir = (!cli.no_append).then(|| {
        cli.results
            .unwrap_or_else(benches::results::default_results_dir)
    });
    match run(&o) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("memory: {e}");
            ExitCode::FAILURE
        }
    }
}
