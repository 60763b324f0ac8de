//! The wire-latency benchmark: the real `ringex` server over loopback, a
//! place and its `new` report, over binary TCP and over WebSocket, beside a
//! bare TCP echo of the same message sizes measured by the same client.
//!
//! How it goes: a TCP echo server (a thread of this process: read a
//! request-sized message, answer a report-sized one) is measured first, at
//! every rate, with nothing else running. Then, for each profile, the server
//! binary is started on an empty temporary data dir (`--no-demo`, an admin
//! key, ports chosen by the OS on 127.0.0.1, a config that lifts the
//! per-session rate limit), an admin binary session adds assets, a symbol
//! and two funded traders, and each transport is measured at every rate on
//! a fresh connection. Every place is a buy GTC limit that rests (1 lot,
//! prices cycling over 1,000 levels below any sell), so each request gets
//! exactly one `new` report and nothing trades.
//!
//! Client modes:
//! - fixed rate (open loop): a sender thread sends request `i` at its
//!   intended time `start + i / rate`, a receiver thread blocks on the socket
//!   and records `arrival - intended` for each report: coordinated omission
//!   corrected, a stalled server shows as latency instead of fewer requests;
//! - `max` (closed loop): one thread sends, waits for the report, sends the
//!   next; latency from the actual send.
//!
//! The first `warmup_secs` of each measurement are not recorded.
//!
//! What holds: the echo's message sizes are the binary protocol's exact
//! place and `new` report sizes (encoded by the gateway's own codec); every
//! socket read has a 10 s timeout and every run a command cap, so nothing
//! hangs; the server is stopped (SIGTERM, then killed) when a run ends or
//! fails. Output: one JSON line per (engine, transport, profile, rate), a
//! ratio line ringex / echo per (profile, transport, rate), `.hgrm` files and
//! one SVG plot.

use crate::latency::{
    cpus, hgrm_path, loadavg_1m, ms_json, new_histogram, record, sched_ns, wait_until, write_hgrm,
    Clock, Percentiles, Rate, SchedNs, Schedule,
};
use crate::plot::{Panel, Series};
use crate::results::{unix_s, ResultsWriter};
use engine::{
    Command, CommandKind, Engine, EngineLimits, Event, ExecType, Fixed, KeyHash, Name, OrderType,
    Place, Role, Side, Stp, SymbolSpec, Tif, TxId,
};
use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wire::binary::{encode_event_bin, encode_request, ReplyBody};
use wire::client::{limit_order, Client};
use wire::{Op, Request, TraderOp};

mod conns;
mod server;

use conns::*;
use server::*;
pub use server::{admin_apply, Server};

/// The results file name (`<results dir>/wire_latency.jsonl`).
pub const BENCH: &str = "wire_latency";
/// The rates of a full run.
pub const RATES: [Rate; 4] = [
    Rate::PerSec(1_000),
    Rate::PerSec(10_000),
    Rate::PerSec(50_000),
    Rate::Max,
];
/// Every socket read gives up after this long.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const SYMBOL: &str = "BTC-USD";
/// First `req_id` of a measurement (the login used 1).
const ID_BASE: u64 = 1_000_000;
/// Buy prices cycle over this many ticks below 100.00.
const PRICE_LEVELS: u64 = 1_000;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ws,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ws => "ws",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// The `ringex` binary; `None`: the echo only (with a notice).
    pub server: Option<PathBuf>,
    /// `default`, `low_latency`.
    pub profiles: Vec<String>,
    pub transports: Vec<Transport>,
    pub rates: Vec<Rate>,
    /// Recorded seconds per measurement.
    pub secs: f64,
    pub warmup_secs: f64,
    /// Most requests one measurement sends, warm-up included.
    pub max_cmds: u64,
    /// Measure the TCP echo too (and the ratios).
    pub echo: bool,
    pub results_dir: Option<PathBuf>,
    pub plot: bool,
}

impl Options {
    pub fn full(server: Option<PathBuf>) -> Options {
        Options {
            server,
            profiles: vec!["default".into(), "low_latency".into()],
            transports: vec![Transport::Tcp, Transport::Ws],
            rates: RATES.to_vec(),
            secs: 5.0,
            warmup_secs: 1.0,
            max_cmds: 1_000_000,
            echo: true,
            results_dir: None,
            plot: true,
        }
    }

    /// Both profiles, both transports, every rate, within a minute.
    pub fn quick(server: Option<PathBuf>) -> Options {
        Options {
            secs: 0.5,
            warmup_secs: 0.1,
            max_cmds: 100_000,
            ..Options::full(server)
        }
    }
}

