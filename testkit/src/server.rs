//! Starting a `ringex` binary for tests and benchmarks: spawn it with
//! loopback ports chosen by the OS, keep the last lines it printed, wait for
//! its `listening` line, and stop it (SIGTERM, then SIGKILL).
//!
//! What holds: every wait is bounded; the process is killed when the
//! [`RingexProcess`] is dropped; output pipes are always drained (an unread
//! pipe would block the server).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines of server output kept for failure reports.
pub const LOG_LINES_KEPT: usize = 400;

/// A running `ringex` and where it listens.
pub struct RingexProcess {
    child: Option<Child>,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    log: Arc<Mutex<VecDeque<String>>>,
}

/// The two addresses of `ringex listening: http://A (WebSocket ws://A/ws), binary TCP B`.
pub fn parse_listening(line: &str) -> Option<(SocketAddr, SocketAddr)> {
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

fn keep_lines(
    src: impl Read + Send + 'static,
    log: Arc<Mutex<VecDeque<String>>>,
    tx: Option<mpsc::Sender<(SocketAddr, SocketAddr)>>,
    echo_warnings: bool,
) {
    std::thread::spawn(move || {
        let mut tx = tx;
        for line in BufReader::new(src).lines() {
            let Ok(line) = line else { break };
            if let Some(a) = parse_listening(&line) {
                if let Some(t) = tx.take() {
                    let _ = t.send(a);
                }
            }
            if echo_warnings && (line.contains("WARN") || line.contains("ERROR")) {
                eprintln!("ringex: {line}");
            }
            if let Ok(mut l) = log.lock() {
                if l.len() == LOG_LINES_KEPT {
                    l.pop_front();
                }
                l.push_back(line);
            }
        }
    });
}

impl RingexProcess {
    /// Runs `binary --config <config> --data-dir <data_dir>` on 127.0.0.1
    /// ports 0 with `extra_args`, `RUST_LOG=<log_level>`, and waits at most
    /// `wait` for its listening line. `echo_warnings` passes its WARN/ERROR
    /// lines to stderr as they come.
    pub fn start(
        binary: &Path,
        config: &Path,
        data_dir: &Path,
        extra_args: &[&str],
        log_level: &str,
        echo_warnings: bool,
        wait: Duration,
    ) -> Result<RingexProcess, String> {
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0"])
            .args(extra_args)
            .env("RUST_LOG", log_level)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("start {}: {e}", binary.display()))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().ok_or("no stdout")?;
        let err = child.stderr.take().ok_or("no stderr")?;
        keep_lines(out, log.clone(), Some(tx), echo_warnings);
        keep_lines(err, log.clone(), None, echo_warnings);
        let mut p = RingexProcess {
            child: Some(child),
            http: "127.0.0.1:0".parse().expect("addr"),
            tcp: "127.0.0.1:0".parse().expect("addr"),
            log,
        };
        match rx.recv_timeout(wait) {
            Ok((http, tcp)) => {
                p.http = http;
                p.tcp = tcp;
                Ok(p)
            }
            Err(_) => {
                let why = match p.child.as_mut().map(|c| c.try_wait()) {
                    Some(Ok(Some(st))) => format!("server exited before listening: {st}"),
                    _ => format!("server did not say where it listens within {wait:?}"),
                };
                p.kill9();
                // Let the output threads catch the last lines.
                std::thread::sleep(Duration::from_millis(100));
                Err(format!("{why}; its output:\n{}", p.log_tail()))
            }
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last lines the server printed (at most [`LOG_LINES_KEPT`]).
    pub fn log_tail(&self) -> String {
        self.log_last(LOG_LINES_KEPT)
    }

    /// The last `n` lines the server printed.
    pub fn log_last(&self, n: usize) -> String {
        self.log
            .lock()
            .map(|l| {
                let skip = l.len().saturating_sub(n);
                l.iter().skip(skip).cloned().collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    }

    /// `kill -9` and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits (at most `wait`) for the exit; `None` if it
    /// did not exit in time (it is then killed) or was not running.
    pub fn terminate(&mut self, wait: Duration) -> Option<ExitStatus> {
        let mut c = self.child.take()?;
        if let Ok(Some(st)) = c.try_wait() {
            return Some(st);
        }
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + wait;
        while sent && Instant::now() <= deadline {
            if let Ok(Some(st)) = c.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        let _ = c.wait();
        None
    }

    /// Is the process still running?
    pub fn running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }
}

impl Drop for RingexProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_gives_both_addresses() {
        let l = "ringex listening: http://127.0.0.1:8080 (WebSocket ws://127.0.0.1:8080/ws), binary TCP 127.0.0.1:9000";
        let (h, t) = parse_listening(l).unwrap();
        assert_eq!(h.port(), 8080);
        assert_eq!(t.port(), 9000);
        assert!(parse_listening("try: websocat").is_none());
    }
}
