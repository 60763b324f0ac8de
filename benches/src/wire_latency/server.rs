//! The `ringex` server process the benchmark measures.

use super::*;

// ---------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------

/// A running `ringex` on a temporary data dir; stopped when dropped.
pub struct Server {
    child: Child,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    _dir: tempfile::TempDir,
}

pub(super) fn parse_listening(line: &str) -> Option<(SocketAddr, SocketAddr)> {
    let rest = line.split("ringex listening: http://").nth(1)?;
    let http = rest.split_whitespace().next()?.parse().ok()?;
    let tcp = line
        .split("binary TCP ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((http, tcp))
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
        let mut child = std::process::Command::new(path)
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0"])
            .args(["--no-demo", "--admin-key", admin_key, "--profile", profile])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start {}: {e}", path.display()))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the server's stdout for as long as it runs: the address line
        // first, then passes warnings on (an unread pipe would block it).
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(a) = parse_listening(&line) {
                    if let Some(t) = tx.take() {
                        let _ = t.send(a);
                    }
                } else if line.contains("WARN") || line.contains("ERROR") {
                    eprintln!("ringex: {line}");
                }
            }
        });
        let mut server = Server {
            child,
            http: "127.0.0.1:0".parse().expect("addr"),
            tcp: "127.0.0.1:0".parse().expect("addr"),
            _dir: dir,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((http, tcp)) => {
                server.http = http;
                server.tcp = tcp;
                Ok(server)
            }
            Err(_) => Err(match server.child.try_wait() {
                Ok(Some(st)) => format!("server exited before listening: {st}"),
                _ => "server did not say where it listens within 60 s".into(),
            }),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (intake stops, rings drain, snapshot), then a kill after 20 s.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.child.id().to_string();
        let termed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if termed {
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
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
