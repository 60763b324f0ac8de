//! Market-data fan-out: book-delta messages per second delivered to 1, 10
//! and 100 WebSocket subscribers of a real `ringex`, and the latency from a
//! trade (its engine timestamp, stamped by the gateway at receipt) to a
//! subscriber's receipt of the `trade` message.
//!
//! A load client on the binary port keeps a book moving (resting orders
//! walking over a few price levels, and crossing orders that trade) in a
//! closed loop; every subscriber reads `book:SYM` and `trades:SYM` on its
//! own thread. Loopback only; every loop is bounded by the run's duration.

use crate::wire_latency::{admin_apply, find_server, name, setup_commands, Server};
use engine::{CommandKind, Fixed, Side, TxId};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wire::client::{limit_order, Client};
use wire::{Op, TraderOp};

const ADMIN_KEY: &str = "md-fanout-admin";
const SYMBOL: &str = "BTC-USD";

pub struct Options {
    pub server: Option<PathBuf>,
    pub subscribers: Vec<usize>,
    pub secs: f64,
}

impl Options {
    pub fn full(server: Option<PathBuf>) -> Options {
        Options {
            server,
            subscribers: vec![1, 10, 100],
            secs: 5.0,
        }
    }
    pub fn quick(server: Option<PathBuf>) -> Options {
        Options {
            server,
            subscribers: vec![1, 10],
            secs: 1.0,
        }
    }
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn admin_setup(tcp: SocketAddr) -> Result<(), String> {
    // The wire benchmark's setup (BTC, USD, BTC-USD, traders funded in USD),
    // plus BTC for both traders: one of them sells.
    let traders: Vec<(u64, String)> = [1u64, 2].map(|u| (u, format!("md-{u}"))).into();
    let mut cmds = setup_commands(&traders);
    for (u, _) in &traders {
        cmds.push(CommandKind::Deposit {
            user: *u,
            asset: name("BTC"),
            amount: Fixed::new(1_000_000, 0),
            tx_id: TxId::new(&format!("md-{u}-BTC")).expect("tx"),
        });
    }
    admin_apply(tcp, ADMIN_KEY, cmds)
}

/// What one subscriber saw.
#[derive(Default)]
struct Seen {
    book: u64,
    trades: u64,
    gaps: u64,
    closed: bool,
    latency: Vec<u64>,
}

fn subscriber(
    http: SocketAddr,
    ready: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<Seen, String> {
    let stream = TcpStream::connect(http).map_err(|e| e.to_string())?;
    let (mut ws, _) = tungstenite::client::client(format!("ws://{http}/ws"), stream)
        .map_err(|e| e.to_string())?;
    ws.send(tungstenite::Message::text(
        json!({"op": "subscribe", "channels": [format!("book:{SYMBOL}"), format!("trades:{SYMBOL}")]}).to_string(),
    ))
    .map_err(|e| e.to_string())?;
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| e.to_string())?;
    ready.fetch_add(1, Ordering::Release);
    let mut seen = Seen::default();
    let mut last_seq: Option<u64> = None;
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                let at = wall_ns();
                let v: Value = serde_json::from_str(t.as_str()).map_err(|e| e.to_string())?;
                match v["type"].as_str() {
                    Some("book") => {
                        let seq = v["seq"].as_u64().unwrap_or(0);
                        if v["snapshot"] == false {
                            seen.book += 1;
                            if last_seq.is_some_and(|l| v["prev_seq"].as_u64() != Some(l)) {
                                seen.gaps += 1;
                            }
                        }
                        last_seq = Some(seq);
                    }
                    Some("trade") => {
                        seen.trades += 1;
                        if let Some(ts) = v["ts"].as_u64() {
                            seen.latency.push(at.saturating_sub(ts));
                        }
                    }
                    _ => {}
                }
            }
            Ok(tungstenite::Message::Close(_)) => {
                seen.closed = true;
                return Ok(seen);
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Acquire) {
                    return Ok(seen);
                }
            }
            Err(_) => {
                seen.closed = true;
                return Ok(seen);
            }
        }
    }
}

