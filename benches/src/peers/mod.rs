//! The engines a flow is run through: ringex itself and the peers
//! `matchcore` 0.4 and `lobster` 0.7, behind one trait.
//!
//! What holds: [`BookEngine::prepare`] does everything that is not timed
//! (fresh state, setup commands applied, measured commands turned into the
//! engine's own operations) and [`BookEngine::run`] does only what is timed:
//! the measured commands, one after the other, on the calling thread. Every
//! engine counts the same things ([`RunStats`]) so that runs can be checked
//! against each other and against the flow's reference model. How each of
//! our operations maps to each peer, and where a peer falls short, is in
//! `docs/flows.md`.

mod lobster_book;
mod matchcore_book;
mod ringex;
pub mod translate;

pub use lobster_book::LobsterBook;
pub use matchcore_book::MatchcoreBook;
pub use ringex::RingexEngine;

use crate::flowfile::Flow;
use std::fmt;

/// What one run of the measured commands did.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Measured commands in the flow.
    pub cmds: u64,
    /// Operations the engine carried out (ringex: commands applied).
    pub applied: u64,
    /// Maker/taker matches.
    pub trades: u64,
    /// Operations the engine (or the adapter, for a peer without that check)
    /// refused: unknown order, quantity not above the filled part, rejected place.
    pub rejects: u64,
    /// Measured commands that have no equivalent in this engine (admin
    /// commands, halts, and places or amends while halted), not sent.
    pub dropped: u64,
    /// Operations a peer adapter had to carry out as more than one call of
    /// the peer (lobster: IOC as limit + cancel, amend as cancel + limit;
    /// matchcore: the trade-through guard). Always 0 for ringex.
    pub adapted: u64,
}

/// One engine, fed a flow.
pub trait BookEngine {
    fn name(&self) -> &'static str;
    /// Fresh state, setup applied, measured commands prepared. Not timed.
    fn prepare(&mut self, flow: &Flow) -> Result<(), String>;
    /// Processes the measured commands of the flow last prepared. Timed.
    fn run(&mut self, flow: &Flow) -> RunStats;
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EngineKind {
    Ringex,
    Matchcore,
    Lobster,
}

impl EngineKind {
    pub const ALL: [EngineKind; 3] = [
        EngineKind::Ringex,
        EngineKind::Matchcore,
        EngineKind::Lobster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Ringex => "ringex",
            EngineKind::Matchcore => "matchcore",
            EngineKind::Lobster => "lobster",
        }
    }

    pub fn parse(s: &str) -> Option<EngineKind> {
        EngineKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn make(self) -> Box<dyn BookEngine> {
        match self {
            EngineKind::Ringex => Box::new(RingexEngine::default()),
            EngineKind::Matchcore => Box::new(MatchcoreBook::default()),
            EngineKind::Lobster => Box::new(LobsterBook::default()),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