/// The `ringex` binary next to the running executable (or one level up,
/// for test binaries in `deps/`).
pub fn find_server() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let found = [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join(format!("ringex{}", std::env::consts::EXE_SUFFIX)))
        .find(|p| p.is_file());
    found
}

// ---------------------------------------------------------------------------
// Message sizes, from the gateway's own codec
// ---------------------------------------------------------------------------

pub(crate) fn name(s: &str) -> Name {
    Name::new(s).expect("benchmark names are valid")
}

fn symbol_spec() -> SymbolSpec {
    SymbolSpec {
        symbol: name(SYMBOL),
        base: name("BTC"),
        quote: name("USD"),
        tick_size: Fixed::new(1, 2),
        lot_size: Fixed::new(1, 4),
        min_qty: Fixed::new(1, 4),
        maker_fee_bps: 0,
        taker_fee_bps: 0,
        price_band_pct: None,
    }
}

/// The setup every server gets (and the size probe's engine).
pub(crate) fn setup_commands(keys: &[(u64, String)]) -> Vec<CommandKind> {
    let mut v = vec![
        CommandKind::AddAsset {
            asset: name("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(symbol_spec()),
    ];
    for (u, key) in keys {
        v.push(CommandKind::AddUser {
            user: *u,
            key_hash: KeyHash::of_key(key),
            role: Role::Trader,
        });
        v.push(CommandKind::Deposit {
            user: *u,
            asset: name("USD"),
            amount: Fixed::new(1_000_000_000, 0),
            tx_id: TxId::new(&format!("wire-bench-{u}")).expect("tx id"),
        });
    }
    v
}

/// The price of request `id`: 99.99 down to 90.00, never crossing.
fn price(id: u64) -> Fixed {
    Fixed::new(9_999 - (id % PRICE_LEVELS) as i64, 2)
}

fn place_op(id: u64) -> Op {
    Op::Trader(TraderOp::Place(limit_order(
        name(SYMBOL),
        Side::Buy,
        price(id),
        Fixed::new(1, 4),
    )))
}

fn place_json(id: u64) -> String {
    let p = price(id);
    format!(
        r#"{{"op":"place","req_id":{id},"symbol":"{SYMBOL}","side":"buy","type":"limit","price":"{}.{:02}","qty":"0.0001"}}"#,
        p.mantissa / 100,
        p.mantissa % 100
    )
}

/// Bytes on the wire of one binary place and of its `new` report, as the
/// gateway's codec encodes them (an in-process engine makes the report).
pub fn binary_sizes() -> Result<(usize, usize), String> {
    let id = ID_BASE;
    let mut req = Vec::new();
    encode_request(
        &Request {
            req_id: Some(id),
            op: place_op(id),
        },
        &mut req,
    )
    .map_err(|e| format!("encode place: {e}"))?;
    let mut engine = Engine::new(EngineLimits::default());
    let mut events = Vec::new();
    let mut cmds = setup_commands(&[(1, "k".into())]);
    cmds.push(CommandKind::Place(Place {
        user: 1,
        symbol: name(SYMBOL),
        side: Side::Buy,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(price(id)),
        qty: Fixed::new(1, 4),
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: None,
    }));
    for (i, kind) in cmds.into_iter().enumerate() {
        let seq = i as u64 + 1;
        events.clear();
        engine
            .apply(
                &Command {
                    seq,
                    ts_ns: 1_700_000_000_000_000_000,
                    kind,
                },
                &mut events,
            )
            .map_err(|e| format!("size probe: {e}"))?;
    }
    let report = events
        .iter()
        .find(|e| matches!(e, Event::Execution(r) if r.exec_type == ExecType::New))
        .ok_or("size probe: no new report")?;
    let mut resp = Vec::new();
    encode_event_bin(report, engine.directory(), Some(id), &mut resp);
    Ok((req.len(), resp.len()))
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

/// What one measurement saw.
pub struct Measured {
    pub pcts: Percentiles,
    pub hist: hdrhistogram::Histogram<u64>,
    pub cmds: u64,
    pub warmup_cmds: u64,
    /// Recorded requests per second of the recorded window.
    pub achieved: f64,
}

fn measure_open(conn: Conn, r: u64, warm: u64, meas: u64) -> Result<Measured, String> {
    let Conn {
        mut tx,
        mut rx,
        sock,
    } = conn;
    let n = warm + meas;
    let clock = Clock::new();
    let sched = Schedule::new(clock.now_ns() + 2_000_000, r);
    let failed = AtomicBool::new(false);
    let res = std::thread::scope(|s| {
        let failed = &failed;
        let receiver = s.spawn(
            move || -> Result<(hdrhistogram::Histogram<u64>, u64), String> {
                let mut h = new_histogram();
                let (mut got, mut last) = (0u64, 0u64);
                while got < n {
                    match rx.recv() {
                        Ok(Some(id)) => {
                            let now = clock.now_ns();
                            let Some(i) = id.checked_sub(ID_BASE).filter(|i| *i < n) else {
                                continue;
                            };
                            if i >= warm {
                                record(&mut h, now.saturating_sub(sched.intended_ns(i)));
                            }
                            got += 1;
                            last = now;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            failed.store(true, Ordering::Release);
                            return Err(format!("after {got} of {n} replies: {e}"));
                        }
                    }
                }
                Ok((h, last))
            },
        );
        let mut send_err = None;
        for i in 0..n {
            if failed.load(Ordering::Acquire) {
                break;
            }
            wait_until(&clock, sched.intended_ns(i), 100_000);
            if let Err(e) = tx.send(ID_BASE + i) {
                send_err = Some(format!("send {i}: {e}"));
                let _ = sock.shutdown(std::net::Shutdown::Both);
                break;
            }
        }
        let r = receiver
            .join()
            .unwrap_or_else(|_| Err("receiver panicked".into()));
        match (send_err, r) {
            (Some(e), _) => Err(e),
            (None, r) => r,
        }
    });
    let (hist, last) = res?;
    let secs = last.saturating_sub(sched.intended_ns(warm)) as f64 / 1e9;
    Ok(Measured {
        pcts: Percentiles::of(&hist),
        hist,
        cmds: meas,
        warmup_cmds: warm,
        achieved: if secs > 0.0 { meas as f64 / secs } else { 0.0 },
    })
}

fn measure_closed(conn: Conn, warmup_secs: f64, secs: f64, cap: u64) -> Result<Measured, String> {
    let Conn { mut tx, mut rx, .. } = conn;
    let clock = Clock::new();
    let mut h = new_histogram();
    let warm_end = (warmup_secs * 1e9) as u64;
    let end = ((warmup_secs + secs) * 1e9) as u64;
    let (mut warm, mut meas, mut first) = (0u64, 0u64, None);
    let mut i = 0u64;
    while i < cap.max(2) {
        let t = clock.now_ns();
        if t >= end && meas > 0 {
            break;
        }
        let id = ID_BASE + i;
        tx.send(id).map_err(|e| format!("send {i}: {e}"))?;
        loop {
            match rx.recv().map_err(|e| format!("reply {i}: {e}"))? {
                Some(x) if x == id => break,
                _ => {}
            }
        }
        let done = clock.now_ns();
        if t < warm_end && warm + 1 < cap {
            warm += 1;
        } else {
            first.get_or_insert(t);
            record(&mut h, done - t);
            meas += 1;
        }
        i += 1;
    }
    let secs = clock.now_ns().saturating_sub(first.unwrap_or(0)) as f64 / 1e9;
    Ok(Measured {
        pcts: Percentiles::of(&h),
        hist: h,
        cmds: meas,
        warmup_cmds: warm,
        achieved: if secs > 0.0 { meas as f64 / secs } else { 0.0 },
    })
}

fn measure(
    o: &Options,
    rate: Rate,
    connect: &dyn Fn() -> Result<Conn, String>,
) -> Result<Measured, String> {
    let conn = connect()?;
    match rate {
        Rate::PerSec(r) => {
            let warm = rate.count_for(o.warmup_secs).unwrap_or(0);
            let meas = rate.count_for(o.secs).unwrap_or(1);
            let cap = o.max_cmds.max(2);
            let (warm, meas) = if warm + meas > cap {
                let m = (cap as f64 * o.secs / (o.secs + o.warmup_secs)).round() as u64;
                (cap - m.clamp(1, cap), m.clamp(1, cap))
            } else {
                (if o.warmup_secs > 0.0 { warm } else { 0 }, meas)
            };
            measure_open(conn, r, warm, meas)
        }
        Rate::Max => measure_closed(conn, o.warmup_secs, o.secs, o.max_cmds),
    }
}

fn mode(rate: Rate) -> &'static str {
    match rate {
        Rate::PerSec(_) => "open_loop",
        Rate::Max => "closed_loop",
    }
}

fn result_line(
    engine: &str,
    transport: Transport,
    profile: Option<&str>,
    rate: Rate,
    m: &Measured,
    sizes: Option<(usize, usize)>,
) -> Value {
    let mut o = Map::new();
    o.insert("bench".into(), json!(BENCH));
    o.insert("engine".into(), json!(engine));
    o.insert("transport".into(), json!(transport.name()));
    o.insert("profile".into(), json!(profile));
    o.insert("rate".into(), rate.to_json());
    o.insert("mode".into(), json!(mode(rate)));
    o.insert("achieved".into(), json!(m.achieved.round()));
    m.pcts.put(&mut o);
    o.insert("cmds".into(), json!(m.cmds));
    o.insert("warmup_cmds".into(), json!(m.warmup_cmds));
    if let Some((q, r)) = sizes {
        o.insert("req_bytes".into(), json!(q));
        o.insert("resp_bytes".into(), json!(r));
    }
    o.insert("cores".into(), json!(cpus()));
    o.insert("loadavg_1m".into(), json!(loadavg_1m()));
    o.insert("unix_s".into(), json!(unix_s()));
    Value::Object(o)
}

fn error_line(
    engine: &str,
    transport: Transport,
    profile: Option<&str>,
    rate: Rate,
    e: &str,
) -> Value {
    json!({
        "bench": BENCH,
        "engine": engine,
        "transport": transport.name(),
        "profile": profile,
        "rate": rate.to_json(),
        "error": e,
        "unix_s": unix_s(),
    })
}

fn ratio(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(((a as f64 / b as f64) * 1000.0).round() / 1000.0)
    }
}

fn placement(profile: &str) -> String {
    let n = cpus();
    match profile {
        "low_latency" => format!(
            "{n} cores: the server pins its network loop to core 0 and its core thread to core 1, \
             both busy-spinning; this client's sender and receiver threads share those cores{}",
            if n <= 2 { " (no free core is left on this machine)" } else { "" }
        ),
        _ => format!(
            "{n} cores: server threads back off when idle; client sender and receiver threads unpinned"
        ),
    }
}

/// The whole benchmark. Returns the lines it printed.
pub fn run(o: &Options) -> Result<Vec<Value>, String> {
    let mut w = match &o.results_dir {
        Some(d) => ResultsWriter::open(d, BENCH).map_err(|e| format!("{}: {e}", d.display()))?,
        None => ResultsWriter::stdout_only(),
    };
    let mut lines = Vec::new();
    let mut emit = |v: Value, w: &mut ResultsWriter| -> Result<(), String> {
        w.line(&v).map_err(|e| e.to_string())?;
        lines.push(v);
        Ok(())
    };
    let hgrm = |name: String, h: &hdrhistogram::Histogram<u64>| {
        if let Some(dir) = &o.results_dir {
            if let Err(e) = write_hgrm(h, &hgrm_path(dir, &name)) {
                eprintln!("wire-latency: hgrm: {e}");
            }
        }
    };
    let sizes = binary_sizes()?;
    // Per rate: the panel of the plot.
    let mut panels: Vec<Panel> = o
        .rates
        .iter()
        .map(|r| Panel {
            title: format!(
                "{} {}",
                r,
                if *r == Rate::Max {
                    "(closed loop)"
                } else {
                    "(open loop)"
                }
            ),
            series: Vec::new(),
        })
        .collect();
    let mut echo_p: Vec<Option<Percentiles>> = vec![None; o.rates.len()];
    if o.echo {
        let echo = EchoServer::start(sizes.0, sizes.1)?;
        for (k, &rate) in o.rates.iter().enumerate() {
            eprintln!(
                "wire-latency: tcp-echo ({} B -> {} B) at {rate}",
                sizes.0, sizes.1
            );
            match measure(o, rate, &|| echo_conn(echo.addr, sizes.0, sizes.1)) {
                Ok(m) => {
                    hgrm(format!("{BENCH}-tcp-echo-{rate}"), &m.hist);
                    panels[k].series.push(Series {
                        key: "tcp-echo".into(),
                        label: "tcp echo".into(),
                        pcts: m.pcts.clone(),
                    });
                    echo_p[k] = Some(m.pcts.clone());
                    emit(
                        result_line("tcp-echo", Transport::Tcp, None, rate, &m, Some(sizes)),
                        &mut w,
                    )?;
                }
                Err(e) => emit(
                    error_line("tcp-echo", Transport::Tcp, None, rate, &e),
                    &mut w,
                )?,
            }
        }
    }
    match &o.server {
        None => eprintln!(
            "NOTICE: wire-latency: no ringex binary (build it with `cargo build --release -p gateway`, \
             or pass --server PATH): only the TCP echo was measured"
        ),
        Some(path) => {
            for profile in &o.profiles {
                let admin_key = format!("wire-bench-admin-{}", std::process::id());
                let traders: Vec<(u64, String)> = [1u64, 2]
                    .iter()
                    .map(|u| (*u, format!("wire-bench-trader{u}-{}", std::process::id())))
                    .collect();
                eprintln!("wire-latency: starting {} --profile {profile}", path.display());
                let server = Server::start(path, profile, &admin_key)?;
                setup_server(server.tcp, &admin_key, &traders)?;
                let note = placement(profile);
                for (k, &rate) in o.rates.iter().enumerate() {
                    for &t in &o.transports {
                        eprintln!("wire-latency: ringex {profile} {} at {rate}", t.name());
                        let (tcp, http) = (server.tcp, server.http);
                        let s0 = sched_ns(Some(server.pid()), None);
                        let r = match t {
                            Transport::Tcp => measure(o, rate, &|| ringex_tcp(tcp, &traders[0].1)),
                            Transport::Ws => measure(o, rate, &|| ringex_ws(http, &traders[1].1)),
                        };
                        let sched = SchedNs::delta(s0, sched_ns(Some(server.pid()), None));
                        match r {
                            Ok(m) => {
                                hgrm(format!("{BENCH}-ringex-{profile}-{}-{rate}", t.name()), &m.hist);
                                panels[k].series.push(Series {
                                    key: format!("{profile}-{}", t.name()),
                                    label: format!("ringex {} {profile}", t.name()),
                                    pcts: m.pcts.clone(),
                                });
                                let mut v = result_line(
                                    "ringex",
                                    t,
                                    Some(profile),
                                    rate,
                                    &m,
                                    (t == Transport::Tcp).then_some(sizes),
                                );
                                v["placement"] = json!(note);
                                v["server_cpu_ms"] = ms_json(sched.map(|s| s.cpu_ns));
                                v["server_runq_wait_ms"] = ms_json(sched.map(|s| s.wait_ns));
                                emit(v, &mut w)?;
                                if let Some(e) = &echo_p[k] {
                                    emit(
                                        json!({
                                            "bench": format!("{BENCH}_ratio"),
                                            "profile": profile,
                                            "transport": t.name(),
                                            "rate": rate.to_json(),
                                            "p50_ratio": ratio(m.pcts.p50_ns(), e.p50_ns()),
                                            "p99_ratio": ratio(m.pcts.p99_ns(), e.p99_ns()),
                                            "ringex_p50_ns": m.pcts.p50_ns(),
                                            "echo_p50_ns": e.p50_ns(),
                                            "ringex_p99_ns": m.pcts.p99_ns(),
                                            "echo_p99_ns": e.p99_ns(),
                                            "unix_s": unix_s(),
                                        }),
                                        &mut w,
                                    )?;
                                }
                            }
                            Err(e) => {
                                eprintln!("wire-latency: {e}");
                                emit(error_line("ringex", t, Some(profile), rate, &e), &mut w)?
                            }
                        }
                    }
                }
                server.stop();
            }
        }
    }
    if let (true, Some(dir)) = (o.plot, &o.results_dir) {
        let path = dir.join(format!("{BENCH}.svg"));
        let title = format!(
            "Wire latency over loopback: place -> new report (ringex) vs TCP echo of the same sizes, {} cores",
            cpus()
        );
        match crate::plot::write_svg(&path, &title, &panels) {
            Ok(()) => eprintln!("wire-latency: plot {}", path.display()),
            Err(e) => eprintln!("wire-latency: {e}"),
        }
    }
    if let Some(p) = w.path() {
        eprintln!("wire-latency: appended to {}", p.display());
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_parses() {
        let l = "ringex listening: http://127.0.0.1:41000 (WebSocket ws://127.0.0.1:41000/ws), binary TCP 127.0.0.1:41001";
        let (h, t) = parse_listening(l).unwrap();
        assert_eq!(h.port(), 41000);
        assert_eq!(t.port(), 41001);
        assert!(parse_listening("try: websocat").is_none());
    }

    #[test]
    fn json_req_ids_and_prices() {
        assert_eq!(
            json_req_id(r#"{"type":"execution","req_id":1000007,"x":1}"#),
            Some(1_000_007)
        );
        assert_eq!(json_req_id(r#"{"type":"execution"}"#), None);
        assert!(place_json(1_000_000).contains(r#""price":"99.99""#));
        assert!(place_json(1_000_999).contains(r#""price":"90.00""#));
    }

    #[test]
    fn binary_sizes_come_from_the_codec() {
        let (req, resp) = binary_sizes().unwrap();
        assert!(req >= 14 && resp > req, "{req} {resp}");
    }
}
