//! `compare DIR_A DIR_B [--outputs]`: where two journals part.
//!
//! What it owns:
//! - Inputs (the default): both journals read side by side from their first
//!   record; the first sequence number at which the records differ (seq,
//!   timestamp or payload bytes), or at which one journal ends and the other
//!   goes on, is the first difference.
//! - Outputs (`--outputs`): both journals replayed from scratch in lockstep;
//!   the first sequence whose events, as printed by `events`, differ is the
//!   first difference (inputs may differ without their outputs differing).
//!   When every output agrees, the final state hashes must agree too.
//! - The answer on stdout, one line:
//!   `{"identical":true,"records":N}` (exit 0), or
//!   `{"first_difference":SEQ,"why":"...","records_equal":N,"a":..,"b":..}`
//!   with what each side holds there (exit 1). Torn tails are warned about
//!   and compared as ends.
//!
//! What it must never do: write to either directory, compare past damage
//! (a damaged journal is an error, exit 1, naming it), or call two journals
//! identical when one holds a record the other lacks.

use crate::datadir::{self, DataDir};
use crate::error::Failure;
use crate::output::{hash_hex, push_event_line, Obj};
use crate::progress::Progress;
use crate::Ctx;
use engine::{decode_command, Engine, EngineLimits, Event};
use journal::{JournalError, JournalReader};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use wire::json::encode_command_json;

#[derive(Debug, Clone)]
pub struct CompareArgs {
    pub a: PathBuf,
    pub b: PathBuf,
    pub outputs: bool,
}

pub fn command(args: &CompareArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let a = datadir::open(&args.a)?;
    let b = datadir::open(&args.b)?;
    let verdict = if args.outputs {
        compare_outputs(&a, &b, ctx)?
    } else {
        compare_inputs(&a, &b, ctx)?
    };
    writeln!(out, "{}", verdict.line)?;
    match verdict.first_difference {
        None => Ok(()),
        Some(seq) => Err(Failure::Different(match seq {
            Some(seq) => format!("the journals differ at seq {seq}"),
            None => "the journals' outputs agree but their final states differ".into(),
        })),
    }
}

struct Verdict {
    line: String,
    /// `None`: identical. `Some(None)`: outputs agree, states differ.
    first_difference: Option<Option<u64>>,
}

fn damaged(which: &str, dir: &DataDir, e: JournalError) -> Failure {
    let f = Failure::from(e);
    let msg = format!("journal {which} ({}): {f}", dir.path().display());
    match f {
        Failure::Io(_) => Failure::Io(msg),
        _ => Failure::Damage(msg),
    }
}

fn warn_torn(which: &str, r: &JournalReader, ctx: &Ctx) {
    if let Some(t) = r.torn_tail() {
        ctx.warn(format_args!("journal {which} ends with a {t}"));
    }
}

/// A command's JSON (or why it cannot be shown) from a record's payload.
fn command_json(payload: &[u8]) -> String {
    match decode_command(payload) {
        Ok((cmd, _)) => {
            let mut s = String::new();
            encode_command_json(&cmd, &mut s);
            s
        }
        Err(e) => Value::from(format!("undecodable payload: {e}")).to_string(),
    }
}

fn identical(records: u64) -> Verdict {
    Verdict {
        line: Obj::new()
            .field("identical", true)
            .field("records", records)
            .finish(),
        first_difference: None,
    }
}

fn compare_inputs(a: &DataDir, b: &DataDir, ctx: &Ctx) -> Result<Verdict, Failure> {
    let mut ra = journal::read_records(a.path(), 0).map_err(|e| damaged("A", a, e))?;
    let mut rb = journal::read_records(b.path(), 0).map_err(|e| damaged("B", b, e))?;
    let mut equal = 0u64;
    loop {
        let x = match ra.next_raw() {
            None => None,
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => return Err(damaged("A", a, e)),
        };
        let y = match rb.next_raw() {
            None => None,
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => return Err(damaged("B", b, e)),
        };
        let (seq, why, ja, jb) = match (x, y) {
            (None, None) => break,
            (Some(x), Some(y)) if x == y => {
                equal += 1;
                continue;
            }
            (Some(x), Some(y)) => {
                let why = if x.seq != y.seq {
                    format!("A has seq {} where B has seq {}", x.seq, y.seq)
                } else if x.ts_ns != y.ts_ns {
                    "timestamps differ".to_string()
                } else {
                    "commands differ".to_string()
                };
                let (ja, jb) = (command_json(x.payload), command_json(y.payload));
                (x.seq.min(y.seq), why, ja, jb)
            }
            (Some(x), None) => (
                x.seq,
                format!("B ends at seq {}", x.seq - 1),
                command_json(x.payload),
                "null".to_string(),
            ),
            (None, Some(y)) => (
                y.seq,
                format!("A ends at seq {}", y.seq - 1),
                "null".to_string(),
                command_json(y.payload),
            ),
        };
        warn_torn("A", &ra, ctx);
        warn_torn("B", &rb, ctx);
        let line = Obj::new()
            .field("first_difference", seq)
            .field("why", why)
            .field("records_equal", equal)
            .raw("a", &ja)
            .raw("b", &jb)
            .finish();
        return Ok(Verdict {
            line,
            first_difference: Some(Some(seq)),
        });
    }
    warn_torn("A", &ra, ctx);
    warn_torn("B", &rb, ctx);
    Ok(identical(equal))
}

