//! Binary TCP codec of the client API: length-prefixed little-endian frames
//! that carry the same operations, with the same semantics, as the JSON API
//! (`../shared/spec/api.md`). `docs/protocol.md` gives every byte; this module
//! is its reference implementation.
//!
//! What it owns:
//! - Framing: `u32` length prefix, a 10-byte header (message type, version
//!   and flags, `req_id`) and one fixed field order per message type. Frames
//!   are at most [`FRAME_BYTES_MAX`] bytes in both directions; list replies
//!   (`balances`, `open_orders`, `fees`) are split over several frames, each
//!   but the last flagged [`FLAG_MORE`].
//! - Decoding client frames into the very [`Request`] the JSON codec produces,
//!   with the same edge checks (a limit needs a price, a market order takes
//!   none, names and ids fit their types, decimals are non-negative with at
//!   most 18 decimals, normalised). What JSON refuses as `malformed`, this
//!   refuses as `malformed`.
//! - Encoding engine events and query replies from the same inputs as the JSON
//!   encoders, appending to a `Vec<u8>` the caller owns and reuses; and, for
//!   the client library, encoding requests and decoding replies ([`Reply`]).
//!
//! What it must never do: I/O of any kind; block (a short buffer is
//! `Ok(None)`, "need more bytes"); panic on any input (both decoders are
//! fuzzed); read past a frame or allocate in proportion to a count the peer
//! sent; keep an API key in clear (keys are hashed while decoding); decide
//! what the engine decides.
//!
//! Decisions where api.md is silent (also in `docs/protocol.md`):
//! - A frame whose length prefix exceeds the maximum is `too_large` and
//!   framing is lost: [`FrameError::skip`] is `None`, the server answers the
//!   error and closes. Any other bad frame is skipped whole
//!   (`skip: Some(bytes)`) and the connection carries on.
//! - `req_id` 0 is a valid id: its presence is a flag bit, not a zero value.
//! - Bodies are exact: trailing bytes, unknown codes, reserved flag bits and
//!   booleans other than 0/1 are `malformed` (no silent extension; the version
//!   nibble is how the layout evolves).
//! - Market data (`subscribe`/`unsubscribe`) is WebSocket-only for now: those
//!   ops have no message type here and an unassigned type is `unknown_op`.
//! - `login` carries the API key in clear, as JSON does (the server hashes it;
//!   sending the hash instead would turn the stored hash into a password).
//!   Since a decoded [`Request`] keeps only the hash, the client encodes a
//!   login with [`encode_login`], not [`encode_request`].
//! - `open_orders` takes an optional paging tail (`after_order_id`, `limit`;
//!   0 for "none"/"default"); without it, it is the first page. Each frame of
//!   its reply carries the next page's cursor (0: the last page).
//! - History queries (`order`, `order_history`, `my_trades`, `transfers`,
//!   `executions`) have fixed request layouts (0 for an absent id, bound or
//!   limit); their answer is the JSON API's answer document, UTF-8, split
//!   over `history_reply` frames (all but the last flagged more): the rows
//!   of a store are not the engine's reports, and one shape for both codecs
//!   keeps them equal by construction.

mod client;
mod server;

pub use client::*;
pub use server::*;

use crate::api::{ErrorCode, WireError, API_KEY_BYTES_MAX};
use engine::{
    AdminOp, ClOrdId, ExecType, Fixed, Liquidity, Name, OrderRef, OrderStatus, OrderType, Reason,
    RejectOp, Role, Side, Stp, Tif, TxId, FIXED_SCALE_MAX,
};
use std::fmt;

/// Version carried in the high nibble of the header's version/flags byte.
pub const PROTOCOL_VERSION: u8 = 1;
/// Largest frame in either direction, length prefix included.
pub const FRAME_BYTES_MAX: usize = 4096;
/// The `u32` length prefix.
pub const LEN_PREFIX_BYTES: usize = 4;
/// Length prefix, message type, version/flags and `req_id`.
pub const HEADER_BYTES: usize = 14;
/// Longest `message` of an error reply, in bytes (longer ones are cut on a
/// character boundary).
pub const ERROR_MESSAGE_BYTES_MAX: usize = 1024;
/// Header flag: the `req_id` field holds an id (otherwise it must be 0).
pub const FLAG_REQ_ID: u8 = 0x01;
/// Header flag (server to client only): another frame of the same list reply
/// follows.
pub const FLAG_MORE: u8 = 0x02;
pub(crate) const FLAGS_KNOWN: u8 = FLAG_REQ_ID | FLAG_MORE;
/// The scale byte of an absent (`null`) decimal; its mantissa is 0.
pub const NULL_SCALE: u8 = 0xFF;

