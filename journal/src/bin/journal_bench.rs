//! journal-bench: append rate of 64-byte records with prefault on and off in
//! both durability modes, then read-and-verify rate.
//!
//! ```text
//! cargo run --release -p journal --bin journal-bench -- [--records N] [--dir DIR]
//!     [--quick] [--segment-mib M] [--batch B] [--fsync-records N]
//!     [--durability os|fsync|both] [--prefault on|off|both] [--rate R] [--out FILE]
//! ```
//!
//! Prints one JSON line per result and appends it to
//! `target/bench-results/journal.jsonl` (or `--out`). Each case writes into
//! a fresh directory under `--dir` (default: a new directory in the system
//! temp dir) and removes it afterwards. Opening the journal (which prefaults
//! the first segment when prefault is on) and the final sync are not timed.
//! `--fsync-records` (default: a tenth of `--records`) sizes the `fsync`
//! cases, which are bound by the device's flush latency. The read-and-verify pass reads
//! the journal the first case wrote, from a warm page cache. `--rate R`
//! paces appends at R records/s (spinning between batches) so that
//! `max_batch_us` shows whether a rollover stalls the writer when it is not
//! saturated (`batch_*_us`: time to append and flush one batch);
//! `writer_minor_faults` counts the page faults the appending
//! thread took (Linux).

use journal::{Durability, Journal, JournalConfig};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const PAYLOAD: [u8; 64] = [0x5A; 64];

