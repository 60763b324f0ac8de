//! Ringex wire: the client API model and its codecs, with no I/O.
//!
//! What it owns: the API model ([`api`]: requests, ops, errors, channels),
//! the JSON codec ([`json`], split into `decode` and `encode`), the binary
//! frame codec ([`binary`], split into its `server` and `client` halves),
//! the market-data messages ([`md`]), the command/event JSON lines tools
//! print, and the Rust client library ([`client`], blocking std TCP, and
//! [`failover`], which follows the primary of a replicated pair).
//!
//! What holds: every decoder is a plain function of its input (no socket, no
//! clock, no state) that a unit test and a fuzz target can call, and never
//! panics. Must never: depend on the event loop (mio, tungstenite) or the
//! pipeline, or decide what the engine decides.

pub mod api;
pub mod binary;
pub mod client;
mod dir;
pub mod failover;
pub mod json;
pub mod md;

pub use api::*;
