//! A binary client that follows the primary of a replicated pair
//! (`docs/operations.md`): it takes several addresses, connects to the
//! first that answers, and when a standby answers `not_primary` or the
//! connection goes, it moves to the primary the answer named or to the next
//! address, logs in again and sends the order again.
//!
//! What it owns: at most one [`Client`] at a time, the address list, the
//! primary a `not_primary` answer named (tried before the list), the API
//! key (unlike [`Client`] it keeps the key: it must log in again after a
//! move), the [`Policy`] and counters of what it did ([`Stats`]).
//!
//! What holds:
//! - An order is sent again only when that cannot create a second order: a
//!   `not_primary` answer means it was refused unseen, and an order with a
//!   `client_order_id` is refused `duplicate_client_order_id` by the engine
//!   when its first copy got in. An order without one whose answer was lost
//!   (the connection closed, or no answer within [`Policy::reply_wait`]) is
//!   [`FailoverError::Unanswered`]: only the caller can tell what to do.
//! - Every request gives up after [`Policy::attempts`] failed attempts (a
//!   refused or timed-out connect, a lost connection, a `not_primary`); it
//!   never spins: after a failed attempt it sleeps a back-off that doubles
//!   from [`Policy::backoff_min`] to [`Policy::backoff_max`]. The one
//!   exception is following a primary that a `not_primary` answer named and
//!   that is not where the answer came from: that move is made at once.
//! - Replies that are not the answer being waited for (reports of the
//!   user's orders caused by others) are kept for [`Failover::recv_timeout`].
//!
//! What it must never do: send an order again that might already be in
//! (one without `client_order_id`), or wait without bound.

use crate::api::{ErrorCode, Op, PlaceOrder, TraderOp};
use crate::binary::{Reply, ReplyBody};
use crate::client::{Client, ClientError};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How hard a [`Failover`] tries.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Failed attempts (connects, lost connections, `not_primary` answers)
    /// one request may take before it gives up.
    pub attempts: u32,
    /// The first pause after a failed attempt; it doubles after each one.
    pub backoff_min: Duration,
    /// The longest pause.
    pub backoff_max: Duration,
    /// How long a connect, and a login, may take.
    pub connect_timeout: Duration,
    /// How long to wait for the answer to a request before taking the
    /// connection as lost.
    pub reply_wait: Duration,
}

impl Default for Policy {
    /// 40 attempts with 25 ms to 1 s pauses: enough to ride out a failover
    /// (`lease_ms` plus catching up) with time to spare.
    fn default() -> Policy {
        Policy {
            attempts: 40,
            backoff_min: Duration::from_millis(25),
            backoff_max: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(2),
            reply_wait: Duration::from_secs(5),
        }
    }
}

/// Why a [`Failover`] request failed.
#[derive(Debug)]
pub enum FailoverError {
    /// No attempt got an answer; the last thing that went wrong.
    GaveUp { attempts: u32, last: String },
    /// The login was refused (a wrong key): trying elsewhere would not help.
    Refused { code: ErrorCode, message: String },
    /// The request may have arrived but its answer was lost, and sending it
    /// again could make a second order (it has no `client_order_id`).
    Unanswered(ClientError),
    /// A request the binary protocol cannot carry.
    Encode(ClientError),
}

impl fmt::Display for FailoverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailoverError::GaveUp { attempts, last } => {
                write!(f, "gave up after {attempts} attempts: {last}")
            }
            FailoverError::Refused { code, message } => {
                write!(f, "login refused: {}: {message}", code.as_str())
            }
            FailoverError::Unanswered(e) => write!(f, "no answer, not sent again: {e}"),
            FailoverError::Encode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FailoverError {}

/// What a [`Failover`] did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Logged-in connections made (the first one included).
    pub connects: u64,
    /// Connects or logins that failed.
    pub connect_failures: u64,
    /// `not_primary` answers received.
    pub not_primary: u64,
    /// Requests sent again after their answer was lost.
    pub resends: u64,
}

/// Which address to try next: a primary that an answer named, else the
/// next one of the list, round and round.
#[derive(Clone, Debug)]
pub(crate) struct Targets {
    list: Vec<String>,
    next: usize,
    named: Option<String>,
}

impl Targets {
    pub(crate) fn new(list: Vec<String>) -> Targets {
        Targets {
            list,
            next: 0,
            named: None,
        }
    }

    /// The address to try now. After a named primary that is on the list,
    /// the list goes on after it (not back to it if it fails).
    pub(crate) fn take(&mut self) -> String {
        if let Some(n) = self.named.take() {
            if let Some(i) = self.list.iter().position(|a| *a == n) {
                self.next = (i + 1) % self.list.len();
            }
            return n;
        }
        let a = self.list[self.next].clone();
        self.next = (self.next + 1) % self.list.len();
        a
    }

