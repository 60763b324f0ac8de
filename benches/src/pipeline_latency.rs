//! The pipeline-latency benchmark: the real [`pipeline::Pipeline`]
//! (inbound ring, journaler writing a real journal, business logic owning an
//! [`Engine`], outbound ring) in this process, driven at fixed offered rates.
//!
//! How one run goes: a fresh data directory and journal, a fresh engine, the
//! `mix` flow's setup published and applied (not timed), then the flow's
//! measured commands published on a schedule (`rate` per second) by one
//! harness thread that stands where the server's network loop stands: it
//! stamps `seq` (the last plus one) and `ts_ns` (wall clock) as the gateway
//! does, publishes with `try_publish` (a full ring is retried, never
//! skipped), asks for `Output::Done` after each command's events, and polls
//! the outbound ring between publishes. A command's latency runs from its
//! *intended* send time (the schedule, see [`crate::latency`]) to the poll
//! that saw its `Done`: coordinated omission corrected. At `max` the
//! harness publishes as fast as the ring takes commands and latency runs
//! from the actual publish. The first `warmup` share of each run is not
//! recorded.
//!
//! Profiles, as the server places its threads (`gateway::config`):
//! - `default`: journaler and business logic share one thread that backs off
//!   (spin, yield, park 50 µs doubling to 1 ms) when idle; nothing pinned.
//! - `low_latency`: the same thread busy-spins, pinned to core 1; the harness
//!   is pinned to core 0, where the server pins its network loop.
//!
//! What holds: every published command completes (a `Halted` output, an
//! engine breach or a run past its time limit is an error, not a number);
//! runs are bounded by `max_cmds` and a time limit. Output: one JSON line
//! per (profile, durability, rate), an `.hgrm` file per histogram and one SVG
//! percentile plot per invocation.

use crate::flowfile::Flow;
use crate::flows::mix::{generate, MixParams};
use crate::latency::{
    cpus, hgrm_path, loadavg_1m, ms_json, new_histogram, record, sched_ns, thread_sched_ns,
    write_hgrm, Clock, Percentiles, Rate, SchedNs, Schedule,
};
use crate::plot::{Panel, Series};
use crate::results::{unix_s, ResultsWriter};
use engine::{Engine, EngineLimits, Event, ExecType};
use journal::{Durability, Journal, JournalConfig};
use pipeline::idle::IdleConfig;
use pipeline::{try_publish, InSlot, Input, OutSlot, Output, Pipeline, PipelineConfig, Shared};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The name `Pipeline::start` gives the shared journaler + logic thread.
const CORE_THREAD: &str = "ringex-core";

/// The results file name (`<results dir>/pipeline_latency.jsonl`).
pub const BENCH: &str = "pipeline_latency";

/// The rates of the full run: 100k, 1M, 3M, 5M per second and max.
pub const FULL_RATES: [Rate; 5] = [
    Rate::PerSec(100_000),
    Rate::PerSec(1_000_000),
    Rate::PerSec(3_000_000),
    Rate::PerSec(5_000_000),
    Rate::Max,
];

/// Where the pipeline's threads go and how they wait.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Profile {
    Default,
    LowLatency,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Default, Profile::LowLatency];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::LowLatency => "low_latency",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == s)
    }

    /// A comma-separated list, or `both`.
    pub fn parse_list(s: &str) -> Result<Vec<Profile>, String> {
        if s == "both" || s == "all" {
            return Ok(Profile::ALL.to_vec());
        }
        s.split(',')
            .map(|x| Profile::parse(x.trim()).ok_or_else(|| format!("unknown profile {x:?}")))
            .collect()
    }

    fn idle(self) -> IdleConfig {
        match self {
            Profile::Default => IdleConfig::default(),
            Profile::LowLatency => IdleConfig::BusySpin,
        }
    }

    /// (harness core, core-thread core), as the server pins network loop and core.
    fn pins(self) -> Option<(usize, usize)> {
        match self {
            Profile::Default => None,
            Profile::LowLatency => Some((0, 1)),
        }
    }
}

pub fn durability_name(d: Durability) -> &'static str {
    match d {
        Durability::Os => "os",
        Durability::Fsync => "fsync",
    }
}

