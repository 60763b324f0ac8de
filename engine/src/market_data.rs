//! Market data: the public projection of the engine's events, per symbol the
//! L2 book with its delta sequence, the last trades, klines and the rolling
//! 24 h ticker.
//!
//! What holds:
//! - [`MarketData`] is a pure function of what it is fed: the events of each
//!   engine command in journal order ([`MarketData::apply`]) and the times
//!   given to [`MarketData::tick`]. It reads no clock, does no I/O, starts no
//!   thread, and iterates only ordered containers, so the same input gives
//!   the same [`MdUpdate`]s and the same state, byte for byte. A restart
//!   feeds past trades through [`MarketData::restore_trades`] (a store's,
//!   the journal being too long to replay), which gives the state those
//!   trades gave live: same tape, klines and ticker figures.
//! - Book: after every command, each symbol's book equals the engine's L2 book
//!   (`Engine::book(symbol, usize::MAX)`). The levels one command changes
//!   leave as ONE [`BookDelta`] per symbol whose `seq` is the previous one
//!   plus one and whose `prev_seq` names it. Within a command the last value
//!   of a level wins, and a level that ends where it began is left out; a
//!   command that changes nothing in the end sends no delta and uses no `seq`.
//!   So the first [`BookSnapshot`] plus every later delta rebuilds the
//!   engine's book exactly, and a gap in `seq` means a lost message.
//! - Public trades are the taker's `trade` report of each fill (its `side` is
//!   the taker's side); the last [`TRADES_KEPT`] are kept.
//! - Time only moves forward: the market-data clock is the largest of the
//!   command timestamps seen and the times given to `tick`. A trade stamped
//!   before the clock (possible only when `tick` was given a time ahead of
//!   commands still to come) is bucketed at the clock, so a kline already
//!   published as closed never changes.
//! - Klines exist only for intervals with trades (no empty candles, as on
//!   Binance); see [`Interval`] for the buckets. A kline is published
//!   once more, with `closed: true`, when the clock passes its close time,
//!   whether a later trade or a `tick` moved the clock.
//! - Memory is bounded by the books' sizes plus fixed rings: trades
//!   ([`TRADES_KEPT`]), klines ([`Interval::retention`] each), the ticker
//!   (1,440 minute buckets). Nothing grows with time.
//! - Integers only: prices in ticks, quantities in lots, quote volume in the
//!   quote asset's units; the gateway turns them into decimals with the
//!   `Directory`. Sums saturate rather than wrap.
//!
//! What it must never do: panic on any event stream, publish a delta whose
//! `prev_seq` is not the previous delta's `seq`, or reorder a symbol's
//! updates. Events of a symbol never added ([`MarketData::add_symbol`]) are
//! ignored and counted ([`MarketData::ignored_events`]): the engine emits no
//! market data for a symbol in the command that creates it, so adding the
//! symbol after that command is always in time.
//!
//! Order of the updates of one command: first what the clock moving to the
//! command's time closed (klines, and tickers whose window dropped minutes),
//! symbols by id; then, symbols by id, each symbol's trades in engine order,
//! its book delta, the kline of every interval (when it traded), and its
//! ticker (when it traded or its best bid or ask price changed).

mod book;
mod kline;
mod ring;
mod ticker;

pub use book::{BookDelta, BookSnapshot};
pub use kline::{Interval, Kline};
pub use ticker::{change_pct, Ticker, WINDOW_MINUTES};

use crate::directory::{Directory, SymbolInfo};
use crate::engine::Engine;
use crate::event::{Event, ExecType};
use crate::types::*;
use book::MdBook;
use kline::KlineSeries;
use ring::Ring;
use std::fmt;
use ticker::TickerWindow;

/// How many public trades are kept per symbol.
pub const TRADES_KEPT: usize = 1000;

