//! The engine's only output.
//!
//! [`crate::Engine::apply`] appends events to a buffer the caller owns, in
//! exactly the order `matching.md` gives. Numbers are in engine units (ticks,
//! lots, asset units); the gateway turns them into decimals with the
//! [`crate::Directory`]. Every report carries the `seq` and `ts_ns` of the
//! input that caused it.

use crate::types::*;

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum ExecType {
    New,
    Trade,
    Canceled,
    Replaced,
    Rejected,
    Triggered,
}

impl ExecType {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecType::New => "new",
            ExecType::Trade => "trade",
            ExecType::Canceled => "canceled",
            ExecType::Replaced => "replaced",
            ExecType::Rejected => "rejected",
            ExecType::Triggered => "triggered",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum OrderStatus {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Rejected => "rejected",
        }
    }
}

/// Every reason the engine gives, for rejected places, cancelled orders,
/// failed cancels/amends and failed admin commands.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Reason {
    // place rejects, in the order they are checked
    UnknownUser,
    UnknownSymbol,
    MarketHalted,
    InvalidQty,
    InvalidPrice,
    DuplicateClientOrderId,
    PriceOutOfBand,
    StopWouldTrigger,
    InsufficientFunds,
    /// A field combination the order type does not allow.
    Unsupported,
    /// A configured bound (orders per symbol, users, symbols, assets) is reached.
    LimitReached,
    // cancels of accepted orders
    IocRemainder,
    FokUnfillable,
    PostOnlyWouldCross,
    SelfTradePrevented,
    UserCanceled,
    // cancel / amend rejects
    UnknownOrder,
    // admin
    DuplicateTx,
    UnknownAsset,
    InvalidSymbol,
    InvalidAmount,
    Exists,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        use Reason::*;
        match self {
            UnknownUser => "unknown_user",
            UnknownSymbol => "unknown_symbol",
            MarketHalted => "market_halted",
            InvalidQty => "invalid_qty",
            InvalidPrice => "invalid_price",
            DuplicateClientOrderId => "duplicate_client_order_id",
            PriceOutOfBand => "price_out_of_band",
            StopWouldTrigger => "stop_would_trigger",
            InsufficientFunds => "insufficient_funds",
            Unsupported => "unsupported",
            LimitReached => "limit_reached",
            IocRemainder => "ioc_remainder",
            FokUnfillable => "fok_unfillable",
            PostOnlyWouldCross => "post_only_would_cross",
            SelfTradePrevented => "self_trade_prevented",
            UserCanceled => "user_canceled",
            UnknownOrder => "unknown_order",
            DuplicateTx => "duplicate_tx",
            UnknownAsset => "unknown_asset",
            InvalidSymbol => "invalid_symbol",
            InvalidAmount => "invalid_amount",
            Exists => "exists",
        }
    }
}

/// The fill part of a `trade` report.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Fill {
    pub trade_id: TradeId,
    pub price: Ticks,
    pub qty: Lots,
    /// Fee charged to this side, in `fee_asset` units (what this side receives).
    pub fee: Units,
    pub fee_asset: AssetId,
    pub liquidity: Liquidity,
}

/// One `execution` report: what happened to an order and where it now stands.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ExecReport {
    pub seq: Seq,
    pub ts_ns: u64,
    pub user: UserId,
    pub order_id: OrderId,
    pub client_order_id: Option<ClOrdId>,
    /// `None` only for a place rejected as `unknown_symbol`.
    pub symbol: Option<SymbolId>,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Tif,
    pub exec_type: ExecType,
    pub status: OrderStatus,
    pub reason: Option<Reason>,
    pub price: Option<Ticks>,
    pub stop_price: Option<Ticks>,
    /// Total quantity of the order (after any amend).
    pub qty: Lots,
    pub filled: Lots,
    /// Open quantity; 0 once the order is filled, cancelled or rejected (FIX LeavesQty).
    pub remaining: Lots,
    /// Quote units paid or received over all fills, for the average price.
    pub cum_quote: Units,
    pub fill: Option<Fill>,
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum RejectOp {
    Cancel,
    Amend,
    CancelAll,
}

impl RejectOp {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectOp::Cancel => "cancel",
            RejectOp::Amend => "amend",
            RejectOp::CancelAll => "cancel_all",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum AdminOp {
    AddAsset,
    AddSymbol,
    AddUser,
    Deposit,
    Withdraw,
    Halt,
    Resume,
}

impl AdminOp {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminOp::AddAsset => "add_asset",
            AdminOp::AddSymbol => "add_symbol",
            AdminOp::AddUser => "add_user",
            AdminOp::Deposit => "deposit",
            AdminOp::Withdraw => "withdraw",
            AdminOp::Halt => "halt",
            AdminOp::Resume => "resume",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Event {
    Execution(ExecReport),
    /// A cancel, amend or cancel_all that failed.
    Reject {
        seq: Seq,
        ts_ns: u64,
        user: UserId,
        op: RejectOp,
        target: Option<crate::OrderRef>,
        reason: Reason,
    },
    /// Closes a `cancel_all`, after the `canceled` report of each order.
    CancelAll {
        seq: Seq,
        ts_ns: u64,
        user: UserId,
        canceled: u32,
    },
    /// The answer to an admin command.
    Admin {
        seq: Seq,
        ts_ns: u64,
        op: AdminOp,
        ok: bool,
        reason: Option<Reason>,
    },
    /// Market data: the visible quantity at one price level is now `qty`
    /// (0: the level is gone). Emitted at every change, in order; not a report.
    Level {
        symbol: SymbolId,
        side: Side,
        price: Ticks,
        qty: Lots,
    },
}

impl Event {
    /// `true` for what the owning user (or the admin) is told about; `false`
    /// for market data.
    pub fn is_report(&self) -> bool {
        !matches!(self, Event::Level { .. })
    }
}
