//! The shared store: PostgreSQL through the synchronous `postgres` client.
//!
//! What holds: one transaction per batch; each table gets one statement per
//! batch, whatever its size: `INSERT … SELECT * FROM UNNEST($1::bigint[],
//! …)` with one array parameter per column (the multi-row insert in a
//! fixed, prepared form), `ON CONFLICT` for idempotence. A batch's orders
//! are unique by `order_id` (the projection merges them), which an upsert
//! of many rows in one statement requires. A lost connection is reopened on
//! the next call; the error is `transient` so the writer retries.

use crate::projection::Batch;
use crate::rows::*;
use crate::schema::{self, *};
use crate::store::*;
use engine::Seq;
use postgres::{Client, NoTls};

pub struct PgStore {
    url: String,
    client: Option<Client>,
}

fn err(e: postgres::Error) -> StoreError {
    // A closed connection or a server-side refusal to write may pass;
    // a schema or data error will not.
    let transient = e.is_closed()
        || e.code().is_none()
        || e.code().is_some_and(|c| {
            let s = c.code();
            s.starts_with("08") || s.starts_with("53") || s.starts_with("57") || s == "25006"
        });
    StoreError {
        msg: format!("postgres: {e}"),
        transient,
    }
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore> {
        let mut s = PgStore {
            url: url.to_string(),
            client: None,
        };
        s.client()?;
        Ok(s)
    }

    /// Connects on first use.
    pub fn lazy(url: &str) -> PgStore {
        PgStore {
            url: url.to_string(),
            client: None,
        }
    }

    fn client(&mut self) -> Result<&mut Client> {
        if self.client.as_ref().is_some_and(|c| c.is_closed()) {
            self.client = None;
        }
        if self.client.is_none() {
            let mut c = Client::connect(&self.url, NoTls).map_err(err)?;
            migrate(&mut c)?;
            self.client = Some(c);
        }
        Ok(self.client.as_mut().expect("connected"))
    }
}

fn migrate(c: &mut Client) -> Result<()> {
    c.batch_execute(schema::VERSION_TABLE).map_err(err)?;
    let mut tx = c.transaction().map_err(err)?;
    // One migrator at a time.
    tx.batch_execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
        .map_err(err)?;
    let have: i64 = tx
        .query_opt("SELECT version FROM schema_version WHERE id = 1", &[])
        .map_err(err)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    if have > VERSION {
        return Err(StoreError::fatal(format!(
            "the store has schema version {have}, this build knows up to {VERSION}"
        )));
    }
    for m in &MIGRATIONS[have as usize..] {
        tx.batch_execute(m).map_err(err)?;
    }
    tx.execute(
        "INSERT INTO schema_version (id, version) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        &[&VERSION],
    )
    .map_err(err)?;
    tx.commit().map_err(err)
}

struct PgRow<'a>(&'a postgres::Row);

impl Get for PgRow<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        self.0.try_get(i).map_err(err)
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        self.0.try_get(i).map_err(err)
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        self.0.try_get(i).map_err(err)
    }
}

/// `INSERT INTO t (cols) SELECT * FROM UNNEST($1::ty[], …) tail`.
fn unnest(table: &str, cols: &str, types: &[&str], tail: &str) -> String {
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", i + 1))
        .collect();
    format!(
        "INSERT INTO {table} ({cols}) SELECT * FROM UNNEST({}) {tail}",
        arrays.join(", ")
    )
}

const B: &str = "bigint";
const T: &str = "text";

