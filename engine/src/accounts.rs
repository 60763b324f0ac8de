//! Balances per user and asset.
use crate::types::Units;

/// What a user holds of one asset.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default, bincode::Encode, bincode::Decode)]
pub struct Balance {
    pub available: Units,
    pub locked: Units,
}
