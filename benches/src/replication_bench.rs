//! The replication benchmark: what storing every input in a NATS JetStream
//! stream before its outputs leave costs an order, and what a replicated
//! pair sustains and how fast it fails over (`replication.md`,
//! "Measured").
//!
//! How it goes, on one cluster (`--nats`) and in one run:
//! - `floor`: the bare JetStream publish-ack round trip, sequential, of a
//!   message exactly as the primary publishes one order: the journal
//!   frame of one place (its bytes measured by encoding the command the
//!   gateway journals) with the same headers (`Nats-Msg-Id`,
//!   `Nats-Expected-Last-Sequence`, last seq, epoch), through the
//!   replicator's own [`replication::Link`] on a current-thread runtime,
//!   into a stream of its own (replicas 3, file storage).
//! - `round_trip`: order round trip over binary TCP (a place, to its `new`
//!   report), sequential (closed loop: one order outstanding), first on a
//!   `ringex` without replication, then on the primary of a replicated
//!   pair (a primary and a standby, `ack = "replicated"`), each on a
//!   temporary data dir and loopback ports. Same orders, same client.
//! - `sustained`: several clients, each keeping a window of places
//!   outstanding, over a few seconds; acknowledged (`new`) reports per
//!   second, with replication off and on; on the primary also stream
//!   messages per second and records per message (the batching), from its
//!   `/healthz`.
//! - `failover`: `kill -9` of the primary, then a client of the standby
//!   places an order every few milliseconds (answered `not_primary` until
//!   it leads): the time from the kill to the first accepted order.
//!
//! Every place is a buy GTC limit that rests (1 lot, prices cycling over
//! 1,000 levels below any sell), so each gets exactly one `new` report and
//! nothing trades. Output: one JSON line per measurement, a ratio line,
//! `.hgrm` files, one SVG plot; a table on stderr.
//!
//! What holds: every read has a timeout and every wait a deadline, so
//! nothing hangs; servers are stopped (SIGTERM, or killed) when a run ends
//! or fails; the streams and the lease bucket the run made are deleted at
//! the end. Without a cluster it measures nothing and says so.

use crate::latency::{cpus, hgrm_path, loadavg_1m, new_histogram, record, write_hgrm, Percentiles};
use crate::plot::{Panel, Series};
use crate::results::{unix_s, ResultsWriter};
use crate::wire_latency::{admin_apply, name, setup_commands};
use engine::{Command, CommandKind, Fixed, OrderType, Place, Side, Stp, Tif};
use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testkit::server::RingexProcess;
use wire::binary::ReplyBody;
use wire::client::{limit_order, Client};
use wire::{ErrorCode, Op, TraderOp};

/// The results file name (`<results dir>/replication.jsonl`).
pub const BENCH: &str = "replication";
/// The measurements, in the order they run.
pub const PARTS: [&str; 4] = ["floor", "round_trip", "sustained", "failover"];
const SYMBOL: &str = "BTC-USD";
/// Every socket read gives up after this long.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const PRICE_LEVELS: u64 = 1_000;

#[derive(Clone, Debug)]
pub struct Options {
    /// NATS client URLs, comma-separated; `None`: nothing is measured.
    pub nats: Option<String>,
    /// The `ringex` binary; `None`: the floor only (with a notice).
    pub server: Option<PathBuf>,
    /// Sequential round trips recorded per path.
    pub orders: u64,
    /// Sequential round trips before those, not recorded.
    pub warmup: u64,
    /// Clients of the sustained run.
    pub clients: usize,
    /// Places each client keeps outstanding.
    pub window: usize,
    /// Recorded seconds of each sustained run.
    pub secs: f64,
    /// Seconds of each sustained run before the recorded ones.
    pub warmup_secs: f64,
    /// `replication.lease_ms` of the pair.
    pub lease_ms: u64,
    /// Microseconds the floor sleeps between two publishes (not timed), as
    /// the replicator idles between sequential orders; 0: back to back.
    pub floor_gap_us: u64,
    pub parts: Vec<String>,
    /// Append results here; `None`: stdout only.
    pub results_dir: Option<PathBuf>,
    pub plot: bool,
}

