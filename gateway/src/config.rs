//! Server configuration: an embedded default, a TOML file over it, flags over both.
//!
//! Two profiles place the agents on threads:
//! - `default`: the journaler and the business logic share one thread, the
//!   network loop has its own; both back off (spin, yield, park) when idle,
//!   so nothing spins on an idle 2-core machine.
//! - `low_latency`: the same two threads, each pinned to its own core and
//!   busy-spinning. Needs two free cores. With `threads = "dedicated"` the
//!   journaler and the business logic get a thread each (three spinning
//!   threads: for machines with at least four cores).

use pipeline::idle::IdleConfig;
use serde::Deserialize;
use std::path::PathBuf;

/// The configuration `ringex` runs on when given none.
pub const DEFAULT_TOML: &str = r#"
# Where the journal and snapshots live.
data_dir = "./data"
# HTTP + WebSocket (ws://HOST:PORT/ws), and the binary TCP protocol.
http_addr = "127.0.0.1:8080"
tcp_addr = "127.0.0.1:9000"
# "default" (behaves on small machines) or "low_latency" (pinned, spinning).
profile = "default"
# Snapshots kept in DATA_DIR/snapshots.
snapshots_keep = 3

[journal]
segment_mb = 256
# "os": page cache, synced in the background; survives a process crash.
# "fsync": group commit per batch before outputs are released; survives power loss.
durability = "os"
prefault = true

[pipeline]
inbound_size = 65536
outbound_size = 262144
# "shared": journaler and business logic on one thread; "dedicated": one each.
threads = "shared"
batch = 256
# Idle strategies override the profile's, for the core thread(s) and the
# network loop: { kind = "busy_spin" }, { kind = "park", us = 100 } or
# { kind = "backoff", spins = 200, yields = 20, park_min_us = 50, park_max_us = 1000 }
# (the default profile's).
# idle = { kind = "backoff", spins = 200, yields = 20, park_min_us = 50, park_max_us = 1000 }
# gateway_idle = { kind = "backoff", spins = 200, yields = 20, park_min_us = 50, park_max_us = 1000 }

[history]
# Orders, trades and transfers kept for queries and back offices:
# "sqlite" (DATA_DIR/history.sqlite), "postgres" (with url) or "none".
backend = "sqlite"
# url = "postgres://ringex@127.0.0.1:5432/ringex"

