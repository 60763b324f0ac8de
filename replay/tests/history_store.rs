//! The history store equals what the journal gives, row for row, whatever
//! happened on the way: a live writer with a buffer that overflows, a cut
//! at a random seq then catch-up, progress rewound over stored rows, a store
//! that is down for a while. Against SQLite always, and PostgreSQL when
//! `RINGEX_TEST_PG_URL` is set (scripts/pg.sh).

mod common;

use common::{commands, p, tool, SEGMENT_BYTES};
use engine::{Command, Engine, EngineLimits, Event, Seq};
use history::store::{Result as StoreResult, Val};
use history::{Batch, Store, StoreError, Writer, WriterConfig};
use journal::{Journal, JournalConfig};
use replay::workload::SplitMix64;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The stores to run against: a fresh SQLite file, and a fresh PostgreSQL
/// database when a server is given.
fn backends(dir: &Path, tag: &str) -> Vec<String> {
    let mut v = vec![dir.join(format!("{tag}.sqlite")).display().to_string()];
    v.extend(history::testing::pg_fresh(tag));
    v
}

/// Journals `cmds` into `dir` the way the server does (appended, flushed
/// per batch of 16, then applied), with a snapshot every `every` inputs,
/// calling `each` with every input and its events once it is journaled.
fn journal_live(
    dir: &Path,
    cmds: &[Command],
    every: u64,
    mut each: impl FnMut(&Command, &[Event]),
) {
    let mut cfg = JournalConfig::new(dir);
    cfg.segment_bytes = SEGMENT_BYTES;
    let (mut w, _) = Journal::open(cfg).unwrap();
    let mut e = Engine::new(EngineLimits::default());
    let mut ev = Vec::new();
    for chunk in cmds.chunks(16) {
        for c in chunk {
            w.append(c).unwrap();
        }
        w.flush_batch().unwrap();
        for c in chunk {
            ev.clear();
            e.apply(c, &mut ev).unwrap();
            each(c, &ev);
            if c.seq % every == 0 {
                w.sync().unwrap();
                journal::recovery::write_snapshot(dir, &e, 100).unwrap();
            }
        }
    }
    w.close().unwrap();
}

fn assert_equal_to_journal(dir: &Path, store: &mut dyn Store, what: &str) {
    let (want, engine) = history::derive(dir, None).unwrap();
    assert_eq!(
        store.progress().unwrap(),
        engine.last_seq(),
        "{what}: progress"
    );
    let have = store.rows().unwrap();
    assert_eq!(have.first_difference(&want), None, "{what}");
    assert!(
        want.trades.len() > 20 && want.orders.len() > 100,
        "{what}: a real day"
    );
    history::reconcile::reconcile(dir, store).unwrap_or_else(|d| panic!("{what}: reconcile: {d}"));
    // Independently of the projection: the store's open orders are the
    // engine's, field for field.
    let mut open = Vec::new();
    for u in engine.users() {
        for r in engine.open_orders(u.user, None) {
            open.push((
                r.order_id,
                r.user,
                r.price.map(|p| p.get()),
                r.qty.get(),
                r.filled.get(),
                r.cum_quote.get(),
            ));
        }
    }
    open.sort();
    let stored: Vec<_> = have
        .orders
        .iter()
        .filter(|o| !history::CLOSED.contains(&o.status))
        .map(|o| {
            (
                o.order_id,
                o.user,
                o.price,
                o.qty,
                o.filled_qty,
                o.quote_filled,
            )
        })
        .collect();
    assert!(!open.is_empty(), "{what}: no open orders");
    assert_eq!(stored, open, "{what}: open orders");
}

#[test]
fn a_live_writer_ends_equal_to_the_journal_even_when_its_buffer_overflows() {
    for seed in [1, 2, 3] {
        for buffer in [1 << 16, 3] {
            let t = tempfile::tempdir().unwrap();
            let cmds = commands(seed, 1_500);
            for url in backends(t.path(), &format!("live{seed}b{buffer}")) {
                let data = t.path().join(format!("data-{}", url.len()));
                let what = format!("seed {seed}, buffer {buffer}, {url}");
                let mut cfg = WriterConfig::new(&data);
                // Started before the first input is offered.
                cfg.start_seq = Some(0);
                cfg.buffer = buffer;
                cfg.batch_cmds = 64;
                let store = history::open(&url).unwrap();
                let mut writer = None;
                journal_live(&data, &cmds, 400, |c, ev| {
                    // Started once the journal exists, as the server would.
                    let w = writer.get_or_insert_with(|| {
                        Writer::spawn(history::open(&url).unwrap(), cfg.clone())
                    });
                    w.offer(c, ev);
                });
                let w = writer.unwrap();
                let stats = w.stats().clone();
                w.stop().unwrap();
                let dropped = stats.dropped.load(Ordering::Acquire);
                if buffer < 16 {
                    assert!(dropped > 0, "{what}: nothing dropped");
                    assert!(
                        stats.catch_ups.load(Ordering::Acquire) > 1,
                        "{what}: no catch-up"
                    );
                }
                assert_eq!(stats.lag_seq(), 0, "{what}: lag at the end");
                drop(store);
                let mut store = history::open(&url).unwrap();
                assert_equal_to_journal(&data, store.as_mut(), &what);
            }
        }
    }
}

