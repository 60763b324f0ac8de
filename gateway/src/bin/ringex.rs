//! `ringex`: the exchange server.
//!
//! Start-up: bind the ports (so a busy port fails at once), answer
//! `/healthz` with 503 while the data dir is recovered (newest valid
//! snapshot, then the journal tail; the history store caught up with it and
//! market data rebuilt from the store), then start the pipeline and serve.
//! An empty data dir gets the demo setup unless `--no-demo`. SIGINT or
//! SIGTERM: stop intake, drain, write a snapshot, exit 0.

use clap::Parser;
use engine::{CommandKind, EngineLimits, Fixed, KeyHash, Name, Role, SymbolSpec, TxId};
use gateway::config::{Config, DurabilityName, HistoryBackend, Profile, Threads};
use gateway::net::{ConnLimits, EventLoop};
use gateway::router::{Router, SessionLimits};
use pipeline::{Pipeline, PipelineConfig, Shared};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "ringex", version, about = "Ringex exchange server")]
struct Args {
    /// TOML config file (merged over the embedded default).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Data directory (journal and snapshots).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// HTTP and WebSocket address.
    #[arg(long)]
    http_addr: Option<String>,
    /// Binary TCP address.
    #[arg(long)]
    tcp_addr: Option<String>,
    /// The admin API key (held only as a SHA-256, never journaled).
    #[arg(long)]
    admin_key: Option<String>,
    /// Start an empty data dir with no assets, symbols or users.
    #[arg(long)]
    no_demo: bool,
    /// `default` or `low_latency`.
    #[arg(long)]
    profile: Option<String>,
    /// History store: `sqlite` (DATA_DIR/history.sqlite), `postgres` or `none`.
    #[arg(long)]
    history: Option<String>,
    /// PostgreSQL URL of the history store (implies `--history postgres`).
    #[arg(long)]
    history_url: Option<String>,
    /// Replication role: `primary`, `standby` or `auto` (take the lease if free).
    #[arg(long)]
    role: Option<String>,
    /// This node's id in the replication group.
    #[arg(long)]
    node_id: Option<String>,
    /// NATS servers of the replicated stream, comma-separated.
    #[arg(long)]
    nats: Option<String>,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .init();
    if let Err(e) = run(Args::parse()) {
        eprintln!("ringex: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    let text = match &args.config {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    let mut cfg = Config::load(text.as_deref())?;
    if let Some(d) = args.data_dir {
        cfg.data_dir = d;
    }
    if let Some(a) = args.http_addr {
        cfg.http_addr = a;
    }
    if let Some(a) = args.tcp_addr {
        cfg.tcp_addr = a;
    }
    if args.admin_key.is_some() {
        cfg.admin_key = args.admin_key;
    }
    if args.no_demo {
        cfg.demo = false;
    }
    if let Some(p) = args.profile {
        cfg.profile = match p.as_str() {
            "default" => Profile::Default,
            "low_latency" => Profile::LowLatency,
            other => {
                return Err(format!(
                    "--profile {other}: expected default or low_latency"
                ))
            }
        };
    }
    if let Some(u) = args.history_url {
        cfg.history.backend = HistoryBackend::Postgres;
        cfg.history.url = Some(u);
    }
    if let Some(b) = args.history {
        cfg.history.backend = HistoryBackend::parse(&b).map_err(|e| format!("--history: {e}"))?;
    }
    let history_url = cfg.history_url()?;
    if let Some(urls) = &args.nats {
        let servers: Vec<String> = urls.split(',').map(|s| s.trim().to_string()).collect();
        match &mut cfg.replication {
            Some(r) => r.servers = servers,
            None => {
                cfg.replication = Some(replication::ReplicationConfig::new(
                    servers,
                    args.node_id.as_deref().unwrap_or(""),
                ))
            }
        }
    }
    if let (Some(id), Some(r)) = (&args.node_id, &mut cfg.replication) {
        r.node_id = id.clone();
    }
    let role = match (&args.role, &cfg.replication) {
        (Some(r), Some(_)) => replication::Role::parse(r).map_err(|e| format!("--role: {e}"))?,
        (Some(_), None) => return Err("--role needs a [replication] section or --nats".into()),
        (None, _) => replication::Role::Auto,
    };
    if let Some(r) = &cfg.replication {
        r.check()?;
        if cfg.demo {
            tracing::info!("replication: no demo setup on a replicated node");
            cfg.demo = false;
        }
    }
    let placement = cfg.placement();

    let http = std::net::TcpListener::bind(&cfg.http_addr)
        .map_err(|e| format!("bind {}: {e}", cfg.http_addr))?;
    let tcp = std::net::TcpListener::bind(&cfg.tcp_addr)
        .map_err(|e| format!("bind {}: {e}", cfg.tcp_addr))?;
    let http_addr = http.local_addr().map_err(|e| e.to_string())?;
    let tcp_addr = tcp.local_addr().map_err(|e| e.to_string())?;

    // While recovering, /healthz (and everything else) answers 503.
    let recovering = Arc::new(AtomicBool::new(true));
    let responder = {
        let http = http.try_clone().map_err(|e| e.to_string())?;
        let recovering = recovering.clone();
        std::thread::spawn(move || answer_recovering(http, &recovering))
    };
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| format!("{}: {e}", cfg.data_dir.display()))?;
    let mut jc = journal::JournalConfig::new(&cfg.data_dir);
    jc.segment_bytes = cfg.journal.segment_mb.max(1) << 20;
    jc.prefault = cfg.journal.prefault;
    jc.durability = match cfg.journal.durability {
        DurabilityName::Os => journal::Durability::Os,
        DurabilityName::Fsync => journal::Durability::Fsync,
    };
    let t0 = std::time::Instant::now();
    let (mut writer, mut report, mut rec) =
        journal::recovery::open_and_recover(jc.clone(), EngineLimits::default())
            .map_err(|e| format!("recovery: {e}"))?;
    // A replicated node keeps no record the stream does not have: what a
    // primary journaled but never got into the stream is cut before the
    // node follows the stream, also when the stream has since moved past it
    // with another primary's records (its outputs never left with `ack =
    // "replicated"`; with `ack = "local"` they may have: that is its risk).
    let repl_link = match &cfg.replication {
        Some(r) => {
            let link = replication::Link::connect(r)?;
            let tail = link.ensure_stream()?;
            let keep = replicated_prefix(&link, &cfg.data_dir, rec.last_seq, tail.journal_seq)?;
            if rec.last_seq > keep {
                tracing::warn!(
                    journal_seq = rec.last_seq,
                    stream_seq = tail.journal_seq,
                    keep,
                    "replication: cutting the journal's unreplicated tail"
                );
                drop(writer);
                drop(rec);
                journal::truncate_after(&cfg.data_dir, keep)
                    .map_err(|e| format!("cutting the unreplicated tail: {e}"))?;
                (writer, report, rec) =
                    journal::recovery::open_and_recover(jc, EngineLimits::default())
                        .map_err(|e| format!("recovery: {e}"))?;
            }
            Some(link)
        }
        None => None,
    };
    let fresh = rec.last_seq == 0;
    tracing::info!(
        data_dir = %cfg.data_dir.display(),
        snapshot_seq = ?rec.snapshot_seq,
        replayed = rec.replayed,
        last_seq = rec.last_seq,
        torn_tail_cut = report.torn_tail.is_some(),
        ms = t0.elapsed().as_millis() as u64,
        "recovered"
    );
    let (mut store, history_engine) = match &history_url {
        Some(url) => {
            let (s, e) = open_history(url, &cfg.data_dir, rec.last_seq)?;
            (Some(s), e)
        }
        None => (None, None),
    };
    // Still answering 503: market data is part of what recovery gives back.
    let mut md = engine::market_data::MarketData::from_engine(&rec.engine);
    match store.as_mut() {
        Some(store) if history_engine.is_some() => {
            restore_market_data(store.as_mut(), &mut md, rec.engine.directory())
        }
        Some(_) => tracing::warn!(
            "history store unavailable: the trade tape, klines and tickers start empty"
        ),
        None => tracing::info!("no history store: the trade tape, klines and tickers start empty"),
    }
    recovering.store(false, Ordering::Release);
    // Wake the responder out of accept().
    let _ = std::net::TcpStream::connect(http_addr);
    let _ = responder.join();

    let admin_key = cfg
        .admin_key
        .clone()
        .or_else(|| (cfg.demo && fresh).then(|| random_key("admin")));
    let mut router = Router::new(
        rec.engine.directory().clone(),
        rec.engine.users(),
        admin_key.as_deref().map(KeyHash::of_key),
        rec.last_seq,
        SessionLimits {
            rate_per_s: cfg.limits.rate_per_s,
            burst: cfg.limits.burst,
            send_queue_bytes: cfg.limits.send_queue_bytes,
            ..SessionLimits::default()
        },
        md,
    );
    router.enable_dropcopy(cfg.data_dir.clone());
    let poll = mio::Poll::new().map_err(|e| e.to_string())?;
    let waker: Option<Arc<dyn pipeline::Waker>> = (!placement.gateway_idle.spins_forever())
        .then(|| gateway::net::PollWaker::new(&poll))
        .transpose()
        .map_err(|e| e.to_string())?
        .map(|w| Arc::new(w) as Arc<dyn pipeline::Waker>);
    let shared = Arc::new(Shared::default());
    let pcfg = PipelineConfig {
        inbound_size: cfg.pipeline.inbound_size.next_power_of_two(),
        outbound_size: cfg.pipeline.outbound_size.next_power_of_two(),
        shared_thread: cfg.pipeline.threads == Threads::Shared,
        idle: placement.core_idle,
        pin_cores: placement.pin_cores.iter().skip(1).copied().collect(),
        data_dir: cfg.data_dir.clone(),
        snapshots_keep: cfg.snapshots_keep,
        batch: cfg.pipeline.batch,
        waker: waker.clone(),
        publish_inputs: store.is_some(),
    };
    let mut queries = None;
    let feed = match store {
        Some(store) => {
            let backend = store.backend();
            let mut wc = history::WriterConfig::new(&cfg.data_dir);
            wc.start_seq = Some(rec.last_seq);
            let writer = history::Writer::spawn_from(store, wc, history_engine);
            router.set_history(gateway::router::HistoryInfo {
                backend,
                stats: writer.stats().clone(),
            });
            // The query worker's own connection to the same store.
            let url = history_url.clone().expect("a store has a url");
            queries = Some(
                gateway::history_queries::QueryWorker::spawn(
                    Box::new(move || history::open(&url)),
                    Some(writer.stats().clone()),
                    waker.clone(),
                )
                .map_err(|e| format!("history query worker: {e}"))?,
            );
            Some(history::Feed::new(writer))
        }
        None => None,
    };
    let (gate, node) = match (&cfg.replication, repl_link) {
        (Some(r), Some(link)) => {
            let stats = Arc::new(replication::Stats::default());
            let handover = Arc::new(replication::Handover::default());
            let gate = replication::Replicator::following(link, handover.clone(), stats.clone())
                .with_ack(r.ack);
            let node = replication::Node::start(
                replication::NodeConfig {
                    repl: r.clone(),
                    role,
                    http: http_addr.to_string(),
                    tcp: tcp_addr.to_string(),
                },
                rec.last_seq,
                shared.clone(),
                handover,
                stats,
            )?;
            router.set_replication(node.view.clone(), node.stats.clone());
            (
                Some(Box::new(gate) as Box<dyn pipeline::gate::Gate>),
                Some(node),
            )
        }
        _ => (None, None),
    };
    let pipeline = Pipeline::start_gated(pcfg, rec.engine, writer, shared, gate);
    http.set_nonblocking(true).map_err(|e| e.to_string())?;
    tcp.set_nonblocking(true).map_err(|e| e.to_string())?;
    let limits = ConnLimits {
        max_connections: cfg.limits.max_connections,
        max_frame_bytes: cfg.limits.max_frame_bytes,
        http_body_max: cfg.limits.http_body_max,
        ..ConnLimits::default()
    };
    let mut net = EventLoop::new(
        poll,
        mio::net::TcpListener::from_std(http),
        mio::net::TcpListener::from_std(tcp),
        router,
        pipeline,
        limits,
    )
    .map_err(|e| e.to_string())?;
    net.history = feed;
    net.history_queries = queries;
    net.replica = node.as_ref().map(gateway::net::Replica::new);
    if let Some(&core) = placement.pin_cores.first() {
        if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
            tracing::warn!(core, "could not pin the network thread");
        }
    }

