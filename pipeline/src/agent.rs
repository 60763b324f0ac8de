//! Agents: the long-lived loops of the server.
//!
//! An agent does a bounded amount of work per call and says how much it did;
//! a runner composes agents on one thread and applies one idle strategy
//! between duty cycles. The same agents run all on one thread (tests, small
//! machines) or each on a dedicated, pinned thread (low-latency profile).
//!
//! One error path (Agrona's error handler per runner): an agent that cannot
//! go on returns [`Stop`] from `do_work`; the runner hands it to its
//! [`StopHandler`] (the pipeline's stops intake and records why), takes the
//! agent out of the duty cycle, and keeps running the others so that what
//! they hold still drains. A stopped agent's `on_close` still runs.

use super::idle::IdleStrategy;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why an agent cannot go on (journal disk full, engine invariant breach).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop(pub String);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub trait Agent: Send {
    fn name(&self) -> &'static str;
    /// Does at most a bounded batch of work; returns how many items it
    /// handled, or why it cannot go on.
    fn do_work(&mut self) -> Result<usize, Stop>;
    /// Called once when the runner stops, after the last `do_work`.
    fn on_close(&mut self) {}
}

/// What a runner does with an agent's [`Stop`].
pub trait StopHandler: Send + Sync {
    fn on_stop(&self, agent: &'static str, why: &Stop);
}

/// Runs `agents` round-robin until `running` turns false, then once more
/// until they report no work (so what was queued is drained), then closes
/// them. An agent that stops is reported to `on_stop` and not called again.
pub fn run(
    agents: &mut [Box<dyn Agent>],
    idle: &mut dyn IdleStrategy,
    running: &AtomicBool,
    on_stop: &dyn StopHandler,
) {
    let mut stopped = vec![false; agents.len()];
    let cycle = |agents: &mut [Box<dyn Agent>], stopped: &mut [bool]| {
        let mut work = 0;
        for (a, dead) in agents.iter_mut().zip(stopped.iter_mut()) {
            if *dead {
                continue;
            }
            match a.do_work() {
                Ok(n) => work += n,
                Err(why) => {
                    *dead = true;
                    on_stop.on_stop(a.name(), &why);
                }
            }
        }
        work
    };
    while running.load(Ordering::Acquire) {
        let work = cycle(agents, &mut stopped);
        idle.idle(work);
    }
    while cycle(agents, &mut stopped) != 0 {}
    for a in agents.iter_mut() {
        a.on_close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idle::BusySpin;
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Arc, Mutex};

    /// Does `items` units of work, one per call; fails on call `fail_at`.
    struct Counter {
        items: usize,
        fail_at: Option<usize>,
        calls: Arc<AtomicUsize>,
        closed: Arc<AtomicBool>,
    }

    impl Agent for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn do_work(&mut self) -> Result<usize, Stop> {
            let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
            if self.fail_at == Some(n) {
                return Err(Stop("disk full".into()));
            }
            if self.items == 0 {
                return Ok(0);
            }
            self.items -= 1;
            Ok(1)
        }
        fn on_close(&mut self) {
            self.closed.store(true, Ordering::Relaxed);
        }
    }

    #[derive(Default)]
    struct Record(Mutex<Vec<(String, Stop)>>);

    impl StopHandler for Record {
        fn on_stop(&self, agent: &'static str, why: &Stop) {
            self.0
                .lock()
                .unwrap()
                .push((agent.to_string(), why.clone()));
        }
    }

    fn counter(
        items: usize,
        fail_at: Option<usize>,
    ) -> (Counter, Arc<AtomicUsize>, Arc<AtomicBool>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicBool::new(false));
        let c = Counter {
            items,
            fail_at,
            calls: calls.clone(),
            closed: closed.clone(),
        };
        (c, calls, closed)
    }

    #[test]
    fn a_stopping_agent_is_reported_once_not_called_again_and_closed() {
        let (c, calls, closed) = counter(10, Some(3));
        let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(c)];
        let rec = Record::default();
        run(&mut agents, &mut BusySpin, &AtomicBool::new(false), &rec);
        let got = rec.0.lock().unwrap().clone();
        assert_eq!(got, vec![("counter".to_string(), Stop("disk full".into()))]);
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert!(closed.load(Ordering::Relaxed));
    }

    #[test]
    fn the_drain_runs_until_no_work_then_closes() {
        let (c, calls, closed) = counter(5, None);
        let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(c)];
        let rec = Record::default();
        run(&mut agents, &mut BusySpin, &AtomicBool::new(false), &rec);
        // Five items, then one empty cycle ends the drain.
        assert_eq!(calls.load(Ordering::Relaxed), 6);
        assert!(closed.load(Ordering::Relaxed));
        assert!(rec.0.lock().unwrap().is_empty());
    }
}
