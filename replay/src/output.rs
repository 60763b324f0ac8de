//! The JSON text this tool prints that the gateway's codec does not define.
//!
//! What it owns:
//! - Event lines: reports (`execution`, `reject`, `cancel_all`, `admin`) are
//!   written by `wire::json::encode_event` exactly as a client sees
//!   them (without `req_id`, which belongs to a session, not the journal).
//!   The gateway writes nothing for [`Event::Level`] (market data reaches
//!   clients as aggregated book deltas); this tool prints it as
//!   `{"type":"level","seq":N,"symbol":"BTC-USD","side":"buy","price":"100.5","qty":"3"}`
//!   with `qty` `"0"` when the level is gone. `seq` is the input that caused
//!   the change (the engine's `Level` carries none; every other line has it).
//! - The `run` result line and hex state hashes.
//! - [`Obj`]: JSON objects whose keys keep the order written (the result
//!   lines of `verify`, `snapshot` and `compare` lead with their answer).
//!
//! What it must never do: allocate per event beyond the caller's reusable
//! `String`, or print a decimal other than through [`engine::Fixed`]'s exact
//! text.

use engine::{Directory, Event, Lots, Side, SymbolId, Ticks};
use wire::json::{encode_sequenced_event, ObjectWriter};

/// Appends one event as a JSON line (newline included); `seq` is the input
/// that caused it. The shapes are the drop copy's
/// ([`wire::json::encode_sequenced_event`]).
pub fn push_event_line(ev: &Event, seq: u64, dir: &Directory, out: &mut String) {
    encode_sequenced_event(ev, seq, dir, out);
    out.push('\n');
}

/// `{"type":"level","seq":..,"symbol":..,"side":..,"price":..,"qty":..}`.
pub fn push_level(
    seq: u64,
    symbol: SymbolId,
    side: Side,
    price: Ticks,
    qty: Lots,
    dir: &Directory,
    out: &mut String,
) {
    let ev = Event::Level {
        symbol,
        side,
        price,
        qty,
    };
    encode_sequenced_event(&ev, seq, dir, out);
}

/// A JSON object written key by key, in order (the wire crate's writer,
/// wrapped as a builder).
pub struct Obj {
    s: String,
}

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl Obj {
    pub fn new() -> Obj {
        let mut s = String::new();
        let _ = ObjectWriter::open(&mut s);
        Obj { s }
    }

    /// `"k":<v as JSON>`.
    pub fn field(self, k: &str, v: impl Into<serde_json::Value>) -> Obj {
        let json = v.into().to_string();
        self.raw(k, &json)
    }

    /// `"k":<json>` where `json` is already JSON text.
    pub fn raw(mut self, k: &str, json: &str) -> Obj {
        let first = self.s.len() == 1;
        ObjectWriter::resume(&mut self.s, first).raw(k, json);
        self
    }

    pub fn finish(self) -> String {
        let mut s = self.s;
        ObjectWriter::resume(&mut s, false).close();
        s
    }
}

/// Lower-case hex of a state hash, as the admin `snapshot` op answers it.
pub fn hash_hex(h: &[u8; 32]) -> String {
    hex::encode(h)
}

/// The `run` result line (no newline):
/// `{"seq":N,"state_hash":"<hex>","cmds":N,"secs":S,"cmds_per_s":X}`.
pub fn run_line(seq: u64, state_hash: &[u8; 32], cmds: u64, secs: f64) -> String {
    format!(
        "{{\"seq\":{seq},\"state_hash\":\"{}\",\"cmds\":{cmds},\"secs\":{:.6},\"cmds_per_s\":{:.0}}}",
        hash_hex(state_hash),
        secs,
        per_second(cmds, secs)
    )
}

/// `n / secs`, 0 when no time was measured.
pub fn per_second(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_line_has_the_documented_shape() {
        let l = run_line(7, &[0xab; 32], 7, 0.5);
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys.len(), 5);
        assert_eq!(v["seq"], 7);
        assert_eq!(v["state_hash"], "ab".repeat(32));
        assert_eq!(v["cmds"], 7);
        assert_eq!(v["cmds_per_s"].as_f64(), Some(14.0));
        assert!(l.starts_with("{\"seq\":7,\"state_hash\":\""));
    }
}
