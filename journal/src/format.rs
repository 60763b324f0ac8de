//! Byte layouts of segment headers and record frames, and the pure functions
//! that read and write them. No I/O happens here.
//!
//! What holds:
//! - Segment header (64 bytes, little-endian): `magic "RINGEXJ1"`, `version:
//!   u32`, `header_len: u32` (= 64), `first_seq: u64`, `segment_bytes: u64`,
//!   `crc32c(bytes 0..32): u32`, zeros to byte 64.
//! - Record frame at an 8-aligned offset: `len: u32` (payload bytes, 1..=
//!   [`PAYLOAD_MAX`]), `crc32c: u32` over `seq, ts_ns, payload`, `seq: u64`,
//!   `ts_ns: u64`, payload, zero padding to the next multiple of 8.
//! - A zero length word ends the written data of a segment; every byte from
//!   there to the end of the segment is zero. A segment also ends where less
//!   than a frame header of room is left.
//!
//! What it must never do: accept a frame whose checksum or bounds are wrong,
//! or read outside the slice it is given.

use crate::error::Defect;

pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"RINGEXJ1";
/// Version of the segment and record layout written by this crate.
pub const FORMAT_VERSION: u32 = 1;
/// Size of the segment header; the first record starts here.
pub const SEGMENT_HEADER_LEN: usize = 64;
/// Size of a record frame's fixed part (`len`, `crc`, `seq`, `ts_ns`).
pub const FRAME_HEADER_LEN: usize = 24;
/// Largest payload a record may carry: an encoded [`engine::Command`].
pub const PAYLOAD_MAX: usize = engine::COMMAND_BYTES_MAX;
/// Granularity of prefaulting and of zero scans (the smallest common page).
pub(crate) const PAGE: usize = 4096;

/// Bytes a record with `payload_len` payload bytes occupies, padding included.
#[inline]
pub const fn frame_len(payload_len: usize) -> usize {
    FRAME_HEADER_LEN + ((payload_len + 7) & !7)
}

#[inline]
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

#[inline]
fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// The decoded header of a segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub first_seq: u64,
    pub segment_bytes: u64,
}

impl SegmentHeader {
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut h = [0u8; SEGMENT_HEADER_LEN];
        h[0..8].copy_from_slice(&SEGMENT_MAGIC);
        h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(SEGMENT_HEADER_LEN as u32).to_le_bytes());
        h[16..24].copy_from_slice(&self.first_seq.to_le_bytes());
        h[24..32].copy_from_slice(&self.segment_bytes.to_le_bytes());
        let crc = crc32c::crc32c(&h[0..32]);
        h[32..36].copy_from_slice(&crc.to_le_bytes());
        h
    }

    /// Decodes and checks a header; `b` is the start of the file.
    pub fn decode(b: &[u8]) -> Result<SegmentHeader, Defect> {
        if b.len() < SEGMENT_HEADER_LEN {
            return Err(Defect::SegmentHeader("file shorter than the header"));
        }
        if b[0..8] != SEGMENT_MAGIC {
            return Err(Defect::SegmentHeader("bad magic"));
        }
        if u32_at(b, 32) != crc32c::crc32c(&b[0..32]) {
            return Err(Defect::SegmentHeader("header checksum mismatch"));
        }
        if u32_at(b, 8) != FORMAT_VERSION {
            return Err(Defect::SegmentHeader("unsupported format version"));
        }
        if u32_at(b, 12) as usize != SEGMENT_HEADER_LEN {
            return Err(Defect::SegmentHeader("unexpected header length"));
        }
        let h = SegmentHeader {
            first_seq: u64_at(b, 16),
            segment_bytes: u64_at(b, 24),
        };
        if h.first_seq == 0 {
            return Err(Defect::SegmentHeader("first seq is 0"));
        }
        if (h.segment_bytes as usize) < SEGMENT_HEADER_LEN + frame_len(PAYLOAD_MAX)
            || h.segment_bytes & 7 != 0
        {
            return Err(Defect::SegmentHeader("implausible segment size"));
        }
        Ok(h)
    }
}

/// What [`parse_frame`] found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// An intact frame; `next` is the offset of the following one.
    Frame {
        seq: u64,
        ts_ns: u64,
        payload: std::ops::Range<usize>,
        next: usize,
    },
    /// The clean end of this segment's data: the rest is zero (or too small
    /// for a frame and zero).
    End,
    Bad(Defect),
}

