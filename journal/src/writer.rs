//! Opening the journal for writing, and appending to it.
//!
//! What holds:
//! - [`Journal::open`] verifies every segment before the writer exists. A
//!   torn tail is cut (zeroed, later empty segments removed) with one
//!   `warn!` line; damage in the middle is an error and nothing is changed.
//! - The writer appends records with contiguous sequence numbers into the
//!   mapping of the current segment; every byte after the last record stays
//!   zero, so the zero length word after it marks the end.
//! - `Durability::Fsync`: when [`JournalWriter::flush_batch`] returns, every
//!   record appended before it, and the directory entries of its segments,
//!   are on stable storage. `Durability::Os`: records are in the page cache
//!   as soon as `append` returns (a process crash loses nothing) and a
//!   background thread msyncs them every `os_flush_interval`.
//! - With `prefault`, the next segment is created, sized and touched page by
//!   page (a write into every page, not just madvise) on the `journal-prep`
//!   thread while the current one fills, so a rollover only writes a header,
//!   renames a file and sends three messages. With `Durability::Fsync` that
//!   thread also msyncs the zeros, so later flushes overwrite allocated
//!   blocks instead of allocating them. Without `prefault` the writer creates
//!   the next segment itself and faults its pages in as it writes.
//! - Finished segments are msynced, unmapped and closed on the
//!   `journal-flush` thread, which in `Durability::Os` also msyncs the
//!   current segment every `os_flush_interval`.
//!
//! What it must never do: allocate or block on I/O per record (the only
//! waits are `Durability::Fsync` flushes, and a rollover that outruns the
//! preparer), or accept a sequence number that is not the next one.

use crate::error::{JournalError, Result, TornTail};
use crate::format::{
    frame_len, nonzero_end, write_frame, SegmentHeader, PAYLOAD_MAX, SEGMENT_HEADER_LEN,
};
use crate::reader::{JournalReader, Summary};
use crate::segment::{
    allocate, create_spare, list_segments, map_write, parse_segment_name, prefault_from,
    remove_temp_files, segment_file_name, sync_dir, Spare, YIELD_EVERY,
};
use engine::{encode_command, Command};
use memmap2::{MmapMut, MmapRaw};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tracing::warn;

/// How far a record is durable when its batch's outputs are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// In the page cache when `append` returns; msynced in the background.
    /// Survives a process crash, not a power loss.
    #[default]
    Os,
    /// Group commit: [`JournalWriter::flush_batch`] msyncs everything
    /// appended since the last one before returning. Survives power loss.
    Fsync,
}

/// Where and how to write the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalConfig {
    /// The data directory; segments live in `dir/journal/`.
    pub dir: PathBuf,
    /// Size of each segment file: a multiple of 4096, at least 4096.
    pub segment_bytes: u64,
    pub durability: Durability,
    /// Prepare and pre-fault the next segment in the background. When off,
    /// the writer creates the next segment itself at rollover and takes a
    /// page fault on the first write to each page (for measuring the effect).
    pub prefault: bool,
    /// `Durability::Os` only: how often the background thread msyncs.
    pub os_flush_interval: Duration,
}

impl JournalConfig {
    /// 256 MiB.
    pub const DEFAULT_SEGMENT_BYTES: u64 = 256 << 20;

    /// Defaults: 256 MiB segments, `Durability::Os`, prefault on, 100 ms
    /// background flush interval.
    pub fn new(dir: impl Into<PathBuf>) -> JournalConfig {
        JournalConfig {
            dir: dir.into(),
            segment_bytes: Self::DEFAULT_SEGMENT_BYTES,
            durability: Durability::Os,
            prefault: true,
            os_flush_interval: Duration::from_millis(100),
        }
    }