/// `os`, `fsync` or `both`.
pub fn parse_durabilities(s: &str) -> Result<Vec<Durability>, String> {
    match s {
        "os" => Ok(vec![Durability::Os]),
        "fsync" => Ok(vec![Durability::Fsync]),
        "both" => Ok(vec![Durability::Os, Durability::Fsync]),
        _ => Err(format!("durability {s:?}: os, fsync or both")),
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub profiles: Vec<Profile>,
    pub durabilities: Vec<Durability>,
    pub rates: Vec<Rate>,
    /// Recorded seconds per fixed-rate run (fewer when `max_cmds` caps it).
    pub secs: f64,
    /// Seconds at the same rate before recording starts.
    pub warmup_secs: f64,
    /// Most commands one run publishes, warm-up included (also the size of
    /// a `max` run).
    pub max_cmds: u64,
    pub seed: u64,
    /// Journal segment size.
    pub segment_mb: u64,
    pub inbound_size: usize,
    pub outbound_size: usize,
    pub batch: u64,
    /// Parent of the temporary data directories (default: the system's).
    pub tmp_dir: Option<PathBuf>,
    /// Append results (and write `.hgrm` files and the plot) under this
    /// directory; `None`: stdout only.
    pub results_dir: Option<PathBuf>,
    /// Write the SVG plot (needs `results_dir`).
    pub plot: bool,
}

impl Options {
    /// The full run: both profiles, `os`, 100k..5M and max.
    pub fn full() -> Options {
        Options {
            profiles: Profile::ALL.to_vec(),
            durabilities: vec![Durability::Os],
            rates: FULL_RATES.to_vec(),
            secs: 2.0,
            warmup_secs: 0.5,
            max_cmds: 5_000_000,
            seed: crate::flows::DEFAULT_SEED,
            segment_mb: 256,
            inbound_size: 65_536,
            outbound_size: 262_144,
            batch: 256,
            tmp_dir: None,
            results_dir: None,
            plot: true,
        }
    }

    /// A smoke run of a few seconds.
    pub fn quick() -> Options {
        Options {
            secs: 0.2,
            warmup_secs: 0.05,
            max_cmds: 300_000,
            segment_mb: 64,
            ..Options::full()
        }
    }

    /// (warm-up, recorded) commands of a run at `rate`.
    pub fn counts(&self, rate: Rate) -> (u64, u64) {
        let total_secs = (self.secs + self.warmup_secs).max(1e-9);
        let cap = self.max_cmds.max(2);
        let (warm, meas) = match rate {
            Rate::PerSec(_) => (
                rate.count_for(self.warmup_secs).unwrap_or(0),
                rate.count_for(self.secs).unwrap_or(1),
            ),
            Rate::Max => {
                let meas = (cap as f64 * self.secs / total_secs).round() as u64;
                (cap - meas.min(cap), meas)
            }
        };
        if warm + meas <= cap {
            return (if self.warmup_secs > 0.0 { warm } else { 0 }, meas.max(1));
        }
        let meas = ((cap as f64 * self.secs / total_secs).round() as u64).clamp(1, cap);
        (cap - meas, meas)
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub profile: Profile,
    pub durability: Durability,
    pub rate: Rate,
    pub warmup_cmds: u64,
    pub cmds: u64,
    pub pcts: Percentiles,
    /// Recorded commands per second of completion: recorded commands over
    /// the time from the first one's intended send to the last one's `Done`.
    pub achieved: f64,
    /// Seconds of the recorded window.
    pub secs: f64,
    /// Publish attempts that found the inbound ring full.
    pub ring_full: u64,
    /// Scheduler time of the core thread and of the harness over the
    /// measured part (Linux; `None` elsewhere).
    pub core_sched: Option<SchedNs>,
    pub harness_sched: Option<SchedNs>,
    pub hist: hdrhistogram::Histogram<u64>,
}

fn mix_flow(o: &Options, measured: u64) -> Flow {
    generate(&MixParams::mix(o.seed, measured.max(1))).0
}

/// Counts refusals among a setup command's events.
fn setup_refused(ev: &Event) -> bool {
    match ev {
        Event::Admin { ok, .. } => !ok,
        Event::Execution(r) => r.exec_type == ExecType::Rejected,
        Event::Reject { .. } => true,
        _ => false,
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

/// One run: fresh journal and engine, setup, then the measured commands.
pub fn run_one(
    o: &Options,
    flow: &Flow,
    profile: Profile,
    durability: Durability,
    rate: Rate,
) -> Result<RunResult, String> {
    let (warm, meas) = o.counts(rate);
    let n = (warm + meas) as usize;
    if n > flow.measured.len() {
        return Err(format!(
            "flow has {} measured commands, run needs {n}",
            flow.measured.len()
        ));
    }
    let tmp = match &o.tmp_dir {
        Some(d) => tempfile::Builder::new()
            .prefix("pipeline-latency-")
            .tempdir_in(d),
        None => tempfile::Builder::new()
            .prefix("pipeline-latency-")
            .tempdir(),
    }
    .map_err(|e| format!("temp dir: {e}"))?;
    let jc = JournalConfig {
        segment_bytes: o.segment_mb.max(1) << 20,
        durability,
        prefault: true,
        ..JournalConfig::new(tmp.path())
    };
    let (writer, _) = Journal::open(jc).map_err(|e| format!("journal: {e}"))?;
    let engine = Engine::new(EngineLimits::default());
    let pins = profile.pins();
    let cfg = PipelineConfig {
        inbound_size: o.inbound_size.next_power_of_two(),
        outbound_size: o.outbound_size.next_power_of_two(),
        shared_thread: true,
        idle: profile.idle(),
        pin_cores: pins.map(|(_, c)| vec![c]).unwrap_or_default(),
        data_dir: tmp.path().to_path_buf(),
        snapshots_keep: 1,
        batch: o.batch.max(1),
        waker: None,
        publish_inputs: false,
    };
    let shared = Arc::new(Shared::default());
    let mut pipeline = Pipeline::start(cfg, engine, writer, shared.clone());

    let harness = |p: &mut Pipeline| -> Result<RunResult, String> {
        if let Some((core, _)) = pins {
            if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
                eprintln!("pipeline-latency: could not pin the harness to core {core}");
            }
        }
        drive(p, &shared, flow, warm, meas, rate, profile, durability)
    };
    // The harness runs on a thread of its own so that pinning it leaves the
    // caller's thread alone.
    let r = std::thread::scope(|s| {
        s.spawn(|| harness(&mut pipeline))
            .join()
            .unwrap_or_else(|_| Err("harness panicked".into()))
    });
    pipeline.stop();
    drop(tmp);
    r
}

#[allow(clippy::too_many_arguments)]
fn drive(
    p: &mut Pipeline,
    shared: &Shared,
    flow: &Flow,
    warm: u64,
    meas: u64,
    rate: Rate,
    profile: Profile,
    durability: Durability,
) -> Result<RunResult, String> {
    let clock = Clock::new();
    let wall0_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut next_seq = 1u64;
    let n = warm + meas;
    let expected_secs = match rate {
        Rate::PerSec(r) => n as f64 / r as f64,
        Rate::Max => n as f64 / 100_000.0,
    };
    let limit_ns = ((expected_secs * 20.0 + 60.0) * 1e9) as u64;

    // Setup: publish everything, wait for the last one's Done.
    let setup_n = flow.setup.len() as u64;
    let mut published = 0u64;
    let mut refused = 0u64;
    let mut setup_done = setup_n == 0;
    let t_setup = clock.now_ns();
    while !setup_done {
        while published < setup_n {
            let mut cmd = flow.setup[published as usize];
            cmd.seq = next_seq;
            cmd.ts_ns = wall0_ns + clock.now_ns();
            let last = published + 1 == setup_n;
            let slot = InSlot {
                input: Input::Command(cmd),
                session: 1,
                req_id: None,
                want_done: last,
                recv_ns: 0,
            };
            if try_publish(&mut p.inbound, slot).is_err() {
                break;
            }
            published += 1;
            next_seq += 1;
        }
        p.wake();
        let mut halted = false;
        p.outbound
            .drain(4096, &mut |slot: &OutSlot, _| match slot.output {
                Output::Event(ev) if setup_refused(&ev) => refused += 1,
                Output::Done { seq } if seq == setup_n => setup_done = true,
                Output::Halted { .. } => halted = true,
                _ => {}
            });
        if halted {
            return Err(breach(shared));
        }
        if clock.now_ns() - t_setup > limit_ns {
            return Err("setup timed out".into());
        }
    }
    if refused > 0 {
        return Err(format!("{refused} setup commands refused"));
    }

    // Measured part.
    let mut hist = new_histogram();
    let first_seq = next_seq;
    let start_ns = clock.now_ns() + 1_000_000;
    let sched = match rate {
        Rate::PerSec(r) => Some(Schedule::new(start_ns, r)),
        Rate::Max => None,
    };
    if sched.is_some() {
        while clock.now_ns() < start_ns {
            std::hint::spin_loop();
        }
    }
    let (mut i, mut done) = (0u64, 0u64);
    let mut ring_full = 0u64;
    let mut first_recorded_ns = 0u64;
    let mut last_done_ns = 0u64;
    let core0 = sched_ns(None, Some(CORE_THREAD));
    let harness0 = thread_sched_ns();
    let t0 = clock.now_ns();
    while done < n {
        let now = clock.now_ns();
        let mut burst = 0;
        while i < n && burst < 256 {
            let intended = match &sched {
                Some(s) => {
                    let t = s.intended_ns(i);
                    if t > now {
                        break;
                    }
                    t
                }
                None => now,
            };
            let mut cmd = flow.measured[i as usize];
            cmd.seq = next_seq;
            cmd.ts_ns = wall0_ns + now;
            let slot = InSlot {
                input: Input::Command(cmd),
                session: 1,
                req_id: None,
                want_done: true,
                recv_ns: intended,
            };
            if try_publish(&mut p.inbound, slot).is_err() {
                ring_full += 1;
                break;
            }
            if i == warm {
                first_recorded_ns = intended;
            }
            i += 1;
            next_seq += 1;
            burst += 1;
        }
        if burst > 0 {
            p.wake();
        }
        // The clock is read once per poll that found slots, after it found them.
        let mut seen_at = None;
        let mut halted = false;
        p.outbound
            .drain(4096, &mut |slot: &OutSlot, _| match slot.output {
                Output::Done { seq } if seq >= first_seq => {
                    let seen = *seen_at.get_or_insert_with(|| clock.now_ns());
                    if seq - first_seq >= warm {
                        record(&mut hist, seen.saturating_sub(slot.recv_ns));
                    }
                    done += 1;
                    last_done_ns = seen;
                }
                Output::Halted { .. } => halted = true,
                _ => {}
            });
        if halted {
            return Err(breach(shared));
        }
        if clock.now_ns() - t0 > limit_ns {
            return Err(format!("timed out: {done} of {n} commands completed"));
        }
    }
    let core_sched = SchedNs::delta(core0, sched_ns(None, Some(CORE_THREAD)));
    let harness_sched = SchedNs::delta(harness0, thread_sched_ns());
    let secs = (last_done_ns.saturating_sub(first_recorded_ns)) as f64 / 1e9;
    Ok(RunResult {
        profile,
        durability,
        rate,
        warmup_cmds: warm,
        cmds: meas,
        pcts: Percentiles::of(&hist),
        achieved: if secs > 0.0 { meas as f64 / secs } else { 0.0 },
        secs,
        ring_full,
        core_sched,
        harness_sched,
        hist,
    })
}

/// How the threads were placed, for the output.
pub fn placement_note(profile: Profile) -> String {
    let n = cpus();
    match profile {
        Profile::Default => format!(
            "{n} cores, nothing pinned: the harness thread (publishes and polls, as the \
             server's network loop) spins; the core thread (journaler + business logic) \
             backs off when idle"
        ),
        Profile::LowLatency if n <= 2 => format!(
            "{n} cores: the harness thread (publishes and polls, as the server's network loop) \
             is pinned to core 0 and the busy-spinning core thread to core 1, so the two \
             spinning threads take every core and the journal's background flush and \
             pre-fault threads share a core with one of them"
        ),
        Profile::LowLatency => format!(
            "{n} cores: the harness thread pinned to core 0, the busy-spinning core thread \
             to core 1"
        ),
    }
}

/// The JSON line of a run.
pub fn line(r: &RunResult, seed: u64) -> Value {
    let mut m = Map::new();
    m.insert("bench".into(), json!(BENCH));
    m.insert("profile".into(), json!(r.profile.name()));
    m.insert("durability".into(), json!(durability_name(r.durability)));
    m.insert("rate".into(), r.rate.to_json());
    m.insert("achieved".into(), json!(r.achieved.round()));
    r.pcts.put(&mut m);
    m.insert("cmds".into(), json!(r.cmds));
    m.insert("warmup_cmds".into(), json!(r.warmup_cmds));
    m.insert("secs".into(), json!((r.secs * 1e6).round() / 1e6));
    m.insert("ring_full_retries".into(), json!(r.ring_full));
    m.insert(
        "core_thread_cpu_ms".into(),
        ms_json(r.core_sched.map(|s| s.cpu_ns)),
    );
    m.insert(
        "core_thread_runq_wait_ms".into(),
        ms_json(r.core_sched.map(|s| s.wait_ns)),
    );
    m.insert(
        "harness_runq_wait_ms".into(),
        ms_json(r.harness_sched.map(|s| s.wait_ns)),
    );
    m.insert("flow".into(), json!("mix"));
    m.insert("seed".into(), json!(seed));
    m.insert("cores".into(), json!(cpus()));
    m.insert("loadavg_1m".into(), json!(loadavg_1m()));
    m.insert("placement".into(), json!(placement_note(r.profile)));
    m.insert("unix_s".into(), json!(unix_s()));
    Value::Object(m)
}

/// The error line of a run that failed.
pub fn error_line(profile: Profile, d: Durability, rate: Rate, err: &str) -> Value {
    json!({
        "bench": BENCH,
        "profile": profile.name(),
        "durability": durability_name(d),
        "rate": rate.to_json(),
        "error": err,
        "unix_s": unix_s(),
    })
}

/// The whole benchmark: every profile x durability x rate. Returns the
/// lines it printed. A failed run is an `error` line; the others still run.
pub fn run(o: &Options) -> Result<Vec<Value>, String> {
    let mut w = match &o.results_dir {
        Some(d) => ResultsWriter::open(d, BENCH).map_err(|e| format!("{}: {e}", d.display()))?,
        None => ResultsWriter::stdout_only(),
    };
    let need = o
        .rates
        .iter()
        .map(|&r| {
            let (a, b) = o.counts(r);
            a + b
        })
        .max()
        .unwrap_or(1);
    let t = Instant::now();
    let flow = mix_flow(o, need);
    eprintln!(
        "pipeline-latency: mix flow of {} setup + {} commands built in {:.1}s",
        flow.setup.len(),
        flow.measured.len(),
        t.elapsed().as_secs_f64()
    );
    let mut lines = Vec::new();
    let mut panels: Vec<Panel> = Vec::new();
    for &d in &o.durabilities {
        for &profile in &o.profiles {
            let mut panel = Panel {
                title: format!("profile {}, journal {}", profile.name(), durability_name(d)),
                series: Vec::new(),
            };
            for &rate in &o.rates {
                eprintln!(
                    "pipeline-latency: {} / {} at {rate} ({:?} commands)",
                    profile.name(),
                    durability_name(d),
                    o.counts(rate)
                );
                let v = match run_one(o, &flow, profile, d, rate) {
                    Ok(r) => {
                        if let Some(dir) = &o.results_dir {
                            let name =
                                format!("{BENCH}-{}-{}-{rate}", profile.name(), durability_name(d));
                            if let Err(e) = write_hgrm(&r.hist, &hgrm_path(dir, &name)) {
                                eprintln!("pipeline-latency: hgrm: {e}");
                            }
                        }
                        panel.series.push(Series {
                            key: rate.to_string(),
                            label: format!("{rate} (achieved {})", short_rate(r.achieved)),
                            pcts: r.pcts.clone(),
                        });
                        line(&r, o.seed)
                    }
                    Err(e) => {
                        eprintln!("pipeline-latency: {e}");
                        error_line(profile, d, rate, &e)
                    }
                };
                w.line(&v).map_err(|e| e.to_string())?;
                lines.push(v);
            }
            panels.push(panel);
        }
    }
    if let (true, Some(dir)) = (o.plot, &o.results_dir) {
        let path = dir.join(format!("{BENCH}.svg"));
        let title = format!(
            "Pipeline latency (in process, mix flow, journal on, coordinated omission corrected), {} cores",
            cpus()
        );
        match crate::plot::write_svg(&path, &title, &panels) {
            Ok(()) => eprintln!("pipeline-latency: plot {}", path.display()),
            Err(e) => eprintln!("pipeline-latency: {e}"),
        }
    }
    if let Some(p) = w.path() {
        eprintln!("pipeline-latency: appended to {}", p.display());
    }
    Ok(lines)
}

/// `2.9M/s`, `99.8k/s`.
pub fn short_rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M/s", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k/s", x / 1e3)
    } else {
        format!("{x:.0}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_respect_the_cap() {
        let o = Options::full();
        assert_eq!(o.counts(Rate::PerSec(100_000)), (50_000, 200_000));
        let (w, m) = o.counts(Rate::PerSec(5_000_000));
        assert_eq!(w + m, 5_000_000);
        assert_eq!(m, 4_000_000);
        let (w, m) = o.counts(Rate::Max);
        assert_eq!(w + m, 5_000_000);
    }
}