#[test]
fn catch_up_after_a_cut_at_a_random_seq_ends_equal() {
    for seed in [4, 5, 6] {
        let t = tempfile::tempdir().unwrap();
        let data = t.path().join("data");
        let cmds = commands(seed, 2_000);
        journal_live(&data, &cmds, 300, |_, _| {});
        let mut rng = SplitMix64::new(seed);
        let cut = 1 + rng.below(cmds.len() as u64 - 1);
        for url in backends(t.path(), &format!("cut{seed}")) {
            let what = format!("seed {seed}, cut at {cut}, {url}");
            let mut store = history::open(&url).unwrap();
            let done = history::catch_up(&data, store.as_mut(), Some(cut), 50).unwrap();
            assert_eq!((done.from, done.to), (0, cut), "{what}");
            let (want, _) = history::derive(&data, Some(cut)).unwrap();
            assert_eq!(
                store.rows().unwrap().first_difference(&want),
                None,
                "{what}"
            );
            assert_eq!(store.progress().unwrap(), cut);
            // The restart: from the best snapshot at or below the cut.
            drop(store);
            let mut store = history::open(&url).unwrap();
            let done = history::catch_up(&data, store.as_mut(), None, 77).unwrap();
            assert_eq!(done.from, cut);
            assert!(done.snapshot_seq.unwrap_or(0) <= cut, "{what}");
            assert_eq!(
                done.snapshot_seq.is_some(),
                cut >= 300,
                "{what}: snapshot used"
            );
            assert_equal_to_journal(&data, store.as_mut(), &what);
            // Nothing left to do.
            let again = history::catch_up(&data, store.as_mut(), None, 77).unwrap();
            assert_eq!(again.batches, 0, "{what}");
            // Progress rewound over stored rows: the inputs are projected
            // and applied a second time, and nothing changes.
            let back = rng.below(cut) + 1;
            history::testing::exec(&url, &format!("UPDATE progress SET seq = {back}"));
            let redo = history::catch_up(&data, store.as_mut(), None, 33).unwrap();
            assert_eq!(redo.from, back);
            assert!(redo.rows > 0);
            assert_equal_to_journal(&data, store.as_mut(), &format!("{what}, rewound to {back}"));
        }
    }
}

