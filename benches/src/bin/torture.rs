//! `torture`: crash the real server again and again under load and check
//! that nothing acknowledged is ever lost.
//!
//! Every cycle starts the `ringex` release binary on the same data dir (free
//! loopback ports), asks it for its state hash (admin `snapshot`), drives
//! random orders with client order ids from several binary-protocol client
//! threads, and `kill -9`s it at a moment that depends on the cycle's kind:
//!
//! - `random`: after a random delay;
//! - `snapshot`: the moment the snapshot asked for shows up as a temporary
//!   file (it is being written), or just after it is written when that was
//!   too quick to see;
//! - `rollover`: the moment a new journal segment appears (segments are
//!   1 MiB, so they roll every few thousand orders);
//! - `fsync`: like `random`, with `journal.durability = "fsync"`.
//!
//! With the server dead it checks, offline, with `ringex-replay`: the
//! journal verifies (no seq missing or repeated, every record intact);
//! `run --to S` gives the hash the server reported at `S` right after its
//! restart (recovery is exact, and the invariants hold: `run` checks them);
//! the inputs journaled in the cycle have contiguous seqs right after `S`,
//! and every order whose report a client received is among them. The next
//! restart must come back at exactly the journal's last seq. A final clean
//! start/stop also compares a replay from scratch (no snapshots).
//!
//! One line per cycle, then a summary; exits 1 when an order is lost or any
//! check fails. `scripts/torture.sh` builds the binaries and runs this.

use clap::Parser;
use engine::{CommandKind, Fixed, KeyHash, Name, OrderRef, Role, Side, Stp, SymbolSpec, Tif, TxId};
use replay::rng::SplitMix64;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wire::binary::ReplyBody;
use wire::client::{limit_order, Client, ClientError};
use wire::{ErrorCode, Op, TraderOp};

#[derive(Parser, Debug)]
#[command(
    name = "torture",
    about = "kill -9 the ringex server under load, check nothing acknowledged is lost"
)]
struct Args {
    /// Crash cycles to run.
    #[arg(long, default_value_t = 100)]
    cycles: u32,
    /// Client threads placing orders.
    #[arg(long, default_value_t = 4)]
    clients: u64,
    /// Seed of the random choices (delays, orders); default: from the clock.
    #[arg(long)]
    seed: Option<u64>,
    /// Data dir to use (must be empty or absent); default: a temporary one.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The `ringex` binary (default: next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// The `ringex-replay` binary (default: next to this one).
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Longest random delay before the kill, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    max_run_ms: u64,
}

const ADMIN_KEY: &str = "torture-admin";
const SYMBOL: &str = "BTC-USD";
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Random,
    Snapshot,
    Rollover,
    Fsync,
}

impl Kind {
    fn of(cycle: u32) -> Kind {
        [Kind::Random, Kind::Snapshot, Kind::Rollover, Kind::Fsync][cycle as usize % 4]
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Random => "random",
            Kind::Snapshot => "snapshot",
            Kind::Rollover => "rollover",
            Kind::Fsync => "fsync",
        }
    }
}

fn name(s: &str) -> Name {
    Name::new(s).expect("valid name")
}

fn trader_key(u: u64) -> String {
    format!("torture-trader-{u}")
}

fn beside_me(file: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let found = [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join(file))
        .find(|p| p.is_file());
    found
}

// ---------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------

struct Server {
    child: Child,
    tcp: SocketAddr,
}

