//! The `ringex` server process the benchmark measures.

use super::*;
#[cfg(test)]
pub(super) use testkit::server::parse_listening;
use testkit::server::RingexProcess;

// ---------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------

/// A running `ringex` on a temporary data dir; stopped when dropped.
pub struct Server {
    process: RingexProcess,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start(path: &Path, profile: &str, admin_key: &str) -> Result<Server, String> {
        let dir = tempfile::Builder::new()
            .prefix("wire-latency-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let cfg = dir.path().join("bench.toml");
        // One session sends up to the maximum rate: lift the per-session limit.
        std::fs::write(
            &cfg,
            "[limits]\nrate_per_s = 1000000000\nburst = 1000000000\nsend_queue_bytes = 67108864\n\
             [journal]\nsegment_mb = 64\n",
        )
        .map_err(|e| e.to_string())?;
        let process = RingexProcess::start(
            path,
            &cfg,
            &dir.path().join("data"),
            &["--no-demo", "--admin-key", admin_key, "--profile", profile],
            "warn",
            true,
            Duration::from_secs(60),
        )?;
        Ok(Server {
            http: process.http,
            tcp: process.tcp,
            process,
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.process.pid().unwrap_or(0)
    }

    /// SIGTERM (intake stops, rings drain, snapshot), then a kill after 20 s.
    pub fn stop(mut self) {
        self.process.terminate(Duration::from_secs(20));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.process.terminate(Duration::from_secs(20));
    }
}

/// Adds assets, the symbol and the traders through an admin binary session.
pub(super) fn setup_server(
    tcp: SocketAddr,
    admin_key: &str,
    traders: &[(u64, String)],
) -> Result<(), String> {
    admin_apply(tcp, admin_key, setup_commands(traders))
}

/// Applies `cmds` through an admin binary session, each awaited and
/// required to succeed.
pub fn admin_apply(tcp: SocketAddr, admin_key: &str, cmds: Vec<CommandKind>) -> Result<(), String> {
    let mut c = Client::connect(tcp).map_err(|e| format!("admin connect: {e}"))?;
    c.login(admin_key, false)
        .map_err(|e| format!("admin login: {e}"))?;
    for kind in cmds {
        let what = kind.op_name();
        let id = c
            .request(Op::Admin(kind))
            .map_err(|e| format!("{what}: {e}"))?;
        loop {
            let r = c
                .recv_timeout(READ_TIMEOUT)
                .map_err(|e| format!("{what}: {e}"))?
                .ok_or_else(|| format!("{what}: no answer"))?;
            if r.req_id != Some(id) {
                continue;
            }
            match r.body {
                ReplyBody::Admin { ok: true, .. } => break,
                other => return Err(format!("{what} refused: {other:?}")),
            }
        }
    }
    Ok(())
}
