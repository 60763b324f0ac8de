//! A reader of NASDAQ TotalView-ITCH 5.0 messages, as framed in files: a
//! 2-byte big-endian length, then the message.
//!
//! What holds: the reader never reads past the end and never guesses. When a
//! length prefix is 0 (every prefix of the shared sample is) the length comes
//! from the message type, with the lengths of the ITCH 5.0 specification; a
//! non-zero prefix must agree with that length for every type it knows. An
//! unknown type with a 0 prefix, or a message cut short, is an error. Only
//! what the order-book flows need is decoded (system events, stock directory,
//! trading actions, add, execute, cancel, delete, replace, trade); the other
//! types are returned as [`Body::Other`]. All numbers are big-endian; prices
//! have 4 implied decimals; timestamps are nanoseconds since midnight.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

/// Length of an ITCH 5.0 message of type `t`, type byte included.
pub fn message_len(t: u8) -> Option<usize> {
    Some(match t {
        b'S' => 12,
        b'R' => 39,
        b'H' => 25,
        b'Y' => 20,
        b'L' => 26,
        b'V' => 35,
        b'W' => 12,
        b'K' => 28,
        b'J' => 35,
        b'h' => 21,
        b'A' => 36,
        b'F' => 40,
        b'E' => 31,
        b'C' => 36,
        b'X' => 23,
        b'D' => 19,
        b'U' => 35,
        b'P' => 44,
        b'Q' => 40,
        b'B' => 19,
        b'I' => 50,
        b'N' => 20,
        _ => return None,
    })
}

/// An 8-byte, space-padded stock symbol.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Stock(pub [u8; 8]);

impl Stock {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("").trim_end()
    }
}

impl fmt::Debug for Stock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Body {
    SystemEvent {
        code: u8,
    },
    StockDirectory {
        stock: Stock,
    },
    /// `state`: `H` halted, `P` paused, `Q` quotation only, `T` trading.
    TradingAction {
        stock: Stock,
        state: u8,
    },
    /// `A` (no attribution) and `F` (with one).
    Add {
        order_ref: u64,
        buy: bool,
        shares: u32,
        stock: Stock,
        price: u32,
        attributed: bool,
    },
    /// `E`: executed at the order's own price.
    Executed {
        order_ref: u64,
        shares: u32,
        match_number: u64,
    },
    /// `C`: executed at `price`, which may differ from the order's.
    ExecutedWithPrice {
        order_ref: u64,
        shares: u32,
        match_number: u64,
        printable: bool,
        price: u32,
    },
    /// `X`: part of the order cancelled.
    Cancel {
        order_ref: u64,
        shares: u32,
    },
    /// `D`: the whole order removed.
    Delete {
        order_ref: u64,
    },
    /// `U`: the order replaced by a new one (new reference, size and price).
    Replace {
        old_ref: u64,
        new_ref: u64,
        shares: u32,
        price: u32,
    },
    /// `P`: a trade against a non-displayed order.
    Trade {
        order_ref: u64,
        buy: bool,
        shares: u32,
        stock: Stock,
        price: u32,
        match_number: u64,
    },
    /// Any other type, not decoded.
    Other,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub kind: u8,
    pub locate: u16,
    pub tracking: u16,
    /// Nanoseconds since midnight.
    pub ts_ns: u64,
    pub body: Body,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ItchError {
    /// The stream ends inside a length prefix or a message.
    Truncated {
        at: usize,
    },
    UnknownType {
        at: usize,
        kind: u8,
    },
    /// A non-zero length prefix that disagrees with the type's length.
    LengthMismatch {
        at: usize,
        kind: u8,
        prefix: usize,
        expected: usize,
    },
}

impl fmt::Display for ItchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItchError::Truncated { at } => write!(f, "itch: truncated message at byte {at}"),
            ItchError::UnknownType { at, kind } => {
                write!(
                    f,
                    "itch: unknown message type {:?} at byte {at}",
                    *kind as char
                )
            }
            ItchError::LengthMismatch {
                at,
                kind,
                prefix,
                expected,
            } => write!(
                f,
                "itch: message {:?} at byte {at} has length prefix {prefix}, expected {expected}",
                *kind as char
            ),
        }
    }
}

impl std::error::Error for ItchError {}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64)
}

fn stock(b: &[u8]) -> Stock {
    let mut s = [0u8; 8];
    s.copy_from_slice(&b[..8]);
    Stock(s)
}

