//! Ringex gateway.