fn col<'a, R, V>(rows: &'a [R], f: impl Fn(&'a R) -> V) -> Vec<V> {
    rows.iter().map(f).collect()
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn progress(&mut self) -> Result<Seq> {
        let r = self
            .client()?
            .query_one("SELECT seq FROM progress WHERE id = 1", &[])
            .map_err(err)?;
        Ok(r.get::<_, i64>(0) as Seq)
    }

    fn apply(&mut self, b: &Batch) -> Result<()> {
        let c = self.client()?;
        let mut tx = c.transaction().map_err(err)?;
        if !b.orders.is_empty() {
            let o: Vec<&OrderRow> = b.orders.iter().map(|c| &c.row).collect();
            let sql = unnest(
                "orders",
                ORDER_COLS,
                &[
                    B, B, T, T, T, T, B, B, B, B, B, B, T, T, T, "boolean", T, B, B, B, B,
                ],
                ORDER_CONFLICT,
            );
            let st = tx.prepare(&sql).map_err(err)?;
            tx.execute(
                &st,
                &[
                    &col(&o, |o| i(o.order_id)),
                    &col(&o, |o| i(o.user)),
                    &col(&o, |o| name_str(&o.symbol)),
                    &col(&o, |o| o.side),
                    &col(&o, |o| o.order_type),
                    &col(&o, |o| o.tif),
                    &col(&o, |o| o.price),
                    &col(&o, |o| o.stop_price),
                    &col(&o, |o| o.qty),
                    &col(&o, |o| o.display_qty),
                    &col(&o, |o| o.filled_qty),
                    &col(&o, |o| o.quote_filled),
                    &col(&o, |o| o.status),
                    &col(&o, |o| o.reason),
                    &col(&o, |o| o.client_order_id.as_ref().map(|c| c.as_str())),
                    &col(&o, |o| o.post_only),
                    &col(&o, |o| o.stp),
                    &col(&o, |o| i(o.created_seq)),
                    &col(&o, |o| i(o.created_ts)),
                    &col(&o, |o| i(o.updated_seq)),
                    &col(&o, |o| i(o.updated_ts)),
                ],
            )
            .map_err(err)?;
        }
        if !b.trades.is_empty() {
            let t = &b.trades;
            let sql = unnest(
                "trades",
                TRADE_COLS,
                &[B, T, B, B, T, B, B, B, B, B, T, B, T, B, B, B, B],
                "ON CONFLICT (trade_id) DO NOTHING",
            );
            let st = tx.prepare(&sql).map_err(err)?;
            tx.execute(
                &st,
                &[
                    &col(t, |t| i(t.trade_id)),
                    &col(t, |t| name_str(&t.symbol)),
                    &col(t, |t| t.price),
                    &col(t, |t| t.qty),
                    &col(t, |t| t.taker_side),
                    &col(t, |t| i(t.maker_order_id)),
                    &col(t, |t| i(t.maker_user)),
                    &col(t, |t| i(t.taker_order_id)),
                    &col(t, |t| i(t.taker_user)),
                    &col(t, |t| t.maker_fee),
                    &col(t, |t| name_str(&t.maker_fee_asset)),
                    &col(t, |t| t.taker_fee),
                    &col(t, |t| name_str(&t.taker_fee_asset)),
                    &col(t, |t| t.base_amount),
                    &col(t, |t| t.quote_amount),
                    &col(t, |t| i(t.seq)),
                    &col(t, |t| i(t.ts)),
                ],
            )
            .map_err(err)?;
        }
        if !b.transfers.is_empty() {
            let t = &b.transfers;
            let sql = unnest(
                "transfers",
                TRANSFER_COLS,
                &[T, B, T, B, T, B, B],
                "ON CONFLICT (tx_id) DO NOTHING",
            );
            let st = tx.prepare(&sql).map_err(err)?;
            tx.execute(
                &st,
                &[
                    &col(t, |t| t.tx_id.as_str()),
                    &col(t, |t| i(t.user)),
                    &col(t, |t| name_str(&t.asset)),
                    &col(t, |t| t.amount),
                    &col(t, |t| t.kind),
                    &col(t, |t| i(t.seq)),
                    &col(t, |t| i(t.ts)),
                ],
            )
            .map_err(err)?;
        }
        for a in &b.assets {
            tx.execute(
                &format!(
                    "INSERT INTO assets ({ASSET_COLS}) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (asset_id) DO NOTHING"
                ),
                &[
                    &(a.asset_id as i64),
                    &name_str(&a.name),
                    &(a.scale as i64),
                    &i(a.seq),
                ],
            )
            .map_err(err)?;
        }
        for s in &b.symbols {
            tx.execute(
                &format!(
                    "INSERT INTO symbols ({SYMBOL_COLS}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (symbol_id) DO NOTHING"
                ),
                &[
                    &(s.symbol_id as i64),
                    &name_str(&s.name),
                    &name_str(&s.base),
                    &name_str(&s.quote),
                    &s.tick_size.to_string(),
                    &s.lot_size.to_string(),
                    &s.base_per_lot,
                    &s.quote_per_tick_lot,
                    &(s.maker_fee_bps as i64),
                    &(s.taker_fee_bps as i64),
                    &i(s.seq),
                ],
            )
            .map_err(err)?;
        }
        tx.execute(
            "UPDATE progress SET seq = GREATEST(seq, $1) WHERE id = 1",
            &[&i(b.last_seq)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn each_row(
        &mut self,
        sql: &str,
        args: &[Val],
        row: &mut dyn FnMut(&dyn Get) -> Result<()>,
    ) -> Result<()> {
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| match a {
                Val::Int(v) => v as &(dyn postgres::types::ToSql + Sync),
                Val::Text(s) => s as &(dyn postgres::types::ToSql + Sync),
            })
            .collect();
        for r in self.client()?.query(sql, &params).map_err(err)? {
            row(&PgRow(&r))?;
        }
        Ok(())
    }
}
