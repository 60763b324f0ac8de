//! The REST routes: every HTTP request that is not a WebSocket upgrade is
//! dispatched here ([`Router::on_http`]). Public market data is served from
//! the projection; private routes act as the API key's user for one request
//! and are answered once the engine's `Done` arrives.
//!
//! What holds: HTTP requests on one connection are answered one at a time,
//! in order; every error body is written by the JSON codec's error encoder.

use super::{HttpWait, Router, Wire};
use crate::http;
use engine::market_data::Interval;
use engine::{Event, KeyHash, Role};
use pipeline::metrics::Metrics;
use pipeline::InSlot;
use std::fmt::Write;
use wire::json;
use wire::md;
use wire::{ErrorCode, Op, Request, WireError};

/// `{"type":"error","code":"not_found","message":...}`.
fn not_found_body(message: &str) -> String {
    let mut b = String::new();
    json::encode_http_error("not_found", message, &mut b);
    b
}

impl Router {
    /// Answers a request that could not be parsed, then closes the connection.
    pub fn on_http_parse_error(&mut self, sid: u32, e: &http::ParseError) {
        let err = match e {
            http::ParseError::TooLarge => {
                WireError::new(None, ErrorCode::TooLarge, "request too large")
            }
            http::ParseError::Bad(m) => {
                WireError::new(None, ErrorCode::Malformed, format!("bad request: {m}"))
            }
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        self.text_buf.clear();
        json::encode_error(&err, &mut self.text_buf);
        self.bytes_buf.clear();
        http::response(
            err.code.http_status(),
            "application/json",
            &self.text_buf,
            false,
            &mut self.bytes_buf,
        );
        s.out.push_bytes(&self.bytes_buf);
        s.out.close = Some("bad http request".into());
    }

    /// Answers an HTTP session once its input is done.
    pub(super) fn http_done(&mut self, sid: u32) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.wire != Wire::Http {
            return;
        }
        let body = match s.http_wait.take() {
            Some(HttpWait::Events(v)) => format!("{{\"events\":[{}]}}", v.join(",")),
            Some(HttpWait::Query(Some(q))) => q,
            _ => return,
        };
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

    /// Is an HTTP session still waiting for its answer?
    pub fn http_busy(&self, sid: u32) -> bool {
        self.sessions
            .get(&sid)
            .is_some_and(|s| s.http_wait.is_some())
    }

    /// Handles one HTTP request (not an upgrade).
    #[allow(clippy::too_many_arguments)]
    pub fn on_http(
        &mut self,
        sid: u32,
        req: &http::Request,
        now_ns: u64,
        publish: &mut dyn FnMut(InSlot) -> bool,
        metrics: &Metrics,
        applied_seq: u64,
        ring_depths: (u64, u64),
    ) {
        let keep = req.keep_alive;
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.http_keep_alive = keep;
        }
        let respond = |f: &mut Router, status: u16, ctype: &str, body: &str| {
            if let Some(s) = f.sessions.get_mut(&sid) {
                f.bytes_buf.clear();
                http::response(status, ctype, body, keep, &mut f.bytes_buf);
                s.out.push_bytes(&f.bytes_buf);
            }
        };
        let path = req.path.as_str();
        if let (Some((ctype, body)), "GET") = (crate::web::asset(path), req.method.as_str()) {
            if let Some(s) = self.sessions.get_mut(&sid) {
                self.bytes_buf.clear();
                crate::web::response(ctype, body, keep, &mut self.bytes_buf);
                s.out.push_bytes(&self.bytes_buf);
            }
            return;
        }
        match (req.method.as_str(), path) {
            ("GET", "/healthz") => {
                let (status, word) = match self.intake_stopped() {
                    false => (200, "ok"),
                    true => (503, "unavailable"),
                };
                let mut body = format!("{{\"status\":\"{word}\",\"seq\":{applied_seq}");
                if let Some(h) = &self.history {
                    let st = &h.stats;
                    let _ = write!(
                        body,
                        ",\"history\":{{\"backend\":\"{}\",\"progress_seq\":{},\"lag_seq\":{},\"failures\":{}}}",
                        h.backend,
                        st.progress.load(std::sync::atomic::Ordering::Acquire),
                        st.lag_seq(),
                        st.failures.load(std::sync::atomic::Ordering::Acquire),
                    );
                }
                if let Some((view, st)) = &self.replication {
                    use std::sync::atomic::Ordering::Acquire;
                    let seq = st.replicated_seq.load(Acquire);
                    let primary_seq = st.primary_seq.load(Acquire).max(seq);
                    let _ = write!(
                        body,
                        ",\"role\":\"{}\",\"epoch\":{},\"replication\":{{\"replicated_seq\":{seq},\"lag_seq\":{},\"stream_seq\":{},\"failures\":{}}}",
                        view.state().as_str(),
                        view.epoch(),
                        primary_seq.saturating_sub(applied_seq.min(primary_seq)),
                        st.stream_seq.load(Acquire),
                        st.failures.load(Acquire),
                    );
                    if let Some(l) = view.leader() {
                        let _ = write!(body, ",\"primary\":\"{}\"", l.http);
                    }
                }
                body.push('}');
                return respond(self, status, "application/json", &body);
            }
            ("GET", "/metrics") => {
                let mut body = metrics.render(ring_depths.0, ring_depths.1);
                if let Some(h) = &self.history {
                    h.render_metrics(&mut body);
                }
                if let Some((view, st)) = &self.replication {
                    super::replication_metrics::render(view, st, applied_seq, &mut body);
                }
                return respond(self, 200, "text/plain; version=0.0.4", &body);
            }
            ("GET", "/api/v1/symbols") => {
                let mut b = String::from("[");
                for (i, si) in self.dir.symbols().iter().enumerate() {
                    if i > 0 {
                        b.push(',');
                    }
                    let sp = &si.spec;
                    let _ = write!(
                        b,
                        r#"{{"symbol":"{}","base":"{}","quote":"{}","tick_size":"{}","lot_size":"{}","min_qty":"{}","maker_fee_bps":{},"taker_fee_bps":{},"price_band_pct":{}}}"#,
                        sp.symbol,
                        sp.base,
                        sp.quote,
                        sp.tick_size,
                        sp.lot_size,
                        sp.min_qty,
                        sp.maker_fee_bps,
                        sp.taker_fee_bps,
                        sp.price_band_pct
                            .map(|p| format!("\"{p}\""))
                            .unwrap_or_else(|| "null".into())
                    );
                }
                b.push(']');
                return respond(self, 200, "application/json", &b);
            }
            _ => {}
        }
        if self.history_http(sid, req, now_ns) {
            return;
        }
        if req.method == "GET" && path.starts_with("/api/v1/") {
            if let Some((status, body)) = self.market_data_http(path, &req.query) {
                return respond(self, status, "application/json", &body);
            }
        }
        let private = matches!(
            (req.method.as_str(), path),
            ("POST", "/v1/order")
                | ("POST", "/v1/order/cancel")
                | ("GET", "/v1/execution")
                | ("GET", "/v1/orders")
                | ("GET", "/v1/balances")
        );
        if !private {
            let known = path.starts_with("/api/v1/")
                || path.starts_with("/v1/")
                || path == "/healthz"
                || path == "/metrics";
            let (status, msg) = if known {
                (405, "method not allowed")
            } else {
                (404, "unknown path")
            };
            return respond(self, status, "application/json", &not_found_body(msg));
        }
        let Some(key) = &req.api_key else {
            return self.error(
                sid,
                &WireError::new(
                    None,
                    ErrorCode::Unauthenticated,
                    "X-API-Key header required",
                ),
            );
        };
        let kh = KeyHash::of_key(key);
        let who = if self.admin_key == Some(kh) {
            None
        } else {
            self.keys.get(&kh).map(|u| (u.user, u.role))
        };
        let Some((user, role)) = who else {
            return self.error(
                sid,
                &WireError::new(None, ErrorCode::Unauthenticated, "unknown api key"),
            );
        };
        if role == Role::DropCopy {
            return self.error(
                sid,
                &WireError::new(
                    None,
                    ErrorCode::Forbidden,
                    "a dropcopy user reads the events channel only",
                ),
            );
        }
        // An HTTP session acts as the key's user for this one request.
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.user = Some((user, Role::Trader));
        }
        let text = std::str::from_utf8(&req.body).unwrap_or("");
        let decoded = match (req.method.as_str(), path) {
            ("POST", "/v1/order") => json::decode_request_as(text, "place"),
            ("POST", "/v1/order/cancel") => json::decode_request_as(text, "cancel"),
            ("GET", "/v1/orders") => json::decode_request_as(
                &serde_json::Value::Object(super::history::query_json(&req.query)).to_string(),
                "open_orders",
            ),
            ("GET", "/v1/balances") => Ok(Request {
                req_id: None,
                op: Op::Balances { user: None },
            }),
            _ => {
                // GET /v1/execution?limit=N: kept here, newest first.
                let limit: usize = http::query_param(&req.query, "limit")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(100);
                let mut body = String::from("[");
                for (i, r) in self
                    .recent
                    .get(&user)
                    .into_iter()
                    .flatten()
                    .take(limit)
                    .enumerate()
                {
                    if i > 0 {
                        body.push(',');
                    }
                    json::encode_event(&Event::Execution(*r), &self.dir, None, &mut body);
                }
                body.push(']');
                return respond(self, 200, "application/json", &body);
            }
        };
        let decoded = decoded.and_then(|r| match r.op {
            Op::Trader(_) | Op::OpenOrders { .. } | Op::Balances { user: None } => Ok(r),
            _ => Err(WireError::new(
                r.req_id,
                ErrorCode::Malformed,
                "body does not match the route",
            )),
        });
        self.on_request(sid, decoded, now_ns, now_ns, publish, metrics);
    }

    /// The public market-data routes, served from the projection (never by
    /// asking the business logic): `None` when `path` is not one of them.
    fn market_data_http(&self, path: &str, query: &str) -> Option<(u16, String)> {
        let parts: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
        let not_found = |what: &str| (404, not_found_body(&format!("unknown {what}")));
        let num = |name: &str, default: usize, max: usize| {
            http::query_param(query, name)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(default)
                .min(max)
        };
        let (kind, sym) = match parts.as_slice() {
            [k, s] | [k, s, _] => (*k, *s),
            _ => return None,
        };
        if !matches!(kind, "orderbook" | "executions" | "statistics" | "klines") {
            return None;
        }
        let Some(id) = engine::Name::new(sym).and_then(|n| self.dir.symbol_id(&n)) else {
            return Some(not_found("symbol"));
        };
        let si = self.dir.symbol(id);
        let mut b = String::new();
        match (kind, parts.len()) {
            ("orderbook", 2) => {
                let snap = self.md.book_snapshot(id, num("depth", 100, 5_000))?;
                md::orderbook_http(si, &snap, &mut b);
            }
            ("executions", 2) => {
                b.push('[');
                for (i, t) in self
                    .md
                    .recent_trades(id, num("limit", 100, 1_000))?
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        b.push(',');
                    }
                    md::trade(si, t, &mut b);
                }
                b.push(']');
            }
            ("statistics", 2) => match self.md.ticker(id) {
                Some(t) => md::ticker(si, &self.dir, &t, &mut b),
                None => return Some(not_found("symbol")),
            },
            ("klines", 3) => {
                let Some(interval) = Interval::parse(parts[2]) else {
                    return Some(not_found("interval"));
                };
                b.push('[');
                for (i, k) in self
                    .md
                    .klines(id, interval, num("limit", 500, interval.retention()))?
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        b.push(',');
                    }
                    md::kline(si, &self.dir, interval, k, &mut b);
                }
                b.push(']');
            }
            _ => return None,
        }
        Some((200, b))
    }
}
