//! The writer against a store that is down: its lag is visible from the
//! first moment (the journal up to `start_seq` counts as offered), nothing
//! is stored while it is down, and once it is back the store catches up to
//! exactly what the journal gives, also after outage upon outage. A kept
//! engine lets a catch-up resume where the last one ended, and a store that
//! is down when the writer starts does not cost it that engine.

use engine::*;
use history::store::{Get, Result as StoreResult, StoreError, Val};
use history::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn n(s: &str) -> Name {
    Name::new(s).unwrap()
}

/// A store that refuses everything (transiently) while `down`.
struct Flaky {
    inner: Box<dyn Store>,
    down: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> StoreResult<()> {
        match self.down.load(Ordering::Acquire) {
            true => Err(StoreError::transient("down for the test")),
            false => Ok(()),
        }
    }
}

impl Store for Flaky {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn progress(&mut self) -> StoreResult<Seq> {
        self.check()?;
        self.inner.progress()
    }
    fn apply(&mut self, batch: &Batch) -> StoreResult<()> {
        self.check()?;
        self.inner.apply(batch)
    }
    fn each_row(
        &mut self,
        sql: &str,
        args: &[Val],
        row: &mut dyn FnMut(&dyn Get) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.inner.each_row(sql, args, row)
    }
}

/// A small journal: a market, two funded users, orders that trade.
fn journal(dir: &std::path::Path) -> Seq {
    let mut k = vec![
        CommandKind::AddAsset {
            asset: n("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: n("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: n("BTC-USD"),
            base: n("BTC"),
            quote: n("USD"),
            tick_size: Fixed::new(1, 0),
            lot_size: Fixed::new(1, 3),
            min_qty: Fixed::new(1, 3),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        }),
    ];
    for u in 1..=2 {
        k.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key("k"),
            role: Role::Trader,
        });
        for (a, amt) in [("USD", 1_000_000), ("BTC", 10)] {
            k.push(CommandKind::Deposit {
                user: u,
                asset: n(a),
                amount: Fixed::new(amt, 0),
                tx_id: TxId::new(&format!("dep-{u}-{a}")).unwrap(),
            });
        }
    }
    for i in 0..20 {
        let (user, side) = if i % 2 == 0 {
            (1, Side::Sell)
        } else {
            (2, Side::Buy)
        };
        k.push(CommandKind::Place(Place {
            user,
            symbol: n("BTC-USD"),
            side,
            order_type: OrderType::Limit,
            tif: Tif::Gtc,
            price: Some(Fixed::new(100 + (i % 3), 0)),
            qty: Fixed::new(10 + i, 3),
            stop_price: None,
            display_qty: None,
            post_only: false,
            stp: Stp::None,
            client_order_id: None,
        }));
    }
    let mut cfg = journal::JournalConfig::new(dir);
    cfg.segment_bytes = 1 << 20;
    cfg.prefault = false;
    let (mut w, _) = journal::Journal::open(cfg).unwrap();
    for (i, kind) in k.into_iter().enumerate() {
        w.append(&Command {
            seq: i as u64 + 1,
            ts_ns: 1_000 + i as u64,
            kind,
        })
        .unwrap();
    }
    let last = w.last_seq();
    w.close().unwrap();
    last
}

fn wait(what: &str, ok: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "waited 30 s for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_store_down_at_start_shows_its_lag_then_catches_up_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let last = journal(dir.path());
    let path = dir.path().join("history.sqlite");
    let down = Arc::new(AtomicBool::new(true));
    let store = Flaky {
        inner: history::open(path.to_str().unwrap()).unwrap(),
        down: down.clone(),
    };
    let mut cfg = WriterConfig::new(dir.path());
    cfg.start_seq = Some(last);
    cfg.backoff_min = Duration::from_millis(1);
    cfg.backoff_max = Duration::from_millis(20);
    let w = Writer::spawn(Box::new(store), cfg);
    let stats = w.stats().clone();
    assert_eq!(stats.lag_seq(), last, "the whole journal is unstored");
    wait("a failure", || stats.failures.load(Ordering::Acquire) > 0);
    assert_eq!(stats.lag_seq(), last, "nothing stored while down");
    assert_eq!(stats.progress.load(Ordering::Acquire), 0);

    down.store(false, Ordering::Release);
    wait("the catch-up", || {
        stats.progress.load(Ordering::Acquire) == last
    });
    assert_eq!(stats.lag_seq(), 0);
    w.stop().unwrap();

    let (want, _) = history::derive(dir.path(), None).unwrap();
    let have = history::open(path.to_str().unwrap())
        .unwrap()
        .rows()
        .unwrap();
    assert_eq!(have.first_difference(&want), None);
    assert!(!want.trades.is_empty(), "the journal traded");
}

