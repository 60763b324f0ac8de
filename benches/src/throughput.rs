//! The engine-throughput benchmark: commands per second through one engine
//! on one thread, ringex and the peers side by side on the same flow.
//!
//! What holds: for every engine and every run, state is rebuilt and the setup
//! applied outside the clock ([`BookEngine::prepare`]); only the measured
//! commands are timed. Every run of an engine must do exactly the same thing
//! (same [`RunStats`]); a difference is reported as an error, since it means
//! something in the path is not deterministic. An engine that panics (ringex
//! while its body is still a stub, say) is reported with the panic message
//! and the others still run. Output: one JSON line per engine (best and
//! median of the runs), then one line with the ratios of ringex to each peer.

use crate::flowfile::{read_flow, Flow};
use crate::flows::builder::round6;
use crate::flows::{build, FlowError, FlowKind, FlowOptions, FlowStats};
use crate::peers::{BookEngine, EngineKind, RunStats};
use crate::results::{unix_s, ResultsWriter};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

/// The results file name (`<results dir>/engine_throughput.jsonl`).
pub const BENCH: &str = "engine_throughput";
/// Default of [`Options::min_cmds`].
pub const MIN_CMDS: u64 = 1_000_000;
/// Most runs [`Options::min_cmds`] may ask for.
pub const RUNS_MAX: usize = 200;

/// Runs to do: `runs`, or more until `runs * cmds >= min_cmds` (bounded).
pub fn runs_for(runs: usize, min_cmds: u64, cmds: u64) -> usize {
    let runs = runs.max(1);
    if cmds == 0 || min_cmds == 0 {
        return runs;
    }
    runs.max((min_cmds.div_ceil(cmds) as usize).min(RUNS_MAX))
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Flows to build and run (ignored when `file` is set).
    pub flows: Vec<FlowKind>,
    pub flow: FlowOptions,
    /// Run this command file instead of building a flow.
    pub file: Option<PathBuf>,
    pub runs: usize,
    /// Runs are added until each engine has processed at least this many
    /// measured commands (at most [`RUNS_MAX`] runs), so short flows are not
    /// timed on a few milliseconds. 0: exactly `runs`.
    pub min_cmds: u64,
    pub engines: Vec<EngineKind>,
    /// Append results under this directory; `None`: stdout only.
    pub results_dir: Option<PathBuf>,
}

/// How one engine did on one flow.
#[derive(Clone, Debug)]
pub struct EngineResult {
    pub engine: EngineKind,
    /// Seconds of each run, in run order.
    pub secs: Vec<f64>,
    pub stats: Option<RunStats>,
    pub error: Option<String>,
}

impl EngineResult {
    pub fn best_secs(&self) -> Option<f64> {
        self.secs.iter().copied().reduce(f64::min)
    }

    pub fn median_secs(&self) -> Option<f64> {
        if self.secs.is_empty() {
            return None;
        }
        let mut s = self.secs.clone();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        Some(if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        })
    }

    fn rate(&self, secs: Option<f64>) -> Option<f64> {
        let cmds = self.stats?.cmds as f64;
        secs.filter(|&s| s > 0.0).map(|s| cmds / s)
    }

    pub fn cmds_per_s(&self) -> Option<f64> {
        self.rate(self.best_secs())
    }

    pub fn median_cmds_per_s(&self) -> Option<f64> {
        self.rate(self.median_secs())
    }
}

/// All engines on one flow.
#[derive(Clone, Debug)]
pub struct FlowResult {
    pub flow: String,
    pub seed: u64,
    pub setup_cmds: u64,
    pub cmds: u64,
    /// What the flow's reference model expects (absent for a flow read from a file).
    pub expected: Option<FlowStats>,
    pub engines: Vec<EngineResult>,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Runs `engine` `runs` times over `flow`.
pub fn measure(flow: &Flow, engine: EngineKind, runs: usize) -> EngineResult {
    let mut out = EngineResult {
        engine,
        secs: Vec::new(),
        stats: None,
        error: None,
    };
    let mut e: Box<dyn BookEngine> = engine.make();
    for run in 0..runs.max(1) {
        match catch_unwind(AssertUnwindSafe(|| e.prepare(flow))) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => {
                out.error = Some(format!("prepare: {msg}"));
                return out;
            }
            Err(p) => {
                out.error = Some(format!("prepare panicked: {}", panic_text(p)));
                return out;
            }
        }
        let t0 = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| e.run(flow)));
        let secs = t0.elapsed().as_secs_f64();
        let stats = match r {
            Ok(s) => s,
            Err(p) => {
                out.error = Some(format!("run panicked: {}", panic_text(p)));
                return out;
            }
        };
        match out.stats {
            Some(prev) if prev != stats => {
                out.error = Some(format!(
                    "run {run} differs from run 0: {stats:?} vs {prev:?}"
                ));
                return out;
            }
            _ => out.stats = Some(stats),
        }
        out.secs.push(secs);
    }
    out
}

