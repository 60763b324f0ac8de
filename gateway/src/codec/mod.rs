//! Wire codecs: text and bytes of the client API in, engine commands out;
//! engine events in, report text and bytes out.
//!
//! What holds: every decoder is a plain function of its input (no socket, no
//! clock, no state) that a unit test and a fuzz target can call, and never
//! panics. What a codec must never do: I/O, or decide what the engine
//! decides.

pub mod binary;
pub mod json;
pub mod md;
