//! The client's half of the binary codec: requests out ([`encode_request`],
//! [`encode_login`]), reply frames in ([`decode_reply`]).

use super::*;
use crate::api::{ErrorCode, HistoryQuery, Op, OrderLookup, Request, TraderOp, API_KEY_BYTES_MAX};
use engine::{
    AdminOp, CommandKind, ExecType, Fixed, Liquidity, Name, OrderId, OrderStatus, OrderType,
    Reason, RejectOp, Role, Seq, Side, Tif, TradeId, UserId,
};

// ---------------------------------------------------------------------------
// Requests: encoding (client side)
// ---------------------------------------------------------------------------

/// Appends a `login` frame carrying `api_key` (hashed by the server).
pub fn encode_login(
    api_key: &str,
    cancel_on_disconnect: bool,
    req_id: Option<u64>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    if api_key.is_empty() || api_key.len() > API_KEY_BYTES_MAX {
        return Err(EncodeError::ApiKeyLength);
    }
    let start = begin(out, msg::LOGIN, req_id);
    put_bool(out, cancel_on_disconnect);
    put_str16(out, api_key);
    finish(out, start);
    Ok(())
}

/// Appends the frame of `req`. A `login` (which holds only the key's hash)
/// and market data subscriptions are refused and nothing is appended; see
/// [`encode_login`].
///
/// The encoder writes what it is given: a request the JSON codec would
/// refuse (a market order with a price, say) is encoded as is and refused by
/// the server as `malformed`.
pub fn encode_request(req: &Request, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let ty = match &req.op {
        Op::Login { .. } => return Err(EncodeError::LoginNeedsKey),
        Op::Subscribe(_) => return Err(EncodeError::WebSocketOnly("subscribe")),
        Op::Unsubscribe(_) => return Err(EncodeError::WebSocketOnly("unsubscribe")),
        Op::SubscribeEvents { .. } => return Err(EncodeError::WebSocketOnly("subscribe")),
        Op::Trader(TraderOp::Place(_)) => msg::PLACE,
        Op::Trader(TraderOp::Cancel { .. }) => msg::CANCEL,
        Op::Trader(TraderOp::Amend { .. }) => msg::AMEND,
        Op::Trader(TraderOp::CancelAll { .. }) => msg::CANCEL_ALL,
        Op::Balances { .. } => msg::BALANCES,
        Op::OpenOrders { .. } => msg::OPEN_ORDERS,
        Op::History(h) => match h {
            HistoryQuery::Order { .. } => msg::ORDER,
            HistoryQuery::OrderHistory { .. } => msg::ORDER_HISTORY,
            HistoryQuery::MyTrades { .. } => msg::MY_TRADES,
            HistoryQuery::Transfers { .. } => msg::TRANSFERS,
            HistoryQuery::Executions { .. } => msg::EXECUTIONS,
        },
        Op::Fees => msg::FEES,
        Op::Snapshot => msg::SNAPSHOT,
        Op::Admin(k) => match k {
            CommandKind::AddAsset { .. } => msg::ADD_ASSET,
            CommandKind::AddSymbol(_) => msg::ADD_SYMBOL,
            CommandKind::AddUser { .. } => msg::ADD_USER,
            CommandKind::Deposit { .. } => msg::DEPOSIT,
            CommandKind::Withdraw { .. } => msg::WITHDRAW,
            CommandKind::Halt { .. } => msg::HALT,
            CommandKind::Resume { .. } => msg::RESUME,
            CommandKind::Place(_)
            | CommandKind::Cancel { .. }
            | CommandKind::Amend { .. }
            | CommandKind::CancelAll { .. } => return Err(EncodeError::TraderCommandAsAdmin),
        },
    };
    let start = begin(out, ty, req.req_id);
    match &req.op {
        Op::Trader(TraderOp::Place(p)) => {
            put_u8(out, side_code(p.side));
            put_u8(out, order_type_code(p.order_type));
            put_u8(out, tif_code(p.tif));
            put_u8(out, stp_code(p.stp));
            put_bool(out, p.post_only);
            put_dec(out, p.qty);
            put_opt_dec(out, p.price);
            put_opt_dec(out, p.stop_price);
            put_opt_dec(out, p.display_qty);
            put_str8(out, p.symbol.as_str());
            put_str8(out, p.client_order_id.as_ref().map_or("", |c| c.as_str()));
        }
        Op::Trader(TraderOp::Cancel { symbol, target }) => {
            put_target(out, target);
            put_str8(out, symbol.as_str());
            put_str8(out, target_clid(target));
        }
        Op::Trader(TraderOp::Amend {
            symbol,
            target,
            price,
            qty,
        }) => {
            put_target(out, target);
            put_opt_dec(out, *price);
            put_opt_dec(out, *qty);
            put_str8(out, symbol.as_str());
            put_str8(out, target_clid(target));
        }
        Op::Trader(TraderOp::CancelAll { symbol }) => {
            put_str8(out, symbol.as_ref().map_or("", |s| s.as_str()));
        }
        Op::OpenOrders {
            symbol,
            after_order_id,
            limit,
        } => {
            put_str8(out, symbol.as_ref().map_or("", |s| s.as_str()));
            if after_order_id.is_some() || limit.is_some() {
                put_u64(out, after_order_id.unwrap_or(0));
                put_u16(out, limit16(*limit));
            }
        }
        Op::History(h) => put_history(out, h),
        Op::Balances { user } => {
            put_bool(out, user.is_some());
            put_u64(out, user.unwrap_or(0));
        }
        Op::Admin(CommandKind::AddAsset { asset, scale }) => {
            put_u8(out, *scale);
            put_str8(out, asset.as_str());
        }
        Op::Admin(CommandKind::AddSymbol(s)) => {
            put_dec(out, s.tick_size);
            put_dec(out, s.lot_size);
            put_dec(out, s.min_qty);
            put_u32(out, s.maker_fee_bps);
            put_u32(out, s.taker_fee_bps);
            put_opt_dec(out, s.price_band_pct);
            put_str8(out, s.symbol.as_str());
            put_str8(out, s.base.as_str());
            put_str8(out, s.quote.as_str());
        }
        Op::Admin(CommandKind::AddUser {
            user,
            key_hash,
            role,
        }) => {
            put_u64(out, *user);
            put_u8(out, role_code(*role));
            put_u8(out, 1);
            out.extend_from_slice(&key_hash.0);
        }
        Op::Admin(
            CommandKind::Deposit {
                user,
                asset,
                amount,
                tx_id,
            }
            | CommandKind::Withdraw {
                user,
                asset,
                amount,
                tx_id,
            },
        ) => {
            put_u64(out, *user);
            put_dec(out, *amount);
            put_str8(out, asset.as_str());
            put_str8(out, tx_id.as_str());
        }
        Op::Admin(CommandKind::Halt { symbol } | CommandKind::Resume { symbol }) => {
            put_str8(out, symbol.as_str());
        }
        // No body, or handled before `begin`.
        Op::Fees
        | Op::Snapshot
        | Op::Login { .. }
        | Op::Subscribe(_)
        | Op::Unsubscribe(_)
        | Op::SubscribeEvents { .. }
        | Op::Admin(_) => {}
    }
    finish(out, start);
    Ok(())
}

