//! Counters and latency histograms for `GET /metrics`, in Prometheus text.
//!
//! Lock-free: every update is a relaxed atomic add, safe from any thread and
//! cheap enough for the hot path. Latency buckets are powers of two in
//! nanoseconds (1 µs .. ~17 s), rendered as a cumulative Prometheus histogram.

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

    fn render(&self, name: &str, help: &str, out: &mut String) {
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

#[derive(Default)]
pub struct Metrics {
    commands: [AtomicU64; OPS.len()],
    rejects: [AtomicU64; REASONS.len()],
    pub gateway_errors: AtomicU64,
    pub overloaded: AtomicU64,
    pub connections: AtomicU64,
    pub inbound_published: AtomicU64,
    pub outbound_published: AtomicU64,
    pub outbound_consumed: AtomicU64,
    /// Inbound slots (commands and queries) the business logic handled.
    pub applied: AtomicU64,
    /// Receive at the gateway to the first report written to the session.
    pub latency: Histogram,
}

impl Metrics {
    pub fn count_command(&self, k: &CommandKind) {
        let op = k.op_name();
        if let Some(i) = OPS.iter().position(|&o| o == op) {
            self.commands[i].fetch_add(1, Relaxed);
        }
    }

    pub fn count_reject(&self, r: Reason) {
        if let Some(i) = REASONS.iter().position(|&x| x == r) {
            self.rejects[i].fetch_add(1, Relaxed);
        }
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
                self.commands[i].load(Relaxed)
            );
        }
        let _ = writeln!(s, "# HELP ringex_rejects_total Rejected places, by reason.\n# TYPE ringex_rejects_total counter");
        for (i, r) in REASONS.iter().enumerate() {
            let _ = writeln!(
                s,
                "ringex_rejects_total{{reason=\"{}\"}} {}",
                r.as_str(),
                self.rejects[i].load(Relaxed)
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
