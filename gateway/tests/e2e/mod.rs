//! Shared helpers of the end-to-end tests (`tests/server_*.rs`): start the
//! `ringex` binary on a fresh temp dir with ephemeral loopback ports, talk to
//! it over WebSocket, HTTP and the binary port, and (in `scenario`) play the
//! conformance scenarios over WebSocket.
//!
//! What holds: every server is killed when its [`Server`] is dropped, also
//! when a test panics (its log tail is printed then); every read waits at
//! most a bounded time, so a silent server fails a test instead of hanging it.

#![allow(dead_code)]

pub mod replication;
pub mod scenario;

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};
use testkit::server::RingexProcess;
use tungstenite::{Message, WebSocket};

/// The admin key every test server gets.
pub const ADMIN_KEY: &str = "e2e-admin-key";

/// How long a reply that must come may take (generous: a loaded 2-core machine).
pub const REPLY_WAIT: Duration = Duration::from_secs(10);

/// What every test server runs on, before the test's own additions: small
/// journal segments without prefaulting and small rings, so that a server
/// starts in milliseconds. Must not name `[limits]` (tests add that table).
pub const TEST_CONFIG: &str = "\
[journal]
segment_mb = 4
prefault = false

[pipeline]
inbound_size = 4096
outbound_size = 16384
";

/// A running `ringex`; killed (SIGKILL) when dropped.
pub struct Server {
    process: RingexProcess,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    /// Holds `ringex.toml` and the data dir.
    pub root: PathBuf,
    pub data_dir: PathBuf,
}

/// A fresh temp dir and a server started in it.
pub fn start_fresh(extra_config: &str) -> (tempfile::TempDir, Server) {
    let dir = tempfile::Builder::new()
        .prefix("ringex-e2e-")
        .tempdir()
        .expect("temp dir");
    let srv = Server::start(dir.path(), extra_config);
    (dir, srv)
}

