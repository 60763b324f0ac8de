//! Ringex test support, never a dependency of the product: the conformance
//! scenario runner ([`conformance`]) and the harness that starts a `ringex`
//! binary ([`server`]) for end-to-end tests and benchmarks.

pub mod conformance;
pub mod server;
