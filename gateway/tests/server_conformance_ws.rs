//! Every conformance scenario, played on a running `ringex` over the
//! WebSocket API (one connection per user, logged in with that user's key),
//! must pass the same checks as the in-process run and give the same result.
//!
//! Scenario folders: `../shared/conformance` (relative to the repository
//! root; a notice says so when it is absent), the project's own
//! `gateway/tests/scenarios`, and the folders named in
//! `RINGEX_CONFORMANCE_DIR` (colon-separated), like the in-process runner.
//! Each scenario gets a fresh server on a fresh temp dir.

mod e2e;

use e2e::scenario::WsTarget;
use engine::EngineLimits;
use std::io::Write;
use std::path::{Path, PathBuf};
use testkit::conformance::{run_scenario, EngineTarget, Scenario};

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no *.json", dir.display());
    files
}

fn scenario_files() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let shared = manifest.join("../../shared/conformance");
    if shared.is_dir() {
        files.extend(json_files(&shared));
    } else {
        // Written to the process's stderr directly: visible even when the
        // test harness captures output.
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: ../shared/conformance not found: the shared conformance scenarios are \
             skipped; playing only gateway/tests/scenarios over WebSocket"
        );
    }
    files.extend(json_files(&manifest.join("tests/scenarios")));
    if let Ok(dirs) = std::env::var("RINGEX_CONFORMANCE_DIR") {
        for d in dirs.split(':').filter(|d| !d.is_empty()) {
            files.extend(json_files(Path::new(d)));
        }
    }
    files
}

#[test]
fn every_conformance_scenario_passes_over_websocket() {
    let files = scenario_files();
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read scenario");
        let sc = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let in_process = run_scenario(&sc, &mut EngineTarget::new(EngineLimits::default()));
        let (_dir, srv) = e2e::start_fresh("");
        let mut target = WsTarget::new(&srv);
        let over_ws = run_scenario(&sc, &mut target);
        drop(target);
        let verdict = match (&in_process, &over_ws) {
            (Ok(a), Ok(b)) if a == b => Ok(format!(
                "{} step(s), {} event(s) checked",
                b.steps, b.events_checked
            )),
            (Ok(a), Ok(b)) => Err(format!("in-process {a:?}, over WebSocket {b:?}")),
            (_, Err(e)) => Err(format!(
                "over WebSocket: {e}\n  server output (last lines):\n{}",
                srv.log_last(30)
            )),
            (Err(e), Ok(_)) => Err(format!("passes over WebSocket but fails in-process: {e}")),
        };
        match verdict {
            Ok(summary) => println!("PASS {} ({summary})", sc.name),
            Err(why) => {
                println!("FAIL {}: {why}", sc.name);
                failures.push(format!("{}: {why}", sc.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenario(s) failed over WebSocket:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