/// A limit as the `u16` field carries it (0: the default; anything larger
/// than a `u16` becomes one the server refuses as `invalid_limit`).
fn limit16(l: Option<u32>) -> u16 {
    l.map_or(0, |n| u16::try_from(n).unwrap_or(u16::MAX))
}

fn put_history(out: &mut Vec<u8>, h: &HistoryQuery) {
    let name = |s: &Option<Name>| s.map_or(String::new(), |s| s.as_str().to_string());
    match h {
        HistoryQuery::Order { key } => match key {
            OrderLookup::Id(id) => {
                put_u8(out, 0);
                put_u64(out, *id);
                put_str8(out, "");
            }
            OrderLookup::Client(c) => {
                put_u8(out, 1);
                put_u64(out, 0);
                put_str8(out, c.as_str());
            }
        },
        HistoryQuery::OrderHistory {
            symbol,
            from_ts,
            to_ts,
            before_order_id,
            limit,
        } => {
            put_u64(out, from_ts.unwrap_or(0));
            put_u64(out, to_ts.unwrap_or(0));
            put_u64(out, before_order_id.unwrap_or(0));
            put_u16(out, limit16(*limit));
            put_str8(out, &name(symbol));
        }
        HistoryQuery::MyTrades {
            symbol,
            from_trade_id,
            limit,
        } => {
            put_u64(out, from_trade_id.unwrap_or(0));
            put_u16(out, limit16(*limit));
            put_str8(out, &name(symbol));
        }
        HistoryQuery::Transfers { after_seq, limit } => {
            put_u64(out, after_seq.unwrap_or(0));
            put_u16(out, limit16(*limit));
        }
        HistoryQuery::Executions {
            symbol,
            before_trade_id,
            limit,
        } => {
            put_u64(out, before_trade_id.unwrap_or(0));
            put_u16(out, limit16(*limit));
            put_str8(out, symbol.as_str());
        }
    }
}

