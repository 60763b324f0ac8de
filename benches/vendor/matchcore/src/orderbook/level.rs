//! Level that manages the status of the orders with the same activation condition

mod level_entries;
mod peg_level;
mod price_level;
mod queue_entry;
mod trigger_price_level;

pub use level_entries::*;
pub use peg_level::*;
pub use price_level::*;
pub use queue_entry::*;
pub use trigger_price_level::*;
