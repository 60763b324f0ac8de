//! The drop copy: `{"op":"subscribe","channels":["events"],"from_seq":N}`
//! sends the admin or a `dropcopy` user every sequenced event from input
//! `N` on, first the backfill derived from the journal, then live, then
//! `{"type":"caught_up","seq":M}` once.
//!
//! What holds:
//! - Every event of every input from `N` on reaches the session exactly
//!   once, in sequence order, in the form of `ringex-replay events`
//!   ([`json::encode_sequenced_event`]): no gap and no duplicate at the
//!   switch from backfill to live. `caught_up` says every event of every
//!   input up to `M` has been sent; live events follow.
//! - The backfill is derived on a worker thread, never on the event loop
//!   nor the business logic: an engine from the newest snapshot at or
//!   below `N - 1`, replaying the journal up to `T`, the last input the
//!   router had seen an event of when the subscription came; live events
//!   after `T` are buffered meanwhile. The journal holds `T`: no output
//!   exists for an input that is not journaled.
//! - Bounded memory: the worker hands over pages of about [`PAGE_BYTES`]
//!   (whole inputs) through a channel of [`PAGES_IN_FLIGHT`], and a page
//!   is taken only while the session's outbox is at most half full, so a slow
//!   reader slows its worker down instead of growing a queue. The live
//!   buffer is bounded (`SessionLimits::dropcopy_buffer_bytes`); beyond, it is dropped and the
//!   backfill starts again from the first input not sent, up to the newest
//!   input seen (the session falls behind, it is never cut). Once live, a
//!   reader that cannot keep up overflows its outbox and is closed, like
//!   every subscriber; it resumes with `from_seq` = its last seq + 1.
//! - At most [`MAX_BACKFILLS`] backfills run at once; more are answered
//!   `overloaded`.
//!
//! Must never: send an event twice or skip one, block the loop on the
//! journal, or serve a trader.

use super::{Router, Wire};
use engine::{Event, Role};
use pipeline::{OutSlot, Output};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use wire::json;
use wire::{Channel, ErrorCode, WireError};

/// The most JSON a backfill page holds (a page ends on an input's end), and
/// at most an eighth of a session's send queue.
pub const PAGE_BYTES: usize = 64 << 10;
/// Pages a worker may have ready before it waits.
pub const PAGES_IN_FLIGHT: usize = 4;
/// Live events held for a session while its backfill runs (by default:
/// `SessionLimits::dropcopy_buffer_bytes`).
pub const BUFFER_BYTES: usize = 8 << 20;
/// Backfill workers running at once.
pub const MAX_BACKFILLS: usize = 8;

/// What a backfill worker sends.
enum Page {
    /// Messages of whole inputs, the last of which is `upto`.
    Events {
        lines: Vec<String>,
        upto: u64,
    },
    /// Every input up to the job's end was sent.
    Done,
    Failed(String),
}

/// A running backfill: its pages, and a flag that stops its worker when
/// the job is dropped (the session left, or the backfill starts again).
struct Job {
    pages: Receiver<Page>,
    cancel: Arc<AtomicBool>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

enum State {
    Backfill {
        job: Job,
        /// The job's last input: live events after it are buffered.
        to: u64,
        buffer: VecDeque<(u64, String)>,
        buffered: usize,
    },
    Live,
}

struct Sub {
    /// Every event of the inputs before `next` was sent.
    next: u64,
    state: State,
}

/// The drop-copy sessions and what the router has seen of the stream.
pub(super) struct DropCopy {
    /// Where the journal and snapshots are; `None`: no drop copy here.
    data_dir: Option<PathBuf>,
    subs: FxHashMap<u32, Sub>,
    /// The input of the last event routed, and the last input whose events
    /// were all routed.
    seen_seq: u64,
    done_seq: u64,
    line: String,
    buffer_bytes: usize,
    page_bytes: usize,
    /// Backfills started again after a live buffer overflowed.
    restarts: u64,
}

impl DropCopy {
    pub(super) fn new(last_seq: u64, buffer_bytes: usize, send_queue_bytes: usize) -> DropCopy {
        DropCopy {
            data_dir: None,
            subs: FxHashMap::default(),
            seen_seq: last_seq,
            done_seq: last_seq,
            line: String::new(),
            buffer_bytes,
            page_bytes: (send_queue_bytes / 8).clamp(1, PAGE_BYTES),
            restarts: 0,
        }
    }

