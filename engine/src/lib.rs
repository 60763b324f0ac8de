//! Ringex engine: the business logic of the exchange as a pure state machine.
//!
//! What holds:
//! - [`Engine::apply`] is the only way state changes. It takes one sequenced
//!   [`Command`] and appends the [`Event`]s it causes to a buffer the caller
//!   owns. It reads no clock, no randomness, no file or socket, and nothing
//!   whose iteration order is unspecified, so the same commands give the same
//!   events and the same [`Engine::state_hash`], byte for byte.
//! - Every price, quantity and balance inside is an integer (ticks, lots,
//!   asset units); decimals exist only in commands ([`Fixed`]) and at the edge.
//! - [`Engine::check_invariants`] states what must hold after every command:
//!   conservation per asset, no negative balance, locked funds equal to what
//!   open orders still need, books sorted and never crossed at rest, every
//!   resting order reachable by its id.
//!
//! What it must never do: allocate per command in steady state, block, or
//! panic on any input (bad input is a reject with a reason).

mod accounts;
mod book;
mod command;
mod directory;
mod engine;
mod event;
mod invariants;
mod journal_codec;
pub mod market_data;
mod snapshot;
mod types;

pub use accounts::Balance;
pub use book::L2Book;
pub use command::*;
pub use directory::{units_to_fixed, AssetInfo, Directory, SymbolInfo};
pub use engine::{ApplyError, Engine, EngineLimits, UserInfo};
pub use event::*;
pub use invariants::InvariantError;
pub use journal_codec::{decode_command, encode_command, CodecError, COMMAND_BYTES_MAX};
pub use snapshot::SnapshotError;
pub use types::*;