    fn validate(&self) -> Result<()> {
        let b = self.segment_bytes;
        if b < 4096 || b & 4095 != 0 || usize::try_from(b).is_err() {
            return Err(JournalError::Config(format!(
                "segment_bytes {b} must be a multiple of 4096 and at least 4096"
            )));
        }
        if self.os_flush_interval.is_zero() {
            return Err(JournalError::Config(
                "os_flush_interval must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// What [`Journal::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// The journal as the writer continues it (after any repair).
    pub summary: Summary,
    /// The torn tail that was cut off, if there was one.
    pub torn_tail: Option<TornTail>,
}

/// Entry point: `Journal::open(config)`.
pub enum Journal {}

impl Journal {
    /// Opens (or creates) the journal in `cfg.dir`, verifies it, cuts a torn
    /// tail, and returns a writer positioned after the last intact record
    /// (a new journal starts at seq 1). Damage in the middle is an error.
    ///
    /// Only one writer may have a directory open at a time.
    pub fn open(cfg: JournalConfig) -> Result<(JournalWriter, OpenReport)> {
        cfg.validate()?;
        let jdir = crate::journal_dir(&cfg.dir);
        fs::create_dir_all(&jdir).map_err(|e| JournalError::io("creating", &jdir, e))?;
        remove_temp_files(&jdir)?;

        let (mut reader, torn) = scan(&jdir)?;
        let mut fallback_next = reader.next_seq();
        if let Some(t) = &torn {
            warn!("journal: cutting {t}");
            drop(reader);
            fallback_next = fallback_next.or_else(|| {
                t.segment
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(parse_segment_name)
            });
            cut(&jdir, t)?;
            let (again, still) = scan(&jdir)?;
            if let Some(t) = still {
                return Err(JournalError::Corrupt {
                    segment: t.segment,
                    offset: t.offset,
                    seq: t.last_good_seq.map_or(1, |s| s + 1),
                    defect: t.defect,
                    next_valid_seq: None,
                });
            }
            reader = again;
        }
        let next_seq = reader.next_seq().or(fallback_next).unwrap_or(1);
        let summary = reader.summary().clone();

        let (seg, pos) = match list_segments(&jdir)?.last() {
            None => {
                let spare = create_spare(&jdir, cfg.segment_bytes, cfg.prefault)?;
                if cfg.prefault && cfg.durability == Durability::Fsync {
                    write_zeros_through(&spare)?;
                }
                let seg = install(&jdir, spare, next_seq)?;
                seg.map
                    .flush_range(0, SEGMENT_HEADER_LEN)
                    .map_err(|e| JournalError::io("syncing", &seg.path, e))?;
                (seg, SEGMENT_HEADER_LEN)
            }
            Some(last) => {
                let (end_path, end_off) = reader
                    .clean_end()
                    .filter(|(p, _)| *p == last.path)
                    .map(|(p, o)| (p.to_path_buf(), o))
                    .ok_or_else(|| {
                        JournalError::Config(format!("{} changed while opening", jdir.display()))
                    })?;
                drop(reader);
                let mut seg = open_active(&end_path)?;
                if cfg.prefault {
                    prefault_from(&mut seg.map, end_off);
                }
                (seg, end_off)
            }
        };
        sync_dir(&jdir)?;

        let pos_shared = Arc::new(AtomicUsize::new(pos));
        let bg = Background::start(&cfg, &jdir, &seg, pos_shared.clone())?;
        let writer = JournalWriter {
            inner: Inner {
                cfg,
                jdir,
                seg,
                pos,
                synced: pos,
                dir_dirty: false,
                next_seq,
                pos_shared,
                bg: Some(bg),
            },
            scratch: [0; PAYLOAD_MAX],
        };
        Ok((
            writer,
            OpenReport {
                summary,
                torn_tail: torn,
            },
        ))
    }
}

/// Walks the whole journal, framing only.
fn scan(jdir: &Path) -> Result<(JournalReader, Option<TornTail>)> {
    let mut reader = JournalReader::open_journal_dir(jdir, 0)?;
    while let Some(r) = reader.next_raw() {
        r?;
    }
    let torn = reader.torn_tail().cloned();
    Ok((reader, torn))
}

/// Removes every record after `seq` from the journal of data directory
/// `dir` (not open for writing): a standby that was a primary cuts the tail
/// the replicated stream never stored before it follows the stream. Returns
/// how many records were removed. Snapshots above `seq` are removed too.
pub fn truncate_after(dir: impl AsRef<Path>, seq: u64) -> Result<u64> {
    let dir = dir.as_ref();
    let jdir = crate::journal_dir(dir);
    let mut reader = JournalReader::open_journal_dir(&jdir, 0)?;
    let mut last = 0;
    let mut point = None;
    while let Some(r) = reader.next_raw() {
        let r = r?;
        last = r.seq;
        if r.seq == seq {
            point = reader.cut_point();
        }
    }
    if last <= seq {
        return Ok(0);
    }
    if seq == 0 {
        // Nothing kept: every segment goes.
        for e in fs::read_dir(&jdir).map_err(|e| JournalError::io("listing", &jdir, e))? {
            let p = e.map_err(|e| JournalError::io("listing", &jdir, e))?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if crate::segment::parse_segment_name(name).is_some() {
                fs::remove_file(&p).map_err(|e| JournalError::io("removing", &p, e))?;
            }
        }
    } else {
        let Some((segment, offset, later_segments)) = point else {
            return Ok(0);
        };
        cut(
            &jdir,
            &TornTail {
                segment,
                offset: offset as u64,
                last_good_seq: Some(seq),
                defect: crate::error::Defect::Length { len: 0 },
                later_segments,
            },
        )?;
    }
    for (s, path) in crate::snapshot::list(dir)? {
        if s > seq {
            fs::remove_file(&path).map_err(|e| JournalError::io("removing", &path, e))?;
        }
    }
    sync_dir(&jdir)?;
    Ok(last - seq)
}

/// Cuts a torn tail: removes segments holding nothing valid, zeroes the
/// damaged end of the last one and restores its full length.
fn cut(jdir: &Path, t: &TornTail) -> Result<()> {
    for p in &t.later_segments {
        fs::remove_file(p).map_err(|e| JournalError::io("removing", p, e))?;
    }
    let path = &t.segment;
    if t.offset < SEGMENT_HEADER_LEN as u64 {
        fs::remove_file(path).map_err(|e| JournalError::io("removing", path, e))?;
    } else {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| JournalError::io("opening", path, e))?;
        let mut head = [0u8; SEGMENT_HEADER_LEN];
        std::io::Read::read_exact(&mut &file, &mut head)
            .map_err(|e| JournalError::io("reading", path, e))?;
        let header = SegmentHeader::decode(&head).map_err(|defect| JournalError::Corrupt {
            segment: path.clone(),
            offset: 0,
            seq: t.last_good_seq.map_or(1, |s| s + 1),
            defect,
            next_valid_seq: None,
        })?;
        let len = file
            .metadata()
            .map_err(|e| JournalError::io("reading metadata of", path, e))?
            .len();
        if len < header.segment_bytes {
            file.set_len(header.segment_bytes)
                .map_err(|e| JournalError::io("extending", path, e))?;
            file.sync_all()
                .map_err(|e| JournalError::io("syncing", path, e))?;
        }
        let mut map = map_write(&file, path)?;
        let off = t.offset as usize;
        let end = off + nonzero_end(&map[off..]);
        if end > off {
            map[off..end].fill(0);
            map.flush_range(off, end - off)
                .map_err(|e| JournalError::io("syncing", path, e))?;
        }
    }
    sync_dir(jdir)
}

/// The segment being written.
struct Active {
    file: File,
    map: MmapMut,
    path: PathBuf,
}

fn open_active(path: &Path) -> Result<Active> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| JournalError::io("opening", path, e))?;
    // A segment written before blocks were reserved may still be sparse.
    let len = file
        .metadata()
        .map_err(|e| JournalError::io("reading metadata of", path, e))?
        .len();
    allocate(&file, len, path)?;
    let map = map_write(&file, path)?;
    Ok(Active {
        file,
        map,
        path: path.to_path_buf(),
    })
}

/// Gives a spare its header and its final name.
fn install(jdir: &Path, mut spare: Spare, first_seq: u64) -> Result<Active> {
    let header = SegmentHeader {
        first_seq,
        segment_bytes: spare.map.len() as u64,
    };
    spare.map[..SEGMENT_HEADER_LEN].copy_from_slice(&header.encode());
    let path = jdir.join(segment_file_name(first_seq));
    fs::rename(&spare.path, &path).map_err(|e| JournalError::io("renaming", &spare.path, e))?;
    Ok(Active {
        file: spare.file,
        map: spare.map,
        path,
    })
}

/// Appends records; see the module docs for what holds.
pub struct JournalWriter {
    inner: Inner,
    scratch: [u8; PAYLOAD_MAX],
}

struct Inner {
    cfg: JournalConfig,
    jdir: PathBuf,
    seg: Active,
    /// Offset of the end-of-data marker in `seg`.
    pos: usize,
    /// Bytes of `seg` known to be on stable storage (`Durability::Fsync`).
    synced: usize,
    /// A segment was created or renamed since the directory was last synced.
    dir_dirty: bool,
    next_seq: u64,
    pos_shared: Arc<AtomicUsize>,
    bg: Option<Background>,
}

impl JournalWriter {
    /// Appends `cmd`, whose `seq` must be [`Self::next_seq`]. Allocates nothing.
    pub fn append(&mut self, cmd: &Command) -> Result<()> {
        self.inner.check_seq(cmd.seq)?;
        let n = encode_command(cmd, &mut self.scratch).map_err(|error| JournalError::Encode {
            seq: cmd.seq,
            error,
        })?;
        self.inner.put(cmd.seq, cmd.ts_ns, &self.scratch[..n])
    }

