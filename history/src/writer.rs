//! The writer: projects sequenced inputs into the store on its own thread.
//!
//! What holds:
//! - [`Writer::offer`] never blocks, and copies the events it hands over
//!   into a buffer the writer gave back (it allocates only while those warm
//!   up, or when it outruns the writer): the queue between producer and writer is
//!   bounded ([`WriterConfig::buffer`] inputs); when it is full the input is
//!   dropped and counted, and the writer later re-derives what it missed from
//!   the journal (catch-up mode), as it does when it sees a seq beyond the
//!   one it expects. An input at or below what is stored is skipped.
//! - One transaction per batch (at most `batch_cmds` inputs, or whatever
//!   arrived within `max_delay`), with `progress` in it ([`crate::Store`]).
//! - A store that fails is retried with exponential back-off (up to
//!   `backoff_max`), logged once per failure streak; meanwhile the lag grows
//!   and the buffer may overflow, which only means catch-up later.
//! - A catch-up starts from the engine the last one ended with (or the one
//!   [`Writer::spawn_from`] was handed), which a store that is down does
//!   not cost: retrying against it keeps that engine, so the catch-up once
//!   it is back replays only what the writer has not seen
//!   ([`Stats::replayed`]).
//! - [`Stats::lag_seq`] is the last seq offered minus `progress`; the
//!   journal up to [`WriterConfig::start_seq`] counts as offered, so a store
//!   that is unreachable at start shows its lag from the first moment.
//!
//! Must never: block its producer, write a batch out of order, or lose an
//! input without the journal to re-derive it from.

use crate::catch_up::{catch_up_from, CatchUpError};
use crate::projection::Projector;
use crate::store::Store;
use engine::{Command, Engine, Event, Seq};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// Data directory whose journal the writer catches up from.
    pub data_dir: PathBuf,
    /// Inputs the buffer holds before `offer` drops.
    pub buffer: usize,
    /// Inputs per transaction at most.
    pub batch_cmds: u64,
    /// A partial batch is written after this long without new input.
    pub max_delay: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// What the writer catches up to when it starts: the journal's last seq
    /// at recovery (the server knows it), so that it never reads a journal
    /// that is being appended to past what is written. `None`: to the end
    /// of the journal (only when nothing appends to it).
    pub start_seq: Option<Seq>,
}

impl WriterConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> WriterConfig {
        WriterConfig {
            data_dir: data_dir.into(),
            buffer: 65_536,
            batch_cmds: 4_096,
            max_delay: Duration::from_millis(5),
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_secs(5),
            start_seq: None,
        }
    }
}

/// What the writer has done, readable from any thread.
#[derive(Default, Debug)]
pub struct Stats {
    /// Last seq whose rows are stored.
    pub progress: AtomicU64,
    /// Last seq offered.
    pub offered: AtomicU64,
    /// Inputs dropped because the buffer was full.
    pub dropped: AtomicU64,
    /// Highest seq dropped.
    pub dropped_seq: AtomicU64,
    pub catch_ups: AtomicU64,
    /// Journal records catch-ups replayed without projecting (to reach the
    /// store's progress from the engine they started with).
    pub replayed: AtomicU64,
    pub batches: AtomicU64,
    pub rows: AtomicU64,
    /// Failed store operations (each retried).
    pub failures: AtomicU64,
    pub last_error: Mutex<Option<String>>,
}

impl Stats {
    /// `ringex_history_lag_seq`: inputs offered but not yet stored.
    pub fn lag_seq(&self) -> u64 {
        self.offered
            .load(Ordering::Acquire)
            .saturating_sub(self.progress.load(Ordering::Acquire))
    }
}

/// Event buffers kept for reuse between the writer and its producer.
const SPARES: usize = 1024;

/// One input and what the engine made of it.
pub struct Step {
    pub cmd: Command,
    pub events: Vec<Event>,
}

