//! The outbound stream: one ordered ring of everything the business logic
//! tells the world, and the interface its consumers plug into.
//!
//! What holds:
//! - One ring, one order: reports, query answers, balance pushes, directory
//!   changes and `Done`/`Halted` markers come out exactly in the order the
//!   business logic produced them. There is no side channel.
//! - Every slot is fixed-size and `Copy`. An answer larger than a slot is
//!   several slots: a head (`Balances`, `OpenOrders`, `Fees`), one slot per
//!   item, then [`Output::End`], all consecutive. [`Answers`] puts them back
//!   together for a consumer.
//! - Consumers ([`Consumer`]: execution push and market data in the gateway;
//!   later the history store and replication) see every slot, in order, with
//!   `end_of_batch` on the last slot of each poll (flush there).
//!
//! Must never: allocate per slot on the producer side, or reorder.

use crate::rings::OutPoller;
use disruptor::Polling;
use engine::{
    AssetId, Balance, Command, Event, ExecReport, Name, Seq, SymbolSpec, Units, UserId, UserInfo,
};

/// A short error text that fits a ring slot (cut on a char boundary).
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct ShortText {
    len: u8,
    bytes: [u8; ShortText::MAX],
}

impl ShortText {
    pub const MAX: usize = 62;

    pub fn new(s: &str) -> ShortText {
        let mut end = s.len().min(Self::MAX);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; Self::MAX];
        bytes[..end].copy_from_slice(&s.as_bytes()[..end]);
        ShortText {
            len: end as u8,
            bytes,
        }
    }

    pub fn as_str(&self) -> &str {
        // `new` copied whole chars of a `str`: always UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

impl std::fmt::Debug for ShortText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

#[derive(Copy, Clone, Debug)]
pub enum Output {
    None,
    /// The input `seq` itself, before its events (only with
    /// [`crate::PipelineConfig::publish_inputs`]): what a projection of the
    /// stream (the history store) needs besides the events. `last` is set
    /// when no event follows.
    Input(Command),
    Event(Event),
    /// Head of a balances answer (`found` false: no such user, no items).
    /// With `session` 0 it is a push to the user's subscribers.
    Balances {
        user: UserId,
        found: bool,
    },
    Balance {
        asset: AssetId,
        balance: Balance,
    },
    /// Head of an open-orders answer (one page): the `after` of the next
    /// page, `None` when this is the last.
    OpenOrders {
        next_cursor: Option<u64>,
    },
    OpenOrder(ExecReport),
    /// Head of a fee-account answer.
    Fees,
    Fee {
        asset: AssetId,
        units: Units,
    },
    /// Last slot of a multi-slot answer.
    End,
    Snapshot {
        seq: Seq,
        state_hash: [u8; 32],
        /// Why it failed, when it did.
        error: Option<ShortText>,
    },
    /// Directory changes, before the admin report that announces them, so
    /// that mirrors (logins, encoders) agree with the engine.
    AssetAdded {
        asset: Name,
        scale: u8,
    },
    SymbolAdded(SymbolSpec),
    UserAdded(UserInfo),
    /// Every event of input `seq` (or of a query, seq 0) has been published.
    Done {
        seq: Seq,
    },
    /// Intake stopped: the engine refused or panicked on input `seq`.
    Halted {
        seq: Seq,
    },
}

/// One outbound ring slot.
#[derive(Copy, Clone, Debug)]
pub struct OutSlot {
    pub output: Output,
    /// The input's sequence (0 for queries).
    pub seq: Seq,
    /// The last event of its input: consumers that need a command's events
    /// together (market data) take them up to here.
    pub last: bool,
    pub session: u32,
    pub req_id: Option<u64>,
    pub recv_ns: u64,
}

impl Default for OutSlot {
    fn default() -> Self {
        OutSlot {
            output: Output::None,
            seq: 0,
            last: false,
            session: 0,
            req_id: None,
            recv_ns: 0,
        }
    }
}

/// Something that reads the outbound stream.
pub trait Consumer {
    /// One slot, in order; `end_of_batch` on the last slot of a poll.
    fn on_output(&mut self, slot: &OutSlot, end_of_batch: bool);
}

/// A closure is a consumer (tests, benchmarks).
impl<F: FnMut(&OutSlot, bool)> Consumer for F {
    fn on_output(&mut self, slot: &OutSlot, end_of_batch: bool) {
        self(slot, end_of_batch)
    }
}

/// The consuming end of the outbound ring.
pub struct OutboundStream {
    poller: OutPoller,
}

impl OutboundStream {
    pub(crate) fn new(poller: OutPoller) -> OutboundStream {
        OutboundStream { poller }
    }

    /// Hands at most `limit` slots to `consumer`, in order; returns how many.
    pub fn drain(&mut self, limit: u64, consumer: &mut dyn Consumer) -> usize {
        match self.poller.take(limit) {
            Ok(mut g) => {
                let slots = &mut g;
                let n = slots.len();
                for (i, slot) in slots.enumerate() {
                    consumer.on_output(slot, i + 1 == n);
                }
                n
            }
            Err(Polling::NoEvents) | Err(Polling::Shutdown) => 0,
        }
    }
}

/// A multi-slot answer, put back together.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<'a> {
    /// `None`: no such user.
    Balances {
        user: UserId,
        balances: Option<&'a [(AssetId, Balance)]>,
    },
    OpenOrders {
        orders: &'a [ExecReport],
        next_cursor: Option<u64>,
    },
    Fees(&'a [(AssetId, Units)]),
}

/// Collects the slots of multi-slot answers. Keeps its buffers between
/// answers (no allocation once they are warm).
#[derive(Default)]
pub struct Answers {
    head: Option<Output>,
    balances: Vec<(AssetId, Balance)>,
    orders: Vec<ExecReport>,
    fees: Vec<(AssetId, Units)>,
}

impl Answers {
    /// Is this output part of a multi-slot answer (head, item or end)?
    pub fn takes(o: &Output) -> bool {
        matches!(
            o,
            Output::Balances { .. }
                | Output::Balance { .. }
                | Output::OpenOrders { .. }
                | Output::OpenOrder(_)
                | Output::Fees
                | Output::Fee { .. }
                | Output::End
        )
    }

    /// Takes one slot of an answer; the whole answer once its `End` arrives.
    pub fn push(&mut self, o: &Output) -> Option<Answer<'_>> {
        match *o {
            Output::Balances { .. } | Output::OpenOrders { .. } | Output::Fees => {
                self.balances.clear();
                self.orders.clear();
                self.fees.clear();
                self.head = Some(*o);
                None
            }
            Output::Balance { asset, balance } => {
                self.balances.push((asset, balance));
                None
            }
            Output::OpenOrder(r) => {
                self.orders.push(r);
                None
            }
            Output::Fee { asset, units } => {
                self.fees.push((asset, units));
                None
            }
            Output::End => match self.head.take()? {
                Output::Balances { user, found } => Some(Answer::Balances {
                    user,
                    balances: found.then_some(&self.balances[..]),
                }),
                Output::OpenOrders { next_cursor } => Some(Answer::OpenOrders {
                    orders: &self.orders,
                    next_cursor,
                }),
                Output::Fees => Some(Answer::Fees(&self.fees)),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_cuts_on_a_char_boundary() {
        let s = "é".repeat(40);
        let t = ShortText::new(&s);
        assert_eq!(t.as_str().len(), 62);
        assert!(s.starts_with(t.as_str()));
        assert_eq!(ShortText::new("disk full").as_str(), "disk full");
    }

    #[test]
    fn answers_reassemble_in_order_and_reuse_buffers() {
        let mut a = Answers::default();
        let b = Balance::default();
        assert_eq!(
            a.push(&Output::Balances {
                user: 3,
                found: true
            }),
            None
        );
        assert_eq!(
            a.push(&Output::Balance {
                asset: AssetId(1),
                balance: b
            }),
            None
        );
        assert_eq!(
            a.push(&Output::End),
            Some(Answer::Balances {
                user: 3,
                balances: Some(&[(AssetId(1), b)][..])
            })
        );
        assert_eq!(
            a.push(&Output::Balances {
                user: 4,
                found: false
            }),
            None
        );
        assert_eq!(
            a.push(&Output::End),
            Some(Answer::Balances {
                user: 4,
                balances: None
            })
        );
        assert_eq!(a.push(&Output::Fees), None);
        assert_eq!(a.push(&Output::End), Some(Answer::Fees(&[])));
        // An `End` without a head is not an answer.
        assert_eq!(a.push(&Output::End), None);
    }

    #[test]
    fn a_slot_stays_small() {
        // The common case, a report, sets the size; answers must not grow it.
        assert!(
            std::mem::size_of::<Output>() <= std::mem::size_of::<Event>() + 8,
            "Output {} vs Event {}",
            std::mem::size_of::<Output>(),
            std::mem::size_of::<Event>()
        );
        assert!(
            std::mem::size_of::<Command>() <= std::mem::size_of::<Event>(),
            "Command {} vs Event {}",
            std::mem::size_of::<Command>(),
            std::mem::size_of::<Event>()
        );
    }
}
