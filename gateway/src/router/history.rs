//! History queries at the router: requests from every wire become
//! [`Ask`]s the event loop hands to the query worker
//! ([`crate::history_queries`]); its answers come back here and are
//! encoded, with the directory mirror, into each session's outbox.
//!
//! What holds:
//! - The router never waits on the store: it queues asks
//!   ([`Router::take_history_asks`]) and takes answers
//!   ([`Router::on_history_answer`]) when the loop has them.
//! - The caller is the session's user (the API key's over HTTP), or
//!   [`Caller::Admin`] for the admin; a trader's rows only ever come from
//!   SQL that names the trader, and a trade shows the trader's own side
//!   only (no counterparty ids or fees).
//! - Every page carries `next_cursor` (`null` on the last page) and
//!   `as_of_seq`, the store's progress it was read at.
//! - Without a store (`--history none`) every history query answers
//!   `history_disabled` (HTTP 404); a store that fails answers
//!   `history_unavailable` (HTTP 503); a full worker queue `overloaded`.
//!
//! Must never: block, or show one user's rows to another.

use super::{HttpWait, Router, Wire};
use crate::history_queries::{Answer, Ask, Page, Rows};
use crate::http;
use engine::{units_to_fixed, Directory, KeyHash, Lots, Role, SymbolInfo, Ticks, Units};
use history::queries::{Caller, QueryError};
use history::{OrderRow, TradeRow, TransferRow};
use pipeline::metrics::Metrics;
use wire::json::{self, ObjectWriter};
use wire::{binary, ErrorCode, HistoryQuery, Op, WireError};

/// The private history routes and the op each one is.
const ROUTES: &[(&str, &str)] = &[
    ("/v1/order", "order"),
    ("/v1/orders/history", "order_history"),
    ("/v1/trades", "my_trades"),
    ("/v1/transfers", "transfers"),
];

impl Router {
    /// Queues a history query of session `sid` for the worker.
    pub(super) fn history_ask(&mut self, sid: u32, req_id: Option<u64>, query: HistoryQuery) {
        if self.history.is_none() {
            return self.error(
                sid,
                &WireError::new(
                    req_id,
                    ErrorCode::HistoryDisabled,
                    "this server keeps no history (--history none)",
                ),
            );
        }
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        let caller = match s.user {
            Some((_, Role::Admin)) => Caller::Admin,
            Some((u, _)) => Caller::User(u),
            // Public (`executions`): no user's data in it.
            None => Caller::User(super::ADMIN_USER),
        };
        if s.wire == Wire::Http {
            s.http_wait = Some(HttpWait::Query(None));
        }
        self.history_asks.push(Ask {
            sid,
            req_id,
            caller,
            query,
            min_seq: self.next_seq,
        });
    }

    /// The asks queued since the last call, for the loop to hand over.
    pub fn take_history_asks(&mut self) -> Vec<Ask> {
        std::mem::take(&mut self.history_asks)
    }

    /// The worker's queue was full: answer `overloaded`.
    pub fn history_overloaded(&mut self, ask: &Ask, metrics: &Metrics) {
        metrics
            .overloaded
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.error(
            ask.sid,
            &WireError::new(
                ask.req_id,
                ErrorCode::Overloaded,
                "history queries queue full, try again",
            ),
        );
    }

