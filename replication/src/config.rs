//! The `[replication]` section and the role flags.

use serde::Deserialize;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ack {
    /// Outputs wait until the stream acknowledged their input.
    Replicated,
    /// Outputs leave after the local journal; a failover may lose what the
    /// stream did not have yet.
    Local,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Standby,
    /// Take the lease if it is free, else follow.
    Auto,
}

impl Role {
    pub fn parse(s: &str) -> Result<Role, String> {
        match s {
            "primary" => Ok(Role::Primary),
            "standby" => Ok(Role::Standby),
            "auto" => Ok(Role::Auto),
            o => Err(format!("role {o:?}: expected primary, standby or auto")),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicationConfig {
    pub servers: Vec<String>,
    pub node_id: String,
    #[serde(default = "stream_default")]
    pub stream: String,
    #[serde(default = "replicas_default")]
    pub replicas: usize,
    #[serde(default = "ack_default")]
    pub ack: Ack,
    #[serde(default = "lease_default")]
    pub lease_ms: u64,
}

fn stream_default() -> String {
    "RINGEX_JOURNAL".into()
}
fn replicas_default() -> usize {
    3
}
fn ack_default() -> Ack {
    Ack::Replicated
}
fn lease_default() -> u64 {
    2_000
}

impl ReplicationConfig {
    pub fn new(servers: Vec<String>, node_id: &str) -> ReplicationConfig {
        ReplicationConfig {
            servers,
            node_id: node_id.into(),
            stream: stream_default(),
            replicas: replicas_default(),
            ack: ack_default(),
            lease_ms: lease_default(),
        }
    }

    /// The errors an operator should see at start rather than later.
    pub fn check(&self) -> Result<(), String> {
        if self.servers.is_empty() {
            return Err("replication.servers is empty".into());
        }
        if self.node_id.is_empty()
            || !self
                .node_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "replication.node_id {:?}: letters, digits, - and _ only",
                self.node_id
            ));
        }
        if !(1..=5).contains(&self.replicas) {
            return Err(format!("replication.replicas {}: 1 to 5", self.replicas));
        }
        if self.lease_ms < 200 {
            return Err(format!(
                "replication.lease_ms {}: at least 200",
                self.lease_ms
            ));
        }
        if self.stream.is_empty()
            || !self
                .stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "replication.stream {:?}: letters, digits, - and _ only",
                self.stream
            ));
        }
        Ok(())
    }
}
