//! `dump DIR [--from SEQ] [--to SEQ]`: the journaled inputs as JSON lines.
//!
//! What it owns: printing each record in the range, in order, as the one
//! line `wire::json::encode_command_json` writes (decimals as
//! readable strings, `seq` and `ts` included), which
//! `wire::json::decode_command_json` reads back to the same
//! command. A torn tail ends the dump with a warning (exit 0); damage ends
//! it with an error naming the place (exit 1) after the lines before it.
//!
//! What it must never do: print a record that failed its checks, or
//! anything but input lines on stdout.

use crate::datadir;
use crate::error::Failure;
use crate::Ctx;
use std::io::Write;
use std::path::PathBuf;
use wire::json::encode_command_json;

#[derive(Debug, Clone)]
pub struct DumpArgs {
    pub dir: PathBuf,
    pub from: Option<u64>,
    pub to: Option<u64>,
}

pub fn command(args: &DumpArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    if let (Some(f), Some(t)) = (args.from, args.to) {
        if f > t {
            return Err(Failure::usage(format!("--from {f} is after --to {t}")));
        }
    }
    let dir = datadir::open(&args.dir)?;
    let mut reader = journal::read_records(dir.path(), args.from.unwrap_or(0))?;
    let mut line = String::with_capacity(512);
    let mut last = None;
    for rec in &mut reader {
        let rec = rec?;
        if args.to.is_some_and(|t| rec.seq > t) {
            return Ok(());
        }
        line.clear();
        encode_command_json(&rec.command, &mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        last = Some(rec.seq);
        if args.to == Some(rec.seq) {
            return Ok(());
        }
    }
    if let Some(t) = reader.torn_tail() {
        ctx.warn(format_args!("the journal ends with a {t}"));
    }
    let end = reader.summary().last_seq;
    match (last, args.from, end) {
        (None, Some(f), Some(end)) => ctx.note(format_args!(
            "nothing to print: the journal ends at seq {end}, before --from {f}"
        )),
        (_, _, Some(end)) if args.to.is_some_and(|t| t > end) => ctx.note(format_args!(
            "the journal ends at seq {end}, before --to {}",
            args.to.unwrap_or(end)
        )),
        _ => {}
    }
    Ok(())
}
