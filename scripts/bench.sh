#!/usr/bin/env bash
# The benchmark suite: builds release, runs every benchmark, then prints a
# markdown summary of the lines this run appended to target/bench-results/.
#
#   scripts/bench.sh            full size (about 5 minutes on 2 cores, plus the build)
#   scripts/bench.sh --quick    smoke run (a few minutes, most of it the build)
#
# Benchmarks (docs/benchmarks.md says what each measures):
#   engine-throughput (mix, deep, lobster, itch; peers side by side),
#   pipeline-latency (both profiles), wire-latency (both profiles, beside a
#   TCP echo), memory, journal-bench, replay-bench, md-fanout, history-bench
#   (SQLite, and PostgreSQL when RINGEX_TEST_PG_URL names a server),
#   replication-bench (on the cluster RINGEX_BENCH_NATS_URLS names, else on a
#   throwaway 3-node one from scripts/nats.sh; skipped with a notice without).
# A benchmark that fails is reported and the others still run; the exit
# status is 1 if any failed.
set -uo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

QUICK=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument $a" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release"

echo "== build (release)" >&2
if ! cargo build --release --workspace --bins; then
  echo "bench.sh: the build failed" >&2
  exit 1
fi

MARK="$(mktemp)"
STARTED_NATS=0
trap 'rm -f "$MARK"; if [[ $STARTED_NATS == 1 ]]; then nats_stop; fi' EXIT
"$BIN/bench-summary" --mark-out "$MARK"

FAILED=()
run() {
  local name="$1"
  shift
  echo "== $name: $*" >&2
  local t0=$SECONDS
  if "$@"; then
    echo "== $name done in $((SECONDS - t0)) s" >&2
  else
    echo "!! $name failed (exit $?)" >&2
    FAILED+=("$name")
  fi
}

# replication-bench: a throwaway cluster unless one is named.
if [[ -z ${RINGEX_BENCH_NATS_URLS:-} ]]; then
  # shellcheck source=scripts/nats.sh
  source scripts/nats.sh
  if nats_start; then
    STARTED_NATS=1
    export RINGEX_BENCH_NATS_URLS=$RINGEX_TEST_NATS_URLS
  else
    echo "bench.sh: no NATS cluster: replication-bench will say so and measure nothing" >&2
  fi
fi

if [[ $QUICK == 1 ]]; then
  run engine-throughput "$BIN/engine-throughput" --flow mix --cmds 100000 --runs 1 --min-cmds 200000
  run engine-throughput-deep "$BIN/engine-throughput" --flow deep --cmds 100000 --runs 1 --min-cmds 0 \
    --deep-symbols 1000 --deep-orders 100000
  run engine-throughput-data "$BIN/engine-throughput" --flow lobster --runs 1 --min-cmds 200000
  run engine-throughput-itch "$BIN/engine-throughput" --flow itch --runs 1 --min-cmds 200000
  run pipeline-latency "$BIN/pipeline-latency" --quick
  run wire-latency "$BIN/wire-latency" --quick
  run memory "$BIN/memory" --quick
  run journal-bench "$BIN/journal-bench" --quick
  run replay-bench "$BIN/replay-bench" --cmds 20000
  run md-fanout "$BIN/md-fanout" --quick
  run history-bench "$BIN/history-bench" --smoke
  run replication-bench "$BIN/replication-bench" --quick
else
  run engine-throughput "$BIN/engine-throughput" --flow all
  run pipeline-latency "$BIN/pipeline-latency"
  run wire-latency "$BIN/wire-latency"
  run memory "$BIN/memory"
  run journal-bench "$BIN/journal-bench"
  run replay-bench "$BIN/replay-bench"
  run md-fanout "$BIN/md-fanout"
  run history-bench "$BIN/history-bench"
  run replication-bench "$BIN/replication-bench"
fi

echo
echo "## Benchmark results ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc 2>/dev/null || echo '?') cores$([[ $QUICK == 1 ]] && echo ', quick'))"
echo
"$BIN/bench-summary" --since-mark "$MARK"
echo "Lines: $TARGET/bench-results/*.jsonl; plots: $TARGET/bench-results/*.svg; percentile distributions: $TARGET/bench-results/hgrm/"

if ((${#FAILED[@]})); then
  echo "bench.sh: failed: ${FAILED[*]}" >&2
  exit 1
fi
