//! The history store of a running `ringex` under crashes and outages, on
//! both backends (SQLite always, PostgreSQL when `RINGEX_TEST_PG_URL` names
//! a server: each test gets its own database).
//!
//! What holds:
//! - `kill -9` at random moments while several clients trade: after each
//!   restart the writer catches up (`/healthz` shows `progress_seq` = the
//!   applied seq and `lag_seq` 0), and the store then equals what the
//!   journal gives (`history::derive`) row for row: no gap, no duplicate,
//!   no extra row; `ringex-replay reconcile` passes (exit 0) on it.
//! - PostgreSQL stopped mid-run (a server this test starts for itself):
//!   orders are still answered, `lag_seq` grows; once PostgreSQL is back
//!   the store catches up exactly.
//!
//! Seeds: `RINGEX_HISTORY_SEEDS=N` runs N seeds per backend (default 3).
//! Never a timed assertion: every wait is bounded and fails with what it saw.

mod e2e;

use e2e::{limit, Server, Ws};
use replay::rng::SplitMix64;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a store may take to catch up after a restart or an outage
/// (a loaded 2-core machine; the wait ends as soon as it is caught up).
const CATCH_UP_WAIT: Duration = Duration::from_secs(60);

/// Traders of the random streams.
const USERS: [u64; 4] = [1, 2, 3, 4];

/// Where a test's store lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The store URL and the `[history]` table for a server on `root/data`;
    /// `None` when the backend is not available here (after a notice).
    fn store(self, root: &Path, tag: &str) -> Option<(String, String)> {
        match self {
            Backend::Sqlite => {
                let url = root.join("data").join("history.sqlite");
                Some((
                    url.display().to_string(),
                    "[history]\nbackend = \"sqlite\"\n".to_string(),
                ))
            }
            Backend::Postgres => {
                let url = history::testing::pg_fresh(tag)?;
                let cfg = format!("[history]\nbackend = \"postgres\"\nurl = \"{url}\"\n");
                Some((url, cfg))
            }
        }
    }
}