/// A public trade: the taker's view of one fill.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct PublicTrade {
    pub trade_id: TradeId,
    pub price: Ticks,
    pub qty: Lots,
    pub taker_side: Side,
    pub ts_ns: u64,
}

/// One market-data message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MdUpdate {
    Book(BookDelta),
    Trade {
        symbol: SymbolId,
        trade: PublicTrade,
    },
    Kline {
        symbol: SymbolId,
        interval: Interval,
        kline: Kline,
    },
    Ticker {
        symbol: SymbolId,
        ticker: Ticker,
    },
}

impl MdUpdate {
    pub fn symbol(&self) -> SymbolId {
        match self {
            MdUpdate::Book(d) => d.symbol,
            MdUpdate::Trade { symbol, .. }
            | MdUpdate::Kline { symbol, .. }
            | MdUpdate::Ticker { symbol, .. } => *symbol,
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum MdError {
    /// A command at or before one already applied; nothing was changed.
    Stale { seq: Seq, last_seq: Seq },
}

impl fmt::Display for MdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MdError::Stale { seq, last_seq } => {
                write!(f, "command {seq} is not after the last applied, {last_seq}")
            }
        }
    }
}

impl std::error::Error for MdError {}

/// A broken market-data invariant (a bug), with where it was found.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MdInvariantError {
    pub symbol: SymbolId,
    pub what: String,
}

impl fmt::Display for MdInvariantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "market data of symbol {}: {}", self.symbol.0, self.what)
    }
}

impl std::error::Error for MdInvariantError {}

/// Everything kept for one symbol.
#[derive(Clone, Debug)]
struct SymbolMd {
    id: SymbolId,
    quote_per_tick_lot: i64,
    book: MdBook,
    trades: Ring<PublicTrade>,
    klines: [KlineSeries; 8],
    window: TickerWindow,
    /// Clock time of the ticker's last change.
    ticker_ts_ns: u64,
    /// Best bid and ask prices as last published in a ticker.
    shown_best: (Option<Ticks>, Option<Ticks>),
    /// Earliest clock time at which a kline closes or a minute leaves the window.
    due_ns: u64,
}

impl SymbolMd {
    fn new(info: &SymbolInfo) -> SymbolMd {
        SymbolMd {
            id: info.id,
            quote_per_tick_lot: info.quote_per_tick_lot,
            book: MdBook::default(),
            trades: Ring::new(TRADES_KEPT),
            klines: Interval::ALL.map(KlineSeries::new),
            window: TickerWindow::default(),
            ticker_ts_ns: 0,
            shown_best: (None, None),
            due_ns: u64::MAX,
        }
    }

    /// Keeps one public trade: the tape, every kline series and the ticker
    /// window, the trade bucketed at `at` (its time, or the clock if later).
    fn add_trade(&mut self, t: PublicTrade, at: u64) {
        self.trades.push(t);
        let quote = t.price.get() as i128 * t.qty.get() as i128 * self.quote_per_tick_lot as i128;
        let quote = quote.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        for k in self.klines.iter_mut() {
            k.add(at, t.price, t.qty, quote);
        }
        self.window.add(at, t.price, t.qty, quote);
    }

    fn refresh_due(&mut self) {
        self.due_ns = self
            .klines
            .iter()
            .map(KlineSeries::due_ns)
            .fold(self.window.due_ns(), u64::min);
    }

    fn ticker(&self) -> Ticker {
        self.window.ticker(
            self.book.best_bid(),
            self.book.best_ask(),
            self.ticker_ts_ns,
        )
    }

    /// Closes the klines that are over and rolls the ticker window to `now_ns`.
    fn roll(&mut self, now_ns: u64, out: &mut Vec<MdUpdate>) {
        for s in self.klines.iter_mut() {
            if let Some(kline) = s.close_if_over(now_ns) {
                out.push(MdUpdate::Kline {
                    symbol: self.id,
                    interval: s.interval,
                    kline,
                });
            }
        }
        if self.window.roll(now_ns) {
            self.ticker_ts_ns = now_ns;
            out.push(MdUpdate::Ticker {
                symbol: self.id,
                ticker: self.ticker(),
            });
        }
        self.refresh_due();
    }

