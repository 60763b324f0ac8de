//! The command file: one flow, written once, read by every engine.
//!
//! What holds (the byte layout is documented in `docs/flows.md`):
//! - A file is a header (magic `RGXFLOW1`, version, flow name, seed, the
//!   number of setup and of measured commands) followed by exactly that many
//!   length-prefixed records, each the `engine::encode_command` bytes of one
//!   [`Command`], and nothing after the last record.
//! - Setup commands come first (seq 1..=setup) and are never timed; measured
//!   commands follow with contiguous sequence numbers. Timestamps never go
//!   backwards.
//! - Both directions check: the writer refuses a flow whose sequence is not
//!   contiguous from 1 or whose records would not fit; the reader refuses a
//!   bad magic or version, a record that does not decode to exactly its
//!   length, a count that does not match, a sequence gap and trailing bytes.

use engine::{decode_command, encode_command, Command, COMMAND_BYTES_MAX};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// First 8 bytes of every command file.
pub const MAGIC: [u8; 8] = *b"RGXFLOW1";
/// Layout version written after the magic.
pub const VERSION: u16 = 1;
/// Longest flow name, in bytes.
pub const NAME_BYTES_MAX: usize = 64;

/// A flow in memory: what a command file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// `mix`, `deep`, `lobster`, `itch`, or anything of `[A-Za-z0-9._-]`.
    pub name: String,
    /// The seed it was generated from (0 for flows mapped from data).
    pub seed: u64,
    /// Assets, symbols, users, deposits and pre-fill orders; not timed.
    pub setup: Vec<Command>,
    /// The commands whose processing is timed.
    pub measured: Vec<Command>,
}

impl Flow {
    /// Setup then measured commands, in sequence order.
    pub fn all(&self) -> impl Iterator<Item = &Command> {
        self.setup.iter().chain(self.measured.iter())
    }

    /// Checks what every flow must satisfy: a valid name, `seq` contiguous
    /// from 1 over setup then measured, timestamps non-decreasing.
    pub fn check(&self) -> Result<(), FlowFileError> {
        check_name(&self.name)?;
        let mut ts_prev = 0u64;
        for (i, c) in self.all().enumerate() {
            let want = i as u64 + 1;
            if c.seq != want {
                return Err(FlowFileError::Sequence {
                    index: i as u64,
                    expected: want,
                    got: c.seq,
                });
            }
            if c.ts_ns < ts_prev {
                return Err(FlowFileError::Time { index: i as u64 });
            }
            ts_prev = c.ts_ns;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum FlowFileError {
    Io(io::Error),
    BadMagic,
    BadVersion(u16),
    BadName,
    /// The file ends inside the header or a record.
    Truncated {
        at: u64,
    },
    /// A record length of 0 or above `COMMAND_BYTES_MAX`.
    BadLength {
        index: u64,
        len: usize,
    },
    /// A record that does not decode, or decodes to fewer bytes than its length.
    BadRecord {
        index: u64,
        why: String,
    },
    Sequence {
        index: u64,
        expected: u64,
        got: u64,
    },
    Time {
        index: u64,
    },
    TrailingBytes {
        len: u64,
    },
}

impl fmt::Display for FlowFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowFileError::Io(e) => write!(f, "flow file: {e}"),
            FlowFileError::BadMagic => write!(f, "flow file: not a command file (bad magic)"),
            FlowFileError::BadVersion(v) => write!(f, "flow file: version {v} is not {VERSION}"),
            FlowFileError::BadName => write!(f, "flow file: bad flow name"),
            FlowFileError::Truncated { at } => write!(f, "flow file: truncated at byte {at}"),
            FlowFileError::BadLength { index, len } => {
                write!(f, "flow file: record {index} has length {len}")
            }
            FlowFileError::BadRecord { index, why } => {
                write!(f, "flow file: record {index}: {why}")
            }
            FlowFileError::Sequence {
                index,
                expected,
                got,
            } => {
                write!(
                    f,
                    "flow: command {index} has seq {got}, expected {expected}"
                )
            }
            FlowFileError::Time { index } => write!(f, "flow: command {index} goes back in time"),
            FlowFileError::TrailingBytes { len } => {
                write!(f, "flow file: {len} bytes after the last record")
            }
        }
    }
}

impl std::error::Error for FlowFileError {}

impl From<io::Error> for FlowFileError {
    fn from(e: io::Error) -> Self {
        FlowFileError::Io(e)
    }
}

fn check_name(name: &str) -> Result<(), FlowFileError> {
    let b = name.as_bytes();
    if b.is_empty()
        || b.len() > NAME_BYTES_MAX
        || !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    {
        return Err(FlowFileError::BadName);
    }
    Ok(())
}

