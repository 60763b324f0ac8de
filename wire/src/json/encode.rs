//! JSON out: reports, query replies and errors for clients, and the one-line
//! form of a journaled command for tools.

use crate::api::*;
use crate::dir::{asset_name, asset_scale};
use engine::{
    units_to_fixed, AssetId, Balance, Command, CommandKind, Directory, Event, ExecReport, ExecType,
    Fixed, OrderRef, Role, SymbolInfo, UserId, FIXED_SCALE_MAX,
};
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt::Write as _;

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/// Appends a JSON object field by field to the caller's buffer: the one
/// JSON object writer of the project (reports here, tool output in replay).
pub struct ObjectWriter<'o> {
    out: &'o mut String,
    first: bool,
}

type Obj<'o> = ObjectWriter<'o>;

impl<'o> ObjectWriter<'o> {
    /// Writes `{` and starts the first field.
    pub fn open(out: &'o mut String) -> ObjectWriter<'o> {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    /// Goes on with an object already open in `out` (`first`: no field yet).
    pub fn resume(out: &'o mut String, first: bool) -> ObjectWriter<'o> {
        ObjectWriter { out, first }
    }

    /// `"key":<json>`, the key escaped, `json` already JSON text.
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key_escaped(key);
        self.out.push_str(json);
    }

    /// `key` is a static field name: plain ASCII, nothing to escape.
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// A key taken from data (an asset name): escaped.
    fn key_escaped(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_str(self.out, key);
        self.out.push(':');
    }

    pub fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        push_json_str(self.out, v);
    }

    pub fn u64(&mut self, key: &str, v: u64) {
        self.key(key);
        let _ = write!(self.out, "{v}");
    }

    pub fn bool(&mut self, key: &str, v: bool) {
        self.key(key);
        self.out.push_str(if v { "true" } else { "false" });
    }

    pub fn null(&mut self, key: &str) {
        self.key(key);
        self.out.push_str("null");
    }

    pub fn dec(&mut self, key: &str, v: Fixed) {
        self.key(key);
        push_decimal(self.out, v);
    }

    pub fn opt_dec(&mut self, key: &str, v: Option<Fixed>) {
        match v {
            Some(v) => self.dec(key, v),
            None => self.null(key),
        }
    }

    pub fn req_id(&mut self, req_id: Option<u64>) {
        if let Some(r) = req_id {
            self.u64("req_id", r);
        }
    }

    /// Starts a nested object under `key`; close it before using `self` again.
    fn nested(&mut self, key: &str) -> Obj<'_> {
        self.key(key);
        Obj::open(self.out)
    }

    fn nested_escaped(&mut self, key: &str) -> Obj<'_> {
        self.key_escaped(key);
        Obj::open(self.out)
    }

    /// Writes `}`.
    pub fn close(self) {
        self.out.push('}');
    }
}

