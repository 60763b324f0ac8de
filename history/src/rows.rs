//! The rows of the history store, as plain values.
//!
//! What holds: every number is an engine integer, exactly as the engine
//! counts it: prices in ticks of the symbol's `tick_size`, order quantities
//! in lots of its `lot_size`, amounts and fees in the asset's smallest unit
//! (10^-scale). The `assets` and `symbols` rows give the factors that turn
//! them into decimals. Enumerations are stored as the API spells them
//! (`buy`, `stop_limit`, `partially_filled`, …). Rows are `Copy`: no heap.

use engine::{ClOrdId, Name, Seq, TxId, UserId};

/// One order: its latest state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub order_id: u64,
    pub user: UserId,
    pub symbol: Name,
    pub side: &'static str,
    pub order_type: &'static str,
    pub tif: &'static str,
    pub price: Option<i64>,
    pub stop_price: Option<i64>,
    pub qty: i64,
    /// Iceberg slice, in lots; known from the place only.
    pub display_qty: Option<i64>,
    pub filled_qty: i64,
    /// Quote units paid or received over all fills (average price =
    /// quote_filled / filled_qty in the symbol's units).
    pub quote_filled: i64,
    pub status: &'static str,
    pub reason: Option<&'static str>,
    pub client_order_id: Option<ClOrdId>,
    pub post_only: bool,
    pub stp: &'static str,
    pub created_seq: Seq,
    pub created_ts: u64,
    pub updated_seq: Seq,
    pub updated_ts: u64,
}

/// One match.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TradeRow {
    pub trade_id: u64,
    pub symbol: Name,
    pub price: i64,
    pub qty: i64,
    pub taker_side: &'static str,
    pub maker_order_id: u64,
    pub maker_user: UserId,
    pub taker_order_id: u64,
    pub taker_user: UserId,
    pub maker_fee: i64,
    pub maker_fee_asset: Name,
    pub taker_fee: i64,
    pub taker_fee_asset: Name,
    /// Base units that changed hands (qty × base units per lot).
    pub base_amount: i64,
    /// Quote units that changed hands (price × qty × quote units per tick-lot).
    pub quote_amount: i64,
    pub seq: Seq,
    pub ts: u64,
}

/// An accepted deposit or withdrawal.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TransferRow {
    pub tx_id: TxId,
    pub user: UserId,
    pub asset: Name,
    /// Asset units, always positive; `kind` says which way.
    pub amount: i64,
    /// `deposit` or `withdrawal`.
    pub kind: &'static str,
    pub seq: Seq,
    pub ts: u64,
}

/// An asset, for turning units into decimals: `amount / 10^scale`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AssetRow {
    pub asset_id: u16,
    pub name: Name,
    pub scale: u8,
    pub seq: Seq,
}

/// A symbol, for turning ticks and lots into decimals.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SymbolRow {
    pub symbol_id: u32,
    pub name: Name,
    pub base: Name,
    pub quote: Name,
    /// Decimal text, e.g. `0.01`.
    pub tick_size: engine::Fixed,
    pub lot_size: engine::Fixed,
    pub base_per_lot: i64,
    pub quote_per_tick_lot: i64,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub seq: Seq,
}

/// Every spelling a text column may hold, so that rows read back carry the
/// same `&'static str` the projection wrote.
const WORDS: &[&str] = &[
    "buy",
    "sell",
    "limit",
    "market",
    "stop_limit",
    "stop_market",
    "gtc",
    "ioc",
    "fok",
    "none",
    "cancel_taker",
    "cancel_maker",
    "cancel_both",
    "new",
    "partially_filled",
    "filled",
    "canceled",
    "rejected",
    "deposit",
    "withdrawal",
    "unknown_user",
    "unknown_symbol",
    "market_halted",
    "invalid_qty",
    "invalid_price",
    "duplicate_client_order_id",
    "price_out_of_band",
    "stop_would_trigger",
    "insufficient_funds",
    "unsupported",
    "limit_reached",
    "ioc_remainder",
    "fok_unfillable",
    "post_only_would_cross",
    "self_trade_prevented",
    "user_canceled",
    "unknown_order",
    "duplicate_tx",
    "unknown_asset",
    "invalid_symbol",
    "invalid_amount",
    "exists",
];

/// The static spelling of `s`, when it is one the store writes.
pub fn word(s: &str) -> Option<&'static str> {
    WORDS.iter().copied().find(|w| *w == s)
}

/// Order statuses after which nothing changes.
pub const CLOSED: [&str; 3] = ["filled", "canceled", "rejected"];

/// All rows of a store (or derived from a journal), each kind sorted by its key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub orders: Vec<OrderRow>,
    pub trades: Vec<TradeRow>,
    pub transfers: Vec<TransferRow>,
    pub assets: Vec<AssetRow>,
    pub symbols: Vec<SymbolRow>,
}

impl Rows {
    pub fn sort(&mut self) {
        self.orders.sort_by_key(|o| o.order_id);
        self.trades.sort_by_key(|t| t.trade_id);
        self.transfers.sort_by_key(|t| t.seq);
        self.assets.sort_by_key(|a| a.asset_id);
        self.symbols.sort_by_key(|s| s.symbol_id);
    }

    /// The first difference between `self` (the store) and `want` (derived),
    /// in words; `None` when they are equal row for row.
    pub fn first_difference(&self, want: &Rows) -> Option<String> {
        fn diff<T: PartialEq + std::fmt::Debug>(
            what: &str,
            have: &[T],
            want: &[T],
            key: impl Fn(&T) -> String,
        ) -> Option<String> {
            for (h, w) in have.iter().zip(want) {
                if h != w {
                    return Some(format!(
                        "{what} {}: store has {h:?}, the journal gives {w:?}",
                        key(w)
                    ));
                }
            }
            if have.len() > want.len() {
                return Some(format!(
                    "{what} {}: in the store, not derived from the journal",
                    key(&have[want.len()])
                ));
            }
            if want.len() > have.len() {
                return Some(format!(
                    "{what} {}: derived from the journal, missing from the store",
                    key(&want[have.len()])
                ));
            }
            None
        }
        diff("order", &self.orders, &want.orders, |o| {
            o.order_id.to_string()
        })
        .or_else(|| {
            diff("trade", &self.trades, &want.trades, |t| {
                t.trade_id.to_string()
            })
        })
        .or_else(|| {
            diff("transfer", &self.transfers, &want.transfers, |t| {
                t.tx_id.as_str().to_string()
            })
        })
        .or_else(|| diff("asset", &self.assets, &want.assets, |a| a.name.to_string()))
        .or_else(|| {
            diff("symbol", &self.symbols, &want.symbols, |s| {
                s.name.to_string()
            })
        })
    }
}
