//! Market-data messages as JSON (api.md, "Market data"): book snapshots and
//! deltas, public trades, klines, the 24 h ticker, and the HTTP answers built
//! from them. Pure functions writing into a caller's `String`.
//!
//! Numbers come in engine units and leave as decimal strings without trailing
//! zeros; times are ns since the epoch.

use engine::market_data::{BookSnapshot, Interval, Kline, PublicTrade, Ticker};
use engine::{units_to_fixed, Directory, Lots, SymbolInfo, Ticks};
use std::fmt::Write;

fn levels(si: &SymbolInfo, v: &[(Ticks, Lots)], out: &mut String) {
    out.push('[');
    for (i, (p, q)) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "[\"{}\",\"{}\"]",
            si.ticks_to_fixed(*p),
            si.lots_to_fixed(*q)
        );
    }
    out.push(']');
}

fn opt_price(si: &SymbolInfo, p: Option<Ticks>, out: &mut String) {
    match p {
        Some(p) => {
            let _ = write!(out, "\"{}\"", si.ticks_to_fixed(p));
        }
        None => out.push_str("null"),
    }
}

/// A book message: a full snapshot (`snapshot: true`, no `prev_seq`) or a delta.
#[allow(clippy::too_many_arguments)]
pub fn book(
    si: &SymbolInfo,
    snapshot: bool,
    seq: u64,
    prev_seq: Option<u64>,
    bids: &[(Ticks, Lots)],
    asks: &[(Ticks, Lots)],
    req_id: Option<u64>,
    out: &mut String,
) {
    let _ = write!(
        out,
        "{{\"type\":\"book\",\"symbol\":\"{}\",\"snapshot\":{snapshot},\"seq\":{seq}",
        si.spec.symbol
    );
    if let Some(p) = prev_seq {
        let _ = write!(out, ",\"prev_seq\":{p}");
    }
    if let Some(r) = req_id {
        let _ = write!(out, ",\"req_id\":{r}");
    }
    out.push_str(",\"bids\":");
    levels(si, bids, out);
    out.push_str(",\"asks\":");
    levels(si, asks, out);
    out.push('}');
}

/// `GET /api/v1/orderbook/{symbol}`: `{"symbol","seq","bids","asks"}`.
pub fn orderbook_http(si: &SymbolInfo, snap: &BookSnapshot, out: &mut String) {
    let _ = write!(
        out,
        "{{\"symbol\":\"{}\",\"seq\":{},\"bids\":",
        si.spec.symbol, snap.seq
    );
    levels(si, &snap.bids, out);
    out.push_str(",\"asks\":");
    levels(si, &snap.asks, out);
    out.push('}');
}

pub fn trade(si: &SymbolInfo, t: &PublicTrade, out: &mut String) {
    let _ = write!(
        out,
        "{{\"type\":\"trade\",\"symbol\":\"{}\",\"trade_id\":{},\"price\":\"{}\",\"qty\":\"{}\",\"taker_side\":\"{}\",\"ts\":{}}}",
        si.spec.symbol,
        t.trade_id,
        si.ticks_to_fixed(t.price),
        si.lots_to_fixed(t.qty),
        t.taker_side.as_str(),
        t.ts_ns
    );
}

pub fn kline(si: &SymbolInfo, dir: &Directory, interval: Interval, k: &Kline, out: &mut String) {
    let qs = dir.asset(si.quote).scale;
    let _ = write!(
        out,
        "{{\"type\":\"kline\",\"symbol\":\"{}\",\"interval\":\"{}\",\"open_time\":{},\"close_time\":{},\"open\":\"{}\",\"high\":\"{}\",\"low\":\"{}\",\"close\":\"{}\",\"volume\":\"{}\",\"quote_volume\":\"{}\",\"trades\":{},\"closed\":{}}}",
        si.spec.symbol,
        interval.as_str(),
        k.open_time_ns,
        k.close_time_ns,
        si.ticks_to_fixed(k.open),
        si.ticks_to_fixed(k.high),
        si.ticks_to_fixed(k.low),
        si.ticks_to_fixed(k.close),
        si.lots_to_fixed(k.volume),
        units_to_fixed(qs, k.quote_volume),
        k.trades,
        k.closed
    );
}

