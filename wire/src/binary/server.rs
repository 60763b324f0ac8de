//! The server's half of the binary codec: client frames in ([`decode_frame`]),
//! reports and query replies out.

use super::*;
use crate::api::{
    ErrorCode, HistoryQuery, Op, OrderLookup, PlaceOrder, Request, TraderOp, WireError,
    API_KEY_BYTES_MAX,
};
use crate::dir::{asset_name, asset_scale};
use crate::json::avg_price;
use engine::{
    units_to_fixed, AssetId, Balance, CommandKind, Directory, Event, ExecReport, ExecType, KeyHash,
    OrderRef, Role, SymbolInfo, SymbolSpec, Units, UserId,
};

// ---------------------------------------------------------------------------
// Requests: decoding (server side)
// ---------------------------------------------------------------------------

/// Decodes the first frame of `buf` into a request.
///
/// `Ok(None)`: the frame is not complete yet (read more, call again).
/// `Ok(Some((request, consumed)))`: drop `consumed` bytes.
/// `Err`: see [`FrameError::skip`]. Never blocks, never panics; looks at no
/// more than [`FRAME_BYTES_MAX`] bytes.
pub fn decode_frame(buf: &[u8]) -> Result<Option<(Request, usize)>, FrameError> {
    let Some(f) = split_frame(buf)? else {
        return Ok(None);
    };
    let fail = |code, m| FrameError::skip(f.bytes, f.req_id, code, m);
    if f.flags & FLAG_MORE != 0 {
        return Err(fail(
            ErrorCode::Malformed,
            "the more flag is for server replies".into(),
        ));
    }
    let mut rd = Reader { rest: f.body };
    let op = match f.ty {
        msg::LOGIN => login(&mut rd),
        msg::PLACE => place(&mut rd).map(|p| Op::Trader(TraderOp::Place(p))),
        msg::CANCEL => cancel(&mut rd),
        msg::AMEND => amend(&mut rd),
        msg::CANCEL_ALL => rd
            .opt_name("symbol")
            .map(|symbol| Op::Trader(TraderOp::CancelAll { symbol })),
        msg::BALANCES => balances(&mut rd),
        msg::OPEN_ORDERS => open_orders(&mut rd),
        msg::ORDER => order(&mut rd),
        msg::ORDER_HISTORY => (|| {
            let from_ts = nz(rd.u64("from_ts")?);
            let to_ts = nz(rd.u64("to_ts")?);
            let before_order_id = nz(rd.u64("before_order_id")?);
            let limit = nz16(rd.u16("limit")?);
            Ok(Op::History(HistoryQuery::OrderHistory {
                symbol: rd.opt_name("symbol")?,
                from_ts,
                to_ts,
                before_order_id,
                limit,
            }))
        })(),
        msg::MY_TRADES => (|| {
            let from_trade_id = nz(rd.u64("from_trade_id")?);
            let limit = nz16(rd.u16("limit")?);
            Ok(Op::History(HistoryQuery::MyTrades {
                symbol: rd.opt_name("symbol")?,
                from_trade_id,
                limit,
            }))
        })(),
        msg::TRANSFERS => (|| {
            Ok(Op::History(HistoryQuery::Transfers {
                after_seq: nz(rd.u64("after_seq")?),
                limit: nz16(rd.u16("limit")?),
            }))
        })(),
        msg::EXECUTIONS => (|| {
            let before_trade_id = nz(rd.u64("before_trade_id")?);
            let limit = nz16(rd.u16("limit")?);
            Ok(Op::History(HistoryQuery::Executions {
                symbol: rd.name("symbol")?,
                before_trade_id,
                limit,
            }))
        })(),
        msg::FEES => Ok(Op::Fees),
        msg::SNAPSHOT => Ok(Op::Snapshot),
        msg::ADD_ASSET => add_asset(&mut rd),
        msg::ADD_SYMBOL => add_symbol(&mut rd),
        msg::ADD_USER => add_user(&mut rd),
        msg::DEPOSIT | msg::WITHDRAW => transfer(&mut rd, f.ty == msg::DEPOSIT),
        msg::HALT => rd
            .name("symbol")
            .map(|symbol| Op::Admin(CommandKind::Halt { symbol })),
        msg::RESUME => rd
            .name("symbol")
            .map(|symbol| Op::Admin(CommandKind::Resume { symbol })),
        other => {
            return Err(fail(
                ErrorCode::UnknownOp,
                format!("unknown message type {other:#04x}"),
            ))
        }
    };
    let op = op
        .and_then(|op| rd.end().map(|()| op))
        .map_err(|m| fail(ErrorCode::Malformed, m))?;
    op.check_paging().map_err(|(code, m)| fail(code, m))?;
    Ok(Some((
        Request {
            req_id: f.req_id,
            op,
        },
        f.bytes,
    )))
}

