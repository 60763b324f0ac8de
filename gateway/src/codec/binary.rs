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

use super::json::{
    avg_price, ErrorCode, Op, PlaceOrder, Request, TraderOp, WireError, API_KEY_BYTES_MAX,
};
use engine::{
    units_to_fixed, AdminOp, AssetId, Balance, ClOrdId, CommandKind, Directory, Event, ExecReport,
    ExecType, Fixed, KeyHash, Liquidity, Name, OrderId, OrderRef, OrderStatus, OrderType, Reason,
    RejectOp, Role, Seq, Side, Stp, SymbolInfo, SymbolSpec, Tif, TradeId, TxId, Units, UserId,
    FIXED_SCALE_MAX,
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
const FLAGS_KNOWN: u8 = FLAG_REQ_ID | FLAG_MORE;
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
    pub const ERROR: u8 = 0x8F;
}

/// Bytes of one execution item (header excluded) at most: 128 fixed plus
/// three short strings.
const EXEC_BYTES_MAX: usize = 128 + (1 + Name::MAX) + (1 + ClOrdId::MAX) + (1 + Name::MAX);
const BALANCE_ITEM_BYTES_MAX: usize = 9 + 9 + 1 + Name::MAX;
const FEE_ITEM_BYTES_MAX: usize = 9 + 1 + Name::MAX;

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
    fn skip(frame_bytes: usize, req_id: Option<u64>, code: ErrorCode, m: String) -> FrameError {
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
wire_enum!(role_code, role_of, ALL_ROLES, Role { Trader = 0, Admin = 1 });
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
});

fn opt_reason_code(r: Option<Reason>) -> u8 {
    r.map_or(0, reason_code)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Starts a frame: placeholder length, type, version/flags, `req_id`.
/// Returns where it starts, for [`finish`].
fn begin(out: &mut Vec<u8>, ty: u8, req_id: Option<u64>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; LEN_PREFIX_BYTES]);
    out.push(ty);
    let flags = if req_id.is_some() { FLAG_REQ_ID } else { 0 };
    out.push(PROTOCOL_VERSION << 4 | flags);
    out.extend_from_slice(&req_id.unwrap_or(0).to_le_bytes());
    start
}

/// Writes the length prefix of the frame begun at `start`.
fn finish(out: &mut [u8], start: usize) {
    let len = out.len() - start - LEN_PREFIX_BYTES;
    debug_assert!(
        len + LEN_PREFIX_BYTES <= FRAME_BYTES_MAX,
        "frame of {len} bytes"
    );
    out[start..start + LEN_PREFIX_BYTES].copy_from_slice(&(len as u32).to_le_bytes());
}

fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

