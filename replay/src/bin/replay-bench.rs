//! `replay-bench`: how fast `ringex-replay run` replays, and how long
//! recovery from a snapshot takes.
//!
//! Generates one journal of the `mix` workload (`replay::workload`) in a
//! temporary directory, then measures, with the code `ringex-replay` runs:
//! - `run --from-scratch --to N` for each `--cmds N` (default 1 M and 10 M):
//!   `{"bench":"replay","cmds":N,"secs":S,"cmds_per_s":X,...}`;
//! - `snapshot --at A` then `run` (snapshot at `A`, default 90 % of the
//!   journal), as a restart would recover:
//!   `{"bench":"recovery","journaled":N,"snapshot_at":A,"secs":S,...}`.
//!
//! Each line is printed and appended to `target/bench-results/replay.jsonl`
//! (under `CARGO_TARGET_DIR` when set). The journal is read from the page
//! cache (it was just written): these are CPU numbers, not disk numbers.
//! Use `--cmds 20000` for a smoke run.
//!
//! What it must never do: touch a data directory but its own (a temporary
//! one deleted at the end, or a new one named by `--keep`), or report a number for a replay whose final state
//! hash differs from the generator's.

use clap::Parser;
use replay::output::per_second;
use replay::run::{self, RunArgs};
use replay::snapshot::{self, SnapshotArgs};
use replay::workload::{write_journal, Workload, WorkloadParams};
use replay::Ctx;
use serde_json::{json, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "replay-bench",
    about = "Replay and recovery benchmark of ringex-replay"
)]
struct Args {
    /// Commands to replay from scratch (repeatable); the journal holds the largest
    #[arg(long = "cmds", value_name = "N", default_values_t = [1_000_000u64, 10_000_000])]
    cmds: Vec<u64>,
    /// Sequence of the recovery snapshot (default: 90 % of the journal)
    #[arg(long, value_name = "SEQ")]
    snapshot_at: Option<u64>,
    /// Seed of the workload
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Parent of the temporary data directory (default: the system's)
    #[arg(long, value_name = "DIR", conflicts_with = "keep")]
    tmp: Option<PathBuf>,
    /// Generate the journal into DIR (which must not exist) and keep it, for
    /// timing `ringex-replay` by hand afterwards
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Print only; do not append to the results file
    #[arg(long)]
    no_save: bool,
}

fn results_file() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target.join("bench-results").join("replay.jsonl")
}

fn unix_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct Results {
    file: Option<std::fs::File>,
}

impl Results {
    fn line(&mut self, v: Value) -> std::io::Result<()> {
        let s = v.to_string();
        println!("{s}");
        if let Some(f) = self.file.as_mut() {
            f.write_all(format!("{s}\n").as_bytes())?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    match bench(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("replay-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut sizes = args.cmds.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let journaled = *sizes.last().ok_or("no --cmds")?;
    let snapshot_at = args.snapshot_at.unwrap_or(journaled / 10 * 9).max(1);
    if snapshot_at > journaled {
        return Err(
            format!("--snapshot-at {snapshot_at} is beyond the journal ({journaled})").into(),
        );
    }
    let mut results = Results {
        file: if args.no_save {
            None
        } else {
            let path = results_file();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            Some(OpenOptions::new().create(true).append(true).open(&path)?)
        },
    };
    let tmp = match (&args.keep, &args.tmp) {
        (Some(_), _) => None,
        (None, Some(parent)) => Some(tempfile::tempdir_in(parent)?),
        (None, None) => Some(tempfile::tempdir()?),
    };
    let dir = match (&tmp, &args.keep) {
        (Some(t), _) => t.path().to_path_buf(),
        (None, Some(keep)) => {
            if keep.exists() {
                return Err(format!("--keep {} already exists", keep.display()).into());
            }
            keep.clone()
        }
        (None, None) => unreachable!("a temporary directory unless --keep"),
    };
    let quiet = Ctx { quiet: true };

    eprintln!("replay-bench: generating {journaled} commands of the mix workload");
    let t = Instant::now();
    let mut workload = Workload::new(WorkloadParams::mix(args.seed, journaled));
    let last = write_journal(&dir, workload.by_ref(), None)?;
    let expected_hash = workload.engine().state_hash();
    drop(workload);
    eprintln!(
        "replay-bench: journaled {last} commands in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    for &n in &sizes {
        let r = run::execute(
            &RunArgs {
                dir: dir.clone(),
                to: Some(n),
                from_scratch: true,
            },
            &quiet,
        )?;
        if n == journaled && r.state_hash != expected_hash {
            return Err("the replayed state differs from the generator's".into());
        }
        results.line(json!({
            "bench": "replay",
            "cmds": r.cmds,
            "secs": r.secs,
            "cmds_per_s": per_second(r.cmds, r.secs).round() as u64,
            "total_secs": r.total_secs,
            "workload": "mix",
            "seed": args.seed,
            "unix_s": unix_s(),
        }))?;
    }

    let t = Instant::now();
    let snap = snapshot::execute(
        &SnapshotArgs {
            dir: dir.clone(),
            at: snapshot_at,
        },
        &quiet,
    )?;
    let snapshot_secs = t.elapsed().as_secs_f64();
    let snapshot_bytes = std::fs::metadata(&snap.path)?.len();
    let r = run::execute(
        &RunArgs {
            dir: dir.clone(),
            to: None,
            from_scratch: false,
        },
        &quiet,
    )?;
    if r.state_hash != expected_hash || r.snapshot.as_ref().map(|s| s.seq) != Some(snapshot_at) {
        return Err("recovery did not start from the snapshot or reached another state".into());
    }
    let t = Instant::now();
    let rec = journal::recovery::recover(&dir, engine::EngineLimits::default())?;
    let recover_secs = t.elapsed().as_secs_f64();
    if rec.engine.state_hash() != expected_hash {
        return Err("journal::recovery::recover reached another state".into());
    }
    results.line(json!({
        "bench": "recovery",
        "journaled": journaled,
        "snapshot_at": snapshot_at,
        "secs": r.total_secs,
        "replayed": r.cmds,
        "snapshot_load_secs": r.snapshot.as_ref().map_or(0.0, |s| s.load_secs),
        "replay_secs": r.secs,
        "recover_secs": recover_secs,
        "snapshot_write_secs": snapshot_secs,
        "snapshot_bytes": snapshot_bytes,
        "workload": "mix",
        "seed": args.seed,
        "unix_s": unix_s(),
    }))?;
    Ok(())
}
