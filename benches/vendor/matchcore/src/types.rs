//! Shared types across the matchcore library

mod level_id;
mod notional;
mod peg_reference;
mod price;
mod quantity;
mod quantity_policy;
mod sequence_number;
mod side;
mod time_in_force;
mod timestamp;

pub(crate) use level_id::*;
pub use notional::*;
pub use peg_reference::*;
pub use price::*;
pub use quantity::*;
pub use quantity_policy::*;
pub use sequence_number::*;
pub use side::*;
pub use time_in_force::*;
pub use timestamp::*;
