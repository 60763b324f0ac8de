//! Disk faults under a running server. The journal and the snapshots live on
//! size-limited or read-only tmpfs mounts the tests make (root only; each
//! test skips with a notice otherwise).
//!
//! - A full journal disk, as the server behaves today: it stops at the
//!   first append that cannot get a segment, with a log line that says so,
//!   exiting with a status (not dying of a signal), and a restart once space
//!   is back recovers every acknowledged order.
//! - A full journal disk, as the API wants it (`#[ignore]`d until the
//!   pipeline does it): intake stops with `unavailable`, sessions and market
//!   data stay up, and orders are taken again once space is back.
//! - A read-only or full snapshot directory: a snapshot fails loudly (error
//!   answer and log line) and trading goes on.

mod e2e;
mod faults;

use engine::{ClOrdId, Fixed, Name, Side};
use serde_json::json;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wire::binary::{self, ReplyBody};
use wire::client::limit_order;
use wire::{Op, Request, TraderOp};

const SEG_MB: u64 = 1;

/// The tests of this file run one at a time: each fills or remounts a file
/// system under a loaded server, and they should not compete for the CPU.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn config() -> String {
    format!(
        "[journal]\nsegment_mb = {SEG_MB}\n\
         [pipeline]\ninbound_size = 4096\noutbound_size = 16384\n\
         [limits]\nrate_per_s = 100000000\nburst = 100000000\nsend_queue_bytes = 67108864\n"
    )
}

/// Waits until the journal's prepared spare segment has all its blocks, so
/// that filling the disk afterwards leaves exactly one segment of room.
fn wait_for_spare(data: &Path) {
    let spare = data.join("journal").join("journal-spare.seg.tmp");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if std::fs::metadata(&spare).is_ok_and(|m| m.blocks() * 512 >= SEG_MB << 20) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no spare segment prepared");
}

/// What an order-sending client saw.
#[derive(Default)]
struct Seen {
    acked: HashSet<String>,
    /// Error codes received, by name.
    errors: Vec<String>,
    closed: bool,
}

/// Sends orders (pipelined, up to `max`) with client order ids `p<n>` until
/// the connection closes, `stop` is set, or `until_error` is seen; collects
/// which got a report.
fn trade(
    tcp: SocketAddr,
    user: u64,
    prefix: &str,
    max: u64,
    until_error: Option<&str>,
    stop: &AtomicBool,
) -> Seen {
    let mut s = TcpStream::connect(tcp).expect("connect");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = Vec::new();
    binary::encode_login(&format!("k-{user}"), false, Some(0), &mut buf).unwrap();
    s.write_all(&buf).unwrap();
    let mut seen = Seen::default();
    let (mut rbuf, mut have) = (vec![0u8; 1 << 20], 0usize);
    let (mut sent, mut answered) = (0u64, 0u64);
    let mut quiet_since = Instant::now();
    loop {
        // Keep about 64 requests in flight.
        while sent < max && sent < answered + 64 && !stop.load(Ordering::Relaxed) {
            sent += 1;
            let side = if sent % 2 == 0 { Side::Buy } else { Side::Sell };
            let mut o = limit_order(
                Name::new("BTC-USD").unwrap(),
                side,
                Fixed::new(10_000 + if sent % 2 == 0 { -1 } else { 1 }, 2),
                Fixed::new(1, 4),
            );
            o.client_order_id = ClOrdId::new(&format!("{prefix}{sent}"));
            buf.clear();
            binary::encode_request(
                &Request {
                    req_id: Some(sent),
                    op: Op::Trader(TraderOp::Place(o)),
                },
                &mut buf,
            )
            .unwrap();
            if s.write_all(&buf).is_err() {
                seen.closed = true;
                return seen;
            }
        }
        match s.read(&mut rbuf[have..]) {
            Ok(0) => {
                seen.closed = true;
                return seen;
            }
            Ok(n) => {
                have += n;
                quiet_since = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Relaxed) || quiet_since.elapsed() > Duration::from_secs(15) {
                    return seen;
                }
            }
            Err(_) => {
                seen.closed = true;
                return seen;
            }
        }
        let mut start = 0;
        while let Ok(Some((r, used))) = binary::decode_reply(&rbuf[start..have]) {
            start += used;
            if matches!(r.req_id, None | Some(0)) {
                continue;
            }
            match r.body {
                ReplyBody::Execution(x) => {
                    if let Some(c) = x.client_order_id {
                        if seen.acked.insert(c) {
                            answered += 1;
                        }
                    }
                }
                ReplyBody::Error { code, .. } => {
                    answered += 1;
                    let c = code.as_str().to_string();
                    let hit = until_error == Some(c.as_str());
                    seen.errors.push(c);
                    if hit {
                        return seen;
                    }
                }
                _ => {}
            }
        }
        rbuf.copy_within(start..have, 0);
        have -= start;
        if sent >= max && answered >= sent {
            return seen;
        }
    }
}

