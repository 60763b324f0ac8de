//! Book that manages the orders and levels

mod limit_book;
mod pegged_book;
mod price_conditional_book;

pub use limit_book::*;
pub use pegged_book::*;
pub use price_conditional_book::*;