    fn check(&self, now_ns: u64) -> Result<(), String> {
        if let Some((p, q)) = self
            .book
            .bids
            .iter()
            .chain(&self.book.asks)
            .find(|l| *l.1 <= 0)
        {
            return Err(format!("book level {p} holds {q}"));
        }
        if let (Some(b), Some(a)) = (self.book.best_bid(), self.book.best_ask()) {
            if b >= a {
                return Err(format!("book crossed: bid {b:?} ask {a:?}"));
            }
        }
        let mut prev: Option<TradeId> = None;
        for t in self.trades.iter() {
            if prev.is_some_and(|p| p >= t.trade_id) {
                return Err(format!("trade {} after trade {prev:?}", t.trade_id));
            }
            prev = Some(t.trade_id);
        }
        for s in &self.klines {
            s.check()?;
            if s.ring
                .last()
                .is_some_and(|k| !k.closed && now_ns > k.close_time_ns)
            {
                return Err(format!("{} kline open past its close", s.interval.as_str()));
            }
        }
        self.window.check(now_ns)
    }
}

/// A level touched by the current command, with its quantity before it.
#[derive(Copy, Clone, Debug)]
struct Touch {
    symbol: u32,
    /// 0 bids, 1 asks.
    side: u8,
    /// Best first within a side: `-price` for bids, `price` for asks.
    key: i64,
    price: Ticks,
    before: i64,
}

/// A public trade of the current command.
#[derive(Copy, Clone, Debug)]
struct Pending {
    symbol: u32,
    trade: PublicTrade,
}

/// The market-data projection of all symbols. See the module docs.
#[derive(Clone, Debug)]
pub struct MarketData {
    /// By `SymbolId`; `None` for a symbol not added.
    symbols: Vec<Option<SymbolMd>>,
    last_seq: Seq,
    now_ns: u64,
    /// Smallest `due_ns` over the symbols (`u64::MAX`: nothing pending).
    next_due_ns: u64,
    ignored_events: u64,
    touches: Vec<Touch>,
    pending: Vec<Pending>,
}

impl Default for MarketData {
    fn default() -> Self {
        Self::new()
    }
}