fn put_bool(out: &mut Vec<u8>, v: bool) {
    out.push(u8::from(v));
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A decimal: `i64` mantissa, `u8` scale (9 bytes).
fn put_dec(out: &mut Vec<u8>, v: Fixed) {
    out.extend_from_slice(&v.mantissa.to_le_bytes());
    out.push(v.scale);
}

/// An optional decimal: absent is mantissa 0, scale [`NULL_SCALE`].
fn put_opt_dec(out: &mut Vec<u8>, v: Option<Fixed>) {
    put_dec(out, v.unwrap_or(Fixed::new(0, NULL_SCALE)));
}

/// A short string: `u8` length, bytes. Callers pass names and ids of at
/// most 64 bytes.
fn put_str8(out: &mut Vec<u8>, s: &str) {
    debug_assert!(s.len() <= u8::MAX as usize);
    let b = &s.as_bytes()[..s.len().min(u8::MAX as usize)];
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

/// A longer string: `u16` length, bytes.
fn put_str16(out: &mut Vec<u8>, s: &str) {
    debug_assert!(s.len() <= u16::MAX as usize);
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    put_u16(out, b.len() as u16);
    out.extend_from_slice(b);
}

/// Order target: `u8` kind (0 order_id, 1 client_order_id) and `u64`
/// order_id (0 when by client id); the client id string goes at the end.
fn put_target(out: &mut Vec<u8>, t: &OrderRef) {
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

fn target_clid(t: &OrderRef) -> &str {
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
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], String> {
        if self.b.len() < n {
            return Err(format!("{field}: frame ends early"));
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Ok(head)
    }

    fn arr<const N: usize>(&mut self, field: &str) -> Result<[u8; N], String> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self, field: &str) -> Result<u8, String> {
        Ok(self.arr::<1>(field)?[0])
    }

    fn u16(&mut self, field: &str) -> Result<u16, String> {
        self.arr(field).map(u16::from_le_bytes)
    }

    fn u32(&mut self, field: &str) -> Result<u32, String> {
        self.arr(field).map(u32::from_le_bytes)
    }

    fn u64(&mut self, field: &str) -> Result<u64, String> {
        self.arr(field).map(u64::from_le_bytes)
    }

    fn bool(&mut self, field: &str) -> Result<bool, String> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!("{field}: expected 0 or 1, got {v}")),
        }
    }

    fn code<T>(&mut self, field: &str, of: fn(u8) -> Option<T>) -> Result<T, String> {
        let c = self.u8(field)?;
        of(c).ok_or_else(|| format!("{field}: unknown code {c}"))
    }

    /// A decimal as written, `None` for the null marker; any sign.
    fn raw_dec(&mut self, field: &str) -> Result<Option<Fixed>, String> {
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
    fn opt_dec(&mut self, field: &str) -> Result<Option<Fixed>, String> {
        match self.raw_dec(field)? {
            None => Ok(None),
            Some(v) if v.mantissa < 0 => Err(format!("{field}: must not be negative")),
            Some(v) => Ok(Some(v.normalized())),
        }
    }

    fn dec(&mut self, field: &str) -> Result<Fixed, String> {
        self.opt_dec(field)?
            .ok_or_else(|| format!("missing field `{field}`"))
    }

    fn str_n(&mut self, n: usize, field: &str) -> Result<&'a str, String> {
        let b = self.take(n, field)?;
        std::str::from_utf8(b).map_err(|_| format!("{field}: not UTF-8"))
    }

    fn str8(&mut self, field: &str) -> Result<&'a str, String> {
        let n = self.u8(field)? as usize;
        self.str_n(n, field)
    }

    fn str16(&mut self, field: &str) -> Result<&'a str, String> {
        let n = self.u16(field)? as usize;
        self.str_n(n, field)
    }

    fn opt_name(&mut self, field: &str) -> Result<Option<Name>, String> {
        let s = self.str8(field)?;
        if s.is_empty() {
            return Ok(None);
        }
        Name::new(s)
            .map(Some)
            .ok_or_else(|| format!("{field}: expected 1 to 16 characters of [A-Za-z0-9._-]"))
    }

    fn name(&mut self, field: &str) -> Result<Name, String> {
        self.opt_name(field)?
            .ok_or_else(|| format!("missing field `{field}`"))
    }

    fn opt_cl_ord_id(&mut self, field: &str) -> Result<Option<ClOrdId>, String> {
        let s = self.str8(field)?;
        if s.is_empty() {
            return Ok(None);
        }
        ClOrdId::new(s)
            .map(Some)
            .ok_or_else(|| format!("{field}: expected 1 to 36 characters of [A-Za-z0-9_-]"))
    }

    fn tx_id(&mut self, field: &str) -> Result<TxId, String> {
        let s = self.str8(field)?;
        if s.is_empty() {
            return Err(format!("missing field `{field}`"));
        }
        TxId::new(s).ok_or_else(|| format!("{field}: expected 1 to 64 printable ASCII characters"))
    }

    /// Bodies are exact: nothing may follow the last field.
    fn end(self) -> Result<(), String> {
        if self.b.is_empty() {
            Ok(())
        } else {
            Err(format!("{} bytes after the last field", self.b.len()))
        }
    }
}

/// One complete frame, header read.
struct Frame<'a> {
    ty: u8,
    flags: u8,
    req_id: Option<u64>,
    body: &'a [u8],
    bytes: usize,
}

/// Splits the first frame off `buf`: `Ok(None)` until it is complete.
fn split_frame(buf: &[u8]) -> Result<Option<Frame<'_>>, FrameError> {
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
    let mut rd = Rd { b: frame };
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
        body: rd.b,
        bytes,
    }))
}

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
    let mut rd = Rd { b: f.body };
    let op = match f.ty {
        msg::LOGIN => login(&mut rd),
        msg::PLACE => place(&mut rd).map(|p| Op::Trader(TraderOp::Place(p))),
        msg::CANCEL => cancel(&mut rd),
        msg::AMEND => amend(&mut rd),
        msg::CANCEL_ALL => rd
            .opt_name("symbol")
            .map(|symbol| Op::Trader(TraderOp::CancelAll { symbol })),
        msg::BALANCES => balances(&mut rd),
        msg::OPEN_ORDERS => rd
            .opt_name("symbol")
            .map(|symbol| Op::OpenOrders { symbol }),
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
    Ok(Some((
        Request {
            req_id: f.req_id,
            op,
        },
        f.bytes,
    )))
}

