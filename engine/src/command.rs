//! The engine's only input.
//!
//! A [`Command`] is what the journal records and what replay feeds back in:
//! a sequence number, a timestamp stamped by the gateway before journaling,
//! and what to do. Everything in it is `Copy` and fixed-size, so it sits in a
//! ring slot without a heap pointer. Decimals arrive as [`Fixed`] and symbols
//! and assets by [`Name`]; the engine resolves and validates them, so a
//! command that passed the gateway may still be rejected with a reason.

use crate::types::*;
use bincode::{Decode, Encode};

/// One sequenced input.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct Command {
    /// Journal sequence: must be exactly the engine's last sequence plus one.
    pub seq: Seq,
    /// Nanoseconds since the Unix epoch; clamped to be non-decreasing.
    pub ts_ns: u64,
    pub kind: CommandKind,
}

/// Which resting order a cancel or amend names.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum OrderRef {
    Id(OrderId),
    Client(ClOrdId),
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct Place {
    pub user: UserId,
    pub symbol: Name,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Tif,
    /// Limit price; required for `limit` and `stop_limit`, absent otherwise.
    pub price: Option<Fixed>,
    pub qty: Fixed,
    /// Trigger price; required for stops, absent otherwise.
    pub stop_price: Option<Fixed>,
    /// Iceberg: visible slice size (GTC limit only).
    pub display_qty: Option<Fixed>,
    pub post_only: bool,
    pub stp: Stp,
    pub client_order_id: Option<ClOrdId>,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct SymbolSpec {
    pub symbol: Name,
    pub base: Name,
    pub quote: Name,
    pub tick_size: Fixed,
    pub lot_size: Fixed,
    pub min_qty: Fixed,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub price_band_pct: Option<Fixed>,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum CommandKind {
    Place(Place),
    Cancel {
        user: UserId,
        symbol: Name,
        target: OrderRef,
    },
    /// New limit price and/or new total quantity (filled part included).
    Amend {
        user: UserId,
        symbol: Name,
        target: OrderRef,
        price: Option<Fixed>,
        qty: Option<Fixed>,
    },
    /// Cancels the user's open orders (untriggered stops too), in one symbol or all.
    CancelAll {
        user: UserId,
        symbol: Option<Name>,
    },
    AddAsset {
        asset: Name,
        scale: u8,
    },
    AddSymbol(SymbolSpec),
    AddUser {
        user: UserId,
        key_hash: KeyHash,
        role: Role,
    },
    Deposit {
        user: UserId,
        asset: Name,
        amount: Fixed,
        tx_id: TxId,
    },
    Withdraw {
        user: UserId,
        asset: Name,
        amount: Fixed,
        tx_id: TxId,
    },
    Halt {
        symbol: Name,
    },
    Resume {
        symbol: Name,
    },
}

impl CommandKind {
    /// The op name as the wire API spells it.
    pub fn op_name(&self) -> &'static str {
        match self {
            CommandKind::Place(_) => "place",
            CommandKind::Cancel { .. } => "cancel",
            CommandKind::Amend { .. } => "amend",
            CommandKind::CancelAll { .. } => "cancel_all",
            CommandKind::AddAsset { .. } => "add_asset",
            CommandKind::AddSymbol(_) => "add_symbol",
            CommandKind::AddUser { .. } => "add_user",
            CommandKind::Deposit { .. } => "deposit",
            CommandKind::Withdraw { .. } => "withdraw",
            CommandKind::Halt { .. } => "halt",
            CommandKind::Resume { .. } => "resume",
        }
    }
}
