//! `kill -9` of the primary under load from several clients (a real 3-node
//! JetStream cluster that the test script starts and names in
//! `RINGEX_TEST_NATS_URLS`; without it this test says so and skips).
//!
//! Two `ringex` nodes; [`CLIENTS`] threads each place resting orders with
//! unique `client_order_id`s through the failover client
//! (`wire::failover`, both binary addresses), and each sends an order whose
//! answer it lost again with the same `client_order_id` until it gets one
//! (its `new` report, or `duplicate_client_order_id` when the first copy
//! got in). The primary is killed mid-load. Then: the new primary accepted
//! an order within `lease_ms` + 1 s of the kill; every order a client got
//! a report for is open there as reported; every `client_order_id` sent is
//! on exactly one order; the old primary restarted rejoins as a standby at
//! the same seq and state hash, and `ringex-replay compare` (its library)
//! finds the two journals identical.
//!
//! Over seeds (2 by default, `RINGEX_FAILOVER_SEEDS=N` for seeds 1..=N):
//! the seed draws the orders (side, price, quantity, post-only), how many
//! each client places and after how many acknowledged orders the kill
//! comes. Each seed prints one `failover seed=...` line with its figures.

mod e2e;

use e2e::replication::{healthz, nats_urls as nats};
use e2e::Server;
use engine::{ExecType, Fixed, Name, OrderStatus, Reason, Side};
use replay::rng::SplitMix64;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use wire::binary::{Execution, ReplyBody};
use wire::client::{limit_order, Client};
use wire::failover::{Failover, Policy};
use wire::{ErrorCode, PlaceOrder};

const LEASE_MS: u64 = 1_000;

/// Client threads, one trader each (users 1..=CLIENTS).
const CLIENTS: u64 = 4;

/// How long a wait on a real process may take (a loaded 2-core machine;
/// every wait ends as soon as its condition holds).
const WAIT: Duration = Duration::from_secs(20);

fn section(urls: &str, node: &str, stream: &str) -> String {
    e2e::replication::section(urls, node, stream, LEASE_MS, "")
}

fn wait_role(srv: &Server, role: &str) -> Duration {
    e2e::replication::wait_role(srv, role, WAIT)
}

fn seq(srv: &Server) -> u64 {
    healthz(srv)["seq"].as_u64().expect("seq")
}

fn snapshot(srv: &Server) -> (Value, Value) {
    let r = srv.admin().request(json!({"op": "snapshot"}));
    (r["seq"].clone(), r["state_hash"].clone())
}

/// Every open order of `user` on `srv`, in order_id order.
fn open_orders(srv: &Server, user: u64) -> Vec<Execution> {
    let mut c = Client::connect(srv.tcp).expect("connect to the binary port");
    c.login(&format!("k-{user}"), false).expect("login");
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = c.open_orders_page(None, after, None).expect("open orders");
        all.extend(page);
        match next {
            Some(n) => after = Some(n),
            None => return all,
        }
    }
}

/// The orders of one seed's run.
struct Plan {
    orders_per_client: u64,
    /// The kill comes once this many orders were acknowledged.
    kill_after: u64,
}

/// What one client thread saw.
#[derive(Default)]
struct Seen {
    /// Every client_order_id it sent.
    sent: BTreeSet<String>,
    /// The `new` report of each order it got one for.
    acked: BTreeMap<String, Execution>,
    /// Orders answered `duplicate_client_order_id`: an earlier copy got in
    /// but its report was lost.
    taken: u64,
    /// Answers `overloaded` / `unavailable`, sent again.
    transient: u64,
    not_primary: u64,
    resends: u64,
    connects: u64,
}

/// What all the clients share.
struct Shared {
    acked: AtomicU64,
    killed_at: OnceLock<Instant>,
    /// The first `new` report from the new primary after the kill.
    first_accept: Mutex<Option<Instant>>,
}

fn order(rng: &mut SplitMix64, clid: &str) -> PlaceOrder {
    let symbol = Name::new("BTC-USD").unwrap();
    // Buys below 100, sells above 101: nothing ever crosses, every order
    // rests, and its state is its `new` report.
    let (side, ticks) = if rng.below(2) == 0 {
        (Side::Buy, 9_000 + rng.below(1_000))
    } else {
        (Side::Sell, 10_100 + rng.below(900))
    };
    let lots = 1 + rng.below(300);
    let mut o = limit_order(
        symbol,
        side,
        Fixed::new(ticks as i64, 2),
        Fixed::new(lots as i64, 4),
    );
    o.post_only = rng.below(4) == 0;
    o.client_order_id = Some(engine::ClOrdId::new(clid).expect("a valid client_order_id"));
    o
}