fn login(rd: &mut Rd<'_>) -> Result<Op, String> {
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

fn place(rd: &mut Rd<'_>) -> Result<PlaceOrder, String> {
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
fn target_head(rd: &mut Rd<'_>) -> Result<(u8, u64), String> {
    let kind = rd.u8("target")?;
    let id = rd.u64("order_id")?;
    match kind {
        0 => Ok((0, id)),
        1 if id == 0 => Ok((1, 0)),
        1 => Err("give `order_id` or `client_order_id`, not both".into()),
        k => Err(format!("target: unknown code {k}")),
    }
}

fn target_tail(rd: &mut Rd<'_>, (kind, id): (u8, u64)) -> Result<OrderRef, String> {
    let cl = rd.opt_cl_ord_id("client_order_id")?;
    match (kind, cl) {
        (0, None) => Ok(OrderRef::Id(id)),
        (0, Some(_)) => Err("give `order_id` or `client_order_id`, not both".into()),
        (_, Some(cl)) => Ok(OrderRef::Client(cl)),
        (_, None) => Err("missing field `client_order_id`".into()),
    }
}

fn cancel(rd: &mut Rd<'_>) -> Result<Op, String> {
    let head = target_head(rd)?;
    let symbol = rd.name("symbol")?;
    let target = target_tail(rd, head)?;
    Ok(Op::Trader(TraderOp::Cancel { symbol, target }))
}

fn amend(rd: &mut Rd<'_>) -> Result<Op, String> {
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

fn balances(rd: &mut Rd<'_>) -> Result<Op, String> {
    let has_user = rd.bool("has_user")?;
    let user = rd.u64("user")?;
    if !has_user && user != 0 {
        return Err("user: non-zero without has_user".into());
    }
    Ok(Op::Balances {
        user: has_user.then_some(user),
    })
}

fn add_asset(rd: &mut Rd<'_>) -> Result<Op, String> {
    let scale = rd.u8("scale")?;
    let asset = rd.name("asset")?;
    Ok(Op::Admin(CommandKind::AddAsset { asset, scale }))
}

fn add_symbol(rd: &mut Rd<'_>) -> Result<Op, String> {
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

fn add_user(rd: &mut Rd<'_>) -> Result<Op, String> {
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

fn transfer(rd: &mut Rd<'_>, deposit: bool) -> Result<Op, String> {
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
// Requests: encoding (client side)
// ---------------------------------------------------------------------------

/// Appends a `login` frame carrying `api_key` (hashed by the server).
pub fn encode_login(
    api_key: &str,
    cancel_on_disconnect: bool,
    req_id: Option<u64>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    if api_key.is_empty() || api_key.len() > API_KEY_BYTES_MAX {
        return Err(EncodeError::ApiKeyLength);
    }
    let start = begin(out, msg::LOGIN, req_id);
    put_bool(out, cancel_on_disconnect);
    put_str16(out, api_key);
    finish(out, start);
    Ok(())
}

/// Appends the frame of `req`. A `login` (which holds only the key's hash)
/// and market data subscriptions are refused and nothing is appended; see
/// [`encode_login`].
///
/// The encoder writes what it is given: a request the JSON codec would
/// refuse (a market order with a price, say) is encoded as is and refused by
/// the server as `malformed`.
pub fn encode_request(req: &Request, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let ty = match &req.op {
        Op::Login { .. } => return Err(EncodeError::LoginNeedsKey),
        Op::Subscribe(_) => return Err(EncodeError::WebSocketOnly("subscribe")),
        Op::Unsubscribe(_) => return Err(EncodeError::WebSocketOnly("unsubscribe")),
        Op::Trader(TraderOp::Place(_)) => msg::PLACE,
        Op::Trader(TraderOp::Cancel { .. }) => msg::CANCEL,
        Op::Trader(TraderOp::Amend { .. }) => msg::AMEND,
        Op::Trader(TraderOp::CancelAll { .. }) => msg::CANCEL_ALL,
        Op::Balances { .. } => msg::BALANCES,
        Op::OpenOrders { .. } => msg::OPEN_ORDERS,
        Op::Fees => msg::FEES,
        Op::Snapshot => msg::SNAPSHOT,
        Op::Admin(k) => match k {
            CommandKind::AddAsset { .. } => msg::ADD_ASSET,
            CommandKind::AddSymbol(_) => msg::ADD_SYMBOL,
            CommandKind::AddUser { .. } => msg::ADD_USER,
            CommandKind::Deposit { .. } => msg::DEPOSIT,
            CommandKind::Withdraw { .. } => msg::WITHDRAW,
            CommandKind::Halt { .. } => msg::HALT,
            CommandKind::Resume { .. } => msg::RESUME,
            CommandKind::Place(_)
            | CommandKind::Cancel { .. }
            | CommandKind::Amend { .. }
            | CommandKind::CancelAll { .. } => return Err(EncodeError::TraderCommandAsAdmin),
        },
    };
    let start = begin(out, ty, req.req_id);
    match &req.op {
        Op::Trader(TraderOp::Place(p)) => {
            put_u8(out, side_code(p.side));
            put_u8(out, order_type_code(p.order_type));
            put_u8(out, tif_code(p.tif));
            put_u8(out, stp_code(p.stp));
            put_bool(out, p.post_only);
            put_dec(out, p.qty);
            put_opt_dec(out, p.price);
            put_opt_dec(out, p.stop_price);
            put_opt_dec(out, p.display_qty);
            put_str8(out, p.symbol.as_str());
            put_str8(out, p.client_order_id.as_ref().map_or("", |c| c.as_str()));
        }
        Op::Trader(TraderOp::Cancel { symbol, target }) => {
            put_target(out, target);
            put_str8(out, symbol.as_str());
            put_str8(out, target_clid(target));
        }
        Op::Trader(TraderOp::Amend {
            symbol,
            target,
            price,
            qty,
        }) => {
            put_target(out, target);
            put_opt_dec(out, *price);
            put_opt_dec(out, *qty);
            put_str8(out, symbol.as_str());
            put_str8(out, target_clid(target));
        }
        Op::Trader(TraderOp::CancelAll { symbol }) | Op::OpenOrders { symbol } => {
            put_str8(out, symbol.as_ref().map_or("", |s| s.as_str()));
        }
        Op::Balances { user } => {
            put_bool(out, user.is_some());
            put_u64(out, user.unwrap_or(0));
        }
        Op::Admin(CommandKind::AddAsset { asset, scale }) => {
            put_u8(out, *scale);
            put_str8(out, asset.as_str());
        }
        Op::Admin(CommandKind::AddSymbol(s)) => {
            put_dec(out, s.tick_size);
            put_dec(out, s.lot_size);
            put_dec(out, s.min_qty);
            put_u32(out, s.maker_fee_bps);
            put_u32(out, s.taker_fee_bps);
            put_opt_dec(out, s.price_band_pct);
            put_str8(out, s.symbol.as_str());
            put_str8(out, s.base.as_str());
            put_str8(out, s.quote.as_str());
        }
        Op::Admin(CommandKind::AddUser {
            user,
            key_hash,
            role,
        }) => {
            put_u64(out, *user);
            put_u8(out, role_code(*role));
            put_u8(out, 1);
            out.extend_from_slice(&key_hash.0);
        }
        Op::Admin(
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
            },
        ) => {
            put_u64(out, *user);
            put_dec(out, *amount);
            put_str8(out, asset.as_str());
            put_str8(out, tx_id.as_str());
        }
        Op::Admin(CommandKind::Halt { symbol } | CommandKind::Resume { symbol }) => {
            put_str8(out, symbol.as_str());
        }
        // No body, or handled before `begin`.
        Op::Fees
        | Op::Snapshot
        | Op::Login { .. }
        | Op::Subscribe(_)
        | Op::Unsubscribe(_)
        | Op::Admin(_) => {}
    }
    finish(out, start);
    Ok(())
}

// ---------------------------------------------------------------------------
// Replies: encoding (server side)
// ---------------------------------------------------------------------------

fn asset_name(dir: &Directory, id: AssetId) -> Option<Name> {
    dir.assets().get(id.0 as usize).map(|a| a.name)
}

fn asset_scale(dir: &Directory, id: AssetId) -> u8 {
    dir.assets().get(id.0 as usize).map_or(0, |a| a.scale)
}

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

/// Open orders reply: each order as an execution item of its current state.
pub fn encode_open_orders_bin(
    orders: &[ExecReport],
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
        |_| {},
        |r, out| {
            put_exec(r, dir, out);
            true
        },
    );
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

/// Error reply: code and message (cut to [`ERROR_MESSAGE_BYTES_MAX`]).
pub fn encode_error_bin(err: &WireError, out: &mut Vec<u8>) {
    let start = begin(out, msg::ERROR, err.req_id);
    put_u8(out, error_code_code(err.code));
    let m = &err.message;
    let mut n = m.len().min(ERROR_MESSAGE_BYTES_MAX);
    while !m.is_char_boundary(n) {
        n -= 1;
    }
    put_str16(out, &m[..n]);
    finish(out, start);
}

/// Login reply: the user and its role.
pub fn encode_login_ok_bin(user: UserId, role: Role, req_id: Option<u64>, out: &mut Vec<u8>) {
    let start = begin(out, msg::LOGIN_OK, req_id);
    put_u64(out, user);
    put_u8(out, role_code(role));
    finish(out, start);
}

// ---------------------------------------------------------------------------
// Replies: decoding (client side)
// ---------------------------------------------------------------------------

/// One decoded server frame.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Reply {
    /// The `req_id` of the request that caused it, on the session that sent it.
    pub req_id: Option<u64>,
    pub body: ReplyBody,
}

/// What a server frame says. Decimals are [`Fixed`] as written (normalised
/// by the server), names are `String`, `None` where JSON writes `null`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ReplyBody {
    Login {
        user: UserId,
        role: Role,
    },
    Execution(Box<Execution>),
    Reject {
        seq: Seq,
        ts_ns: u64,
        user: UserId,
        op: RejectOp,
        target: Option<Target>,
        reason: Reason,
    },
    CancelAll {
        seq: Seq,
        ts_ns: u64,
        user: UserId,
        canceled: u32,
    },
    Admin {
        seq: Seq,
        ts_ns: u64,
        op: AdminOp,
        ok: bool,
        reason: Option<Reason>,
    },
    Snapshot {
        seq: Seq,
        state_hash: [u8; 32],
    },
    /// One frame of a balances reply; `more`: another frame follows.
    Balances {
        user: Option<UserId>,
        balances: Vec<BalanceEntry>,
        more: bool,
    },
    /// One frame of an open orders reply.
    OpenOrders {
        orders: Vec<Execution>,
        more: bool,
    },
    /// One frame of a fees reply.
    Fees {
        fees: Vec<FeeEntry>,
        more: bool,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// An execution report (or an open order's state), as JSON's `execution`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Execution {
    pub seq: Seq,
    pub ts_ns: u64,
    pub user: UserId,
    pub order_id: OrderId,
    pub exec_type: ExecType,
    pub status: OrderStatus,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Tif,
    /// Only on `rejected`/`canceled`.
    pub reason: Option<Reason>,
    /// `None` for market orders (and a place rejected as `unknown_symbol`).
    pub price: Option<Fixed>,
    pub stop_price: Option<Fixed>,
    pub qty: Option<Fixed>,
    pub filled_qty: Option<Fixed>,
    pub remaining_qty: Option<Fixed>,
    /// `None` until something is filled.
    pub avg_price: Option<Fixed>,
    /// `None` only for a place rejected as `unknown_symbol`.
    pub symbol: Option<String>,
    pub client_order_id: Option<String>,
    /// Only on `trade`.
    pub trade: Option<TradeFill>,
}

/// The fill part of a `trade` report.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TradeFill {
    pub trade_id: TradeId,
    pub last_price: Option<Fixed>,
    pub last_qty: Option<Fixed>,
    pub fee: Fixed,
    pub fee_asset: Option<String>,
    pub liquidity: Liquidity,
}

/// Which order a failed cancel or amend named.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Target {
    OrderId(OrderId),
    ClientOrderId(String),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BalanceEntry {
    pub asset: String,
    pub available: Fixed,
    pub locked: Fixed,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FeeEntry {
    pub asset: String,
    pub amount: Fixed,
}

/// Decodes the first frame of `buf` into a reply: `Ok(None)` until it is
/// complete; `Err` as for [`decode_frame`]. Never panics; allocates no more
/// than the frame's own bytes warrant.
pub fn decode_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, FrameError> {
    let Some(f) = split_frame(buf)? else {
        return Ok(None);
    };
    let more = f.flags & FLAG_MORE != 0;
    let mut rd = Rd { b: f.body };
    let body = match f.ty {
        msg::LOGIN_OK => (|| {
            Ok(ReplyBody::Login {
                user: rd.u64("user")?,
                role: rd.code("role", role_of)?,
            })
        })(),
        msg::EXECUTION => get_exec(&mut rd).map(|e| ReplyBody::Execution(Box::new(e))),
        msg::REJECT => get_reject(&mut rd),
        msg::CANCEL_ALL_DONE => (|| {
            Ok(ReplyBody::CancelAll {
                seq: rd.u64("seq")?,
                ts_ns: rd.u64("ts")?,
                user: rd.u64("user")?,
                canceled: rd.u32("canceled")?,
            })
        })(),
        msg::ADMIN => (|| {
            Ok(ReplyBody::Admin {
                seq: rd.u64("seq")?,
                ts_ns: rd.u64("ts")?,
                op: rd.code("op", admin_op_of)?,
                ok: rd.bool("ok")?,
                reason: opt_reason(&mut rd)?,
            })
        })(),
        msg::SNAPSHOT_OK => (|| {
            Ok(ReplyBody::Snapshot {
                seq: rd.u64("seq")?,
                state_hash: rd.arr("state_hash")?,
            })
        })(),
        msg::BALANCES_REPLY => get_balances(&mut rd, more),
        msg::OPEN_ORDERS_REPLY => (|| {
            let orders = get_list(&mut rd, 128 + 3, get_exec)?;
            Ok(ReplyBody::OpenOrders { orders, more })
        })(),
        msg::FEES_REPLY => (|| {
            let fees = get_list(&mut rd, 9 + 1, |rd| {
                let amount = req_raw_dec(rd, "amount")?;
                Ok(FeeEntry {
                    amount,
                    asset: rd.str8("asset")?.to_owned(),
                })
            })?;
            Ok(ReplyBody::Fees { fees, more })
        })(),
        msg::ERROR => (|| {
            Ok(ReplyBody::Error {
                code: rd.code("code", error_code_of)?,
                message: rd.str16("message")?.to_owned(),
            })
        })(),
        other => Err(format!("unknown message type {other:#04x}")),
    };
    let fail = |m| FrameError::skip(f.bytes, f.req_id, ErrorCode::Malformed, m);
    let body = body.and_then(|b| rd.end().map(|()| b)).map_err(fail)?;
    let is_list = matches!(
        f.ty,
        msg::BALANCES_REPLY | msg::OPEN_ORDERS_REPLY | msg::FEES_REPLY
    );
    if more && !is_list {
        return Err(fail("the more flag is for list replies".into()));
    }
    Ok(Some((
        Reply {
            req_id: f.req_id,
            body,
        },
        f.bytes,
    )))
}

fn opt_reason(rd: &mut Rd<'_>) -> Result<Option<Reason>, String> {
    match rd.u8("reason")? {
        0 => Ok(None),
        c => reason_of(c)
            .map(Some)
            .ok_or_else(|| format!("reason: unknown code {c}")),
    }
}

fn req_raw_dec(rd: &mut Rd<'_>, field: &str) -> Result<Fixed, String> {
    rd.raw_dec(field)?
        .ok_or_else(|| format!("missing field `{field}`"))
}

fn opt_string(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// A `u16` count, then the items. The capacity reserved is bounded by what
/// the frame can hold, never by the count alone.
fn get_list<'a, T>(
    rd: &mut Rd<'a>,
    item_bytes_min: usize,
    mut item: impl FnMut(&mut Rd<'a>) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let count = rd.u16("count")? as usize;
    if count > rd.b.len() / item_bytes_min {
        return Err(format!("count: {count} items do not fit the frame"));
    }
    let mut v = Vec::with_capacity(count);
    for _ in 0..count {
        v.push(item(rd)?);
    }
    Ok(v)
}

fn get_exec(rd: &mut Rd<'_>) -> Result<Execution, String> {
    let seq = rd.u64("seq")?;
    let ts_ns = rd.u64("ts")?;
    let user = rd.u64("user")?;
    let order_id = rd.u64("order_id")?;
    let trade_id = rd.u64("trade_id")?;
    let exec_type = rd.code("exec_type", exec_type_of)?;
    let status = rd.code("status", status_of)?;
    let side = rd.code("side", side_of)?;
    let order_type = rd.code("order_type", order_type_of)?;
    let tif = rd.code("tif", tif_of)?;
    let reason = opt_reason(rd)?;
    let liquidity = match rd.u8("liquidity")? {
        0 => None,
        c => Some(liquidity_of(c).ok_or_else(|| format!("liquidity: unknown code {c}"))?),
    };
    let price = rd.raw_dec("price")?;
    let stop_price = rd.raw_dec("stop_price")?;
    let qty = rd.raw_dec("qty")?;
    let filled_qty = rd.raw_dec("filled_qty")?;
    let remaining_qty = rd.raw_dec("remaining_qty")?;
    let avg_price = rd.raw_dec("avg_price")?;
    let last_price = rd.raw_dec("last_price")?;
    let last_qty = rd.raw_dec("last_qty")?;
    let fee = rd.raw_dec("fee")?;
    let symbol = opt_string(rd.str8("symbol")?);
    let client_order_id = opt_string(rd.str8("client_order_id")?);
    let fee_asset = opt_string(rd.str8("fee_asset")?);
    let trade = match liquidity {
        None => None,
        Some(liquidity) => Some(TradeFill {
            trade_id,
            last_price,
            last_qty,
            fee: fee.ok_or("missing field `fee`")?,
            fee_asset,
            liquidity,
        }),
    };
    Ok(Execution {
        seq,
        ts_ns,
        user,
        order_id,
        exec_type,
        status,
        side,
        order_type,
        tif,
        reason,
        price,
        stop_price,
        qty,
        filled_qty,
        remaining_qty,
        avg_price,
        symbol,
        client_order_id,
        trade,
    })
}

fn get_reject(rd: &mut Rd<'_>) -> Result<ReplyBody, String> {
    let seq = rd.u64("seq")?;
    let ts_ns = rd.u64("ts")?;
    let user = rd.u64("user")?;
    let op = rd.code("op", reject_op_of)?;
    let reason = rd.code("reason", reason_of)?;
    let kind = rd.u8("target")?;
    let id = rd.u64("order_id")?;
    let clid = rd.str8("client_order_id")?;
    let target = match (kind, clid.is_empty()) {
        (0, true) => None,
        (1, true) => Some(Target::OrderId(id)),
        (2, false) => Some(Target::ClientOrderId(clid.to_owned())),
        (0..=2, _) => return Err("target: kind and client_order_id disagree".into()),
        (k, _) => return Err(format!("target: unknown code {k}")),
    };
    Ok(ReplyBody::Reject {
        seq,
        ts_ns,
        user,
        op,
        target,
        reason,
    })
}

fn get_balances(rd: &mut Rd<'_>, more: bool) -> Result<ReplyBody, String> {
    let has_user = rd.bool("has_user")?;
    let user = rd.u64("user")?;
    let balances = get_list(rd, 9 + 9 + 1, |rd| {
        let available = req_raw_dec(rd, "available")?;
        let locked = req_raw_dec(rd, "locked")?;
        Ok(BalanceEntry {
            asset: rd.str8("asset")?.to_owned(),
            available,
            locked,
        })
    })?;
    Ok(ReplyBody::Balances {
        user: has_user.then_some(user),
        balances,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    fn enc(req: &Request) -> Vec<u8> {
        let mut v = Vec::new();
        encode_request(req, &mut v).unwrap();
        v
    }

    fn limit_buy() -> Request {
        Request {
            req_id: Some(7),
            op: Op::Trader(TraderOp::Place(PlaceOrder {
                symbol: name("BTC-USD"),
                side: Side::Buy,
                order_type: OrderType::Limit,
                tif: Tif::Gtc,
                price: Some(Fixed::new(1005, 1)),
                qty: Fixed::new(2, 0),
                stop_price: None,
                display_qty: None,
                post_only: false,
                stp: Stp::None,
                client_order_id: ClOrdId::new("a1"),
            })),
        }
    }

    /// The example frame of docs/protocol.md, byte for byte.
    #[test]
    fn place_frame_matches_the_documented_example() {
        let b = enc(&limit_buy());
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[0x3e, 0, 0, 0][..],                // len 62
            &[0x02, 0x11],                       // place, version 1 | req_id flag
            &[7, 0, 0, 0, 0, 0, 0, 0],           // req_id 7
            &[0, 0, 0, 0, 0],                    // buy limit gtc stp none, not post-only
            &[2, 0, 0, 0, 0, 0, 0, 0, 0],        // qty 2
            &[0xed, 0x03, 0, 0, 0, 0, 0, 0, 1],  // price 100.5 = 1005e-1
            &[0, 0, 0, 0, 0, 0, 0, 0, 0xff],     // stop_price null
            &[0, 0, 0, 0, 0, 0, 0, 0, 0xff],     // display_qty null
            &[7, b'B', b'T', b'C', b'-', b'U', b'S', b'D'],
            &[2, b'a', b'1'],
        ]
        .concat();
        assert_eq!(b, want);
        assert_eq!(decode_frame(&b).unwrap(), Some((limit_buy(), b.len())));
    }

    #[test]
    fn header_rules() {
        let good = enc(&limit_buy());
        let n = good.len();
        // version nibble
        let mut b = good.clone();
        b[5] = 0x21;
        let e = decode_frame(&b).unwrap_err();
        assert_eq!((e.error.code, e.skip), (ErrorCode::Malformed, Some(n)));
        // reserved flag bits
        let mut b = good.clone();
        b[5] = 0x15;
        assert_eq!(decode_frame(&b).unwrap_err().skip, Some(n));
        // the more flag is the server's
        let mut b = good.clone();
        b[5] = 0x13;
        let e = decode_frame(&b).unwrap_err();
        assert_eq!(e.error.req_id, Some(7));
        // req_id bytes without the flag
        let mut b = good.clone();
        b[5] = 0x10;
        assert!(decode_frame(&b)
            .unwrap_err()
            .error
            .message
            .contains("req_id"));
        // no flag, zero req_id: no req_id
        b[6] = 0;
        assert_eq!(decode_frame(&b).unwrap().unwrap().0.req_id, None);
        // req_id 0 is an id like any other
        let mut r = limit_buy();
        r.req_id = Some(0);
        assert_eq!(decode_frame(&enc(&r)).unwrap().unwrap().0.req_id, Some(0));
        // a frame shorter than its header is skipped whole
        let e = decode_frame(&[3, 0, 0, 0, 2, 0x10, 0]).unwrap_err();
        assert_eq!((e.error.code, e.skip), (ErrorCode::Malformed, Some(7)));
        // the largest legal frame is read; one byte more is too_large at once
        let mut b = vec![0u8; FRAME_BYTES_MAX];
        b[..4].copy_from_slice(&((FRAME_BYTES_MAX - 4) as u32).to_le_bytes());
        b[4] = msg::FEES;
        b[5] = 0x10;
        let e = decode_frame(&b).unwrap_err();
        assert_eq!(e.skip, Some(FRAME_BYTES_MAX));
        assert!(e.error.message.contains("after the last field"));
        let e = decode_frame(&((FRAME_BYTES_MAX - 3) as u32).to_le_bytes()).unwrap_err();
        assert_eq!((e.error.code, e.skip), (ErrorCode::TooLarge, None));
    }

    #[test]
    fn unassigned_types_are_unknown_op_and_replies_are_not_requests() {
        for ty in [0x00, 0x0a, 0x17, 0x40, msg::EXECUTION, 0xff] {
            let b = [10, 0, 0, 0, ty, 0x11, 9, 0, 0, 0, 0, 0, 0, 0];
            let e = decode_frame(&b).unwrap_err();
            assert_eq!(e.error.code, ErrorCode::UnknownOp, "{ty:#x}");
            assert_eq!((e.error.req_id, e.skip), (Some(9), Some(14)));
        }
        for ty in [msg::LOGIN, msg::PLACE, 0x20] {
            let b = [10, 0, 0, 0, ty, 0x10, 0, 0, 0, 0, 0, 0, 0, 0];
            assert!(decode_reply(&b).is_err());
        }
    }

    #[test]
    fn subscriptions_and_hashed_logins_are_not_encoded() {
        let mut out = vec![1, 2, 3];
        let r = Request {
            req_id: None,
            op: Op::Subscribe(vec![]),
        };
        assert_eq!(
            encode_request(&r, &mut out),
            Err(EncodeError::WebSocketOnly("subscribe"))
        );
        let r = Request {
            req_id: None,
            op: Op::Login {
                key_hash: KeyHash::of_key("k"),
                cancel_on_disconnect: false,
            },
        };
        assert_eq!(
            encode_request(&r, &mut out),
            Err(EncodeError::LoginNeedsKey)
        );
        assert_eq!(
            encode_login("", false, None, &mut out),
            Err(EncodeError::ApiKeyLength)
        );
        assert_eq!(out, [1, 2, 3], "nothing appended on refusal");
    }

    #[test]
    fn trader_commands_given_as_admin_ops_are_refused() {
        let Op::Trader(t) = limit_buy().op else {
            unreachable!()
        };
        let r = Request {
            req_id: Some(1),
            op: Op::Admin(t.to_command_kind(42)),
        };
        let mut out = Vec::new();
        assert_eq!(
            encode_request(&r, &mut out),
            Err(EncodeError::TraderCommandAsAdmin)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn list_replies_split_over_frames_of_at_most_the_maximum() {
        let mut dir = Directory::default();
        dir.add_asset(name("USD"), 2, 8).unwrap();
        let fees: Vec<(AssetId, Units)> = (0..500).map(|i| (AssetId(0), Units::new(i))).collect();
        let mut out = Vec::new();
        encode_fees_bin(&fees, &dir, Some(3), &mut out);
        let (mut at, mut got, mut frames) = (0, Vec::new(), 0);
        loop {
            let (r, n) = decode_reply(&out[at..]).unwrap().unwrap();
            assert!(n <= FRAME_BYTES_MAX);
            at += n;
            frames += 1;
            assert_eq!(r.req_id, Some(3));
            let ReplyBody::Fees { fees, more } = r.body else {
                panic!("{r:?}")
            };
            got.extend(fees);
            if !more {
                break;
            }
        }
        assert_eq!(at, out.len());
        assert!(frames > 1);
        assert_eq!(got.len(), 500);
        assert_eq!(got[499].amount, Fixed::new(499, 2));
    }

    #[test]
    fn codes_are_dense_round_trip_and_are_documented() {
        let doc = include_str!("../../../docs/protocol.md");
        let mut missing = Vec::new();
        let mut check = |table: &str, code: u8, name: &str| {
            let row = format!("| {code} | `{name}` |");
            if !doc.contains(&row) {
                missing.push(format!("{table}: {row}"));
            }
        };
        macro_rules! each {
            ($all:ident, $to:ident, $of:ident, $table:literal) => {
                for v in $all {
                    assert_eq!($of($to(*v)), Some(*v));
                    check($table, $to(*v), v.as_str());
                }
            };
        }
        each!(ALL_SIDES, side_code, side_of, "side");
        each!(
            ALL_ORDER_TYPES,
            order_type_code,
            order_type_of,
            "order_type"
        );
        each!(ALL_TIFS, tif_code, tif_of, "tif");
        each!(ALL_STPS, stp_code, stp_of, "stp");
        each!(ALL_ROLES, role_code, role_of, "role");
        each!(ALL_EXEC_TYPES, exec_type_code, exec_type_of, "exec_type");
        each!(ALL_STATUSES, status_code, status_of, "status");
        each!(ALL_LIQUIDITIES, liquidity_code, liquidity_of, "liquidity");
        each!(ALL_REASONS, reason_code, reason_of, "reason");
        each!(ALL_REJECT_OPS, reject_op_code, reject_op_of, "reject op");
        each!(ALL_ADMIN_OPS, admin_op_code, admin_op_of, "admin op");
        each!(
            ALL_ERROR_CODES,
            error_code_code,
            error_code_of,
            "error code"
        );
        assert!(
            missing.is_empty(),
            "rows missing from docs/protocol.md:\n{missing:#?}"
        );
        // Tables are dense from their first code: no gaps a decoder would miss.
        assert_eq!(reason_of(0), None);
        assert_eq!(reason_of(ALL_REASONS.len() as u8 + 1), None);
        assert_eq!(side_of(2), None);
        // Message types in the doc too.
        for (ty, n) in [
            (msg::LOGIN, "login"),
            (msg::PLACE, "place"),
            (msg::CANCEL, "cancel"),
            (msg::AMEND, "amend"),
            (msg::CANCEL_ALL, "cancel_all"),
            (msg::BALANCES, "balances"),
            (msg::OPEN_ORDERS, "open_orders"),
            (msg::FEES, "fees"),
            (msg::SNAPSHOT, "snapshot"),
            (msg::ADD_ASSET, "add_asset"),
            (msg::ADD_SYMBOL, "add_symbol"),
            (msg::ADD_USER, "add_user"),
            (msg::DEPOSIT, "deposit"),
            (msg::WITHDRAW, "withdraw"),
            (msg::HALT, "halt"),
            (msg::RESUME, "resume"),
            (msg::LOGIN_OK, "login_ok"),
            (msg::EXECUTION, "execution"),
            (msg::REJECT, "reject"),
            (msg::CANCEL_ALL_DONE, "cancel_all_done"),
            (msg::ADMIN, "admin"),
            (msg::SNAPSHOT_OK, "snapshot_ok"),
            (msg::BALANCES_REPLY, "balances_reply"),
            (msg::OPEN_ORDERS_REPLY, "open_orders_reply"),
            (msg::FEES_REPLY, "fees_reply"),
            (msg::ERROR, "error"),
        ] {
            let row = format!("| `{ty:#04x}` | `{n}` |");
            assert!(doc.contains(&row), "docs/protocol.md lacks {row}");
        }
    }

    #[test]
    fn error_messages_are_cut_on_a_char_boundary() {
        let long = "é".repeat(ERROR_MESSAGE_BYTES_MAX);
        let mut out = Vec::new();
        encode_error_bin(&WireError::new(None, ErrorCode::Malformed, long), &mut out);
        let (r, _) = decode_reply(&out).unwrap().unwrap();
        let ReplyBody::Error { message, .. } = r.body else {
            panic!()
        };
        assert_eq!(message.len(), ERROR_MESSAGE_BYTES_MAX);
    }
}
