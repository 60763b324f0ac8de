//! Overload: several binary clients send orders as fast as they can at a
//! server whose pipeline is made slow on purpose (a 64-slot inbound ring,
//! batches of 8, `durability = "fsync"`), many times what it can take.
//!
//! What must hold: the server answers every request, either with its report
//! or at once with `overloaded` (never silence, never a stall of the network
//! loop: `/healthz` answers quickly throughout); every order it accepted is
//! in the journal afterwards; its memory stays bounded (RSS sampled from
//! /proc while the load runs).

mod e2e;
mod faults;

use engine::{ClOrdId, Fixed, Name, Side};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use wire::binary::{self, ReplyBody};
use wire::client::limit_order;
use wire::{ErrorCode, Op, Request, TraderOp};

const CLIENTS: u64 = 4;
const PER_CLIENT: u64 = 100_000;

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What one client saw: req_ids answered `overloaded`, and the client order
/// ids of orders with a report.
#[derive(Default)]
struct Seen {
    overloaded: u64,
    accepted: HashSet<String>,
    other_errors: u64,
    answered: u64,
    max_gap: Duration,
    failure: Option<String>,
}

fn blast(tcp: std::net::SocketAddr, user: u64) -> Seen {
    let mut s = TcpStream::connect(tcp).expect("connect");
    s.set_nodelay(true).unwrap();
    let mut login = Vec::new();
    binary::encode_login(&format!("k-{user}"), false, Some(0), &mut login).unwrap();
    s.write_all(&login).unwrap();
    let mut r = s.try_clone().unwrap();
    r.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let writer = std::thread::spawn(move || {
        let mut buf = Vec::new();
        for i in 1..=PER_CLIENT {
            let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
            let px = Fixed::new(10_000 + (i % 7) as i64 * if i % 2 == 0 { -1 } else { 1 }, 2);
            let mut o = limit_order(Name::new("BTC-USD").unwrap(), side, px, Fixed::new(1, 4));
            o.client_order_id = ClOrdId::new(&format!("u{user}n{i}"));
            let req = Request {
                req_id: Some(i),
                op: Op::Trader(TraderOp::Place(o)),
            };
            binary::encode_request(&req, &mut buf).unwrap();
            if buf.len() > 16 << 10 {
                s.write_all(&buf).expect("the server kept reading");
                buf.clear();
            }
        }
        s.write_all(&buf).expect("the server kept reading");
        s
    });
    let mut seen = Seen::default();
    let mut answered: HashMap<u64, bool> = HashMap::new();
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut end) = (0usize, 0usize);
    let mut last = Instant::now();
    while (answered.len() as u64) < PER_CLIENT {
        loop {
            match binary::decode_reply(&buf[start..end]) {
                Ok(Some((reply, used))) => {
                    start += used;
                    let Some(id) = reply.req_id.filter(|&i| i > 0) else {
                        continue;
                    };
                    match reply.body {
                        ReplyBody::Error { code, .. } => {
                            if code == ErrorCode::Overloaded {
                                seen.overloaded += 1;
                            } else {
                                seen.other_errors += 1;
                            }
                            answered.insert(id, false);
                        }
                        ReplyBody::Execution(x) => {
                            if let Some(c) = x.client_order_id {
                                seen.accepted.insert(c);
                            }
                            answered.insert(id, true);
                        }
                        _ => {}
                    }
                }
                Ok(None) => break,
                Err(e) => panic!("undecodable reply: {e:?}"),
            }
        }
        if answered.len() as u64 >= PER_CLIENT {
            break;
        }
        if start == end {
            start = 0;
            end = 0;
        } else if end == buf.len() {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        let n = match r.read(&mut buf[end..]) {
            Ok(0) => {
                seen.failure = Some(format!(
                    "connection closed after {} answers",
                    answered.len()
                ));
                break;
            }
            Ok(n) => n,
            Err(e) => {
                seen.failure = Some(format!(
                    "no answer for {:?} after {} answers: {e}",
                    last.elapsed(),
                    answered.len()
                ));
                break;
            }
        };
        seen.max_gap = seen.max_gap.max(last.elapsed());
        last = Instant::now();
        end += n;
    }
    seen.answered = answered.len() as u64;
    if seen.failure.is_none() {
        drop(writer.join().expect("writer"));
    }
    seen
}