fn client_thread(
    seed: u64,
    user: u64,
    plan: &Plan,
    addrs: [String; 2],
    new_primary: String,
    shared: &Shared,
) -> Seen {
    let policy = Policy {
        attempts: 80,
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        connect_timeout: Duration::from_secs(5),
        reply_wait: Duration::from_secs(10),
    };
    let mut f = Failover::connect(&addrs, &format!("k-{user}"), false, policy)
        .unwrap_or_else(|e| panic!("client {user}: {e}"));
    let mut rng = SplitMix64::new(seed * 1_000 + user);
    let mut seen = Seen::default();
    for i in 0..plan.orders_per_client {
        let clid = format!("s{seed}-u{user}-{i}");
        let o = order(&mut rng, &clid);
        seen.sent.insert(clid.clone());
        let mut tries = 0;
        loop {
            tries += 1;
            assert!(tries <= 50, "client {user}: {clid} never answered");
            let r = f
                .place(o)
                .unwrap_or_else(|e| panic!("client {user}: {clid}: {e}"));
            match r.body {
                ReplyBody::Execution(e) if e.exec_type == ExecType::New => {
                    assert_eq!(e.client_order_id.as_deref(), Some(clid.as_str()));
                    if shared.killed_at.get().is_some() && f.address() == Some(new_primary.as_str())
                    {
                        let mut first = shared.first_accept.lock().unwrap();
                        first.get_or_insert_with(Instant::now);
                    }
                    seen.acked.insert(clid.clone(), *e);
                    shared.acked.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                ReplyBody::Execution(e)
                    if e.exec_type == ExecType::Rejected
                        && e.reason == Some(Reason::DuplicateClientOrderId) =>
                {
                    seen.taken += 1;
                    break;
                }
                ReplyBody::Error {
                    code: ErrorCode::Overloaded | ErrorCode::Unavailable,
                    ..
                } => {
                    seen.transient += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => panic!("client {user}: {clid} answered {other:?}"),
            }
        }
    }
    let s = f.stats();
    seen.not_primary = s.not_primary;
    seen.resends = s.resends;
    seen.connects = s.connects;
    seen
}

fn seeds() -> Vec<u64> {
    if let Some(s) = std::env::var("RINGEX_FAILOVER_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return vec![s];
    }
    let n = std::env::var("RINGEX_FAILOVER_SEEDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(2)
        .max(1);
    (1..=n).collect()
}

#[test]
fn kill_9_under_load_from_several_clients_loses_and_duplicates_nothing() {
    let test = "kill_9_under_load_from_several_clients_loses_and_duplicates_nothing";
    let Some(urls) = nats(test) else { return };
    for seed in seeds() {
        run_seed(&urls, seed);
    }
}

fn run_seed(urls: &str, seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let orders_per_client = 60 + rng.below(61);
    let plan = Plan {
        orders_per_client,
        kill_after: CLIENTS * (5 + rng.below(orders_per_client / 2)),
    };
    let stream = format!("FAILOVER_LOAD_{}_{seed}", std::process::id());
    let (ra, rb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = Server::start(ra.path(), &section(urls, "a", &stream));
    wait_role(&a, "primary");
    let mut b = Server::start(rb.path(), &section(urls, "b", &stream));
    wait_role(&b, "standby");
    let users: Vec<u64> = (1..=CLIENTS).collect();
    e2e::setup_market(&mut a.admin(), &users);

    // The standby has the users; a binary session there is told the
    // primary's binary address.
    let set_up = seq(&a);
    let t0 = Instant::now();
    while seq(&b) < set_up {
        assert!(t0.elapsed() < WAIT, "{}", b.log_tail());
        std::thread::sleep(Duration::from_millis(10));
    }
    {
        let mut c = Client::connect(b.tcp).unwrap();
        c.login("k-1", false).unwrap();
        c.place(order(&mut SplitMix64::new(0), "probe")).unwrap();
        let r = c.recv_timeout(WAIT).unwrap().expect("an answer");
        match r.body {
            ReplyBody::Error {
                code: ErrorCode::NotPrimary,
                primary,
                ..
            } => assert_eq!(primary, Some(a.tcp.to_string())),
            other => panic!("the standby answered {other:?}"),
        }
    }

    let shared = Arc::new(Shared {
        acked: AtomicU64::new(0),
        killed_at: OnceLock::new(),
        first_accept: Mutex::new(None),
    });
    let plan = Arc::new(plan);
    let addrs = [a.tcp.to_string(), b.tcp.to_string()];
    let threads: Vec<_> = users
        .iter()
        .map(|&u| {
            let (shared, plan, addrs) = (shared.clone(), plan.clone(), addrs.clone());
            let new_primary = b.tcp.to_string();
            std::thread::spawn(move || client_thread(seed, u, &plan, addrs, new_primary, &shared))
        })
        .collect();

    // Kill the primary once enough orders were acknowledged.
    let t0 = Instant::now();
    while shared.acked.load(Ordering::Relaxed) < plan.kill_after {
        assert!(t0.elapsed() < WAIT * 3, "the load does not get going");
        assert!(
            !threads.iter().all(|t| t.is_finished()),
            "the clients stopped before the kill"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let acked_before_kill = shared.acked.load(Ordering::Relaxed);
    a.kill9();
    let killed_at = Instant::now();
    shared.killed_at.set(killed_at).unwrap();
    let led = wait_role(&b, "primary");

    let seen: Vec<Seen> = threads
        .into_iter()
        .map(|t| t.join().expect("a client thread panicked"))
        .collect();
    let first_accept = shared
        .first_accept
        .lock()
        .unwrap()
        .expect("the new primary accepted orders");
    let failover = first_accept.duration_since(killed_at);

    // Every order sent is on the new primary exactly once, each
    // acknowledged one as its report said.
    let mut duplicates = 0u64;
    for (u, s) in users.iter().zip(&seen) {
        let mut open: BTreeMap<String, Execution> = BTreeMap::new();
        for e in open_orders(&b, *u) {
            let clid = e.client_order_id.clone().expect("every order has an id");
            if open.insert(clid, e).is_some() {
                duplicates += 1;
            }
        }
        assert_eq!(duplicates, 0, "user {u}: a client_order_id on two orders");
        let ids: BTreeSet<String> = open.keys().cloned().collect();
        assert_eq!(ids, s.sent, "user {u}: the orders on the new primary");
        for (clid, e) in &s.acked {
            let o = &open[clid];
            assert_eq!(
                (
                    o.order_id,
                    o.side,
                    o.price,
                    o.qty,
                    o.status,
                    o.remaining_qty
                ),
                (e.order_id, e.side, e.price, e.qty, OrderStatus::New, e.qty),
                "user {u}: {clid} as reported"
            );
        }
    }

    // The old primary, restarted, follows to the same seq and state hash.
    let a2 = Server::start(ra.path(), &section(urls, "a", &stream));
    wait_role(&a2, "standby");
    let target = seq(&b);
    let t0 = Instant::now();
    while seq(&a2) < target {
        assert!(t0.elapsed() < WAIT, "{}", a2.log_tail());
        std::thread::sleep(Duration::from_millis(10));
    }
    let caught_up = t0.elapsed();
    assert_eq!(seq(&a2), target, "nothing more than the primary has");
    for u in &users {
        // (The reply's seq and time are the query's, not the orders'.)
        let state = |srv: &Server| -> Vec<_> {
            open_orders(srv, *u)
                .into_iter()
                .map(|e| {
                    let Execution {
                        order_id,
                        side,
                        status,
                        price,
                        qty,
                        remaining_qty,
                        client_order_id,
                        ..
                    } = e;
                    (
                        order_id,
                        side,
                        status,
                        price,
                        qty,
                        remaining_qty,
                        client_order_id,
                    )
                })
                .collect()
        };
        let (x, y) = (state(&a2), state(&b));
        if x != y {
            let only = |p: &Vec<_>, q: &Vec<_>| -> Vec<String> {
                p.iter()
                    .filter(|&o| !q.contains(o))
                    .map(|o| format!("{o:?}"))
                    .collect()
            };
            panic!(
                "user {u}: the open orders differ; only on the rejoined node: {:?}; only on the primary: {:?}\nrejoined: {}\nprimary: {}",
                only(&x, &y),
                only(&y, &x),
                healthz(&a2),
                healthz(&b)
            );
        }
    }
    assert_eq!(snapshot(&a2), snapshot(&b), "the same state hash");

    // Both stopped, their journals are identical.
    let (dir_a, dir_b) = (a2.data_dir.clone(), b.data_dir.clone());
    let mut a2 = a2;
    assert!(a2.terminate(WAIT).is_some_and(|s| s.success()));
    assert!(b.terminate(WAIT).is_some_and(|s| s.success()));
    let cli = <replay::cli::Cli as clap::Parser>::try_parse_from([
        "ringex-replay".as_ref(),
        "--quiet".as_ref(),
        "compare".as_ref(),
        dir_a.as_os_str(),
        dir_b.as_os_str(),
    ])
    .expect("compare arguments");
    let mut out = Vec::new();
    if let Err(f) = replay::cli::dispatch(cli, &mut out) {
        panic!(
            "ringex-replay compare exits {}: {f}\n{}",
            f.exit_code(),
            String::from_utf8_lossy(&out)
        );
    }
    let line: Value = serde_json::from_slice(out.trim_ascii()).expect("compare prints JSON");
    assert_eq!(line["identical"], true, "{line}");
    assert_eq!(line["records"], target, "{line}");

    let sum = |f: fn(&Seen) -> u64| seen.iter().map(f).sum::<u64>();
    let sent = sum(|s| s.sent.len() as u64);
    eprintln!(
        "failover seed={seed}: clients={CLIENTS} orders={sent} acked_before_kill={acked_before_kill} \
         failover_ms={} standby_led_ms={} retries={} (resends={} not_primary={} transient={}) \
         refused_as_duplicate={} duplicates={duplicates} rejoin_catch_up_ms={} records={target} \
         (lease {LEASE_MS} ms)",
        failover.as_millis(),
        led.as_millis(),
        sum(|s| s.resends + s.not_primary + s.transient),
        sum(|s| s.resends),
        sum(|s| s.not_primary),
        sum(|s| s.transient),
        sum(|s| s.taken),
        caught_up.as_millis(),
    );
    assert!(
        failover <= Duration::from_millis(LEASE_MS + 1_000),
        "seed {seed}: the new primary accepted its first order {failover:?} after the kill"
    );
}