/// A store that refuses everything while `down` is set, as a database that
/// was stopped would.
struct Flaky {
    inner: Box<dyn Store>,
    down: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> StoreResult<()> {
        if self.down.load(Ordering::Acquire) {
            Err(StoreError::transient("connection refused (test outage)"))
        } else {
            Ok(())
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
    fn apply(&mut self, b: &Batch) -> StoreResult<()> {
        self.check()?;
        self.inner.apply(b)
    }
    fn each_row(
        &mut self,
        sql: &str,
        args: &[Val],
        row: &mut dyn FnMut(&dyn history::store::Get) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.each_row(sql, args, row)
    }
}

#[test]
fn the_writer_rides_out_a_store_outage_and_catches_up_exactly() {
    let t = tempfile::tempdir().unwrap();
    let cmds = commands(9, 1_200);
    for url in backends(t.path(), "outage") {
        let data = t.path().join(format!("data-{}", url.len()));
        let down = Arc::new(AtomicBool::new(false));
        let mut cfg = WriterConfig::new(&data);
        cfg.start_seq = Some(0);
        cfg.buffer = 256;
        cfg.batch_cmds = 32;
        cfg.backoff_min = Duration::from_millis(1);
        cfg.backoff_max = Duration::from_millis(20);
        let mut writer = None;
        let mut lag_while_down = 0;
        journal_live(&data, &cmds, 500, |c, ev| {
            let w = writer.get_or_insert_with(|| {
                let store = Flaky {
                    inner: history::open(&url).unwrap(),
                    down: down.clone(),
                };
                Writer::spawn(Box::new(store), cfg.clone())
            });
            if c.seq == 400 {
                down.store(true, Ordering::Release);
            }
            if c.seq == 900 {
                std::thread::sleep(Duration::from_millis(100));
                lag_while_down = w.stats().lag_seq();
                down.store(false, Ordering::Release);
            }
            w.offer(c, ev);
        });
        let w = writer.unwrap();
        let stats = w.stats().clone();
        w.stop().unwrap();
        assert!(
            lag_while_down >= 400,
            "{url}: lag while down {lag_while_down}"
        );
        assert!(
            stats.failures.load(Ordering::Acquire) > 0,
            "{url}: no failure seen"
        );
        assert!(
            stats.dropped.load(Ordering::Acquire) > 0,
            "{url}: the buffer never overflowed"
        );
        assert!(stats
            .last_error
            .lock()
            .unwrap()
            .as_deref()
            .unwrap()
            .contains("test outage"));
        assert_eq!(stats.lag_seq(), 0, "{url}");
        let mut store = history::open(&url).unwrap();
        assert_equal_to_journal(&data, store.as_mut(), &format!("outage, {url}"));
    }
}

#[test]
fn the_history_and_reconcile_commands() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    journal_live(&data, &commands(11, 1_000), 250, |_, _| {});
    let default_db = data.join("history.sqlite").display().to_string();
    let mut urls = vec![default_db.clone()];
    urls.extend(history::testing::pg_fresh("cli"));
    for url in &urls {
        let r = tool(&["-q", "history", &p(&data), "--db", url]).ok().json();
        assert_eq!(
            (r["from"].as_u64(), r["to"].as_u64()),
            (Some(0), Some(1_000)),
            "{url}"
        );
        assert!(r["rows"].as_u64().unwrap() > 500, "{r}");
        // A second run has nothing to do.
        let r = tool(&["-q", "history", &p(&data), "--db", url]).ok().json();
        assert_eq!(
            (r["from"].as_u64(), r["rows"].as_u64()),
            (Some(1_000), Some(0))
        );
        let d = p(&data);
        let args: Vec<&str> = if *url == default_db {
            vec!["-q", "reconcile", &d]
        } else {
            vec!["-q", "reconcile", &d, "--db", url]
        };
        let r = tool(&args).ok().json();
        assert_eq!(r["ok"], true);
        assert_eq!(r["progress"].as_u64(), Some(1_000));
        assert!(r["balances"].as_u64().unwrap() >= 12, "{r}");
        // One trade lost, one order changed: exit 1, the first one named.
        history::testing::exec(url, "DELETE FROM trades WHERE trade_id = 3");
        let bad = tool(&args);
        assert_eq!(bad.code, 1, "{bad:?}");
        assert!(bad.stderr.contains("trade 3"), "{}", bad.stderr);
        history::testing::exec(
            url,
            "UPDATE orders SET filled_qty = filled_qty + 1 WHERE order_id = 7",
        );
        let bad = tool(&args);
        assert_eq!(bad.code, 1);
        assert!(bad.stderr.contains("order 7"), "{}", bad.stderr);
    }
    let bad = tool(&["-q", "reconcile", &p(&t.path().join("nothing"))]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

/// A writer that falls behind again and again catches up from the engine
/// its last catch-up ended with, and ends exactly as one catch-up would; an
/// engine ahead of the store (progress rewound) is not used.
#[test]
fn catch_up_continues_from_the_kept_engine() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let cmds = commands(9, 2_000);
    journal_live(&data, &cmds, 1_000_000, |_, _| {});
    for url in backends(t.path(), "kept") {
        let mut store = history::open(&url).unwrap();
        let mut kept = None;
        for to in [150u64, 700, 701, 1_333, 2_000] {
            let done =
                history::catch_up_from(&data, store.as_mut(), Some(to), 64, kept.take()).unwrap();
            assert_eq!(done.to, to, "{url}");
            assert_eq!(done.engine.last_seq(), to);
            kept = Some(done.engine);
        }
        assert_equal_to_journal(&data, store.as_mut(), &format!("kept engine, {url}"));
        history::testing::exec(&url, "UPDATE progress SET seq = 500");
        let redo = history::catch_up_from(&data, store.as_mut(), None, 64, kept.take()).unwrap();
        assert_eq!((redo.from, redo.to), (500, 2_000), "{url}");
        assert_equal_to_journal(&data, store.as_mut(), &format!("kept engine ahead, {url}"));
    }
}
