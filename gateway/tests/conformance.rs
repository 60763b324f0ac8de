//! Conformance runner (`harness = false`): plays every scenario on a fresh
//! in-process engine through the JSON codec and prints one line per
//! scenario, the first difference of a failure in full, and a last line
//! `N passed, M failed`. Exits non-zero when anything failed.
//!
//! Scenario folders, each sorted by file name:
//! 1. `../shared/conformance` (relative to the repository root); when it is
//!    absent a notice says so and the run goes on;
//! 2. `gateway/tests/scenarios`, the project's own scenarios;
//! 3. every folder named in `RINGEX_CONFORMANCE_DIR` (colon-separated); a
//!    folder that is missing or holds no `*.json` is a failure.
//!
//! An argument that does not start with `-` runs only the scenarios whose
//! file name contains it.

use engine::EngineLimits;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use testkit::conformance::{run_scenario, EngineTarget, Scenario};

/// The last panic's message and location, recorded by the panic hook so that
/// an engine panic shows as one FAIL line instead of a backtrace.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

enum Item {
    File(PathBuf),
    /// A folder problem: (what, why).
    Broken(String, String),
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read the folder: {e}"))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("holds no *.json".into());
    }
    Ok(files)
}

fn add_folder(items: &mut Vec<Item>, label: &str, dir: &Path) {
    match json_files(dir) {
        Ok(files) => items.extend(files.into_iter().map(Item::File)),
        Err(e) => items.push(Item::Broken(label.to_string(), e)),
    }
}

fn run_file(path: &Path) -> (String, Result<String, String>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return (stem, Err(format!("cannot read {}: {e}", path.display()))),
    };
    let sc = match Scenario::from_json(&text) {
        Ok(sc) => sc,
        Err(e) => return (stem, Err(format!("{}: {e}", path.display()))),
    };
    let name = sc.name.clone();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut target = EngineTarget::new(EngineLimits::default());
        run_scenario(&sc, &mut target)
    }));
    let result = match outcome {
        Ok(Ok(pass)) => Ok(format!(
            "{} step(s), {} event(s) checked",
            pass.steps, pass.events_checked
        )),
        Ok(Err(diff)) => Err(diff),
        Err(_) => {
            let msg = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut m| m.take())
                .unwrap_or_else(|| "panicked".into());
            Err(format!("panicked: {msg}"))
        }
    };
    (name, result)
}

fn main() {
    panic::set_hook(Box::new(|info| {
        let msg = match info.payload().downcast_ref::<&str>() {
            Some(s) => (*s).to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "panic".into()),
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(format!("{msg}{at}"));
        }
    }));

    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut items = Vec::new();

    let shared = manifest.join("../../shared/conformance");
    if shared.is_dir() {
        add_folder(&mut items, "../shared/conformance", &shared);
    } else {
        println!("conformance: ../shared/conformance not found, shared scenarios skipped");
    }
    add_folder(
        &mut items,
        "gateway/tests/scenarios",
        &manifest.join("tests/scenarios"),
    );
    if let Ok(dirs) = std::env::var("RINGEX_CONFORMANCE_DIR") {
        for d in dirs.split(':').filter(|d| !d.is_empty()) {
            let label = format!("RINGEX_CONFORMANCE_DIR folder {d}");
            let p = Path::new(d);
            if p.is_dir() {
                add_folder(&mut items, &label, p);
            } else {
                items.push(Item::Broken(label, "not found".into()));
            }
        }
    }

    let (mut passed, mut failed) = (0usize, 0usize);
    for item in items {
        match item {
            Item::Broken(what, why) => {
                println!("FAIL {what}: {why}");
                failed += 1;
            }
            Item::File(path) => {
                let file_name = path.file_name().map(|n| n.to_string_lossy());
                if let (Some(f), Some(n)) = (&filter, &file_name) {
                    if !n.contains(f.as_str()) {
                        continue;
                    }
                }
                match run_file(&path) {
                    (name, Ok(summary)) => {
                        println!("PASS {name} ({summary})");
                        passed += 1;
                    }
                    (name, Err(diff)) => {
                        println!("FAIL {name}: {diff}");
                        failed += 1;
                    }
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