/// 0 is "absent" in the paging fields.
fn nz(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

fn nz16(v: u16) -> Option<u32> {
    (v != 0).then_some(v as u32)
}

/// `open_orders`: the symbol, then an optional paging tail.
fn open_orders(rd: &mut Reader<'_>) -> Result<Op, String> {
    let symbol = rd.opt_name("symbol")?;
    let (after_order_id, limit) = if rd.rest.is_empty() {
        (None, None)
    } else {
        (nz(rd.u64("after_order_id")?), nz16(rd.u16("limit")?))
    };
    Ok(Op::OpenOrders {
        symbol,
        after_order_id,
        limit,
    })
}

/// `order`: by id (kind 0) or by client order id (kind 1).
fn order(rd: &mut Reader<'_>) -> Result<Op, String> {
    let kind = rd.u8("kind")?;
    let id = rd.u64("order_id")?;
    let clid = rd.str8("client_order_id")?;
    let key = match kind {
        0 if clid.is_empty() => OrderLookup::Id(id),
        1 if id == 0 => OrderLookup::Client(
            ClOrdId::new(clid).ok_or_else(|| "client_order_id: malformed".to_string())?,
        ),
        0 | 1 => return Err("order: give order_id or client_order_id, not both".into()),
        k => return Err(format!("kind: unknown code {k}")),
    };
    Ok(Op::History(HistoryQuery::Order { key }))
}

fn login(rd: &mut Reader<'_>) -> Result<Op, String> {
    let cancel_on_disconnect = rd.bool("cancel_on_disconnect")?;
    let key = rd.str16("api_key")?;
    if key.is_empty() || key.len() > API_KEY_BYTES_MAX {
        return Err(format!("api_key: expected 1 to {API_KEY_BYTES_MAX} bytes"));
    }
    Ok(Op::Login {
        key_hash: KeyHash::of_key(key),
        cancel_on_disconnect,
    })
}

fn place(rd: &mut Reader<'_>) -> Result<PlaceOrder, String> {
    let side = rd.code("side", side_of)?;
    let order_type = rd.code("type", order_type_of)?;
    let tif = rd.code("tif", tif_of)?;
    let stp = rd.code("stp", stp_of)?;
    let post_only = rd.bool("post_only")?;
    let qty = rd.dec("qty")?;
    let price = rd.opt_dec("price")?;
    let stop_price = rd.opt_dec("stop_price")?;
    let display_qty = rd.opt_dec("display_qty")?;
    let symbol = rd.name("symbol")?;
    let client_order_id = rd.opt_cl_ord_id("client_order_id")?;
    let p = PlaceOrder {
        symbol,
        side,
        order_type,
        tif,
        price,
        qty,
        stop_price,
        display_qty,
        post_only,
        stp,
        client_order_id,
    };
    p.check()?;
    Ok(p)
}

/// The fixed part of a target (kind, order_id); the client id is read last.
fn target_head(rd: &mut Reader<'_>) -> Result<(u8, u64), String> {
    let kind = rd.u8("target")?;
    let id = rd.u64("order_id")?;
    match kind {
        0 => Ok((0, id)),
        1 if id == 0 => Ok((1, 0)),
        1 => Err("give `order_id` or `client_order_id`, not both".into()),
        k => Err(format!("target: unknown code {k}")),
    }
}

fn target_tail(rd: &mut Reader<'_>, (kind, id): (u8, u64)) -> Result<OrderRef, String> {
    let cl = rd.opt_cl_ord_id("client_order_id")?;
    match (kind, cl) {
        (0, None) => Ok(OrderRef::Id(id)),
        (0, Some(_)) => Err("give `order_id` or `client_order_id`, not both".into()),
        (_, Some(cl)) => Ok(OrderRef::Client(cl)),
        (_, None) => Err("missing field `client_order_id`".into()),
    }
}

fn cancel(rd: &mut Reader<'_>) -> Result<Op, String> {
    let head = target_head(rd)?;
    let symbol = rd.name("symbol")?;
    let target = target_tail(rd, head)?;
    Ok(Op::Trader(TraderOp::Cancel { symbol, target }))
}

fn amend(rd: &mut Reader<'_>) -> Result<Op, String> {
    let head = target_head(rd)?;
    let price = rd.opt_dec("price")?;
    let qty = rd.opt_dec("qty")?;
    let symbol = rd.name("symbol")?;
    let target = target_tail(rd, head)?;
    if price.is_none() && qty.is_none() {
        return Err("amend needs `price` or `qty` (or both)".into());
    }
    Ok(Op::Trader(TraderOp::Amend {
        symbol,
        target,
        price,
        qty,
    }))
}

fn balances(rd: &mut Reader<'_>) -> Result<Op, String> {
    let has_user = rd.bool("has_user")?;
    let user = rd.u64("user")?;
    if !has_user && user != 0 {
        return Err("user: non-zero without has_user".into());
    }
    Ok(Op::Balances {
        user: has_user.then_some(user),
    })
}

fn add_asset(rd: &mut Reader<'_>) -> Result<Op, String> {
    let scale = rd.u8("scale")?;
    let asset = rd.name("asset")?;
    Ok(Op::Admin(CommandKind::AddAsset { asset, scale }))
}

fn add_symbol(rd: &mut Reader<'_>) -> Result<Op, String> {
    let tick_size = rd.dec("tick_size")?;
    let lot_size = rd.dec("lot_size")?;
    let min_qty = rd.dec("min_qty")?;
    let maker_fee_bps = rd.u32("maker_fee_bps")?;
    let taker_fee_bps = rd.u32("taker_fee_bps")?;
    let price_band_pct = rd.opt_dec("price_band_pct")?;
    let symbol = rd.name("symbol")?;
    let base = rd.name("base")?;
    let quote = rd.name("quote")?;
    Ok(Op::Admin(CommandKind::AddSymbol(SymbolSpec {
        symbol,
        base,
        quote,
        tick_size,
        lot_size,
        min_qty,
        maker_fee_bps,
        taker_fee_bps,
        price_band_pct,
    })))
}

fn add_user(rd: &mut Reader<'_>) -> Result<Op, String> {
    let user = rd.u64("user")?;
    let role = rd.code("role", role_of)?;
    let key_hash = match rd.u8("key_form")? {
        0 => {
            let key = rd.str16("api_key")?;
            if key.is_empty() || key.len() > API_KEY_BYTES_MAX {
                return Err(format!("api_key: expected 1 to {API_KEY_BYTES_MAX} bytes"));
            }
            KeyHash::of_key(key)
        }
        1 => KeyHash(rd.arr("key_hash")?),
        k => return Err(format!("key_form: unknown code {k}")),
    };
    Ok(Op::Admin(CommandKind::AddUser {
        user,
        key_hash,
        role,
    }))
}

fn transfer(rd: &mut Reader<'_>, deposit: bool) -> Result<Op, String> {
    let user = rd.u64("user")?;
    let amount = rd.dec("amount")?;
    let asset = rd.name("asset")?;
    let tx_id = rd.tx_id("tx_id")?;
    Ok(Op::Admin(if deposit {
        CommandKind::Deposit {
            user,
            asset,
            amount,
            tx_id,
        }
    } else {
        CommandKind::Withdraw {
            user,
            asset,
            amount,
            tx_id,
        }
    }))
}

// ---------------------------------------------------------------------------
// Replies: encoding (server side)
// ---------------------------------------------------------------------------

/// Appends the frame of a report (`execution`, `reject`, `cancel_all`,
/// `admin`); the same inputs as [`super::json::encode_event`], the same
/// fields. [`Event::Level`] is market data: nothing is written for it.
pub fn encode_event_bin(ev: &Event, dir: &Directory, req_id: Option<u64>, out: &mut Vec<u8>) {
    match *ev {
        Event::Execution(ref r) => {
            let start = begin(out, msg::EXECUTION, req_id);
            put_exec(r, dir, out);
            finish(out, start);
        }
        Event::Reject {
            seq,
            ts_ns,
            user,
            op,
            target,
            reason,
        } => {
            let start = begin(out, msg::REJECT, req_id);
            put_u64(out, seq);
            put_u64(out, ts_ns);
            put_u64(out, user);
            put_u8(out, reject_op_code(op));
            put_u8(out, reason_code(reason));
            let (kind, id, clid) = match target {
                None => (0, 0, None),
                Some(OrderRef::Id(id)) => (1, id, None),
                Some(OrderRef::Client(c)) => (2, 0, Some(c)),
            };
            put_u8(out, kind);
            put_u64(out, id);
            put_str8(out, clid.as_ref().map_or("", |c| c.as_str()));
            finish(out, start);
        }
        Event::CancelAll {
            seq,
            ts_ns,
            user,
            canceled,
        } => {
            let start = begin(out, msg::CANCEL_ALL_DONE, req_id);
            put_u64(out, seq);
            put_u64(out, ts_ns);
            put_u64(out, user);
            put_u32(out, canceled);
            finish(out, start);
        }
        Event::Admin {
            seq,
            ts_ns,
            op,
            ok,
            reason,
        } => {
            let start = begin(out, msg::ADMIN, req_id);
            put_u64(out, seq);
            put_u64(out, ts_ns);
            put_u8(out, admin_op_code(op));
            put_bool(out, ok);
            put_u8(out, opt_reason_code(reason));
            finish(out, start);
        }
        Event::Level { .. } => {}
    }
}

/// One execution item: 128 fixed bytes, then symbol, client_order_id and
/// fee_asset as short strings (empty = null). Fields follow the JSON rules:
/// `reason` only on `rejected`/`canceled`, trade fields only on `trade`.
fn put_exec(r: &ExecReport, dir: &Directory, out: &mut Vec<u8>) {
    let info: Option<&SymbolInfo> = r.symbol.and_then(|id| dir.symbols().get(id.0 as usize));
    let px = |t| info.map(|i| i.ticks_to_fixed(t));
    let lots = |l| info.map(|i| i.lots_to_fixed(l));
    let fill = if r.exec_type == ExecType::Trade {
        r.fill
    } else {
        None
    };
    let reason = if matches!(r.exec_type, ExecType::Rejected | ExecType::Canceled) {
        r.reason
    } else {
        None
    };
    put_u64(out, r.seq);
    put_u64(out, r.ts_ns);
    put_u64(out, r.user);
    put_u64(out, r.order_id);
    put_u64(out, fill.map_or(0, |f| f.trade_id));
    put_u8(out, exec_type_code(r.exec_type));
    put_u8(out, status_code(r.status));
    put_u8(out, side_code(r.side));
    put_u8(out, order_type_code(r.order_type));
    put_u8(out, tif_code(r.tif));
    put_u8(out, opt_reason_code(reason));
    put_u8(out, fill.map_or(0, |f| liquidity_code(f.liquidity)));
    put_opt_dec(out, r.price.and_then(px));
    put_opt_dec(out, r.stop_price.and_then(px));
    put_opt_dec(out, lots(r.qty));
    put_opt_dec(out, lots(r.filled));
    put_opt_dec(out, lots(r.remaining));
    put_opt_dec(
        out,
        info.and_then(|i| avg_price(i, asset_scale(dir, i.quote), r)),
    );
    put_opt_dec(out, fill.and_then(|f| px(f.price)));
    put_opt_dec(out, fill.and_then(|f| lots(f.qty)));
    put_opt_dec(
        out,
        fill.map(|f| units_to_fixed(asset_scale(dir, f.fee_asset), f.fee)),
    );
    put_str8(out, info.map_or("", |i| i.spec.symbol.as_str()));
    put_str8(out, r.client_order_id.as_ref().map_or("", |c| c.as_str()));
    let fee_asset = fill.and_then(|f| asset_name(dir, f.fee_asset));
    put_str8(out, fee_asset.as_ref().map_or("", |n| n.as_str()));
}

/// Writes a list reply over as many frames as it needs: each frame is the
/// header, `head` (repeated), a `u16` count and the items; every frame but
/// the last carries [`FLAG_MORE`]. An empty list is one frame with count 0.
/// `item` returns `false` when it wrote nothing (an asset the directory does
/// not know).
fn put_list<T>(
    out: &mut Vec<u8>,
    ty: u8,
    req_id: Option<u64>,
    item_bytes_max: usize,
    items: &[T],
    head: impl Fn(&mut Vec<u8>),
    mut item: impl FnMut(&T, &mut Vec<u8>) -> bool,
) {
    let open = |out: &mut Vec<u8>| {
        let start = begin(out, ty, req_id);
        head(out);
        let count_at = out.len();
        put_u16(out, 0);
        (start, count_at)
    };
    let close = |out: &mut Vec<u8>, (start, count_at): (usize, usize), count: u16, more: bool| {
        out[count_at..count_at + 2].copy_from_slice(&count.to_le_bytes());
        if more {
            out[start + LEN_PREFIX_BYTES + 1] |= FLAG_MORE;
        }
        finish(out, start);
    };
    let mut at = open(out);
    let mut count: u16 = 0;
    for it in items {
        if out.len() - at.0 + item_bytes_max > FRAME_BYTES_MAX || count == u16::MAX {
            close(out, at, count, true);
            at = open(out);
            count = 0;
        }
        if item(it, out) {
            count += 1;
        }
    }
    close(out, at, count, false);
}

/// Balances reply (`user` given when an admin asks about a user); assets the
/// directory does not know are left out, as in JSON.
pub fn encode_balances_bin(
    user: Option<UserId>,
    balances: &[(AssetId, Balance)],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut Vec<u8>,
) {
    put_list(
        out,
        msg::BALANCES_REPLY,
        req_id,
        BALANCE_ITEM_BYTES_MAX,
        balances,
        |out| {
            put_bool(out, user.is_some());
            put_u64(out, user.unwrap_or(0));
        },
        |(id, b), out| {
            let Some(name) = asset_name(dir, *id) else {
                return false;
            };
            let scale = asset_scale(dir, *id);
            put_dec(out, units_to_fixed(scale, b.available));
            put_dec(out, units_to_fixed(scale, b.locked));
            put_str8(out, name.as_str());
            true
        },
    );
}

/// Open orders reply (one page): each order as an execution item of its
/// current state; every frame's head carries the next page's cursor (0: none).
pub fn encode_open_orders_bin(
    orders: &[ExecReport],
    next_cursor: Option<u64>,
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut Vec<u8>,
) {
    put_list(
        out,
        msg::OPEN_ORDERS_REPLY,
        req_id,
        EXEC_BYTES_MAX,
        orders,
        |out| put_u64(out, next_cursor.unwrap_or(0)),
        |r, out| {
            put_exec(r, dir, out);
            true
        },
    );
}

/// A history answer: its JSON document (`json`), UTF-8, cut on character
/// boundaries over as many `history_reply` frames as it needs, all but the
/// last flagged more.
pub fn encode_history_bin(json: &str, req_id: Option<u64>, out: &mut Vec<u8>) {
    const PART_MAX: usize = FRAME_BYTES_MAX - HEADER_BYTES - 2;
    let mut rest = json;
    loop {
        let mut n = rest.len().min(PART_MAX);
        while !rest.is_char_boundary(n) {
            n -= 1;
        }
        let (part, tail) = rest.split_at(n);
        let start = begin(out, msg::HISTORY_REPLY, req_id);
        put_str16(out, part);
        if !tail.is_empty() {
            out[start + LEN_PREFIX_BYTES + 1] |= FLAG_MORE;
        }
        finish(out, start);
        if tail.is_empty() {
            return;
        }
        rest = tail;
    }
}

/// Fees reply (admin `fees`): what the fee account holds per asset.
pub fn encode_fees_bin(
    fees: &[(AssetId, Units)],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut Vec<u8>,
) {
    put_list(
        out,
        msg::FEES_REPLY,
        req_id,
        FEE_ITEM_BYTES_MAX,
        fees,
        |_| {},
        |(id, units), out| {
            let Some(name) = asset_name(dir, *id) else {
                return false;
            };
            put_dec(out, units_to_fixed(asset_scale(dir, *id), *units));
            put_str8(out, name.as_str());
            true
        },
    );
}

/// Snapshot reply: the last `seq` it covers and its state hash.
pub fn encode_snapshot_ok_bin(
    seq: u64,
    state_hash: &[u8; 32],
    req_id: Option<u64>,
    out: &mut Vec<u8>,
) {
    let start = begin(out, msg::SNAPSHOT_OK, req_id);
    put_u64(out, seq);
    out.extend_from_slice(state_hash);
    finish(out, start);
}

/// Error reply: code, message (cut to [`ERROR_MESSAGE_BYTES_MAX`]) and, with
/// `not_primary`, the primary's address (empty: none known, or one longer
/// than a `str8` holds, which is left out rather than cut).
pub fn encode_error_bin(err: &WireError, out: &mut Vec<u8>) {
    let start = begin(out, msg::ERROR, err.req_id);
    put_u8(out, error_code_code(err.code));
    let m = &err.message;
    let mut n = m.len().min(ERROR_MESSAGE_BYTES_MAX);
    while !m.is_char_boundary(n) {
        n -= 1;
    }
    put_str16(out, &m[..n]);
    let primary = err
        .primary
        .as_deref()
        .filter(|p| p.len() <= u8::MAX as usize)
        .unwrap_or("");
    put_str8(out, primary);
    finish(out, start);
}

/// Login reply: the user and its role.
pub fn encode_login_ok_bin(user: UserId, role: Role, req_id: Option<u64>, out: &mut Vec<u8>) {
    let start = begin(out, msg::LOGIN_OK, req_id);
    put_u64(out, user);
    put_u8(out, role_code(role));
    finish(out, start);
}
