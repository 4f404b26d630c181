#!/usr/bin/env bash
# test_standby.sh -- a primary and its standby, started here: initdb, a
# second cluster from pg_basebackup -R streaming from the first, both on
# Unix sockets in a temporary directory (a socket directory is a host to
# libpq, so "host=B,A" is a multi-host url).  Cases:
#   r  upgrade, downgrade, stamp and repair on the standby are refused
#      before anything runs, naming the socket and saying it is a standby;
#      a read (current) works there
#   m  a multi-host url, the standby first, target_session_attrs=read-write,
#      in both spellings (host=B,A and postgresql://B,A/db): runner finds
#      the primary and migrates it; the standby replays it
#   f  failover in the middle of a run: revision 2 sleeps, the primary is
#      stopped and the standby promoted; the run ends with an error naming
#      the last committed revision; a rerun with the same url continues on
#      the new primary: each revision applied once, none lost
#
#   tests/integration/test_standby.sh [path/to/runner]
#
# runner: the argument, else $RUNNER_BIN, else build/runner.  PostgreSQL's
# server binaries: $PG_BINDIR, else the newest /usr/lib/postgresql/*/bin.
# As root the servers run as `postgres` (PostgreSQL refuses root).
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runner=${1:-${RUNNER_BIN:-$root/build/runner}}
cc=${CC:-cc}

# shellcheck source=tests/integration/tap.sh
. "$here/tap.sh"

[ -x "$runner" ] || { echo "test_standby: no runner binary at '$runner'" >&2; exit 2; }
runner=$(cd "$(dirname "$runner")" && pwd)/$(basename "$runner")

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5 -n -r); do
        if [ -x "$d/pg_basebackup" ]; then
            bindir=$d
            break
        fi
    done
fi
[ -x "$bindir/pg_basebackup" ] || { echo "test_standby: no pg_basebackup (set PG_BINDIR)" >&2; exit 2; }

if [ "$(id -u)" -eq 0 ]; then
    dbuser=postgres
    id "$dbuser" >/dev/null 2>&1 || { echo "test_standby: as root, needs a 'postgres' user" >&2; exit 2; }
    as_db() { (cd / && runuser -u "$dbuser" -- "$@"); }
