//! `verify DIR`: check everything in a data directory.
//!
//! What it owns: reading every journal record (frame bounds, crc32c,
//! contiguous sequence numbers across segments, payload decodes to the
//! command its frame claims) and every snapshot file (header and payload
//! checksums, the engine accepts the payload, the restored `last_seq` and
//! `state_hash` equal the header's, and the journal reaches its seq), then
//! printing one JSON summary line:
//! `{"ok":..,"records":..,"segments":..,"first_seq":..,"last_seq":..,"bytes":..,"torn_tail":..,"snapshots":[..],"damage":[..]}`.
//! A torn tail is reported (in the line and as a warning) and is not damage:
//! exit 0. Damage (a record in the middle, a snapshot) exits 1 with a
//! message naming the place (segment file, byte offset and seq, or the
//! snapshot file); the summary still covers what was read before it.
//!
//! What it must never do: modify anything (the journal crate cuts torn
//! tails only when a writer opens the journal; this never does), or report
//! success when any check failed.

use crate::datadir;
use crate::error::Failure;
use crate::output::{hash_hex, Obj};
use crate::replay::load_snapshot;
use crate::Ctx;
use journal::JournalError;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct VerifyArgs {
    pub dir: PathBuf,
}

pub fn command(args: &VerifyArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let dir = datadir::open(&args.dir)?;
    let mut damage: Vec<Value> = Vec::new();
    let mut messages: Vec<String> = Vec::new();

    let mut reader = journal::read_records(dir.path(), 0)?;
    let mut journal_intact = true;
    for rec in &mut reader {
        let Err(e) = rec else { continue };
        journal_intact = false;
        match &e {
            JournalError::Io { .. } | JournalError::Config(_) => return Err(e.into()),
            JournalError::Corrupt {
                segment,
                offset,
                seq,
                defect,
                next_valid_seq,
            } => damage.push(json!({
                "segment": segment.display().to_string(),
                "offset": offset,
                "seq": seq,
                "defect": defect.to_string(),
                "next_valid_seq": next_valid_seq,
            })),
            other => damage.push(json!({ "journal": other.to_string() })),
        }
        messages.push(e.to_string());
        break;
    }
    let summary = reader.summary().clone();
    let torn = summary.torn_tail.as_ref().map(|t| {
        ctx.warn(format_args!("the journal ends with a {t}"));
        json!({
            "segment": t.segment.display().to_string(),
            "offset": t.offset,
            "last_good_seq": t.last_good_seq,
            "defect": t.defect.to_string(),
            "later_segments": t.later_segments.len(),
        })
    });

    let mut snapshots: Vec<Value> = Vec::new();
    for (_, path) in journal::snapshot::list(dir.path())? {
        match load_snapshot(&path) {
            Ok((snap, _)) => {
                let beyond = journal_intact && summary.last_seq.unwrap_or(0) < snap.seq;
                if beyond {
                    let why = format!(
                        "covers seq {} but the journal ends at seq {}",
                        snap.seq,
                        summary.last_seq.unwrap_or(0)
                    );
                    messages.push(format!("snapshot {}: {why}", path.display()));
                    damage.push(json!({ "snapshot": path.display().to_string(), "defect": why }));
                }
                snapshots.push(json!({
                    "seq": snap.seq,
                    "path": path.display().to_string(),
                    "state_hash": hash_hex(&snap.state_hash),
                    "ok": !beyond,
                }));
            }
            Err(why) => {
                messages.push(format!("snapshot {}: {why}", path.display()));
                snapshots.push(json!({ "path": path.display().to_string(), "ok": false }));
                damage.push(json!({ "snapshot": path.display().to_string(), "defect": why }));
            }
        }
    }

    let ok = damage.is_empty();
    let line = Obj::new()
        .field("ok", ok)
        .field("records", summary.records)
        .field("segments", summary.segments)
        .field("segment_files", dir.segment_files())
        .field("first_seq", summary.first_seq)
        .field("last_seq", summary.last_seq)
        .field("bytes", summary.bytes)
        .field("torn_tail", torn.unwrap_or(Value::Null))
        .field("snapshots", snapshots)
        .field("damage", damage)
        .finish();
    writeln!(out, "{line}")?;
    if ok {
        ctx.note(format_args!(
            "{} records in {} segment(s) check out",
            summary.records, summary.segments
        ));
        Ok(())
    } else {
        Err(Failure::Damage(messages.join("; ")))
    }
}
