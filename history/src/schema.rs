//! The tables of the store, created and migrated by code.
//!
//! What holds: [`VERSION`] is the schema this build writes; [`MIGRATIONS`]
//! takes a store from any older version to it, one step per version, inside
//! the same transaction that records the new version in `schema_version`.
//! A store newer than this build is refused, never written. The DDL is plain
//! SQL that SQLite and PostgreSQL both take (`BIGINT`, `TEXT`, `BOOLEAN`).
//! `docs/history.md` describes every column.

/// The schema version this build reads and writes.
pub const VERSION: i64 = 1;

/// `MIGRATIONS[i]` takes a store from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1];

const V1: &str = "
CREATE TABLE IF NOT EXISTS orders (
    order_id        BIGINT PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    tif             TEXT NOT NULL,
    price           BIGINT,
    stop_price      BIGINT,
    qty             BIGINT NOT NULL,
    display_qty     BIGINT,
    filled_qty      BIGINT NOT NULL,
    quote_filled    BIGINT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    client_order_id TEXT,
    post_only       BOOLEAN NOT NULL,
    stp             TEXT NOT NULL,
    created_seq     BIGINT NOT NULL,
    created_ts      BIGINT NOT NULL,
    updated_seq     BIGINT NOT NULL,
    updated_ts      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id, order_id);
CREATE INDEX IF NOT EXISTS orders_user_clid ON orders (user_id, client_order_id);
CREATE TABLE IF NOT EXISTS trades (
    trade_id        BIGINT PRIMARY KEY,
    symbol          TEXT NOT NULL,
    price           BIGINT NOT NULL,
    qty             BIGINT NOT NULL,
    taker_side      TEXT NOT NULL,
    maker_order_id  BIGINT NOT NULL,
    maker_user_id   BIGINT NOT NULL,
    taker_order_id  BIGINT NOT NULL,
    taker_user_id   BIGINT NOT NULL,
    maker_fee       BIGINT NOT NULL,
    maker_fee_asset TEXT NOT NULL,
    taker_fee       BIGINT NOT NULL,
    taker_fee_asset TEXT NOT NULL,
    base_amount     BIGINT NOT NULL,
    quote_amount    BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    ts              BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS trades_symbol ON trades (symbol, trade_id);
CREATE INDEX IF NOT EXISTS trades_maker ON trades (maker_user_id, trade_id);
CREATE INDEX IF NOT EXISTS trades_taker ON trades (taker_user_id, trade_id);
CREATE TABLE IF NOT EXISTS transfers (
    tx_id           TEXT PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    asset           TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    ts              BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS transfers_user ON transfers (user_id, seq);
CREATE TABLE IF NOT EXISTS assets (
    asset_id        BIGINT PRIMARY KEY,
    name            TEXT NOT NULL,
    scale           BIGINT NOT NULL,
    seq             BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS symbols (
    symbol_id           BIGINT PRIMARY KEY,
    name                TEXT NOT NULL,
    base                TEXT NOT NULL,
    quote               TEXT NOT NULL,
    tick_size           TEXT NOT NULL,
    lot_size            TEXT NOT NULL,
    base_per_lot        BIGINT NOT NULL,
    quote_per_tick_lot  BIGINT NOT NULL,
    maker_fee_bps       BIGINT NOT NULL,
    taker_fee_bps       BIGINT NOT NULL,
    seq                 BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS progress (
    id              BIGINT PRIMARY KEY,
    seq             BIGINT NOT NULL
);
INSERT INTO progress (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
";

/// Created first, on its own, so that the version can be read.
pub const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_version (id BIGINT PRIMARY KEY, version BIGINT NOT NULL)";

/// Column lists, in the order the stores bind and read them.
pub const ORDER_COLS: &str =
    "order_id, user_id, symbol, side, order_type, tif, price, stop_price, qty, \
display_qty, filled_qty, quote_filled, status, reason, client_order_id, post_only, stp, \
created_seq, created_ts, updated_seq, updated_ts";
pub const TRADE_COLS: &str = "trade_id, symbol, price, qty, taker_side, maker_order_id, maker_user_id, \
taker_order_id, taker_user_id, maker_fee, maker_fee_asset, taker_fee, taker_fee_asset, base_amount, \
quote_amount, seq, ts";
pub const TRANSFER_COLS: &str = "tx_id, user_id, asset, amount, kind, seq, ts";
pub const ASSET_COLS: &str = "asset_id, name, scale, seq";
pub const SYMBOL_COLS: &str = "symbol_id, name, base, quote, tick_size, lot_size, base_per_lot, \
quote_per_tick_lot, maker_fee_bps, taker_fee_bps, seq";

/// What an order upsert changes when the order is already stored: what the
/// reports carry, never what only the place knew; and never back in time.
pub const ORDER_CONFLICT: &str = "ON CONFLICT (order_id) DO UPDATE SET \
user_id = excluded.user_id, symbol = excluded.symbol, side = excluded.side, \
order_type = excluded.order_type, tif = excluded.tif, price = excluded.price, \
stop_price = excluded.stop_price, qty = excluded.qty, filled_qty = excluded.filled_qty, \
quote_filled = excluded.quote_filled, status = excluded.status, reason = excluded.reason, \
client_order_id = excluded.client_order_id, updated_seq = excluded.updated_seq, \
updated_ts = excluded.updated_ts WHERE orders.updated_seq <= excluded.updated_seq";