/// Every engine of `engines` on `flow`, one after the other.
pub fn measure_flow(
    flow: &Flow,
    expected: Option<FlowStats>,
    engines: &[EngineKind],
    runs: usize,
) -> FlowResult {
    let engines = engines
        .iter()
        .map(|&k| {
            eprintln!(
                "engine-throughput: {} on {} ({} measured commands)",
                k,
                flow.name,
                flow.measured.len()
            );
            measure(flow, k, runs)
        })
        .collect();
    FlowResult {
        flow: flow.name.clone(),
        seed: flow.seed,
        setup_cmds: flow.setup.len() as u64,
        cmds: flow.measured.len() as u64,
        expected,
        engines,
    }
}

fn num(x: Option<f64>, digits: i32) -> Value {
    match x {
        Some(v) if v.is_finite() => {
            let p = 10f64.powi(digits);
            json!((v * p).round() / p)
        }
        _ => Value::Null,
    }
}

/// The JSON lines of one flow: one per engine, then the ratios.
pub fn lines(fr: &FlowResult) -> Vec<Value> {
    let ts = unix_s();
    let mut out = Vec::new();
    for e in &fr.engines {
        let mut v = json!({
            "bench": BENCH,
            "flow": fr.flow,
            "engine": e.engine.name(),
            "cmds": fr.cmds,
            "secs": num(e.best_secs(), 6),
            "cmds_per_s": num(e.cmds_per_s(), 0),
            "runs": e.secs.len(),
            "median_secs": num(e.median_secs(), 6),
            "median_cmds_per_s": num(e.median_cmds_per_s(), 0),
            "trades": e.stats.map(|s| s.trades),
            "rejects": e.stats.map(|s| s.rejects),
            "applied": e.stats.map(|s| s.applied),
            "dropped": e.stats.map(|s| s.dropped),
            "adapted": e.stats.map(|s| s.adapted),
            "setup_cmds": fr.setup_cmds,
            "seed": fr.seed,
            "unix_s": ts,
        });
        if let Some(x) = &fr.expected {
            v["expected_trades"] = json!(x.trades);
        }
        if let Some(err) = &e.error {
            v["error"] = json!(err);
        }
        out.push(v);
    }
    let rate = |k: EngineKind, median: bool| {
        fr.engines
            .iter()
            .find(|e| e.engine == k && e.error.is_none())
            .and_then(|e| {
                if median {
                    e.median_cmds_per_s()
                } else {
                    e.cmds_per_s()
                }
            })
    };
    let ratio = |peer: EngineKind, median: bool| match (
        rate(EngineKind::Ringex, median),
        rate(peer, median),
    ) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    out.push(json!({
        "bench": format!("{BENCH}_ratio"),
        "flow": fr.flow,
        "cmds": fr.cmds,
        "ringex_over_matchcore": num(ratio(EngineKind::Matchcore, false), 3),
        "ringex_over_lobster": num(ratio(EngineKind::Lobster, false), 3),
        "median_ringex_over_matchcore": num(ratio(EngineKind::Matchcore, true), 3),
        "median_ringex_over_lobster": num(ratio(EngineKind::Lobster, true), 3),
        "unix_s": ts,
    }));
    out
}

/// The flow's reference-model statistics as one line (for stderr).
pub fn flow_stats_line(flow: &Flow, stats: &FlowStats) -> Value {
    let mut v = stats.to_json();
    v["flow"] = json!(flow.name);
    v["seed"] = json!(flow.seed);
    v["trading_fraction"] = json!(round6(stats.trading_fraction()));
    v
}

/// The whole benchmark as the binary runs it: builds (or reads) each flow,
/// measures every engine, prints and appends the lines. Flows whose data is
/// absent are skipped with a notice.
pub fn run(o: &Options) -> Result<Vec<FlowResult>, String> {
    let mut w = match &o.results_dir {
        Some(d) => ResultsWriter::open(d, BENCH).map_err(|e| format!("{}: {e}", d.display()))?,
        None => ResultsWriter::stdout_only(),
    };
    let mut results = Vec::new();
    let mut emit =
        |flow: Flow, expected: Option<FlowStats>, w: &mut ResultsWriter| -> Result<(), String> {
            let runs = runs_for(o.runs, o.min_cmds, flow.measured.len() as u64);
            let fr = measure_flow(&flow, expected, &o.engines, runs);
            for line in lines(&fr) {
                w.line(&line).map_err(|e| e.to_string())?;
            }
            results.push(fr);
            Ok(())
        };
    if let Some(file) = &o.file {
        let flow = read_flow(file).map_err(|e| format!("{}: {e}", file.display()))?;
        eprintln!(
            "engine-throughput: read {} ({} setup, {} measured)",
            file.display(),
            flow.setup.len(),
            flow.measured.len()
        );
        emit(flow, None, &mut w)?;
    } else {
        for &k in &o.flows {
            eprintln!("engine-throughput: building flow {k}");
            let t0 = Instant::now();
            match build(k, &o.flow) {
                Ok((flow, stats)) => {
                    eprintln!(
                        "engine-throughput: flow {k} built in {:.1}s: {}",
                        t0.elapsed().as_secs_f64(),
                        flow_stats_line(&flow, &stats)
                    );
                    emit(flow, Some(stats), &mut w)?;
                }
                Err(FlowError::MissingData(p)) => {
                    crate::data::notice_missing(&format!("flow {k}"), &p)
                }
                Err(e) => return Err(format!("flow {k}: {e}")),
            }
        }
    }
    if let Some(p) = w.path() {
        eprintln!("engine-throughput: appended to {}", p.display());
    }
    Ok(results)
}
