//! The history query worker: a thread of its own, with its own connection
//! to the history store, that answers the history queries (`order`,
//! `order_history`, `my_trades`, `transfers`, `executions`) for the event
//! loop.
//!
//! What holds:
//! - The event loop never waits on the database: it hands a request over a
//!   bounded channel ([`QueryWorker::try_ask`] refuses at once when it is
//!   full: the loop answers `overloaded`) and takes the answers back each
//!   cycle ([`QueryWorker::answers`]); the worker wakes the loop when it
//!   has answered.
//! - The store is its own: SQLite in WAL mode reads beside the writer, a
//!   PostgreSQL store is another client. A failed store operation answers
//!   `history_unavailable` and the connection is opened again for the next
//!   request; nothing is retried behind the caller's back.
//! - Read-your-writes: each request names the last input handed out when it
//!   was asked (`min_seq`); the worker waits (a short, bounded while) until
//!   the writer's progress covers it, so an order just placed, filled or
//!   cancelled is found. Every answer names the store's progress it was
//!   read at (`as_of_seq`).
//! - Every query is the caller's own data unless the caller is the admin
//!   (the SQL of `history::queries` carries the user).
//!
//! Must never: block the event loop, or answer one user's rows to another.

use history::queries::{self, Caller, HistoryFilter, OrderKey, QueryError};
use history::{OrderRow, Stats, Store, StoreError, TradeRow, TransferRow};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wire::{HistoryQuery, OrderLookup};

/// Requests waiting for the worker at most; one more is `overloaded`.
pub const QUEUE_DEPTH: usize = 256;
/// Longest a request waits for the writer to store what it must see.
pub const CATCH_UP_WAIT: Duration = Duration::from_millis(500);

/// One question from a session.
#[derive(Clone, Debug)]
pub struct Ask {
    pub sid: u32,
    pub req_id: Option<u64>,
    pub caller: Caller,
    pub query: HistoryQuery,
    /// The last input handed out when the request arrived.
    pub min_seq: u64,
}

/// What the store gave.
#[derive(Clone, Debug)]
pub enum Rows {
    Order(Box<OrderRow>),
    Orders(Vec<OrderRow>),
    Trades(Vec<TradeRow>),
    Transfers(Vec<TransferRow>),
}

/// A page of rows, the next page's cursor, and the store's progress it was
/// read at.
#[derive(Clone, Debug)]
pub struct Page {
    pub rows: Rows,
    pub next_cursor: Option<u64>,
    pub as_of_seq: u64,
}

/// The worker's answer to one [`Ask`].
#[derive(Clone, Debug)]
pub struct Answer {
    pub ask: Ask,
    pub result: Result<Page, QueryError>,
}

/// Opens the worker's own store connection (called again after a failure).
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn Store>, StoreError> + Send>;

pub struct QueryWorker {
    tx: Option<SyncSender<Box<Ask>>>,
    rx: Receiver<Answer>,
    thread: Option<JoinHandle<()>>,
}

impl QueryWorker {
    /// Starts the worker. `stats`: the writer's (for `min_seq`); `wake`:
    /// how to wake the event loop (none when the loop never sleeps).
    pub fn spawn(
        open: Opener,
        stats: Option<Arc<Stats>>,
        wake: Option<Arc<dyn pipeline::Waker>>,
    ) -> std::io::Result<QueryWorker> {
        let (tx, asks) = mpsc::sync_channel::<Box<Ask>>(QUEUE_DEPTH);
        let (answers, rx) = mpsc::channel::<Answer>();
        let thread = std::thread::Builder::new()
            .name("history-queries".into())
            .spawn(move || {
                let mut w = Worker {
                    open,
                    store: None,
                    stats,
                };
                for ask in asks {
                    let result = w.answer(&ask);
                    if answers.send(Answer { ask: *ask, result }).is_err() {
                        return;
                    }
                    if let Some(k) = &wake {
                        k.wake();
                    }
                }
            })?;
        Ok(QueryWorker {
            tx: Some(tx),
            rx,
            thread: Some(thread),
        })
    }

    /// Hands a request over; `Err` gives it back when the queue is full.
    pub fn try_ask(&self, ask: Ask) -> Result<(), Box<Ask>> {
        match self.tx.as_ref().map(|t| t.try_send(Box::new(ask))) {
            Some(Ok(())) => Ok(()),
            Some(Err(TrySendError::Full(a) | TrySendError::Disconnected(a))) => Err(a),
            None => unreachable!("the sender lives until drop"),
        }
    }

    /// The answers ready now (never waits).
    pub fn answers(&self) -> impl Iterator<Item = Answer> + '_ {
        self.rx.try_iter()
    }
}

impl Drop for QueryWorker {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    open: Opener,
    store: Option<Box<dyn Store>>,
    stats: Option<Arc<Stats>>,
}

impl Worker {
    fn answer(&mut self, ask: &Ask) -> Result<Page, QueryError> {
        self.wait_for(ask.min_seq);
        if self.store.is_none() {
            self.store = Some((self.open)()?);
        }
        let store = self.store.as_deref_mut().expect("opened above");
        let r = run(store, ask.caller, &ask.query);
        if let Err(QueryError::Store(e)) = &r {
            tracing::warn!(error = %e, "history query failed; the store is opened again next time");
            self.store = None;
        }
        r
    }

