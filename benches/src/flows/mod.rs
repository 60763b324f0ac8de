//! The flows: what every engine is fed, built once and written to a command
//! file (see [`crate::flowfile`]).
//!
//! What this module owns: the choice of flow ([`FlowKind`]), the options every
//! flow takes ([`FlowOptions`]) and the one entry point [`build`]. Each flow is
//! a pure function of its options (seed, size, data file): building it twice
//! gives the same commands byte for byte. Flows from data files never fail
//! because a file is absent: [`build`] says so ([`FlowError::MissingData`])
//! and the caller prints a notice and skips the flow.

pub mod builder;
pub mod equity;
pub mod feed;
pub mod itch_feed;
pub mod lobster_csv;
pub mod mix;
pub mod refbook;

pub use builder::{FlowBuilder, FlowStats, SymbolDef};

use crate::flowfile::Flow;
use std::fmt;
use std::path::PathBuf;

/// The default seed of generated flows.
pub const DEFAULT_SEED: u64 = 20_240_601;
/// Measured commands of a generated flow unless told otherwise.
pub const DEFAULT_CMDS: u64 = 3_000_000;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlowKind {
    Mix,
    Deep,
    Lobster,
    Itch,
    /// The `equity` flow in one of its scenarios ([`equity::Scenario`]).
    Equity(equity::Scenario),
}

impl FlowKind {
    pub const ALL: [FlowKind; 9] = [
        FlowKind::Mix,
        FlowKind::Deep,
        FlowKind::Lobster,
        FlowKind::Itch,
        FlowKind::Equity(equity::Scenario::Static),
        FlowKind::Equity(equity::Scenario::Normal),
        FlowKind::Equity(equity::Scenario::Swing25),
        FlowKind::Equity(equity::Scenario::Swing40),
        FlowKind::Equity(equity::Scenario::Flash),
    ];

    pub fn name(self) -> &'static str {
        match self {
            FlowKind::Mix => "mix",
            FlowKind::Deep => "deep",
            FlowKind::Lobster => "lobster",
            FlowKind::Itch => "itch",
            FlowKind::Equity(s) => match s {
                equity::Scenario::Static => "equity-static",
                equity::Scenario::Normal => "equity-normal",
                equity::Scenario::Swing25 => "equity-swing25",
                equity::Scenario::Swing40 => "equity-swing40",
                equity::Scenario::Flash => "equity-flash",
            },
        }
    }

    /// A flow by name; `equity` alone is its canonical scenario (`normal`).
    pub fn parse(s: &str) -> Option<FlowKind> {
        if s == "equity" {
            return Some(FlowKind::Equity(equity::Scenario::Normal));
        }
        FlowKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for FlowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug)]
pub struct FlowOptions {
    pub seed: u64,
    /// Measured commands: exactly this many for generated flows
    /// ([`DEFAULT_CMDS`] when `None`; for `equity-*`, all of a
    /// 1,000,000-order run, about 2M), at most this many for data flows (all
    /// of the file when `None`).
    pub cmds: Option<u64>,
    /// Where `lobster/` and `itch/` are.
    pub data_dir: PathBuf,
    /// `deep` only: symbols and pre-filled orders (defaults 10,000 and
    /// 1,000,000), for small runs.
    pub deep_symbols: Option<u32>,
    pub deep_orders: Option<u64>,
}

impl FlowOptions {
    pub fn new(seed: u64, cmds: Option<u64>, data_dir: PathBuf) -> Self {
        FlowOptions {
            seed,
            cmds,
            data_dir,
            deep_symbols: None,
            deep_orders: None,
        }
    }
}

#[derive(Debug)]
pub enum FlowError {
    /// The data file of a real-data flow is absent: skip the flow.
    MissingData(PathBuf),
    Bad(String),
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::MissingData(p) => write!(f, "data file {} not found", p.display()),
            FlowError::Bad(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for FlowError {}

/// Builds a flow and what the reference model expects its measured part to do.
pub fn build(kind: FlowKind, o: &FlowOptions) -> Result<(Flow, FlowStats), FlowError> {
    match kind {
        FlowKind::Mix => Ok(mix::generate(&mix::MixParams::mix(
            o.seed,
            o.cmds.unwrap_or(DEFAULT_CMDS),
        ))),
        FlowKind::Deep => {
            let mut p = mix::MixParams::deep(o.seed, o.cmds.unwrap_or(DEFAULT_CMDS));
            if let Some(n) = o.deep_symbols {
                p.symbols = n.max(1);
            }
            if let Some(n) = o.deep_orders {
                p.prefill_orders = n;
            }
            Ok(mix::generate(&p))
        }
        FlowKind::Lobster => {
            let path = crate::data::lobster_messages(&o.data_dir);
            if !path.exists() {
                return Err(FlowError::MissingData(path));
            }
            lobster_csv::lobster_flow(&path, o.cmds).map_err(FlowError::Bad)
        }
        FlowKind::Itch => {
            let path = crate::data::itch_sample(&o.data_dir);
            if !path.exists() {
                return Err(FlowError::MissingData(path));
            }
            itch_feed::itch_flow(&path, o.cmds).map_err(FlowError::Bad)
        }
        FlowKind::Equity(s) => Ok(equity::generate(s, kind.name(), o.seed, o.cmds)),
    }
}
