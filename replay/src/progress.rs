//! The progress bar of long replays.
//!
//! What it owns: whether a bar is drawn (only when stderr is a terminal and
//! the tool is not quiet) and drawing it on stderr.
//!
//! What it must never do: write to stdout, or cost anything per command when
//! no bar is drawn (callers update it once every [`Progress::EVERY`]
//! commands).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;

/// `template` with `{rate}`: whole commands per second.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} cmds/s", s.per_sec());
        })
}

/// A bar on stderr, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Callers update the bar when `count & EVERY_MASK == 0`.
    pub const EVERY: u64 = 1 << 16;
    pub const EVERY_MASK: u64 = Self::EVERY - 1;

    /// A bar from `start` to `end` (a spinner with a count when `end` is
    /// unknown), drawn only if `enabled` and stderr is a terminal.
    pub fn new(enabled: bool, start: u64, end: Option<u64>) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = match end {
            Some(end) => {
                let bar = ProgressBar::with_draw_target(
                    Some(end.saturating_sub(start)),
                    ProgressDrawTarget::stderr(),
                );
                bar.set_style(style(
                    "{bar:30} {human_pos}/{human_len} cmds  {rate}  eta {eta}",
                ));
                bar
            }
            None => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(style("{spinner} {human_pos} cmds  {rate}  {elapsed}"));
                bar
            }
        };
        Progress { bar: Some(bar) }
    }

    /// No bar.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// `done` commands applied so far.
    #[inline]
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