    /// One answer of the worker, into its session's outbox.
    pub fn on_history_answer(&mut self, a: Answer) {
        let Answer { ask, result } = a;
        let Some(wire) = self.sessions.get(&ask.sid).map(|s| s.wire) else {
            return;
        };
        let page = match result {
            Ok(p) => p,
            Err(e) => {
                let code = match e {
                    QueryError::UnknownOrder => ErrorCode::UnknownOrder,
                    QueryError::BadLimit(_) => ErrorCode::InvalidLimit,
                    QueryError::BadCursor(_) => ErrorCode::InvalidCursor,
                    QueryError::BadRange => ErrorCode::InvalidRange,
                    QueryError::BadSymbol(_) => ErrorCode::Malformed,
                    QueryError::Store(_) => ErrorCode::HistoryUnavailable,
                };
                return self.error(ask.sid, &WireError::new(ask.req_id, code, e.to_string()));
            }
        };
        let mut body = String::new();
        let http_array = wire == Wire::Http && matches!(ask.query, HistoryQuery::Executions { .. });
        if http_array {
            // `GET /api/v1/executions/{symbol}` keeps its shape: an array.
            if let Rows::Trades(v) = &page.rows {
                public_trades(&self.dir, v, &mut body);
            }
        } else {
            encode_page(&self.dir, &ask, &page, &mut body);
        }
        let Some(s) = self.sessions.get_mut(&ask.sid) else {
            return;
        };
        match wire {
            Wire::Ws => s.out.push_text(body),
            Wire::Binary => {
                self.bytes_buf.clear();
                binary::encode_history_bin(&body, ask.req_id, &mut self.bytes_buf);
                s.out.push_bytes(&self.bytes_buf);
            }
            Wire::Http => {
                s.http_wait = None;
                self.bytes_buf.clear();
                http::response(
                    200,
                    "application/json",
                    &body,
                    s.http_keep_alive,
                    &mut self.bytes_buf,
                );
                s.out.push_bytes(&self.bytes_buf);
            }
            Wire::WsTrades => {}
        }
    }

    /// The HTTP routes answered from the store: `GET /v1/order`,
    /// `/v1/orders/history`, `/v1/trades`, `/v1/transfers` (with
    /// `X-API-Key`; the admin key sees every user's), and
    /// `GET /api/v1/executions/{symbol}` when it names `before_trade_id`.
    /// `false` when `req` is none of them. (`private`: the route needs the
    /// API key, given or not.)
    pub(super) fn history_http(&mut self, sid: u32, req: &http::Request, now_ns: u64) -> bool {
        if req.method != "GET" {
            return false;
        }
        let path = req.path.as_str();
        let ours = ROUTES.iter().any(|(p, _)| *p == path)
            || (path.starts_with("/api/v1/executions/")
                && http::query_param(&req.query, "before_trade_id").is_some());
        if ours
            && self
                .sessions
                .get_mut(&sid)
                .is_some_and(|s| !s.bucket.allow(now_ns))
        {
            self.error(
                sid,
                &WireError::new(None, ErrorCode::RateLimited, "rate limit exceeded"),
            );
            return true;
        }
        if let Some(sym) = path.strip_prefix("/api/v1/executions/") {
            if http::query_param(&req.query, "before_trade_id").is_none() || sym.contains('/') {
                return false;
            }
            let Some(name) = engine::Name::new(sym).filter(|n| self.dir.symbol_id(n).is_some())
            else {
                return false; // the market-data route answers 404
            };
            let mut params = query_json(&req.query);
            params.insert("symbol".into(), name.as_str().into());
            return self.history_http_op(sid, params, "executions", None);
        }
        let Some(&(_, op)) = ROUTES.iter().find(|(p, _)| *p == path) else {
            return false;
        };
        self.history_http_op(
            sid,
            query_json(&req.query),
            op,
            Some(req.api_key.as_deref()),
        )
    }

    fn history_http_op(
        &mut self,
        sid: u32,
        params: serde_json::Map<String, serde_json::Value>,
        op: &str,
        private: Option<Option<&str>>,
    ) -> bool {
        if let Some(key) = private {
            let Some(who) = self.http_key_user(sid, key) else {
                return true;
            };
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.user = Some(who);
            }
        }
        let text = serde_json::Value::Object(params).to_string();
        match json::decode_request_as(&text, op) {
            Ok(r) => match r.op {
                Op::History(q) => self.history_ask(sid, None, q),
                _ => self.error(
                    sid,
                    &WireError::new(None, ErrorCode::Malformed, "not a history query"),
                ),
            },
            Err(e) => self.error(sid, &WireError { req_id: None, ..e }),
        }
        true
    }

    /// The user and role the request's `X-API-Key` names (the admin key
    /// included); answers `unauthenticated` and gives `None` otherwise.
    fn http_key_user(&mut self, sid: u32, key: Option<&str>) -> Option<(engine::UserId, Role)> {
        let who = key.and_then(|k| {
            let kh = KeyHash::of_key(k);
            if self.admin_key == Some(kh) {
                Some((super::ADMIN_USER, Role::Admin))
            } else {
                self.keys.get(&kh).map(|u| (u.user, u.role))
            }
        });
        if who.is_none() {
            let msg = match key {
                None => "X-API-Key header required",
                Some(_) => "unknown api key",
            };
            self.error(sid, &WireError::new(None, ErrorCode::Unauthenticated, msg));
        }
        who
    }
}

