//! Counters and latency histograms for `GET /metrics`, in Prometheus text.
//!
//! Lock-free. The gateway's counters are relaxed atomic adds. The business
//! logic counts in plain integers on its own thread ([`CoreCounts`]) and
//! stores them here once per batch ([`Metrics::publish_core`]), into cache
//! lines no other thread writes: an atomic add per event would stall the
//! core thread on its own outstanding stores, and share lines with the
//! gateway's counters. Latency buckets are powers of two in nanoseconds
//! (1 µs .. ~17 s), rendered as a cumulative Prometheus histogram.

use engine::{CommandKind, Reason};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const OPS: [&str; 11] = [
    "place",
    "cancel",
    "amend",
    "cancel_all",
    "add_asset",
    "add_symbol",
    "add_user",
    "deposit",
    "withdraw",
    "halt",
    "resume",
];
const REASONS: [Reason; 11] = [
    Reason::UnknownUser,
    Reason::UnknownSymbol,
    Reason::MarketHalted,
    Reason::InvalidQty,
    Reason::InvalidPrice,
    Reason::DuplicateClientOrderId,
    Reason::PriceOutOfBand,
    Reason::StopWouldTrigger,
    Reason::InsufficientFunds,
    Reason::Unsupported,
    Reason::LimitReached,
];
const BUCKETS: usize = 25; // 2^10 ns (~1 µs) .. 2^34 ns (~17 s)

/// A histogram of nanosecond latencies with power-of-two buckets.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    pub fn record(&self, ns: u64) {
        let b = (64 - ns.leading_zeros())
            .saturating_sub(10)
            .min(BUCKETS as u32 - 1) as usize;
        self.buckets[b].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    /// Prometheus text: `name_bucket{le=…}` (seconds), `name_sum`, `name_count`.
    pub fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cum = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cum += b.load(Relaxed);
            let le = (1u64 << (i + 10)) as f64 / 1e9;
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cum}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_ns.load(Relaxed) as f64 / 1e9);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// What the business logic counts, on its own thread.
#[derive(Clone, Debug, Default)]
pub struct CoreCounts {
    commands: [u64; OPS.len()],
    rejects: [u64; REASONS.len()],
    /// Inbound slots (commands and queries) handled.
    pub applied: u64,
    /// Outbound slots published.
    pub outbound_published: u64,
}

impl CoreCounts {
    #[inline]
    pub fn command(&mut self, k: &CommandKind) {
        let i = match k {
            CommandKind::Place(_) => 0,
            CommandKind::Cancel { .. } => 1,
            CommandKind::Amend { .. } => 2,
            CommandKind::CancelAll { .. } => 3,
            CommandKind::AddAsset { .. } => 4,
            CommandKind::AddSymbol(_) => 5,
            CommandKind::AddUser { .. } => 6,
            CommandKind::Deposit { .. } => 7,
            CommandKind::Withdraw { .. } => 8,
            CommandKind::Halt { .. } => 9,
            CommandKind::Resume { .. } => 10,
        };
        debug_assert_eq!(OPS[i], k.op_name());
        self.commands[i] += 1;
    }

    #[inline]
    pub fn reject(&mut self, r: Reason) {
        if let Some(i) = REASONS.iter().position(|&x| x == r) {
            self.rejects[i] += 1;
        }
    }
}

/// [`CoreCounts`] as the other threads read them; only the business logic
/// writes here, on cache lines of their own.
#[repr(align(128))]
#[derive(Default)]
struct CoreBlock {
    commands: [AtomicU64; OPS.len()],
    rejects: [AtomicU64; REASONS.len()],
    applied: AtomicU64,
    outbound_published: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    core: CoreBlock,
    pub gateway_errors: AtomicU64,
    pub overloaded: AtomicU64,
    pub connections: AtomicU64,
    pub inbound_published: AtomicU64,
    pub outbound_consumed: AtomicU64,
    /// Receive at the gateway to the first report written to the session.
    pub latency: Histogram,
}

