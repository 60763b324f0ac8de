//! Order specifications for the matchcore library

mod flags;
mod id;
mod kind;
mod limit_order;
mod market_order;
mod pegged_order;
mod price_conditional_order;

pub use flags::*;
pub use id::*;
pub use kind::*;
pub use limit_order::*;
pub use market_order::*;
pub use pegged_order::*;
pub use price_conditional_order::*;
