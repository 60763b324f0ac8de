#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60) and
# exits non-zero when any of them crashes (or fails to build).
#
#   scripts/fuzz.sh [SECONDS]          all targets
#   FUZZ_TARGETS="json http" scripts/fuzz.sh 30
#
# Needs the nightly toolchain and cargo-fuzz; without them it says so and
# exits 0. Seeds come from fuzz/corpus/<target>/ (committed, read only); what
# a run discovers goes to fuzz/target/corpus-work/<target>/ and is kept
# between runs. Crashing inputs land in fuzz/artifacts/<target>/. Logs:
# fuzz/target/fuzz-logs/<target>.log. Extra libFuzzer flags: FUZZ_FLAGS.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: no nightly toolchain (cargo +nightly): skipping the fuzz targets"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz is not installed (cargo install cargo-fuzz): skipping the fuzz targets"
    exit 0
fi

cd fuzz
targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
# Debug assertions on (integer overflow is a crash); no sanitizer: the code
# under test is safe Rust, and without ASan a short run does twice the execs.
build_flags=(-a -s "${FUZZ_SANITIZER:-none}")
echo "== fuzz: building ($(cargo +nightly --version))"
if ! cargo +nightly fuzz build "${build_flags[@]}" >target-build.log 2>&1; then
    tail -30 target-build.log
    echo "fuzz: build failed"
    exit 1
fi
rm -f target-build.log
mkdir -p target/fuzz-logs

failed=0
summary=()
for t in $targets; do
    work=target/corpus-work/$t
    mkdir -p "$work" "corpus/$t" "artifacts/$t"
    log=target/fuzz-logs/$t.log
    echo "== fuzz: $t for ${secs}s"
    cargo +nightly fuzz run "${build_flags[@]}" "$t" "$work" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        ${FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    corpus=$(find "$work" -type f | wc -l)
    if [ $rc -ne 0 ]; then
        failed=1
        crash=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 | sed 's/Test unit written to //')
        grep -m1 -A6 -E 'panicked at|ERROR: libFuzzer|deadly signal' "$log" | sed 's/^/   /'
        summary+=("$(printf '%-10s CRASH rc=%s execs=%s cov=%s ft=%s input=%s' "$t" "$rc" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${crash:-?}")")
    else
        summary+=("$(printf '%-10s ok    execs=%s cov=%s ft=%s corpus=%s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus")")
    fi
    echo "${summary[-1]}"
done
echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