fn seeds() -> Vec<u64> {
    let n = std::env::var("RINGEX_HISTORY_SEEDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(3)
        .max(1);
    (1..=n).collect()
}

fn healthz(srv: &Server) -> Value {
    srv.get("/healthz", None).json()
}

/// Waits until the store holds every applied input: `progress_seq` equals
/// the applied `seq` and `lag_seq` is 0. Returns that seq.
fn wait_caught_up(srv: &Server) -> u64 {
    let t0 = Instant::now();
    loop {
        let h = healthz(srv);
        let seq = h["seq"].as_u64().expect("seq");
        let hist = &h["history"];
        if hist["progress_seq"] == seq && hist["lag_seq"] == 0 {
            return seq;
        }
        assert!(
            t0.elapsed() < CATCH_UP_WAIT,
            "the history store did not catch up within {CATCH_UP_WAIT:?}: {h}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The store equals the journal's derivation row for row, and
/// `ringex-replay reconcile DIR --db URL` passes (exit status 0).
/// `busy`: the stream made trades and transfers (not checked after a
/// kill that came before the first trade).
fn assert_store_equals_journal(data_dir: &Path, url: &str, seq: u64, busy: bool, what: &str) {
    let (want, engine) = history::derive(data_dir, None).expect("derive from the journal");
    assert_eq!(
        engine.last_seq(),
        seq,
        "{what}: the journal ends at the seq"
    );
    let mut store = history::open(url).expect("open the store");
    assert_eq!(store.progress().expect("progress"), seq, "{what}: progress");
    let have = store.rows().expect("rows");
    if let Some(d) = have.first_difference(&want) {
        panic!("{what}: the store differs from the journal: {d}");
    }
    assert!(
        !busy || (!want.trades.is_empty() && !want.orders.is_empty() && !want.transfers.is_empty()),
        "{what}: the stream made trades, orders and transfers"
    );
    drop(store);
    let cli = <replay::cli::Cli as clap::Parser>::try_parse_from([
        "ringex-replay".as_ref(),
        "--quiet".as_ref(),
        "reconcile".as_ref(),
        data_dir.as_os_str(),
        "--db".as_ref(),
        url.as_ref(),
    ])
    .expect("reconcile arguments");
    let mut out = Vec::new();
    match replay::cli::dispatch(cli, &mut out) {
        Ok(()) => {}
        Err(f) => panic!(
            "{what}: ringex-replay reconcile exits {}: {f}",
            f.exit_code()
        ),
    }
    let line: Value = serde_json::from_slice(out.trim_ascii()).expect("reconcile prints JSON");
    assert_eq!(line["ok"], true, "{line}");
    assert_eq!(line["progress"], seq, "{line}");
}

/// Sends `v` with a fresh `req_id`; its first reply, or `None` once the
/// connection is gone (the server was killed).
fn ask(ws: &mut Ws, mut v: Value) -> Option<Value> {
    let id = ws.fresh_req_id();
    v["req_id"] = json!(id);
    ws.send_text(&v.to_string()).ok()?;
    ws.until_req_id(id).ok().map(|(_, r)| r)
}

/// A WebSocket logged in with `key`.
fn logged_in(srv: &Server, key: &str) -> Ws {
    let mut ws = srv.ws();
    let r = ws.login(key, false);
    assert_eq!(r["type"], "login", "login with {key}: {r}");
    ws
}

/// One trader's random stream until `stop` or the connection ends: limit
/// orders around 100 (some crossing), IOC and market orders, cancels of its
/// own resting orders. Returns how many requests were answered.
fn trade(mut ws: Ws, seed: u64, stop: Arc<AtomicBool>) -> u64 {
    let mut rng = SplitMix64::new(seed);
    let mut open: Vec<u64> = Vec::new();
    let mut answered = 0;
    while !stop.load(Ordering::Relaxed) {
        let side = if rng.chance(0.5) { "buy" } else { "sell" };
        let qty = format!("0.{:04}", rng.range_i64(1, 3000));
        let req = match rng.below(10) {
            0..=1 if !open.is_empty() => {
                let i = rng.below(open.len() as u64) as usize;
                let id = open.swap_remove(i);
                json!({"op": "cancel", "symbol": "BTC-USD", "order_id": id})
            }
            2 => json!({"op": "place", "symbol": "BTC-USD", "side": side, "type": "market",
                         "qty": qty}),
            3 => {
                let mut v = limit(side, &format!("{}", rng.range_i64(97, 103)), &qty);
                v["tif"] = json!("ioc");
                v
            }
            _ => limit(side, &format!("{}", rng.range_i64(95, 105)), &qty),
        };
        let Some(r) = ask(&mut ws, req) else { break };
        answered += 1;
        if r["exec_type"] == "new" {
            if let Some(id) = r["order_id"].as_u64() {
                open.push(id);
            }
        }
    }
    answered
}

/// The admin's share: deposits and withdrawals (some refused) at random.
fn transfers(mut ws: Ws, tag: &str, seed: u64, stop: Arc<AtomicBool>) {
    let mut rng = SplitMix64::new(seed ^ 0xad);
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let user = USERS[rng.below(USERS.len() as u64) as usize];
        let (asset, amount) = if rng.chance(0.5) {
            ("USD", format!("{}", rng.range_i64(1, 500)))
        } else {
            ("BTC", format!("0.{:03}", rng.range_i64(1, 999)))
        };
        let op = if rng.chance(0.7) {
            "deposit"
        } else {
            "withdraw"
        };
        let v = json!({"op": op, "user": user, "asset": asset, "amount": amount,
                       "tx_id": format!("{tag}-{i}")});
        if ask(&mut ws, v).is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(rng.below(5)));
    }
}

/// Several clients trade on `srv` until it is killed `after` from now.
fn trade_then_kill(srv: &mut Server, seed: u64, round: u64, after: Duration) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for &u in &USERS {
        let (ws, stop) = (logged_in(srv, &format!("k-{u}")), stop.clone());
        let s = seed * 1000 + round * 10 + u;
        threads.push(std::thread::spawn(move || trade(ws, s, stop)));
    }
    let admin = {
        let (ws, stop) = (logged_in(srv, e2e::ADMIN_KEY), stop.clone());
        let tag = format!("s{seed}r{round}");
        std::thread::spawn(move || transfers(ws, &tag, seed * 1000 + round, stop))
    };
    std::thread::sleep(after);
    srv.kill9();
    stop.store(true, Ordering::Relaxed);
    let answered = threads
        .into_iter()
        .map(|t| t.join().expect("trader thread"))
        .sum();
    admin.join().expect("admin thread");
    answered
}

/// Seeded rounds of trading cut by `kill -9` at a random moment, each
/// followed by a restart and a full catch-up check.
fn kill_9_rounds(backend: Backend, seed: u64) {
    let dir = tempfile::Builder::new()
        .prefix("ringex-history-")
        .tempdir()
        .expect("temp dir");
    let tag = format!("kill9s{seed}");
    let Some((url, cfg)) = backend.store(dir.path(), &tag) else {
        return;
    };
    let mut rng = SplitMix64::new(seed);
    let mut srv = Server::start(dir.path(), &cfg);
    e2e::setup_market(&mut srv.admin(), &USERS);
    let mut answered = 0;
    for round in 1..=3 {
        // Most kills land mid-stream; some right after the start.
        let after = Duration::from_millis(match rng.below(4) {
            0 => rng.below(40),
            _ => 100 + rng.below(500),
        });
        answered += trade_then_kill(&mut srv, seed, round, after);
        srv = Server::start(dir.path(), &cfg);
        let seq = wait_caught_up(&srv);
        srv.kill9();
        assert_store_equals_journal(
            &srv.data_dir,
            &url,
            seq,
            false,
            &format!("{backend:?} seed {seed} round {round}"),
        );
        srv = Server::start(dir.path(), &cfg);
    }
    assert!(answered > 0, "the clients traded");
    // A clean stop after the crashes leaves the store whole too.
    let seq = wait_caught_up(&srv);
    let st = srv.terminate(Duration::from_secs(20));
    assert!(st.is_some_and(|s| s.success()), "SIGTERM: {st:?}");
    assert_store_equals_journal(
        &srv.data_dir,
        &url,
        seq,
        true,
        &format!("{backend:?} seed {seed} at the end"),
    );
}

// ---------------------------------------------------------------------------
// A PostgreSQL of the test's own, to stop and start
// ---------------------------------------------------------------------------

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const PG_OS_USER: &str = "ringex-pg";

/// A throwaway PostgreSQL 15 on a free loopback port (as `ringex-pg` when
/// root, as scripts/pg.sh does); stopped and removed when dropped.
struct OwnPg {
    dir: tempfile::TempDir,
    port: u16,
    running: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl OwnPg {
    fn cmd(bin: &str) -> Command {
        let path = PathBuf::from(PG_BIN).join(bin);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", PG_OS_USER, "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(mut c: Command, what: &str) {
        let out = c
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `None` (after a notice) when this machine cannot run one.
    fn start(tag: &str) -> Option<OwnPg> {
        if std::env::var_os("RINGEX_TEST_PG_URL").is_none() {
            history::testing::notice(&format!(
                "skipping `{tag}`: RINGEX_TEST_PG_URL is not set (the test script sets it \
                 when PostgreSQL is installed; this test starts a server of its own)"
            ));
            return None;
        }
        if !Path::new(PG_BIN).join("initdb").exists() {
            history::testing::notice(&format!(
                "skipping `{tag}`: no PostgreSQL binaries in {PG_BIN}"
            ));
            return None;
        }
        if is_root()
            && !Command::new("id")
                .arg(PG_OS_USER)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        {
            history::testing::notice(&format!(
                "skipping `{tag}`: running as root and no user {PG_OS_USER} to run PostgreSQL"
            ));
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("ringex-ownpg-")
            .tempdir()
            .expect("temp dir");
        if is_root() {
            let st = Command::new("chown")
                .arg(PG_OS_USER)
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(st.success(), "chown the PostgreSQL dir");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut c = Self::cmd("initdb");
        c.arg("-D").arg(dir.path().join("data")).args([
            "-U",
            "ringex",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ]);
        Self::run(c, "initdb");
        let mut pg = OwnPg {
            dir,
            port,
            running: false,
        };
        pg.start_server();
        let mut c = Self::cmd("createdb");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "ringex",
            "ringex",
        ]);
        Self::run(c, "createdb");
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://ringex@127.0.0.1:{}/ringex", self.port)
    }

    fn start_server(&mut self) {
        let mut c = Self::cmd("pg_ctl");
        c.arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
                self.port,
                self.dir.path().display()
            ))
            .arg("start")
            .stdout(Stdio::null());
        Self::run(c, "pg_ctl start");
        self.running = true;
    }

    /// `pg_ctl stop -m fast`: open connections are cut.
    fn stop_server(&mut self) {
        let mut c = Self::cmd("pg_ctl");
        c.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null());
        Self::run(c, "pg_ctl stop");
        self.running = false;
    }
}

impl Drop for OwnPg {
    fn drop(&mut self) {
        if self.running {
            let mut c = Self::cmd("pg_ctl");
            c.arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let _ = c.status();
        }
    }
}

/// Places `n` resting and crossing orders from users 1 and 2; each is
/// answered.
fn trade_some(srv: &Server, n: u64) {
    let mut t1 = srv.trader(1);
    let mut t2 = srv.trader(2);
    for i in 0..n {
        let p = format!("{}", 100 + i % 5);
        let r = t1.request(limit("sell", &p, "0.01"));
        assert_eq!(r["exec_type"], "new", "{r}");
        let r = t2.request(limit("buy", &p, "0.01"));
        assert!(r["exec_type"] == "new" || r["exec_type"] == "trade", "{r}");
    }
}

#[test]
fn postgres_stopped_mid_run_then_the_store_catches_up_exactly() {
    let Some(mut pg) = OwnPg::start("postgres_stopped_mid_run") else {
        return;
    };
    let url = pg.url();
    let dir = tempfile::Builder::new()
        .prefix("ringex-history-")
        .tempdir()
        .expect("temp dir");
    let cfg = format!("[history]\nbackend = \"postgres\"\nurl = \"{url}\"\n");
    let mut srv = Server::start(dir.path(), &cfg);
    e2e::setup_market(&mut srv.admin(), &[1, 2]);
    trade_some(&srv, 20);
    let stored = wait_caught_up(&srv);

    pg.stop_server();
    // Trading goes on; the store falls behind.
    trade_some(&srv, 30);
    let t0 = Instant::now();
    let mut last_lag = 0;
    loop {
        let h = healthz(&srv);
        assert_eq!(h["status"], "ok", "{h}");
        let seq = h["seq"].as_u64().expect("seq");
        let hist = &h["history"];
        let progress = hist["progress_seq"].as_u64().expect("progress");
        let lag = hist["lag_seq"].as_u64().expect("lag");
        assert!(progress <= stored, "nothing stored while down: {h}");
        assert!(lag >= last_lag, "the lag only grows while down: {h}");
        last_lag = lag;
        if lag == seq - stored {
            break;
        }
        assert!(
            t0.elapsed() < CATCH_UP_WAIT,
            "lag_seq did not reach {} while PostgreSQL is down: {h}",
            seq - stored
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(last_lag >= 60, "60 orders went unstored: lag {last_lag}");
    trade_some(&srv, 10);
    let h = wait_health(
        &srv,
        "the lag to grow with trading and failures counted",
        |h| {
            h["history"]["lag_seq"].as_u64() >= Some(last_lag + 20)
                && h["history"]["failures"].as_u64() > Some(0)
        },
    );
    assert!(h["history"]["progress_seq"].as_u64() <= Some(stored), "{h}");

    pg.start_server();
    let seq = wait_caught_up(&srv);
    assert_eq!(seq, stored + 80, "every order after the stop is stored");
    let st = srv.terminate(Duration::from_secs(20));
    assert!(st.is_some_and(|s| s.success()), "SIGTERM: {st:?}");
    assert_store_equals_journal(&srv.data_dir, &url, seq, true, "after the outage");

    // Down across a crash and a restart: the server starts without it, its
    // lag counts the journal the store misses, and it catches up once the
    // database is back.
    let mut srv = Server::start(dir.path(), &cfg);
    trade_some(&srv, 5);
    wait_caught_up(&srv);
    pg.stop_server();
    trade_some(&srv, 5);
    let missed = wait_health(&srv, "10 inputs to be offered", |h| {
        h["history"]["lag_seq"].as_u64() >= Some(10)
    });
    srv.kill9();
    let srv = Server::start(dir.path(), &cfg);
    let h = healthz(&srv);
    assert!(
        h["history"]["lag_seq"].as_u64() >= Some(10),
        "a restart with the database down shows the lag at once ({missed}): {h}"
    );
    trade_some(&srv, 5);
    pg.start_server();
    let seq = wait_caught_up(&srv);
    drop(srv);
    assert_store_equals_journal(&dir.path().join("data"), &url, seq, true, "down at start");
}

/// Polls `/healthz` until `ok` holds (bounded); returns that answer.
fn wait_health(srv: &Server, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let t0 = Instant::now();
    loop {
        let h = healthz(srv);
        if ok(&h) {
            return h;
        }
        assert!(
            t0.elapsed() < CATCH_UP_WAIT,
            "waited {CATCH_UP_WAIT:?} for {what}: {h}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The same suite on every backend.
macro_rules! on_backends {
    ($($backend:ident => $b:expr),* $(,)?) => {$(
        mod $backend {
            use super::*;

            #[test]
            fn kill_9_at_random_moments_leaves_the_store_equal_to_the_journal() {
                for seed in seeds() {
                    kill_9_rounds($b, seed);
                }
            }
        }
    )*};
}

on_backends! {
    sqlite => Backend::Sqlite,
    postgres => Backend::Postgres,
}