    /// Appends an already encoded payload (1..=[`PAYLOAD_MAX`] bytes).
    /// Readers that decode ([`crate::read_records`], [`crate::verify`])
    /// expect it to be an encoded [`Command`] with the same `seq` and `ts_ns`.
    pub fn append_raw(&mut self, seq: u64, ts_ns: u64, payload: &[u8]) -> Result<()> {
        self.inner.check_seq(seq)?;
        self.inner.put(seq, ts_ns, payload)
    }

    /// Ends a batch: with `Durability::Fsync`, returns once everything
    /// appended so far is on stable storage; with `Durability::Os`, does
    /// nothing. Call it before releasing the batch's outputs.
    pub fn flush_batch(&mut self) -> Result<()> {
        match self.inner.cfg.durability {
            Durability::Fsync => self.inner.sync(),
            Durability::Os => Ok(()),
        }
    }

    /// Makes everything appended so far durable now, in either mode.
    pub fn sync(&mut self) -> Result<()> {
        self.inner.sync()
    }

    /// The sequence number the next append must carry.
    pub fn next_seq(&self) -> u64 {
        self.inner.next_seq
    }

    /// The last sequence number written (`next_seq() - 1`; 0 when none).
    pub fn last_seq(&self) -> u64 {
        self.inner.next_seq - 1
    }

