#!/usr/bin/env bash
# Throwaway PostgreSQL for the tests. Source it, then:
#
#   source scripts/pg.sh
#   pg_start            # initdb into a temp dir, start on a free 127.0.0.1 port,
#                       # export RINGEX_TEST_PG_URL=postgres://ringex@127.0.0.1:PORT/ringex
#   trap pg_stop EXIT   # stop it and remove the temp dir
#
# Uses Debian's PostgreSQL 15 binaries (PG_BIN overrides the directory).
# PostgreSQL refuses to run as root: as root it runs as the user
# `ringex-pg` (created with useradd when absent). Nothing listens beyond
# the loopback interface, and authentication is `trust` for that user only.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_USER_OS="${PG_USER_OS:-ringex-pg}"

_pg_as() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$PG_USER_OS" -- "$@"
    else
        "$@"
    fi
}

_pg_free_port() {
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

pg_start() {
    if [ ! -x "$PG_BIN/initdb" ]; then
        echo "pg.sh: no PostgreSQL binaries in $PG_BIN; PostgreSQL tests will be skipped" >&2
        return 1
    fi
    if [ "$(id -u)" = 0 ] && ! id "$PG_USER_OS" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_OS" || return 1
    fi
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ringex-pg.XXXXXX")" || return 1
    chmod 700 "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown "$PG_USER_OS" "$PG_DIR"
    PG_PORT="$(_pg_free_port)" || { echo "pg.sh: no free port" >&2; return 1; }
    if ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U ringex --auth=trust \
        --encoding=UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
        echo "pg.sh: initdb failed:" >&2
        cat "$PG_DIR/initdb.log" >&2
        return 1
    fi
    if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" \
        start >/dev/null; then
        echo "pg.sh: PostgreSQL did not start:" >&2
        cat "$PG_DIR/server.log" >&2
        return 1
    fi
    _pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ringex ringex || return 1
    export PG_DIR PG_PORT
    export RINGEX_TEST_PG_URL="postgres://ringex@127.0.0.1:$PG_PORT/ringex"
    echo "pg.sh: PostgreSQL 15 on 127.0.0.1:$PG_PORT ($PG_DIR); RINGEX_TEST_PG_URL=$RINGEX_TEST_PG_URL" >&2
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${PG_DIR:-}" ]; then
        rm -rf "$PG_DIR"
    fi
    unset PG_DIR PG_PORT RINGEX_TEST_PG_URL
}