#[test]
fn a_kept_engine_is_resumed_only_at_or_below_progress_and_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let last = journal(dir.path());
    let path = dir.path().join("history.sqlite");
    let mut store = history::open(path.to_str().unwrap()).unwrap();
    let first = history::catch_up(dir.path(), store.as_mut(), Some(10), 4).unwrap();
    assert_eq!((first.to, first.replayed), (10, 0));
    let at_10 = first.engine;
    let at_5 = {
        let mut s = history::open(dir.path().join("other.sqlite").to_str().unwrap()).unwrap();
        history::catch_up(dir.path(), s.as_mut(), Some(5), 4)
            .unwrap()
            .engine
    };

    // Resumed where the store is: nothing replayed.
    let d = history::catch_up_from(dir.path(), store.as_mut(), Some(15), 4, Some(at_10)).unwrap();
    assert_eq!((d.from, d.to, d.replayed), (10, 15, 0));
    // Resumed below it: only the records in between are replayed.
    let d = history::catch_up_from(dir.path(), store.as_mut(), Some(20), 4, Some(at_5)).unwrap();
    assert_eq!((d.from, d.to, d.replayed), (15, 20, 10));
    // An engine ahead of the store is not used: replayed from the start.
    let ahead = d.engine;
    assert_eq!(ahead.last_seq(), 20);
    let mut third = history::open(dir.path().join("third.sqlite").to_str().unwrap()).unwrap();
    history::catch_up(dir.path(), third.as_mut(), Some(12), 4).unwrap();
    let d = history::catch_up_from(dir.path(), third.as_mut(), None, 4, Some(ahead)).unwrap();
    assert_eq!((d.from, d.to, d.replayed), (12, last, 12));
    let (want, _) = history::derive(dir.path(), None).unwrap();
    let d = history::catch_up(dir.path(), store.as_mut(), None, 4).unwrap();
    assert_eq!(d.to, last);
    assert_eq!(store.rows().unwrap().first_difference(&want), None);
    assert_eq!(third.rows().unwrap().first_difference(&want), None);
}

#[test]
fn a_writer_that_drops_again_and_again_ends_equal_to_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let last = journal(dir.path());
    // The inputs and events as the live stream gives them.
    let mut engine = Engine::new(EngineLimits::default());
    let mut steps = Vec::new();
    for rec in journal::read_records(dir.path(), 0).unwrap() {
        let rec = rec.unwrap();
        let mut ev = Vec::new();
        engine.apply(&rec.command, &mut ev).unwrap();
        steps.push((rec.command, ev));
    }
    let path = dir.path().join("history.sqlite");
    let down = Arc::new(AtomicBool::new(false));
    let store = Flaky {
        inner: history::open(path.to_str().unwrap()).unwrap(),
        down: down.clone(),
    };
    let mut cfg = WriterConfig::new(dir.path());
    cfg.start_seq = Some(0);
    cfg.buffer = 1;
    cfg.batch_cmds = 3;
    cfg.backoff_min = Duration::from_millis(1);
    cfg.backoff_max = Duration::from_millis(10);
    let w = Writer::spawn(Box::new(store), cfg);
    let stats = w.stats().clone();
    wait("the first catch-up", || {
        stats.catch_ups.load(Ordering::Acquire) == 1
    });
    // Three outages, each longer than the one-slot buffer holds: the
    // writer drops and catches up from the journal each time.
    for part in steps.chunks(10) {
        down.store(true, Ordering::Release);
        for (c, ev) in part {
            w.offer(c, ev);
        }
        down.store(false, Ordering::Release);
        let to = part.last().unwrap().0.seq;
        wait("the catch-up", || {
            stats.progress.load(Ordering::Acquire) == to
        });
    }
    w.stop().unwrap();
    assert_eq!(stats.progress.load(Ordering::Acquire), last);
    // Each outage: at most a batch taken and one slot buffered, the rest dropped.
    assert!(stats.dropped.load(Ordering::Acquire) >= 15, "{stats:?}");
    assert!(stats.catch_ups.load(Ordering::Acquire) >= 4, "{stats:?}");
    let (want, _) = history::derive(dir.path(), None).unwrap();
    let have = history::open(path.to_str().unwrap())
        .unwrap()
        .rows()
        .unwrap();
    assert_eq!(have.first_difference(&want), None);
}

#[test]
fn a_store_down_at_start_keeps_the_engine_the_writer_was_handed() {
    let dir = tempfile::tempdir().unwrap();
    let last = journal(dir.path());
    let path = dir.path().join("history.sqlite");
    // The server's start-up catch-up: the store is whole, the engine at its end.
    let kept = {
        let mut s = history::open(path.to_str().unwrap()).unwrap();
        history::catch_up(dir.path(), s.as_mut(), None, 4096)
            .unwrap()
            .engine
    };
    let down = Arc::new(AtomicBool::new(true));
    let store = Flaky {
        inner: history::open(path.to_str().unwrap()).unwrap(),
        down: down.clone(),
    };
    let mut cfg = WriterConfig::new(dir.path());
    cfg.start_seq = Some(last);
    cfg.backoff_min = Duration::from_millis(1);
    cfg.backoff_max = Duration::from_millis(10);
    let w = Writer::spawn_from(Box::new(store), cfg, Some(kept));
    let stats = w.stats().clone();
    wait("failures", || stats.failures.load(Ordering::Acquire) >= 3);
    down.store(false, Ordering::Release);
    wait("the catch-up", || {
        stats.catch_ups.load(Ordering::Acquire) == 1
    });
    assert_eq!(stats.progress.load(Ordering::Acquire), last);
    assert_eq!(
        stats.replayed.load(Ordering::Acquire),
        0,
        "the handed engine was used, not a replay of the journal"
    );
    w.stop().unwrap();
}