/// The query string as a JSON object of strings (percent-decoded), for the
/// JSON decoder: the same checks as the WebSocket ops.
pub(super) fn query_json(query: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        m.insert(pct_decode(k), pct_decode(v).into());
    }
    m
}

/// `%41` -> `A`, `+` -> space; a malformed escape is kept as it is.
fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn symbol_info<'d>(dir: &'d Directory, name: &engine::Name) -> Option<&'d SymbolInfo> {
    dir.symbol_id(name).map(|id| dir.symbol(id))
}

fn next_cursor(o: &mut ObjectWriter<'_>, c: Option<u64>) {
    match c {
        Some(c) => o.u64("next_cursor", c),
        None => o.null("next_cursor"),
    }
}

/// `{"type":<op>,"req_id":..,"as_of_seq":N,...rows...,"next_cursor":..}`.
fn encode_page(dir: &Directory, ask: &Ask, page: &Page, out: &mut String) {
    let mut o = ObjectWriter::open(out);
    o.str("type", ask.query.name());
    o.req_id(ask.req_id);
    o.u64("as_of_seq", page.as_of_seq);
    match (&page.rows, &ask.query) {
        (Rows::Order(r), _) => {
            let mut b = String::new();
            order(dir, r, &mut b);
            o.raw("order", &b);
        }
        (Rows::Orders(v), _) => {
            o.raw("orders", &list(v, |r, b| order(dir, r, b)));
            next_cursor(&mut o, page.next_cursor);
        }
        (Rows::Trades(v), HistoryQuery::Executions { symbol, .. }) => {
            o.str("symbol", symbol.as_str());
            let mut b = String::new();
            public_trades(dir, v, &mut b);
            o.raw("trades", &b);
            next_cursor(&mut o, page.next_cursor);
        }
        (Rows::Trades(v), _) => {
            o.raw("trades", &list(v, |r, b| my_trade(dir, ask.caller, r, b)));
            next_cursor(&mut o, page.next_cursor);
        }
        (Rows::Transfers(v), _) => {
            o.raw("transfers", &list(v, |r, b| transfer(dir, r, b)));
            next_cursor(&mut o, page.next_cursor);
        }
    }
    o.close();
}

fn list<T>(v: &[T], mut item: impl FnMut(&T, &mut String)) -> String {
    let mut b = String::from("[");
    for (i, r) in v.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        item(r, &mut b);
    }
    b.push(']');
    b
}

/// Public trades, shaped as `GET /api/v1/executions/{symbol}` answers them.
fn public_trades(dir: &Directory, v: &[TradeRow], out: &mut String) {
    out.push_str(&list(v, |t, b| {
        let mut o = ObjectWriter::open(b);
        o.str("type", "trade");
        o.str("symbol", t.symbol.as_str());
        o.u64("trade_id", t.trade_id);
        match symbol_info(dir, &t.symbol) {
            Some(si) => {
                o.dec("price", si.ticks_to_fixed(Ticks::new(t.price)));
                o.dec("qty", si.lots_to_fixed(Lots::new(t.qty)));
            }
            None => {
                o.null("price");
                o.null("qty");
            }
        }
        o.str("taker_side", t.taker_side);
        o.u64("ts", t.ts);
        o.close();
    }));
}