/// Decodes one message (`m` starts at the type byte and has exactly its length).
pub fn decode(m: &[u8]) -> Message {
    let kind = m[0];
    let u32_at = |i: usize| be(&m[i..i + 4]) as u32;
    let u64_at = |i: usize| be(&m[i..i + 8]);
    let body = match kind {
        b'S' => Body::SystemEvent { code: m[11] },
        b'R' => Body::StockDirectory {
            stock: stock(&m[11..]),
        },
        b'H' => Body::TradingAction {
            stock: stock(&m[11..]),
            state: m[19],
        },
        b'A' | b'F' => Body::Add {
            order_ref: u64_at(11),
            buy: m[19] == b'B',
            shares: u32_at(20),
            stock: stock(&m[24..]),
            price: u32_at(32),
            attributed: kind == b'F',
        },
        b'E' => Body::Executed {
            order_ref: u64_at(11),
            shares: u32_at(19),
            match_number: u64_at(23),
        },
        b'C' => Body::ExecutedWithPrice {
            order_ref: u64_at(11),
            shares: u32_at(19),
            match_number: u64_at(23),
            printable: m[31] == b'Y',
            price: u32_at(32),
        },
        b'X' => Body::Cancel {
            order_ref: u64_at(11),
            shares: u32_at(19),
        },
        b'D' => Body::Delete {
            order_ref: u64_at(11),
        },
        b'U' => Body::Replace {
            old_ref: u64_at(11),
            new_ref: u64_at(19),
            shares: u32_at(27),
            price: u32_at(31),
        },
        b'P' => Body::Trade {
            order_ref: u64_at(11),
            buy: m[19] == b'B',
            shares: u32_at(20),
            stock: stock(&m[24..]),
            price: u32_at(32),
            match_number: u64_at(36),
        },
        _ => Body::Other,
    };
    Message {
        kind,
        locate: be(&m[1..3]) as u16,
        tracking: be(&m[3..5]) as u16,
        ts_ns: be(&m[5..11]),
        body,
    }
}

/// Iterates over the length-prefixed messages of an uncompressed stream.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            pos: 0,
            failed: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Message, ItchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos == self.bytes.len() {
            return None;
        }
        let at = self.pos;
        let rest = &self.bytes[at..];
        let fail = |s: &mut Self, e| {
            s.failed = true;
            Some(Err(e))
        };
        if rest.len() < 3 {
            return fail(self, ItchError::Truncated { at });
        }
        let prefix = be(&rest[..2]) as usize;
        let kind = rest[2];
        let len = match (prefix, message_len(kind)) {
            (0, Some(n)) => n,
            (0, None) => return fail(self, ItchError::UnknownType { at, kind }),
            (p, Some(n)) if p != n => {
                return fail(
                    self,
                    ItchError::LengthMismatch {
                        at,
                        kind,
                        prefix: p,
                        expected: n,
                    },
                )
            }
            (p, _) => p,
        };
        if rest.len() < 2 + len {
            return fail(self, ItchError::Truncated { at });
        }
        self.pos += 2 + len;
        let m = &rest[2..2 + len];
        Some(Ok(if message_len(kind).is_some() {
            decode(m)
        } else {
            Message {
                kind,
                locate: 0,
                tracking: 0,
                ts_ns: 0,
                body: Body::Other,
            }
        }))
    }
}

/// Reads and gunzips a whole `.gz` file.
pub fn read_gz(path: &Path) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(io::BufReader::new(file)).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn frames_by_type_when_prefix_is_zero() {
        let mut s = vec![0, 0, b'D'];
        s.extend_from_slice(&[0, 1, 0, 2]); // locate 1, tracking 2
        s.extend_from_slice(&[0, 0, 0, 0, 0, 9]); // ts 9
        s.extend_from_slice(&42u64.to_be_bytes());
        let mut r = Reader::new(&s);
        let m = r.next().unwrap().unwrap();
        assert_eq!((m.locate, m.tracking, m.ts_ns), (1, 2, 9));
        assert_eq!(m.body, Body::Delete { order_ref: 42 });
        assert!(r.next().is_none());
        assert_eq!(
            Reader::new(&s[..s.len() - 1]).next(),
            Some(Err(ItchError::Truncated { at: 0 }))
        );
        assert_eq!(
            Reader::new(&[0, 0, b'~', 0]).next(),
            Some(Err(ItchError::UnknownType { at: 0, kind: b'~' }))
        );
        assert!(matches!(
            Reader::new(&[0, 5, b'D', 0, 0, 0, 0, 0]).next(),
            Some(Err(ItchError::LengthMismatch { .. }))
        ));
    }

    /// The shared sample, parsed to the last byte.
    #[test]
    fn reads_the_whole_sample() {
        let path = crate::data::itch_sample(&crate::data::default_data_dir());
        if !path.exists() {
            crate::data::notice_missing("itch reader test", &path);
            return;
        }
        let bytes = read_gz(&path).unwrap();
        let mut r = Reader::new(&bytes);
        let mut counts: BTreeMap<char, u64> = BTreeMap::new();
        let mut ts_last = 0;
        for m in r.by_ref() {
            let m = m.unwrap();
            *counts.entry(m.kind as char).or_default() += 1;
            if m.kind != b'S' {
                assert!(m.ts_ns >= ts_last, "timestamps never go back");
                ts_last = m.ts_ns;
            }
        }
        assert_eq!(r.position(), bytes.len(), "no leftover bytes");
        assert_eq!(counts.values().sum::<u64>(), 12_012);
        let want: BTreeMap<char, u64> = [
            ('A', 4_997),
            ('D', 1_745),
            ('E', 198),
            ('F', 3),
            ('H', 3),
            ('P', 5_000),
            ('R', 3),
            ('S', 6),
            ('U', 12),
            ('X', 45),
        ]
        .into_iter()
        .collect();
        assert_eq!(counts, want);
    }
}
