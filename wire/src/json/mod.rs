//! JSON codec of the client API (`../shared/spec/api.md`): client messages in,
//! reports and replies out, plus the one-line JSON form of a journaled
//! [`Command`] that `ringex-replay dump` prints.
//!
//! What it owns:
//! - The wire shape of every message: field names, which fields an op needs,
//!   the checks that belong at the edge (a limit needs a price, a market order
//!   takes none, `post_only` and `display_qty` only on a GTC limit, names and
//!   ids that fit their types, decimals as non-negative decimal strings). A
//!   request that fails them is a [`WireError`] and never reaches the journal.
//! - Decimal text <-> [`Fixed`]: decimals arrive as JSON strings, are parsed
//!   exactly (rust_decimal at the edge), normalised (trailing zeros dropped),
//!   and must fit an `i64` mantissa with at most 18 decimals.
//! - Reports: [`encode_event`] and the `encode_*` helpers append JSON text to a
//!   `String` the caller owns and reuses; they build no intermediate value.
//!
//! What it must never do: I/O of any kind; panic on any input (the decoders
//! are fuzzed); keep an API key in clear (keys are hashed with
//! [`KeyHash::of_key`] while decoding); decide anything the engine decides
//! (whether a symbol exists, a price is on the tick, funds suffice: those
//! reach the engine and come back as rejects with a reason).
//!
//! Decisions where api.md is silent (also listed in the module tests):
//! - Decimals must be JSON strings; a JSON number where a decimal is expected
//!   is `malformed` ("decimals are JSON strings"). The grammar is strict:
//!   `digits[.digits]`, no sign, exponent, blank or `_`. Zero passes (the
//!   engine answers `invalid_qty`, consuming an order_id, as matching.md asks).
//! - `null` counts as absent for every optional field.
//! - `cancel`/`amend` name their order by `order_id` or `client_order_id`;
//!   both at once is `malformed` (ambiguous).
//! - `amend` needs `price` or `qty` (or both).
//! - `stop_price` on a non-stop order is `malformed`, like `price` on a market
//!   order. Stops accept `tif` `gtc` or `ioc`; `fok` on a stop is `malformed`.
//! - `add_user` takes `api_key` (hashed here) or `key_hash` (64 hex digits,
//!   the SHA-256 of the key) so that an operator can provision a user without
//!   the key ever reaching the server; `role` defaults to `trader`.
//! - `unknown_op` is answered with HTTP status 400, like `malformed`.
//! - Reports: `client_order_id` is `null` when the order has none, `price` is
//!   `null` for market orders, `stop_price` appears only on stops, `reason`
//!   only on `rejected`/`canceled`, trade fields only on `trade`, `req_id` only
//!   when the session that sent the input is the one being told. `avg_price`
//!   is `null` until something is filled, else `cum_quote / filled` rounded
//!   half away from zero to [`AVG_PRICE_EXTRA_DECIMALS`] more decimals than
//!   the symbol's tick (at most 18), trailing zeros dropped. A place rejected
//!   as `unknown_symbol` has no symbol in the engine: its `symbol` and decimal
//!   fields are `null`.

mod decode;
mod encode;

pub use decode::*;
pub use encode::*;

#[cfg(test)]
mod tests;
