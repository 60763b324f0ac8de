//! Logic for the order book

mod matching;
mod operations;
