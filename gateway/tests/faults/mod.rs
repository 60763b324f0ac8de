//! Helpers of the fault tests (`server_overload.rs`, `server_faults.rs`):
//! start `ringex` on a config of the test's own (the e2e helpers always add
//! their small test config), mount a size-limited tmpfs (root only), fill a
//! filesystem up.

#![allow(dead_code)]

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// A running server with its output kept; killed when dropped.
pub struct Proc {
    pub child: Child,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    pub fn log_text(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits at most `wait` for the process to exit.
    pub fn wait_exit(&mut self, wait: Duration) -> Option<std::process::ExitStatus> {
        let t = std::time::Instant::now();
        while t.elapsed() < wait {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// SIGTERM, then waits (at most 20 s) for the exit.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(Duration::from_secs(20))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn addr_after(line: &str, marker: &str) -> Option<SocketAddr> {
    line.split(marker)
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Starts `ringex` with `config` (a whole TOML file) on `data_dir`.
pub fn start_with(root: &Path, data_dir: &Path, config: &str) -> Proc {
    let cfg = root.join("faults.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringex"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0"])
        .args(["--admin-key", crate::e2e::ADMIN_KEY, "--no-demo"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ringex");
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    for (src, tx) in [
        (
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Some(tx),
        ),
        (Box::new(child.stderr.take().unwrap()), None),
    ] {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(src).lines().map_while(Result::ok) {
                if let (Some(tx), true) = (&tx, line.starts_with("ringex listening:")) {
                    let _ = tx.send(line.clone());
                }
                if let Ok(mut l) = log.lock() {
                    l.push(line);
                }
            }
        });
    }
    let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) else {
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(100));
        panic!("ringex did not start: {}", log.lock().unwrap().join("\n"));
    };
    Proc {
        http: addr_after(&line, "http://").expect("http addr"),
        tcp: addr_after(&line, "binary TCP ").expect("tcp addr"),
        child,
        log,
    }
}

/// A tmpfs mounted for a test; unmounted when dropped.
pub struct Tmpfs(pub PathBuf);

impl Tmpfs {
    /// `None` (with a notice) when it cannot be mounted: not root, or no tmpfs.
    pub fn mount(path: &Path, opts: &str, what: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("NOTICE: {what}: cannot mount a tmpfs (needs root): skipping");
            return None;
        }
        Some(Tmpfs(path.to_path_buf()))
    }

    pub fn remount(&self, opts: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .expect("mount");
        assert!(st.success(), "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` up; returns the filler file.
pub fn fill(dir: &Path) -> PathBuf {
    let p = dir.join("filler");
    let mut f = std::fs::File::create(&p).unwrap();
    let chunk = vec![0xA5u8; 4096];
    while f.write_all(&chunk).and_then(|_| f.flush()).is_ok() {}
    p
}

/// The client order ids of the places journaled in `data_dir`.
pub fn journaled_clids(data_dir: &Path) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for rec in journal::read_records(data_dir, 0).expect("journal") {
        if let engine::CommandKind::Place(p) = rec.expect("record").command.kind {
            if let Some(c) = p.client_order_id {
                out.insert(c.as_str().to_string());
            }
        }
    }
    out
}
