//! Binary encoding of commands for the journal (bincode 2, fixed-int,
//! little-endian). The layout is part of the journal format: change it only
//! with a journal version bump.

use crate::command::Command;

/// Upper bound of an encoded [`Command`]; a record larger than this is corrupt.
pub const COMMAND_BYTES_MAX: usize = 512;

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
        .with_limit::<COMMAND_BYTES_MAX>()
}

#[derive(Debug)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "command codec: {}", self.0)
    }
}

impl std::error::Error for CodecError {}

/// Encodes `cmd` into `buf`, returning the number of bytes written. Allocates nothing.
pub fn encode_command(cmd: &Command, buf: &mut [u8]) -> Result<usize, CodecError> {
    bincode::encode_into_slice(cmd, buf, config()).map_err(|e| CodecError(e.to_string()))
}

/// Decodes one command from the start of `bytes`, returning it and the bytes consumed.
pub fn decode_command(bytes: &[u8]) -> Result<(Command, usize), CodecError> {
    bincode::decode_from_slice(bytes, config()).map_err(|e| CodecError(e.to_string()))
}
