//! Agents: the long-lived loops of the server.
//!
//! An agent does a bounded amount of work per call and says how much it did;
//! a runner composes agents on one thread and applies one idle strategy
//! between duty cycles. The same agents run all on one thread (tests, small
//! machines) or each on a dedicated, pinned thread (low-latency profile).

use super::idle::IdleStrategy;
use std::sync::atomic::{AtomicBool, Ordering};

pub trait Agent: Send {
    fn name(&self) -> &'static str;
    /// Does at most a bounded batch of work; returns how many items it handled.
    fn do_work(&mut self) -> usize;
    /// Called once when the runner stops, after the last `do_work`.
    fn on_close(&mut self) {}
}

/// Runs `agents` round-robin until `running` turns false, then once more
/// until they report no work (so what was queued is drained), then closes them.
pub fn run(agents: &mut [Box<dyn Agent>], idle: &mut dyn IdleStrategy, running: &AtomicBool) {
    while running.load(Ordering::Acquire) {
        let mut work = 0;
        for a in agents.iter_mut() {
            work += a.do_work();
        }
        idle.idle(work);
    }
    loop {
        let mut work = 0;
        for a in agents.iter_mut() {
            work += a.do_work();
        }
        if work == 0 {
            break;
        }
    }
    for a in agents.iter_mut() {
        a.on_close();
    }
}
