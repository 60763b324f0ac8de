//! Idle strategies: what a thread does when its agents found no work.
//!
//! Agrona's shape: the duty cycle is `loop { idle.idle(agent.do_work()) }`.
//! Any work resets the strategy. [`Backoff`] spins, then yields, then parks
//! for an interval that doubles up to a ceiling, so an idle server costs
//! almost no CPU while a busy one never sleeps. [`BusySpin`] never gives the
//! core away: only for pinned threads on cores of their own.
//!
//! Must never: sleep while there is work, or spin on a core another spinning
//! thread needs (that is the config's job to prevent; see `config`).

use serde::Deserialize;
use std::time::Duration;

/// What to do next when no work was found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Go round again at once (a spin-loop hint was issued).
    Spin,
    /// Give the core to another thread, then go round again.
    Yield,
    /// Sleep (or block in the event loop) for up to this long.
    Park(Duration),
}

pub trait IdleStrategy: Send {
    /// Given the work count of the last duty cycle, what to do before the next.
    fn next(&mut self, work: usize) -> Wait;

    /// Runs the wait `next` chose, on a plain thread.
    fn idle(&mut self, work: usize) {
        match self.next(work) {
            Wait::Spin => std::hint::spin_loop(),
            Wait::Yield => std::thread::yield_now(),
            Wait::Park(d) => std::thread::park_timeout(d),
        }
    }
}

/// Never yields the core.
#[derive(Copy, Clone, Debug, Default)]
pub struct BusySpin;

impl IdleStrategy for BusySpin {
    fn next(&mut self, _work: usize) -> Wait {
        Wait::Spin
    }
}

/// Spin, then yield, then park with exponential back-off.
#[derive(Clone, Debug)]
pub struct Backoff {
    spins_max: u32,
    yields_max: u32,
    park_min: Duration,
    park_max: Duration,
    spins: u32,
    yields: u32,
    park: Duration,
}

impl Backoff {
    pub fn new(spins_max: u32, yields_max: u32, park_min: Duration, park_max: Duration) -> Backoff {
        Backoff {
            spins_max,
            yields_max,
            park_min,
            park_max: park_max.max(park_min),
            spins: 0,
            yields: 0,
            park: park_min,
        }
    }
}

impl IdleStrategy for Backoff {
    fn next(&mut self, work: usize) -> Wait {
        if work > 0 {
            self.spins = 0;
            self.yields = 0;
            self.park = self.park_min;
            return Wait::Spin;
        }
        if self.spins < self.spins_max {
            self.spins += 1;
            return Wait::Spin;
        }
        if self.yields < self.yields_max {
            self.yields += 1;
            return Wait::Yield;
        }
        let p = self.park;
        self.park = (self.park * 2).min(self.park_max);
        Wait::Park(p)
    }
}

/// Parks for a fixed interval whenever idle.
#[derive(Copy, Clone, Debug)]
pub struct Park(pub Duration);

impl IdleStrategy for Park {
    fn next(&mut self, work: usize) -> Wait {
        if work > 0 {
            Wait::Spin
        } else {
            Wait::Park(self.0)
        }
    }
}

/// An idle strategy as the config names it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum IdleConfig {
    BusySpin,
    Backoff {
        spins: u32,
        yields: u32,
        park_min_us: u64,
        park_max_us: u64,
    },
    Park {
        us: u64,
    },
}

impl Default for IdleConfig {
    /// A few microseconds of spinning, then yielding, then parks from 50 µs up to 1 ms.
    fn default() -> Self {
        IdleConfig::Backoff {
            spins: 200,
            yields: 20,
            park_min_us: 50,
            park_max_us: 1_000,
        }
    }
}

impl IdleConfig {
    pub fn build(self) -> Box<dyn IdleStrategy> {
        match self {
            IdleConfig::BusySpin => Box::new(BusySpin),
            IdleConfig::Backoff {
                spins,
                yields,
                park_min_us,
                park_max_us,
            } => Box::new(Backoff::new(
                spins,
                yields,
                Duration::from_micros(park_min_us),
                Duration::from_micros(park_max_us),
            )),
            IdleConfig::Park { us } => Box::new(Park(Duration::from_micros(us))),
        }
    }

    /// Does this strategy keep a core busy while idle?
    pub fn spins_forever(self) -> bool {
        matches!(self, IdleConfig::BusySpin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_spins_yields_then_parks_doubling_and_resets_on_work() {
        let mut b = Backoff::new(2, 1, Duration::from_micros(10), Duration::from_micros(35));
        assert_eq!(b.next(0), Wait::Spin);
        assert_eq!(b.next(0), Wait::Spin);
        assert_eq!(b.next(0), Wait::Yield);
        assert_eq!(b.next(0), Wait::Park(Duration::from_micros(10)));
        assert_eq!(b.next(0), Wait::Park(Duration::from_micros(20)));
        assert_eq!(b.next(0), Wait::Park(Duration::from_micros(35)));
        assert_eq!(b.next(0), Wait::Park(Duration::from_micros(35)));
        assert_eq!(b.next(3), Wait::Spin);
        assert_eq!(b.next(0), Wait::Spin);
    }

    #[test]
    fn busy_spin_never_parks() {
        let mut s = BusySpin;
        assert!((0..1000).all(|_| s.next(0) == Wait::Spin));
    }
}