/// Writes `flow` in the command-file layout. Checks the flow first.
pub fn write_flow_to<W: Write>(flow: &Flow, w: &mut W) -> Result<u64, FlowFileError> {
    flow.check()?;
    let mut written = 0u64;
    let mut head = Vec::with_capacity(64);
    head.extend_from_slice(&MAGIC);
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.extend_from_slice(&(flow.name.len() as u16).to_le_bytes());
    head.extend_from_slice(flow.name.as_bytes());
    head.extend_from_slice(&flow.seed.to_le_bytes());
    head.extend_from_slice(&(flow.setup.len() as u64).to_le_bytes());
    head.extend_from_slice(&(flow.measured.len() as u64).to_le_bytes());
    w.write_all(&head)?;
    written += head.len() as u64;
    let mut buf = [0u8; COMMAND_BYTES_MAX + 2];
    for (i, c) in flow.all().enumerate() {
        let n = encode_command(c, &mut buf[2..]).map_err(|e| FlowFileError::BadRecord {
            index: i as u64,
            why: e.to_string(),
        })?;
        if n == 0 || n > COMMAND_BYTES_MAX {
            return Err(FlowFileError::BadLength {
                index: i as u64,
                len: n,
            });
        }
        buf[..2].copy_from_slice(&(n as u16).to_le_bytes());
        w.write_all(&buf[..n + 2])?;
        written += n as u64 + 2;
    }
    Ok(written)
}

/// Writes `flow` to `path` (created or truncated), returning the bytes written.
pub fn write_flow(flow: &Flow, path: &Path) -> Result<u64, FlowFileError> {
    let file = std::fs::File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    let n = write_flow_to(flow, &mut w)?;
    w.flush()?;
    Ok(n)
}

/// Reads a whole command file.
pub fn read_flow(path: &Path) -> Result<Flow, FlowFileError> {
    let bytes = std::fs::read(path)?;
    parse_flow(&bytes)
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FlowFileError> {
        if self.b.len() - self.pos < n {
            return Err(FlowFileError::Truncated {
                at: self.b.len() as u64,
            });
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, FlowFileError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u64(&mut self) -> Result<u64, FlowFileError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

/// Parses a command file held in memory, checking everything the layout promises.
pub fn parse_flow(bytes: &[u8]) -> Result<Flow, FlowFileError> {
    let mut c = Cursor { b: bytes, pos: 0 };
    if c.take(8)? != MAGIC {
        return Err(FlowFileError::BadMagic);
    }
    let version = c.u16()?;
    if version != VERSION {
        return Err(FlowFileError::BadVersion(version));
    }
    let name_len = c.u16()? as usize;
    if name_len > NAME_BYTES_MAX {
        return Err(FlowFileError::BadName);
    }
    let name = std::str::from_utf8(c.take(name_len)?)
        .map_err(|_| FlowFileError::BadName)?
        .to_string();
    check_name(&name)?;
    let seed = c.u64()?;
    let setup_n = c.u64()?;
    let measured_n = c.u64()?;
    // Every record takes at least 3 bytes: refuse counts the file cannot hold
    // before reserving memory for them.
    let left = (bytes.len() - c.pos) as u64;
    let total = setup_n.saturating_add(measured_n);
    if total > left / 3 {
        return Err(FlowFileError::Truncated {
            at: bytes.len() as u64,
        });
    }
    let mut setup = Vec::with_capacity(setup_n as usize);
    let mut measured = Vec::with_capacity(measured_n as usize);
    for i in 0..total {
        let len = c.u16()? as usize;
        if len == 0 || len > COMMAND_BYTES_MAX {
            return Err(FlowFileError::BadLength { index: i, len });
        }
        let rec = c.take(len)?;
        let (cmd, used) = decode_command(rec).map_err(|e| FlowFileError::BadRecord {
            index: i,
            why: e.to_string(),
        })?;
        if used != len {
            return Err(FlowFileError::BadRecord {
                index: i,
                why: format!("decoded {used} of {len} bytes"),
            });
        }
        if i < setup_n {
            setup.push(cmd);
        } else {
            measured.push(cmd);
        }
    }
    if c.pos != bytes.len() {
        return Err(FlowFileError::TrailingBytes {
            len: (bytes.len() - c.pos) as u64,
        });
    }
    let flow = Flow {
        name,
        seed,
        setup,
        measured,
    };
    flow.check()?;
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{CommandKind, Name};

    fn tiny() -> Flow {
        let mk = |seq, ts_ns, kind| Command { seq, ts_ns, kind };
        Flow {
            name: "t".into(),
            seed: 42,
            setup: vec![mk(
                1,
                10,
                CommandKind::AddAsset {
                    asset: Name::new("USD").unwrap(),
                    scale: 2,
                },
            )],
            measured: vec![mk(
                2,
                11,
                CommandKind::Halt {
                    symbol: Name::new("X-USD").unwrap(),
                },
            )],
        }
    }

    #[test]
    fn round_trip() {
        let f = tiny();
        let mut bytes = Vec::new();
        let n = write_flow_to(&f, &mut bytes).unwrap();
        assert_eq!(n as usize, bytes.len());
        assert_eq!(&bytes[..8], b"RGXFLOW1");
        assert_eq!(parse_flow(&bytes).unwrap(), f);
    }

    #[test]
    fn refuses_damage() {
        let f = tiny();
        let mut bytes = Vec::new();
        write_flow_to(&f, &mut bytes).unwrap();
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(matches!(
            parse_flow(&extra),
            Err(FlowFileError::TrailingBytes { len: 1 })
        ));
        assert!(matches!(
            parse_flow(&bytes[..bytes.len() - 1]),
            Err(FlowFileError::Truncated { .. })
        ));
        let mut magic = bytes.clone();
        magic[0] = b'X';
        assert!(matches!(parse_flow(&magic), Err(FlowFileError::BadMagic)));
        let mut gap = f.clone();
        gap.measured[0].seq = 3;
        assert!(matches!(
            write_flow_to(&gap, &mut Vec::new()),
            Err(FlowFileError::Sequence { .. })
        ));
    }
}
