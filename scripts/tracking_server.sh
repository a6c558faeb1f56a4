#!/usr/bin/env bash
# A shared MLflow tracking server on this machine: a PostgreSQL backend store and an
# `mlflow server` that serves the artifacts, both on loopback.
#
#   scripts/tracking_server.sh up      # idempotent; the last line of output is the tracking URI
#   scripts/tracking_server.sh status  # state of both; the URI last (exit 3 when not running)
#   scripts/tracking_server.sh down    # stops both (idempotent); the data stays for the next `up`
#   scripts/tracking_server.sh purge   # stops both and deletes the data (runs, registry, artifacts)
#
# Then: lightship tracking=mlflow_server tracking.uri=$(scripts/tracking_server.sh up | tail -n1)
#
# State (database cluster, artifacts, logs, ports) lives in $LIGHTSHIP_TRACKING_STATE, default
# .lightship/tracking-server/ at the repository root (git-ignored). PostgreSQL comes from Debian
# (installed by .ci/apt-install when missing); its cluster runs as the current user, or as the
# `postgres` system user when this runs as root (initdb refuses root). Trust authentication on
# 127.0.0.1 only: for a team's server see docs/scale_out.md (passwords, S3 artifacts, basic auth).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${LIGHTSHIP_TRACKING_STATE:-$ROOT/.lightship/tracking-server}
PYTHON=${LIGHTSHIP_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
# The cluster's own folder: in $STATE, unless the cluster runs as `postgres` and cannot reach $STATE
# (a private temporary folder): then under postgres's home, named after $STATE.
locate_cluster() {
    PGHOME="$STATE/postgresql"
    if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$STATE" 2>/dev/null; then
        PGHOME="$(getent passwd postgres | cut -d: -f6)/lightship-$(printf %s "$STATE" | md5sum | cut -c1-12)"
    fi
    PGDATA="$PGHOME/data"
}
DATABASE=mlflow
# How long `up` waits for each server to answer before it gives up (seconds).
# The first `up` creates MLflow's schema in the new database: about a minute on an idle machine, more on a busy one.
WAIT_S=${LIGHTSHIP_TRACKING_WAIT_S:-600}

say() { echo "tracking-server: $*" >&2; }
die() { say "error: $*"; exit 1; }

pg_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

ensure_postgresql() {
    pg_bin >/dev/null && return 0
    say "PostgreSQL not found: installing Debian's postgresql package"
    sh "$ROOT/.ci/apt-install" lightship-needs-postgresql postgresql "the tracking-server tests will skip"
    pg_bin >/dev/null || die "PostgreSQL is not installed and could not be installed (apt-get install postgresql)."
}

# Run a PostgreSQL command as the cluster's owner: this user, or `postgres` when root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_free() {
    # SO_REUSEADDR: a port this script's server just left (TIME_WAIT) is free for the same server again.
    "$PYTHON" -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# The port saved in $STATE/<name>.port (kept across restarts so the URI stays the same), else a free one.
port_for() {
    local file="$STATE/$1.port" port
    port=$(cat "$file" 2>/dev/null || true)
    if [ -z "$port" ] || ! port_free "$port"; then
        port=$(free_port)
        echo "$port" >"$file"
    fi
    echo "$port"
}

pg_running() { [ -f "$PGDATA/PG_VERSION" ] && as_owner "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

mlflow_pid() {
    local pid
    pid=$(cat "$STATE/mlflow.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

uri() { echo "http://127.0.0.1:$(cat "$STATE/mlflow.port")"; }

healthy() { "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/health", timeout=5)' "$(uri)" 2>/dev/null; }

start_postgresql() {
    local bin port
    bin=$(pg_bin)
    mkdir -p "$PGHOME/run" "$STATE/logs"
    [ "$(id -u)" -eq 0 ] && { as_owner true; chown -R postgres "$PGHOME"; }  # as_owner creates the postgres user when missing
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "initialising a PostgreSQL cluster in $PGDATA"
        as_owner mkdir -p "$PGDATA"
        chmod 700 "$PGDATA"
        as_owner "$bin/initdb" -D "$PGDATA" --auth=trust --username=mlflow --encoding=UTF8 >"$STATE/logs/initdb.log" 2>&1 \
            || die "initdb failed (see $STATE/logs/initdb.log)"
    fi
    if pg_running; then
        return 0
    fi
    port=$(port_for postgres)
    say "starting PostgreSQL on 127.0.0.1:$port"
    as_owner "$bin/pg_ctl" -D "$PGDATA" -l "$PGHOME/postgresql.log" -w -t "$WAIT_S" \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PGHOME/run" start >/dev/null \
        || die "PostgreSQL did not start (see $PGHOME/postgresql.log)"
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U mlflow -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DATABASE'" | grep -q 1; then
        as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U mlflow "$DATABASE"
    fi
}

start_mlflow() {
    local pg_port port waited=0
    if mlflow_pid >/dev/null && healthy; then
        return 0
    fi
    stop_mlflow
    pg_port=$(cat "$STATE/postgres.port")
    port=$(port_for mlflow)
    mkdir -p "$STATE/artifacts" "$STATE/logs"
    say "starting mlflow server on 127.0.0.1:$port"
    # setsid: its own process group, so `down` stops the server and its workers together.
    setsid "$(dirname "$PYTHON")/mlflow" server \
        --backend-store-uri "postgresql+psycopg2://mlflow@127.0.0.1:$pg_port/$DATABASE" \
        --serve-artifacts --artifacts-destination "$STATE/artifacts" \
        --host 127.0.0.1 --port "$port" --workers "${LIGHTSHIP_TRACKING_WORKERS:-2}" \
        >"$STATE/logs/mlflow.log" 2>&1 </dev/null &
    echo $! >"$STATE/mlflow.pid"
    until healthy; do
        mlflow_pid >/dev/null || die "mlflow server exited (see $STATE/logs/mlflow.log): $(tail -n 5 "$STATE/logs/mlflow.log")"
        if [ "$waited" -ge "$WAIT_S" ]; then
            stop_mlflow
            die "mlflow server did not answer $(uri)/health within ${WAIT_S}s (see $STATE/logs/mlflow.log)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

stop_mlflow() {
    local pid
    pid=$(mlflow_pid || true)
    if [ -n "$pid" ]; then
        say "stopping mlflow server (pid $pid)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/mlflow.pid"
}

stop_postgresql() {
    if pg_running; then
        say "stopping PostgreSQL"
        as_owner "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi
}

status() {
    local code=0
    if pg_running; then echo "postgresql: running (127.0.0.1:$(cat "$STATE/postgres.port"), data $PGDATA)"; else echo "postgresql: stopped"; code=3; fi
    if mlflow_pid >/dev/null && healthy; then echo "mlflow: running (pid $(mlflow_pid), artifacts $STATE/artifacts)"; else echo "mlflow: stopped"; code=3; fi
    [ -f "$STATE/mlflow.port" ] && uri
    return "$code"
}

case "${1:-}" in
    up)
        mkdir -p "$STATE"
        ensure_postgresql
        as_owner true  # creates the postgres user when missing (root only)
        locate_cluster
        start_postgresql
        start_mlflow
        uri
        ;;
    down)
        locate_cluster
        stop_mlflow
        [ -f "$PGDATA/PG_VERSION" ] && pg_bin >/dev/null && stop_postgresql
        echo "stopped"
        ;;
    status)
        locate_cluster
        status
        ;;
    purge)
        bash "$0" down
        locate_cluster
        rm -rf "$PGHOME" "$STATE"
        echo "deleted $STATE"
        ;;
    *)
        echo "usage: $0 up|down|status|purge" >&2
        exit 2
        ;;
esac