impl Server {
    /// Starts `ringex` on `root/data` with `root/ringex.toml` holding
    /// [`TEST_CONFIG`] plus `extra_config`, ports 0 on 127.0.0.1, the admin
    /// key [`ADMIN_KEY`] and `--no-demo`. Waits for its `listening` line.
    pub fn start(root: &Path, extra_config: &str) -> Server {
        let config = root.join("ringex.toml");
        std::fs::write(&config, format!("{TEST_CONFIG}\n{extra_config}\n")).expect("write config");
        let data_dir = root.join("data");
        let process = RingexProcess::start(
            Path::new(env!("CARGO_BIN_EXE_ringex")),
            &config,
            &data_dir,
            &["--admin-key", ADMIN_KEY, "--no-demo"],
            "info",
            false,
            Duration::from_secs(30),
        )
        .unwrap_or_else(|e| panic!("ringex did not start: {e}"));
        Server {
            http: process.http,
            tcp: process.tcp,
            process,
            root: root.to_path_buf(),
            data_dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.process.pid().expect("server running")
    }

    /// The last lines the server printed (at most 400).
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// The last `n` lines the server printed.
    pub fn log_last(&self, n: usize) -> String {
        self.process.log_last(n)
    }

    /// `kill -9` and reap.
    pub fn kill9(&mut self) {
        self.process.kill9();
    }

    /// Sends SIGTERM and waits (at most `wait`) for the exit; `None` if it
    /// did not exit in time (it is then killed).
    pub fn terminate(&mut self, wait: Duration) -> Option<ExitStatus> {
        self.process.terminate(wait)
    }

    /// `kill -STOP`: the process stays, frozen, with its sockets open.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    /// `kill -CONT` after [`Server::pause`].
    pub fn resume(&self) {
        self.signal("CONT");
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -{sig} {}", self.pid());
    }

    /// Is the process still running?
    pub fn running(&mut self) -> bool {
        self.process.running()
    }

    /// A WebSocket on `/ws`, not logged in.
    pub fn ws(&self) -> Ws {
        Ws::connect(self.http, "/ws")
    }

    /// A WebSocket logged in as the admin.
    pub fn admin(&self) -> Ws {
        let mut ws = self.ws();
        let r = ws.login(ADMIN_KEY, false);
        assert_eq!(r["ok"], true, "admin login: {r}");
        ws
    }

    /// A WebSocket logged in as trader `user` (key `k-<user>`).
    pub fn trader(&self, user: u64) -> Ws {
        self.trader_with(user, false)
    }

    pub fn trader_with(&self, user: u64, cancel_on_disconnect: bool) -> Ws {
        let mut ws = self.ws();
        let r = ws.login(&format!("k-{user}"), cancel_on_disconnect);
        assert_eq!(r["type"], "login", "login of user {user}: {r}");
        assert_eq!(r["user"], user, "login of user {user}: {r}");
        ws
    }

    pub fn get(&self, path: &str, api_key: Option<&str>) -> HttpResponse {
        http(self.http, "GET", path, api_key, None)
    }

    pub fn post(&self, path: &str, api_key: Option<&str>, body: &str) -> HttpResponse {
        http(self.http, "POST", path, api_key, Some(body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            // Visible even when the harness captures output.
            let _ = writeln!(
                std::io::stderr(),
                "---- ringex output (last lines) ----\n{}\n----",
                self.log_tail()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------

/// What a WebSocket read gave.
#[derive(Debug)]
pub enum Incoming {
    Msg(Value),
    /// Closed by the server (close frame, end of stream or reset), and how.
    Closed(String),
    Timeout,
}

/// A blocking WebSocket client speaking JSON, with bounded waits.
pub struct Ws {
    ws: WebSocket<TcpStream>,
    /// Messages read while waiting for something else, handed out first.
    pub stash: VecDeque<Value>,
    next_req_id: u64,
    pub is_admin: bool,
    closed: bool,
}

/// `req_id`s the helpers assign: far from any a scenario uses.
const HELPER_REQ_IDS: u64 = 1 << 40;

impl Ws {
    pub fn connect(addr: SocketAddr, path: &str) -> Ws {
        let stream = TcpStream::connect(addr).expect("connect to the HTTP port");
        stream.set_nodelay(true).expect("nodelay");
        stream.set_read_timeout(Some(REPLY_WAIT)).expect("timeout");
        let (ws, _) = tungstenite::client::client(format!("ws://{addr}{path}"), stream)
            .unwrap_or_else(|e| panic!("websocket handshake on {path}: {e}"));
        Ws {
            ws,
            stash: VecDeque::new(),
            next_req_id: HELPER_REQ_IDS,
            is_admin: false,
            closed: false,
        }
    }

    pub fn fresh_req_id(&mut self) -> u64 {
        self.next_req_id += 1;
        self.next_req_id
    }

    /// Sends one text frame.
    pub fn send_text(&mut self, text: &str) -> Result<(), String> {
        self.ws
            .send(Message::Text(text.to_string()))
            .map_err(|e| format!("websocket send: {e}"))
    }

    /// Sends one binary frame (the JSON API expects text).
    pub fn ws_send_binary(&mut self, bytes: &[u8]) {
        self.ws
            .send(Message::Binary(bytes.to_vec()))
            .expect("websocket send");
    }

    pub fn send(&mut self, v: &Value) {
        self.send_text(&v.to_string()).expect("send");
    }

    /// Reads from the socket (not the stash), waiting at most `timeout`.
    fn read_raw(&mut self, timeout: Duration) -> Incoming {
        if self.closed {
            return Incoming::Closed("already closed".into());
        }
        let t = timeout.max(Duration::from_millis(1));
        let _ = self.ws.get_mut().set_read_timeout(Some(t));
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    return match serde_json::from_str(&t) {
                        Ok(v) => Incoming::Msg(v),
                        Err(e) => panic!("server sent a text frame that is not JSON ({e}): {t}"),
                    }
                }
                Ok(Message::Close(f)) => {
                    self.closed = true;
                    return Incoming::Closed(format!("close frame {f:?}"));
                }
                Ok(Message::Binary(b)) => panic!("server sent a binary frame: {b:?}"),
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Incoming::Timeout
                }
                Err(e) => {
                    self.closed = true;
                    return Incoming::Closed(format!("{e}"));
                }
            }
        }
    }

    /// The next message (stashed ones first), waiting at most `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Incoming {
        match self.stash.pop_front() {
            Some(v) => Incoming::Msg(v),
            None => self.read_raw(timeout),
        }
    }

    /// The next message; panics on a close or a timeout.
    pub fn recv(&mut self) -> Value {
        match self.next(REPLY_WAIT) {
            Incoming::Msg(v) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Nothing arrives within `wait`.
    pub fn expect_quiet(&mut self, wait: Duration) {
        match self.next(wait) {
            Incoming::Timeout => {}
            other => panic!("expected nothing, got {other:?}"),
        }
    }

    /// Reads until a message carrying `req_id`: returns what came before it
    /// (stash included) and that message.
    pub fn until_req_id(&mut self, req_id: u64) -> Result<(Vec<Value>, Value), String> {
        let mut before: Vec<Value> = self.stash.drain(..).collect();
        let deadline = Instant::now() + REPLY_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "no reply with req_id {req_id} within {REPLY_WAIT:?}; got meanwhile: {before:?}"
                ));
            }
            match self.read_raw(left) {
                Incoming::Msg(v) if v["req_id"] == req_id => return Ok((before, v)),
                Incoming::Msg(v) => before.push(v),
                Incoming::Timeout => {}
                Incoming::Closed(how) => {
                    return Err(format!(
                    "connection closed ({how}) while waiting for req_id {req_id}; got: {before:?}"
                ))
                }
            }
        }
    }

    /// Sends `v` with a fresh `req_id` (one it holds is kept) and returns the
    /// first reply carrying it; anything else read meanwhile is stashed.
    pub fn request(&mut self, mut v: Value) -> Value {
        let id = match v.get("req_id").and_then(Value::as_u64) {
            Some(id) => id,
            None => {
                let id = self.fresh_req_id();
                v["req_id"] = json!(id);
                id
            }
        };
        self.send(&v);
        let (before, reply) = self.until_req_id(id).unwrap_or_else(|e| panic!("{v}: {e}"));
        self.stash.extend(before);
        reply
    }

    /// Sends `v`, then an engine query as a barrier; returns every message
    /// that carries `v`'s `req_id` (its reports). Others are stashed.
    pub fn request_all(&mut self, mut v: Value) -> Vec<Value> {
        let id = self.fresh_req_id();
        v["req_id"] = json!(id);
        self.send(&v);
        let before = self.barrier().unwrap_or_else(|e| panic!("{v}: {e}"));
        let (mine, other): (Vec<Value>, Vec<Value>) =
            before.into_iter().partition(|m| m["req_id"] == id);
        self.stash.extend(other);
        mine
    }

    /// Sends an engine query and waits for its answer: everything the
    /// engine sent this session before it is returned (stash first). The
    /// query's own answer is not.
    pub fn barrier(&mut self) -> Result<Vec<Value>, String> {
        let id = self.fresh_req_id();
        let q = if self.is_admin {
            json!({"op": "fees", "req_id": id})
        } else {
            json!({"op": "balances", "req_id": id})
        };
        self.send_text(&q.to_string())?;
        let (before, reply) = self.until_req_id(id)?;
        let ok = if self.is_admin {
            reply["type"] == "admin" && reply["op"] == "fees"
        } else {
            reply["type"] == "balances"
        };
        if !ok {
            return Err(format!("barrier query answered {reply}"));
        }
        Ok(before)
    }

    /// Logs in; returns the answer (login or error).
    pub fn login(&mut self, key: &str, cancel_on_disconnect: bool) -> Value {
        let r = self.request(
            json!({"op": "login", "api_key": key, "cancel_on_disconnect": cancel_on_disconnect}),
        );
        if r["type"] == "login" {
            self.is_admin = r["role"] == "admin";
        }
        r
    }

    /// An admin op that must succeed (`{"type":"admin","ok":true}`).
    pub fn admin_ok(&mut self, v: Value) -> Value {
        let r = self.request(v.clone());
        assert!(
            r["type"] == "admin" && r["ok"] == true,
            "admin op {v} answered {r}"
        );
        r
    }

    /// Reads until the server closes; the messages that came first and how
    /// it closed. Panics if it stays open longer than `wait`.
    pub fn until_closed(&mut self, wait: Duration) -> (Vec<Value>, String) {
        let mut got: Vec<Value> = self.stash.drain(..).collect();
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("connection still open after {wait:?}; got {got:?}");
            }
            match self.read_raw(left) {
                Incoming::Msg(v) => got.push(v),
                Incoming::Timeout => {}
                Incoming::Closed(how) => return (got, how),
            }
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Closes with the WebSocket close handshake (waits at most a few
    /// seconds for the server's close frame).
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.read_raw(Duration::from_millis(200)) {
                Incoming::Closed(_) => return,
                Incoming::Msg(_) | Incoming::Timeout => {}
            }
        }
    }

    /// Drops the TCP connection without a close handshake.
    pub fn drop_connection(self) {
        let _ = self.ws.get_ref().shutdown(std::net::Shutdown::Both);
    }
}