/// One order of the store, its latest state, in the API's units.
fn order(dir: &Directory, r: &OrderRow, out: &mut String) {
    let si = symbol_info(dir, &r.symbol);
    let mut o = ObjectWriter::open(out);
    o.u64("order_id", r.order_id);
    o.u64("user", r.user);
    match r.symbol.as_str() {
        "" => o.null("symbol"),
        s => o.str("symbol", s),
    }
    o.str("side", r.side);
    o.str("type", r.order_type);
    o.str("tif", r.tif);
    let px = |v: Option<i64>| si.zip(v).map(|(si, t)| si.ticks_to_fixed(Ticks::new(t)));
    let qty = |v: Option<i64>| si.zip(v).map(|(si, l)| si.lots_to_fixed(Lots::new(l)));
    o.opt_dec("price", px(r.price));
    o.opt_dec("stop_price", px(r.stop_price));
    o.opt_dec("qty", qty(Some(r.qty)));
    o.opt_dec("display_qty", qty(r.display_qty));
    o.opt_dec("filled_qty", qty(Some(r.filled_qty)));
    o.opt_dec(
        "avg_price",
        si.and_then(|si| {
            let qs = dir.asset(si.quote).scale;
            json::avg_price_of(si, qs, r.quote_filled, Lots::new(r.filled_qty))
        }),
    );
    o.str("status", r.status);
    match r.reason {
        Some(w) => o.str("reason", w),
        None => o.null("reason"),
    }
    match &r.client_order_id {
        Some(c) => o.str("client_order_id", c.as_str()),
        None => o.null("client_order_id"),
    }
    o.bool("post_only", r.post_only);
    o.str("stp", r.stp);
    o.u64("created_seq", r.created_seq);
    o.u64("created_ts", r.created_ts);
    o.u64("updated_seq", r.updated_seq);
    o.u64("updated_ts", r.updated_ts);
    o.close();
}

fn fee(dir: &Directory, units: i64, asset: &engine::Name) -> Option<engine::Fixed> {
    let id = dir.asset_id(asset)?;
    Some(units_to_fixed(dir.asset(id).scale, Units::new(units)))
}

/// A fill: the trader's own side of it (its order, side, liquidity and
/// fee, never the counterparty's); the admin sees both sides.
fn my_trade(dir: &Directory, caller: Caller, t: &TradeRow, out: &mut String) {
    let si = symbol_info(dir, &t.symbol);
    let mut o = ObjectWriter::open(out);
    o.u64("trade_id", t.trade_id);
    o.str("symbol", t.symbol.as_str());
    o.opt_dec("price", si.map(|si| si.ticks_to_fixed(Ticks::new(t.price))));
    o.opt_dec("qty", si.map(|si| si.lots_to_fixed(Lots::new(t.qty))));
    o.str("taker_side", t.taker_side);
    match caller {
        Caller::User(u) => {
            let taker = t.taker_user == u;
            let side = match (taker, t.taker_side) {
                (true, s) => s,
                (false, "buy") => "sell",
                (false, _) => "buy",
            };
            o.str("side", side);
            o.str("liquidity", if taker { "taker" } else { "maker" });
            o.u64(
                "order_id",
                if taker {
                    t.taker_order_id
                } else {
                    t.maker_order_id
                },
            );
            let (f, fa) = if taker {
                (t.taker_fee, &t.taker_fee_asset)
            } else {
                (t.maker_fee, &t.maker_fee_asset)
            };
            o.opt_dec("fee", fee(dir, f, fa));
            o.str("fee_asset", fa.as_str());
        }
        Caller::Admin => {
            o.u64("maker_order_id", t.maker_order_id);
            o.u64("maker_user", t.maker_user);
            o.opt_dec("maker_fee", fee(dir, t.maker_fee, &t.maker_fee_asset));
            o.str("maker_fee_asset", t.maker_fee_asset.as_str());
            o.u64("taker_order_id", t.taker_order_id);
            o.u64("taker_user", t.taker_user);
            o.opt_dec("taker_fee", fee(dir, t.taker_fee, &t.taker_fee_asset));
            o.str("taker_fee_asset", t.taker_fee_asset.as_str());
        }
    }
    o.u64("seq", t.seq);
    o.u64("ts", t.ts);
    o.close();
}

fn transfer(dir: &Directory, r: &TransferRow, out: &mut String) {
    let mut o = ObjectWriter::open(out);
    o.str("tx_id", r.tx_id.as_str());
    o.u64("user", r.user);
    o.str("asset", r.asset.as_str());
    o.opt_dec("amount", fee(dir, r.amount, &r.asset));
    o.str("kind", r.kind);
    o.u64("seq", r.seq);
    o.u64("ts", r.ts);
    o.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_become_json_strings() {
        let m = query_json("symbol=BTC-USD&limit=5&client_order_id=a%2Db&x");
        assert_eq!(m["symbol"], "BTC-USD");
        assert_eq!(m["limit"], "5");
        assert_eq!(m["client_order_id"], "a-b");
        assert_eq!(m["x"], "");
        assert_eq!(pct_decode("%zz%4"), "%zz%4");
    }
}
