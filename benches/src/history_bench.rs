//! The history benchmark: what the history store costs and sustains, on
//! SQLite (a file in a temporary data directory) and on PostgreSQL (a fresh
//! database per run on the server a URL names).
//!
//! Four measurements, each one JSON line per backend:
//! - `history_write`: rows/s the [`history::Writer`] sustains. The `mix`
//!   flow is applied to an engine first (not timed); its inputs and events
//!   are then offered to a writer on an empty store as fast as it takes
//!   them (the offer is held back while the writer is a buffer behind, so
//!   nothing is dropped), timed from the first offer to `progress` at the
//!   last input.
//! - `history_lag`: the real pipeline (journal on) driven at a steady rate
//!   (100k and 500k commands/s in the full run) with the history feed on
//!   the outbound stream, as the server runs it; the writer's lag (offered
//!   minus stored, [`history::Stats::lag_seq`]) sampled every millisecond
//!   from when the setup is stored: max, p99, p50, mean; then how long
//!   after the last command the store took to hold everything, and whether
//!   the writer dropped into catch-up.
//! - `history_pipeline`: the pipeline at full speed with the store off and
//!   on (same commands, same process, alternately, best of each):
//!   commands/s of each and their ratio (on / off).
//! - `history_catch_up`: a journal of the flow (1M commands in the full
//!   run) written by [`journal::JournalWriter`], then [`history::catch_up`]
//!   into an empty store: seconds, commands/s, rows/s.
//!
//! What holds: every run checks its store reached the last input (and,
//! for the write and catch-up runs, holds the rows the journal gives, by
//! count); an error is an `error` line, not a number; every wait is bounded.