#[test]
fn ten_times_capacity_is_answered_overloaded_and_nothing_accepted_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut srv = faults::start_with(
        dir.path(),
        &data,
        "[journal]\nsegment_mb = 4\nprefault = false\ndurability = \"fsync\"\n\
         [pipeline]\ninbound_size = 64\noutbound_size = 16384\nbatch = 8\n\
         [limits]\nrate_per_s = 100000000\nburst = 100000000\nsend_queue_bytes = 67108864\n",
    );
    let (http, tcp, pid) = (srv.http, srv.tcp, srv.pid());
    let mut admin = e2e::Ws::connect(http, "/ws");
    assert_eq!(admin.login(e2e::ADMIN_KEY, false)["ok"], true);
    e2e::setup_market(&mut admin, &(1..=CLIENTS).collect::<Vec<_>>());
    let rss0 = rss_kib(pid).unwrap_or(0);

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut worst, mut peak_rss, mut probes) = (Duration::ZERO, 0u64, 0u32);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                if std::net::TcpStream::connect(http).is_err() {
                    break;
                }
                let r = e2e::http(http, "GET", "/healthz", None, None);
                assert_eq!(r.status, 200, "healthz under load: {}", r.body);
                worst = worst.max(t.elapsed());
                peak_rss = peak_rss.max(rss_kib(pid).unwrap_or(0));
                probes += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (worst, peak_rss, probes)
        })
    };
    let t0 = Instant::now();
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|u| std::thread::spawn(move || blast(tcp, u)))
        .collect();
    let seen: Vec<Seen> = clients
        .into_iter()
        .map(|h| h.join().expect("client"))
        .collect();
    let secs = t0.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (worst_probe, peak_rss, probes) = probe.join().expect("probe");

    let failures: Vec<_> = seen.iter().filter_map(|s| s.failure.clone()).collect();
    assert!(
        failures.is_empty(),
        "clients failed: {failures:?}; healthz worst {worst_probe:?}; server log:\n{}",
        srv.log_text()
    );
    let sent = CLIENTS * PER_CLIENT;
    let answered: u64 = seen.iter().map(|s| s.answered).sum();
    let overloaded: u64 = seen.iter().map(|s| s.overloaded).sum();
    let accepted: usize = seen.iter().map(|s| s.accepted.len()).sum();
    let other: u64 = seen.iter().map(|s| s.other_errors).sum();
    let gap = seen.iter().map(|s| s.max_gap).max().unwrap_or_default();
    println!(
        "overload: sent {sent} in {secs:.2} s ({:.0}/s offered), accepted {accepted} ({:.0}/s), \
         overloaded {overloaded}, other errors {other}; offered/accepted {:.1}x; \
         longest silence {gap:?}; healthz worst {worst_probe:?} over {probes} probes; \
         RSS {rss0} KiB before, peak {peak_rss} KiB",
        sent as f64 / secs,
        accepted as f64 / secs,
        sent as f64 / accepted.max(1) as f64,
    );
    assert_eq!(answered, sent, "every request is answered");
    assert!(overloaded > 0, "a full ring answers overloaded");
    assert!(accepted > 0);
    assert!(
        sent as f64 / accepted as f64 >= 3.0,
        "the load did not exceed capacity by much: {accepted} of {sent} accepted"
    );
    assert!(
        worst_probe < Duration::from_secs(2),
        "healthz stalled {worst_probe:?}"
    );
    assert!(
        gap < Duration::from_secs(5),
        "a client waited {gap:?} for an answer"
    );
    assert!(
        peak_rss < rss0 + 256 * 1024,
        "RSS grew from {rss0} KiB to {peak_rss} KiB"
    );

    // Stop cleanly; every accepted order is journaled.
    let st = srv.terminate().expect("stops");
    assert!(st.success(), "clean stop: {st}");
    let journaled = faults::journaled_clids(&data);
    let lost: Vec<_> = seen
        .iter()
        .flat_map(|s| s.accepted.iter())
        .filter(|c| !journaled.contains(*c))
        .take(5)
        .collect();
    assert!(lost.is_empty(), "accepted but not journaled: {lost:?}");
}
