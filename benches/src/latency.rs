//! What every latency benchmark shares: offered rates, the schedule that
//! corrects coordinated omission, histograms and their percentiles, and the
//! percentile-distribution files written beside the results.
//!
//! What holds:
//! - At a fixed rate, request `i` of a run is *intended* at
//!   `start + i / rate` ([`Schedule::intended_ns`]), and its latency is
//!   measured from that instant, not from when it was actually sent. A
//!   sender that falls behind (a full ring, a stalled socket, a descheduled
//!   thread) therefore shows up in the percentiles instead of silently
//!   sending fewer requests: the correction for coordinated omission, as
//!   HdrHistogram and wrk2 describe it.
//! - [`Rate::Max`] has no schedule: latency runs from the actual send (the
//!   caller picks closed loop or "as fast as the queue takes").
//! - Histograms cover 1 ns to [`HIST_MAX_NS`] with 3 significant digits;
//!   larger values are clamped to the top (never dropped).
//!
//! What it must never do: assert on a number (benchmarks print, tests
//! check shapes only).

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Largest latency a histogram holds (60 s); above it values are clamped.
pub const HIST_MAX_NS: u64 = 60_000_000_000;

/// The percentiles every latency line carries, with their JSON keys.
pub const PERCENTILES: [(f64, &str); 5] = [
    (50.0, "p50_ns"),
    (90.0, "p90_ns"),
    (99.0, "p99_ns"),
    (99.9, "p999_ns"),
    (99.99, "p9999_ns"),
];

/// An offered load.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rate {
    /// Requests per second, on a fixed schedule.
    PerSec(u64),
    /// As fast as possible.
    Max,
}

impl Rate {
    /// `100k`, `1m`, `3000000`, `max`.
    pub fn parse(s: &str) -> Option<Rate> {
        let s = s.trim().to_ascii_lowercase();
        if s == "max" {
            return Some(Rate::Max);
        }
        let (num, mul) = if let Some(n) = s.strip_suffix('k') {
            (n, 1_000)
        } else if let Some(n) = s.strip_suffix('m') {
            (n, 1_000_000)
        } else {
            (s.as_str(), 1)
        };
        let v: f64 = num.replace('_', "").parse().ok()?;
        let r = (v * mul as f64).round();
        (1.0..1e12).contains(&r).then_some(Rate::PerSec(r as u64))
    }

    /// A comma-separated list of rates.
    pub fn parse_list(s: &str) -> Result<Vec<Rate>, String> {
        s.split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| Rate::parse(x).ok_or_else(|| format!("bad rate {x:?} (e.g. 100k, 1m, max)")))
            .collect()
    }

    /// JSON: the number, or `"max"`.
    pub fn to_json(self) -> Value {
        match self {
            Rate::PerSec(r) => json!(r),
            Rate::Max => json!("max"),
        }
    }

    /// Commands a run of `secs` at this rate sends (`None` for `Max`).
    pub fn count_for(self, secs: f64) -> Option<u64> {
        match self {
            Rate::PerSec(r) => Some(((r as f64) * secs).round().max(1.0) as u64),
            Rate::Max => None,
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Max => f.write_str("max"),
            Rate::PerSec(r) if *r >= 1_000_000 && r % 1_000_000 == 0 => {
                write!(f, "{}M/s", r / 1_000_000)
            }
            Rate::PerSec(r) if *r >= 1_000 && r % 1_000 == 0 => write!(f, "{}k/s", r / 1_000),
            Rate::PerSec(r) => write!(f, "{r}/s"),
        }
    }
}

/// A monotonic clock in nanoseconds since a base instant.
#[derive(Copy, Clone, Debug)]
pub struct Clock {
    base: Instant,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            base: Instant::now(),
        }
    }

    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// When request `i` of a fixed-rate run is due.
#[derive(Copy, Clone, Debug)]
pub struct Schedule {
    pub start_ns: u64,
    /// Nanoseconds between two requests (fractional: 3 M/s is 333.3 ns).
    pub period_ns: f64,
}

