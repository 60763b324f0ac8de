//! Ringex gateway: the edge between clients and the engine.
//!
//! What it owns: the wire codecs ([`codec`]) and, as they land, sessions, the
//! network event loop, the pipeline and the server. What it must never do:
//! hold business state the engine owns, block on the engine, or let a bad
//! message reach the journal.
//!
//! [`conformance`] drives the shared conformance scenarios; it lives in the
//! library so that the in-process runner and an end-to-end runner over the
//! WebSocket API share one definition of a scenario and of a pass.

pub mod client;
pub mod codec;
pub mod config;
pub mod conformance;
pub mod front;
pub mod http;
pub mod metrics;
pub mod net;
pub mod pipeline;
pub mod session;
pub mod web;
