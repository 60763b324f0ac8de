//! Per-connection state that is not I/O: rate limiting and the outbox.
//!
//! What holds: a session's queued output never exceeds its bound; when it
//! would, the session is marked for closing with a reason instead of growing
//! (a slow reader never stalls anyone else and never costs unbounded memory).

use std::collections::VecDeque;

/// Token bucket: `rate_per_s` tokens a second, at most `burst` saved up.
/// Integer arithmetic in nano-tokens, driven by the caller's clock.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate_per_s: u64,
    burst: u64,
    /// Tokens times 1e9.
    nano_tokens: u64,
    last_ns: u64,
}

impl TokenBucket {
    pub fn new(rate_per_s: u64, burst: u64, now_ns: u64) -> TokenBucket {
        TokenBucket {
            rate_per_s,
            burst: burst.max(1),
            nano_tokens: burst.max(1) * 1_000_000_000,
            last_ns: now_ns,
        }
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, now_ns: u64) -> bool {
        let dt = now_ns.saturating_sub(self.last_ns);
        self.last_ns = self.last_ns.max(now_ns);
        let cap = self.burst * 1_000_000_000;
        self.nano_tokens = (self.nano_tokens as u128 + dt as u128 * self.rate_per_s as u128)
            .min(cap as u128) as u64;
        if self.nano_tokens >= 1_000_000_000 {
            self.nano_tokens -= 1_000_000_000;
            true
        } else {
            false
        }
    }
}

/// What a session is waiting to send, bounded in bytes.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Text messages (WebSocket frames).
    pub text: VecDeque<String>,
    /// Raw bytes (binary protocol frames, HTTP responses).
    pub bytes: Vec<u8>,
    /// Bytes queued in `text` and `bytes` together.
    pub queued: usize,
    /// Set when the session must be closed once what is queued is written, and why.
    pub close: Option<String>,
    /// The queue passed its bound: nothing more is queued and the session is
    /// closed at once (a slow reader is not waited for).
    pub overflowed: bool,
    pub max_bytes: usize,
}

impl Outbox {
    pub fn new(max_bytes: usize) -> Outbox {
        Outbox {
            max_bytes,
            ..Outbox::default()
        }
    }

    /// Queues a text message; over the bound, marks the session for closing.
    pub fn push_text(&mut self, s: String) {
        if self.overflowed {
            return;
        }
        if self.queued + s.len() > self.max_bytes {
            self.overflow();
            return;
        }
        self.queued += s.len();
        self.text.push_back(s);
    }

    /// Queues raw bytes; over the bound, marks the session for closing.
    pub fn push_bytes(&mut self, b: &[u8]) {
        if self.overflowed {
            return;
        }
        if self.queued + b.len() > self.max_bytes {
            self.overflow();
            return;
        }
        self.queued += b.len();
        self.bytes.extend_from_slice(b);
    }

    fn overflow(&mut self) {
        self.overflowed = true;
        self.close = Some("slow consumer: send queue full".into());
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_at_rate_and_caps_at_burst() {
        let mut b = TokenBucket::new(10, 3, 0);
        assert!(b.allow(0) && b.allow(0) && b.allow(0));
        assert!(!b.allow(0));
        assert!(!b.allow(50_000_000)); // 0.5 token
        assert!(b.allow(100_000_000)); // 1 token after 100 ms
        assert!(!b.allow(100_000_000));
        // A long pause saves up only `burst`.
        let t = 10_000_000_000;
        assert!(b.allow(t) && b.allow(t) && b.allow(t));
        assert!(!b.allow(t));
    }

    #[test]
    fn outbox_refuses_to_grow_past_its_bound() {
        let mut o = Outbox::new(10);
        o.push_text("12345".into());
        o.push_bytes(b"1234");
        assert!(o.close.is_none());
        o.push_text("xx".into());
        assert!(o.overflowed && o.close.as_deref().unwrap().contains("slow consumer"));
        assert_eq!(o.queued, 9);
        o.push_bytes(b"1");
        assert_eq!(o.queued, 9, "nothing is queued after an overflow");
    }

    #[test]
    fn a_session_marked_for_closing_still_queues_its_answer() {
        let mut o = Outbox::new(100);
        o.close = Some(String::new());
        o.push_bytes(b"HTTP/1.1 200 OK");
        assert_eq!(o.bytes, b"HTTP/1.1 200 OK");
    }
}