impl Schedule {
    pub fn new(start_ns: u64, rate_per_s: u64) -> Schedule {
        Schedule {
            start_ns,
            period_ns: 1e9 / rate_per_s.max(1) as f64,
        }
    }

    #[inline]
    pub fn intended_ns(&self, i: u64) -> u64 {
        self.start_ns + (i as f64 * self.period_ns) as u64
    }
}

/// Waits until `clock` reaches `t_ns`: sleeps while it is far away (leaving
/// `spin_ns` of margin for the timer's slack), then spins with a yield so a
/// thread that shares the core can run.
pub fn wait_until(clock: &Clock, t_ns: u64, spin_ns: u64) {
    loop {
        let now = clock.now_ns();
        if now >= t_ns {
            return;
        }
        let left = t_ns - now;
        if left > spin_ns + 50_000 {
            std::thread::sleep(Duration::from_nanos(left - spin_ns));
        } else {
            std::thread::yield_now();
        }
    }
}

/// A histogram of nanoseconds, 3 significant digits, up to [`HIST_MAX_NS`].
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_NS, 3).expect("valid histogram bounds")
}

/// Records `ns` (clamped into the histogram's range).
#[inline]
pub fn record(h: &mut Histogram<u64>, ns: u64) {
    h.saturating_record(ns.clamp(1, HIST_MAX_NS));
}

/// What a histogram says, as the JSON lines carry it.
#[derive(Clone, Debug, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    /// Values at [`PERCENTILES`], in ns.
    pub at: [u64; 5],
    pub max_ns: u64,
    pub mean_ns: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        let mut at = [0u64; 5];
        for (i, (p, _)) in PERCENTILES.iter().enumerate() {
            at[i] = if h.is_empty() {
                0
            } else {
                h.value_at_percentile(*p)
            };
        }
        Percentiles {
            count: h.len(),
            at,
            max_ns: if h.is_empty() { 0 } else { h.max() },
            mean_ns: if h.is_empty() { 0.0 } else { h.mean() },
        }
    }

    pub fn p50_ns(&self) -> u64 {
        self.at[0]
    }

    pub fn p99_ns(&self) -> u64 {
        self.at[2]
    }

    /// Adds `count`, the percentile keys, `max_ns` and `mean_ns` to `obj`.
    pub fn put(&self, obj: &mut Map<String, Value>) {
        obj.insert("count".into(), json!(self.count));
        for (i, (_, key)) in PERCENTILES.iter().enumerate() {
            obj.insert((*key).into(), json!(self.at[i]));
        }
        obj.insert("max_ns".into(), json!(self.max_ns));
        obj.insert("mean_ns".into(), json!(self.mean_ns.round() as u64));
    }
}

/// Writes `h` as an HdrHistogram percentile distribution (`.hgrm`, the
/// text format HdrHistogram's own plotter reads), values in microseconds.
pub fn write_hgrm(h: &Histogram<u64>, path: &Path) -> io::Result<()> {
    if let Some(d) = path.parent() {
        fs::create_dir_all(d)?;
    }
    let mut out = io::BufWriter::new(fs::File::create(path)?);
    writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    if !h.is_empty() {
        for v in h.iter_quantiles(1) {
            let q = v.quantile_iterated_to();
            let inv = if q < 1.0 {
                format!("{:>14.2}", 1.0 / (1.0 - q))
            } else {
                format!("{:>14}", "")
            };
            writeln!(
                out,
                "{:>12.3} {:>14.12} {:>10} {}",
                v.value_iterated_to() as f64 / 1000.0,
                q,
                v.count_since_last_iteration(),
                inv
            )?;
        }
    }
    writeln!(
        out,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        h.mean() / 1000.0,
        h.stdev() / 1000.0
    )?;
    writeln!(
        out,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        h.max() as f64 / 1000.0,
        h.len()
    )?;
    out.flush()
}

/// `<results>/hgrm/<name>.hgrm` with `name` reduced to `[A-Za-z0-9._-]`.
pub fn hgrm_path(results_dir: &Path, name: &str) -> PathBuf {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    results_dir.join("hgrm").join(format!("{clean}.hgrm"))
}