/// Message type codes (byte 4 of a frame).
pub mod msg {
    // Client to server.
    pub const LOGIN: u8 = 0x01;
    pub const PLACE: u8 = 0x02;
    pub const CANCEL: u8 = 0x03;
    pub const AMEND: u8 = 0x04;
    pub const CANCEL_ALL: u8 = 0x05;
    pub const BALANCES: u8 = 0x06;
    pub const OPEN_ORDERS: u8 = 0x07;
    pub const FEES: u8 = 0x08;
    pub const SNAPSHOT: u8 = 0x09;
    pub const ADD_ASSET: u8 = 0x10;
    pub const ADD_SYMBOL: u8 = 0x11;
    pub const ADD_USER: u8 = 0x12;
    pub const DEPOSIT: u8 = 0x13;
    pub const WITHDRAW: u8 = 0x14;
    pub const HALT: u8 = 0x15;
    pub const RESUME: u8 = 0x16;
    pub const ORDER: u8 = 0x17;
    pub const ORDER_HISTORY: u8 = 0x18;
    pub const MY_TRADES: u8 = 0x19;
    pub const TRANSFERS: u8 = 0x1A;
    pub const EXECUTIONS: u8 = 0x1B;
    // Server to client.
    pub const LOGIN_OK: u8 = 0x81;
    pub const EXECUTION: u8 = 0x82;
    pub const REJECT: u8 = 0x83;
    pub const CANCEL_ALL_DONE: u8 = 0x84;
    pub const ADMIN: u8 = 0x85;
    pub const SNAPSHOT_OK: u8 = 0x86;
    pub const BALANCES_REPLY: u8 = 0x87;
    pub const OPEN_ORDERS_REPLY: u8 = 0x88;
    pub const FEES_REPLY: u8 = 0x89;
    pub const HISTORY_REPLY: u8 = 0x8A;
    pub const ERROR: u8 = 0x8F;
}

/// Bytes of one execution item (header excluded) at most: 128 fixed plus
/// three short strings.
pub(crate) const EXEC_BYTES_MAX: usize =
    128 + (1 + Name::MAX) + (1 + ClOrdId::MAX) + (1 + Name::MAX);
pub(crate) const BALANCE_ITEM_BYTES_MAX: usize = 9 + 9 + 1 + Name::MAX;
pub(crate) const FEE_ITEM_BYTES_MAX: usize = 9 + 1 + Name::MAX;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A frame that could not be decoded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FrameError {
    /// What to answer (server side) or report (client side); carries the
    /// frame's `req_id` once the header could be read.
    pub error: WireError,
    /// Bytes the bad frame took at the start of the buffer: drop them and
    /// carry on. `None` when framing is lost (`too_large`): answer the error,
    /// then close the connection.
    pub skip: Option<usize>,
}

