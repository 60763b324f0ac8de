//! Reading the journal back: every record checked, in sequence order.
//!
//! What holds:
//! - A record is handed out only if its frame is intact (bounds, crc32c) and
//!   its sequence number is exactly one more than the previous record's,
//!   across segment boundaries too; decoded records are also checked to
//!   decode completely to a [`Command`] carrying the frame's `seq` and `ts_ns`.
//! - When reading stops at damage, the reader looks past it: if anything
//!   valid follows (later in the segment or in a later segment) the damage is
//!   in the middle and is returned as [`JournalError::Corrupt`] naming the
//!   sequence number; if nothing does, it is a torn tail, iteration simply
//!   ends, and [`JournalReader::torn_tail`] describes it.
//!
//! What it must never do: write to the journal, skip a damaged record and go
//! on, or hand out a record after an error.

use crate::error::{Defect, JournalError, Result, TornTail};
use crate::format::{
    find_frame, parse_frame, Parsed, SegmentHeader, FRAME_HEADER_LEN, SEGMENT_HEADER_LEN,
};
use crate::segment::{list_segments, map_read, SegmentFile};
use engine::{decode_command, Command};
use memmap2::Mmap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One journaled command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub ts_ns: u64,
    pub command: Command,
}

/// One record as framed, payload not decoded; borrows the reader's mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRecord<'a> {
    pub seq: u64,
    pub ts_ns: u64,
    pub payload: &'a [u8],
}

/// What a walk over the journal found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Intact records read.
    pub records: u64,
    /// Segment files visited.
    pub segments: usize,
    /// First and last sequence numbers of the intact records (`None`: no records).
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Bytes of intact record frames, padding included (headers and free
    /// space excluded).
    pub bytes: u64,
    /// A torn tail after the last intact record, if there is one.
    pub torn_tail: Option<TornTail>,
}

struct Frame {
    seq: u64,
    ts_ns: u64,
    payload: Range<usize>,
    offset: usize,
}

struct Current {
    map: Mmap,
    /// Bytes of the file that belong to the segment (less than `size` when
    /// the file was cut short).
    avail: usize,
    size: usize,
    first_seq: u64,
}

/// Reads and verifies the journal in a data directory; iterate it for
/// decoded [`Record`]s, or call [`JournalReader::next_raw`] for frames.
pub struct JournalReader {
    segs: Vec<SegmentFile>,
    idx: usize,
    cur: Option<Current>,
    off: usize,
    expected: Option<u64>,
    from_seq: u64,
    checked_start: bool,
    done: bool,
    summary: Summary,
    end: Option<(usize, usize)>,
}

/// Opens the journal of data directory `dir` for reading, yielding records
/// with `seq >= from_seq`. `from_seq == 0` means from the first record there
/// is; otherwise a journal that starts after `from_seq` is an error
/// ([`JournalError::Missing`]). Whole segments before the one holding
/// `from_seq` are not read (and so not verified).
pub fn read_records(dir: impl AsRef<Path>, from_seq: u64) -> Result<JournalReader> {
    JournalReader::open_journal_dir(&crate::journal_dir(dir.as_ref()), from_seq)
}

/// Reads the whole journal of data directory `dir`, verifying every frame,
/// the sequence, and that every payload decodes to its [`Command`]. A torn
/// tail is not an error: it is reported in [`Summary::torn_tail`].
pub fn verify(dir: impl AsRef<Path>) -> Result<Summary> {
    let mut r = read_records(dir, 0)?;
    for rec in &mut r {
        rec?;
    }
    Ok(r.summary)
}

/// Like [`verify`] without decoding payloads (for journals of opaque payloads
/// written with [`crate::JournalWriter::append_raw`]).
pub fn verify_framing(dir: impl AsRef<Path>) -> Result<Summary> {
    let mut r = read_records(dir, 0)?;
    while let Some(rec) = r.next_raw() {
        rec?;
    }
    Ok(r.summary)
}

impl JournalReader {
    pub(crate) fn open_journal_dir(journal_dir: &Path, from_seq: u64) -> Result<JournalReader> {
        let segs = list_segments(journal_dir)?;
        let idx = segs
            .iter()
            .rposition(|s| s.name_seq <= from_seq)
            .unwrap_or(0);
        Ok(JournalReader {
            segs,
            idx,
            cur: None,
            off: 0,
            expected: None,
            from_seq,
            checked_start: false,
            done: false,
            summary: Summary::default(),
            end: None,
        })
    }

