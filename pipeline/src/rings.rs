//! The inbound ring's slot and the ring types.
//!
//! What holds: slots are fixed-size and `Copy`; the gateway is the inbound
//! ring's single producer and the business logic the outbound ring's
//! ([`crate::outbound`]). A full ring refuses at once ([`try_publish`]).

use crate::outbound::OutSlot;
use disruptor::{
    EventPoller, Producer, SingleConsumerBarrier, SingleProducer, SingleProducerBarrier,
};
use engine::{Command, Name, UserId};

/// Most open orders one page of [`Query::OpenOrders`] holds (and its default).
pub const OPEN_ORDERS_LIMIT_MAX: u32 = 1_000;

/// A query answered by the business logic in sequence with commands (not
/// journaled: it changes nothing the engine owns).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Query {
    Balances {
        user: UserId,
    },
    /// One page of `user`'s open orders: order ids above `after`, in
    /// order_id order, at most `limit` (1 to [`OPEN_ORDERS_LIMIT_MAX`]).
    OpenOrders {
        user: UserId,
        symbol: Option<Name>,
        after: Option<u64>,
        limit: u32,
    },
    Fees,
    /// Write a snapshot now; answers its seq and state hash.
    Snapshot,
    /// Start (`on`) or stop telling `user`'s balances after each command that
    /// touches them. Starting answers the current balances at once, as a push
    /// (`session` 0) like every later one.
    WatchBalances {
        user: UserId,
        on: bool,
    },
}

#[derive(Copy, Clone, Debug)]
pub enum Input {
    None,
    Command(Command),
    Query(Query),
}

/// One inbound ring slot.
#[derive(Copy, Clone, Debug)]
pub struct InSlot {
    pub input: Input,
    /// Gateway session that sent it (0: none).
    pub session: u32,
    pub req_id: Option<u64>,
    /// Ask for an `Output::Done` after the input's events (HTTP order entry).
    pub want_done: bool,
    /// Monotonic receive time at the gateway, for latency metrics.
    pub recv_ns: u64,
}

impl Default for InSlot {
    fn default() -> Self {
        InSlot {
            input: Input::None,
            session: 0,
            req_id: None,
            want_done: false,
            recv_ns: 0,
        }
    }
}

pub type InProducer = SingleProducer<InSlot, SingleConsumerBarrier>;
pub type OutProducer = SingleProducer<OutSlot, SingleConsumerBarrier>;
pub type OutPoller = EventPoller<OutSlot, SingleProducerBarrier>;

/// Publishes an input from the gateway. `Err` when the ring is full.
pub fn try_publish(p: &mut InProducer, slot: InSlot) -> Result<(), disruptor::RingBufferFull> {
    p.try_publish(|s| *s = slot).map(|_| ())
}
