#!/usr/bin/env bash
# A throwaway PostgreSQL server for hyperpilot's tests.
#
#   scripts/pg_test_server.sh start [DIR]   start a server, print its URL on stdout
#   scripts/pg_test_server.sh url   [DIR]   print the URL of the running server
#   scripts/pg_test_server.sh stop  [DIR]   stop the server and delete DIR
#
# DIR (default: $HYPERPILOT_PG_DIR, else /tmp/hyperpilot-pg-test-$UID) holds the whole
# cluster: data, socket, log and the URL; it must be missing or empty on start. The server
# listens on 127.0.0.1 only, on a free high port, with a random password. Run as root, the
# cluster belongs to the `postgres` user (initdb refuses root) and Debian's `postgresql`
# package is installed with apt when no initdb is found. Typical use:
#
#   export HYPERPILOT_TEST_POSTGRES_URL=$(scripts/pg_test_server.sh start)
#   .venv/bin/pytest tests/storage
#   scripts/pg_test_server.sh stop
#
# The cluster runs with fsync=off: it is fast, and a crash of the machine loses it, which
# does not matter for a test server (killing client processes is unaffected).
set -euo pipefail

DB_NAME=hyperpilot_test
DB_USER=hyperpilot_test

die() { echo "pg_test_server: $*" >&2; exit 1; }
log() { echo "pg_test_server: $*" >&2; }

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Print the directory holding initdb/pg_ctl/postgres, installing PostgreSQL if needed.
find_bindir() {
    local initdb
    initdb=$(command -v initdb 2>/dev/null || true)
    if [[ -z "$initdb" ]]; then
        initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    if [[ -z "$initdb" ]]; then
        if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
            die "initdb not found; install PostgreSQL (Debian: sudo apt-get install postgresql)"
        fi
        log "initdb not found: installing Debian's postgresql package"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends postgresql >&2
        initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
        [[ -n "$initdb" ]] || die "installed postgresql but still found no initdb"
    fi
    dirname "$(readlink -f "$initdb")"
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        local port
        while :; do
            port=$((20000 + RANDOM % 40000))
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
        done
    fi
}

# pg_ctl runs the server through /bin/sh: the options must stay on one line.
server_options() {
    local opts=(
        "-c listen_addresses=127.0.0.1" "-c port=$1" "-c unix_socket_directories='$2'"
        "-c fsync=off" "-c synchronous_commit=off" "-c full_page_writes=off"
        "-c max_connections=200"
    )
    echo "${opts[*]}"
}

random_password() {
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
}

cmd_start() {
    local dir=$1 bindir port password url attempt
    if [[ -f "$dir/url" ]] && cmd_running "$dir"; then
        cat "$dir/url"
        return
    fi
    if [[ -d "$dir" ]] && [[ -n "$(ls -A "$dir")" ]]; then
        die "$dir is not empty; stop the old server first: $0 stop $dir"
    fi
    bindir=$(find_bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "the user 'postgres' does not exist (install postgresql)"
        chown postgres: "$dir"
        as_owner test -x "$dir" || die "the postgres user cannot enter $dir; choose another DIR"
    fi
    chmod 700 "$dir"
    echo "$bindir" > "$dir/bindir"
    password=$(random_password)
    (umask 077 && printf '%s\n' "$password" > "$dir/pwfile")
    [[ $EUID -ne 0 ]] || chown postgres: "$dir/pwfile" "$dir/bindir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir/pwfile"
    as_owner mkdir -p "$dir/socket"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            -o "$(server_options "$port" "$dir/socket")" >/dev/null; then
            break
        fi
        [[ $attempt -lt 5 ]] || { cat "$dir/server.log" >&2; die "the server did not start"; }
        log "start on port $port failed; trying another port"
    done
    echo "$port" > "$dir/port"
    wait_ready "$bindir" "$port"
    as_owner "$bindir/psql" -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -U postgres \
        -d postgres >/dev/null <<SQL
CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE $DB_NAME OWNER $DB_USER;
SQL
    url="postgresql://$DB_USER:$password@127.0.0.1:$port/$DB_NAME"
    # The client side must work too: log in over TCP with the password.
    PGPASSWORD=$password "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" \
        -d "$DB_NAME" -c 'SELECT 1' >/dev/null || die "cannot log in as $DB_USER over TCP"
    (umask 077 && echo "$url" > "$dir/url")
    log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
    echo "$url"
}

wait_ready() {
    local bindir=$1 port=$2 i
    for i in $(seq 1 100); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
            return
        fi
        sleep 0.1
    done
    die "the server on 127.0.0.1:$port does not accept connections"
}

cmd_running() {
    local dir=$1
    [[ -f "$dir/bindir" && -f "$dir/data/postmaster.pid" ]] || return 1
    as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

cmd_stop() {
    local dir=$1
    [[ -e "$dir" ]] || return 0
    if [[ -f "$dir/bindir" && -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop \
            >/dev/null 2>&1 || log "pg_ctl stop failed (see $dir/server.log)"
    fi
    rm -rf "$dir"
}

main() {
    [[ $# -ge 1 && $# -le 2 ]] || usage
    local dir=${2:-${HYPERPILOT_PG_DIR:-/tmp/hyperpilot-pg-test-$EUID}}
    case $1 in
        start) cmd_start "$dir" ;;
        stop) cmd_stop "$dir" ;;
        url)
            cmd_running "$dir" || die "no server running in $dir; run: $0 start"
            cat "$dir/url"
            ;;
        *) usage ;;
    esac
}

main "$@"
