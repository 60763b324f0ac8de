//! Helpers of the replication tests: the `[replication]` section, role and
//! seq waits, `/metrics` figures, and [`NatsNodes`], which stops and
//! restarts nodes of the 3-node cluster `scripts/nats.sh` started (it
//! exports `RINGEX_TEST_NATS_URLS`, `RINGEX_TEST_NATS_DIR` and
//! `RINGEX_TEST_NATS_BIN`).
//!
//! What holds: a test that stops NATS nodes holds [`serial`] for its whole
//! run (tests of one binary run in parallel), and every node it stopped is
//! running again when its [`NatsNodes`] drops, also when the test panics:
//! other tests share the cluster.

use super::Server;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The cluster's client URLs, or `None` after a visible NOTICE (the test
/// then skips).
pub fn nats_urls(test: &str) -> Option<String> {
    match std::env::var("RINGEX_TEST_NATS_URLS") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            notice(test, "RINGEX_TEST_NATS_URLS is not set");
            None
        }
    }
}

fn notice(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: skipping `{test}`: {why} (scripts/nats.sh starts a 3-node cluster)"
    );
}

/// A `[replication]` section; `extra` is appended inside it (e.g. `ack = "local"`).
pub fn section(urls: &str, node: &str, stream: &str, lease_ms: u64, extra: &str) -> String {
    let servers: Vec<String> = urls.split(',').map(|u| format!("{u:?}")).collect();
    format!(
        "[replication]\nservers = [{}]\nnode_id = \"{node}\"\nstream = \"{stream}\"\nlease_ms = {lease_ms}\n{extra}\n",
        servers.join(", ")
    )
}

pub fn healthz(srv: &Server) -> Value {
    srv.get("/healthz", None).json()
}

/// Waits until `/healthz` names `role`; how long that took.
pub fn wait_role(srv: &Server, role: &str, within: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        let h = healthz(srv);
        if h["role"] == role {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < within,
            "not {role} within {within:?}: {h}\n{}",
            srv.log_tail()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the server applied `seq`.
pub fn wait_seq(srv: &Server, seq: u64, within: Duration) {
    let t0 = Instant::now();
    loop {
        let h = healthz(srv);
        if h["seq"].as_u64().unwrap_or(0) >= seq {
            return;
        }
        assert!(
            t0.elapsed() < within,
            "seq {seq} not applied within {within:?}: {h}\n{}",
            srv.log_last(60)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The open orders of `user` (as the engine lists them).
pub fn open_orders(srv: &Server, user: u64) -> Vec<Value> {
    let r = srv.trader(user).request(json!({"op": "open_orders"}));
    r["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("open orders: {r}"))
        .clone()
}

/// The sorted client order ids of `user`'s open orders.
pub fn open_clids(srv: &Server, user: u64) -> Vec<String> {
    let mut v: Vec<String> = open_orders(srv, user)
        .iter()
        .filter_map(|o| o["client_order_id"].as_str().map(String::from))
        .collect();
    v.sort();
    v
}

/// The value of the `/metrics` line `name` (exactly, labels included).
pub fn metric(srv: &Server, name: &str) -> Option<f64> {
    let text = srv.get("/metrics", None).body;
    text.lines().find_map(|l| {
        let (n, v) = l.rsplit_once(' ')?;
        (n == name).then(|| v.parse().ok()).flatten()
    })
}

static NODES: Mutex<()> = Mutex::new(());

/// Serializes the tests that stop NATS nodes (a panicked one leaves the
/// lock usable).
pub fn serial() -> MutexGuard<'static, ()> {
    NODES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Nodes 1..=3 of the test cluster, to stop and restart with their own
/// config, store and ports.
pub struct NatsNodes {
    dir: PathBuf,
    bin: PathBuf,
    /// The nodes this test started (reaped when stopped again).
    children: [Option<Child>; 3],
    down: [bool; 3],
}

impl NatsNodes {
    /// `None` (after a NOTICE) when the script did not say where the
    /// cluster lives.
    pub fn from_env(test: &str) -> Option<NatsNodes> {
        match (
            std::env::var_os("RINGEX_TEST_NATS_DIR"),
            std::env::var_os("RINGEX_TEST_NATS_BIN"),
        ) {
            (Some(d), Some(b)) if !d.is_empty() && !b.is_empty() => Some(NatsNodes {
                dir: d.into(),
                bin: b.into(),
                children: [None, None, None],
                down: [false; 3],
            }),
            _ => {
                notice(
                    test,
                    "RINGEX_TEST_NATS_DIR / RINGEX_TEST_NATS_BIN are not set",
                );
                None
            }
        }
    }

    fn node_dir(&self, n: usize) -> PathBuf {
        self.dir.join(format!("n{n}"))
    }

    fn pid(&self, n: usize) -> Option<u32> {
        std::fs::read_to_string(self.node_dir(n).join("pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn port(&self, n: usize) -> u16 {
        let ports = std::fs::read_to_string(self.dir.join("client_ports")).expect("client_ports");
        ports
            .lines()
            .nth(n - 1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no client port for node {n}"))
    }

    /// `kill -9` of node `n` (1..=3); returns once it is gone.
    pub fn kill(&mut self, n: usize) {
        assert!((1..=3).contains(&n), "node {n}");
        let pid = self
            .pid(n)
            .unwrap_or_else(|| panic!("node {n} has no pid file: not running?"));
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        if let Some(mut c) = self.children[n - 1].take() {
            let _ = c.wait();
        }
        let t0 = Instant::now();
        while alive(pid) {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "node {n} ({pid}) did not die"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(self.node_dir(n).join("pid"));
        self.down[n - 1] = true;
    }

    /// Starts node `n` again (same config, store and ports) and waits for
    /// its client port.
    pub fn start(&mut self, n: usize) -> Result<(), String> {
        let d = self.node_dir(n);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("server.log"))
            .map_err(|e| format!("node {n} log: {e}"))?;
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(d.join("server.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting node {n}: {e}"))?;
        std::fs::write(d.join("pid"), format!("{}\n", child.id()))
            .map_err(|e| format!("node {n} pid file: {e}"))?;
        self.children[n - 1] = Some(child);
        self.down[n - 1] = false;
        let port = self.port(n);
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if t0.elapsed() > Duration::from_secs(15) {
                return Err(format!("node {n} does not listen on {port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Starts every node this test stopped.
    pub fn restore(&mut self) -> Result<(), String> {
        for n in 1..=3 {
            if self.down[n - 1] {
                self.start(n)?;
            }
        }
        Ok(())
    }
}

impl Drop for NatsNodes {
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "NatsNodes: {e}");
        }
        // The nodes keep running after the test binary exits (the script
        // stops them through their pid files).
        for c in self.children.iter_mut() {
            drop(c.take());
        }
    }
}

/// A process that exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}