[limits]
max_connections = 1024
max_frame_bytes = 65536
http_body_max = 65536
rate_per_s = 2000
burst = 4000
send_queue_bytes = 4194304
"#;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub http_addr: String,
    pub tcp_addr: String,
    #[serde(default)]
    pub admin_key: Option<String>,
    #[serde(default = "yes")]
    pub demo: bool,
    pub profile: Profile,
    pub snapshots_keep: usize,
    pub journal: JournalSection,
    pub pipeline: PipelineSection,
    pub history: HistorySection,
    pub limits: LimitsSection,
    /// A replicated node (see docs/operations.md); absent: a single node.
    #[serde(default)]
    pub replication: Option<replication::ReplicationConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySection {
    pub backend: HistoryBackend,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryBackend {
    Sqlite,
    Postgres,
    None,
}

impl HistoryBackend {
    pub fn parse(s: &str) -> Result<HistoryBackend, String> {
        match s {
            "sqlite" => Ok(HistoryBackend::Sqlite),
            "postgres" => Ok(HistoryBackend::Postgres),
            "none" => Ok(HistoryBackend::None),
            other => Err(format!(
                "history backend {other:?}: expected sqlite, postgres or none"
            )),
        }
    }
}

impl Config {
    /// The store URL the history section names; `None` for no store.
    pub fn history_url(&self) -> Result<Option<String>, String> {
        match self.history.backend {
            HistoryBackend::None => Ok(None),
            HistoryBackend::Sqlite => Ok(Some(format!(
                "sqlite:{}",
                self.data_dir.join("history.sqlite").display()
            ))),
            HistoryBackend::Postgres => match &self.history.url {
                Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                    Ok(Some(u.clone()))
                }
                Some(u) => Err(format!(
                    "history.url {u:?}: expected postgres://user@host:port/db"
                )),
                None => Err("history.backend = \"postgres\" needs history.url".into()),
            },
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    Default,
    LowLatency,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalSection {
    pub segment_mb: u64,
    pub durability: DurabilityName,
    pub prefault: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurabilityName {
    Os,
    Fsync,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    pub inbound_size: usize,
    pub outbound_size: usize,
    pub threads: Threads,
    pub batch: u64,
    /// Overrides the profile's idle strategy of the core thread(s).
    #[serde(default)]
    pub idle: Option<IdleConfig>,
    /// Overrides the profile's idle strategy of the network loop.
    #[serde(default)]
    pub gateway_idle: Option<IdleConfig>,
    /// Cores to pin: [network loop, core (or journaler), business logic].
    #[serde(default)]
    pub pin_cores: Option<Vec<usize>>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threads {
    Shared,
    Dedicated,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub max_connections: usize,
    pub max_frame_bytes: usize,
    pub http_body_max: usize,
    pub rate_per_s: u64,
    pub burst: u64,
    pub send_queue_bytes: usize,
}

/// Where each agent runs and how it idles, as the profile and overrides decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub core_idle: IdleConfig,
    pub gateway_idle: IdleConfig,
    /// [network loop, core or journaler, business logic]
    pub pin_cores: Vec<usize>,
}

impl Config {
    /// The embedded default, then `file` (a TOML text) merged over it.
    pub fn load(file: Option<&str>) -> Result<Config, String> {
        let mut base: toml::Table = DEFAULT_TOML
            .parse()
            .map_err(|e| format!("embedded config: {e}"))?;
        if let Some(text) = file {
            let over: toml::Table = text.parse().map_err(|e| format!("config: {e}"))?;
            merge(&mut base, over);
        }
        Config::deserialize(base).map_err(|e| format!("config: {e}"))
    }

    pub fn placement(&self) -> Placement {
        let spin = self.profile == Profile::LowLatency;
        let idle = if spin {
            IdleConfig::BusySpin
        } else {
            IdleConfig::default()
        };
        let pins = if spin { vec![0, 1, 2] } else { vec![] };
        Placement {
            core_idle: self.pipeline.idle.unwrap_or(idle),
            gateway_idle: self.pipeline.gateway_idle.unwrap_or(idle),
            pin_cores: self.pipeline.pin_cores.clone().unwrap_or(pins),
        }
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_loads_and_does_not_spin() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.http_addr, "127.0.0.1:8080");
        let p = c.placement();
        assert!(!p.core_idle.spins_forever() && !p.gateway_idle.spins_forever());
        assert!(p.pin_cores.is_empty());
    }

    #[test]
    fn file_overrides_and_low_latency_pins_and_spins() {
        let c = Config::load(Some(
            "profile = \"low_latency\"\n[journal]\ndurability = \"fsync\"\n",
        ))
        .unwrap();
        assert_eq!(c.journal.durability, DurabilityName::Fsync);
        assert_eq!(c.journal.segment_mb, 256);
        let p = c.placement();
        assert!(p.core_idle.spins_forever());
        assert_eq!(p.pin_cores, vec![0, 1, 2]);
    }

    /// The commented idle examples of the default file, uncommented, load
    /// and equal the default profile's strategies.
    #[test]
    fn commented_idle_examples_are_the_default_profiles() {
        let examples: String = DEFAULT_TOML
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with("idle = ") || l.starts_with("gateway_idle = "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(examples.lines().count(), 2, "{examples}");
        let c = Config::load(Some(&format!("[pipeline]\n{examples}"))).unwrap();
        let p = c.placement();
        let d = Config::load(None).unwrap().placement();
        assert_eq!(p.core_idle, d.core_idle);
        assert_eq!(p.gateway_idle, d.gateway_idle);
        assert_eq!(c.pipeline.idle, Some(IdleConfig::default()));
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(Config::load(Some("htp_addr = \"x\""))
            .unwrap_err()
            .contains("htp_addr"));
    }
}