else
    dbuser=$(id -un)
    as_db() { "$@"; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-standby.XXXXXX")
chmod 755 "$tmp"                        # the server's user must reach it
bg_pid=

cleanup() {
    [ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
    for c in a b; do
        [ -f "$tmp/$c/data/postmaster.pid" ] &&
            as_db "$bindir/pg_ctl" -D "$tmp/$c/data" -m immediate -w stop >/dev/null 2>&1
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
    echo "test_standby: $*" >&2
    for c in a b; do
        [ -f "$tmp/$c/log" ] && { echo "--- $c/log ---" >&2; tail -n 20 "$tmp/$c/log" >&2; }
    done
    exit 1
}

# lacks TEXT FILE: FILE does not contain TEXT.
lacks() {
    ! grep -q -F -- "$1" "$2"
}

# has TEXT FILE: FILE contains TEXT.
has() {
    grep -q -F -- "$1" "$2"
}

# ---- the plugins: three revisions, as a user builds them ----
plugins=$tmp/plugins
mkdir -p "$plugins"
for n in 1 2 3; do
    "$cc" -shared -fPIC -std=c11 -Wall -Werror -DSB_N=$n -I "$root/plugin-api/include" \
        "$root/tests/plugins/standby/sb_rev.c" -o "$plugins/sb000000000${n}_sb.so" ||
        die "cannot compile the test revisions with '$cc'"
done

# ---- the pair: A the primary, B its standby ----
A=$tmp/a/run
B=$tmp/b/run
mkdir -p "$tmp/a" "$tmp/b"
[ "$(id -u)" -eq 0 ] && chown "$dbuser" "$tmp/a" "$tmp/b"
as_db mkdir -p "$A" "$B"

as_db "$bindir/initdb" -D "$tmp/a/data" -U "$dbuser" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=trust >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
as_db tee -a "$tmp/a/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = ''
unix_socket_directories = '$A'
port = 5432
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
CONF
as_db "$bindir/pg_ctl" -D "$tmp/a/data" -l "$tmp/a/log" -w -t 60 start >/dev/null || die "the primary did not start"
as_db "$bindir/pg_basebackup" -D "$tmp/b/data" -R -X stream -h "$A" -p 5432 -U "$dbuser" \
    >"$tmp/basebackup.log" 2>&1 || { cat "$tmp/basebackup.log" >&2; die "pg_basebackup failed"; }
# the copy's settings name A's socket: the standby listens on its own
echo "unix_socket_directories = '$B'" | as_db tee -a "$tmp/b/data/postgresql.conf" >/dev/null
as_db "$bindir/pg_ctl" -D "$tmp/b/data" -l "$tmp/b/log" -w -t 60 start >/dev/null || die "the standby did not start"

conn() {        # conn SOCKETDIR DB: a conninfo string for one server
    echo "host=$1 port=5432 dbname=$2 user=$dbuser"
}
sql() {         # sql SOCKETDIR DB SQL: the result, unaligned
    psql "$(conn "$1" "$2")" -X -q -At -v ON_ERROR_STOP=1 -c "$3"
}
# wait_true SOCKETDIR DB SQL SECONDS: until the query says t
wait_true() {
    local i
    for ((i = 0; i < $4 * 10; i++)); do
        [ "$(sql "$1" "$2" "$3" 2>/dev/null)" = t ] && return 0
        sleep 0.1
    done
    return 1
}
run() {         # run TAG URL ARGS...: runner, output in $tmp/TAG.out/.err, status in rc
    local tag=$1 url=$2
    shift 2
    "$runner" --dir "$plugins" --url "$url" "$@" >"$tmp/$tag.out" 2>"$tmp/$tag.err"
    rc=$?
}
versions() {    # versions SOCKETDIR DB
    sql "$1" "$2" "SELECT coalesce(string_agg(version_num, ',' ORDER BY 1), '-') FROM alembic_version" 2>/dev/null || echo "-"
}

sql "$A" postgres "CREATE DATABASE sb_r" >/dev/null || die "cannot create sb_r"
sql "$A" postgres "CREATE DATABASE sb_m" >/dev/null || die "cannot create sb_m"
sql "$A" postgres "CREATE DATABASE sb_f" >/dev/null || die "cannot create sb_f"
wait_true "$B" postgres "SELECT count(*) = 3 FROM pg_database WHERE datname LIKE 'sb\\_%'" 30 ||
    die "the standby does not replay the primary"
[ "$(sql "$B" postgres "SELECT pg_is_in_recovery()")" = t ] || die "B is not a standby"

# ---- r: writes on the standby are refused before anything runs ----
for cmd in "upgrade head" "downgrade base" "stamp head" "repair"; do
    verb=${cmd%% *}
    # shellcheck disable=SC2086 # the command's words
    run "r-$verb" "$(conn "$B" sb_r)" $cmd
    check "r: $verb on the standby exits 1" [ "$rc" -eq 1 ]
    check "r: $verb says the server is a standby" \
        has "runner: error: cannot $verb on a standby: socket '$B' port 5432 database 'sb_r' is in recovery (pg_is_in_recovery()), nothing was run" "$tmp/r-$verb.err"
    check "r: $verb hints at target_session_attrs" has "target_session_attrs=read-write" "$tmp/r-$verb.err"
    check "r: $verb runs no revision" lacks "Running" "$tmp/r-$verb.err"
done
run r-current "$(conn "$B" sb_r)" current
check "r: current (a read) works on the standby" [ "$rc" -eq 0 ]
check "r: the primary was not touched" [ "$(versions "$A" sb_r)" = "-" ]

# ---- m: a multi-host url finds the primary, the standby listed first ----
multi="host=$B,$A port=5432,5432 dbname=sb_m user=$dbuser target_session_attrs=read-write"
run m-kv "$multi" upgrade sb0000000001
check "m: host=B,A upgrade exits 0" [ "$rc" -eq 0 ]
check "m: host=B,A migrated the primary" [ "$(versions "$A" sb_m)" = sb0000000001 ]
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
uri="postgresql://$(enc "$B"):5432,$(enc "$A"):5432/sb_m?user=$dbuser&target_session_attrs=read-write"
SB_SLEEP=0 run m-uri "$uri" upgrade head
check "m: postgresql://B,A/db upgrade exits 0" [ "$rc" -eq 0 ]
check "m: postgresql://B,A/db migrated the primary" [ "$(versions "$A" sb_m)" = sb0000000003 ]
check "m: the standby replays the migration" \
    wait_true "$B" sb_m "SELECT EXISTS (SELECT 1 FROM alembic_version WHERE version_num = 'sb0000000003')" 30
run m-current "$uri" current
check "m: current through the multi-host url" has sb0000000003 "$tmp/m-current.out"

# ---- f: failover in the middle of a run ----
multi_f="host=$B,$A port=5432,5432 dbname=sb_f user=$dbuser target_session_attrs=read-write"
SB_SLEEP=60 "$runner" --dir "$plugins" --url "$multi_f" upgrade head \
    >"$tmp/f1.out" 2>"$tmp/f1.err" &
bg_pid=$!
if wait_true "$A" sb_f "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'sb_f' AND query LIKE '%SELECT pg_sleep%' AND pid <> pg_backend_pid())" 30 &&
    wait_true "$B" sb_f "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'alembic_version') AND EXISTS (SELECT 1 FROM alembic_version WHERE version_num = 'sb0000000001')" 30; then
    pass "f: revision 1 committed and replayed, revision 2 running"
else
    fail "f: revision 1 committed and replayed, revision 2 running" "not reached"
fi
as_db "$bindir/pg_ctl" -D "$tmp/a/data" -m fast -w stop >/dev/null || die "cannot stop the primary"
as_db "$bindir/pg_ctl" -D "$tmp/b/data" -w promote >/dev/null || die "cannot promote the standby"
for ((i = 0; i < 300; i++)); do
    kill -0 "$bg_pid" 2>/dev/null || break
    sleep 0.1
done
wait "$bg_pid"
rc=$?
bg_pid=
check "f: the interrupted run exits 1" [ "$rc" -eq 1 ]
check "f: its error names the lost connection and the last committed revision" \
    has "connection lost: revision sb0000000002 was not committed (unless the connection broke during its commit), the last committed revision is sb0000000001; rerun to continue from there" "$tmp/f1.err"
check "f: the new primary holds revision 1" [ "$(versions "$B" sb_f)" = sb0000000001 ]
run f2 "$multi_f" upgrade head
check "f: the rerun with the same url exits 0" [ "$rc" -eq 0 ]
check "f: the rerun continues at revision 2" has "Running upgrade sb0000000001 -> sb0000000002" "$tmp/f2.err"
check "f: the rerun does not apply revision 1 again" lacks "sb0000000001, Create sb_t1" "$tmp/f2.err"
check "f: the new primary is at head" [ "$(versions "$B" sb_f)" = sb0000000003 ]
check "f: every revision applied exactly once" [ "$(sql "$B" sb_f "SELECT string_agg(revision || ':' || n, ',' ORDER BY revision) FROM (SELECT revision, count(*) AS n FROM runner_history WHERE direction = 'upgrade' AND success GROUP BY revision) s")" = "sb0000000001:1,sb0000000002:1,sb0000000003:1" ]
check "f: the three tables exist" [ "$(sql "$B" sb_f "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'sb\\_t%'")" = 3 ]

tap_summary