/// Closed-loop load: alternately rests a sell at one of 8 prices and crosses
/// it with a buy, so every pair makes book deltas and a trade.
fn load(tcp: SocketAddr, until: Instant) -> Result<u64, String> {
    let mut maker = Client::connect(tcp).map_err(|e| e.to_string())?;
    maker.login("md-1", false).map_err(|e| e.to_string())?;
    let mut taker = Client::connect(tcp).map_err(|e| e.to_string())?;
    taker.login("md-2", false).map_err(|e| e.to_string())?;
    let mut sent = 0u64;
    let mut i = 0i64;
    let wait_new = |c: &mut Client, id: u64| -> Result<(), String> {
        loop {
            let r = c
                .recv_timeout(Duration::from_secs(10))
                .map_err(|e| e.to_string())?
                .ok_or("no report")?;
            if r.req_id == Some(id) {
                return Ok(());
            }
        }
    };
    while Instant::now() < until {
        let px = Fixed::new(10_000 + i % 8, 2);
        let id = maker
            .request(Op::Trader(TraderOp::Place(limit_order(
                name(SYMBOL),
                Side::Sell,
                px,
                Fixed::new(1, 4),
            ))))
            .map_err(|e| e.to_string())?;
        wait_new(&mut maker, id)?;
        let id = taker
            .request(Op::Trader(TraderOp::Place(limit_order(
                name(SYMBOL),
                Side::Buy,
                px,
                Fixed::new(1, 4),
            ))))
            .map_err(|e| e.to_string())?;
        wait_new(&mut taker, id)?;
        sent += 2;
        i += 1;
    }
    Ok(sent)
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark; one JSON value per subscriber count.
pub fn run(o: &Options) -> Result<Vec<Value>, String> {
    let path =
        o.server.clone().or_else(find_server).ok_or(
            "no ringex binary: build it (cargo build --release -p gateway) or pass --server",
        )?;
    let mut out = Vec::new();
    for &n in &o.subscribers {
        let server = Server::start(&path, "default", ADMIN_KEY)?;
        admin_setup(server.tcp)?;
        let ready = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let subs: Vec<_> = (0..n)
            .map(|_| {
                let (ready, stop, http) = (ready.clone(), stop.clone(), server.http);
                std::thread::spawn(move || subscriber(http, ready, stop))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        while ready.load(Ordering::Acquire) < n as u64 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        let orders = load(server.tcp, t0 + Duration::from_secs_f64(o.secs))?;
        let secs = t0.elapsed().as_secs_f64();
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Release);
        let mut all = Seen::default();
        let mut closed = 0;
        for h in subs {
            let s = h.join().map_err(|_| "subscriber panicked")??;
            all.book += s.book;
            all.trades += s.trades;
            all.gaps += s.gaps;
            closed += s.closed as u64;
            all.latency.extend(s.latency);
        }
        server.stop();
        all.latency.sort_unstable();
        out.push(json!({
            "bench": "md_fanout",
            "subscribers": n,
            "secs": (secs * 1000.0).round() / 1000.0,
            "orders": orders,
            "book_msgs_delivered": all.book,
            "book_msgs_per_s": (all.book as f64 / secs).round(),
            "book_msgs_per_s_per_subscriber": (all.book as f64 / secs / n as f64).round(),
            "trades_delivered": all.trades,
            "gaps": all.gaps,
            "subscribers_closed": closed,
            "trade_latency_p50_ns": pct(&all.latency, 50.0),
            "trade_latency_p90_ns": pct(&all.latency, 90.0),
            "trade_latency_p99_ns": pct(&all.latency, 99.0),
            "trade_latency_p999_ns": pct(&all.latency, 99.9),
            "trade_latency_max_ns": all.latency.last().copied().unwrap_or(0),
        }));
    }
    Ok(out)
}