fn start(bin: &Path, data: &Path, kind: Kind) -> Result<Server, String> {
    let cfg = data.with_extension("toml");
    let durability = if kind == Kind::Fsync { "fsync" } else { "os" };
    std::fs::write(
        &cfg,
        format!(
            "[limits]\nrate_per_s = 1000000\nburst = 1000000\n\
             [journal]\nsegment_mb = 1\ndurability = \"{durability}\"\n"
        ),
    )
    .map_err(|e| format!("{}: {e}", cfg.display()))?;
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(data)
        .args(["--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0"])
        .args(["--no-demo", "--admin-key", ADMIN_KEY])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start {}: {e}", bin.display()))?;
    let out = child.stdout.take().ok_or("no stdout")?;
    let err = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Some(a) = line
                .split("binary TCP ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|a| a.parse::<SocketAddr>().ok())
            {
                if let Some(t) = tx.take() {
                    let _ = t.send(a);
                }
            }
        }
    });
    // Warnings (a torn tail cut, a snapshot skipped) are expected after a
    // kill; errors are shown.
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if line.contains("ERROR") || line.starts_with("ringex:") {
                eprintln!("  server: {line}");
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(tcp) => Ok(Server { child, tcp }),
        Err(_) => {
            let st = child.try_wait().ok().flatten();
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("server did not start: {st:?}"))
        }
    }
}