// ---------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------

/// The market most tests use: BTC (scale 8) and USD (scale 6), BTC-USD
/// (tick 0.01, lot 0.0001, fees 10/20 bps, no band), and traders `users`
/// (keys `k-<user>`) with 100000 USD and 10 BTC each. Returns how many
/// commands it journaled.
pub fn setup_market(admin: &mut Ws, users: &[u64]) -> u64 {
    let mut n = 0;
    for (asset, scale) in [("BTC", 8), ("USD", 6)] {
        admin.admin_ok(json!({"op": "add_asset", "asset": asset, "scale": scale}));
        n += 1;
    }
    admin.admin_ok(
        json!({"op": "add_symbol", "symbol": "BTC-USD", "base": "BTC", "quote": "USD",
        "tick_size": "0.01", "lot_size": "0.0001", "min_qty": "0.0001",
        "maker_fee_bps": 10, "taker_fee_bps": 20, "price_band_pct": null}),
    );
    n += 1;
    for &u in users {
        admin.admin_ok(
            json!({"op": "add_user", "user": u, "api_key": format!("k-{u}"), "role": "trader"}),
        );
        n += 1;
        for (asset, amount) in [("USD", "100000"), ("BTC", "10")] {
            admin.admin_ok(
                json!({"op": "deposit", "user": u, "asset": asset, "amount": amount,
                "tx_id": format!("d-{u}-{asset}")}),
            );
            n += 1;
        }
    }
    n
}