/// The 1-minute load average (`/proc/loadavg`), to say how busy the machine
/// was; `None` where it cannot be read.
pub fn loadavg_1m() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Scheduler time of threads (Linux `schedstat`), summed: nanoseconds on a
/// CPU and nanoseconds runnable but waiting for one. `pid` `None` is this
/// process; `name` keeps only threads whose name (`comm`) is exactly that.
/// The wait is what a busy machine costs a thread: a spinning thread that
/// waits milliseconds for a CPU shows milliseconds of latency.
pub fn sched_ns(pid: Option<u32>, name: Option<&str>) -> Option<SchedNs> {
    let dir = match pid {
        Some(p) => PathBuf::from(format!("/proc/{p}/task")),
        None => PathBuf::from("/proc/self/task"),
    };
    let mut total = SchedNs::default();
    let mut found = false;
    for e in fs::read_dir(dir).ok()?.flatten() {
        if let Some(n) = name {
            let comm = fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            if comm.trim_end() != n {
                continue;
            }
        }
        let Ok(st) = fs::read_to_string(e.path().join("schedstat")) else {
            continue;
        };
        let mut it = st.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
        total.cpu_ns += it.next().unwrap_or(0);
        total.wait_ns += it.next().unwrap_or(0);
        found = true;
    }
    found.then_some(total)
}

/// The calling thread's scheduler time (see [`sched_ns`]).
pub fn thread_sched_ns() -> Option<SchedNs> {
    let st = fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut it = st.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
    Some(SchedNs {
        cpu_ns: it.next()?,
        wait_ns: it.next()?,
    })
}

/// On-CPU and waiting-for-a-CPU nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SchedNs {
    pub cpu_ns: u64,
    pub wait_ns: u64,
}

impl SchedNs {
    /// `later - self`, or `None` when either is unknown.
    pub fn delta(before: Option<SchedNs>, after: Option<SchedNs>) -> Option<SchedNs> {
        let (b, a) = (before?, after?);
        Some(SchedNs {
            cpu_ns: a.cpu_ns.saturating_sub(b.cpu_ns),
            wait_ns: a.wait_ns.saturating_sub(b.wait_ns),
        })
    }
}

/// Milliseconds with one decimal, or null.
pub fn ms_json(ns: Option<u64>) -> Value {
    match ns {
        Some(n) => json!((n as f64 / 1e5).round() / 10.0),
        None => Value::Null,
    }
}

/// How many logical CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(Rate::parse("100k"), Some(Rate::PerSec(100_000)));
        assert_eq!(Rate::parse("1M"), Some(Rate::PerSec(1_000_000)));
        assert_eq!(Rate::parse("2.5k"), Some(Rate::PerSec(2_500)));
        assert_eq!(Rate::parse("max"), Some(Rate::Max));
        assert_eq!(Rate::parse("0"), None);
        assert_eq!(Rate::parse("x"), None);
        assert_eq!(
            Rate::parse_list("1k,max").unwrap(),
            vec![Rate::PerSec(1000), Rate::Max]
        );
        assert_eq!(Rate::PerSec(3_000_000).to_string(), "3M/s");
        assert_eq!(Rate::PerSec(50_000).to_string(), "50k/s");
    }

    #[test]
    fn schedule_is_exact_over_long_runs() {
        let s = Schedule::new(1_000, 3_000_000);
        assert_eq!(s.intended_ns(0), 1_000);
        assert_eq!(s.intended_ns(3_000_000), 1_000 + 1_000_000_000);
    }

    #[test]
    fn percentiles_of_a_known_histogram() {
        let mut h = new_histogram();
        for v in 1..=10_000u64 {
            record(&mut h, v * 1000);
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.count, 10_000);
        assert!((p.p50_ns() as f64 - 5_000_000.0).abs() < 10_000.0);
        assert!(p.max_ns >= 9_990_000);
        let mut m = Map::new();
        p.put(&mut m);
        for (_, k) in PERCENTILES {
            assert!(m.contains_key(k));
        }
    }
}
