//! Ringex gateway: the edge between clients and the pipeline.
//!
//! What it owns: the network event loop ([`net`], the only socket code),
//! sessions and the routing of requests and outputs ([`router`], with the
//! REST routes in `router::rest` and market-data fan-out in `router::feed`), the HTTP
//! request parser ([`http`]), per-session rate limits and outboxes
//! ([`session`]), the history query worker ([`history_queries`], its own
//! thread and store connection), config, and the `ringex` binary. The codecs live in the
//! `wire` crate, the rings and stages in `pipeline`. What it must never do:
//! hold business state the engine owns, block on the engine, or let a bad
//! message reach the journal.

pub mod config;
pub mod history_queries;
pub mod http;
pub mod net;
pub mod router;
pub mod session;
pub mod web;