/// The JSON array of the lines `events` prints for one input.
fn events_json(lines: &str) -> String {
    let mut s = String::from("[");
    for (i, l) in lines.lines().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(l);
    }
    s.push(']');
    s
}

/// Applies one record to `engine` and leaves its event lines in `text`.
fn derive(
    which: &str,
    rec: &journal::Record,
    engine: &mut Engine,
    events: &mut Vec<Event>,
    text: &mut String,
) -> Result<(), Failure> {
    events.clear();
    text.clear();
    engine.apply(&rec.command, events).map_err(|e| {
        Failure::Damage(format!(
            "journal {which}: the engine refused the input at seq {}: {e}",
            rec.seq
        ))
    })?;
    for ev in events.iter() {
        push_event_line(ev, rec.seq, engine.directory(), text);
    }
    Ok(())
}

fn compare_outputs(a: &DataDir, b: &DataDir, ctx: &Ctx) -> Result<Verdict, Failure> {
    let mut ra = journal::read_records(a.path(), 1).map_err(|e| damaged("A", a, e))?;
    let mut rb = journal::read_records(b.path(), 1).map_err(|e| damaged("B", b, e))?;
    let (mut ea, mut eb) = (
        Engine::new(EngineLimits::default()),
        Engine::new(EngineLimits::default()),
    );
    let (mut va, mut vb) = (Vec::with_capacity(1024), Vec::with_capacity(1024));
    let (mut ta, mut tb) = (String::new(), String::new());
    let progress = Progress::new(!ctx.quiet, 0, None);
    let mut equal = 0u64;
    let verdict = loop {
        let x = ra.next().transpose().map_err(|e| damaged("A", a, e))?;
        let y = rb.next().transpose().map_err(|e| damaged("B", b, e))?;
        let (seq, why, ja, jb) = match (x, y) {
            (None, None) => break None,
            (Some(x), Some(y)) => {
                derive("A", &x, &mut ea, &mut va, &mut ta)?;
                derive("B", &y, &mut eb, &mut vb, &mut tb)?;
                if ta == tb {
                    equal += 1;
                    if equal & Progress::EVERY_MASK == 0 {
                        progress.set(equal);
                    }
                    continue;
                }
                (
                    x.seq,
                    "outputs differ".to_string(),
                    events_json(&ta),
                    events_json(&tb),
                )
            }
            (Some(x), None) => {
                derive("A", &x, &mut ea, &mut va, &mut ta)?;
                let why = format!("B ends at seq {}", x.seq - 1);
                (x.seq, why, events_json(&ta), "null".to_string())
            }
            (None, Some(y)) => {
                derive("B", &y, &mut eb, &mut vb, &mut tb)?;
                let why = format!("A ends at seq {}", y.seq - 1);
                (y.seq, why, "null".to_string(), events_json(&tb))
            }
        };
        let line = Obj::new()
            .field("first_difference", seq)
            .field("why", why)
            .field("records_equal", equal)
            .raw("a", &ja)
            .raw("b", &jb)
            .finish();
        break Some((seq, line));
    };
    progress.finish();
    warn_torn("A", &ra, ctx);
    warn_torn("B", &rb, ctx);
    if let Some((seq, line)) = verdict {
        return Ok(Verdict {
            line,
            first_difference: Some(Some(seq)),
        });
    }
    let (ha, hb) = (ea.state_hash(), eb.state_hash());
    if ha != hb {
        let line = Obj::new()
            .field("first_difference", Value::Null)
            .field("why", "every output agrees but the final states differ")
            .field("records_equal", equal)
            .field("state_hash_a", hash_hex(&ha))
            .field("state_hash_b", hash_hex(&hb))
            .finish();
        return Ok(Verdict {
            line,
            first_difference: Some(None),
        });
    }
    Ok(identical(equal))
}