// ---------------------------------------------------------------------------
// Replies: decoding (client side)
// ---------------------------------------------------------------------------

/// One decoded server frame.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Reply {
    /// The `req_id` of the request that caused it, on the session that sent it.
    pub req_id: Option<u64>,
    pub body: ReplyBody,
}

/// What a server frame says. Decimals are [`Fixed`] as written (normalised
/// by the server), names are `String`, `None` where JSON writes `null`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ReplyBody {
    Login {
        user: UserId,
        role: Role,
    },
    Execution(Box<Execution>),
    Reject {
        seq: Seq,
        ts_ns: u64,
        user: UserId,
        op: RejectOp,
        target: Option<Target>,
        reason: Reason,
    },
    CancelAll {
        seq: Seq,
        ts_ns: u64,
        user: UserId,
        canceled: u32,
    },
    Admin {
        seq: Seq,
        ts_ns: u64,
        op: AdminOp,
        ok: bool,
        reason: Option<Reason>,
    },
    Snapshot {
        seq: Seq,
        state_hash: [u8; 32],
    },
    /// One frame of a balances reply; `more`: another frame follows.
    Balances {
        user: Option<UserId>,
        balances: Vec<BalanceEntry>,
        more: bool,
    },
    /// One frame of an open orders reply (one page); `next_cursor`: the
    /// `after_order_id` of the next page, `None` on the last page.
    OpenOrders {
        orders: Vec<Execution>,
        next_cursor: Option<u64>,
        more: bool,
    },
    /// One part of a history answer's JSON document; `more`: another follows.
    History {
        part: String,
        more: bool,
    },
    /// One frame of a fees reply.
    Fees {
        fees: Vec<FeeEntry>,
        more: bool,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// With `not_primary`: the primary's binary TCP address, when known.
        primary: Option<String>,
    },
}

/// An execution report (or an open order's state), as JSON's `execution`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Execution {
    pub seq: Seq,
    pub ts_ns: u64,
    pub user: UserId,
    pub order_id: OrderId,
    pub exec_type: ExecType,
    pub status: OrderStatus,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Tif,
    /// Only on `rejected`/`canceled`.
    pub reason: Option<Reason>,
    /// `None` for market orders (and a place rejected as `unknown_symbol`).
    pub price: Option<Fixed>,
    pub stop_price: Option<Fixed>,
    pub qty: Option<Fixed>,
    pub filled_qty: Option<Fixed>,
    pub remaining_qty: Option<Fixed>,
    /// `None` until something is filled.
    pub avg_price: Option<Fixed>,
    /// `None` only for a place rejected as `unknown_symbol`.
    pub symbol: Option<String>,
    pub client_order_id: Option<String>,
    /// Only on `trade`.
    pub trade: Option<TradeFill>,
}

/// The fill part of a `trade` report.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TradeFill {
    pub trade_id: TradeId,
    pub last_price: Option<Fixed>,
    pub last_qty: Option<Fixed>,
    pub fee: Fixed,
    pub fee_asset: Option<String>,
    pub liquidity: Liquidity,
}