/// A server on a full 8 MiB tmpfs data dir, market set up, disk filled so
/// that the open segment and the prepared spare are all the room there is.
fn full_disk_server(root: &Path) -> Option<(faults::Tmpfs, faults::Proc, std::path::PathBuf)> {
    let data = root.join("data");
    let fs = faults::Tmpfs::mount(&data, "size=8m", "full journal disk")?;
    let srv = faults::start_with(root, &data, &config());
    let mut admin = e2e::Ws::connect(srv.http, "/ws");
    assert_eq!(admin.login(e2e::ADMIN_KEY, false)["ok"], true);
    e2e::setup_market(&mut admin, &[1, 2]);
    wait_for_spare(&data);
    let filler = faults::fill(&data);
    Some((fs, srv, filler))
}

/// A full journal disk: the journaler cannot append, so intake stops with a
/// clear log line; the server stays up (logins, market data, `/healthz`)
/// and answers new inputs `unavailable`. Inputs of the batch that could not
/// be written get no answer (they were never acknowledged). Once space is
/// back, a restart recovers every acknowledged order.
#[test]
fn full_journal_disk_stops_intake_answers_unavailable_and_a_restart_recovers_every_acknowledged_order(
) {
    let _serial = serial();
    let root = tempfile::tempdir().unwrap();
    let Some((_fs, mut srv, filler)) = full_disk_server(root.path()) else {
        return;
    };
    let data = root.path().join("data");
    let stop = AtomicBool::new(false);
    // Two segments of ~100-byte records: the disk is full well before this.
    let seen = trade(srv.tcp, 1, "a", 200_000, Some("unavailable"), &stop);
    assert!(!seen.acked.is_empty());
    assert!(
        srv.child.try_wait().unwrap().is_none(),
        "the server stays up: {}",
        srv.log_text()
    );
    let log = srv.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("ERROR") && l.contains("journal") && l.contains("No space left")),
        "no clear log line:\n{log}"
    );
    // A new client is told at once.
    let later = trade(srv.tcp, 2, "u", 1, Some("unavailable"), &stop);
    assert_eq!(later.errors, ["unavailable"], "closed: {}", later.closed);
    assert!(later.acked.is_empty());
    // Sessions, market data and health stay up, and health says why.
    let mut md = e2e::Ws::connect(srv.http, "/ws");
    let r = md.request(json!({"op":"subscribe","channels":["book:BTC-USD"]}));
    assert_eq!(r["type"], "subscribed", "{r}");
    assert_eq!(srv_get(srv.http, "/api/v1/orderbook/BTC-USD").0, 200);
    let (status, body) = srv_get(srv.http, "/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    println!(
        "full disk: {} orders acknowledged, then unavailable",
        seen.acked.len()
    );

    // Space back: the restart recovers every acknowledged order.
    srv.terminate().expect("stops");
    std::fs::remove_file(filler).unwrap();
    drop(srv);
    let mut again = faults::start_with(root.path(), &data, &config());
    let st = again.terminate().expect("stops");
    assert!(st.success(), "{st}");
    let journaled = faults::journaled_clids(&data);
    let lost: Vec<_> = seen
        .acked
        .iter()
        .filter(|c| !journaled.contains(*c))
        .take(5)
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