/// The producer's handle on the writer thread.
pub struct Writer {
    tx: Option<SyncSender<Step>>,
    /// Event buffers the writer is done with, for the next offers: the
    /// producer (the network loop) allocates only while they warm up.
    spares: Receiver<Vec<Event>>,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Writer {
    /// Starts the writer thread. It first catches `store` up with the
    /// journal to [`WriterConfig::start_seq`], then takes offered inputs
    /// (the first one it expects is the one after).
    pub fn spawn(store: Box<dyn Store>, cfg: WriterConfig) -> Writer {
        Writer::spawn_from(store, cfg, None)
    }

    /// [`Writer::spawn`] with the engine a catch-up just returned (see
    /// [`crate::catch_up_from`]): the writer's first catch-up then replays
    /// nothing it has.
    pub fn spawn_from(store: Box<dyn Store>, cfg: WriterConfig, kept: Option<Engine>) -> Writer {
        let (tx, rx) = sync_channel(cfg.buffer.max(1));
        let (spare_tx, spares) = sync_channel(SPARES);
        let stats = Arc::new(Stats::default());
        // The journal up to `start_seq` is offered already: a store that is
        // down at start shows that much lag, not none.
        if let Some(s) = cfg.start_seq {
            stats.offered.store(s, Ordering::Release);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (stats.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("ringex-history".into())
            .spawn(move || {
                let mut w = Inner {
                    store,
                    cfg,
                    stats: s,
                    stop: st,
                    projector: None,
                    next: 0,
                    kept,
                };
                w.run(rx, spare_tx)
            })
            .expect("spawn the history writer");
        Writer {
            tx: Some(tx),
            spares,
            stats,
            stop,
            thread: Some(thread),
        }
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Hands one input to the writer; `false` when the buffer was full (the
    /// writer will re-derive it from the journal). Never blocks.
    pub fn offer(&self, cmd: &Command, events: &[Event]) -> bool {
        self.stats.offered.fetch_max(cmd.seq, Ordering::AcqRel);
        let Some(tx) = &self.tx else { return false };
        let mut buf = self.spares.try_recv().unwrap_or_default();
        buf.extend_from_slice(events);
        match tx.try_send(Step {
            cmd: *cmd,
            events: buf,
        }) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::AcqRel);
                self.stats.dropped_seq.fetch_max(cmd.seq, Ordering::AcqRel);
                false
            }
        }
    }

    /// Writes what was offered (catching up what was dropped), then stops.
    /// A store that stays down is given up on after `backoff_max` of
    /// retrying once stop was asked: the journal still has everything.
    pub fn stop(mut self) -> Result<(), String> {
        self.stop.store(true, Ordering::Release);
        drop(self.tx.take());
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err("the history writer panicked".into()),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Inner {
    store: Box<dyn Store>,
    cfg: WriterConfig,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    /// `None` until the first catch-up: the projector then knows the
    /// directory as of `next - 1`.
    projector: Option<Projector>,
    /// The seq the writer expects next.
    next: Seq,
    /// The engine the last catch-up ended with: the next one starts from it
    /// rather than from a snapshot (one engine's memory, for replays that
    /// stay short however often the writer falls behind).
    kept: Option<Engine>,
}

impl Inner {
    fn run(&mut self, rx: Receiver<Step>, spares: SyncSender<Vec<Event>>) -> Result<(), String> {
        self.catch_up(self.cfg.start_seq)?;
        let mut since = Instant::now();
        loop {
            match rx.recv_timeout(self.cfg.max_delay) {
                Ok(step) => {
                    let mut buf = self.take(step)?;
                    buf.clear();
                    // Full: the producer has enough; this one is freed.
                    let _ = spares.try_send(buf);
                    let p = self.projector.as_ref().expect("caught up");
                    if p.batch().commands >= self.cfg.batch_cmds
                        || (!p.batch().is_empty() && since.elapsed() >= self.cfg.max_delay)
                    {
                        self.flush()?;
                        since = Instant::now();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.flush()?;
                    since = Instant::now();
                    self.catch_up_dropped()?;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.flush()?;
                    self.catch_up_dropped()?;
                    return Ok(());
                }
            }
        }
    }

    /// Projects one offered input; gives its event buffer back.
    fn take(&mut self, step: Step) -> Result<Vec<Event>, String> {
        let seq = step.cmd.seq;
        if seq < self.next {
            return Ok(step.events);
        }
        if seq > self.next {
            // Inputs were dropped: write what we have, then re-derive the
            // rest from the journal up to just before this one.
            self.flush()?;
            self.catch_up(Some(seq - 1))?;
            if seq != self.next {
                return Err(format!(
                    "history: the journal ends at {} but input {seq} was offered",
                    self.next - 1
                ));
            }
        }
        self.projector
            .as_mut()
            .expect("caught up")
            .apply(&step.cmd, &step.events);
        self.next = seq + 1;
        Ok(step.events)
    }

    fn catch_up_dropped(&mut self) -> Result<(), String> {
        let d = self.stats.dropped_seq.load(Ordering::Acquire);
        if d >= self.next {
            self.catch_up(Some(d))?;
        }
        Ok(())
    }

    /// Retries `f` with back-off while it fails transiently.
    fn retry<T>(
        &mut self,
        what: &str,
        mut f: impl FnMut(&mut Self) -> Result<T, (String, bool)>,
    ) -> Result<T, String> {
        let mut delay = self.cfg.backoff_min;
        let mut failing_since: Option<Instant> = None;
        loop {
            match f(self) {
                Ok(t) => {
                    if failing_since.is_some() {
                        tracing::info!("history: {what} succeeded again");
                    }
                    return Ok(t);
                }
                Err((msg, transient)) => {
                    self.stats.failures.fetch_add(1, Ordering::AcqRel);
                    *self
                        .stats
                        .last_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(msg.clone());
                    if !transient {
                        tracing::error!("history: {what} failed: {msg}; the writer stops");
                        return Err(msg);
                    }
                    let since = *failing_since.get_or_insert_with(|| {
                        tracing::warn!("history: {what} failed: {msg}; retrying with back-off");
                        Instant::now()
                    });
                    if self.stop.load(Ordering::Acquire) && since.elapsed() >= self.cfg.backoff_max
                    {
                        return Err(format!("history: gave up at stop: {msg}"));
                    }
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(self.cfg.backoff_max);
                }
            }
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        let Some(p) = self.projector.as_ref() else {
            return Ok(());
        };
        if p.batch().is_empty() {
            return Ok(());
        }
        let (last, rows) = (p.batch().last_seq, p.batch().rows() as u64);
        self.retry("writing a batch", |w| {
            let b = w.projector.as_ref().expect("caught up").batch();
            w.store.apply(b).map_err(|e| (e.msg, e.transient))
        })?;
        self.projector
            .as_mut()
            .expect("caught up")
            .with_batch(|_| ());
        self.stats.batches.fetch_add(1, Ordering::AcqRel);
        self.stats.rows.fetch_add(rows, Ordering::AcqRel);
        self.stats.progress.store(last, Ordering::Release);
        Ok(())
    }

    fn catch_up(&mut self, to: Option<Seq>) -> Result<(), String> {
        let (dir, batch) = (self.cfg.data_dir.clone(), self.cfg.batch_cmds);
        let done = self.retry("catching up from the journal", |w| {
            let transient = |e: CatchUpError| {
                let transient = matches!(&e, CatchUpError::Store(s) if s.transient);
                (e.to_string(), transient)
            };
            // A store that is down must not cost the kept engine (without it
            // the next try replays from the last snapshot); a failure further
            // on does, as the engine may then have moved past what is stored.
            w.store
                .progress()
                .map_err(|e| transient(CatchUpError::Store(e)))?;
            let kept = w.kept.take();
            catch_up_from(&dir, w.store.as_mut(), to, batch, kept).map_err(transient)
        })?;
        self.stats.catch_ups.fetch_add(1, Ordering::AcqRel);
        self.stats
            .replayed
            .fetch_add(done.replayed, Ordering::AcqRel);
        self.stats.batches.fetch_add(done.batches, Ordering::AcqRel);
        self.stats.rows.fetch_add(done.rows, Ordering::AcqRel);
        self.stats.progress.store(done.to, Ordering::Release);
        self.stats.offered.fetch_max(done.to, Ordering::AcqRel);
        self.next = done.to + 1;
        self.projector = Some(Projector::new(done.engine.directory().clone()));
        self.kept = Some(done.engine);
        Ok(())
    }
}