    /// A `not_primary` answer from `from` named `primary`. Returns whether
    /// the move is worth making at once (it names another node).
    pub(crate) fn follow(&mut self, from: &str, primary: Option<&str>) -> bool {
        match primary {
            Some(p) if p != from => {
                self.named = Some(p.to_string());
                true
            }
            _ => false,
        }
    }
}

/// A logged-in binary session that follows the primary (see the module
/// documentation).
pub struct Failover {
    targets: Targets,
    api_key: String,
    cancel_on_disconnect: bool,
    policy: Policy,
    conn: Option<(Client, String)>,
    pending: VecDeque<Reply>,
    stats: Stats,
    /// Why the last connect failed, for [`FailoverError::GaveUp`].
    last_connect_error: Option<String>,
}

impl Failover {
    /// Connects to the first of `addrs` (`HOST:PORT`, the binary ports of
    /// the nodes, in the order to try them) that answers and logs in there,
    /// with the attempts and back-off of `policy`.
    pub fn connect<S: ToString>(
        addrs: &[S],
        api_key: &str,
        cancel_on_disconnect: bool,
        policy: Policy,
    ) -> Result<Failover, FailoverError> {
        assert!(!addrs.is_empty(), "a failover client needs an address");
        let mut f = Failover {
            targets: Targets::new(addrs.iter().map(|a| a.to_string()).collect()),
            api_key: api_key.to_string(),
            cancel_on_disconnect,
            policy,
            conn: None,
            pending: VecDeque::new(),
            stats: Stats::default(),
            last_connect_error: None,
        };
        let mut backoff = f.policy.backoff_min;
        let mut last = String::new();
        for _ in 0..f.policy.attempts.max(1) {
            match f.open() {
                Ok(()) => return Ok(f),
                Err(Some(e)) => return Err(e),
                Err(None) => {}
            }
            last = f.last_connect_error.take().unwrap_or_default();
            backoff = f.pause(backoff);
        }
        Err(FailoverError::GaveUp {
            attempts: f.policy.attempts.max(1),
            last,
        })
    }