    /// Waits (bounded) until the writer stored input `seq`.
    fn wait_for(&self, seq: u64) {
        let Some(st) = &self.stats else { return };
        let deadline = Instant::now() + CATCH_UP_WAIT;
        while st.progress.load(Ordering::Acquire) < seq && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Runs one query on `store`.
pub fn run(store: &mut dyn Store, caller: Caller, q: &HistoryQuery) -> Result<Page, QueryError> {
    let as_of_seq = store.progress()?;
    let limit = u64::from(q.limit());
    let (rows, next_cursor) = match *q {
        HistoryQuery::Order { key } => {
            let key = match key {
                OrderLookup::Id(n) => OrderKey::Id(n),
                OrderLookup::Client(c) => OrderKey::Client(c),
            };
            (
                Rows::Order(Box::new(queries::order(store, caller, key)?)),
                None,
            )
        }
        HistoryQuery::OrderHistory {
            symbol,
            from_ts,
            to_ts,
            before_order_id,
            ..
        } => {
            let mut f = HistoryFilter {
                symbol,
                from_ts,
                to_ts,
                before_order_id,
            };
            let v = queries::order_history(store, caller, &f, limit)?;
            let next = full_page(
                &v,
                limit,
                |r| r.order_id,
                |last| {
                    f.before_order_id = Some(last);
                    Ok(!queries::order_history(store, caller, &f, 1)?.is_empty())
                },
            )?;
            (Rows::Orders(v), next)
        }
        HistoryQuery::MyTrades {
            symbol,
            from_trade_id,
            ..
        } => {
            let v = queries::my_trades(store, caller, symbol, from_trade_id, limit)?;
            let next = full_page(
                &v,
                limit,
                |r| r.trade_id + 1,
                |from| Ok(!queries::my_trades(store, caller, symbol, Some(from), 1)?.is_empty()),
            )?;
            (Rows::Trades(v), next)
        }
        HistoryQuery::Transfers { after_seq, .. } => {
            let v = queries::transfers(store, caller, after_seq, limit)?;
            let next = full_page(
                &v,
                limit,
                |r| r.seq,
                |after| Ok(!queries::transfers(store, caller, Some(after), 1)?.is_empty()),
            )?;
            (Rows::Transfers(v), next)
        }
        HistoryQuery::Executions {
            symbol,
            before_trade_id,
            ..
        } => {
            let v = queries::executions(store, symbol, before_trade_id, limit)?;
            let next = full_page(
                &v,
                limit,
                |r| r.trade_id,
                |before| Ok(!queries::executions(store, symbol, Some(before), 1)?.is_empty()),
            )?;
            (Rows::Trades(v), next)
        }
    };
    Ok(Page {
        rows,
        next_cursor,
        as_of_seq,
    })
}

/// The next page's cursor: `None` unless the page is full and at least one
/// row follows (asked with `more`), so the last page says so exactly.
fn full_page<T>(
    v: &[T],
    limit: u64,
    cursor: impl Fn(&T) -> u64,
    more: impl FnOnce(u64) -> Result<bool, QueryError>,
) -> Result<Option<u64>, QueryError> {
    match v.last() {
        Some(last) if v.len() as u64 >= limit => {
            let c = cursor(last);
            Ok(more(c)?.then_some(c))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::RecvTimeoutError;

    fn ask(query: HistoryQuery) -> Ask {
        Ask {
            sid: 7,
            req_id: Some(3),
            caller: Caller::User(1),
            query,
            min_seq: 0,
        }
    }

    /// Waits for the worker's next answer (bounded).
    fn next(w: &QueryWorker) -> Answer {
        match w.rx.recv_timeout(Duration::from_secs(10)) {
            Ok(a) => a,
            Err(RecvTimeoutError::Timeout) => panic!("no answer"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_store_that_cannot_be_opened_answers_unavailable_and_is_tried_again() {
        let tries = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let t = tries.clone();
        let w = QueryWorker::spawn(
            Box::new(move || {
                t.fetch_add(1, Ordering::Relaxed);
                Err(StoreError::transient("connection refused"))
            }),
            None,
            None,
        )
        .unwrap();
        for _ in 0..2 {
            w.try_ask(ask(HistoryQuery::Transfers {
                after_seq: None,
                limit: None,
            }))
            .unwrap();
            let a = next(&w);
            assert_eq!((a.ask.sid, a.ask.req_id), (7, Some(3)));
            match a.result {
                Err(e) => assert_eq!(e.code(), "history_unavailable"),
                Ok(p) => panic!("{p:?}"),
            }
        }
        assert_eq!(tries.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn an_empty_store_answers_empty_pages_and_unknown_orders() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("h.sqlite").display());
        let w = QueryWorker::spawn(Box::new(move || history::open(&url)), None, None).unwrap();
        w.try_ask(ask(HistoryQuery::Order {
            key: OrderLookup::Id(1),
        }))
        .unwrap();
        match next(&w).result {
            Err(QueryError::UnknownOrder) => {}
            other => panic!("{other:?}"),
        }
        w.try_ask(ask(HistoryQuery::MyTrades {
            symbol: None,
            from_trade_id: None,
            limit: Some(1),
        }))
        .unwrap();
        let p = next(&w).result.unwrap();
        assert!(matches!(&p.rows, Rows::Trades(v) if v.is_empty()), "{p:?}");
        assert_eq!((p.next_cursor, p.as_of_seq), (None, 0));
    }
}
