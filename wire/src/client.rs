//! A small blocking client of the binary TCP protocol
//! ([`crate::binary`], `docs/protocol.md`), for benchmarks, examples,
//! tests and tools.
//!
//! What it owns: one `TcpStream` (TCP_NODELAY on), a read buffer that
//! reassembles frames however the bytes arrive, a reused write buffer, and
//! the `req_id` counter. Replies come back in the order the server sent them;
//! a reply read while [`Client::login`] waits for its answer is kept and
//! handed out by the next [`Client::recv`], never dropped.
//!
//! What it must never do: spin or poll (reads block, or wait at most the
//! timeout given); grow a buffer past one frame (frames are bounded by
//! [`FRAME_BYTES_MAX`]); interpret replies beyond decoding them (what a
//! report means is the caller's business); keep the API key after sending it.

use crate::api::{ErrorCode, HistoryQuery, Op, PlaceOrder, Request, TraderOp, WireError};
use crate::binary::{
    decode_reply, encode_login, encode_request, EncodeError, Execution, Reply, ReplyBody,
    FRAME_BYTES_MAX,
};
use engine::{Fixed, Name, OrderType, Role, Side, Stp, Tif, UserId};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Read buffer size: many frames per `read`, and always room for a whole one.
const READ_BUF_BYTES: usize = 64 * 1024;
const _: () = assert!(READ_BUF_BYTES >= 2 * FRAME_BYTES_MAX);

/// What can go wrong on a client connection.
#[derive(Debug)]
pub enum ClientError {
    Io(io::Error),
    /// The server closed the connection.
    Closed,
    /// The server sent a frame this client cannot decode. When framing is
    /// lost (`too_large`) the connection is unusable and later calls fail
    /// with [`ClientError::Closed`].
    Protocol(WireError),
    /// The server answered a request (the login) with an error.
    Refused {
        code: ErrorCode,
        message: String,
    },
    /// A request the binary protocol cannot carry.
    Encode(EncodeError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "i/o: {e}"),
            ClientError::Closed => f.write_str("connection closed"),
            ClientError::Protocol(e) => write!(f, "undecodable reply: {e}"),
            ClientError::Refused { code, message } => {
                write!(f, "refused: {}: {message}", code.as_str())
            }
            ClientError::Encode(e) => write!(f, "cannot encode: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> ClientError {
        ClientError::Io(e)
    }
}

impl From<EncodeError> for ClientError {
    fn from(e: EncodeError) -> ClientError {
        ClientError::Encode(e)
    }
}

/// A GTC limit order with no options: the common case for tools and benches.
pub fn limit_order(symbol: Name, side: Side, price: Fixed, qty: Fixed) -> PlaceOrder {
    PlaceOrder {
        symbol,
        side,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(price),
        qty,
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: None,
    }
}

/// One connection to the binary port.
pub struct Client {
    stream: TcpStream,
    /// Received bytes `rbuf[start..end]` not yet decoded.
    rbuf: Box<[u8]>,
    start: usize,
    end: usize,
    wbuf: Vec<u8>,
    /// Decoded replies not yet handed out (read while `login` waited).
    pending: VecDeque<Reply>,
    /// The read timeout currently set on the socket.
    timeout: Option<Duration>,
    next_req_id: u64,
    /// Framing was lost; nothing more can be read.
    broken: bool,
}

impl Client {
    /// Connects and turns TCP_NODELAY on.
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client, ClientError> {
        let stream = TcpStream::connect(addr)?;
        Client::from_stream(stream)
    }