    /// The address of the node this client is logged in to, if it is.
    pub fn address(&self) -> Option<&str> {
        self.conn.as_ref().map(|(_, a)| a.as_str())
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The connection, when there is one (for queries; what it answers is
    /// not followed).
    pub fn client(&mut self) -> Option<&mut Client> {
        self.conn.as_mut().map(|(c, _)| c)
    }

    /// Places `order` and returns the first reply that carries its
    /// `req_id` and is not `not_primary`: its first report (`new` or
    /// `rejected`, e.g. `duplicate_client_order_id` when an earlier copy
    /// got in) or an error (`overloaded`, `unavailable`, ...). Later
    /// reports of the order arrive by [`Failover::recv_timeout`].
    pub fn place(&mut self, order: PlaceOrder) -> Result<Reply, FailoverError> {
        let resend_safe = order.client_order_id.is_some();
        let op = Op::Trader(TraderOp::Place(order));
        let mut backoff = self.policy.backoff_min;
        let mut last = String::new();
        for _ in 0..self.policy.attempts.max(1) {
            if self.conn.is_none() {
                match self.open() {
                    Ok(()) => {}
                    Err(Some(e)) => return Err(e),
                    Err(None) => {
                        last = self.last_connect_error.take().unwrap_or_default();
                        backoff = self.pause(backoff);
                        continue;
                    }
                }
            }
            let (client, from) = self.conn.as_mut().expect("connected");
            let from = from.clone();
            let sent = client.request(op.clone());
            let outcome = match sent {
                Ok(req_id) => self.answer(req_id),
                Err(ClientError::Encode(e)) => {
                    return Err(FailoverError::Encode(ClientError::Encode(e)))
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(reply) => match &reply.body {
                    ReplyBody::Error {
                        code: ErrorCode::NotPrimary,
                        primary,
                        message,
                    } => {
                        self.stats.not_primary += 1;
                        last = format!("{from}: not_primary: {message}");
                        self.conn = None;
                        if !self.targets.follow(&from, primary.as_deref()) {
                            backoff = self.pause(backoff);
                        }
                    }
                    _ => return Ok(reply),
                },
                Err(e) => {
                    // The order may have arrived: only one that the engine
                    // recognises by its client_order_id goes again.
                    self.conn = None;
                    if !resend_safe {
                        return Err(FailoverError::Unanswered(e));
                    }
                    self.stats.resends += 1;
                    last = format!("{from}: {e}");
                    backoff = self.pause(backoff);
                }
            }
        }
        Err(FailoverError::GaveUp {
            attempts: self.policy.attempts.max(1),
            last,
        })
    }

    /// The next reply that was not a request's answer (kept while one was
    /// waited for, or read now), or `None` if none comes within `timeout`
    /// or there is no connection. A lost connection is dropped (the next
    /// request connects again) and answers `None`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Reply> {
        if let Some(r) = self.pending.pop_front() {
            return Some(r);
        }
        let (c, _) = self.conn.as_mut()?;
        match c.recv_timeout(timeout) {
            Ok(r) => r,
            Err(_) => {
                self.conn = None;
                None
            }
        }
    }

    /// Waits (at most `reply_wait`) for the first reply carrying `req_id`;
    /// others are kept. A timeout is a lost connection.
    fn answer(&mut self, req_id: u64) -> Result<Reply, ClientError> {
        let deadline = Instant::now() + self.policy.reply_wait;
        let (client, _) = self.conn.as_mut().expect("connected");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match client.recv_timeout(left)? {
                Some(r) if r.req_id == Some(req_id) => return Ok(r),
                Some(r) => self.pending.push_back(r),
                None => {
                    return Err(ClientError::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no answer in time",
                    )))
                }
            }
        }
    }

    /// Connects to the next target and logs in. `Err(None)`: this attempt
    /// failed (why is in `last_connect_error`); `Err(Some(_))`: stop.
    fn open(&mut self) -> Result<(), Option<FailoverError>> {
        let addr = self.targets.take();
        match self.open_at(&addr) {
            Ok(c) => {
                self.stats.connects += 1;
                self.conn = Some((c, addr));
                Ok(())
            }
            Err(ClientError::Refused { code, message }) if code == ErrorCode::Unauthenticated => {
                Err(Some(FailoverError::Refused { code, message }))
            }
            Err(e) => {
                self.stats.connect_failures += 1;
                self.last_connect_error = Some(format!("{addr}: {e}"));
                Err(None)
            }
        }
    }

    fn open_at(&self, addr: &str) -> Result<Client, ClientError> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for sa in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&sa, self.policy.connect_timeout) {
                Ok(stream) => {
                    let mut c = Client::from_stream(stream)?;
                    c.login_within(
                        &self.api_key,
                        self.cancel_on_disconnect,
                        self.policy.connect_timeout,
                    )?;
                    return Ok(c);
                }
                Err(e) => last = e,
            }
        }
        Err(ClientError::Io(last))
    }

    /// Sleeps `backoff`; returns the next one.
    fn pause(&self, backoff: Duration) -> Duration {
        std::thread::sleep(backoff);
        (backoff * 2).min(self.policy.backoff_max.max(self.policy.backoff_min))
    }
}

#[cfg(test)]
mod tests {
    use super::Targets;

    fn targets(list: &[&str]) -> Targets {
        Targets::new(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn the_list_goes_round_in_order() {
        let mut t = targets(&["a:1", "b:2", "c:3"]);
        let got: Vec<String> = (0..5).map(|_| t.take()).collect();
        assert_eq!(got, ["a:1", "b:2", "c:3", "a:1", "b:2"]);
    }

    #[test]
    fn a_named_primary_goes_first_then_the_list_goes_on_after_it() {
        let mut t = targets(&["a:1", "b:2", "c:3"]);
        assert_eq!(t.take(), "a:1");
        assert!(t.follow("a:1", Some("c:3")));
        assert_eq!(t.take(), "c:3");
        // If c fails, a comes next, not c again.
        assert_eq!(t.take(), "a:1");
        assert_eq!(t.take(), "b:2");
        // A primary outside the list is followed too, and the list resumes
        // where it was.
        assert!(t.follow("b:2", Some("z:9")));
        assert_eq!(t.take(), "z:9");
        assert_eq!(t.take(), "c:3");
    }

    #[test]
    fn a_standby_naming_the_dead_primary_does_not_make_it_tried_twice() {
        // Connected to a; a dies; b (still a standby) names a.
        let mut t = targets(&["a:1", "b:2"]);
        assert_eq!(t.take(), "a:1");
        assert_eq!(t.take(), "b:2");
        assert!(t.follow("b:2", Some("a:1")));
        assert_eq!(t.take(), "a:1");
        // a refuses: b comes next.
        assert_eq!(t.take(), "b:2");
    }

    #[test]
    fn no_primary_or_the_answering_node_itself_is_not_a_move() {
        let mut t = targets(&["a:1", "b:2"]);
        assert_eq!(t.take(), "a:1");
        assert!(!t.follow("a:1", None));
        assert!(!t.follow("a:1", Some("a:1")));
        assert_eq!(t.take(), "b:2");
    }
}