use crate::flowfile::Flow;
use crate::flows::mix::{generate, MixParams};
use crate::latency::{cpus, loadavg_1m, Clock, Rate, Schedule};
use crate::results::{unix_s, ResultsWriter};
use engine::{Command, Engine, EngineLimits, Event};
use journal::{Journal, JournalConfig};
use pipeline::idle::IdleConfig;
use pipeline::{
    try_publish, Consumer, InSlot, Input, OutSlot, Output, Pipeline, PipelineConfig, Shared,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The results file name (`<results dir>/history.jsonl`).
pub const BENCH: &str = "history";

#[derive(Clone, Debug)]
pub struct Options {
    /// Commands offered to the writer in `history_write`.
    pub write_cmds: u64,
    /// Steady rates of `history_lag`.
    pub lag_rates: Vec<u64>,
    /// Seconds per `history_lag` rate.
    pub lag_secs: f64,
    /// Commands of each `history_pipeline` run.
    pub pipeline_cmds: u64,
    /// Store-off/store-on pairs of `history_pipeline` (the best of each).
    pub pipeline_pairs: u32,
    /// Journaled commands `history_catch_up` catches up.
    pub catch_up_cmds: u64,
    /// Which measurements: any of `write`, `lag`, `pipeline`, `catch_up`.
    pub parts: Vec<String>,
    pub seed: u64,
    /// A PostgreSQL server for the postgres runs (`None`: SQLite only).
    pub pg_url: Option<String>,
    /// Leave SQLite out (PostgreSQL only).
    pub no_sqlite: bool,
    pub segment_mb: u64,
    pub tmp_dir: Option<PathBuf>,
    /// Append results here; `None`: stdout only.
    pub results_dir: Option<PathBuf>,
}

pub const PARTS: [&str; 4] = ["write", "lag", "pipeline", "catch_up"];

impl Options {
    pub fn full() -> Options {
        Options {
            write_cmds: 1_000_000,
            lag_rates: vec![100_000, 500_000],
            lag_secs: 2.0,
            pipeline_cmds: 1_000_000,
            pipeline_pairs: 2,
            catch_up_cmds: 1_000_000,
            parts: PARTS.iter().map(|s| s.to_string()).collect(),
            seed: crate::flows::DEFAULT_SEED,
            pg_url: None,
            no_sqlite: false,
            segment_mb: 256,
            tmp_dir: None,
            results_dir: None,
        }
    }

    /// Tiny sizes: every part runs in well under a second per backend.
    pub fn smoke() -> Options {
        Options {
            write_cmds: 5_000,
            lag_rates: vec![100_000],
            lag_secs: 0.05,
            pipeline_cmds: 5_000,
            pipeline_pairs: 1,
            catch_up_cmds: 5_000,
            segment_mb: 16,
            ..Options::full()
        }
    }

    fn wants(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

/// One backend's store for one run.
#[derive(Clone, Debug)]
enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// A fresh, empty store for a run in `dir`: its URL.
    fn fresh(&self, dir: &Path, tag: &str) -> Result<String, String> {
        match self {
            Backend::Sqlite => Ok(dir.join("history.sqlite").display().to_string()),
            Backend::Postgres(url) => history::testing::pg_fresh_at(url, tag)
                .ok_or_else(|| "this build has no PostgreSQL support".to_string()),
        }
    }
}

fn tempdir(o: &Options, prefix: &str) -> Result<tempfile::TempDir, String> {
    match &o.tmp_dir {
        Some(d) => tempfile::Builder::new().prefix(prefix).tempdir_in(d),
        None => tempfile::Builder::new().prefix(prefix).tempdir(),
    }
    .map_err(|e| format!("temp dir: {e}"))
}

fn open_store(url: &str) -> Result<Box<dyn history::Store>, String> {
    history::open(url).map_err(|e| format!("history store: {e}"))
}

/// The flow's first `n` measured commands after its setup, as one list.
fn commands(flow: &Flow, n: u64) -> Vec<Command> {
    flow.setup
        .iter()
        .chain(flow.measured.iter().take(n as usize))
        .copied()
        .collect()
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let t0 = Instant::now();
    while !done() {
        if t0.elapsed() > limit {
            return Err(format!("{what}: not done within {limit:?}"));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

fn per_s(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        (n as f64 / secs).round()
    } else {
        0.0
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

// ---------------------------------------------------------------------------
// history_write
// ---------------------------------------------------------------------------

fn write_run(o: &Options, flow: &Flow, b: &Backend) -> Result<Value, String> {
    let cmds = commands(flow, o.write_cmds);
    let mut engine = Engine::new(EngineLimits::default());
    let mut steps: Vec<(Command, Vec<Event>)> = Vec::with_capacity(cmds.len());
    let mut events = Vec::new();
    for c in &cmds {
        events.clear();
        engine
            .apply(c, &mut events)
            .map_err(|e| format!("engine refused {}: {e}", c.seq))?;
        steps.push((*c, events.clone()));
    }
    // What the store must hold at the end: the projection in memory.
    let want = {
        let dir = Engine::new(EngineLimits::default()).directory().clone();
        let mut p = history::Projector::new(dir);
        let mut mem = history::MemoryStore::default();
        for (c, ev) in &steps {
            p.apply(c, ev);
            if p.batch().commands >= 4096 {
                p.with_batch(|b| mem.apply(b));
            }
        }
        p.with_batch(|b| mem.apply(b));
        mem.rows()
    };
    let tmp = tempdir(o, "history-write-")?;
    let url = b.fresh(tmp.path(), "benchwrite")?;
    let store = open_store(&url)?;
    let mut wc = history::WriterConfig::new(tmp.path());
    wc.start_seq = Some(0);
    let buffer = wc.buffer as u64;
    let writer = history::Writer::spawn(store, wc);
    let stats = writer.stats().clone();
    let last = cmds.last().map_or(0, |c| c.seq);
    let t0 = Instant::now();
    for (c, ev) in &steps {
        // Never a buffer ahead of what is stored: nothing is dropped.
        while c.seq.saturating_sub(stats.progress.load(Ordering::Acquire)) >= buffer {
            std::thread::yield_now();
        }
        if !writer.offer(c, ev) {
            return Err(format!("the writer dropped input {}", c.seq));
        }
    }
    wait_for("history_write", Duration::from_secs(1800), || {
        stats.progress.load(Ordering::Acquire) >= last
    })?;
    let secs = t0.elapsed().as_secs_f64();
    writer.stop()?;
    // Rows written: an order changed twice within a batch is written once,
    // so this depends on the batching; `rows_stored` does not.
    let rows = stats.rows.load(Ordering::Acquire);
    let stored = open_store(&url)?.rows().map_err(|e| e.to_string())?;
    if let Some(d) = stored.first_difference(&want) {
        return Err(format!("the store differs from the projection: {d}"));
    }
    let rows_stored = stored.orders.len()
        + stored.trades.len()
        + stored.transfers.len()
        + stored.assets.len()
        + stored.symbols.len();
    Ok(json!({
        "bench": "history_write",
        "backend": b.name(),
        "cmds": cmds.len(),
        "rows": rows,
        "rows_stored": rows_stored,
        "batches": stats.batches.load(Ordering::Acquire),
        "secs": round6(secs),
        "rows_per_s": per_s(rows, secs),
        "cmds_per_s": per_s(cmds.len() as u64, secs),
    }))
}

// ---------------------------------------------------------------------------
// The pipeline with the feed on its outbound stream
// ---------------------------------------------------------------------------

struct PipeRun {
    cmds: u64,
    /// First measured publish to the last measured `Done`.
    secs: f64,
    /// Lag samples (every millisecond over the measured part).
    lags: Vec<u64>,
    /// After the last `Done`, until the store held everything.
    drain_secs: f64,
    dropped: u64,
    catch_ups: u64,
    rows: u64,
}

struct Count<'a> {
    feed: Option<&'a mut history::Feed>,
    done: u64,
    halted: bool,
}

impl Consumer for Count<'_> {
    fn on_output(&mut self, slot: &OutSlot, end_of_batch: bool) {
        if let Some(f) = self.feed.as_deref_mut() {
            f.on_output(slot, end_of_batch);
        }
        match slot.output {
            Output::Done { .. } => self.done += 1,
            Output::Halted { .. } => self.halted = true,
            _ => {}
        }
    }
}

fn breach(shared: &Shared) -> String {
    shared
        .breach
        .lock()
        .map(|b| b.clone())
        .unwrap_or(None)
        .unwrap_or_else(|| "engine halted".into())
}

/// Runs the flow's setup (untimed) and `n` measured commands through a
/// fresh pipeline at `rate`, with the history store at `store` (a URL) or
/// none.
fn pipe_run(
    o: &Options,
    flow: &Flow,
    n: u64,
    rate: Rate,
    store: Option<(&Backend, &str)>,
) -> Result<PipeRun, String> {
    let tmp = tempdir(o, "history-pipe-")?;
    let jc = JournalConfig {
        segment_bytes: o.segment_mb.max(1) << 20,
        prefault: true,
        ..JournalConfig::new(tmp.path())
    };
    let (jw, _) = Journal::open(jc).map_err(|e| format!("journal: {e}"))?;
    let mut feed = match store {
        Some((b, tag)) => {
            let url = b.fresh(tmp.path(), tag)?;
            let mut wc = history::WriterConfig::new(tmp.path());
            wc.start_seq = Some(0);
            Some(history::Feed::new(history::Writer::spawn(
                open_store(&url)?,
                wc,
            )))
        }
        None => None,
    };
    let stats = feed.as_ref().map(|f| f.writer().stats().clone());
    let cfg = PipelineConfig {
        inbound_size: 65_536,
        outbound_size: 262_144,
        shared_thread: true,
        idle: IdleConfig::default(),
        pin_cores: Vec::new(),
        data_dir: tmp.path().to_path_buf(),
        snapshots_keep: 1,
        batch: 256,
        waker: None,
        publish_inputs: feed.is_some(),
    };
    let shared = Arc::new(Shared::default());
    let mut p = Pipeline::start(
        cfg,
        Engine::new(EngineLimits::default()),
        jw,
        shared.clone(),
    );
    let clock = Clock::new();
    let wall0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let cmds = commands(flow, n);
    let setup = flow.setup.len() as u64;
    let total = cmds.len() as u64;
    let limit = Duration::from_secs_f64(match rate {
        Rate::PerSec(r) => total as f64 / r as f64 * 20.0 + 120.0,
        Rate::Max => total as f64 / 50_000.0 + 120.0,
    });
    let mut c = Count {
        feed: feed.as_mut(),
        done: 0,
        halted: false,
    };
    let mut lags = Vec::new();
    let (mut i, mut t_first, mut t_last) = (0u64, 0u64, 0u64);
    let mut started = false;
    let mut sched: Option<Schedule> = None;
    let mut next_sample = 0u64;
    let t0 = Instant::now();
    while c.done < total {
        let now = clock.now_ns();
        // The setup is applied (and stored): the measured part starts now.
        let setup_stored = stats
            .as_ref()
            .is_none_or(|st| st.progress.load(Ordering::Acquire) >= setup);
        if !started && c.done == setup && setup_stored {
            started = true;
            t_first = now;
            next_sample = now;
            if let Rate::PerSec(r) = rate {
                sched = Some(Schedule::new(now, r));
            }
        }
        let mut burst = 0;
        while i < total && burst < 256 {
            if i >= setup {
                if !started {
                    break;
                }
                if let Some(s) = &sched {
                    if s.intended_ns(i - setup) > now {
                        break;
                    }
                }
            }
            let mut cmd = cmds[i as usize];
            cmd.ts_ns = wall0 + now;
            let slot = InSlot {
                input: Input::Command(cmd),
                session: 1,
                req_id: None,
                want_done: true,
                recv_ns: now,
            };
            if try_publish(&mut p.inbound, slot).is_err() {
                break;
            }
            i += 1;
            burst += 1;
        }
        if burst > 0 {
            p.wake();
        }
        p.outbound.drain(4096, &mut c);
        if c.halted {
            return Err(breach(&shared));
        }
        if let (Some(st), true) = (&stats, started) {
            let now = clock.now_ns();
            if now >= next_sample {
                lags.push(st.lag_seq());
                next_sample = now + 1_000_000;
            }
        }
        if t0.elapsed() > limit {
            return Err(format!("timed out: {} of {total} commands done", c.done));
        }
        if c.done == total {
            t_last = clock.now_ns();
        }
    }
    let t_end = Instant::now();
    if let Some(st) = &stats {
        let last = total;
        wait_for("the store to catch up", Duration::from_secs(1800), || {
            st.progress.load(Ordering::Acquire) >= last
        })?;
    }
    let drain_secs = t_end.elapsed().as_secs_f64();
    p.stop();
    let (dropped, catch_ups, rows) = match &stats {
        Some(st) => (
            st.dropped.load(Ordering::Acquire),
            st.catch_ups.load(Ordering::Acquire),
            st.rows.load(Ordering::Acquire),
        ),
        None => (0, 0, 0),
    };
    if let Some(f) = feed {
        f.stop()?;
    }
    Ok(PipeRun {
        cmds: total - setup,
        secs: (t_last.saturating_sub(t_first)) as f64 / 1e9,
        lags,
        drain_secs,
        dropped,
        catch_ups,
        rows,
    })
}

fn lag_run(o: &Options, flow: &Flow, b: &Backend, rate: u64) -> Result<Value, String> {
    let n = Rate::PerSec(rate).count_for(o.lag_secs).unwrap_or(1);
    let r = pipe_run(o, flow, n, Rate::PerSec(rate), Some((b, "benchlag")))?;
    let mut lags = r.lags.clone();
    lags.sort_unstable();
    let pct = |q: f64| -> u64 {
        if lags.is_empty() {
            return 0;
        }
        lags[((lags.len() - 1) as f64 * q).round() as usize]
    };
    let mean = if lags.is_empty() {
        0.0
    } else {
        lags.iter().sum::<u64>() as f64 / lags.len() as f64
    };
    Ok(json!({
        "bench": "history_lag",
        "backend": b.name(),
        "rate": rate,
        "achieved": per_s(r.cmds, r.secs),
        "cmds": r.cmds,
        "lag_max": lags.last().copied().unwrap_or(0),
        "lag_p99": pct(0.99),
        "lag_p50": pct(0.50),
        "lag_mean": mean.round(),
        "samples": lags.len(),
        "drain_secs": round6(r.drain_secs),
        "dropped": r.dropped,
        "catch_ups": r.catch_ups,
        "rows": r.rows,
        "cores": cpus(),
        "loadavg_1m": loadavg_1m(),
    }))
}

/// Store off and on, alternately `o.pipeline_pairs` times (so that neither
/// gets the warmer machine); the best of each.
fn pipeline_run(o: &Options, flow: &Flow, b: &Backend) -> Result<Value, String> {
    let (mut off_best, mut on_best) = (0f64, 0f64);
    let mut on_last = None;
    for _ in 0..o.pipeline_pairs.max(1) {
        let off = pipe_run(o, flow, o.pipeline_cmds, Rate::Max, None)?;
        off_best = off_best.max(per_s(off.cmds, off.secs));
        let on = pipe_run(o, flow, o.pipeline_cmds, Rate::Max, Some((b, "benchpipe")))?;
        on_best = on_best.max(per_s(on.cmds, on.secs));
        on_last = Some(on);
    }
    let on = on_last.expect("one pair");
    let ratio = match off_best > 0.0 {
        true => ((on_best / off_best) * 1000.0).round() / 1000.0,
        false => 0.0,
    };
    Ok(json!({
        "bench": "history_pipeline",
        "backend": b.name(),
        "cmds": on.cmds,
        "pairs": o.pipeline_pairs.max(1),
        "off_cmds_per_s": off_best,
        "on_cmds_per_s": on_best,
        "on_over_off": ratio,
        "drain_secs": round6(on.drain_secs),
        "dropped": on.dropped,
        "catch_ups": on.catch_ups,
        "cores": cpus(),
        "loadavg_1m": loadavg_1m(),
    }))
}

// ---------------------------------------------------------------------------
// history_catch_up
// ---------------------------------------------------------------------------

/// A journal of the flow's setup and first `n` measured commands in a
/// fresh data directory.
fn journal_of(o: &Options, flow: &Flow, n: u64) -> Result<(tempfile::TempDir, u64), String> {
    let tmp = tempdir(o, "history-catch-up-")?;
    let jc = JournalConfig {
        segment_bytes: o.segment_mb.max(1) << 20,
        prefault: true,
        ..JournalConfig::new(tmp.path())
    };
    let (mut w, _) = Journal::open(jc).map_err(|e| format!("journal: {e}"))?;
    let cmds = commands(flow, n);
    for c in &cmds {
        w.append(c).map_err(|e| format!("journal append: {e}"))?;
    }
    w.close().map_err(|e| format!("journal close: {e}"))?;
    Ok((tmp, cmds.len() as u64))
}

fn catch_up_run(dir: &Path, journaled: u64, b: &Backend) -> Result<Value, String> {
    let sub = tempfile::tempdir_in(dir).map_err(|e| e.to_string())?;
    let url = b.fresh(sub.path(), "benchcatchup")?;
    let mut store = open_store(&url)?;
    let t0 = Instant::now();
    let done = history::catch_up(dir, store.as_mut(), None, 4096).map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    if done.to != journaled {
        return Err(format!("caught up to {} of {journaled}", done.to));
    }
    Ok(json!({
        "bench": "history_catch_up",
        "backend": b.name(),
        "cmds": journaled,
        "rows": done.rows,
        "batches": done.batches,
        "secs": round6(secs),
        "cmds_per_s": per_s(journaled, secs),
        "rows_per_s": per_s(done.rows, secs),
    }))
}

// ---------------------------------------------------------------------------

fn error_line(bench: &str, b: &Backend, err: &str) -> Value {
    json!({"bench": bench, "backend": b.name(), "error": err, "unix_s": unix_s()})
}

/// Every measurement on every backend; returns the lines it printed. A
/// failed run is an `error` line and the others still run.
pub fn run(o: &Options) -> Result<Vec<Value>, String> {
    let mut w = match &o.results_dir {
        Some(d) => ResultsWriter::open(d, BENCH).map_err(|e| format!("{}: {e}", d.display()))?,
        None => ResultsWriter::stdout_only(),
    };
    let mut backends = Vec::new();
    if !o.no_sqlite {
        backends.push(Backend::Sqlite);
    }
    if let Some(u) = &o.pg_url {
        backends.push(Backend::Postgres(u.clone()));
    }
    let lag_need = o
        .lag_rates
        .iter()
        .filter_map(|&r| Rate::PerSec(r).count_for(o.lag_secs))
        .max()
        .unwrap_or(0);
    let need = [o.write_cmds, o.pipeline_cmds, o.catch_up_cmds, lag_need]
        .into_iter()
        .max()
        .unwrap_or(1)
        .max(1);
    let t = Instant::now();
    let flow = generate(&MixParams::mix(o.seed, need)).0;
    eprintln!(
        "history-bench: mix flow of {} setup + {} commands built in {:.1}s",
        flow.setup.len(),
        flow.measured.len(),
        t.elapsed().as_secs_f64()
    );
    let mut lines = Vec::new();
    let mut emit = |v: Value, lines: &mut Vec<Value>| -> Result<(), String> {
        let mut v = v;
        if v.get("error").is_none() {
            v["flow"] = json!("mix");
            v["seed"] = json!(o.seed);
            v["unix_s"] = json!(unix_s());
        }
        w.line(&v).map_err(|e| e.to_string())?;
        lines.push(v);
        Ok(())
    };
    for b in &backends {
        if o.wants("write") {
            eprintln!(
                "history-bench: write, {} ({} commands)",
                b.name(),
                o.write_cmds
            );
            let v = write_run(o, &flow, b).unwrap_or_else(|e| error_line("history_write", b, &e));
            emit(v, &mut lines)?;
        }
        if o.wants("lag") {
            for &rate in &o.lag_rates {
                eprintln!("history-bench: lag, {} at {rate}/s", b.name());
                let v =
                    lag_run(o, &flow, b, rate).unwrap_or_else(|e| error_line("history_lag", b, &e));
                emit(v, &mut lines)?;
            }
        }
        if o.wants("pipeline") {
            eprintln!(
                "history-bench: pipeline off/on, {} ({} commands)",
                b.name(),
                o.pipeline_cmds
            );
            let v =
                pipeline_run(o, &flow, b).unwrap_or_else(|e| error_line("history_pipeline", b, &e));
            emit(v, &mut lines)?;
        }
    }
    if o.wants("catch_up") && !backends.is_empty() {
        eprintln!(
            "history-bench: journaling {} commands for catch-up",
            o.catch_up_cmds
        );
        match journal_of(o, &flow, o.catch_up_cmds) {
            Ok((dir, journaled)) => {
                for b in &backends {
                    eprintln!("history-bench: catch-up, {}", b.name());
                    let v = catch_up_run(dir.path(), journaled, b)
                        .unwrap_or_else(|e| error_line("history_catch_up", b, &e));
                    emit(v, &mut lines)?;
                }
            }
            Err(e) => {
                for b in &backends {
                    emit(error_line("history_catch_up", b, &e), &mut lines)?;
                }
            }
        }
    }
    if let Some(p) = w.path() {
        eprintln!("history-bench: appended to {}", p.display());
    }
    Ok(lines)
}