/// A GTC limit order on BTC-USD.
pub fn limit(side: &str, price: &str, qty: &str) -> Value {
    json!({"op": "place", "symbol": "BTC-USD", "side": side, "type": "limit",
           "price": price, "qty": qty, "tif": "gtc"})
}

/// Decimal strings equal by value.
pub fn dec_eq(a: &Value, b: &str) -> bool {
    a.as_str()
        .is_some_and(|a| testkit::conformance::decimal_eq(a, b))
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("HTTP {} body is not JSON ({e}): {}", self.status, self.body)
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The text of one request.
pub fn http_request_text(
    method: &str,
    path: &str,
    api_key: Option<&str>,
    body: Option<&str>,
    keep_alive: bool,
) -> String {
    let mut s = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(k) = api_key {
        s.push_str(&format!("X-API-Key: {k}\r\n"));
    }
    if let Some(b) = body {
        s.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    s.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    if let Some(b) = body {
        s.push_str(b);
    }
    s
}

/// One request on a fresh connection, which is dropped after the answer.
/// The request says `Connection: keep-alive`: how `Connection: close` is
/// served is tested on its own (`server_rest.rs`).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    api_key: Option<&str>,
    body: Option<&str>,
) -> HttpResponse {
    let mut c = HttpConn::connect(addr);
    c.write(http_request_text(method, path, api_key, body, true).as_bytes());
    c.response()
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A raw HTTP connection: write anything, read responses one by one.
pub struct HttpConn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl HttpConn {
    pub fn connect(addr: SocketAddr) -> HttpConn {
        let stream = TcpStream::connect(addr).expect("connect to the HTTP port");
        stream.set_nodelay(true).expect("nodelay");
        HttpConn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn write(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .expect("write to the HTTP port");
    }

    /// Reads more bytes; `Ok(0)` at the end of the stream.
    fn fill(&mut self, deadline: Instant) -> Result<usize, String> {
        let mut chunk = [0u8; 16 << 10];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "timed out; have {:?}",
                    String::from_utf8_lossy(&self.buf)
                ));
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|e| e.to_string())?;
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    /// The next response, waiting at most [`REPLY_WAIT`].
    pub fn response(&mut self) -> Result<HttpResponse, String> {
        self.response_within(REPLY_WAIT)
    }

    pub fn response_within(&mut self, wait: Duration) -> Result<HttpResponse, String> {
        let deadline = Instant::now() + wait;
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if self.fill(deadline)? == 0 {
                return Err(format!(
                    "connection closed before a complete head; have {:?}",
                    String::from_utf8_lossy(&self.buf)
                ));
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| format!("no content-length in {head:?}"))?;
        while self.buf.len() < head_end + len {
            if self.fill(deadline)? == 0 {
                return Err("connection closed inside a body".into());
            }
        }
        let body = String::from_utf8_lossy(&self.buf[head_end..head_end + len]).into_owned();
        self.buf.drain(..head_end + len);
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// Waits (at most `wait`) for the server to close the connection; `Err`
    /// with what arrived if it stays open or sends more.
    pub fn expect_closed(&mut self, wait: Duration) -> Result<(), String> {
        let deadline = Instant::now() + wait;
        loop {
            match self.fill(deadline) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                // A reset is a close too.
                Err(e) if e.starts_with("read:") => return Ok(()),
                Err(e) => return Err(format!("still open after {wait:?}: {e}")),
            }
        }
    }

    /// Bytes received but not yet taken as a response.
    pub fn leftover(&self) -> &[u8] {
        &self.buf
    }
}
