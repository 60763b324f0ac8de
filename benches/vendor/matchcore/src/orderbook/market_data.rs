//! Market data for the order book

mod level1;
mod level2;

pub use level1::*;
pub use level2::*;