/// Parses the frame at `off` (8-aligned, at least [`SEGMENT_HEADER_LEN`]).
/// `bytes` is what the file holds; `segment_bytes` is the size the header
/// declares (`bytes` is shorter when the file was truncated).
pub(crate) fn parse_frame(bytes: &[u8], segment_bytes: usize, off: usize) -> Parsed {
    let avail = bytes.len();
    debug_assert!(avail <= segment_bytes && off & 7 == 0);
    let truncated = Defect::Truncated {
        file_len: avail as u64,
        segment_bytes: segment_bytes as u64,
    };
    if off + FRAME_HEADER_LEN > avail {
        if avail < segment_bytes {
            return Parsed::Bad(truncated);
        }
        // Less than a frame header of room left: the segment is full.
        return match first_nonzero(&bytes[off..]) {
            Some(nz) => Parsed::Bad(Defect::GarbageAfterEnd {
                at: (off + nz) as u64,
            }),
            None => Parsed::End,
        };
    }
    let len = u32_at(bytes, off);
    if len == 0 {
        return match first_nonzero(&bytes[off..]) {
            Some(nz) => Parsed::Bad(Defect::GarbageAfterEnd {
                at: (off + nz) as u64,
            }),
            None if avail < segment_bytes => Parsed::Bad(truncated),
            None => Parsed::End,
        };
    }
    let body_end = off + FRAME_HEADER_LEN + len as usize;
    if len as usize > PAYLOAD_MAX || body_end > segment_bytes {
        return Parsed::Bad(Defect::Length { len });
    }
    if body_end > avail {
        return Parsed::Bad(truncated);
    }
    let stored = u32_at(bytes, off + 4);
    let computed = crc32c::crc32c(&bytes[off + 8..body_end]);
    if stored != computed {
        return Parsed::Bad(Defect::Checksum { stored, computed });
    }
    Parsed::Frame {
        seq: u64_at(bytes, off + 8),
        ts_ns: u64_at(bytes, off + 16),
        payload: off + FRAME_HEADER_LEN..body_end,
        next: (off + frame_len(len as usize)).min(segment_bytes),
    }
}