impl FrameError {
    pub(crate) fn skip(
        frame_bytes: usize,
        req_id: Option<u64>,
        code: ErrorCode,
        m: String,
    ) -> FrameError {
        FrameError {
            error: WireError::new(req_id, code, m),
            skip: Some(frame_bytes),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for FrameError {}

impl From<FrameError> for WireError {
    fn from(e: FrameError) -> WireError {
        e.error
    }
}

/// A request the binary protocol cannot carry.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum EncodeError {
    /// A decoded `login` holds only the key's hash; encode a login from the
    /// key with [`encode_login`].
    LoginNeedsKey,
    /// Market data subscriptions are WebSocket-only.
    WebSocketOnly(&'static str),
    /// An API key outside 1..=[`API_KEY_BYTES_MAX`] bytes.
    ApiKeyLength,
    /// A trader command inside [`Op::Admin`]: order entry is sent as
    /// [`Op::Trader`], and the session, not the client, supplies the user.
    TraderCommandAsAdmin,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::LoginNeedsKey => {
                f.write_str("a login is encoded from its API key (encode_login)")
            }
            EncodeError::WebSocketOnly(op) => {
                write!(
                    f,
                    "`{op}` is WebSocket-only; the binary protocol does not carry it"
                )
            }
            EncodeError::ApiKeyLength => {
                write!(f, "api_key: expected 1 to {API_KEY_BYTES_MAX} bytes")
            }
            EncodeError::TraderCommandAsAdmin => {
                f.write_str("order entry is sent as a trader op; the session supplies the user")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

// ---------------------------------------------------------------------------
// Code tables
// ---------------------------------------------------------------------------

/// One enum <-> `u8` table. Encoding is an exhaustive `match`, so a new
/// engine variant fails to compile here until it has a code (and a row in
/// `docs/protocol.md`, which a unit test checks).
macro_rules! wire_enum {
    ($to:ident, $from:ident, $all:ident, $T:ident { $($v:ident = $c:literal),+ $(,)? }) => {
        fn $to(v: $T) -> u8 {
            match v {
                $($T::$v => $c,)+
            }
        }
        fn $from(c: u8) -> Option<$T> {
            match c {
                $($c => Some($T::$v),)+
                _ => None,
            }
        }
        #[cfg(test)]
        const $all: &[$T] = &[$($T::$v),+];
    };
}

wire_enum!(side_code, side_of, ALL_SIDES, Side { Buy = 0, Sell = 1 });
wire_enum!(order_type_code, order_type_of, ALL_ORDER_TYPES, OrderType {
    Limit = 0,
    Market = 1,
    StopLimit = 2,
    StopMarket = 3,
});
wire_enum!(tif_code, tif_of, ALL_TIFS, Tif { Gtc = 0, Ioc = 1, Fok = 2 });
wire_enum!(stp_code, stp_of, ALL_STPS, Stp {
    None = 0,
    CancelTaker = 1,
    CancelMaker = 2,
    CancelBoth = 3,
});
wire_enum!(role_code, role_of, ALL_ROLES, Role { Trader = 0, Admin = 1, DropCopy = 2 });
wire_enum!(exec_type_code, exec_type_of, ALL_EXEC_TYPES, ExecType {
    New = 0,
    Trade = 1,
    Canceled = 2,
    Replaced = 3,
    Rejected = 4,
    Triggered = 5,
});
wire_enum!(status_code, status_of, ALL_STATUSES, OrderStatus {
    New = 0,
    PartiallyFilled = 1,
    Filled = 2,
    Canceled = 3,
    Rejected = 4,
});
// 0 is "not a trade" in the execution item.
wire_enum!(liquidity_code, liquidity_of, ALL_LIQUIDITIES, Liquidity { Maker = 1, Taker = 2 });
// 0 is "no reason".
wire_enum!(reason_code, reason_of, ALL_REASONS, Reason {
    UnknownUser = 1,
    UnknownSymbol = 2,
    MarketHalted = 3,
    InvalidQty = 4,
    InvalidPrice = 5,
    DuplicateClientOrderId = 6,
    PriceOutOfBand = 7,
    StopWouldTrigger = 8,
    InsufficientFunds = 9,
    Unsupported = 10,
    LimitReached = 11,
    IocRemainder = 12,
    FokUnfillable = 13,
    PostOnlyWouldCross = 14,
    SelfTradePrevented = 15,
    UserCanceled = 16,
    UnknownOrder = 17,
    DuplicateTx = 18,
    UnknownAsset = 19,
    InvalidSymbol = 20,
    InvalidAmount = 21,
    Exists = 22,
});
wire_enum!(reject_op_code, reject_op_of, ALL_REJECT_OPS, RejectOp {
    Cancel = 0,
    Amend = 1,
    CancelAll = 2,
});
wire_enum!(admin_op_code, admin_op_of, ALL_ADMIN_OPS, AdminOp {
    AddAsset = 0,
    AddSymbol = 1,
    AddUser = 2,
    Deposit = 3,
    Withdraw = 4,
    Halt = 5,
    Resume = 6,
});
wire_enum!(error_code_code, error_code_of, ALL_ERROR_CODES, ErrorCode {
    Malformed = 0,
    UnknownOp = 1,
    Unauthenticated = 2,
    Forbidden = 3,
    RateLimited = 4,
    TooLarge = 5,
    Overloaded = 6,
    Unavailable = 7,
    InvalidLimit = 8,
    InvalidCursor = 9,
    InvalidRange = 10,
    UnknownOrder = 11,
    HistoryUnavailable = 12,
    HistoryDisabled = 13,
    NotPrimary = 14,
});

pub(crate) fn opt_reason_code(r: Option<Reason>) -> u8 {
    r.map_or(0, reason_code)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Starts a frame: placeholder length, type, version/flags, `req_id`.
/// Returns where it starts, for [`finish`].
pub(crate) fn begin(out: &mut Vec<u8>, ty: u8, req_id: Option<u64>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; LEN_PREFIX_BYTES]);
    out.push(ty);
    let flags = if req_id.is_some() { FLAG_REQ_ID } else { 0 };
    out.push(PROTOCOL_VERSION << 4 | flags);
    out.extend_from_slice(&req_id.unwrap_or(0).to_le_bytes());
    start
}

/// Writes the length prefix of the frame begun at `start`.
pub(crate) fn finish(out: &mut [u8], start: usize) {
    let len = out.len() - start - LEN_PREFIX_BYTES;
    debug_assert!(
        len + LEN_PREFIX_BYTES <= FRAME_BYTES_MAX,
        "frame of {len} bytes"
    );
    out[start..start + LEN_PREFIX_BYTES].copy_from_slice(&(len as u32).to_le_bytes());
}

pub(crate) fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub(crate) fn put_bool(out: &mut Vec<u8>, v: bool) {
    out.push(u8::from(v));
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A decimal: `i64` mantissa, `u8` scale (9 bytes).
pub(crate) fn put_dec(out: &mut Vec<u8>, v: Fixed) {
    out.extend_from_slice(&v.mantissa.to_le_bytes());
    out.push(v.scale);
}

/// An optional decimal: absent is mantissa 0, scale [`NULL_SCALE`].
pub(crate) fn put_opt_dec(out: &mut Vec<u8>, v: Option<Fixed>) {
    put_dec(out, v.unwrap_or(Fixed::new(0, NULL_SCALE)));
}

/// A short string: `u8` length, bytes. Callers pass names and ids of at
/// most 64 bytes.
pub(crate) fn put_str8(out: &mut Vec<u8>, s: &str) {
    debug_assert!(s.len() <= u8::MAX as usize);
    let b = &s.as_bytes()[..s.len().min(u8::MAX as usize)];
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

/// A longer string: `u16` length, bytes.
pub(crate) fn put_str16(out: &mut Vec<u8>, s: &str) {
    debug_assert!(s.len() <= u16::MAX as usize);
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    put_u16(out, b.len() as u16);
    out.extend_from_slice(b);
}

/// Order target: `u8` kind (0 order_id, 1 client_order_id) and `u64`
/// order_id (0 when by client id); the client id string goes at the end.
pub(crate) fn put_target(out: &mut Vec<u8>, t: &OrderRef) {
    match t {
        OrderRef::Id(id) => {
            put_u8(out, 0);
            put_u64(out, *id);
        }
        OrderRef::Client(_) => {
            put_u8(out, 1);
            put_u64(out, 0);
        }
    }
}

pub(crate) fn target_clid(t: &OrderRef) -> &str {
    match t {
        OrderRef::Id(_) => "",
        OrderRef::Client(c) => c.as_str(),
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A cursor over one frame's body. Every read is bounds-checked and names its
/// field in the error.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!("{field}: frame ends early"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn arr<const N: usize>(&mut self, field: &str) -> Result<[u8; N], String> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, field: &str) -> Result<u8, String> {
        Ok(self.arr::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &str) -> Result<u16, String> {
        self.arr(field).map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self, field: &str) -> Result<u32, String> {
        self.arr(field).map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self, field: &str) -> Result<u64, String> {
        self.arr(field).map(u64::from_le_bytes)
    }

    pub(crate) fn bool(&mut self, field: &str) -> Result<bool, String> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!("{field}: expected 0 or 1, got {v}")),
        }
    }

    pub(crate) fn code<T>(&mut self, field: &str, of: fn(u8) -> Option<T>) -> Result<T, String> {
        let c = self.u8(field)?;
        of(c).ok_or_else(|| format!("{field}: unknown code {c}"))
    }

    /// A decimal as written, `None` for the null marker; any sign.
    pub(crate) fn raw_dec(&mut self, field: &str) -> Result<Option<Fixed>, String> {
        let mantissa = i64::from_le_bytes(self.arr(field)?);
        let scale = self.u8(field)?;
        if scale == NULL_SCALE {
            if mantissa != 0 {
                return Err(format!("{field}: a null decimal has mantissa 0"));
            }
            return Ok(None);
        }
        if scale > FIXED_SCALE_MAX {
            return Err(format!("{field}: more than 18 decimals"));
        }
        Ok(Some(Fixed::new(mantissa, scale)))
    }

    /// A request decimal: non-negative, normalised, as JSON's `parse_decimal`.
    pub(crate) fn opt_dec(&mut self, field: &str) -> Result<Option<Fixed>, String> {
        match self.raw_dec(field)? {
            None => Ok(None),
            Some(v) if v.mantissa < 0 => Err(format!("{field}: must not be negative")),
            Some(v) => Ok(Some(v.normalized())),
        }
    }

    pub(crate) fn dec(&mut self, field: &str) -> Result<Fixed, String> {
        self.opt_dec(field)?
            .ok_or_else(|| format!("missing field `{field}`"))
    }

    pub(crate) fn str_n(&mut self, n: usize, field: &str) -> Result<&'a str, String> {
        let b = self.take(n, field)?;
        std::str::from_utf8(b).map_err(|_| format!("{field}: not UTF-8"))
    }

    pub(crate) fn str8(&mut self, field: &str) -> Result<&'a str, String> {
        let n = self.u8(field)? as usize;
        self.str_n(n, field)
    }

    pub(crate) fn str16(&mut self, field: &str) -> Result<&'a str, String> {
        let n = self.u16(field)? as usize;
        self.str_n(n, field)
    }

    pub(crate) fn opt_name(&mut self, field: &str) -> Result<Option<Name>, String> {
        let s = self.str8(field)?;
        if s.is_empty() {
            return Ok(None);
        }
        Name::new(s)
            .map(Some)
            .ok_or_else(|| format!("{field}: expected 1 to 16 characters of [A-Za-z0-9._-]"))
    }

    pub(crate) fn name(&mut self, field: &str) -> Result<Name, String> {
        self.opt_name(field)?
            .ok_or_else(|| format!("missing field `{field}`"))
    }

    pub(crate) fn opt_cl_ord_id(&mut self, field: &str) -> Result<Option<ClOrdId>, String> {
        let s = self.str8(field)?;
        if s.is_empty() {
            return Ok(None);
        }
        ClOrdId::new(s)
            .map(Some)
            .ok_or_else(|| format!("{field}: expected 1 to 36 characters of [A-Za-z0-9_-]"))
    }

    pub(crate) fn tx_id(&mut self, field: &str) -> Result<TxId, String> {
        let s = self.str8(field)?;
        if s.is_empty() {
            return Err(format!("missing field `{field}`"));
        }
        TxId::new(s).ok_or_else(|| format!("{field}: expected 1 to 64 printable ASCII characters"))
    }

    /// Bodies are exact: nothing may follow the last field.
    pub(crate) fn end(self) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(format!("{} bytes after the last field", self.rest.len()))
        }
    }
}