impl Metrics {
    /// Stores the business logic's counts (its thread only; once per batch).
    pub fn publish_core(&self, c: &CoreCounts) {
        let b = &self.core;
        for (a, &v) in b.commands.iter().zip(&c.commands) {
            a.store(v, Relaxed);
        }
        for (a, &v) in b.rejects.iter().zip(&c.rejects) {
            a.store(v, Relaxed);
        }
        b.applied.store(c.applied, Relaxed);
        b.outbound_published.store(c.outbound_published, Relaxed);
    }

    /// Inbound slots the business logic handled (as of its last batch).
    pub fn applied(&self) -> u64 {
        self.core.applied.load(Relaxed)
    }

    /// Outbound slots the business logic published (as of its last batch).
    pub fn outbound_published(&self) -> u64 {
        self.core.outbound_published.load(Relaxed)
    }

    /// Prometheus text exposition.
    pub fn render(&self, inbound_depth: u64, outbound_depth: u64) -> String {
        let mut s = String::with_capacity(4096);
        let _ = writeln!(s, "# HELP ringex_ring_depth Slots published but not yet consumed.\n# TYPE ringex_ring_depth gauge");
        let _ = writeln!(s, "ringex_ring_depth{{ring=\"inbound\"}} {inbound_depth}");
        let _ = writeln!(s, "ringex_ring_depth{{ring=\"outbound\"}} {outbound_depth}");
        let _ = writeln!(s, "# HELP ringex_commands_total Commands applied, by op.\n# TYPE ringex_commands_total counter");
        for (i, op) in OPS.iter().enumerate() {
            let _ = writeln!(
                s,
                "ringex_commands_total{{op=\"{op}\"}} {}",
                self.core.commands[i].load(Relaxed)
            );
        }
        let _ = writeln!(s, "# HELP ringex_rejects_total Rejected places, by reason.\n# TYPE ringex_rejects_total counter");
        for (i, r) in REASONS.iter().enumerate() {
            let _ = writeln!(
                s,
                "ringex_rejects_total{{reason=\"{}\"}} {}",
                r.as_str(),
                self.core.rejects[i].load(Relaxed)
            );
        }
        for (name, v, help) in [
            (
                "ringex_gateway_errors_total",
                &self.gateway_errors,
                "Requests answered with a gateway error.",
            ),
            (
                "ringex_overloaded_total",
                &self.overloaded,
                "Requests refused because the inbound ring was full.",
            ),
        ] {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP ringex_connections Open client connections.\n# TYPE ringex_connections gauge\nringex_connections {}",
            self.connections.load(Relaxed)
        );
        self.latency.render(
            "ringex_order_latency_seconds",
            "From a command's receipt at the gateway to its first report written to the session.",
            &mut s,
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_counts_appear_once_published() {
        let m = Metrics::default();
        let mut c = CoreCounts::default();
        c.command(&CommandKind::Halt {
            symbol: engine::Name::new("X").unwrap(),
        });
        c.reject(Reason::InsufficientFunds);
        c.applied = 3;
        assert!(m
            .render(0, 0)
            .contains("ringex_commands_total{op=\"halt\"} 0"));
        m.publish_core(&c);
        let s = m.render(0, 0);
        assert!(s.contains("ringex_commands_total{op=\"halt\"} 1"), "{s}");
        assert!(s.contains("ringex_rejects_total{reason=\"insufficient_funds\"} 1"));
        assert_eq!(m.applied(), 3);
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.record(500);
        h.record(3_000);
        h.record(3_000);
        let mut s = String::new();
        h.render("x", "h", &mut s);
        assert!(s.contains("x_bucket{le=\"0.000001024\"} 1"), "{s}");
        assert!(s.contains("x_bucket{le=\"0.000004096\"} 3"), "{s}");
        assert!(s.contains("x_count 3"));
    }
}