    /// The segment file being written.
    pub fn segment_path(&self) -> &Path {
        &self.inner.seg.path
    }

    /// Syncs everything and stops the background thread, reporting errors
    /// that dropping the writer would only log.
    pub fn close(mut self) -> Result<()> {
        self.inner.sync()
    }
}

impl Inner {
    #[inline]
    fn check_seq(&self, seq: u64) -> Result<()> {
        if seq != self.next_seq {
            return Err(JournalError::OutOfSequence {
                expected: self.next_seq,
                got: seq,
            });
        }
        Ok(())
    }

    #[inline]
    fn put(&mut self, seq: u64, ts_ns: u64, payload: &[u8]) -> Result<()> {
        if payload.is_empty() || payload.len() > PAYLOAD_MAX {
            return Err(JournalError::PayloadSize { len: payload.len() });
        }
        let n = frame_len(payload.len());
        if self.pos + n > self.seg.map.len() {
            self.roll()?;
        }
        write_frame(
            &mut self.seg.map[self.pos..self.pos + n],
            seq,
            ts_ns,
            payload,
        );
        self.pos += n;
        self.next_seq += 1;
        self.pos_shared.store(self.pos, Ordering::Release);
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        if self.pos > self.synced {
            self.seg
                .map
                .flush_range(self.synced, self.pos - self.synced)
                .map_err(|e| JournalError::io("syncing", &self.seg.path, e))?;
            self.synced = self.pos;
        }
        if self.dir_dirty {
            sync_dir(&self.jdir)?;
            self.dir_dirty = false;
        }
        Ok(())
    }