/// One complete frame, header read.
pub(crate) struct Frame<'a> {
    pub(crate) ty: u8,
    pub(crate) flags: u8,
    pub(crate) req_id: Option<u64>,
    pub(crate) body: &'a [u8],
    pub(crate) bytes: usize,
}

/// Splits the first frame off `buf`: `Ok(None)` until it is complete.
pub(crate) fn split_frame(buf: &[u8]) -> Result<Option<Frame<'_>>, FrameError> {
    let Some(prefix) = buf.get(..LEN_PREFIX_BYTES) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if len > FRAME_BYTES_MAX - LEN_PREFIX_BYTES {
        return Err(FrameError {
            error: WireError::new(
                None,
                ErrorCode::TooLarge,
                format!(
                    "frame of {} bytes, more than {FRAME_BYTES_MAX}",
                    len as u64 + LEN_PREFIX_BYTES as u64
                ),
            ),
            skip: None,
        });
    }
    let bytes = LEN_PREFIX_BYTES + len;
    let Some(frame) = buf.get(LEN_PREFIX_BYTES..bytes) else {
        return Ok(None);
    };
    let bad = |m: String| FrameError::skip(bytes, None, ErrorCode::Malformed, m);
    let mut rd = Reader { rest: frame };
    let (Ok(ty), Ok(vf), Ok(raw_req_id)) = (rd.u8("type"), rd.u8("flags"), rd.u64("req_id")) else {
        return Err(bad(format!(
            "frame of {bytes} bytes is shorter than its {HEADER_BYTES}-byte header"
        )));
    };
    let (version, flags) = (vf >> 4, vf & 0x0F);
    if version != PROTOCOL_VERSION {
        return Err(bad(format!(
            "protocol version {version}; this server speaks {PROTOCOL_VERSION}"
        )));
    }
    if flags & !FLAGS_KNOWN != 0 {
        return Err(bad(format!("reserved flag bits set ({flags:#04x})")));
    }
    let req_id = if flags & FLAG_REQ_ID != 0 {
        Some(raw_req_id)
    } else if raw_req_id != 0 {
        return Err(bad("req_id: non-zero without the req_id flag".into()));
    } else {
        None
    };
    Ok(Some(Frame {
        ty,
        flags,
        req_id,
        body: rd.rest,
        bytes,
    }))
}

#[cfg(test)]
mod tests;