    /// Wraps a connected stream (TCP_NODELAY is turned on).
    pub fn from_stream(stream: TcpStream) -> Result<Client, ClientError> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(None)?;
        Ok(Client {
            stream,
            rbuf: vec![0u8; READ_BUF_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            wbuf: Vec::with_capacity(FRAME_BYTES_MAX),
            pending: VecDeque::new(),
            timeout: None,
            next_req_id: 1,
            broken: false,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// The next `req_id` this client will assign (they count up from 1).
    pub fn next_req_id(&self) -> u64 {
        self.next_req_id
    }

    fn take_req_id(&mut self) -> u64 {
        let id = self.next_req_id;
        self.next_req_id = self.next_req_id.wrapping_add(1);
        id
    }

    /// Logs in and waits for the answer: the user and its role, or
    /// [`ClientError::Refused`] with the server's error. Anything else that
    /// arrives meanwhile is kept for [`Client::recv`].
    pub fn login(
        &mut self,
        api_key: &str,
        cancel_on_disconnect: bool,
    ) -> Result<(UserId, Role), ClientError> {
        self.login_until(api_key, cancel_on_disconnect, None)
    }

    /// [`Client::login`], waiting at most `wait` for the answer (then
    /// `ClientError::Io` of kind `TimedOut`).
    pub fn login_within(
        &mut self,
        api_key: &str,
        cancel_on_disconnect: bool,
        wait: Duration,
    ) -> Result<(UserId, Role), ClientError> {
        self.login_until(api_key, cancel_on_disconnect, Some(Instant::now() + wait))
    }

    fn login_until(
        &mut self,
        api_key: &str,
        cancel_on_disconnect: bool,
        deadline: Option<Instant>,
    ) -> Result<(UserId, Role), ClientError> {
        let req_id = self.take_req_id();
        self.wbuf.clear();
        encode_login(api_key, cancel_on_disconnect, Some(req_id), &mut self.wbuf)?;
        self.stream.write_all(&self.wbuf)?;
        loop {
            let reply = self.read_reply(deadline)?.ok_or_else(|| {
                ClientError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no answer to the login",
                ))
            })?;
            if reply.req_id == Some(req_id) {
                match reply.body {
                    ReplyBody::Login { user, role } => return Ok((user, role)),
                    ReplyBody::Error { code, message, .. } => {
                        return Err(ClientError::Refused { code, message })
                    }
                    _ => {}
                }
            }
            self.pending.push_back(reply);
        }
    }

    /// Sends `req` as it is (its `req_id` included).
    pub fn send(&mut self, req: &Request) -> Result<(), ClientError> {
        self.wbuf.clear();
        encode_request(req, &mut self.wbuf)?;
        self.stream.write_all(&self.wbuf)?;
        Ok(())
    }

    /// Sends `op` with the next `req_id` and returns that id.
    pub fn request(&mut self, op: Op) -> Result<u64, ClientError> {
        let req_id = self.take_req_id();
        self.send(&Request {
            req_id: Some(req_id),
            op,
        })?;
        Ok(req_id)
    }

    /// Places an order with the next `req_id` and returns that id; its
    /// reports carry it.
    pub fn place(&mut self, order: PlaceOrder) -> Result<u64, ClientError> {
        self.request(Op::Trader(TraderOp::Place(order)))
    }

    /// Asks one page of open orders and waits for all of it: the orders and
    /// the next page's `after_order_id` (`None`: this was the last page).
    /// Anything else that arrives meanwhile is kept for [`Client::recv`].
    pub fn open_orders_page(
        &mut self,
        symbol: Option<Name>,
        after_order_id: Option<u64>,
        limit: Option<u32>,
    ) -> Result<(Vec<Execution>, Option<u64>), ClientError> {
        let req_id = self.request(Op::OpenOrders {
            symbol,
            after_order_id,
            limit,
        })?;
        let mut all = Vec::new();
        loop {
            let reply = self.read_reply(None)?.ok_or(ClientError::Closed)?;
            if reply.req_id == Some(req_id) {
                match reply.body {
                    ReplyBody::OpenOrders {
                        orders,
                        next_cursor,
                        more,
                    } => {
                        all.extend(orders);
                        if !more {
                            return Ok((all, next_cursor));
                        }
                        continue;
                    }
                    ReplyBody::Error { code, message, .. } => {
                        return Err(ClientError::Refused { code, message })
                    }
                    _ => {}
                }
            }
            self.pending.push_back(reply);
        }
    }

    /// Asks a history query and waits for its whole answer: the JSON
    /// document the WebSocket API answers with (`{"type":"order_history",
    /// "orders":[...],"next_cursor":...}` and so on), or
    /// [`ClientError::Refused`] with the server's error (`unknown_order`,
    /// `invalid_limit`, `history_unavailable`, ...). Anything else that
    /// arrives meanwhile is kept for [`Client::recv`].
    pub fn history(&mut self, query: HistoryQuery) -> Result<String, ClientError> {
        let req_id = self.request(Op::History(query))?;
        let mut doc = String::new();
        loop {
            let reply = self.read_reply(None)?.ok_or(ClientError::Closed)?;
            if reply.req_id == Some(req_id) {
                match reply.body {
                    ReplyBody::History { part, more } => {
                        doc.push_str(&part);
                        if !more {
                            return Ok(doc);
                        }
                        continue;
                    }
                    ReplyBody::Error { code, message, .. } => {
                        return Err(ClientError::Refused { code, message })
                    }
                    _ => {}
                }
            }
            self.pending.push_back(reply);
        }
    }

    /// The next reply, waiting as long as it takes.
    pub fn recv(&mut self) -> Result<Reply, ClientError> {
        match self.pending.pop_front() {
            Some(r) => Ok(r),
            None => self.read_reply(None)?.ok_or(ClientError::Closed),
        }
    }

    /// The next reply, or `None` if none is complete within `timeout`.
    /// Bytes of a frame that is still arriving are kept for the next call.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Reply>, ClientError> {
        if let Some(r) = self.pending.pop_front() {
            return Ok(Some(r));
        }
        self.read_reply(Some(Instant::now() + timeout))
    }

    /// Decodes the next buffered frame, reading more until one is complete.
    /// With a deadline, `Ok(None)` once it passes; without one, `Ok(None)`
    /// never happens (end of stream is [`ClientError::Closed`]).
    fn read_reply(&mut self, deadline: Option<Instant>) -> Result<Option<Reply>, ClientError> {
        if self.broken {
            return Err(ClientError::Closed);
        }
        loop {
            match decode_reply(&self.rbuf[self.start..self.end]) {
                Ok(Some((reply, n))) => {
                    self.consume(n);
                    return Ok(Some(reply));
                }
                Ok(None) => {}
                Err(e) => {
                    match e.skip {
                        Some(n) => self.consume(n),
                        None => self.broken = true,
                    }
                    return Err(ClientError::Protocol(e.error));
                }
            }
            // Need more bytes: make room (a frame always fits), then read.
            if self.start > 0 {
                self.rbuf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let wait = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(None),
                },
            };
            if self.timeout != wait {
                self.stream.set_read_timeout(wait)?;
                self.timeout = wait;
            }
            match self.stream.read(&mut self.rbuf[self.end..]) {
                Ok(0) => return Err(ClientError::Closed),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if deadline.is_some()
                        && matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}