    /// Moves to a fresh segment starting at `next_seq`.
    #[cold]
    fn roll(&mut self) -> Result<()> {
        if self.cfg.durability == Durability::Fsync {
            // The old segment's records must not be younger on disk than the
            // new segment's: persist them before writing into the new one.
            self.sync()?;
        }
        let spare = self.take_spare()?;
        let new = install(&self.jdir, spare, self.next_seq)?;
        let current_file = match self.cfg.durability {
            Durability::Os => new
                .file
                .try_clone()
                .map_err(|e| {
                    warn!(
                        "journal: no background msync for {}: {e}",
                        new.path.display()
                    )
                })
                .ok(),
            Durability::Fsync => None,
        };
        let old = std::mem::replace(&mut self.seg, new);
        self.pos = SEGMENT_HEADER_LEN;
        self.synced = 0;
        self.dir_dirty = true;
        self.pos_shared.store(self.pos, Ordering::Release);
        let bg = self
            .bg
            .as_mut()
            .expect("background threads run while the writer lives");
        bg.prepare(self.cfg.segment_bytes);
        bg.flush(FlushMsg::Retire(old));
        if let Some(f) = current_file {
            bg.flush(FlushMsg::Current(f));
        }
        Ok(())
    }

    fn take_spare(&mut self) -> Result<Spare> {
        match self.bg.as_mut().and_then(Background::take_spare) {
            Some(spare) => spare,
            None => create_spare(&self.jdir, self.cfg.segment_bytes, self.cfg.prefault),
        }
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        if let Err(e) = self.inner.sync() {
            warn!("journal: final sync failed: {e}");
        }
        if let Some(bg) = self.inner.bg.take() {
            bg.stop();
        }
    }
}

/// To the flusher thread.
enum FlushMsg {
    /// The segment now being written (`Durability::Os` flushing).
    Current(File),
    /// A finished segment: flush, unmap and close it off the writer's thread.
    Retire(Active),
}

/// The writer's helper threads: a flusher (always) that retires finished
/// segments and, with `Durability::Os`, msyncs the current one
/// periodically; and a preparer (with `prefault`) that creates the next
/// segment. They are separate so a slow msync never delays the next spare.
struct Background {
    flush_tx: Option<Sender<FlushMsg>>,
    flusher: Option<JoinHandle<()>>,
    prep_tx: Option<Sender<u64>>,
    spares: Option<Receiver<Result<Spare>>>,
    preparer: Option<JoinHandle<()>>,
    pending_spare: bool,
}

impl Background {
    fn start(
        cfg: &JournalConfig,
        jdir: &Path,
        seg: &Active,
        pos: Arc<AtomicUsize>,
    ) -> Result<Background> {
        let spawn_err = |e| JournalError::io("starting a background thread for", jdir, e);
        let interval = (cfg.durability == Durability::Os).then_some(cfg.os_flush_interval);
        let (flush_tx, rx) = mpsc::channel();
        let flusher = std::thread::Builder::new()
            .name("journal-flush".into())
            .spawn(move || flusher(rx, pos, interval))
            .map_err(spawn_err)?;
        let mut bg = Background {
            flush_tx: Some(flush_tx),
            flusher: Some(flusher),
            prep_tx: None,
            spares: None,
            preparer: None,
            pending_spare: false,
        };
        if interval.is_some() {
            let f = seg
                .file
                .try_clone()
                .map_err(|e| JournalError::io("duplicating handle of", &seg.path, e))?;
            bg.flush(FlushMsg::Current(f));
        }
        if cfg.prefault {
            let (prep_tx, rx) = mpsc::channel();
            let (spare_tx, spares) = mpsc::channel();
            let dir = jdir.to_path_buf();
            let sync = cfg.durability == Durability::Fsync;
            bg.preparer = Some(
                std::thread::Builder::new()
                    .name("journal-prep".into())
                    .spawn(move || preparer(dir, rx, spare_tx, sync))
                    .map_err(spawn_err)?,
            );
            bg.prep_tx = Some(prep_tx);
            bg.spares = Some(spares);
            bg.prepare(cfg.segment_bytes);
        }
        Ok(bg)
    }

    fn flush(&mut self, msg: FlushMsg) {
        let sent = self.flush_tx.as_ref().map(|tx| tx.send(msg));
        if let Some(Err(mpsc::SendError(FlushMsg::Retire(seg)))) = sent {
            // The flusher is gone: retire inline.
            retire(seg);
        }
    }