    /// The next intact record, undecoded.
    pub fn next_raw(&mut self) -> Option<Result<RawRecord<'_>>> {
        let f = match self.advance()? {
            Ok(f) => f,
            Err(e) => return Some(Err(e)),
        };
        let cur = self.cur.as_ref()?;
        Some(Ok(RawRecord {
            seq: f.seq,
            ts_ns: f.ts_ns,
            payload: &cur.map[f.payload],
        }))
    }

    /// What has been read so far (everything, once iteration has ended).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The torn tail reading stopped at, once iteration has ended.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.summary.torn_tail.as_ref()
    }

    /// The sequence number the journal continues with after what has been
    /// read (`None` until a segment has been opened).
    pub fn next_seq(&self) -> Option<u64> {
        self.expected
    }

    /// Where the record after the last one read starts, as a cut point: its
    /// segment, its offset there, and the later segments (every record from
    /// that point on). `None` before anything was read.
    pub(crate) fn cut_point(&self) -> Option<(PathBuf, usize, Vec<PathBuf>)> {
        self.cur.as_ref()?;
        let seg = self.segs.get(self.idx)?;
        let later = self.segs[self.idx + 1..]
            .iter()
            .map(|s| s.path.clone())
            .collect();
        Some((seg.path.clone(), self.off, later))
    }

    /// Where the intact data ends: the last segment that ended cleanly and
    /// the offset of its end-of-data marker.
    pub(crate) fn clean_end(&self) -> Option<(&Path, usize)> {
        self.end.map(|(i, off)| (self.segs[i].path.as_path(), off))
    }

    fn advance(&mut self) -> Option<Result<Frame>> {
        loop {
            if self.done {
                return None;
            }
            if self.cur.is_none() {
                if self.idx >= self.segs.len() {
                    self.done = true;
                    return None;
                }
                let cur = match self.open_segment(self.idx) {
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                    Ok(Err(defect)) => return self.damaged(0, defect),
                    Ok(Ok(cur)) => cur,
                };
                self.summary.segments += 1;
                let first = cur.first_seq;
                self.cur = Some(cur);
                self.off = SEGMENT_HEADER_LEN;
                match self.expected {
                    Some(expected) if expected != first => {
                        return self.damaged(
                            0,
                            Defect::SegmentStart {
                                expected,
                                found: first,
                            },
                        )
                    }
                    Some(_) => {}
                    None => self.expected = Some(first),
                }
            }
            let cur = self.cur.as_ref().expect("segment mapped above");
            match parse_frame(&cur.map[..cur.avail], cur.size, self.off) {
                Parsed::End => {
                    self.end = Some((self.idx, self.off));
                    self.cur = None;
                    self.idx += 1;
                }
                Parsed::Bad(defect) => return self.damaged(self.off, defect),
                Parsed::Frame {
                    seq,
                    ts_ns,
                    payload,
                    next,
                } => {
                    let expected = self.expected.expect("set when the segment was opened");
                    if seq != expected {
                        return self.damaged(
                            self.off,
                            Defect::SeqDiscontinuity {
                                expected,
                                found: seq,
                            },
                        );
                    }
                    let offset = self.off;
                    self.off = next;
                    self.expected = Some(expected + 1);
                    let s = &mut self.summary;
                    s.records += 1;
                    s.bytes += (next - offset) as u64;
                    s.first_seq.get_or_insert(seq);
                    s.last_seq = Some(seq);
                    if !self.checked_start {
                        self.checked_start = true;
                        if self.from_seq > 0 && seq > self.from_seq {
                            self.done = true;
                            return Some(Err(JournalError::Missing {
                                wanted: self.from_seq,
                                first: seq,
                            }));
                        }
                    }
                    if seq >= self.from_seq {
                        return Some(Ok(Frame {
                            seq,
                            ts_ns,
                            payload,
                            offset,
                        }));
                    }
                }
            }
        }
    }

    fn open_segment(&self, idx: usize) -> Result<Result<Current, Defect>> {
        let seg = &self.segs[idx];
        let file = File::open(&seg.path).map_err(|e| JournalError::io("opening", &seg.path, e))?;
        let len = file
            .metadata()
            .map_err(|e| JournalError::io("reading metadata of", &seg.path, e))?
            .len();
        if len < SEGMENT_HEADER_LEN as u64 {
            return Ok(Err(Defect::SegmentHeader("file shorter than the header")));
        }
        let map = map_read(&file, &seg.path)?;
        let h = match SegmentHeader::decode(&map) {
            Ok(h) => h,
            Err(d) => return Ok(Err(d)),
        };
        if h.first_seq != seg.name_seq {
            return Ok(Err(Defect::SegmentName {
                name_seq: seg.name_seq,
                header_seq: h.first_seq,
            }));
        }
        if len > h.segment_bytes {
            return Ok(Err(Defect::SegmentHeader(
                "file longer than its segment size",
            )));
        }
        Ok(Ok(Current {
            map,
            avail: len as usize,
            size: h.segment_bytes as usize,
            first_seq: h.first_seq,
        }))
    }

    /// Stops reading at damage in segment `self.idx` at `off`, deciding
    /// between a torn tail and damage in the middle.
    fn damaged(&mut self, off: usize, defect: Defect) -> Option<Result<Frame>> {
        self.done = true;
        let idx = self.idx;
        let segment = self.segs[idx].path.clone();
        let next_valid = match &defect {
            Defect::SeqDiscontinuity { found, .. } => Some(*found),
            _ => match self.find_valid_after(idx, off) {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            },
        };
        let seq = self.expected.unwrap_or(self.segs[idx].name_seq);
        match next_valid {
            Some(n) => Some(Err(JournalError::Corrupt {
                segment,
                offset: off as u64,
                seq,
                defect,
                next_valid_seq: Some(n),
            })),
            None => {
                self.summary.torn_tail = Some(TornTail {
                    segment,
                    offset: off as u64,
                    last_good_seq: self
                        .expected
                        .and_then(|e| e.checked_sub(1))
                        .filter(|&s| s > 0),
                    defect,
                    later_segments: self.segs[idx + 1..]
                        .iter()
                        .map(|s| s.path.clone())
                        .collect(),
                });
                None
            }
        }
    }

    /// Sequence number of the first intact frame after `off` in segment
    /// `idx` or anywhere in a later segment.
    fn find_valid_after(&self, idx: usize, off: usize) -> Result<Option<u64>> {
        let from = if off < SEGMENT_HEADER_LEN {
            SEGMENT_HEADER_LEN
        } else {
            off + 8
        };
        if let Some(seq) = self.search_segment(idx, from)? {
            return Ok(Some(seq));
        }
        for j in idx + 1..self.segs.len() {
            if let Some(seq) = self.search_segment(j, SEGMENT_HEADER_LEN)? {
                return Ok(Some(seq));
            }
        }
        Ok(None)
    }

    fn search_segment(&self, j: usize, from: usize) -> Result<Option<u64>> {
        if j == self.idx {
            if let Some(cur) = &self.cur {
                return Ok(find_frame(&cur.map[..cur.avail], from).map(|(_, s)| s));
            }
        }
        let path: &PathBuf = &self.segs[j].path;
        let file = File::open(path).map_err(|e| JournalError::io("opening", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| JournalError::io("reading metadata of", path, e))?
            .len();
        if len < (from + FRAME_HEADER_LEN) as u64 {
            return Ok(None);
        }
        let map = map_read(&file, path)?;
        Ok(find_frame(&map, from).map(|(_, s)| s))
    }
}

impl Iterator for JournalReader {
    type Item = Result<Record>;

    /// The next intact record, decoded.
    fn next(&mut self) -> Option<Result<Record>> {
        let f = match self.advance()? {
            Ok(f) => f,
            Err(e) => return Some(Err(e)),
        };
        let cur = self.cur.as_ref()?;
        let payload = &cur.map[f.payload.clone()];
        let why = match decode_command(payload) {
            Ok((command, used))
                if used == payload.len() && command.seq == f.seq && command.ts_ns == f.ts_ns =>
            {
                return Some(Ok(Record {
                    seq: f.seq,
                    ts_ns: f.ts_ns,
                    command,
                }));
            }
            Ok((command, used)) => format!(
                "decoded {used} of {} bytes, command seq {} ts {} (frame seq {} ts {})",
                payload.len(),
                command.seq,
                command.ts_ns,
                f.seq,
                f.ts_ns
            ),
            Err(e) => e.to_string(),
        };
        self.done = true;
        Some(Err(JournalError::Corrupt {
            segment: self.segs[self.idx].path.clone(),
            offset: f.offset as u64,
            seq: f.seq,
            defect: Defect::Undecodable(why),
            next_valid_seq: None,
        }))
    }
}