impl MarketData {
    pub fn new() -> MarketData {
        MarketData {
            symbols: Vec::new(),
            last_seq: 0,
            now_ns: 0,
            next_due_ns: u64::MAX,
            ignored_events: 0,
            touches: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Starts from an engine's current state: its symbols and books (at book
    /// `seq` 0), its last sequence and time. Trades, klines and the ticker
    /// start empty: [`MarketData::restore_trades`] rebuilds them from past
    /// trades (replaying the journal through [`MarketData::apply`] instead
    /// rebuilds them too).
    pub fn from_engine(engine: &Engine) -> MarketData {
        let mut md = MarketData::new();
        md.sync_symbols(engine.directory());
        for s in md.symbols.iter_mut().flatten() {
            let l2 = engine.book(s.id, usize::MAX);
            for (side, levels) in [(Side::Buy, l2.bids), (Side::Sell, l2.asks)] {
                for (p, q) in levels {
                    s.book.set(side, p, q);
                }
            }
            s.shown_best = (s.book.best_bid(), s.book.best_ask());
        }
        md.last_seq = engine.last_seq();
        md.now_ns = engine.last_ts_ns();
        md
    }

    /// Rebuilds the trade tape, the klines and the 24 h ticker of `symbol`
    /// from its past public trades (a store's, at start-up, after
    /// [`MarketData::from_engine`]), as if they had been applied live: each
    /// trade is bucketed at its own time (kept monotonic), klines close and
    /// the ticker window rolls as the trades' times pass, then at the clock.
    /// Trades must come oldest first (by trade id); those at or before the
    /// newest trade kept are skipped, so the history can be fed page by
    /// page. Nothing is published; the ticker's time becomes the last
    /// trade's. Feeding the trades of the longest retention window (and at
    /// least the last [`TRADES_KEPT`]) gives the state the live feed had,
    /// except what depended on `tick` times: a trade the live clock had
    /// bucketed after its own time, and the ticker's time after a change
    /// that was not a trade. Returns how many trades were taken.
    pub fn restore_trades(&mut self, symbol: SymbolId, trades: &[PublicTrade]) -> usize {
        let mut clock = self.now_ns;
        let mut scratch = Vec::new();
        let Some(s) = self.symbol_mut(symbol) else {
            return 0;
        };
        let mut taken = 0;
        for &t in trades {
            let last = s.trades.last().copied();
            if last.is_some_and(|l| l.trade_id >= t.trade_id) {
                continue;
            }
            let at = t.ts_ns.max(last.map_or(0, |l| l.ts_ns));
            if s.due_ns <= at {
                s.roll(at, &mut scratch);
                scratch.clear();
            }
            s.add_trade(t, at);
            s.ticker_ts_ns = at;
            s.refresh_due();
            clock = clock.max(at);
            taken += 1;
        }
        if s.due_ns <= clock {
            s.roll(clock, &mut scratch);
        }
        s.refresh_due();
        self.now_ns = clock;
        self.next_due_ns = self
            .symbols
            .iter()
            .flatten()
            .map(|s| s.due_ns)
            .fold(u64::MAX, u64::min);
        taken
    }

    /// Starts keeping market data for a symbol; `false` if it already was.
    pub fn add_symbol(&mut self, info: &SymbolInfo) -> bool {
        let i = info.id.0 as usize;
        if self.symbols.len() <= i {
            self.symbols.resize_with(i + 1, || None);
        }
        if self.symbols[i].is_some() {
            return false;
        }
        self.symbols[i] = Some(SymbolMd::new(info));
        true
    }

    /// Adds every symbol of `dir` not added yet (cheap when there is none).
    pub fn sync_symbols(&mut self, dir: &Directory) {
        for info in dir.symbols() {
            let known = self
                .symbols
                .get(info.id.0 as usize)
                .is_some_and(|s| s.is_some());
            if !known {
                self.add_symbol(info);
            }
        }
    }

    /// Feeds all the events of ONE engine command (journal sequence `seq`)
    /// and appends the resulting updates to `out` (not cleared). The
    /// command's time, the `ts_ns` of its reports, first moves the clock as
    /// [`MarketData::tick`] does. A `seq` not above the last one applied is
    /// refused and changes nothing; commands without market data may be
    /// skipped, so gaps in `seq` are allowed.
    pub fn apply(
        &mut self,
        seq: Seq,
        events: &[Event],
        out: &mut Vec<MdUpdate>,
    ) -> Result<(), MdError> {
        if seq <= self.last_seq {
            return Err(MdError::Stale {
                seq,
                last_seq: self.last_seq,
            });
        }
        self.last_seq = seq;
        if let Some(ts) = events.iter().find_map(report_ts) {
            self.advance(ts, out);
        }
        self.touches.clear();
        self.pending.clear();
        for ev in events {
            match *ev {
                Event::Level {
                    symbol,
                    side,
                    price,
                    qty,
                } => {
                    let Some(s) = self.symbol_mut(symbol) else {
                        self.ignored_events += 1;
                        continue;
                    };
                    let before = s.book.qty(side, price);
                    s.book.set(side, price, qty);
                    let (side, key) = match side {
                        Side::Buy => (0, price.get().saturating_neg()),
                        Side::Sell => (1, price.get()),
                    };
                    self.touches.push(Touch {
                        symbol: symbol.0,
                        side,
                        key,
                        price,
                        before,
                    });
                }
                Event::Execution(r) if r.exec_type == ExecType::Trade => {
                    let (Some(symbol), Some(f)) = (r.symbol, r.fill) else {
                        continue;
                    };
                    if f.liquidity != Liquidity::Taker {
                        continue;
                    }
                    if self.symbol_mut(symbol).is_none() {
                        self.ignored_events += 1;
                        continue;
                    }
                    self.pending.push(Pending {
                        symbol: symbol.0,
                        trade: PublicTrade {
                            trade_id: f.trade_id,
                            price: f.price,
                            qty: f.qty,
                            taker_side: r.side,
                            ts_ns: r.ts_ns,
                        },
                    });
                }
                _ => {}
            }
        }
        // Stable sorts: the first touch of a level (its value before the
        // command) survives the dedup; trades keep engine order per symbol.
        self.touches.sort_by_key(|t| (t.symbol, t.side, t.key));
        self.touches.dedup_by_key(|t| (t.symbol, t.side, t.key));
        self.pending.sort_by_key(|p| p.symbol);

        let touches = std::mem::take(&mut self.touches);
        let pending = std::mem::take(&mut self.pending);
        let (mut ti, mut pi) = (0, 0);
        while ti < touches.len() || pi < pending.len() {
            let sym = match (touches.get(ti), pending.get(pi)) {
                (Some(t), Some(p)) => t.symbol.min(p.symbol),
                (Some(t), None) => t.symbol,
                (None, Some(p)) => p.symbol,
                (None, None) => break,
            };
            let t_end = ti + touches[ti..].iter().take_while(|t| t.symbol == sym).count();
            let p_end = pi + pending[pi..].iter().take_while(|p| p.symbol == sym).count();
            self.publish(sym, &touches[ti..t_end], &pending[pi..p_end], out);
            ti = t_end;
            pi = p_end;
        }
        self.touches = touches;
        self.pending = pending;
        Ok(())
    }

    /// Moves the clock to `now_ns` (never back): closes the klines whose
    /// interval is over and drops the minutes that left the ticker window, in
    /// every symbol, publishing what changed. The time must come from the
    /// caller (a journaled time keeps replays identical).
    pub fn tick(&mut self, now_ns: u64, out: &mut Vec<MdUpdate>) {
        self.advance(now_ns, out);
    }

    fn advance(&mut self, now_ns: u64, out: &mut Vec<MdUpdate>) {
        if now_ns <= self.now_ns {
            return;
        }
        self.now_ns = now_ns;
        if now_ns < self.next_due_ns {
            return;
        }
        let mut next = u64::MAX;
        for s in self.symbols.iter_mut().flatten() {
            if s.due_ns <= now_ns {
                s.roll(now_ns, out);
            }
            next = next.min(s.due_ns);
        }
        self.next_due_ns = next;
    }

    fn symbol_mut(&mut self, id: SymbolId) -> Option<&mut SymbolMd> {
        self.symbols.get_mut(id.0 as usize)?.as_mut()
    }

    fn symbol(&self, id: SymbolId) -> Option<&SymbolMd> {
        self.symbols.get(id.0 as usize)?.as_ref()
    }

    /// Publishes what the current command did to one symbol.
    fn publish(
        &mut self,
        sym: u32,
        touches: &[Touch],
        trades: &[Pending],
        out: &mut Vec<MdUpdate>,
    ) {
        let now = self.now_ns;
        let Some(s) = self.symbol_mut(SymbolId(sym)) else {
            return;
        };
        for p in trades {
            let t = p.trade;
            out.push(MdUpdate::Trade {
                symbol: s.id,
                trade: t,
            });
            s.add_trade(t, t.ts_ns.max(now));
        }
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for t in touches {
            let side = if t.side == 0 { Side::Buy } else { Side::Sell };
            let after = s.book.qty(side, t.price);
            if after != t.before {
                let v = if t.side == 0 { &mut bids } else { &mut asks };
                v.push((t.price, Lots::new(after)));
            }
        }
        if !bids.is_empty() || !asks.is_empty() {
            let prev_seq = s.book.seq;
            s.book.seq += 1;
            out.push(MdUpdate::Book(BookDelta {
                symbol: s.id,
                seq: s.book.seq,
                prev_seq,
                bids,
                asks,
            }));
        }
        if !trades.is_empty() {
            for k in &s.klines {
                if let Some(kline) = k.ring.last() {
                    out.push(MdUpdate::Kline {
                        symbol: s.id,
                        interval: k.interval,
                        kline: *kline,
                    });
                }
            }
        }
        let best = (s.book.best_bid(), s.book.best_ask());
        if !trades.is_empty() || best != s.shown_best {
            s.shown_best = best;
            s.ticker_ts_ns = now;
            out.push(MdUpdate::Ticker {
                symbol: s.id,
                ticker: s.ticker(),
            });
        }
        s.refresh_due();
        let due = s.due_ns;
        self.next_due_ns = self.next_due_ns.min(due);
    }

    // --------------------------------------------------------------- queries

    /// The book to `depth` levels a side, at its current book `seq`.
    pub fn book_snapshot(&self, symbol: SymbolId, depth: usize) -> Option<BookSnapshot> {
        let s = self.symbol(symbol)?;
        Some(BookSnapshot {
            symbol,
            seq: s.book.seq,
            bids: s.book.levels(Side::Buy, depth),
            asks: s.book.levels(Side::Sell, depth),
        })
    }

    /// Up to `limit` of the last trades, newest first.
    pub fn recent_trades(&self, symbol: SymbolId, limit: usize) -> Option<Vec<PublicTrade>> {
        let s = self.symbol(symbol)?;
        Some(s.trades.iter().rev().take(limit).copied().collect())
    }

    /// Up to `limit` of the newest klines of `interval`, oldest first.
    pub fn klines(&self, symbol: SymbolId, interval: Interval, limit: usize) -> Option<Vec<Kline>> {
        let ring = &self.symbol(symbol)?.klines[interval.index()].ring;
        let skip = ring.len().saturating_sub(limit);
        Some(ring.iter().skip(skip).copied().collect())
    }

    /// The 24 h ticker as of the clock ([`MarketData::now_ns`]).
    pub fn ticker(&self, symbol: SymbolId) -> Option<Ticker> {
        Some(self.symbol(symbol)?.ticker())
    }

    /// The market-data clock: the latest command time or `tick` time seen.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// The journal sequence of the last command applied.
    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }

    /// Events dropped because their symbol was never added.
    pub fn ignored_events(&self) -> u64 {
        self.ignored_events
    }

    /// What must hold between commands: books with positive levels and not
    /// crossed, trades in id order, kline rings sorted, aligned, bounded and
    /// closed where the clock is past them, ticker totals equal to the sums of
    /// the window's minutes. Tests call it after every command.
    pub fn check_invariants(&self) -> Result<(), MdInvariantError> {
        for s in self.symbols.iter().flatten() {
            s.check(self.now_ns)
                .map_err(|what| MdInvariantError { symbol: s.id, what })?;
            if s.due_ns < self.next_due_ns {
                return Err(MdInvariantError {
                    symbol: s.id,
                    what: "due before the global next due time".into(),
                });
            }
        }
        Ok(())
    }
}

/// The timestamp of a report (every engine command emits at least one).
fn report_ts(ev: &Event) -> Option<u64> {
    match *ev {
        Event::Execution(r) => Some(r.ts_ns),
        Event::Reject { ts_ns, .. }
        | Event::CancelAll { ts_ns, .. }
        | Event::Admin { ts_ns, .. } => Some(ts_ns),
        Event::Level { .. } => None,
    }
}