#[test]
#[ignore = "intake does not resume by itself when space is back yet: a restart recovers (the test above)"]
fn full_journal_disk_answers_unavailable_keeps_sessions_up_and_resumes_when_space_is_back() {
    let _serial = serial();
    let root = tempfile::tempdir().unwrap();
    let Some((_fs, mut srv, filler)) = full_disk_server(root.path()) else {
        return;
    };
    let data = root.path().join("data");
    let mut md = e2e::Ws::connect(srv.http, "/ws");
    let stop = AtomicBool::new(false);
    let seen = trade(srv.tcp, 1, "a", 200_000, Some("unavailable"), &stop);
    assert!(
        seen.errors.iter().any(|e| e == "unavailable"),
        "orders on a full disk are answered unavailable: {:?} (closed: {})",
        &seen.errors[..seen.errors.len().min(5)],
        seen.closed
    );
    assert!(
        srv.child.try_wait().unwrap().is_none(),
        "the server stays up"
    );
    let log = srv.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("ERROR") && l.contains("journal") && l.contains("No space left")),
        "a clear log line:\n{log}"
    );
    // Sessions and market data stay up.
    let r = md.request(json!({"op":"subscribe","channels":["book:BTC-USD"]}));
    assert_eq!(r["type"], "subscribed", "{r}");
    assert_eq!(srv_get(srv.http, "/api/v1/orderbook/BTC-USD").0, 200);
    // Space back: orders are taken again.
    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let resumed = loop {
        let s = trade(
            srv.tcp,
            2,
            &format!("b{}x", deadline.elapsed().as_millis()),
            1,
            None,
            &stop,
        );
        if !s.acked.is_empty() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no order taken once space was back: {:?}",
            s.errors
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(resumed.acked.len(), 1);
    let st = srv.terminate().expect("stops");
    assert!(st.success(), "{st}");
    let journaled = faults::journaled_clids(&data);
    for c in seen.acked.iter().chain(&resumed.acked) {
        assert!(journaled.contains(c), "acknowledged {c} lost");
    }
}

fn srv_get(http: SocketAddr, path: &str) -> (u16, String) {
    let r = e2e::http(http, "GET", path, None, None);
    (r.status, r.body)
}

/// Snapshots into a directory that fails (`make_fail` turns it read-only or
/// full): the admin `snapshot` op answers an error naming the failure, the
/// log says `snapshot failed`, and orders are still taken and journaled.
fn snapshots_fail_loudly_and_trading_goes_on(
    what: &str,
    opts: &str,
    make_fail: fn(&faults::Tmpfs),
) {
    let _serial = serial();
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let Some(fs) = faults::Tmpfs::mount(&data.join("snapshots"), opts, what) else {
        return;
    };
    let mut srv = faults::start_with(root.path(), &data, &config());
    let mut admin = e2e::Ws::connect(srv.http, "/ws");
    assert_eq!(admin.login(e2e::ADMIN_KEY, false)["ok"], true);
    e2e::setup_market(&mut admin, &[1, 2]);
    let ok = admin.request(json!({"op":"snapshot"}));
    assert_eq!(
        (&ok["op"], &ok["ok"]),
        (&json!("snapshot"), &json!(true)),
        "a snapshot works before the fault: {ok}"
    );
    make_fail(&fs);

    let r = admin.request(json!({"op":"snapshot"}));
    assert_eq!(r["type"], "error", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("snapshot failed"),
        "{r}"
    );
    let stop = AtomicBool::new(false);
    let seen = trade(srv.tcp, 1, "s", 500, None, &stop);
    assert_eq!(seen.acked.len(), 500, "trading goes on: {:?}", seen.errors);
    let log = srv.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("ERROR") && l.contains("snapshot failed")),
        "{log}"
    );
    // The shutdown snapshot fails too; the stop is still clean and the
    // journal holds every order.
    let st = srv.terminate().expect("stops");
    assert!(st.success(), "{st}");
    let journaled = faults::journaled_clids(&data);
    assert!(seen.acked.iter().all(|c| journaled.contains(c)));
}

#[test]
fn read_only_snapshot_directory_fails_snapshots_loudly_and_trading_goes_on() {
    snapshots_fail_loudly_and_trading_goes_on("read-only snapshot dir", "size=4m", |fs| {
        fs.remount("ro")
    });
}

#[test]
fn full_snapshot_directory_fails_snapshots_loudly_and_trading_goes_on() {
    snapshots_fail_loudly_and_trading_goes_on("full snapshot dir", "size=256k", |fs| {
        faults::fill(&fs.0);
    });
}