pub fn ticker(si: &SymbolInfo, dir: &Directory, t: &Ticker, out: &mut String) {
    let qs = dir.asset(si.quote).scale;
    let _ = write!(
        out,
        "{{\"type\":\"ticker\",\"symbol\":\"{}\",\"open\":",
        si.spec.symbol
    );
    opt_price(si, t.open, out);
    out.push_str(",\"high\":");
    opt_price(si, t.high, out);
    out.push_str(",\"low\":");
    opt_price(si, t.low, out);
    out.push_str(",\"last\":");
    opt_price(si, t.last, out);
    let _ = write!(
        out,
        ",\"volume\":\"{}\",\"quote_volume\":\"{}\",\"change\":",
        si.lots_to_fixed(t.volume),
        units_to_fixed(qs, t.quote_volume)
    );
    match t.change {
        // A change can be negative: ticks * tick_size keeps the sign.
        Some(c) => {
            let _ = write!(out, "\"{}\"", si.ticks_to_fixed(c));
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"change_pct\":");
    match t.change_pct {
        Some(p) => {
            let _ = write!(out, "\"{p}\"");
        }
        None => out.push_str("null"),
    }
    let _ = write!(out, ",\"trades\":{},\"best_bid\":", t.trades);
    opt_price(si, t.best_bid, out);
    out.push_str(",\"best_ask\":");
    opt_price(si, t.best_ask, out);
    let _ = write!(out, ",\"ts\":{}}}", t.ts_ns);
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{Fixed, Name, SymbolSpec};

    fn dir() -> Directory {
        let mut d = Directory::default();
        d.add_asset(Name::new("BTC").unwrap(), 8, 10).unwrap();
        d.add_asset(Name::new("USD").unwrap(), 6, 10).unwrap();
        d.add_symbol(
            SymbolSpec {
                symbol: Name::new("BTC-USD").unwrap(),
                base: Name::new("BTC").unwrap(),
                quote: Name::new("USD").unwrap(),
                tick_size: Fixed::new(1, 2),
                lot_size: Fixed::new(1, 4),
                min_qty: Fixed::new(1, 4),
                maker_fee_bps: 0,
                taker_fee_bps: 0,
                price_band_pct: None,
            },
            10,
        )
        .unwrap();
        d
    }

    #[test]
    fn book_delta_and_snapshot_shapes() {
        let d = dir();
        let si = &d.symbols()[0];
        let mut s = String::new();
        book(
            si,
            false,
            42,
            Some(41),
            &[(Ticks::new(10050), Lots::new(30000))],
            &[(Ticks::new(10100), Lots::ZERO)],
            None,
            &mut s,
        );
        assert_eq!(
            s,
            r#"{"type":"book","symbol":"BTC-USD","snapshot":false,"seq":42,"prev_seq":41,"bids":[["100.5","3"]],"asks":[["101","0"]]}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["asks"][0][1], "0");
    }

    #[test]
    fn ticker_with_nothing_traded_is_valid_json() {
        let d = dir();
        let si = &d.symbols()[0];
        let t = Ticker {
            open: None,
            high: None,
            low: None,
            last: None,
            volume: Lots::ZERO,
            quote_volume: engine::Units::ZERO,
            change: Some(Ticks::new(-150)),
            change_pct: Some(Fixed::new(-150, 2)),
            trades: 0,
            best_bid: Some(Ticks::new(100)),
            best_ask: None,
            ts_ns: 5,
        };
        let mut s = String::new();
        ticker(si, &d, &t, &mut s);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["change"], "-1.5");
        assert_eq!(v["change_pct"], "-1.5");
        assert_eq!(v["best_bid"], "1");
        assert!(v["open"].is_null());
    }
}