fn push_decimal(out: &mut String, v: Fixed) {
    out.push('"');
    let _ = write!(out, "{v}");
    out.push('"');
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Appends the JSON of a report (`execution`, `reject`, `cancel_all`,
/// `admin`) exactly as api.md shows it. `req_id` is the requester's, given
/// only when this copy goes to the session that sent the input.
/// [`Event::Level`] is market data: nothing is written for it.
pub fn encode_event(ev: &Event, dir: &Directory, req_id: Option<u64>, out: &mut String) {
    match *ev {
        Event::Execution(ref r) => write_exec(r, dir, req_id, out),
        Event::Reject {
            seq,
            ts_ns,
            user,
            op,
            target,
            reason,
        } => {
            let mut o = Obj::open(out);
            o.str("type", "reject");
            o.req_id(req_id);
            o.str("op", op.as_str());
            o.u64("user", user);
            match target {
                Some(OrderRef::Id(id)) => o.u64("order_id", id),
                Some(OrderRef::Client(c)) => o.str("client_order_id", c.as_str()),
                None => {}
            }
            o.str("reason", reason.as_str());
            o.u64("seq", seq);
            o.u64("ts", ts_ns);
            o.close();
        }
        Event::CancelAll {
            seq,
            ts_ns,
            user,
            canceled,
        } => {
            let mut o = Obj::open(out);
            o.str("type", "cancel_all");
            o.req_id(req_id);
            o.u64("user", user);
            o.u64("canceled", u64::from(canceled));
            o.u64("seq", seq);
            o.u64("ts", ts_ns);
            o.close();
        }
        Event::Admin {
            seq,
            ts_ns,
            op,
            ok,
            reason,
        } => {
            let mut o = Obj::open(out);
            o.str("type", "admin");
            o.req_id(req_id);
            o.str("op", op.as_str());
            o.bool("ok", ok);
            if let Some(r) = reason {
                o.str("reason", r.as_str());
            }
            o.u64("seq", seq);
            o.u64("ts", ts_ns);
            o.close();
        }
        Event::Level { .. } => {}
    }
}

fn write_exec(r: &ExecReport, dir: &Directory, req_id: Option<u64>, out: &mut String) {
    let info: Option<&SymbolInfo> = r.symbol.and_then(|id| dir.symbols().get(id.0 as usize));
    let px = |t| info.map(|i| i.ticks_to_fixed(t));
    let lots = |l| info.map(|i| i.lots_to_fixed(l));
    let mut o = Obj::open(out);
    o.str("type", "execution");
    o.req_id(req_id);
    o.str("exec_type", r.exec_type.as_str());
    o.str("status", r.status.as_str());
    o.u64("order_id", r.order_id);
    match r.client_order_id {
        Some(c) => o.str("client_order_id", c.as_str()),
        None => o.null("client_order_id"),
    }
    o.u64("user", r.user);
    match info {
        Some(i) => o.str("symbol", i.spec.symbol.as_str()),
        None => o.null("symbol"),
    }
    o.str("side", r.side.as_str());
    o.str("order_type", r.order_type.as_str());
    o.str("tif", r.tif.as_str());
    o.opt_dec("price", r.price.and_then(px));
    if let Some(sp) = r.stop_price {
        o.opt_dec("stop_price", px(sp));
    }
    o.opt_dec("qty", lots(r.qty));
    o.opt_dec("filled_qty", lots(r.filled));
    o.opt_dec("remaining_qty", lots(r.remaining));
    o.opt_dec(
        "avg_price",
        info.and_then(|i| avg_price(i, asset_scale(dir, i.quote), r)),
    );
    if matches!(r.exec_type, ExecType::Rejected | ExecType::Canceled) {
        match r.reason {
            Some(reason) => o.str("reason", reason.as_str()),
            None => o.null("reason"),
        }
    }
    if r.exec_type == ExecType::Trade {
        if let Some(fill) = r.fill {
            o.u64("trade_id", fill.trade_id);
            o.opt_dec("last_price", px(fill.price));
            o.opt_dec("last_qty", lots(fill.qty));
            o.dec(
                "fee",
                units_to_fixed(asset_scale(dir, fill.fee_asset), fill.fee),
            );
            match asset_name(dir, fill.fee_asset) {
                Some(n) => o.str("fee_asset", n.as_str()),
                None => o.null("fee_asset"),
            }
            o.str("liquidity", fill.liquidity.as_str());
        }
    }
    o.u64("seq", r.seq);
    o.u64("ts", r.ts_ns);
    o.close();
}

/// `cum_quote / filled`, rounded half away from zero to
/// [`AVG_PRICE_EXTRA_DECIMALS`] more decimals than the tick; `None` before any
/// fill (or for magnitudes no report can reach).
pub(crate) fn avg_price(info: &SymbolInfo, quote_scale: u8, r: &ExecReport) -> Option<Fixed> {
    avg_price_of(info, quote_scale, r.cum_quote.get(), r.filled)
}

/// [`avg_price`] from its parts: `cum_quote` quote units over `filled` lots
/// (the history store's `quote_filled` and `filled_qty`).
pub fn avg_price_of(
    info: &SymbolInfo,
    quote_scale: u8,
    cum_quote: i64,
    filled: engine::Lots,
) -> Option<Fixed> {
    if filled.get() <= 0 {
        return None;
    }
    let quote =
        Decimal::try_from_i128_with_scale(i128::from(cum_quote), u32::from(quote_scale)).ok()?;
    let base = info.lots_to_fixed(filled);
    let base =
        Decimal::try_from_i128_with_scale(i128::from(base.mantissa), u32::from(base.scale)).ok()?;
    let dp =
        (info.spec.tick_size.normalized().scale + AVG_PRICE_EXTRA_DECIMALS).min(FIXED_SCALE_MAX);
    let avg = quote
        .checked_div(base)?
        .round_dp_with_strategy(u32::from(dp), RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Some(Fixed::new(
        i64::try_from(avg.mantissa()).ok()?,
        u8::try_from(avg.scale()).ok()?,
    ))
}

fn write_balance_map(o: &mut Obj<'_>, balances: &[(AssetId, Balance)], dir: &Directory) {
    let mut m = o.nested("balances");
    for (id, b) in balances {
        let Some(name) = asset_name(dir, *id) else {
            continue;
        };
        let scale = asset_scale(dir, *id);
        let mut a = m.nested_escaped(name.as_str());
        a.dec("available", units_to_fixed(scale, b.available));
        a.dec("locked", units_to_fixed(scale, b.locked));
        a.close();
    }
    m.close();
}

/// `{"type":"balances","user":7,"balances":{"USD":{"available":"900","locked":"100.5"}}}`;
/// `user` is written when given (an admin asking about a user).
pub fn encode_balances(
    user: Option<UserId>,
    balances: &[(AssetId, Balance)],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str("type", "balances");
    o.req_id(req_id);
    if let Some(u) = user {
        o.u64("user", u);
    }
    write_balance_map(&mut o, balances, dir);
    o.close();
}

/// `{"type":"open_orders","orders":[...],"next_cursor":N|null}` (one page),
/// each order shaped as an `execution` report of its current state (without
/// `req_id`); `next_cursor` is the next page's `after_order_id`.
pub fn encode_open_orders(
    orders: &[ExecReport],
    next_cursor: Option<u64>,
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str("type", "open_orders");
    o.req_id(req_id);
    o.key("orders");
    o.out.push('[');
    for (i, r) in orders.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        write_exec(r, dir, None, o.out);
    }
    o.out.push(']');
    match next_cursor {
        Some(c) => o.u64("next_cursor", c),
        None => o.null("next_cursor"),
    }
    o.close();
}

/// `{"type":"admin","op":"fees","ok":true,"fees":{"USD":"0.35"}}`.
pub fn encode_fees(
    fees: &[(AssetId, engine::Units)],
    dir: &Directory,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str("type", "admin");
    o.req_id(req_id);
    o.str("op", "fees");
    o.bool("ok", true);
    let mut m = o.nested("fees");
    for (id, units) in fees {
        if let Some(name) = asset_name(dir, *id) {
            m.key_escaped(name.as_str());
            push_decimal(m.out, units_to_fixed(asset_scale(dir, *id), *units));
        }
    }
    m.close();
    o.close();
}

/// `{"type":"admin","op":"snapshot","ok":true,"seq":N,"state_hash":"<hex>"}`.
pub fn encode_snapshot_ok(seq: u64, state_hash: &[u8; 32], req_id: Option<u64>, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("type", "admin");
    o.req_id(req_id);
    o.str("op", "snapshot");
    o.bool("ok", true);
    o.u64("seq", seq);
    o.key("state_hash");
    o.out.push('"');
    push_hex(o.out, state_hash);
    o.out.push('"');
    o.close();
}

/// `{"type":"error","req_id":7,"code":"malformed","message":"..."}`.
pub fn encode_error(err: &WireError, out: &mut String) {
    encode_error_body(err.req_id, err.code.as_str(), &err.message, out);
    if let Some(p) = &err.primary {
        // `…,"primary":"HOST:PORT"}`: the same object, one field more.
        out.pop();
        let mut tail = String::new();
        let mut o = Obj::open(&mut tail);
        o.str("primary", p);
        o.close();
        out.push(',');
        out.push_str(&tail[1..]);
    }
}

/// The error object with a code of the HTTP routes only (`not_found`), which
/// no request over a session can get and so has no [`ErrorCode`].
pub fn encode_http_error(code: &str, message: &str, out: &mut String) {
    encode_error_body(None, code, message, out);
}

fn encode_error_body(req_id: Option<u64>, code: &str, message: &str, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("type", "error");
    o.req_id(req_id);
    o.str("code", code);
    o.str("message", message);
    o.close();
}

/// `{"type":"login","ok":true,"user":2,"role":"trader"}`.
pub fn encode_login_ok(user: UserId, role: Role, req_id: Option<u64>, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("type", "login");
    o.req_id(req_id);
    o.bool("ok", true);
    o.u64("user", user);
    o.str("role", role.as_str());
    o.close();
}

/// `{"type":"subscribed","channels":[...]}` (or `unsubscribed`).
pub fn encode_subscribed(
    channels: &[Channel],
    subscribed: bool,
    req_id: Option<u64>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    o.str(
        "type",
        if subscribed {
            "subscribed"
        } else {
            "unsubscribed"
        },
    );
    o.req_id(req_id);
    o.key("channels");
    o.out.push('[');
    for (i, c) in channels.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        // Channel names are built from checked names: nothing to escape.
        let _ = write!(o.out, "\"{c}\"");
    }
    o.out.push(']');
    o.close();
}

/// Appends `cmd` as one JSON object (no newline), in the request shape plus
/// `seq`, `ts` and the `user` of trader ops: what `ringex-replay dump` prints
/// and [`decode_command_json`] reads back. `add_user` shows the key's
/// SHA-256 as `key_hash`; no key is ever in a command.
pub fn encode_command_json(cmd: &Command, out: &mut String) {
    let mut o = Obj::open(out);
    o.u64("seq", cmd.seq);
    o.u64("ts", cmd.ts_ns);
    o.str("op", cmd.kind.op_name());
    match cmd.kind {
        CommandKind::Place(ref p) => {
            o.u64("user", p.user);
            o.str("symbol", p.symbol.as_str());
            o.str("side", p.side.as_str());
            o.str("type", p.order_type.as_str());
            o.str("tif", p.tif.as_str());
            if let Some(v) = p.price {
                o.dec("price", v);
            }
            o.dec("qty", p.qty);
            if let Some(v) = p.stop_price {
                o.dec("stop_price", v);
            }
            if let Some(v) = p.display_qty {
                o.dec("display_qty", v);
            }
            o.bool("post_only", p.post_only);
            o.str("stp", p.stp.as_str());
            if let Some(c) = p.client_order_id {
                o.str("client_order_id", c.as_str());
            }
        }
        CommandKind::Cancel {
            user,
            symbol,
            target,
        } => {
            o.u64("user", user);
            o.str("symbol", symbol.as_str());
            write_target(&mut o, target);
        }
        CommandKind::Amend {
            user,
            symbol,
            target,
            price,
            qty,
        } => {
            o.u64("user", user);
            o.str("symbol", symbol.as_str());
            write_target(&mut o, target);
            if let Some(v) = price {
                o.dec("price", v);
            }
            if let Some(v) = qty {
                o.dec("qty", v);
            }
        }
        CommandKind::CancelAll { user, symbol } => {
            o.u64("user", user);
            if let Some(s) = symbol {
                o.str("symbol", s.as_str());
            }
        }
        CommandKind::AddAsset { asset, scale } => {
            o.str("asset", asset.as_str());
            o.u64("scale", u64::from(scale));
        }
        CommandKind::AddSymbol(ref s) => {
            o.str("symbol", s.symbol.as_str());
            o.str("base", s.base.as_str());
            o.str("quote", s.quote.as_str());
            o.dec("tick_size", s.tick_size);
            o.dec("lot_size", s.lot_size);
            o.dec("min_qty", s.min_qty);
            o.u64("maker_fee_bps", u64::from(s.maker_fee_bps));
            o.u64("taker_fee_bps", u64::from(s.taker_fee_bps));
            o.opt_dec("price_band_pct", s.price_band_pct);
        }
        CommandKind::AddUser {
            user,
            key_hash,
            role,
        } => {
            o.u64("user", user);
            o.key("key_hash");
            o.out.push('"');
            push_hex(o.out, &key_hash.0);
            o.out.push('"');
            o.str("role", role.as_str());
        }
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
        } => {
            o.u64("user", user);
            o.str("asset", asset.as_str());
            o.dec("amount", amount);
            o.str("tx_id", tx_id.as_str());
        }
        CommandKind::Halt { symbol } | CommandKind::Resume { symbol } => {
            o.str("symbol", symbol.as_str());
        }
    }
    o.close();
}