    fn backfills(&self) -> usize {
        self.subs
            .values()
            .filter(|s| matches!(s.state, State::Backfill { .. }))
            .count()
    }
}

/// Starts a worker deriving the events of inputs `from..=to`.
fn spawn_backfill(data_dir: PathBuf, from: u64, to: u64, page_bytes: usize) -> Job {
    let (tx, rx) = sync_channel(PAGES_IN_FLIGHT);
    let cancel = Arc::new(AtomicBool::new(false));
    let spawned = std::thread::Builder::new()
        .name("dropcopy-backfill".into())
        .spawn({
            let tx = tx.clone();
            let cancel = cancel.clone();
            move || {
                if let Err(e) = backfill(&data_dir, from, to, page_bytes, &cancel, &tx) {
                    let _ = tx.send(Page::Failed(e));
                }
            }
        });
    if let Err(e) = spawned {
        let _ = tx.try_send(Page::Failed(format!("no backfill thread: {e}")));
    }
    Job { pages: rx, cancel }
}

/// The worker: an engine from the best snapshot at or below `from - 1`,
/// replayed through `to`, the events of `from..=to` sent page by page.
/// Returns quietly when the job was dropped (`cancel`, checked at every
/// record) or its channel closed.
fn backfill(
    data_dir: &std::path::Path,
    from: u64,
    to: u64,
    page_bytes: usize,
    cancel: &AtomicBool,
    tx: &SyncSender<Page>,
) -> Result<(), String> {
    let (mut engine, _) = history::catch_up::start_engine(data_dir, from.saturating_sub(1))
        .map_err(|e| e.to_string())?;
    let mut events: Vec<Event> = Vec::with_capacity(256);
    let (mut lines, mut bytes) = (Vec::new(), 0usize);
    let records =
        journal::read_records(data_dir, engine.last_seq() + 1).map_err(|e| e.to_string())?;
    for rec in records {
        if cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let rec = rec.map_err(|e| e.to_string())?;
        if rec.seq > to {
            break;
        }
        events.clear();
        engine
            .apply(&rec.command, &mut events)
            .map_err(|e| format!("the engine refused journaled input {}: {e}", rec.seq))?;
        if rec.seq >= from {
            for ev in &events {
                let mut s = String::with_capacity(256);
                json::encode_sequenced_event(ev, rec.seq, engine.directory(), &mut s);
                bytes += s.len();
                lines.push(s);
            }
            if bytes >= page_bytes || rec.seq == to {
                let page = Page::Events {
                    lines: std::mem::take(&mut lines),
                    upto: rec.seq,
                };
                bytes = 0;
                if tx.send(page).is_err() {
                    return Ok(());
                }
            }
        }
        if rec.seq >= to {
            break;
        }
    }
    if engine.last_seq() < to {
        return Err(format!(
            "the journal ends at input {} before {to}",
            engine.last_seq()
        ));
    }
    let _ = tx.send(Page::Done);
    Ok(())
}

impl Router {
    /// Serves the drop copy from the journal and snapshots in `data_dir`.
    pub fn enable_dropcopy(&mut self, data_dir: PathBuf) {
        self.dropcopy.data_dir = Some(data_dir);
    }

