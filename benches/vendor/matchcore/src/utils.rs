//! Utility functions for the matchcore library

mod format;

pub(crate) use format::*;