fn write_target(o: &mut Obj<'_>, target: OrderRef) {
    match target {
        OrderRef::Id(id) => o.u64("order_id", id),
        OrderRef::Client(c) => o.str("client_order_id", c.as_str()),
    }
}

/// Appends one engine event of input `seq` in the sequenced form of the
/// drop copy and of `ringex-replay events`: a report exactly as
/// [`encode_event`] writes it without `req_id` (each carries its `seq`),
/// and a book level, which clients otherwise only see aggregated, as
/// `{"type":"level","seq":N,"symbol":"BTC-USD","side":"buy","price":"100.5","qty":"3"}`
/// (`qty` `"0"` when the level is gone).
pub fn encode_sequenced_event(ev: &Event, seq: u64, dir: &Directory, out: &mut String) {
    let Event::Level {
        symbol,
        side,
        price,
        qty,
    } = *ev
    else {
        return encode_event(ev, dir, None, out);
    };
    let _ = write!(out, "{{\"type\":\"level\",\"seq\":{seq},\"symbol\":");
    match dir.symbols().get(symbol.0 as usize) {
        Some(info) => {
            // Symbol names are `[A-Za-z0-9._-]`: nothing to escape.
            let _ = write!(
                out,
                "\"{}\",\"side\":\"{}\",\"price\":\"{}\",\"qty\":\"{}\"}}",
                info.spec.symbol,
                side.as_str(),
                info.ticks_to_fixed(price),
                info.lots_to_fixed(qty)
            );
        }
        // Cannot happen for an event the engine just emitted; keep the
        // engine units rather than invent decimals.
        None => {
            let _ = write!(
                out,
                "null,\"symbol_id\":{},\"side\":\"{}\",\"price_ticks\":{},\"qty_lots\":{}}}",
                symbol.0,
                side.as_str(),
                price.get(),
                qty.get()
            );
        }
    }
}
