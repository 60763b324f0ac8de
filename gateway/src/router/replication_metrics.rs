//! A replicated node's figures in Prometheus text (`/metrics`), beside the
//! `ringex_history_*` ones: role, epoch, stream position, lag, what is not
//! in the stream yet, publish failures and the publish-ack latency.
//!
//! What holds: the same figures `/healthz` shows (`lag_seq` computed the
//! same way), read from atomics only: rendering never waits on the
//! replication threads.

use replication::{NodeView, State, Stats};
use std::fmt::Write;
use std::sync::atomic::Ordering::Acquire;

const ROLES: [State; 4] = [
    State::Following,
    State::Promoting,
    State::Leading,
    State::Stopped,
];

/// Appends the `ringex_replication_*` lines; `applied_seq` is the business
/// logic's last applied seq.
pub fn render(view: &NodeView, st: &Stats, applied_seq: u64, s: &mut String) {
    let state = view.state();
    let _ = writeln!(
        s,
        "# HELP ringex_replication_role 1 for this node's role (standby, promoting, primary, stopped).\n# TYPE ringex_replication_role gauge"
    );
    for r in ROLES {
        let _ = writeln!(
            s,
            "ringex_replication_role{{role=\"{}\"}} {}",
            r.as_str(),
            u8::from(r == state)
        );
    }
    let replicated = st.replicated_seq.load(Acquire);
    let primary_seq = st.primary_seq.load(Acquire).max(replicated);
    for (name, kind, help, v) in [
        (
            "ringex_replication_epoch",
            "gauge",
            "Lease epoch this node leads or last took part in (0: none yet).",
            view.epoch(),
        ),
        (
            "ringex_replication_stream_seq",
            "gauge",
            "Stream sequence of the last message written or seen.",
            st.stream_seq.load(Acquire),
        ),
        (
            "ringex_replication_replicated_seq",
            "gauge",
            "Last input the stream acknowledged (primary) or handed over (standby).",
            replicated,
        ),
        (
            "ringex_replication_lag_seq",
            "gauge",
            "Inputs the stream holds beyond what this node applied (a standby's lag).",
            primary_seq.saturating_sub(applied_seq.min(primary_seq)),
        ),
        (
            "ringex_replication_unreplicated_seq",
            "gauge",
            "Inputs applied that the stream has not acknowledged yet (only with ack = \"local\").",
            st.unreplicated(),
        ),
        (
            "ringex_replication_available",
            "gauge",
            "0 while the stream refuses or times out publishes.",
            u64::from(st.available.load(Acquire)),
        ),
        (
            "ringex_replication_fenced",
            "gauge",
            "1 once a publish was refused because another primary writes.",
            u64::from(st.fenced.load(Acquire)),
        ),
        (
            "ringex_replication_publish_failures_total",
            "counter",
            "Publishes that failed (each retried).",
            st.failures.load(Acquire),
        ),
    ] {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
    }
    st.ack_latency.render(
        "ringex_replication_ack_latency_seconds",
        "From a batch's first publish to the stream's acknowledgement (retries included).",
        s,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_rendered_once_with_its_value() {
        let view = NodeView::default();
        let st = Stats::default();
        st.replicated_seq
            .store(7, std::sync::atomic::Ordering::Release);
        st.passed_seq
            .store(10, std::sync::atomic::Ordering::Release);
        st.failures.store(3, std::sync::atomic::Ordering::Release);
        st.ack_latency.record(2_000_000);
        let mut s = String::new();
        render(&view, &st, 10, &mut s);
        for line in [
            "ringex_replication_role{role=\"standby\"} 1",
            "ringex_replication_role{role=\"primary\"} 0",
            "ringex_replication_replicated_seq 7",
            "ringex_replication_unreplicated_seq 3",
            "ringex_replication_lag_seq 0",
            "ringex_replication_publish_failures_total 3",
            "ringex_replication_ack_latency_seconds_count 1",
            "ringex_replication_ack_latency_seconds_bucket{le=\"+Inf\"} 1",
        ] {
            assert_eq!(
                s.lines().filter(|l| *l == line).count(),
                1,
                "{line} in:\n{s}"
            );
        }
        assert_eq!(s.matches("# TYPE ringex_replication_").count(), 10, "{s}");
    }
}
