//! Ringex history: orders, trades and transfers in SQLite (embedded) or
//! PostgreSQL, a projection of the journal that resumes by sequence.
//!
//! What holds:
//! - The journal is the source of truth; the store is derived from it. The
//!   [`projection`] turns each input and its engine events into row
//!   changes; a [`Store`] writes a batch of them with `progress` (the last
//!   input covered) in one transaction, idempotently, so replaying any
//!   input again changes nothing.
//! - [`catch_up`] re-derives what a store misses from the journal (engine
//!   from the best snapshot at or below `progress`), after a crash or when
//!   the writer fell behind, so the store ends equal to what the journal
//!   gives, row for row ([`catch_up::derive`]).
//! - The [`writer`] runs on its own thread behind a bounded buffer and never
//!   blocks its producer.
//! - [`queries`] answer a user's own rows only, with bounded limits.
//!
//! Must never: block the business logic, write a row the journal does not
//! give, or answer one user's rows to another.

pub mod catch_up;
pub mod feed;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod projection;
pub mod queries;
pub mod reconcile;
pub mod rows;
pub mod schema;
pub mod sqlite;
pub mod store;
pub mod writer;

pub use catch_up::{catch_up, catch_up_from, derive, CatchUpError, CaughtUp};
pub use feed::Feed;
pub use projection::{Batch, MemoryStore, Projector};
pub use rows::*;
pub use store::{open, open_lazy, Store, StoreError};
pub use writer::{Stats, Writer, WriterConfig};

/// Helpers for tests against a real PostgreSQL (here and in other crates).
pub mod testing {
    /// A fresh, empty database on the server `RINGEX_TEST_PG_URL` names,
    /// as a URL; `None` (after a visible notice on stderr) when the
    /// variable is unset or this build has no PostgreSQL support.
    pub fn pg_fresh(tag: &str) -> Option<String> {
        let Ok(url) = std::env::var("RINGEX_TEST_PG_URL") else {
            notice(&format!(
                "skipping the PostgreSQL part of `{tag}`: RINGEX_TEST_PG_URL is not set \
                 (scripts/pg.sh starts a throwaway server)"
            ));
            return None;
        };
        fresh(&url, tag)
    }

    /// A fresh, empty database on the PostgreSQL server `url` names (a
    /// benchmark's own run), as a URL; `None` in a build without
    /// PostgreSQL support.
    pub fn pg_fresh_at(url: &str, tag: &str) -> Option<String> {
        fresh(url, tag)
    }

    /// Straight to stderr, past the test harness's capture, so that a
    /// skip is seen in a passing run.
    pub fn notice(msg: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "NOTICE: {msg}");
    }

    /// Runs plain SQL on the store `url` names (tests that tamper with a
    /// store, or rewind its progress).
    pub fn exec(url: &str, sql: &str) {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            return;
        }
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        rusqlite::Connection::open(path)
            .and_then(|c| c.execute_batch(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    #[cfg(feature = "postgres")]
    fn fresh(url: &str, tag: &str) -> Option<String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let db = format!(
            "t_{}_{}_{}",
            tag.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect::<String>()
                .to_lowercase(),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = postgres::Client::connect(url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("RINGEX_TEST_PG_URL={url} is set but unreachable: {e}"));
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
            .expect("drop an old test database");
        c.batch_execute(&format!("CREATE DATABASE {db}"))
            .expect("create a test database");
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url, String::new()),
        };
        let prefix = match base.rfind('/') {
            Some(i) if i > base.find("//").map_or(0, |j| j + 1) => &base[..i],
            _ => base,
        };
        Some(format!("{prefix}/{db}{query}"))
    }

    #[cfg(not(feature = "postgres"))]
    fn fresh(_url: &str, tag: &str) -> Option<String> {
        notice(&format!(
            "skipping the PostgreSQL part of `{tag}`: built without the `postgres` feature"
        ));
        None
    }
}
