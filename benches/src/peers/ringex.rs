//! Ringex's own engine behind [`BookEngine`]: the reference every peer is
//! compared with.
//!
//! What holds: commands go to `engine::Engine::apply` exactly as the flow has
//! them (no translation), with events appended to one reused buffer cleared
//! per command, as the business-logic thread does. The setup must be accepted
//! in full (every admin command `ok`, no order rejected); otherwise the flow
//! and the engine disagree and [`BookEngine::prepare`] says how.

use super::{BookEngine, RunStats};
use crate::flowfile::Flow;
use engine::{Engine, EngineLimits, Event, ExecType, Liquidity};

#[derive(Default)]
pub struct RingexEngine {
    engine: Option<Engine>,
    events: Vec<Event>,
}

/// Adds what `events` (of one command) did to `s`.
#[inline]
fn count(events: &[Event], s: &mut RunStats) {
    for e in events {
        match e {
            Event::Execution(r) => match r.exec_type {
                ExecType::Trade if r.fill.is_some_and(|f| f.liquidity == Liquidity::Taker) => {
                    s.trades += 1
                }
                ExecType::Rejected => s.rejects += 1,
                _ => {}
            },
            Event::Reject { .. } => s.rejects += 1,
            Event::Admin { ok: false, .. } => s.rejects += 1,
            _ => {}
        }
    }
}

impl BookEngine for RingexEngine {
    fn name(&self) -> &'static str {
        "ringex"
    }

    fn prepare(&mut self, flow: &Flow) -> Result<(), String> {
        let mut engine = Engine::new(EngineLimits::default());
        self.events.clear();
        self.events.reserve(1024);
        let mut s = RunStats::default();
        for c in &flow.setup {
            self.events.clear();
            engine
                .apply(c, &mut self.events)
                .map_err(|e| format!("setup seq {}: {e}", c.seq))?;
            count(&self.events, &mut s);
            if s.rejects > 0 {
                return Err(format!(
                    "setup seq {} ({}) refused: {:?}",
                    c.seq,
                    c.kind.op_name(),
                    self.events
                ));
            }
        }
        self.engine = Some(engine);
        Ok(())
    }

    fn run(&mut self, flow: &Flow) -> RunStats {
        let engine = self.engine.as_mut().expect("prepare before run");
        let events = &mut self.events;
        let mut s = RunStats {
            cmds: flow.measured.len() as u64,
            ..RunStats::default()
        };
        for c in &flow.measured {
            events.clear();
            if engine.apply(c, events).is_ok() {
                s.applied += 1;
            }
            count(events, &mut s);
        }
        s
    }
}