impl Options {
    pub fn full(nats: Option<String>, server: Option<PathBuf>) -> Options {
        Options {
            nats,
            server,
            orders: 2_000,
            warmup: 200,
            clients: 4,
            window: 32,
            secs: 3.0,
            warmup_secs: 0.5,
            lease_ms: 1_000,
            floor_gap_us: 0,
            parts: PARTS.iter().map(|s| s.to_string()).collect(),
            results_dir: None,
            plot: true,
        }
    }

    /// Every part at small sizes: well under 30 s beside the cluster.
    pub fn quick(nats: Option<String>, server: Option<PathBuf>) -> Options {
        Options {
            orders: 300,
            warmup: 50,
            clients: 2,
            window: 16,
            secs: 1.0,
            warmup_secs: 0.2,
            ..Options::full(nats, server)
        }
    }

    fn wants(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

// ---------------------------------------------------------------------------
// Orders and their bytes
// ---------------------------------------------------------------------------

/// The price of order `i`: 99.99 down to 90.00, never crossing.
fn price(i: u64) -> Fixed {
    Fixed::new(9_999 - (i % PRICE_LEVELS) as i64, 2)
}

fn place_op(i: u64) -> Op {
    Op::Trader(TraderOp::Place(limit_order(
        name(SYMBOL),
        Side::Buy,
        price(i),
        Fixed::new(1, 4),
    )))
}

/// The journal frame of one place as the gateway journals it: what the
/// primary publishes for a batch of one order.
pub fn one_order_batch() -> Result<Vec<u8>, String> {
    let cmd = Command {
        seq: 1_000_000,
        ts_ns: 1_700_000_000_000_000_000,
        kind: CommandKind::Place(Place {
            user: 1,
            symbol: name(SYMBOL),
            side: Side::Buy,
            order_type: OrderType::Limit,
            tif: Tif::Gtc,
            price: Some(price(0)),
            qty: Fixed::new(1, 4),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: None,
        }),
    };
    let mut out = Vec::new();
    journal::frames::encode(&[cmd], &mut out).map_err(|e| format!("encode place: {e}"))?;
    Ok(out)
}

/// What the server answered one place.
enum Answer {
    New,
    /// An error reply (`not_primary`, `unavailable`, ...).
    Refused(ErrorCode, String),
    /// A reject or a rejected report.
    Rejected(String),
}

/// Waits for the first answer to request `id`.
fn answer(c: &mut Client, id: u64) -> Result<Answer, String> {
    let t0 = Instant::now();
    loop {
        let left = READ_TIMEOUT.saturating_sub(t0.elapsed());
        let r = c
            .recv_timeout(left)
            .map_err(|e| format!("reply to {id}: {e}"))?
            .ok_or_else(|| format!("no reply to {id} within {READ_TIMEOUT:?}"))?;
        if r.req_id != Some(id) {
            continue;
        }
        return Ok(match r.body {
            ReplyBody::Execution(e) if e.exec_type == engine::ExecType::New => Answer::New,
            ReplyBody::Execution(e) => {
                Answer::Rejected(format!("{:?}: {:?}", e.exec_type, e.reason))
            }
            ReplyBody::Reject { reason, .. } => Answer::Rejected(format!("{reason:?}")),
            ReplyBody::Error { code, message, .. } => Answer::Refused(code, message),
            _ => continue,
        });
    }
}

fn login(tcp: SocketAddr, key: &str) -> Result<Client, String> {
    let mut c = Client::connect(tcp).map_err(|e| format!("connect {tcp}: {e}"))?;
    c.login(key, false).map_err(|e| format!("login: {e}"))?;
    Ok(c)
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

/// A `ringex` on a temporary data dir; killed when dropped.
struct Node {
    process: RingexProcess,
    http: SocketAddr,
    tcp: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Node {
    /// `replication`: the `[replication]` section, or none.
    fn start(
        path: &Path,
        admin_key: &str,
        replication: Option<&str>,
        extra: &[&str],
    ) -> Result<Node, String> {
        let dir = tempfile::Builder::new()
            .prefix("replication-bench-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let cfg = dir.path().join("bench.toml");
        // Pipelined clients: lift the per-session limit.
        let mut text =
            "[limits]\nrate_per_s = 1000000000\nburst = 1000000000\nsend_queue_bytes = 67108864\n\
                        [journal]\nsegment_mb = 64\n"
                .to_string();
        if let Some(r) = replication {
            text.push_str(r);
        }
        std::fs::write(&cfg, text).map_err(|e| e.to_string())?;
        let mut args = vec![
            "--no-demo",
            "--admin-key",
            admin_key,
            "--profile",
            "default",
        ];
        args.extend_from_slice(extra);
        let process = RingexProcess::start(
            path,
            &cfg,
            &dir.path().join("data"),
            &args,
            "warn",
            true,
            Duration::from_secs(60),
        )?;
        Ok(Node {
            http: process.http,
            tcp: process.tcp,
            process,
            _dir: dir,
        })
    }

    fn healthz(&self) -> Result<Value, String> {
        healthz(self.http)
    }

    /// Waits until `/healthz` says `role`.
    fn wait_role(&self, role: &str, within: Duration) -> Result<(), String> {
        let t0 = Instant::now();
        loop {
            let h = self.healthz();
            if let Ok(h) = &h {
                if h["role"] == role {
                    return Ok(());
                }
            }
            if t0.elapsed() > within {
                return Err(format!(
                    "not {role} within {within:?} (healthz {h:?}); its output:\n{}",
                    self.process.log_last(30)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(mut self) {
        self.process.terminate(Duration::from_secs(20));
    }
}

/// `GET /healthz` on a fresh connection: its JSON body (whatever the status).
fn healthz(http: SocketAddr) -> Result<Value, String> {
    let mut s = TcpStream::connect_timeout(&http, Duration::from_secs(5))
        .map_err(|e| format!("healthz {http}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("healthz: {e}"))?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)
        .map_err(|e| format!("healthz: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .ok_or("healthz: no body")?;
    serde_json::from_str(body.trim()).map_err(|e| format!("healthz {body:?}: {e}"))
}

fn replication_section(servers: &[String], node: &str, stream: &str, lease_ms: u64) -> String {
    let list: Vec<String> = servers.iter().map(|u| format!("{u:?}")).collect();
    format!(
        "[replication]\nservers = [{}]\nnode_id = \"{node}\"\nstream = \"{stream}\"\nlease_ms = {lease_ms}\n",
        list.join(", ")
    )
}

/// A primary and a standby on one stream, both set up.
struct Pair {
    primary: Node,
    standby: Node,
}

fn start_pair(
    path: &Path,
    servers: &[String],
    stream: &str,
    lease_ms: u64,
    admin_key: &str,
    traders: &[(u64, String)],
) -> Result<Pair, String> {
    let wait = Duration::from_secs(30);
    let primary = Node::start(
        path,
        admin_key,
        Some(&replication_section(servers, "bench-a", stream, lease_ms)),
        &["--role", "primary"],
    )?;
    primary.wait_role("primary", wait)?;
    // `auto`: it follows, and takes the lease when the primary is gone.
    let standby = Node::start(
        path,
        admin_key,
        Some(&replication_section(servers, "bench-b", stream, lease_ms)),
        &["--role", "auto"],
    )?;
    standby.wait_role("standby", wait)?;
    admin_apply(primary.tcp, admin_key, setup_commands(traders))?;
    Ok(Pair { primary, standby })
}

// ---------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------

struct Measured {
    hist: hdrhistogram::Histogram<u64>,
    pcts: Percentiles,
    /// Round trips per second over the recorded part.
    achieved: f64,
}

impl Measured {
    fn of(hist: hdrhistogram::Histogram<u64>, secs: f64) -> Measured {
        let pcts = Percentiles::of(&hist);
        let achieved = if secs > 0.0 {
            pcts.count as f64 / secs
        } else {
            0.0
        };
        Measured {
            hist,
            pcts,
            achieved,
        }
    }
}

/// Sequential publish-ack round trips of `payload` into a stream of its own.
fn floor_run(
    o: &Options,
    servers: &[String],
    stream: &str,
    payload: &[u8],
) -> Result<Measured, String> {
    let mut cfg = replication::ReplicationConfig::new(servers.to_vec(), "bench-floor");
    cfg.stream = stream.to_string();
    // The publish timeout (lease_ms clamped to 0.2..5 s): the longest.
    cfg.lease_ms = 5_000;
    let link = replication::Link::connect(&cfg)?;
    let tail = link.ensure_stream()?;
    let payload = bytes::Bytes::copy_from_slice(payload);
    let mut expected = tail.stream_seq;
    let mut h = new_histogram();
    let mut t_first = None;
    for i in 0..o.warmup + o.orders {
        let t = Instant::now();
        let seq = tail.journal_seq + i + 1;
        expected = link
            .publish(seq, seq, 1, payload.clone(), expected)
            .map_err(|e| format!("publish {seq}: {e}"))?;
        if i >= o.warmup {
            t_first.get_or_insert(t);
            record(&mut h, t.elapsed().as_nanos() as u64);
        }
        if o.floor_gap_us > 0 {
            std::thread::sleep(Duration::from_micros(o.floor_gap_us));
        }
    }
    let secs = t_first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    Ok(Measured::of(h, secs))
}

/// Sequential place -> `new` report round trips on one session.
fn round_trip_run(o: &Options, tcp: SocketAddr, key: &str, base: u64) -> Result<Measured, String> {
    let mut c = login(tcp, key)?;
    let mut h = new_histogram();
    let mut t_first = None;
    for i in 0..o.warmup + o.orders {
        let t = Instant::now();
        let id = c
            .request(place_op(base + i))
            .map_err(|e| format!("place {i}: {e}"))?;
        match answer(&mut c, id)? {
            Answer::New => {}
            Answer::Refused(code, m) => return Err(format!("place {i}: {}: {m}", code.as_str())),
            Answer::Rejected(m) => return Err(format!("place {i} rejected: {m}")),
        }
        if i >= o.warmup {
            t_first.get_or_insert(t);
            record(&mut h, t.elapsed().as_nanos() as u64);
        }
    }
    let secs = t_first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    Ok(Measured::of(h, secs))
}

struct Sustained {
    /// `new` reports that arrived within the recorded window.
    reports: u64,
    secs: f64,
    /// Places sent in all (warm-up and drain included).
    sent: u64,
}

/// `o.clients` sessions, each keeping `o.window` places outstanding.
fn sustained_run(o: &Options, tcp: SocketAddr, keys: &[String]) -> Result<Sustained, String> {
    let clients: Vec<Client> = keys
        .iter()
        .map(|k| login(tcp, k))
        .collect::<Result<_, _>>()?;
    let start = Instant::now() + Duration::from_millis(20);
    let warm_end = start + Duration::from_secs_f64(o.warmup_secs);
    let end = warm_end + Duration::from_secs_f64(o.secs);
    let window = o.window.max(1) as u64;
    let results: Vec<Result<(u64, u64), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(k, mut c)| {
                s.spawn(move || -> Result<(u64, u64), String> {
                    if let Some(d) = start.checked_duration_since(Instant::now()) {
                        std::thread::sleep(d);
                    }
                    let (mut sent, mut done, mut counted) = (0u64, 0u64, 0u64);
                    let base = (k as u64 + 1) * 10_000_000;
                    loop {
                        let now = Instant::now();
                        if now < end {
                            while sent - done < window {
                                c.request(place_op(base + sent))
                                    .map_err(|e| format!("client {k}: send: {e}"))?;
                                sent += 1;
                            }
                        } else if done == sent {
                            return Ok((counted, sent));
                        }
                        let r = c
                            .recv_timeout(READ_TIMEOUT)
                            .map_err(|e| format!("client {k}: {e}"))?
                            .ok_or_else(|| {
                                format!("client {k}: no report within {READ_TIMEOUT:?} ({done} of {sent})")
                            })?;
                        match r.body {
                            ReplyBody::Execution(e) if e.exec_type == engine::ExecType::New => {
                                done += 1;
                                let at = Instant::now();
                                if at >= warm_end && at < end {
                                    counted += 1;
                                }
                            }
                            ReplyBody::Execution(e) if e.exec_type == engine::ExecType::Rejected => {
                                return Err(format!("client {k}: place rejected: {:?}", e.reason))
                            }
                            ReplyBody::Error { code, message, .. } => {
                                return Err(format!("client {k}: {}: {message}", code.as_str()))
                            }
                            _ => {}
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("client panicked".into())))
            .collect()
    });
    let (mut reports, mut sent) = (0, 0);
    for r in results {
        let (c, s) = r?;
        reports += c;
        sent += s;
    }
    Ok(Sustained {
        reports,
        secs: o.secs,
        sent,
    })
}

/// `kill -9` of the primary; then the standby's client places until one is
/// accepted. Answers the milliseconds from the kill and the attempts.
fn failover_run(o: &Options, pair: &mut Pair, key: &str) -> Result<Value, String> {
    let tcp = pair.standby.tcp;
    let mut c = login(tcp, key)?;
    // Before: the standby refuses order entry.
    let id = c
        .request(place_op(90_000_000))
        .map_err(|e| format!("place: {e}"))?;
    match answer(&mut c, id)? {
        Answer::Refused(ErrorCode::NotPrimary, _) => {}
        Answer::New => return Err("the standby accepted an order before the failover".into()),
        Answer::Refused(code, m) => return Err(format!("standby: {}: {m}", code.as_str())),
        Answer::Rejected(m) => return Err(format!("standby rejected: {m}")),
    }
    let deadline = Duration::from_millis(o.lease_ms) + Duration::from_secs(30);
    let t0 = Instant::now();
    pair.primary.process.kill9();
    let killed_ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut attempts = 0u64;
    let mut refusals = 0u64;
    let mut reconnects = 0u64;
    loop {
        if t0.elapsed() > deadline {
            return Err(format!(
                "no order accepted within {deadline:?} of the kill ({attempts} attempts); standby output:\n{}",
                pair.standby.process.log_last(30)
            ));
        }
        attempts += 1;
        let r = c
            .request(place_op(90_000_000 + attempts))
            .map_err(|e| e.to_string())
            .and_then(|id| answer(&mut c, id));
        match r {
            Ok(Answer::New) => break,
            Ok(Answer::Refused(
                ErrorCode::NotPrimary | ErrorCode::Unavailable | ErrorCode::Overloaded,
                _,
            )) => {
                refusals += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(Answer::Refused(code, m)) => return Err(format!("standby: {}: {m}", code.as_str())),
            Ok(Answer::Rejected(m)) => return Err(format!("standby rejected: {m}")),
            // The session was dropped (a node that changes role may close
            // it): connect again.
            Err(e) => {
                reconnects += 1;
                std::thread::sleep(Duration::from_millis(5));
                match login(tcp, key) {
                    Ok(n) => c = n,
                    Err(e2) if t0.elapsed() <= deadline => {
                        eprintln!("replication-bench: failover: {e}; reconnect: {e2}");
                    }
                    Err(e2) => return Err(format!("{e}; reconnect: {e2}")),
                }
            }
        }
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let h = pair.standby.healthz().unwrap_or(Value::Null);
    Ok(json!({
        "bench": "replication_failover",
        "lease_ms": o.lease_ms,
        "failover_ms": (ms * 10.0).round() / 10.0,
        "over_lease_ms": ((ms - o.lease_ms as f64) * 10.0).round() / 10.0,
        "kill_ms": (killed_ms * 10.0).round() / 10.0,
        "attempts": attempts,
        "refusals": refusals,
        "reconnects": reconnects,
        "new_role": h["role"],
        "new_epoch": h["epoch"],
    }))
}

// ---------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------

fn latency_line(path: &str, m: &Measured, extra: Value) -> Value {
    let mut o = Map::new();
    o.insert("bench".into(), json!("replication_round_trip"));
    o.insert("path".into(), json!(path));
    o.insert("mode".into(), json!("closed_loop"));
    o.insert("achieved".into(), json!(m.achieved.round()));
    m.pcts.put(&mut o);
    if let Value::Object(e) = extra {
        o.extend(e);
    }
    o.insert("cores".into(), json!(cpus()));
    o.insert("loadavg_1m".into(), json!(loadavg_1m()));
    Value::Object(o)
}

fn error_line(bench: &str, what: &[(&str, Value)], e: &str) -> Value {
    let mut o = Map::new();
    o.insert("bench".into(), json!(bench));
    for (k, v) in what {
        o.insert((*k).into(), v.clone());
    }
    o.insert("error".into(), json!(e));
    Value::Object(o)
}

fn ratio(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(((a as f64 / b as f64) * 1000.0).round() / 1000.0)
    }
}

fn sustained_line(replication: &str, o: &Options, s: &Sustained, extra: Value) -> Value {
    let mut v = json!({
        "bench": "replication_sustained",
        "replication": replication,
        "clients": o.clients,
        "window": o.window,
        "secs": o.secs,
        "reports": s.reports,
        "cmds_per_s": (s.reports as f64 / s.secs.max(1e-9)).round(),
        "sent": s.sent,
        "cores": cpus(),
        "loadavg_1m": loadavg_1m(),
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

/// Best effort: deletes the run's streams (a lease bucket is the stream
/// `KV_<bucket>`).
fn delete_streams(servers: &[String], names: &[String]) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return,
    };
    let res: Result<(), String> = rt.block_on(async {
        let client = tokio::time::timeout(
            Duration::from_secs(5),
            async_nats::ConnectOptions::new()
                .name("replication-bench-cleanup")
                .connect(servers.to_vec()),
        )
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
        let js = async_nats::jetstream::new(client);
        for n in names {
            match tokio::time::timeout(Duration::from_secs(5), js.delete_stream(n)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => eprintln!("replication-bench: delete stream {n}: {e}"),
                Err(_) => eprintln!("replication-bench: delete stream {n}: timed out"),
            }
        }
        Ok(())
    });
    if let Err(e) = res {
        eprintln!("replication-bench: cleanup: {e}");
    }
}

/// The whole benchmark. Returns the lines it printed (none without a cluster).
pub fn run(o: &Options) -> Result<Vec<Value>, String> {
    let Some(urls) = o.nats.as_deref().filter(|u| !u.trim().is_empty()) else {
        eprintln!(
            "NOTICE: replication-bench: no NATS cluster (pass --nats URLS or set RINGEX_BENCH_NATS_URLS \
             or RINGEX_TEST_NATS_URLS; scripts/nats.sh starts one): nothing measured"
        );
        return Ok(Vec::new());
    };
    let servers: Vec<String> = urls
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut w = match &o.results_dir {
        Some(d) => ResultsWriter::open(d, BENCH).map_err(|e| format!("{}: {e}", d.display()))?,
        None => ResultsWriter::stdout_only(),
    };
    let mut lines = Vec::new();
    let run_unix = unix_s();
    let mut emit = |v: Value, lines: &mut Vec<Value>| -> Result<(), String> {
        let mut v = v;
        v["unix_s"] = json!(run_unix);
        w.line(&v).map_err(|e| e.to_string())?;
        lines.push(v);
        Ok(())
    };
    let hgrm = |name: &str, h: &hdrhistogram::Histogram<u64>| {
        if let Some(dir) = &o.results_dir {
            if let Err(e) = write_hgrm(h, &hgrm_path(dir, &format!("{BENCH}-{name}"))) {
                eprintln!("replication-bench: hgrm: {e}");
            }
        }
    };
    let tag = format!("{}_{}", std::process::id(), run_unix);
    let floor_stream = format!("RBENCH_FLOOR_{tag}");
    let pair_stream = format!("RBENCH_{tag}");
    let mut made_streams = Vec::new();
    let payload = one_order_batch()?;
    let mut series = Vec::new();
    let mut rt: Vec<(&str, Percentiles)> = Vec::new();

    if o.wants("floor") {
        eprintln!(
            "replication-bench: floor: {} + {} JetStream publish-acks of {} B",
            o.warmup,
            o.orders,
            payload.len()
        );
        made_streams.push(floor_stream.clone());
        let v = match floor_run(o, &servers, &floor_stream, &payload) {
            Ok(m) => {
                hgrm("jetstream_publish_ack", &m.hist);
                series.push(Series {
                    key: "floor".into(),
                    label: format!("JetStream publish-ack, {} B", payload.len()),
                    pcts: m.pcts.clone(),
                });
                rt.push(("floor", m.pcts.clone()));
                latency_line(
                    "jetstream_publish_ack",
                    &m,
                    json!({"msg_bytes": payload.len(), "replicas": 3, "warmup": o.warmup, "gap_us": o.floor_gap_us}),
                )
            }
            Err(e) => error_line(
                "replication_round_trip",
                &[("path", json!("jetstream_publish_ack"))],
                &e,
            ),
        };
        emit(v, &mut lines)?;
    }

    let needs_server = ["round_trip", "sustained", "failover"]
        .iter()
        .any(|p| o.wants(p));
    match (&o.server, needs_server) {
        (_, false) => {}
        (None, true) => eprintln!(
            "NOTICE: replication-bench: no ringex binary (build it with `cargo build --release -p gateway`, \
             or pass --server PATH): only the JetStream floor was measured"
        ),
        (Some(path), true) => {
            let admin_key = format!("replication-bench-admin-{}", std::process::id());
            let traders: Vec<(u64, String)> = (1..=o.clients.max(1) as u64 + 1)
                .map(|u| (u, format!("replication-bench-trader{u}-{}", std::process::id())))
                .collect();
            let keys: Vec<String> = traders.iter().skip(1).map(|t| t.1.clone()).collect();
            let req_bytes = {
                let mut b = Vec::new();
                wire::binary::encode_request(
                    &wire::Request {
                        req_id: Some(1_000_000),
                        op: place_op(0),
                    },
                    &mut b,
                )
                .map_err(|e| e.to_string())?;
                b.len()
            };

            // Replication off.
            eprintln!("replication-bench: ringex without replication");
            let off = Node::start(path, &admin_key, None, &[]).and_then(|n| {
                admin_apply(n.tcp, &admin_key, setup_commands(&traders))?;
                Ok(n)
            });
            match off {
                Err(e) => {
                    for (b, k, v) in [
                        ("replication_round_trip", "path", "ringex_replication_off"),
                        ("replication_sustained", "replication", "off"),
                    ] {
                        emit(error_line(b, &[(k, json!(v))], &e), &mut lines)?;
                    }
                }
                Ok(n) => {
                    if o.wants("round_trip") {
                        eprintln!("replication-bench: round trip, replication off ({} orders)", o.orders);
                        let v = match round_trip_run(o, n.tcp, &traders[0].1, 0) {
                            Ok(m) => {
                                hgrm("ringex_replication_off", &m.hist);
                                series.push(Series {
                                    key: "off".into(),
                                    label: "ringex, replication off".into(),
                                    pcts: m.pcts.clone(),
                                });
                                rt.push(("off", m.pcts.clone()));
                                latency_line(
                                    "ringex_replication_off",
                                    &m,
                                    json!({"req_bytes": req_bytes, "warmup": o.warmup}),
                                )
                            }
                            Err(e) => error_line(
                                "replication_round_trip",
                                &[("path", json!("ringex_replication_off"))],
                                &e,
                            ),
                        };
                        emit(v, &mut lines)?;
                    }
                    if o.wants("sustained") {
                        eprintln!(
                            "replication-bench: sustained, replication off ({} clients x {} outstanding, {} s)",
                            o.clients, o.window, o.secs
                        );
                        let v = match sustained_run(o, n.tcp, &keys) {
                            Ok(s) => sustained_line("off", o, &s, json!({})),
                            Err(e) => error_line(
                                "replication_sustained",
                                &[("replication", json!("off"))],
                                &e,
                            ),
                        };
                        emit(v, &mut lines)?;
                    }
                    n.stop();
                }
            }

            // Replication on: a primary and a standby.
            eprintln!(
                "replication-bench: a replicated pair (stream {pair_stream}, lease {} ms)",
                o.lease_ms
            );
            made_streams.push(pair_stream.clone());
            made_streams.push(format!("KV_{pair_stream}_LEASE"));
            match start_pair(path, &servers, &pair_stream, o.lease_ms, &admin_key, &traders) {
                Err(e) => {
                    for (b, k, v) in [
                        ("replication_round_trip", "path", json!("ringex_replication_on")),
                        ("replication_sustained", "replication", json!("on")),
                        ("replication_failover", "lease_ms", json!(o.lease_ms)),
                    ] {
                        emit(error_line(b, &[(k, v)], &e), &mut lines)?;
                    }
                }
                Ok(mut pair) => {
                    if o.wants("round_trip") {
                        eprintln!("replication-bench: round trip, replication on ({} orders)", o.orders);
                        let v = match round_trip_run(o, pair.primary.tcp, &traders[0].1, 0) {
                            Ok(m) => {
                                hgrm("ringex_replication_on", &m.hist);
                                series.push(Series {
                                    key: "on".into(),
                                    label: "ringex, replication on".into(),
                                    pcts: m.pcts.clone(),
                                });
                                rt.push(("on", m.pcts.clone()));
                                latency_line(
                                    "ringex_replication_on",
                                    &m,
                                    json!({"req_bytes": req_bytes, "msg_bytes": payload.len(), "warmup": o.warmup}),
                                )
                            }
                            Err(e) => error_line(
                                "replication_round_trip",
                                &[("path", json!("ringex_replication_on"))],
                                &e,
                            ),
                        };
                        emit(v, &mut lines)?;
                    }
                    if o.wants("sustained") {
                        eprintln!(
                            "replication-bench: sustained, replication on ({} clients x {} outstanding, {} s)",
                            o.clients, o.window, o.secs
                        );
                        let h0 = pair.primary.healthz().ok();
                        let r = sustained_run(o, pair.primary.tcp, &keys);
                        let h1 = pair.primary.healthz().ok();
                        let v = match r {
                            Ok(s) => {
                                let get = |h: &Option<Value>, k: &str| {
                                    h.as_ref().and_then(|h| h["replication"][k].as_u64())
                                };
                                let msgs = get(&h1, "stream_seq")
                                    .zip(get(&h0, "stream_seq"))
                                    .map(|(a, b)| a.saturating_sub(b));
                                let recs = get(&h1, "replicated_seq")
                                    .zip(get(&h0, "replicated_seq"))
                                    .map(|(a, b)| a.saturating_sub(b));
                                let per_msg = match (recs, msgs) {
                                    (Some(r), Some(m)) if m > 0 => {
                                        json!(((r as f64 / m as f64) * 100.0).round() / 100.0)
                                    }
                                    _ => Value::Null,
                                };
                                sustained_line(
                                    "on",
                                    o,
                                    &s,
                                    json!({
                                        "stream_msgs": msgs,
                                        "records": recs,
                                        "records_per_msg": per_msg,
                                    }),
                                )
                            }
                            Err(e) => error_line(
                                "replication_sustained",
                                &[("replication", json!("on"))],
                                &e,
                            ),
                        };
                        emit(v, &mut lines)?;
                    }
                    if o.wants("failover") {
                        eprintln!(
                            "replication-bench: failover: kill -9 of the primary (lease {} ms)",
                            o.lease_ms
                        );
                        let v = failover_run(o, &mut pair, &traders[0].1).unwrap_or_else(|e| {
                            error_line("replication_failover", &[("lease_ms", json!(o.lease_ms))], &e)
                        });
                        emit(v, &mut lines)?;
                    }
                    pair.standby.stop();
                    pair.primary.stop();
                }
            }
        }
    }

    let pct = |k: &str| rt.iter().find(|(n, _)| *n == k).map(|(_, p)| p.clone());
    if let (Some(on), Some(off)) = (pct("on"), pct("off")) {
        let floor = pct("floor");
        let f50 = floor.as_ref().map_or(0, |f| f.p50_ns());
        let f99 = floor.as_ref().map_or(0, |f| f.p99_ns());
        let v = json!({
            "bench": "replication_round_trip_ratio",
            "on_over_off_p50": ratio(on.p50_ns(), off.p50_ns()),
            "on_over_off_p99": ratio(on.p99_ns(), off.p99_ns()),
            "added_p50_ns": on.p50_ns().saturating_sub(off.p50_ns()),
            "floor_p50_ns": floor.as_ref().map(|f| f.p50_ns()),
            "added_over_floor_p50": floor.as_ref().map_or(Value::Null, |_| ratio(on.p50_ns().saturating_sub(off.p50_ns()), f50)),
            "on_over_floor_p50": floor.as_ref().map_or(Value::Null, |_| ratio(on.p50_ns(), f50)),
            "on_over_floor_p99": floor.as_ref().map_or(Value::Null, |_| ratio(on.p99_ns(), f99)),
        });
        emit(v, &mut lines)?;
    }
    if !made_streams.is_empty() {
        delete_streams(&servers, &made_streams);
    }
    if let (true, Some(dir), false) = (o.plot, &o.results_dir, series.is_empty()) {
        let path = dir.join(format!("{BENCH}.svg"));
        let title = format!(
            "Order round trip, replication off and on, beside the JetStream publish-ack of one batch, {} cores",
            cpus()
        );
        let panels = [Panel {
            title: "sequential (closed loop)".into(),
            series,
        }];
        match crate::plot::write_svg(&path, &title, &panels) {
            Ok(()) => eprintln!("replication-bench: plot {}", path.display()),
            Err(e) => eprintln!("replication-bench: {e}"),
        }
    }
    if !lines.is_empty() {
        eprintln!("\n{}", crate::summary::markdown(&lines));
    }
    if let Some(p) = w.path() {
        eprintln!("replication-bench: appended to {}", p.display());
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_order_batch_is_one_journal_frame_of_a_place() {
        let b = one_order_batch().unwrap();
        let recs = journal::frames::decode(&b).unwrap();
        assert_eq!(recs.len(), 1);
        assert!(matches!(recs[0].command.kind, CommandKind::Place(_)));
    }

    #[test]
    fn no_cluster_no_lines() {
        let o = Options::quick(None, None);
        assert!(run(&o).unwrap().is_empty());
    }
}
