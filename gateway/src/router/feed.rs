//! Market data: subscriptions, the projection fed in engine order, ticker
//! throttling, and the fan-out of each update to its subscribers.
//!
//! What holds: a book subscriber starts from a full snapshot and then gets
//! every delta in order (a subscriber that cannot keep up overflows its
//! outbox and is closed, so it never sees a book with a gap); a ticker goes
//! out at most ten times a second per symbol, the newest held back.

use super::{Router, Wire, ADMIN_USER};
use engine::market_data::{Interval, MdUpdate, PublicTrade, Ticker};
use engine::SymbolId;
use pipeline::Query;
use wire::json;
use wire::md;
use wire::{Channel, ErrorCode, WireError};

/// A market-data channel, resolved to a symbol.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub(super) enum Feed {
    Book(SymbolId),
    Trades(SymbolId),
    Ticker(SymbolId),
    Klines(SymbolId, Interval),
}

/// At most this many ticker messages a second per symbol.
const TICKER_MIN_GAP_NS: u64 = 100_000_000;
/// How often the market-data clock is moved by wall time (closing klines,
/// rolling the ticker window) when no trade does it.
const MD_TICK_NS: u64 = 1_000_000_000;

impl Router {
    /// The public trade stream (`/ws/executions`): one message per fill, from the taker's report.
    pub(super) fn public_trade(&mut self, r: &engine::ExecReport) {
        let (Some(sym), Some(f)) = (r.symbol, r.fill) else {
            return;
        };
        let trade = PublicTrade {
            trade_id: f.trade_id,
            price: f.price,
            qty: f.qty,
            taker_side: r.side,
            ts_ns: r.ts_ns,
        };
        self.text_buf.clear();
        md::trade(self.dir.symbol(sym), &trade, &mut self.text_buf);
        for &sid in &self.trade_stream {
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.out.push_text(self.text_buf.clone());
            }
        }
    }

    pub(super) fn subscribe(&mut self, sid: u32, chs: &[Channel], on: bool, req_id: Option<u64>) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        if s.wire != Wire::Ws {
            let e = WireError::new(
                req_id,
                ErrorCode::Malformed,
                "market-data channels are served over WebSocket",
            );
            return self.error(sid, &e);
        }
        let trader = s.user.filter(|u| u.0 != ADMIN_USER).map(|u| u.0);
        // Resolve everything first: one bad channel refuses the whole request.
        let mut resolved = Vec::with_capacity(chs.len());
        for ch in chs {
            let sym = |n: &engine::Name| self.dir.symbol_id(n);
            let r = match *ch {
                Channel::Book(n) => sym(&n).map(|s| Some(Feed::Book(s))),
                Channel::Trades(n) => sym(&n).map(|s| Some(Feed::Trades(s))),
                Channel::Ticker(n) => sym(&n).map(|s| Some(Feed::Ticker(s))),
                Channel::Klines(n, i) => sym(&n).map(|s| Some(Feed::Klines(s, i))),
                Channel::Events => {
                    let e = WireError::new(
                        req_id,
                        ErrorCode::Malformed,
                        "the events channel is subscribed and unsubscribed on its own",
                    );
                    return self.error(sid, &e);
                }
                Channel::Balances => {
                    if trader.is_none() {
                        let e = WireError::new(
                            req_id,
                            ErrorCode::Unauthenticated,
                            "the balances channel needs a trader login",
                        );
                        return self.error(sid, &e);
                    }
                    Some(None)
                }
            };
            match r {
                Some(x) => resolved.push(x),
                None => {
                    let e = WireError::new(
                        req_id,
                        ErrorCode::Malformed,
                        format!("unknown symbol in channel {ch}"),
                    );
                    return self.error(sid, &e);
                }
            }
        }
        self.text_buf.clear();
        json::encode_subscribed(chs, on, req_id, &mut self.text_buf);
        let ack = self.text_buf.clone();
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.out.push_text(ack);
        }
        for r in resolved {
            let Some(sub) = r else {
                // The user's own balances.
                let user = trader.unwrap_or(ADMIN_USER);
                if on {
                    let v = self.balances_subs.entry(user).or_default();
                    v.retain(|&x| x != sid);
                    v.push(sid);
                    // Answered with the current balances, as a push.
                    self.deferred
                        .push_back(Query::WatchBalances { user, on: true });
                } else {
                    self.unwatch(user, sid);
                }
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.balances_sub = on;
                }
                continue;
            };
            let v = self.feeds.entry(sub).or_default();
            v.retain(|&x| x != sid);
            let Some(s) = self.sessions.get_mut(&sid) else {
                return;
            };
            s.feeds.retain(|&x| x != sub);
            if !on {
                continue;
            }
            v.push(sid);
            s.feeds.push(sub);
            // A book subscriber starts from a full snapshot; a ticker one from the current ticker.
            self.text_buf.clear();
            match sub {
                Feed::Book(sym) => {
                    if let Some(snap) = self.md.book_snapshot(sym, usize::MAX) {
                        md::book(
                            self.dir.symbol(sym),
                            true,
                            snap.seq,
                            None,
                            &snap.bids,
                            &snap.asks,
                            None,
                            &mut self.text_buf,
                        );
                    }
                }
                Feed::Ticker(sym) => {
                    if let Some(t) = self.md.ticker(sym) {
                        md::ticker(self.dir.symbol(sym), &self.dir, &t, &mut self.text_buf);
                    }
                }
                Feed::Trades(_) | Feed::Klines(..) => {}
            }
            if !self.text_buf.is_empty() {
                s.out.push_text(self.text_buf.clone());
            }
        }
    }

    /// Applies the market-data events of input `seq` and fans the updates out.
    pub(super) fn md_flush(&mut self, seq: u64) {
        let mut out = std::mem::take(&mut self.md_out);
        out.clear();
        if let Err(e) = self.md.apply(seq, &self.md_events, &mut out) {
            tracing::error!(seq, error = ?e, "market data refused an input");
        }
        self.md_events.clear();
        for u in out.drain(..) {
            self.md_send(u);
        }
        self.md_out = out;
    }

    pub(super) fn md_send(&mut self, u: MdUpdate) {
        let sym = u.symbol();
        let key = match &u {
            MdUpdate::Book(_) => Feed::Book(sym),
            MdUpdate::Trade { .. } => Feed::Trades(sym),
            MdUpdate::Kline { interval, .. } => Feed::Klines(sym, *interval),
            MdUpdate::Ticker { ticker, .. } => {
                // At most 10 a second: hold the newest back until it is due.
                let now = self.last_md_tick_ns;
                let e = self.tickers.entry(sym).or_insert((0, None));
                if e.0 != 0 && now < e.0 + TICKER_MIN_GAP_NS {
                    e.1 = Some(*ticker);
                    return;
                }
                *e = (now.max(1), None);
                Feed::Ticker(sym)
            }
        };
        let Some(sids) = self.feeds.get(&key).filter(|v| !v.is_empty()) else {
            return;
        };
        let si = self.dir.symbol(sym);
        self.text_buf.clear();
        match &u {
            MdUpdate::Book(d) => md::book(
                si,
                false,
                d.seq,
                Some(d.prev_seq),
                &d.bids,
                &d.asks,
                None,
                &mut self.text_buf,
            ),
            MdUpdate::Trade { trade, .. } => md::trade(si, trade, &mut self.text_buf),
            MdUpdate::Kline {
                interval, kline, ..
            } => md::kline(si, &self.dir, *interval, kline, &mut self.text_buf),
            MdUpdate::Ticker { ticker, .. } => {
                md::ticker(si, &self.dir, ticker, &mut self.text_buf)
            }
        }
        for sid in sids {
            if let Some(s) = self.sessions.get_mut(sid) {
                // A subscriber that cannot keep up overflows its outbox and is
                // closed with a reason: it never sees a book with a gap.
                s.out.push_text(self.text_buf.clone());
            }
        }
    }

    /// Time-driven market data: held-back tickers that are due, and (once a
    /// second) klines closing and the ticker window rolling by wall time.
    pub fn md_tick(&mut self, mono_ns: u64, wall_ns: u64) {
        self.last_md_tick_ns = mono_ns;
        let due: Vec<(SymbolId, Ticker)> = self
            .tickers
            .iter()
            .filter_map(|(&s, &(sent, held))| {
                held.filter(|_| mono_ns >= sent + TICKER_MIN_GAP_NS)
                    .map(|t| (s, t))
            })
            .collect();
        for (symbol, ticker) in due {
            self.md_send(MdUpdate::Ticker { symbol, ticker });
        }
        if mono_ns >= self.next_md_tick {
            self.next_md_tick = mono_ns + MD_TICK_NS;
            let mut out = std::mem::take(&mut self.md_out);
            out.clear();
            self.md.tick(wall_ns, &mut out);
            for u in out.drain(..) {
                self.md_send(u);
            }
            self.md_out = out;
        }
    }
}