    /// Asks the preparer for the next spare.
    fn prepare(&mut self, bytes: u64) {
        self.pending_spare = self
            .prep_tx
            .as_ref()
            .is_some_and(|tx| tx.send(bytes).is_ok());
    }

    /// The spare asked for, if one was (waits for it to be ready).
    fn take_spare(&mut self) -> Option<Result<Spare>> {
        if !std::mem::take(&mut self.pending_spare) {
            return None;
        }
        let got = self.spares.as_ref()?.recv().ok();
        if got.is_none() {
            warn!("journal: segment preparer gone; creating the next segment inline");
        }
        got
    }

    fn stop(mut self) {
        // Closing the channels ends the threads.
        self.flush_tx = None;
        self.prep_tx = None;
        for h in [self.flusher.take(), self.preparer.take()]
            .into_iter()
            .flatten()
        {
            if h.join().is_err() {
                warn!("journal: a background thread panicked");
            }
        }
        // A spare nobody will use.
        if let Some(spares) = &self.spares {
            while let Ok(spare) = spares.try_recv() {
                if let Ok(spare) = spare {
                    drop(spare.map);
                    let _ = fs::remove_file(&spare.path);
                }
            }
        }
    }
}

fn preparer(jdir: PathBuf, rx: Receiver<u64>, spares: Sender<Result<Spare>>, sync: bool) {
    while let Ok(bytes) = rx.recv() {
        let spare = create_spare(&jdir, bytes, true).and_then(|s| {
            if sync {
                write_zeros_through(&s)?;
            }
            Ok(s)
        });
        if spares.send(spare).is_err() {
            break;
        }
    }
}

/// Gets a prefaulted spare's zeros onto the disk, so the writer's
/// `Durability::Fsync` flushes overwrite allocated blocks instead of
/// allocating them (no filesystem journal commit per flush). Done in slices
/// so the writer's own flushes never queue behind one huge write.
fn write_zeros_through(s: &Spare) -> Result<()> {
    flush_in_slices(&s.map, s.map.len()).map_err(|e| JournalError::io("syncing", &s.path, e))
}

/// msyncs `map[..len]` a slice at a time, yielding the CPU between slices.
fn flush_in_slices(map: &MmapMut, len: usize) -> std::io::Result<()> {
    let mut off = 0;
    while off < len {
        let n = YIELD_EVERY.min(len - off);
        map.flush_range(off, n)?;
        off += n;
        std::thread::yield_now();
    }
    Ok(())
}

fn retire(seg: Active) {
    if let Err(e) = flush_in_slices(&seg.map, seg.map.len()) {
        warn!(
            "journal: syncing finished segment {} failed: {e}",
            seg.path.display()
        );
    }
}

fn flusher(rx: Receiver<FlushMsg>, pos: Arc<AtomicUsize>, interval: Option<Duration>) {
    let mut current: Option<MmapRaw> = None;
    let mut flushed = 0usize;
    let mut last_flush = Instant::now();
    let flush = |current: &Option<MmapRaw>, flushed: &mut usize| {
        if let Some(m) = current {
            let p = pos.load(Ordering::Acquire).min(m.len());
            if p > *flushed {
                match m.flush_range(*flushed, p - *flushed) {
                    Ok(()) => *flushed = p,
                    Err(e) => warn!("journal: background msync failed: {e}"),
                }
            }
        }
    };
    loop {
        let msg = match interval {
            Some(iv) => match rx.recv_timeout(iv.saturating_sub(last_flush.elapsed())) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            },
        };
        match msg {
            Some(FlushMsg::Current(file)) => {
                current = MmapRaw::map_raw(&file)
                    .map_err(|e| warn!("journal: background mapping failed: {e}"))
                    .ok();
                flushed = 0;
            }
            Some(FlushMsg::Retire(seg)) => retire(seg),
            None => {}
        }
        if let Some(iv) = interval {
            if last_flush.elapsed() >= iv {
                flush(&current, &mut flushed);
                last_flush = Instant::now();
            }
        }
    }
    flush(&current, &mut flushed);
}
