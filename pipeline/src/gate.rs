//! An optional stage between the journaler and the business logic: a
//! [`Gate`] that must accept each journaled batch before the business logic
//! may apply it (replication: the batch is in the replicated stream).
//!
//! What holds: the stage takes what the journaler released, hands the
//! batch's commands to the gate in order, and releases the batch only when
//! the gate returned `Ok`; a gate that cannot go on stops the stage
//! ([`Stop`]) with the batch unreleased, so nothing it did not accept ever
//! produces an output. Queries pass with their batch.
//!
//! Must never: release a batch the gate refused, or reorder.

use crate::agent::{Agent, Stop};
use crate::rings::{InSlot, Input};
use disruptor::{EventPoller, Polling, SingleConsumerBarrier};
use engine::Command;
use std::sync::{Arc, OnceLock};

/// What a batch must pass before it is applied. Runs on the stage's own
/// thread and may block there (it is never the business-logic thread).
pub trait Gate: Send {
    fn name(&self) -> &'static str;
    /// `cmds` (journaled, in seq order, never empty) may be applied once
    /// this returns `Ok`.
    fn pass(&mut self, cmds: &[Command]) -> Result<(), Stop>;
    /// The pipeline stops (after the last batch).
    fn close(&mut self) {}
}

pub(crate) struct GateAgent {
    poller: EventPoller<InSlot, SingleConsumerBarrier>,
    gate: Box<dyn Gate>,
    batch: u64,
    cmds: Vec<Command>,
    /// The thread of the business logic, woken after each released batch
    /// (set once it is spawned; unset, nothing is woken).
    pub(crate) next: Arc<OnceLock<std::thread::Thread>>,
}

impl GateAgent {
    pub(crate) fn new(
        poller: EventPoller<InSlot, SingleConsumerBarrier>,
        gate: Box<dyn Gate>,
        batch: u64,
    ) -> GateAgent {
        GateAgent {
            poller,
            gate,
            batch,
            cmds: Vec::with_capacity(batch as usize),
            next: Arc::new(OnceLock::new()),
        }
    }
}

impl Agent for GateAgent {
    fn name(&self) -> &'static str {
        self.gate.name()
    }

    fn do_work(&mut self) -> Result<usize, Stop> {
        let n = match self.poller.take(self.batch) {
            Ok(mut g) => {
                self.cmds.clear();
                let mut n = 0;
                for slot in &mut g {
                    n += 1;
                    if let Input::Command(c) = &slot.input {
                        self.cmds.push(*c);
                    }
                }
                if !self.cmds.is_empty() {
                    if let Err(stop) = self.gate.pass(&self.cmds) {
                        // Keep the batch unreleased.
                        std::mem::forget(g);
                        return Err(stop);
                    }
                }
                n
            }
            Err(Polling::NoEvents) | Err(Polling::Shutdown) => 0,
        };
        if n > 0 {
            if let Some(t) = self.next.get() {
                t.unpark();
            }
        }
        Ok(n)
    }

    fn on_close(&mut self) {
        self.gate.close();
    }
}
