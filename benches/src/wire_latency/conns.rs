//! Transports: a sending half and a receiving half of one connection, for
//! the binary protocol, WebSocket and the bare TCP echo.

use super::*;

// ---------------------------------------------------------------------------
// Transports: a sending half and a receiving half of one connection
// ---------------------------------------------------------------------------

pub(super) trait Tx: Send {
    fn send(&mut self, id: u64) -> Result<(), String>;
}

pub(super) trait Rx: Send {
    /// The id of the request a completion answers, `None` for anything else.
    fn recv(&mut self) -> Result<Option<u64>, String>;
}

pub(super) struct Conn {
    pub(super) tx: Box<dyn Tx>,
    pub(super) rx: Box<dyn Rx>,
    /// The socket, for shutting it down from outside.
    pub(super) sock: TcpStream,
}

pub(super) struct BinTx {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Tx for BinTx {
    fn send(&mut self, id: u64) -> Result<(), String> {
        self.buf.clear();
        encode_request(
            &Request {
                req_id: Some(id),
                op: place_op(id),
            },
            &mut self.buf,
        )
        .map_err(|e| e.to_string())?;
        self.stream.write_all(&self.buf).map_err(|e| e.to_string())
    }
}

pub(super) struct BinRx {
    client: Client,
}

impl Rx for BinRx {
    fn recv(&mut self) -> Result<Option<u64>, String> {
        let r = self.client.recv().map_err(|e| e.to_string())?;
        match (&r.body, r.req_id) {
            (ReplyBody::Execution(e), Some(id)) if e.exec_type == ExecType::New => Ok(Some(id)),
            (ReplyBody::Execution(e), _) if e.exec_type == ExecType::Rejected => {
                Err(format!("place rejected: {:?}", e.reason))
            }
            (ReplyBody::Error { code, message, .. }, _) => {
                Err(format!("server error {}: {message}", code.as_str()))
            }
            _ => Ok(None),
        }
    }
}

pub(super) fn connect_tcp(addr: SocketAddr) -> Result<TcpStream, String> {
    let s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(s)
}

pub(super) fn ringex_tcp(addr: SocketAddr, key: &str) -> Result<Conn, String> {
    let s = connect_tcp(addr)?;
    let send = s.try_clone().map_err(|e| e.to_string())?;
    let sock = s.try_clone().map_err(|e| e.to_string())?;
    let mut client = Client::from_stream(s).map_err(|e| e.to_string())?;
    client
        .login(key, false)
        .map_err(|e| format!("login: {e}"))?;
    sock.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(Conn {
        tx: Box::new(BinTx {
            stream: send,
            buf: Vec::with_capacity(256),
        }),
        rx: Box::new(BinRx { client }),
        sock,
    })
}

type Ws = tungstenite::WebSocket<TcpStream>;

pub(super) struct WsTx {
    ws: Ws,
}

impl Tx for WsTx {
    fn send(&mut self, id: u64) -> Result<(), String> {
        self.ws
            .send(tungstenite::Message::Text(place_json(id)))
            .map_err(|e| e.to_string())
    }
}

pub(super) struct WsRx {
    ws: Ws,
}

/// The number after `"req_id":` in a JSON text.
pub(super) fn json_req_id(s: &str) -> Option<u64> {
    let at = s.find("\"req_id\":")? + 9;
    let digits: String = s[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

impl Rx for WsRx {
    fn recv(&mut self) -> Result<Option<u64>, String> {
        match self.ws.read().map_err(|e| e.to_string())? {
            tungstenite::Message::Text(s) => {
                if s.contains("\"exec_type\":\"new\"") {
                    Ok(json_req_id(&s))
                } else if s.contains("\"type\":\"error\"")
                    || s.contains("\"exec_type\":\"rejected\"")
                {
                    Err(format!("server answered: {s}"))
                } else {
                    Ok(None)
                }
            }
            tungstenite::Message::Close(c) => Err(format!("closed: {c:?}")),
            _ => Ok(None),
        }
    }
}

pub(super) fn ringex_ws(addr: SocketAddr, key: &str) -> Result<Conn, String> {
    let s = connect_tcp(addr)?;
    s.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/ws"), s)
        .map_err(|e| format!("websocket handshake: {e}"))?;
    ws.send(tungstenite::Message::Text(format!(
        r#"{{"op":"login","req_id":1,"api_key":"{key}"}}"#
    )))
    .map_err(|e| e.to_string())?;
    loop {
        match ws.read().map_err(|e| format!("login: {e}"))? {
            tungstenite::Message::Text(t) if t.contains("\"type\":\"login\"") => {
                if !t.contains("\"ok\":true") {
                    return Err(format!("login refused: {t}"));
                }
                break;
            }
            tungstenite::Message::Text(t) if t.contains("\"type\":\"error\"") => {
                return Err(format!("login: {t}"))
            }
            _ => {}
        }
    }
    // Two protocol objects over one socket: the writer only writes, the
    // reader only reads (the server sends no pings), so they never interleave.
    let read_sock = ws.get_ref().try_clone().map_err(|e| e.to_string())?;
    let sock = ws.get_ref().try_clone().map_err(|e| e.to_string())?;
    let reader = tungstenite::WebSocket::from_raw_socket(
        read_sock,
        tungstenite::protocol::Role::Client,
        None,
    );
    Ok(Conn {
        tx: Box::new(WsTx { ws }),
        rx: Box::new(WsRx { ws: reader }),
        sock,
    })
}

/// Request `id` as the echo client sends it: the binary header layout (the
/// id where `req_id` sits), padded to the place's size.
pub(super) struct EchoTx {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Tx for EchoTx {
    fn send(&mut self, id: u64) -> Result<(), String> {
        self.buf[6..14].copy_from_slice(&id.to_le_bytes());
        self.stream.write_all(&self.buf).map_err(|e| e.to_string())
    }
}

pub(super) struct EchoRx {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Rx for EchoRx {
    fn recv(&mut self) -> Result<Option<u64>, String> {
        self.stream
            .read_exact(&mut self.buf)
            .map_err(|e| e.to_string())?;
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.buf[6..14]);
        Ok(Some(u64::from_le_bytes(id)))
    }
}

pub(super) fn echo_conn(addr: SocketAddr, req: usize, resp: usize) -> Result<Conn, String> {
    let s = connect_tcp(addr)?;
    s.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let rx = s.try_clone().map_err(|e| e.to_string())?;
    let sock = s.try_clone().map_err(|e| e.to_string())?;
    Ok(Conn {
        tx: Box::new(EchoTx {
            stream: s,
            buf: vec![0u8; req.max(14)],
        }),
        rx: Box::new(EchoRx {
            stream: rx,
            buf: vec![0u8; resp.max(14)],
        }),
        sock,
    })
}

/// A TCP echo server on 127.0.0.1: reads `req` bytes, answers `resp` bytes
/// starting with the request's first 14 (so the id comes back).
pub struct EchoServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    pub fn start(req: usize, resp: usize) -> Result<EchoServer, String> {
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = l.local_addr().map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let (req, resp) = (req.max(14), resp.max(14));
        let thread = std::thread::Builder::new()
            .name("tcp-echo".into())
            .spawn(move || {
                for conn in l.incoming() {
                    if stop2.load(Ordering::Acquire) {
                        return;
                    }
                    let Ok(mut c) = conn else { continue };
                    let _ = c.set_nodelay(true);
                    std::thread::spawn(move || {
                        let mut inb = vec![0u8; req];
                        let mut out = vec![0u8; resp];
                        while c.read_exact(&mut inb).is_ok() {
                            out[..14].copy_from_slice(&inb[..14]);
                            if c.write_all(&out).is_err() {
                                return;
                            }
                        }
                    });
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(EchoServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
