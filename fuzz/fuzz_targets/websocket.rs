//! A WebSocket session fed arbitrary bytes.
//!
//! The gateway's WebSocket framing has no I/O-free path of its own: it is
//! tungstenite's `WebSocket` over the connection's socket. So this target
//! runs tungstenite's server side, configured as the gateway configures it
//! (bounded message and frame size), over an in-memory stream, and hands
//! every text message to the I/O-free router (`Router::on_request`, as
//! the event loop does) with a ring that sometimes is full; the replies the
//! session queues are written back through the WebSocket.
#![no_main]
use engine::{Engine, EngineLimits, KeyHash};
use gateway::router::{Router, SessionLimits, Wire};
use pipeline::metrics::Metrics;
use wire::json;
use wire::{ErrorCode, WireError};
use libfuzzer_sys::fuzz_target;
use std::io::{self, Read, Write};
use std::sync::OnceLock;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

const MAX_FRAME: usize = 4096;

struct Mem<'a> {
    input: &'a [u8],
    pos: usize,
    chunk: usize,
    written: usize,
}

impl Read for Mem<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.input.len() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.chunk).min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Mem<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let mut e = Engine::new(EngineLimits::default());
        let mut out = Vec::new();
        for (i, k) in ringex_fuzz::setup().into_iter().enumerate() {
            let cmd = engine::Command {
                seq: i as u64 + 1,
                ts_ns: 1,
                kind: k,
            };
            e.apply(&cmd, &mut out).unwrap();
        }
        e
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let e = engine();
    let mut router = Router::new(
        e.directory().clone(),
        e.users(),
        Some(KeyHash::of_key("admin")),
        e.last_seq(),
        SessionLimits {
            rate_per_s: 1000,
            burst: 50,
            send_queue_bytes: 64 << 10,
            ..SessionLimits::default()
        },
        engine::market_data::MarketData::from_engine(e),
    );
    let metrics = Metrics::default();
    router.open(1, Wire::Ws, 0);
    let cfg = WebSocketConfig {
        max_message_size: Some(MAX_FRAME),
        max_frame_size: Some(MAX_FRAME),
        max_write_buffer_size: 4 * MAX_FRAME + (1 << 20),
        ..WebSocketConfig::default()
    };
    let stream = Mem {
        input,
        pos: 0,
        chunk: 1 + (knobs as usize % 64) * 16,
        written: 0,
    };
    let mut ws = WebSocket::from_partially_read(stream, Vec::new(), Role::Server, Some(cfg));
    let mut published = 0u64;
    let mut now = 0u64;
    for _ in 0..1000 {
        now += 1_000_000;
        let decoded = match ws.read() {
            Ok(Message::Text(t)) => json::decode_request(t.as_str()),
            Ok(Message::Binary(_)) => Err(WireError::new(
                None,
                ErrorCode::Malformed,
                "send JSON text frames",
            )),
            Ok(Message::Close(_)) => break,
            Ok(_) => continue,
            Err(tungstenite::Error::Capacity(c)) => Err(WireError::new(
                None,
                ErrorCode::TooLarge,
                format!("{c}"),
            )),
            Err(_) => break,
        };
        let full = knobs & 0x80 != 0 && published % 3 == 2;
        let mut publish = |_slot: pipeline::rings::InSlot| {
            published += 1;
            !full
        };
        router.on_request(1, decoded, now, now, &mut publish, &metrics);
        let Some(out) = router.outbox_mut(1) else {
            break;
        };
        while let Some(t) = out.text.pop_front() {
            if ws.write(Message::text(t)).is_err() {
                break;
            }
        }
        let _ = ws.flush();
        if out.overflowed || out.close.is_some() {
            break;
        }
    }
    router.close(1);
});