    // Before the listening line: a signal sent as soon as it is seen stops
    // the server cleanly rather than killing it.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| e.to_string())?;
    }
    if cfg.demo && fresh {
        let keys = demo_setup(&mut net);
        println!("ringex demo: a fresh data dir got demo assets (BTC, ETH, USD), symbols BTC-USD and ETH-USD,");
        println!("and three funded traders (100000 USD, 10 BTC, 100 ETH each). API keys:");
        for (u, k) in &keys {
            println!("  user {u}: {k}");
        }
    }
    if let Some(k) = &admin_key {
        if cfg.admin_key.is_none() {
            println!("  admin:  {k}");
        }
    }
    println!("ringex listening: http://{http_addr} (WebSocket ws://{http_addr}/ws), binary TCP {tcp_addr}");
    println!(
        "try: websocat ws://{http_addr}/ws   then   {{\"op\":\"login\",\"api_key\":\"<key>\"}}"
    );
    let _ = std::io::stdout().flush();

    let mut idle = placement.gateway_idle.build();
    net.run(idle.as_mut(), &|| stop.load(Ordering::Relaxed));
    tracing::info!("stopping: intake closed, draining");
    let feed = net.history.take();
    if let Some(n) = &node {
        n.stats.closing.store(true, Ordering::Release);
    }
    net.into_pipeline().stop();
    drop(node);
    if let Some(f) = feed {
        if let Err(e) = f.stop() {
            tracing::warn!("history: {e}; it catches up from the journal at the next start");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Opens the history store and catches it up with the journal before the
/// server opens, so that what it serves (klines, the tape, the ticker, a
/// user's past orders) is whole. A database that is down is not waited for:
/// the writer retries and catches up once it is back. Also says whether the
/// store answered (it is caught up).
fn open_history(
    url: &str,
    data_dir: &std::path::Path,
    last_seq: u64,
) -> Result<(Box<dyn history::Store>, Option<engine::Engine>), String> {
    let mut store =
        history::open_lazy(url).map_err(|e| format!("history store {}: {e}", redact(url)))?;
    let t0 = std::time::Instant::now();
    match history::catch_up(data_dir, store.as_mut(), Some(last_seq), 4096) {
        Ok(done) => {
            tracing::info!(
                backend = store.backend(),
                from_seq = done.from,
                to_seq = done.to,
                rows = done.rows,
                ms = t0.elapsed().as_millis() as u64,
                "history caught up with the journal"
            );
            Ok((store, Some(done.engine)))
        }
        Err(history::CatchUpError::Store(e)) if e.transient => {
            tracing::warn!(
                backend = store.backend(),
                "history store unavailable ({e}); trading starts, the writer retries and catches up"
            );
            Ok((store, None))
        }
        Err(e) => Err(format!("history store {}: {e}", redact(url))),
    }
}

/// Gives market data the trades of the retention window back from the
/// store (caught up with the journal just before), so the tape, klines and
/// tickers are what they were before the restart. A store that cannot
/// answer leaves them empty, with a warning: trading does not wait for it.
fn restore_market_data(
    store: &mut dyn history::Store,
    md: &mut engine::market_data::MarketData,
    dir: &engine::Directory,
) {
    let t0 = std::time::Instant::now();
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    match history::restore::market_data(store, md, dir, now_ns) {
        Ok(r) => tracing::info!(
            symbols = r.symbols,
            trades = r.trades,
            ms = t0.elapsed().as_millis() as u64,
            "market data rebuilt from the history store"
        ),
        Err(e) => tracing::warn!(
            "history store unavailable ({e}): the trade tape, klines and tickers start empty"
        ),
    }
}

/// A store URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(i), Some(j)) if j > i => {
            let cred = &url[i + 3..j];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..i + 3], &url[j..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Answers every connection with 503 until `recovering` turns false.
fn answer_recovering(listener: std::net::TcpListener, recovering: &AtomicBool) {
    for conn in listener.incoming() {
        if !recovering.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut c) = conn else { continue };
        let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
        let mut buf = [0u8; 1024];
        let _ = c.read(&mut buf);
        let body = r#"{"status":"recovering"}"#;
        let _ = write!(
            c,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

/// A key no one can guess: 128 bits from the OS's hash seeds and the clock.
fn random_key(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::from(prefix);
    out.push('-');
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn demo_setup(net: &mut EventLoop) -> Vec<(u64, String)> {
    let n = |s: &str| Name::new(s).expect("demo name");
    let d = |s: &str| wire::json::parse_decimal(s).expect("demo decimal");
    let mut cmds = vec![
        CommandKind::AddAsset {
            asset: n("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: n("ETH"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: n("USD"),
            scale: 6,
        },
    ];
    for (sym, base) in [("BTC-USD", "BTC"), ("ETH-USD", "ETH")] {
        cmds.push(CommandKind::AddSymbol(SymbolSpec {
            symbol: n(sym),
            base: n(base),
            quote: n("USD"),
            tick_size: d("0.01"),
            lot_size: d("0.0001"),
            min_qty: d("0.0001"),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: Some(Fixed::new(10, 0)),
        }));
    }
    let mut keys = Vec::new();
    for u in 1..=3u64 {
        let key = random_key(&format!("trader{u}"));
        cmds.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&key),
            role: Role::Trader,
        });
        for (asset, amount) in [("USD", "100000"), ("BTC", "10"), ("ETH", "100")] {
            cmds.push(CommandKind::Deposit {
                user: u,
                asset: n(asset),
                amount: d(amount),
                tx_id: TxId::new(&format!("demo-{u}-{asset}")).expect("demo tx"),
            });
        }
        keys.push((u, key));
    }
    for c in cmds {
        net.publish_operator(c);
    }
    keys
}

/// The last seq up to which this node's journal (ending at `last_seq`) is
/// what the stream (ending at `stream_last`) holds. Its end, or less: the
/// stream's end when the journal goes on past it, or, when another primary
/// has since written those seqs, the seq before the first record where the
/// two differ. Batches are compared from the one holding the last seq both
/// have, backwards, until one agrees from its first record on (an epoch
/// marker holds no record, so it always does): the new primary cuts its
/// batches where it likes, but its first starts right after the marker.
fn replicated_prefix(
    link: &replication::Link,
    data_dir: &std::path::Path,
    last_seq: u64,
    stream_last: u64,
) -> Result<u64, String> {
    let k = last_seq.min(stream_last);
    if k == 0 {
        return Ok(0);
    }
    // Not in the stream any more (its limits dropped it): nothing to compare.
    let Some(mut at) = link.find(k)? else {
        return Ok(k);
    };
    let mut keep = k;
    while at > 0 {
        let Some(batch) = link.get(at)? else {
            return Ok(keep);
        };
        let theirs = journal::frames::decode(&batch.payload)
            .map_err(|e| format!("stream message {at}: {e}"))?;
        let mut ours = journal::read_records(data_dir, batch.first_seq.max(1))
            .map_err(|e| format!("reading the journal from {}: {e}", batch.first_seq))?;
        let differs = theirs
            .iter()
            .filter(|t| t.seq <= keep)
            .find(|t| !matches!(ours.next(), Some(Ok(o)) if o == **t))
            .map(|t| t.seq);
        match differs {
            None => return Ok(keep),
            Some(d) if d > batch.first_seq => return Ok(d - 1),
            Some(_) => keep = batch.first_seq - 1,
        }
        if keep == 0 {
            return Ok(0);
        }
        at -= 1;
    }
    Ok(keep)
}