struct Args {
    records: u64,
    fsync_records: Option<u64>,
    dir: Option<PathBuf>,
    segment_mib: u64,
    batch: u64,
    out: Option<PathBuf>,
    durabilities: Vec<Durability>,
    prefaults: Vec<bool>,
    /// Records per second to pace appends at (`None`: as fast as possible).
    rate: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        records: 2_000_000,
        fsync_records: None,
        dir: None,
        segment_mib: 64,
        batch: 64,
        out: None,
        durabilities: vec![Durability::Os, Durability::Fsync],
        prefaults: vec![true, false],
        rate: None,
    };
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, flag: &str| -> Result<u64, String> {
        v.ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--records" => a.records = num(it.next(), "--records")?,
            "--fsync-records" => a.fsync_records = Some(num(it.next(), "--fsync-records")?),
            "--rate" => a.rate = Some(num(it.next(), "--rate")?.max(1)),
            "--segment-mib" => a.segment_mib = num(it.next(), "--segment-mib")?,
            "--batch" => a.batch = num(it.next(), "--batch")?.max(1),
            "--dir" => a.dir = Some(it.next().ok_or("--dir needs a value")?.into()),
            "--out" => a.out = Some(it.next().ok_or("--out needs a value")?.into()),
            "--durability" => {
                a.durabilities = match it.next().as_deref() {
                    Some("os") => vec![Durability::Os],
                    Some("fsync") => vec![Durability::Fsync],
                    Some("both") => vec![Durability::Os, Durability::Fsync],
                    _ => return Err("--durability takes os, fsync or both".into()),
                }
            }
            "--prefault" => {
                a.prefaults = match it.next().as_deref() {
                    Some("on") => vec![true],
                    Some("off") => vec![false],
                    Some("both") => vec![true, false],
                    _ => return Err("--prefault takes on, off or both".into()),
                }
            }
            "--quick" => {
                a.records = 100_000;
                a.segment_mib = 4;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: journal-bench [--records N] [--fsync-records N] [--dir DIR] [--quick] \
                            [--segment-mib M] [--batch B] [--durability os|fsync|both] \
                            [--prefault on|off|both] [--rate R] [--out FILE]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.records == 0 || a.segment_mib == 0 {
        return Err("--records and --segment-mib must be positive".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("journal-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let (base, remove_base) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("journal-bench-{}", std::process::id())),
            true,
        ),
    };
    fs::create_dir_all(&base)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        target.join("bench-results/journal.jsonl")
    });
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)?;
    }
    let segment_bytes = args.segment_mib << 20;
    let mut lines = Vec::new();

    for &durability in &args.durabilities {
        for &prefault in &args.prefaults {
            let records = match durability {
                Durability::Fsync => args.fsync_records.unwrap_or((args.records / 10).max(1)),
                Durability::Os => args.records,
            };
            let dir = base.join(format!("append-{}-{prefault}", dur_name(durability)));
            let _ = fs::remove_dir_all(&dir);
            let cfg = JournalConfig {
                segment_bytes,
                durability,
                prefault,
                ..JournalConfig::new(&dir)
            };
            let t_open = Instant::now();
            let (mut w, _) = Journal::open(cfg)?;
            let open_secs = t_open.elapsed().as_secs_f64();

            let mut batch_ns: Vec<u64> = Vec::with_capacity((records / args.batch + 2) as usize);
            let faults_before = thread_minor_faults();
            let start = Instant::now();
            let mut seq = 1;
            while seq <= records {
                if let Some(rate) = args.rate {
                    // Paced: the batch starting at `seq` is due at (seq - 1) / rate.
                    let due = std::time::Duration::from_secs_f64((seq - 1) as f64 / rate as f64);
                    while start.elapsed() < due {
                        std::hint::spin_loop();
                    }
                }
                let t = Instant::now();
                let end = (seq + args.batch).min(records + 1);
                while seq < end {
                    w.append_raw(seq, seq, &PAYLOAD)?;
                    seq += 1;
                }
                w.flush_batch()?;
                batch_ns.push(t.elapsed().as_nanos() as u64);
            }
            let secs = start.elapsed().as_secs_f64();
            let faults = thread_minor_faults()
                .zip(faults_before)
                .map(|(a, b)| a.saturating_sub(b));
            w.close()?;
            batch_ns.sort_unstable();
            let pct =
                |p: f64| batch_ns[((batch_ns.len() - 1) as f64 * p).round() as usize] as f64 / 1e3;
            lines.push(format!(
                "{{\"bench\":\"journal_append\",\"durability\":\"{}\",\"prefault\":{prefault},\"records\":{records},\
                 \"secs\":{secs:.6},\"records_per_s\":{:.0},\"payload_bytes\":{},\"segment_bytes\":{segment_bytes},\
                 \"batch\":{},\"rate\":{},\"batch_p50_us\":{:.1},\"batch_p99_us\":{:.1},\"batch_p999_us\":{:.1},\"max_batch_us\":{:.1},\"writer_minor_faults\":{},\"open_secs\":{open_secs:.6}}}",
                dur_name(durability),
                records as f64 / secs,
                PAYLOAD.len(),
                args.batch,
                args.rate.map_or("null".to_string(), |r| r.to_string()),
                pct(0.5),
                pct(0.99),
                pct(0.999),
                pct(1.0),
                faults.map_or("null".to_string(), |f| f.to_string()),
            ));
            emit(&out, lines.last().expect("just pushed"))?;

            if durability == args.durabilities[0] && prefault == args.prefaults[0] {
                // Read back what was just written (page cache warm).
                let start = Instant::now();
                let mut r = journal::read_records(&dir, 0)?;
                let mut n = 0u64;
                let mut sum = 0u64;
                while let Some(rec) = r.next_raw() {
                    let rec = rec?;
                    sum = sum.wrapping_add(rec.payload[0] as u64);
                    n += 1;
                }
                let secs = start.elapsed().as_secs_f64();
                if n != records || sum != records * PAYLOAD[0] as u64 {
                    return Err(format!("read back {n} records, expected {records}").into());
                }
                let bytes = r.summary().bytes;
                lines.push(format!(
                    "{{\"bench\":\"journal_read_verify\",\"records\":{n},\"secs\":{secs:.6},\
                     \"records_per_s\":{:.0},\"mib_per_s\":{:.1},\"payload_bytes\":{}}}",
                    n as f64 / secs,
                    bytes as f64 / secs / (1 << 20) as f64,
                    PAYLOAD.len(),
                ));
                emit(&out, lines.last().expect("just pushed"))?;
            }
            fs::remove_dir_all(&dir)?;
        }
    }
    if remove_base {
        let _ = fs::remove_dir_all(&base);
    }
    Ok(())
}

/// Minor page faults taken by the calling thread so far (Linux only).
fn thread_minor_faults() -> Option<u64> {
    let stat = fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after "pid (comm)": state ppid pgrp session tty tpgid flags minflt
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(7)?
        .parse()
        .ok()
}

fn dur_name(d: Durability) -> &'static str {
    match d {
        Durability::Os => "os",
        Durability::Fsync => "fsync",
    }
}

fn emit(out: &Path, line: &str) -> std::io::Result<()> {
    println!("{line}");
    let mut f = OpenOptions::new().create(true).append(true).open(out)?;
    writeln!(f, "{line}")
}
