//! Order books.
use crate::types::{Lots, Ticks};

/// Aggregated visible quantity per price, best first on each side.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct L2Book {
    pub bids: Vec<(Ticks, Lots)>,
    pub asks: Vec<(Ticks, Lots)>,
}
