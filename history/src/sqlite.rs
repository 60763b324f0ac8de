//! The embedded store: one SQLite file in WAL mode.
//!
//! What holds: one transaction per batch (`BEGIN IMMEDIATE … COMMIT`) with
//! prepared, cached statements; a 64 MiB page cache; `synchronous =
//! NORMAL`, which in WAL mode loses at most the last transactions on power
//! loss, never consistency: `progress` commits with the rows it covers, and
//! the journal re-derives whatever a lost transaction held.

use crate::projection::Batch;
use crate::schema::{self, *};
use crate::store::*;
use engine::Seq;
use rusqlite::{params, Connection, OptionalExtension};

pub struct SqliteStore {
    conn: Connection,
}

fn err(e: rusqlite::Error) -> StoreError {
    // Busy or locked databases and I/O errors may pass; the rest will not.
    let transient = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy)
            | Some(rusqlite::ErrorCode::DatabaseLocked)
            | Some(rusqlite::ErrorCode::SystemIoFailure)
            | Some(rusqlite::ErrorCode::DiskFull)
    );
    StoreError {
        msg: format!("sqlite: {e}"),
        transient,
    }
}

impl SqliteStore {
    /// Opens or creates the store at `path` (`:memory:` for a throwaway one).
    pub fn open(path: &str) -> Result<SqliteStore> {
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // 64 MiB of page cache (the default 2 MiB makes every upsert of an
        // older order a read through the kernel).
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(err)?;
        let mut s = SqliteStore { conn };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn.execute(schema::VERSION_TABLE, []).map_err(err)?;
        let tx = self.conn.transaction().map_err(err)?;
        let have: i64 = tx
            .query_row("SELECT version FROM schema_version WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)?
            .unwrap_or(0);
        if have > VERSION {
            return Err(StoreError::fatal(format!(
                "the store has schema version {have}, this build knows up to {VERSION}"
            )));
        }
        for m in &MIGRATIONS[have as usize..] {
            tx.execute_batch(m).map_err(err)?;
        }
        tx.execute(
            "INSERT INTO schema_version (id, version) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            [VERSION],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }
}

struct SqlRow<'a, 'b>(&'a rusqlite::Row<'b>);

impl Get for SqlRow<'_, '_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        self.0.get(i).map_err(err)
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        self.0.get(i).map_err(err)
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        self.0.get(i).map_err(err)
    }
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn progress(&mut self) -> Result<Seq> {
        let v: i64 = self
            .conn
            .query_row("SELECT seq FROM progress WHERE id = 1", [], |r| r.get(0))
            .map_err(err)?;
        Ok(v as Seq)
    }

    fn apply(&mut self, b: &Batch) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(&format!(
                    "INSERT INTO orders ({ORDER_COLS}) VALUES ({}) {ORDER_CONFLICT}",
                    placeholders(21)
                ))
                .map_err(err)?;
            for c in &b.orders {
                let o = &c.row;
                st.execute(params![
                    i(o.order_id),
                    i(o.user),
                    name_str(&o.symbol),
                    o.side,
                    o.order_type,
                    o.tif,
                    o.price,
                    o.stop_price,
                    o.qty,
                    o.display_qty,
                    o.filled_qty,
                    o.quote_filled,
                    o.status,
                    o.reason,
                    o.client_order_id.as_ref().map(|c| c.as_str()),
                    o.post_only,
                    o.stp,
                    i(o.created_seq),
                    i(o.created_ts),
                    i(o.updated_seq),
                    i(o.updated_ts),
                ])
                .map_err(err)?;
            }
            let mut st = tx
                .prepare_cached(&format!(
                    "INSERT INTO trades ({TRADE_COLS}) VALUES ({}) ON CONFLICT (trade_id) DO NOTHING",
                    placeholders(17)
                ))
                .map_err(err)?;
            for t in &b.trades {
                st.execute(params![
                    i(t.trade_id),
                    name_str(&t.symbol),
                    t.price,
                    t.qty,
                    t.taker_side,
                    i(t.maker_order_id),
                    i(t.maker_user),
                    i(t.taker_order_id),
                    i(t.taker_user),
                    t.maker_fee,
                    name_str(&t.maker_fee_asset),
                    t.taker_fee,
                    name_str(&t.taker_fee_asset),
                    t.base_amount,
                    t.quote_amount,
                    i(t.seq),
                    i(t.ts),
                ])
                .map_err(err)?;
            }
            let mut st = tx
                .prepare_cached(&format!(
                    "INSERT INTO transfers ({TRANSFER_COLS}) VALUES ({}) ON CONFLICT (tx_id) DO NOTHING",
                    placeholders(7)
                ))
                .map_err(err)?;
            for t in &b.transfers {
                st.execute(params![
                    t.tx_id.as_str(),
                    i(t.user),
                    name_str(&t.asset),
                    t.amount,
                    t.kind,
                    i(t.seq),
                    i(t.ts),
                ])
                .map_err(err)?;
            }
            let mut st = tx
                .prepare_cached(&format!(
                    "INSERT INTO assets ({ASSET_COLS}) VALUES ({}) ON CONFLICT (asset_id) DO NOTHING",
                    placeholders(4)
                ))
                .map_err(err)?;
            for a in &b.assets {
                st.execute(params![a.asset_id, name_str(&a.name), a.scale, i(a.seq)])
                    .map_err(err)?;
            }
            let mut st = tx
                .prepare_cached(&format!(
                    "INSERT INTO symbols ({SYMBOL_COLS}) VALUES ({}) ON CONFLICT (symbol_id) DO NOTHING",
                    placeholders(11)
                ))
                .map_err(err)?;
            for s in &b.symbols {
                st.execute(params![
                    s.symbol_id,
                    name_str(&s.name),
                    name_str(&s.base),
                    name_str(&s.quote),
                    s.tick_size.to_string(),
                    s.lot_size.to_string(),
                    s.base_per_lot,
                    s.quote_per_tick_lot,
                    s.maker_fee_bps,
                    s.taker_fee_bps,
                    i(s.seq),
                ])
                .map_err(err)?;
            }
            tx.execute(
                "UPDATE progress SET seq = MAX(seq, ?1) WHERE id = 1",
                [i(b.last_seq)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn each_row(
        &mut self,
        sql: &str,
        args: &[Val],
        row: &mut dyn FnMut(&dyn Get) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.conn.prepare_cached(sql).map_err(err)?;
        let params: Vec<&dyn rusqlite::ToSql> = args
            .iter()
            .map(|a| match a {
                Val::Int(v) => v as &dyn rusqlite::ToSql,
                Val::Text(s) => s as &dyn rusqlite::ToSql,
            })
            .collect();
        let mut rows = st.query(params.as_slice()).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            row(&SqlRow(r))?;
        }
        Ok(())
    }
}
