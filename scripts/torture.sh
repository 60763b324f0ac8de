#!/usr/bin/env bash
# Crash torture: CYCLES (default 100) kill -9s of the real server under load,
# each followed by a restart and the checks described in
# benches/src/bin/torture.rs (nothing acknowledged lost, replay hash equals
# the live hash, no seq missing or repeated). Exits non-zero when anything is
# lost or a check fails. Extra arguments go to the driver (e.g. --seed N,
# --clients 4, --max-run-ms 800).
#
#   scripts/torture.sh            100 cycles
#   scripts/torture.sh 10         what CI runs
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-100}
shift || true
cargo build --release -q -p gateway --bin ringex -p replay --bin ringex-replay -p benches --bin torture
exec target/release/torture --cycles "$cycles" "$@"
