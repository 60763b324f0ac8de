//! Journal records as a byte string of frames, outside any segment: how
//! replication carries journaled inputs (the same frame layout, checksum
//! included, as in a segment; see [`crate::format`]).
//!
//! What holds: [`encode`] writes exactly the frames a segment holds for the
//! same commands; [`decode`] accepts only intact frames, in order, up to
//! the end of the string, and says which defect stopped it otherwise.
//!
//! Must never: accept a frame whose checksum or bounds are wrong.

use crate::error::Defect;
use crate::format::{frame_len, parse_frame, write_frame, Parsed};
use crate::reader::Record;
use engine::{decode_command, encode_command, Command, COMMAND_BYTES_MAX};

/// Appends the frames of `cmds` to `out`.
pub fn encode(cmds: &[Command], out: &mut Vec<u8>) -> Result<(), engine::CodecError> {
    let mut scratch = [0u8; COMMAND_BYTES_MAX];
    for c in cmds {
        let n = encode_command(c, &mut scratch)?;
        let at = out.len();
        out.resize(at + frame_len(n), 0);
        write_frame(&mut out[at..], c.seq, c.ts_ns, &scratch[..n]);
    }
    Ok(())
}

/// Why a string of frames could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramesError {
    Frame {
        at: usize,
        defect: Defect,
    },
    Decode {
        seq: u64,
        why: String,
    },
    /// A frame's seq and ts do not match its decoded command.
    Mismatch {
        seq: u64,
    },
}

impl std::fmt::Display for FramesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FramesError::Frame { at, defect } => write!(f, "frame at byte {at}: {defect}"),
            FramesError::Decode { seq, why } => write!(f, "record {seq}: {why}"),
            FramesError::Mismatch { seq } => {
                write!(f, "record {seq}: the frame and its command disagree")
            }
        }
    }
}

impl std::error::Error for FramesError {}

/// Every record of `bytes`, in order.
pub fn decode(bytes: &[u8]) -> Result<Vec<Record>, FramesError> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < bytes.len() {
        match parse_frame(bytes, bytes.len(), off) {
            Parsed::Frame {
                seq,
                ts_ns,
                payload,
                next,
            } => {
                let (command, _) =
                    decode_command(&bytes[payload]).map_err(|e| FramesError::Decode {
                        seq,
                        why: e.to_string(),
                    })?;
                if command.seq != seq || command.ts_ns != ts_ns {
                    return Err(FramesError::Mismatch { seq });
                }
                out.push(Record {
                    seq,
                    ts_ns,
                    command,
                });
                off = next;
            }
            Parsed::End => break,
            Parsed::Bad(defect) => return Err(FramesError::Frame { at: off, defect }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::CommandKind;

    fn cmd(seq: u64) -> Command {
        Command {
            seq,
            ts_ns: 1_000 + seq,
            kind: CommandKind::Halt {
                symbol: engine::Name::new("BTC-USD").unwrap(),
            },
        }
    }

    #[test]
    fn frames_round_trip_and_damage_is_refused() {
        let cmds: Vec<Command> = (1..=5).map(cmd).collect();
        let mut b = Vec::new();
        encode(&cmds, &mut b).unwrap();
        let back: Vec<Command> = decode(&b).unwrap().into_iter().map(|r| r.command).collect();
        assert_eq!(back, cmds);
        assert_eq!(decode(&[]).unwrap(), vec![]);
        let mut bad = b.clone();
        let last = bad.len() - 9;
        bad[last] ^= 1;
        assert!(matches!(decode(&bad), Err(FramesError::Frame { .. })));
        assert!(decode(&b[..b.len() - 8]).is_err(), "a cut frame");
    }
}
