//! Prints the commands the `engine` target decodes from a fuzz input, one
//! per line, up to the one that panics or breaks an invariant:
//! `cargo run --example show_engine -- artifacts/engine/crash-...`.
use engine::{Command, Engine, EngineLimits};

fn main() {
    let path = std::env::args().nth(1).expect("input file");
    let data = std::fs::read(path).expect("read input");
    let Some((_, rest)) = data.split_first() else {
        return;
    };
    let mut kinds = ringex_fuzz::setup();
    let n_setup = kinds.len();
    kinds.extend(ringex_fuzz::commands(
        &mut ringex_fuzz::Bytes::new(rest),
        2000,
    ));
    let mut e = Engine::new(EngineLimits::default());
    let mut out = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        let cmd = Command {
            seq: i as u64 + 1,
            ts_ns: 1_000_000 * (i as u64 + 1),
            kind: *k,
        };
        if i >= n_setup {
            println!("{k:?}");
        }
        out.clear();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| e.apply(&cmd, &mut out)));
        if r.is_err() {
            println!("^ panics");
            return;
        }
        if let Err(err) = e.check_invariants() {
            println!("^ {err}");
            return;
        }
    }
    println!("(no failure)");
}