impl Server {
    fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    fn term(&mut self) -> Result<(), String> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let t = Instant::now();
        while t.elapsed() < TIMEOUT {
            if let Ok(Some(st)) = self.child.try_wait() {
                return if st.success() {
                    Ok(())
                } else {
                    Err(format!("clean stop exited {st}"))
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9();
        Err("no clean stop within 20 s".into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn admin(tcp: SocketAddr) -> Result<Client, String> {
    let mut c = Client::connect(tcp).map_err(|e| format!("admin connect: {e}"))?;
    c.login(ADMIN_KEY, false)
        .map_err(|e| format!("admin login: {e}"))?;
    Ok(c)
}

/// Sends `op` and waits for the answer to it.
fn ask(c: &mut Client, op: Op) -> Result<ReplyBody, String> {
    let id = c.request(op).map_err(|e| e.to_string())?;
    loop {
        let r = c
            .recv_timeout(TIMEOUT)
            .map_err(|e| e.to_string())?
            .ok_or("no answer")?;
        if r.req_id == Some(id) {
            return Ok(r.body);
        }
    }
}

fn setup(tcp: SocketAddr, traders: u64) -> Result<(), String> {
    let mut c = admin(tcp)?;
    let mut cmds = vec![
        CommandKind::AddAsset {
            asset: name("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: name(SYMBOL),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: Fixed::new(1, 2),
            lot_size: Fixed::new(1, 4),
            min_qty: Fixed::new(1, 4),
            maker_fee_bps: 1,
            taker_fee_bps: 2,
            price_band_pct: None,
        }),
    ];
    for u in 1..=traders {
        cmds.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&trader_key(u)),
            role: Role::Trader,
        });
        for (asset, amount) in [("USD", 1_000_000_000_000), ("BTC", 1_000_000_000)] {
            cmds.push(CommandKind::Deposit {
                user: u,
                asset: name(asset),
                amount: Fixed::new(amount, 0),
                tx_id: TxId::new(&format!("torture-{asset}-{u}")).expect("tx id"),
            });
        }
    }
    for k in cmds {
        let what = k.op_name();
        match ask(&mut c, Op::Admin(k))? {
            ReplyBody::Admin { ok: true, .. } => {}
            other => return Err(format!("setup {what}: {other:?}")),
        }
    }
    Ok(())
}

fn snapshot(c: &mut Client) -> Result<(u64, String), String> {
    match ask(c, Op::Snapshot)? {
        ReplyBody::Snapshot { seq, state_hash } => Ok((seq, hex(&state_hash))),
        other => Err(format!("snapshot: {other:?}")),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------

/// What one client thread saw.
#[derive(Default)]
struct Seen {
    /// (user, client order id) of every order a report was received for.
    acked: Vec<(u64, String)>,
    sent: u64,
    overloaded: u64,
}

/// Places random orders (a few cancels) until the connection dies or `stop`.
fn client(tcp: SocketAddr, user: u64, cycle: u32, seed: u64, stop: &AtomicBool) -> Seen {
    let mut seen = Seen::default();
    let mut rng = SplitMix64::new(seed);
    let Ok(mut c) = Client::connect(tcp) else {
        return seen;
    };
    if c.login(&trader_key(user), false).is_err() {
        return seen;
    }
    let mut pending: HashSet<String> = HashSet::new();
    let mut n = 0u64;
    const WINDOW: usize = 32;
    loop {
        while pending.len() < WINDOW && !stop.load(Ordering::Relaxed) {
            n += 1;
            let clid = format!("u{user}c{cycle}n{n}");
            let r = if n > 4 && rng.chance(0.1) {
                // Cancel an earlier order of this cycle by client order id
                // (it may be filled or gone: a reject is an answer too).
                let back = format!("u{user}c{cycle}n{}", 1 + rng.below(n - 1));
                c.request(Op::Trader(TraderOp::Cancel {
                    symbol: name(SYMBOL),
                    target: OrderRef::Client(engine::ClOrdId::new(&back).expect("clid")),
                }))
                .map(|_| ())
            } else {
                let side = if rng.chance(0.5) {
                    Side::Buy
                } else {
                    Side::Sell
                };
                // Around 100.00, both sides overlapping: many trades.
                let px = Fixed::new(10_000 + rng.range_i64(-50, 50), 2);
                let qty = Fixed::new(1 + rng.below(20) as i64, 4);
                let mut o = limit_order(name(SYMBOL), side, px, qty);
                o.client_order_id = engine::ClOrdId::new(&clid);
                if rng.chance(0.2) {
                    o.tif = Tif::Ioc;
                }
                o.stp = Stp::None;
                pending.insert(clid);
                c.place(o).map(|_| ())
            };
            if r.is_err() {
                return seen;
            }
            seen.sent += 1;
        }
        if stop.load(Ordering::Relaxed) && pending.is_empty() {
            return seen;
        }
        match c.recv_timeout(Duration::from_secs(2)) {
            Ok(Some(r)) => match r.body {
                ReplyBody::Execution(x) => {
                    if let Some(id) = x.client_order_id {
                        if pending.remove(&id) {
                            seen.acked.push((user, id));
                        }
                    }
                }
                ReplyBody::Error { code, .. } => {
                    if code == ErrorCode::Overloaded {
                        seen.overloaded += 1;
                    }
                    // The request was refused at the edge: no report will
                    // come. Which one is not said for a place, so forget
                    // the oldest of this window (only reports count as acks).
                    if let Some(k) = pending.iter().next().cloned() {
                        pending.remove(&k);
                    }
                }
                _ => {}
            },
            Ok(None) => {
                if stop.load(Ordering::Relaxed) {
                    return seen;
                }
            }
            Err(ClientError::Closed) | Err(ClientError::Io(_)) => return seen,
            Err(_) => return seen,
        }
    }
}

// ---------------------------------------------------------------------------
// Offline checks
// ---------------------------------------------------------------------------

fn replay(bin: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .arg("--quiet")
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "ringex-replay {}: {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run_hash(bin: &Path, dir: &str, to: u64, scratch: bool) -> Result<String, String> {
    let to = to.to_string();
    let mut args = vec!["run", dir, "--to", &to];
    if scratch {
        args.push("--from-scratch");
    }
    let out = replay(bin, &args)?;
    let last = out.lines().last().unwrap_or("");
    let v: serde_json::Value =
        serde_json::from_str(last).map_err(|e| format!("run output {last:?}: {e}"))?;
    if v["seq"].as_u64() != Some(to.parse().unwrap_or(0)) {
        return Err(format!("run stopped at {last}"));
    }
    Ok(v["state_hash"].as_str().unwrap_or("").to_string())
}

/// The journaled inputs after `from`: checks their seqs are contiguous from
/// `from + 1`; returns the last seq and the (user, client order id) of each
/// journaled place.
fn journaled(bin: &Path, dir: &str, from: u64) -> Result<(u64, HashSet<(u64, String)>), String> {
    let f = (from + 1).to_string();
    let out = replay(bin, &["dump", dir, "--from", &f])?;
    let mut last = from;
    let mut places = HashSet::new();
    for line in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("dump line {line:?}: {e}"))?;
        let seq = v["seq"].as_u64().ok_or("dump line without seq")?;
        if seq != last + 1 {
            return Err(format!("seq {seq} follows {last}: missing or repeated"));
        }
        last = seq;
        if v["op"] == "place" {
            if let (Some(u), Some(c)) = (v["user"].as_u64(), v["client_order_id"].as_str()) {
                places.insert((u, c.to_string()));
            }
        }
    }
    Ok((last, places))
}

/// (temporary, finished) snapshot files in the data dir.
fn snapshot_files(data: &Path) -> (usize, usize) {
    let names: Vec<String> = std::fs::read_dir(data.join("snapshots"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    (
        names.iter().filter(|n| n.ends_with(".tmp")).count(),
        names.iter().filter(|n| n.ends_with(".snap")).count(),
    )
}

fn segments(data: &Path) -> usize {
    std::fs::read_dir(data.join("journal"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
                .count()
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Cycles
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Totals {
    cycles: u32,
    acked: u64,
    lost: u64,
    failures: u32,
}

struct Ctx {
    server: PathBuf,
    replay: PathBuf,
    data: PathBuf,
    clients: u64,
    max_run_ms: u64,
    /// The journal's last seq when the server was last killed.
    journal_end: u64,
}

/// One cycle; returns (acked, lost, note).
fn cycle(ctx: &mut Ctx, i: u32, rng: &mut SplitMix64) -> Result<(u64, u64, String), String> {
    let kind = Kind::of(i);
    let mut srv = start(&ctx.server, &ctx.data, kind)?;
    if i == 0 {
        setup(srv.tcp, ctx.clients)?;
    }
    let mut adm = admin(srv.tcp)?;
    let (seq0, hash0) = snapshot(&mut adm)?;
    if i > 0 && seq0 != ctx.journal_end {
        return Err(format!(
            "restart recovered to seq {seq0}, the journal ends at {}",
            ctx.journal_end
        ));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (1..=ctx.clients)
        .map(|u| {
            let (tcp, stop, seed) = (srv.tcp, stop.clone(), rng.next_u64());
            std::thread::spawn(move || client(tcp, u, i, seed, &stop))
        })
        .collect();
    let t0 = Instant::now();
    let mut note = String::new();
    match kind {
        Kind::Random | Kind::Fsync => {
            std::thread::sleep(Duration::from_millis(20 + rng.below(ctx.max_run_ms)));
        }
        Kind::Snapshot => {
            std::thread::sleep(Duration::from_millis(50 + rng.below(ctx.max_run_ms / 2)));
            let before = snapshot_files(&ctx.data);
            adm.request(Op::Snapshot).map_err(|e| e.to_string())?;
            // Kill as soon as the snapshot's temporary file shows up (it is
            // being written), or when it is done if that was too quick to see.
            let deadline = Instant::now() + Duration::from_secs(5);
            note = loop {
                let (tmp, done) = snapshot_files(&ctx.data);
                if tmp > 0 {
                    break " kill while the snapshot file was being written".into();
                }
                if done > before.1 {
                    break " kill just after a snapshot was written".into();
                }
                if Instant::now() > deadline {
                    break " (no snapshot seen within 5 s)".into();
                }
                std::thread::sleep(Duration::from_micros(20));
            };
        }
        Kind::Rollover => {
            let before = segments(&ctx.data);
            let deadline = Instant::now() + Duration::from_secs(10);
            while segments(&ctx.data) == before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
            note = if segments(&ctx.data) > before {
                format!(" kill at rollover to segment {}", before + 1)
            } else {
                " (no rollover within 10 s)".into()
            };
        }
    }
    let ran_ms = t0.elapsed().as_millis();
    srv.kill9();
    stop.store(true, Ordering::Relaxed);
    let mut seen = Seen::default();
    for h in handles {
        let s = h.join().map_err(|_| "client thread panicked")?;
        seen.acked.extend(s.acked);
        seen.sent += s.sent;
        seen.overloaded += s.overloaded;
    }
    drop(srv);
    // Offline, the server dead.
    let dir = ctx.data.to_string_lossy().into_owned();
    replay(&ctx.replay, &["verify", &dir])?;
    let h = run_hash(&ctx.replay, &dir, seq0, false)?;
    if h != hash0 {
        return Err(format!(
            "state hash at seq {seq0}: server {hash0}, replay {h}"
        ));
    }
    let (end, places) = journaled(&ctx.replay, &dir, seq0)?;
    let lost = seen.acked.iter().filter(|a| !places.contains(a)).count() as u64;
    if lost > 0 {
        let first = seen.acked.iter().find(|a| !places.contains(a));
        note.push_str(&format!(" LOST e.g. {first:?}"));
    }
    ctx.journal_end = end;
    println!(
        "cycle {i:>3} {:<8} ran {ran_ms:>4} ms  sent {:>6}  acked {:>6}  journaled {:>6}  overloaded {}  seq {seq0}..{end}  hash ok  lost {lost}{note}",
        kind.name(),
        seen.sent,
        seen.acked.len(),
        end - seq0,
        seen.overloaded,
    );
    Ok((seen.acked.len() as u64, lost, note))
}

/// A clean start and stop at the end: recovery from the last kill, the hash
/// again, and a replay from scratch agreeing with one from the snapshots.
fn final_check(ctx: &Ctx) -> Result<(), String> {
    let mut srv = start(&ctx.server, &ctx.data, Kind::Random)?;
    let mut adm = admin(srv.tcp)?;
    let (seq, hash) = snapshot(&mut adm)?;
    if seq != ctx.journal_end {
        return Err(format!(
            "final restart at seq {seq}, the journal ends at {}",
            ctx.journal_end
        ));
    }
    drop(adm);
    srv.term()?;
    let dir = ctx.data.to_string_lossy().into_owned();
    replay(&ctx.replay, &["verify", &dir])?;
    let a = run_hash(&ctx.replay, &dir, seq, false)?;
    let b = run_hash(&ctx.replay, &dir, seq, true)?;
    if a != hash || b != hash {
        return Err(format!(
            "final hash at {seq}: server {hash}, replay {a}, from scratch {b}"
        ));
    }
    println!(
        "final: clean restart at seq {seq}, hash {hash} (replay and replay from scratch agree)"
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let find = |given: &Option<PathBuf>, file: &str| {
        given
            .clone()
            .or_else(|| beside_me(file))
            .ok_or_else(|| format!("no {file} binary (cargo build --release -p gateway -p replay)"))
    };
    let (server, replay_bin) = match (
        find(&args.server, "ringex"),
        find(&args.replay, "ringex-replay"),
    ) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("torture: {e}");
            return ExitCode::from(2);
        }
    };
    let tmp;
    let data = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            tmp = match tempfile::Builder::new().prefix("ringex-torture-").tempdir() {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("torture: temp dir: {e}");
                    return ExitCode::from(2);
                }
            };
            tmp.path().join("data")
        }
    };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    println!(
        "torture: {} cycles, {} clients, seed {seed}, data dir {}",
        args.cycles,
        args.clients,
        data.display()
    );
    let mut rng = SplitMix64::new(seed);
    let mut ctx = Ctx {
        server,
        replay: replay_bin,
        data,
        clients: args.clients.max(1),
        max_run_ms: args.max_run_ms.max(2),
        journal_end: 0,
    };
    let mut t = Totals::default();
    let started = Instant::now();
    for i in 0..args.cycles {
        t.cycles += 1;
        match cycle(&mut ctx, i, &mut rng) {
            Ok((acked, lost, _)) => {
                t.acked += acked;
                t.lost += lost;
            }
            Err(e) => {
                println!("cycle {i:>3} {:<8} FAILED: {e}", Kind::of(i).name());
                t.failures += 1;
                break;
            }
        }
    }
    if t.failures == 0 {
        if let Err(e) = final_check(&ctx) {
            println!("final: FAILED: {e}");
            t.failures += 1;
        }
    }
    println!(
        "torture summary: cycles {}, acknowledged orders {}, lost {}, failed checks {}, {:.1} s (seed {seed})",
        t.cycles,
        t.acked,
        t.lost,
        t.failures,
        started.elapsed().as_secs_f64()
    );
    if t.lost > 0 || t.failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
