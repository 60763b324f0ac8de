//! Ringex benchmarks: the command flows every engine is fed, the peer engines
//! they are compared with, and the harnesses that time them.
//!
//! What this crate owns:
//! - [`flows`]: deterministic generators (`mix`, `deep`) and real-data mappings
//!   (`lobster`, `itch`) that turn into one [`flowfile::Flow`]: untimed setup
//!   commands followed by the measured commands.
//! - [`flowfile`]: the command file a flow is written to once, so that ringex
//!   and the peers run exactly the same commands (layout in `docs/flows.md`).
//! - [`itch`]: a NASDAQ TotalView-ITCH 5.0 reader.
//! - [`peers`]: one [`peers::BookEngine`] per engine (ringex, `matchcore`,
//!   `lobster`), each mapping our commands to its closest operations.
//! - [`throughput`]: the engine-throughput benchmark as a library entry, so a
//!   smoke test can run it on a tiny flow; [`results`] writes its JSON lines.
//! - [`pipeline_latency`], [`wire_latency`], [`memory`]: the latency
//!   benchmarks (the real pipeline in process; the real server over
//!   loopback beside a TCP echo) and resident bytes per resting order, each
//!   a library entry its binary and the smoke tests call. [`latency`] holds
//!   what they share (schedules that correct coordinated omission,
//!   histograms, percentiles), [`plot`] draws their percentile plots (SVG).
//! - [`history_bench`]: the history store's writer rate, lag, cost to the
//!   pipeline and catch-up time, on SQLite and PostgreSQL.
//! - [`replication_bench`]: order round trip with replication off and on
//!   beside the bare JetStream publish-ack of one batch, commands/s
//!   sustained by a replicated pair, and failover time (needs a NATS
//!   cluster).
//! - [`summary`]: the markdown tables `bench-summary` prints from the
//!   results files.
//!
//! What it must never do: assert on timings in tests, or read anything but
//! the files it is pointed at (data under `../shared/data`, see [`data`]).

pub mod data;
pub mod flowfile;
pub mod flows;
pub mod history_bench;
pub mod itch;
pub mod latency;
pub mod md_fanout;
pub mod memory;
pub mod peers;
pub mod pipeline_latency;
pub mod plot;
pub mod replication_bench;
pub mod results;
pub mod summary;
pub mod throughput;
pub mod wire_latency;