/// Which order a failed cancel or amend named.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Target {
    OrderId(OrderId),
    ClientOrderId(String),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BalanceEntry {
    pub asset: String,
    pub available: Fixed,
    pub locked: Fixed,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FeeEntry {
    pub asset: String,
    pub amount: Fixed,
}

/// Decodes the first frame of `buf` into a reply: `Ok(None)` until it is
/// complete; `Err` as for [`decode_frame`]. Never panics; allocates no more
/// than the frame's own bytes warrant.
pub fn decode_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, FrameError> {
    let Some(f) = split_frame(buf)? else {
        return Ok(None);
    };
    let more = f.flags & FLAG_MORE != 0;
    let mut rd = Reader { rest: f.body };
    let body = match f.ty {
        msg::LOGIN_OK => (|| {
            Ok(ReplyBody::Login {
                user: rd.u64("user")?,
                role: rd.code("role", role_of)?,
            })
        })(),
        msg::EXECUTION => get_exec(&mut rd).map(|e| ReplyBody::Execution(Box::new(e))),
        msg::REJECT => get_reject(&mut rd),
        msg::CANCEL_ALL_DONE => (|| {
            Ok(ReplyBody::CancelAll {
                seq: rd.u64("seq")?,
                ts_ns: rd.u64("ts")?,
                user: rd.u64("user")?,
                canceled: rd.u32("canceled")?,
            })
        })(),
        msg::ADMIN => (|| {
            Ok(ReplyBody::Admin {
                seq: rd.u64("seq")?,
                ts_ns: rd.u64("ts")?,
                op: rd.code("op", admin_op_of)?,
                ok: rd.bool("ok")?,
                reason: opt_reason(&mut rd)?,
            })
        })(),
        msg::SNAPSHOT_OK => (|| {
            Ok(ReplyBody::Snapshot {
                seq: rd.u64("seq")?,
                state_hash: rd.arr("state_hash")?,
            })
        })(),
        msg::BALANCES_REPLY => get_balances(&mut rd, more),
        msg::OPEN_ORDERS_REPLY => (|| {
            let next_cursor = rd.u64("next_cursor")?;
            let orders = get_list(&mut rd, 128 + 3, get_exec)?;
            Ok(ReplyBody::OpenOrders {
                orders,
                next_cursor: (next_cursor != 0).then_some(next_cursor),
                more,
            })
        })(),
        msg::HISTORY_REPLY => (|| {
            Ok(ReplyBody::History {
                part: rd.str16("part")?.to_owned(),
                more,
            })
        })(),
        msg::FEES_REPLY => (|| {
            let fees = get_list(&mut rd, 9 + 1, |rd| {
                let amount = req_raw_dec(rd, "amount")?;
                Ok(FeeEntry {
                    amount,
                    asset: rd.str8("asset")?.to_owned(),
                })
            })?;
            Ok(ReplyBody::Fees { fees, more })
        })(),
        msg::ERROR => (|| {
            Ok(ReplyBody::Error {
                code: rd.code("code", error_code_of)?,
                message: rd.str16("message")?.to_owned(),
                primary: Some(rd.str8("primary")?)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            })
        })(),
        other => Err(format!("unknown message type {other:#04x}")),
    };
    let fail = |m| FrameError::skip(f.bytes, f.req_id, ErrorCode::Malformed, m);
    let body = body.and_then(|b| rd.end().map(|()| b)).map_err(fail)?;
    let is_list = matches!(
        f.ty,
        msg::BALANCES_REPLY | msg::OPEN_ORDERS_REPLY | msg::FEES_REPLY | msg::HISTORY_REPLY
    );
    if more && !is_list {
        return Err(fail("the more flag is for list replies".into()));
    }
    Ok(Some((
        Reply {
            req_id: f.req_id,
            body,
        },
        f.bytes,
    )))
}

fn opt_reason(rd: &mut Reader<'_>) -> Result<Option<Reason>, String> {
    match rd.u8("reason")? {
        0 => Ok(None),
        c => reason_of(c)
            .map(Some)
            .ok_or_else(|| format!("reason: unknown code {c}")),
    }
}

fn req_raw_dec(rd: &mut Reader<'_>, field: &str) -> Result<Fixed, String> {
    rd.raw_dec(field)?
        .ok_or_else(|| format!("missing field `{field}`"))
}

fn opt_string(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// A `u16` count, then the items. The capacity reserved is bounded by what
/// the frame can hold, never by the count alone.
fn get_list<'a, T>(
    rd: &mut Reader<'a>,
    item_bytes_min: usize,
    mut item: impl FnMut(&mut Reader<'a>) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let count = rd.u16("count")? as usize;
    if count > rd.rest.len() / item_bytes_min {
        return Err(format!("count: {count} items do not fit the frame"));
    }
    let mut v = Vec::with_capacity(count);
    for _ in 0..count {
        v.push(item(rd)?);
    }
    Ok(v)
}

fn get_exec(rd: &mut Reader<'_>) -> Result<Execution, String> {
    let seq = rd.u64("seq")?;
    let ts_ns = rd.u64("ts")?;
    let user = rd.u64("user")?;
    let order_id = rd.u64("order_id")?;
    let trade_id = rd.u64("trade_id")?;
    let exec_type = rd.code("exec_type", exec_type_of)?;
    let status = rd.code("status", status_of)?;
    let side = rd.code("side", side_of)?;
    let order_type = rd.code("order_type", order_type_of)?;
    let tif = rd.code("tif", tif_of)?;
    let reason = opt_reason(rd)?;
    let liquidity = match rd.u8("liquidity")? {
        0 => None,
        c => Some(liquidity_of(c).ok_or_else(|| format!("liquidity: unknown code {c}"))?),
    };
    let price = rd.raw_dec("price")?;
    let stop_price = rd.raw_dec("stop_price")?;
    let qty = rd.raw_dec("qty")?;
    let filled_qty = rd.raw_dec("filled_qty")?;
    let remaining_qty = rd.raw_dec("remaining_qty")?;
    let avg_price = rd.raw_dec("avg_price")?;
    let last_price = rd.raw_dec("last_price")?;
    let last_qty = rd.raw_dec("last_qty")?;
    let fee = rd.raw_dec("fee")?;
    let symbol = opt_string(rd.str8("symbol")?);
    let client_order_id = opt_string(rd.str8("client_order_id")?);
    let fee_asset = opt_string(rd.str8("fee_asset")?);
    let trade = match liquidity {
        None => None,
        Some(liquidity) => Some(TradeFill {
            trade_id,
            last_price,
            last_qty,
            fee: fee.ok_or("missing field `fee`")?,
            fee_asset,
            liquidity,
        }),
    };
    Ok(Execution {
        seq,
        ts_ns,
        user,
        order_id,
        exec_type,
        status,
        side,
        order_type,
        tif,
        reason,
        price,
        stop_price,
        qty,
        filled_qty,
        remaining_qty,
        avg_price,
        symbol,
        client_order_id,
        trade,
    })
}

fn get_reject(rd: &mut Reader<'_>) -> Result<ReplyBody, String> {
    let seq = rd.u64("seq")?;
    let ts_ns = rd.u64("ts")?;
    let user = rd.u64("user")?;
    let op = rd.code("op", reject_op_of)?;
    let reason = rd.code("reason", reason_of)?;
    let kind = rd.u8("target")?;
    let id = rd.u64("order_id")?;
    let clid = rd.str8("client_order_id")?;
    let target = match (kind, clid.is_empty()) {
        (0, true) => None,
        (1, true) => Some(Target::OrderId(id)),
        (2, false) => Some(Target::ClientOrderId(clid.to_owned())),
        (0..=2, _) => return Err("target: kind and client_order_id disagree".into()),
        (k, _) => return Err(format!("target: unknown code {k}")),
    };
    Ok(ReplyBody::Reject {
        seq,
        ts_ns,
        user,
        op,
        target,
        reason,
    })
}

fn get_balances(rd: &mut Reader<'_>, more: bool) -> Result<ReplyBody, String> {
    let has_user = rd.bool("has_user")?;
    let user = rd.u64("user")?;
    let balances = get_list(rd, 9 + 9 + 1, |rd| {
        let available = req_raw_dec(rd, "available")?;
        let locked = req_raw_dec(rd, "locked")?;
        Ok(BalanceEntry {
            asset: rd.str8("asset")?.to_owned(),
            available,
            locked,
        })
    })?;
    Ok(ReplyBody::Balances {
        user: has_user.then_some(user),
        balances,
        more,
    })
}