    /// `subscribe` to `events` from `from_seq`.
    pub(super) fn subscribe_events(
        &mut self,
        sid: u32,
        from_seq: Option<u64>,
        req_id: Option<u64>,
    ) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let fail = |code, msg: String| WireError::new(req_id, code, msg);
        let refusal = match (s.wire, s.user) {
            (Wire::Ws, Some((_, Role::Admin | Role::DropCopy))) => None,
            (Wire::Ws, _) => Some(fail(
                ErrorCode::Forbidden,
                "the events channel is for the admin and dropcopy users".into(),
            )),
            _ => Some(fail(
                ErrorCode::Malformed,
                "the events channel is served over WebSocket".into(),
            )),
        };
        let dc = &self.dropcopy;
        let refusal = refusal.or_else(|| match (&dc.data_dir, from_seq) {
            (None, _) => Some(fail(
                ErrorCode::Unavailable,
                "no drop copy on this server".into(),
            )),
            (_, Some(n)) if n > dc.done_seq + 1 => Some(fail(
                ErrorCode::Malformed,
                format!("from_seq {n} is beyond the next input, {}", dc.done_seq + 1),
            )),
            _ if dc.subs.contains_key(&sid) => Some(fail(
                ErrorCode::Malformed,
                "already subscribed to events".into(),
            )),
            (Some(_), Some(n)) if n.max(1) <= dc.seen_seq && dc.backfills() >= MAX_BACKFILLS => {
                Some(fail(
                    ErrorCode::Overloaded,
                    "too many drop-copy backfills running, try again".into(),
                ))
            }
            _ => None,
        });
        if let Some(e) = refusal {
            return self.error(sid, &e);
        }
        let from = from_seq.unwrap_or(dc.done_seq + 1).max(1);
        self.text_buf.clear();
        json::encode_subscribed(&[Channel::Events], true, req_id, &mut self.text_buf);
        let ack = self.text_buf.clone();
        let dc = &mut self.dropcopy;
        let state = match (&dc.data_dir, from <= dc.seen_seq) {
            (Some(dir), true) => State::Backfill {
                job: spawn_backfill(dir.clone(), from, dc.seen_seq, dc.page_bytes),
                to: dc.seen_seq,
                buffer: VecDeque::new(),
                buffered: 0,
            },
            _ => State::Live,
        };
        let live = matches!(state, State::Live);
        dc.subs.insert(sid, Sub { next: from, state });
        let done = dc.done_seq;
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.out.push_text(ack);
            if live {
                s.out.push_text(caught_up(done));
            }
        }
    }

    /// `unsubscribe` from `events`: stops its backfill, if any.
    pub(super) fn unsubscribe_events(&mut self, sid: u32, req_id: Option<u64>) {
        self.dropcopy.subs.remove(&sid);
        self.text_buf.clear();
        json::encode_subscribed(&[Channel::Events], false, req_id, &mut self.text_buf);
        let ack = self.text_buf.clone();
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.out.push_text(ack);
        }
    }

    /// Backfills started again because a live buffer overflowed.
    pub fn dropcopy_restarts(&self) -> u64 {
        self.dropcopy.restarts
    }

    /// A session closed.
    pub(super) fn dropcopy_close(&mut self, sid: u32) {
        self.dropcopy.subs.remove(&sid);
    }

    /// One outbound slot, before the router routes it: each event goes to
    /// the live sessions, and to the buffer of those still backfilling.
    pub(super) fn dropcopy_on_output(&mut self, o: &OutSlot) {
        let Output::Event(ev) = &o.output else {
            return;
        };
        let dc = &mut self.dropcopy;
        dc.seen_seq = dc.seen_seq.max(o.seq);
        if o.last {
            dc.done_seq = dc.done_seq.max(o.seq);
        }
        if dc.subs.is_empty() {
            return;
        }
        dc.line.clear();
        json::encode_sequenced_event(ev, o.seq, &self.dir, &mut dc.line);
        let mut restart = Vec::new();
        for (&sid, sub) in dc.subs.iter_mut() {
            if o.seq < sub.next {
                continue;
            }
            match &mut sub.state {
                State::Live => {
                    if let Some(s) = self.sessions.get_mut(&sid) {
                        s.out.push_text(dc.line.clone());
                    }
                    if o.last {
                        sub.next = o.seq + 1;
                    }
                }
                State::Backfill {
                    to,
                    buffer,
                    buffered,
                    ..
                } if o.seq > *to => {
                    if *buffered + dc.line.len() > dc.buffer_bytes {
                        restart.push(sid);
                        continue;
                    }
                    *buffered += dc.line.len();
                    buffer.push_back((o.seq, dc.line.clone()));
                }
                State::Backfill { .. } => {}
            }
        }
        for sid in restart {
            self.restart_backfill(sid);
        }
    }

    /// The live buffer of `sid` overflowed: derive again, from the first
    /// input not sent up to the newest input seen.
    fn restart_backfill(&mut self, sid: u32) {
        let dc = &mut self.dropcopy;
        dc.restarts += 1;
        let (Some(dir), Some(sub)) = (&dc.data_dir, dc.subs.get_mut(&sid)) else {
            return;
        };
        tracing::info!(
            sid,
            from_seq = sub.next,
            to_seq = dc.seen_seq,
            "drop copy: live buffer full during the backfill; backfilling again"
        );
        sub.state = State::Backfill {
            job: spawn_backfill(dir.clone(), sub.next, dc.seen_seq, dc.page_bytes),
            to: dc.seen_seq,
            buffer: VecDeque::new(),
            buffered: 0,
        };
    }

    /// Moves backfill pages into the outboxes that have room, and switches
    /// a finished backfill to live (the buffer, then `caught_up`). Called
    /// once per loop cycle; never waits. Returns how many pages it moved.
    pub fn dropcopy_poll(&mut self) -> usize {
        if self.dropcopy.backfills() == 0 {
            return 0;
        }
        let mut moved = 0;
        let done_seq = self.dropcopy.done_seq;
        let mut failed = Vec::new();
        for (&sid, sub) in self.dropcopy.subs.iter_mut() {
            let Some(s) = self.sessions.get_mut(&sid) else {
                continue;
            };
            let State::Backfill {
                job, buffer, to, ..
            } = &mut sub.state
            else {
                continue;
            };
            while s.out.queued <= s.out.max_bytes / 2 {
                match job.pages.try_recv() {
                    Ok(Page::Events { lines, upto }) => {
                        moved += 1;
                        for l in lines {
                            s.out.push_text(l);
                        }
                        sub.next = upto + 1;
                    }
                    Ok(Page::Done) => {
                        // Inputs up to `to` came from the journal (also one
                        // whose first events were routed before the
                        // subscription); those after it, from the buffer.
                        for (_, l) in buffer.drain(..) {
                            s.out.push_text(l);
                        }
                        // Every input up to `m` is whole; the rest of an
                        // input partly buffered goes on live.
                        let m = (*to).max(done_seq);
                        sub.next = m + 1;
                        s.out.push_text(caught_up(m));
                        sub.state = State::Live;
                        break;
                    }
                    Ok(Page::Failed(e)) => {
                        failed.push((sid, e));
                        break;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        failed.push((sid, "the backfill stopped".into()));
                        break;
                    }
                }
            }
        }
        for (sid, e) in failed {
            tracing::warn!(sid, "drop copy backfill failed: {e}");
            self.dropcopy.subs.remove(&sid);
            self.error(
                sid,
                &WireError::new(None, ErrorCode::Unavailable, format!("drop copy: {e}")),
            );
            self.close_after_output(sid);
        }
        moved
    }
}

/// `{"type":"caught_up","seq":M}`.
fn caught_up(seq: u64) -> String {
    format!("{{\"type\":\"caught_up\",\"seq\":{seq}}}")
}
