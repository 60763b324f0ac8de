//! The journaler stage: appends every command of the inbound ring to the
//! journal and releases a batch to the business logic only once it is
//! flushed (write-ahead).
//!
//! What holds: a batch that cannot be written is never released; the agent
//! stops with the reason ([`Stop`]) and its runner stops intake. Queries are
//! not journaled.

use crate::agent::{Agent, Stop};
use crate::rings::{InSlot, Input};
use disruptor::{EventPoller, Polling, SingleProducerBarrier};
use journal::JournalWriter;

pub struct Journaler {
    poller: EventPoller<InSlot, SingleProducerBarrier>,
    writer: JournalWriter,
    batch: u64,
    /// The business-logic thread, when it runs apart and may park: woken
    /// after each released batch so that it does not sleep out its park.
    pub(crate) next: Option<std::thread::Thread>,
}

impl Journaler {
    pub(crate) fn new(
        poller: EventPoller<InSlot, SingleProducerBarrier>,
        writer: JournalWriter,
        batch: u64,
    ) -> Journaler {
        Journaler {
            poller,
            writer,
            batch,
            next: None,
        }
    }

    /// Journals one batch and releases it; returns its size. A batch that
    /// cannot be written is never released: the business logic never sees
    /// it, and what was journaled before recovers on restart.
    fn journal_batch(&mut self) -> Result<usize, Stop> {
        match self.poller.take(self.batch) {
            Ok(mut g) => {
                let mut n = 0;
                let mut failed = None;
                for slot in &mut g {
                    n += 1;
                    if let Input::Command(cmd) = &slot.input {
                        if let Err(e) = self.writer.append(cmd) {
                            failed = Some(format!(
                                "journal append failed at seq {}: {e}; intake stopped",
                                cmd.seq
                            ));
                            break;
                        }
                    }
                }
                if failed.is_none() {
                    if let Err(e) = self.writer.flush_batch() {
                        failed = Some(format!("journal flush failed: {e}; intake stopped"));
                    }
                }
                if let Some(why) = failed {
                    // Keep the batch unreleased: dropping the guard would hand
                    // unjournaled commands to the business logic.
                    std::mem::forget(g);
                    return Err(Stop(why));
                }
                // The guard drops here: only now may the business logic see the batch.
                Ok(n)
            }
            Err(Polling::NoEvents) | Err(Polling::Shutdown) => Ok(0),
        }
    }
}

impl Agent for Journaler {
    fn name(&self) -> &'static str {
        "journaler"
    }

    fn do_work(&mut self) -> Result<usize, Stop> {
        let n = self.journal_batch()?;
        if n > 0 {
            if let Some(t) = &self.next {
                t.unpark();
            }
        }
        Ok(n)
    }

    fn on_close(&mut self) {
        if let Err(e) = self.writer.sync() {
            tracing::error!(error = %e, "journal sync at close failed");
        }
    }
}