/// Writes one frame into `dst`, which must be exactly
/// `frame_len(payload.len())` bytes. The length word is written last.
pub(crate) fn write_frame(dst: &mut [u8], seq: u64, ts_ns: u64, payload: &[u8]) {
    debug_assert_eq!(dst.len(), frame_len(payload.len()));
    let body_end = FRAME_HEADER_LEN + payload.len();
    dst[8..16].copy_from_slice(&seq.to_le_bytes());
    dst[16..24].copy_from_slice(&ts_ns.to_le_bytes());
    dst[FRAME_HEADER_LEN..body_end].copy_from_slice(payload);
    dst[body_end..].fill(0);
    let crc = crc32c::crc32c(&dst[8..body_end]);
    dst[4..8].copy_from_slice(&crc.to_le_bytes());
    dst[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
}

static ZEROS: [u8; PAGE] = [0; PAGE];

/// Index of the first non-zero byte of `b`.
pub(crate) fn first_nonzero(b: &[u8]) -> Option<usize> {
    let mut base = 0;
    for chunk in b.chunks(PAGE) {
        if chunk != &ZEROS[..chunk.len()] {
            return chunk.iter().position(|&x| x != 0).map(|i| base + i);
        }
        base += chunk.len();
    }
    None
}

/// Index one past the last non-zero byte of `b` (0 when all zero).
pub(crate) fn nonzero_end(b: &[u8]) -> usize {
    let mut end = b.len();
    while end > 0 {
        let start = end.saturating_sub(PAGE);
        let chunk = &b[start..end];
        if chunk != &ZEROS[..chunk.len()] {
            return start + chunk.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
        }
        end = start;
    }
    0
}

/// Looks for any intact frame at an 8-aligned offset at or after `from`;
/// returns its offset and sequence number. Used to tell a torn tail (nothing
/// valid follows) from damage in the middle (something does).
pub(crate) fn find_frame(bytes: &[u8], from: usize) -> Option<(usize, u64)> {
    let mut q = (from + 7) & !7;
    while q + FRAME_HEADER_LEN <= bytes.len() {
        if bytes[q..q + 8] == [0u8; 8] {
            let nz = first_nonzero(&bytes[q..])?;
            q = (q + nz) & !7;
            continue;
        }
        let len = u32_at(bytes, q) as usize;
        let body_end = q + FRAME_HEADER_LEN + len;
        if len != 0
            && len <= PAYLOAD_MAX
            && body_end <= bytes.len()
            && u32_at(bytes, q + 4) == crc32c::crc32c(&bytes[q + 8..body_end])
        {
            return Some((q, u64_at(bytes, q + 8)));
        }
        q += 8;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment_with(records: &[(u64, &[u8])], size: usize) -> Vec<u8> {
        let mut b = vec![0u8; size];
        b[..SEGMENT_HEADER_LEN].copy_from_slice(
            &SegmentHeader {
                first_seq: records[0].0,
                segment_bytes: size as u64,
            }
            .encode(),
        );
        let mut off = SEGMENT_HEADER_LEN;
        for (seq, p) in records {
            let n = frame_len(p.len());
            write_frame(&mut b[off..off + n], *seq, seq * 10, p);
            off += n;
        }
        b
    }

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let h = SegmentHeader {
            first_seq: 42,
            segment_bytes: 65536,
        };
        let mut b = h.encode();
        assert_eq!(SegmentHeader::decode(&b), Ok(h));
        for i in 0..36 {
            b[i] ^= 0x40;
            assert!(SegmentHeader::decode(&b).is_err(), "flip at {i} accepted");
            b[i] ^= 0x40;
        }
        assert!(SegmentHeader::decode(&b[..63]).is_err());
    }

    #[test]
    fn frames_parse_in_order_then_end() {
        let b = segment_with(&[(1, b"abc"), (2, &[7u8; 8]), (3, &[9u8; 100])], 4096);
        let mut off = SEGMENT_HEADER_LEN;
        for (want, plen) in [(1u64, 3usize), (2, 8), (3, 100)] {
            match parse_frame(&b, 4096, off) {
                Parsed::Frame {
                    seq,
                    ts_ns,
                    payload,
                    next,
                } => {
                    assert_eq!((seq, ts_ns, payload.len()), (want, want * 10, plen));
                    assert_eq!(next % 8, 0);
                    off = next;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(parse_frame(&b, 4096, off), Parsed::End);
    }

    #[test]
    fn damage_is_classified() {
        let mut b = segment_with(&[(1, b"hello")], 4096);
        let at = SEGMENT_HEADER_LEN;
        b[at + 26] ^= 1;
        assert!(matches!(
            parse_frame(&b, 4096, at),
            Parsed::Bad(Defect::Checksum { .. })
        ));
        b[at + 26] ^= 1;
        b[at..at + 4].copy_from_slice(&(PAYLOAD_MAX as u32 + 1).to_le_bytes());
        assert!(matches!(
            parse_frame(&b, 4096, at),
            Parsed::Bad(Defect::Length { .. })
        ));
        b[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            parse_frame(&b, 4096, at),
            Parsed::Bad(Defect::GarbageAfterEnd { .. })
        ));
        // A file cut short inside a frame.
        let b = segment_with(&[(1, b"hello")], 4096);
        assert!(matches!(
            parse_frame(&b[..80], 4096, at),
            Parsed::Bad(Defect::Truncated { .. })
        ));
        // A file cut short exactly at the end of data.
        assert!(matches!(
            parse_frame(&b[..96], 4096, 96),
            Parsed::Bad(Defect::Truncated { .. })
        ));
    }

    #[test]
    fn end_of_space_is_a_clean_end() {
        let b = vec![0u8; 4096];
        assert_eq!(parse_frame(&b, 4096, 4096 - 16), Parsed::End);
        assert_eq!(parse_frame(&b, 4096, 4096), Parsed::End);
    }

    #[test]
    fn zero_scans() {
        let mut b = vec![0u8; 3 * PAGE + 5];
        assert_eq!(first_nonzero(&b), None);
        assert_eq!(nonzero_end(&b), 0);
        b[PAGE + 7] = 1;
        b[2 * PAGE + 1] = 1;
        assert_eq!(first_nonzero(&b), Some(PAGE + 7));
        assert_eq!(nonzero_end(&b), 2 * PAGE + 2);
    }

    #[test]
    fn find_frame_skips_garbage_and_zeros() {
        let b = segment_with(&[(5, b"payload!"), (6, b"x")], 8192);
        assert_eq!(find_frame(&b, 0), Some((SEGMENT_HEADER_LEN, 5)));
        assert_eq!(
            find_frame(&b, SEGMENT_HEADER_LEN + 1),
            Some((SEGMENT_HEADER_LEN + 32, 6))
        );
        assert_eq!(find_frame(&b, SEGMENT_HEADER_LEN + 40), None);
    }
}
