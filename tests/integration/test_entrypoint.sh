#!/usr/bin/env bash
# test_entrypoint.sh -- docker/entrypoint.sh and `runner wait` against a
# real PostgreSQL started with scripts/dev-db in a temporary directory.
#
#   tests/integration/test_entrypoint.sh [path/to/runner]
#
# runner: the argument, else $RUNNER_BIN, else build/runner; the script
# under test: $RUNNER_ENTRYPOINT, else docker/entrypoint.sh.  The test
# revisions (tests/plugins/entrypoint/*.c) are compiled here with
# `cc -shared -fPIC -I plugin-api/include`, as a user would.  Cases:
#   a  the database is down when the entrypoint starts and comes up ~2 s
#      later: it waits, migrates, then execs the command (which sees the
#      migrated table)
#   b  a failing revision: non-zero exit, the command never runs
#   c  RUNNER_SKIP_MIGRATIONS=1: no version table, the command runs
#   d  exit status (7 -> 7) and SIGTERM pass-through: the command has the
#      entrypoint's pid after exec and gets the signal itself
#   s  `docker stop` (SIGTERM to PID 1): the entrypoint runs as PID 1 of a
#      PID namespace (unshare --pid --fork --mount-proc, as in a container,
#      where PID 1 has no default signal actions); a TERM while `runner
#      wait` waits for a missing database, and one while `runner upgrade`
#      runs a slow revision, each ends the entrypoint at once with runner's
#      status (143), the service never starts and the slow revision is
#      rolled back (skipped when unshare is not permitted)
#   z  a TERM during `runner upgrade` whose runner still exits 0: the
#      entrypoint exits 143 and does not start the service
#   e  `runner wait --timeout 1` against a dead server: exit 1, one-line
#      error, no password; the entrypoint then does not start the command
#   w  `runner wait` itself: ready at once against a running server; an
#      unknown database fails at once; a server answering 57P03 is retried,
#      one answering 28P01 is not (a fake server, when python3 is present)
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runner=${1:-${RUNNER_BIN:-$root/build/runner}}
entry=${RUNNER_ENTRYPOINT:-$root/docker/entrypoint.sh}
devdb=$root/scripts/dev-db
cc=${CC:-cc}
secret=SeCrEt-pw-4711

bg_pids=()
# shellcheck source=tests/integration/tap.sh
. "$here/tap.sh"

[ -x "$runner" ] || { echo "test_entrypoint: no runner binary at '$runner'" >&2; exit 2; }
runner=$(cd "$(dirname "$runner")" && pwd)/$(basename "$runner")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-entrypoint.XXXXXX")
# as root, dev-db runs the server as another user, who must reach the cluster
chmod 755 "$tmp"
db=$tmp/db

cleanup() {
    local p
    # the d service, should the entrypoint not have exec'd it (then it
    # outlives the killed entrypoint)
    [ -s "$tmp/case-d/pid" ] && bg_pids+=("$(cat "$tmp/case-d/pid")")
    for p in "${bg_pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    "$devdb" destroy "$db" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

# lacks TEXT FILE...: no FILE contains TEXT.
lacks() {
    local text=$1
    shift
    ! grep -q -F -- "$text" "$@"
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# wait_bounded PID SECONDS: wait for a background PID, killing it after
# SECONDS; sets rc to its exit status (or "timeout").  Not in a $(...):
# only this shell can wait for its children.
wait_bounded() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rc=timeout
        return
    fi
    wait "$pid"
    rc=$?
}

# ---- setup: plugins and a cluster with one database per case ----
build_plugin() {
    local src=$1 outdir=$2
    mkdir -p "$outdir"
    "$cc" -shared -fPIC -std=c11 -Wall -Werror -I "$root/plugin-api/include" \
        "$src" -o "$outdir/$(basename "$src" .c).so"
}
plugins_ok=$tmp/plugins-ok
plugins_bad=$tmp/plugins-bad
plugins_slow=$tmp/plugins-slow
if ! build_plugin "$root/tests/plugins/entrypoint/ep_good.c" "$plugins_ok" ||
    ! build_plugin "$root/tests/plugins/entrypoint/ep_good.c" "$plugins_slow" ||
    ! build_plugin "$root/tests/plugins/entrypoint/ep_slow.c" "$plugins_slow" ||
    ! build_plugin "$root/tests/plugins/entrypoint/ep_good.c" "$plugins_bad" ||
    ! build_plugin "$root/tests/plugins/entrypoint/ep_failing.c" "$plugins_bad"; then
    echo "test_entrypoint: cannot compile the test revisions with '$cc'" >&2
    exit 1
fi

if ! "$devdb" start "$db" >"$tmp/devdb.log" 2>&1; then
    cat "$tmp/devdb.log" >&2
    echo "test_entrypoint: cannot start a PostgreSQL cluster with scripts/dev-db" >&2
    exit 1
fi
base=$("$devdb" url "$db")
query=${base#*\?}                       # host=...&port=...&user=...
url_for() {
    echo "postgresql:///$1?$query"
}
psql_in() {
    local dbname=$1
    shift
    psql "$(url_for "$dbname")" -X -q -At -v ON_ERROR_STOP=1 "$@"
}
for d in ep_a ep_b ep_c ep_d ep_s ep_w; do
    psql_in postgres -c "CREATE DATABASE $d" || { echo "test_entrypoint: cannot create $d" >&2; exit 1; }
done

# A working directory per case with a runner.ini naming its plugins.
workdir() {
    local name=$1 plugins=$2
    mkdir -p "$tmp/$name"
    printf '[runner]\ndir = %s\n' "$plugins" >"$tmp/$name/runner.ini"
    echo "$tmp/$name"
}

# ---- a: database down at start, up ~2 s later ----
"$devdb" stop "$db" >/dev/null 2>&1
wd=$(workdir case-a "$plugins_ok")
(
    # shellcheck disable=SC2016 # expanded by the wrapped sh, not here
    cd "$wd" &&
        DATABASE_URL=$(url_for ep_a) RUNNER_BIN=$runner RUNNER_WAIT_TIMEOUT=60 \
            exec "$entry" sh -c 'psql "$DATABASE_URL" -X -At -c "SELECT count(*) FROM entrypoint_probe" >"$1" 2>&1' \
            sh "$wd/ran"
) >"$wd/out" 2>"$wd/err" &
pid=$!
bg_pids+=("$pid")
sleep 2
check "a: the entrypoint is still waiting while the database is down" kill -0 "$pid"
"$devdb" start "$db" >/dev/null 2>&1 || fail "a: dev-db start" "the server did not start"
wait_bounded "$pid" 60
check "a: exit 0 after the database came up" test "$rc" = 0
check "a: progress lines while waiting" grep -q "runner: waiting for database socket '$db/run'" "$wd/err"
check "a: the wrapped command ran after the migration" grep -qx 0 "$wd/ran"
check "a: version table at the head" test "$(psql_in ep_a -c 'SELECT version_num FROM alembic_version')" = e0e0e0e00001
[ "$failed" -eq 0 ] || sed 's/^/    a: /' "$wd/err"

# ---- b: a failing migration ----
wd=$(workdir case-b "$plugins_bad")
rc=0
(cd "$wd" && DATABASE_URL=$(url_for ep_b) RUNNER_BIN=$runner \
    timeout 60 "$entry" touch "$wd/ran") >"$wd/out" 2>"$wd/err" || rc=$?
check "b: non-zero exit on a failed migration" test "$rc" -ne 0
check "b: the exit status is runner's (1)" test "$rc" = 1
check "b: the wrapped command did not run" test ! -e "$wd/ran"
check "b: the failure is named" grep -q "entrypoint: migration failed" "$wd/err"
check "b: runner's error names the failing revision" grep -q "e0e0e0e00002" "$wd/err"

# ---- c: RUNNER_SKIP_MIGRATIONS=1 ----
wd=$(workdir case-c "$plugins_ok")
rc=0
(cd "$wd" && DATABASE_URL=$(url_for ep_c) RUNNER_BIN=$runner RUNNER_SKIP_MIGRATIONS=1 \
    timeout 60 "$entry" touch "$wd/ran") >"$wd/out" 2>"$wd/err" || rc=$?
check "c: exit 0 with RUNNER_SKIP_MIGRATIONS=1" test "$rc" = 0
check "c: the wrapped command ran" test -e "$wd/ran"
check "c: nothing was migrated" test "$(psql_in ep_c -c "SELECT to_regclass('alembic_version') IS NULL")" = t

# ---- d: exit status and signal pass-through ----
wd=$(workdir case-d "$plugins_ok")
rc=0
(cd "$wd" && DATABASE_URL=$(url_for ep_d) RUNNER_BIN=$runner \
    timeout 60 "$entry" sh -c 'exit 7') >"$wd/out" 2>"$wd/err" || rc=$?
check "d: the wrapped command's exit status passes through (7)" test "$rc" = 7

(
    # shellcheck disable=SC2016 # expanded by the wrapped bash, not here
    cd "$wd" &&
        DATABASE_URL=$(url_for ep_d) RUNNER_BIN=$runner \
            exec "$entry" bash -c 'echo $$ >"$1.tmp" && mv "$1.tmp" "$1"
                trap "echo term >\"$2\"; exit 143" TERM
                while :; do sleep 0.1; done' bash "$wd/pid" "$wd/got-term"
) >"$wd/out2" 2>"$wd/err2" &
pid=$!
bg_pids+=("$pid")
for ((i = 0; i < 300; i++)); do
    [ -s "$wd/pid" ] && break
    sleep 0.1
done
check "d: the service started" test -s "$wd/pid"
check "d: the service has the entrypoint's pid (exec, no wrapper process)" test "$(cat "$wd/pid" 2>/dev/null)" = "$pid"
check "d: the process is the service now, not the shell script" \
    test "$(cat "/proc/$pid/comm" 2>/dev/null)" = bash
kill -TERM "$pid" 2>/dev/null
wait_bounded "$pid" 20
check "d: SIGTERM reached the service, which exited 143" test "$rc" = 143
check "d: the service's own TERM handler ran" test -e "$wd/got-term"

# ---- s: docker stop, with the entrypoint as PID 1 of a PID namespace ----
# pid1_of PID: the forked child of `unshare --fork` PID (PID 1 inside).
pid1_of() {
    local i kids
    for ((i = 0; i < 50; i++)); do
        kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
        [ -n "$kids" ] && { echo "${kids%% *}"; return 0; }
        sleep 0.1
    done
    return 1
}

# stop_case NAME WORKDIR URL SETTLE: start the entrypoint as PID 1 with
# DATABASE_URL=URL, call SETTLE until it succeeds (10 s at most), send
# SIGTERM to PID 1 and wait at most 10 s; sets rc (or "timeout").
stop_case() {
    local name=$1 wd=$2 url=$3 settle=$4 upid p1 i
    (cd "$wd" && DATABASE_URL=$url RUNNER_BIN=$runner RUNNER_WAIT_TIMEOUT=30 EP_SLEEP=30 \
        exec unshare --pid --fork --mount-proc "$entry" touch "$wd/ran") >"$wd/out" 2>"$wd/err" &
    upid=$!
    bg_pids+=("$upid")
    if ! p1=$(pid1_of "$upid"); then
        fail "$name: entrypoint started" "no child of unshare"
        rc=none
        return
    fi
    for ((i = 0; i < 100; i++)); do
        "$settle" && break
        sleep 0.1
    done
    kill -TERM "$p1" 2>/dev/null
    wait_bounded "$upid" 10
    # the old entrypoint ignored the signal: end the namespace
    kill -KILL "$p1" 2>/dev/null
}

# the runner waits (it printed its first progress line)
waiting_for_db() {
    grep -q 'runner: waiting for database' "$tmp/case-s1/err"
}

# the slow revision runs (its pg_sleep is active in the server)
slow_revision_running() {
    test "$(psql_in ep_s -c "SELECT count(*) FROM pg_stat_activity
        WHERE datname = 'ep_s' AND query LIKE '%SELECT pg_sleep%' AND pid <> pg_backend_pid()")" -ge 1
}

if unshare --pid --fork --mount-proc true 2>/dev/null; then
    wd=$(workdir case-s1 "$plugins_ok")
    stop_case s1 "$wd" "postgresql:///ep_s?host=$tmp/no-such-socket-dir&port=5432" waiting_for_db
    check "s1: SIGTERM while waiting for the database ends the entrypoint at once" test "$rc" != timeout
    check "s1: with runner's status (143)" test "$rc" = 143
    check "s1: the service did not start" test ! -e "$wd/ran"
    check "s1: the entrypoint says why" grep -q "entrypoint: interrupted" "$wd/err"

    wd=$(workdir case-s2 "$plugins_slow")
    stop_case s2 "$wd" "$(url_for ep_s)" slow_revision_running
    check "s2: SIGTERM during the migration ends the entrypoint at once" test "$rc" != timeout
    check "s2: with runner's status (143)" test "$rc" = 143
    check "s2: the service did not start" test ! -e "$wd/ran"
    check "s2: the slow revision was rolled back" \
        test "$(psql_in ep_s -c 'SELECT version_num FROM alembic_version')" = e0e0e0e00001
    check "s2: the entrypoint says why" grep -q "entrypoint: interrupted" "$wd/err"
    [ "$failed" -eq 0 ] || sed 's/^/    s: /' "$tmp"/case-s*/err
else
    echo "skip - s: docker stop as PID 1: unshare --pid is not permitted here"
fi

# ---- z: runner finishes with 0 after the signal ----
# A TERM that arrives after runner's last commit: runner exits 0 (its work
# is done), but the entrypoint must still not start the service and exits
# 128 + 15.  A stand-in runner that ignores TERM, tells us it runs, and
# exits 0 a moment later plays that runner.
mkdir -p "$tmp/case-z"
cat >"$tmp/case-z/fake-runner" <<'FAKE'
#!/bin/sh
trap '' TERM
[ "$1" = upgrade ] && : >"$FAKE_DIR/upgrading" && sleep 1
exit 0
FAKE
chmod 755 "$tmp/case-z/fake-runner"
(FAKE_DIR=$tmp/case-z RUNNER_BIN=$tmp/case-z/fake-runner \
    exec "$entry" touch "$tmp/case-z/ran") >"$tmp/case-z/out" 2>"$tmp/case-z/err" &
zpid=$!
bg_pids+=("$zpid")
for ((i = 0; i < 100; i++)); do
    [ -e "$tmp/case-z/upgrading" ] && break
    sleep 0.1
done
kill -TERM "$zpid" 2>/dev/null
wait_bounded "$zpid" 10
check "z: a TERM during an upgrade that still exits 0 ends the entrypoint with 143" test "$rc" = 143
check "z: the service did not start" test ! -e "$tmp/case-z/ran"
check "z: the entrypoint says why" grep -q "entrypoint: interrupted by SIGTERM during runner upgrade head (exit 143)" "$tmp/case-z/err"

# ---- e: a dead server ----
dead="postgresql://app:$secret@/app?host=$tmp/no-such-socket-dir&port=5432"
rc=0
timeout 30 "$runner" wait --timeout 1 --url "$dead" >"$tmp/e.out" 2>"$tmp/e.err" || rc=$?
check "e: runner wait --timeout 1 on a dead server exits 1" test "$rc" = 1
check "e: exactly one error line" test "$(grep -c '^runner: error:' "$tmp/e.err")" = 1
check "e: and it is the last line" test "$(tail -n 1 "$tmp/e.err" | cut -c1-14)" = "runner: error:"
check "e: the error says what and for how long" \
    grep -q "^runner: error: database socket '$tmp/no-such-socket-dir' port 5432 database 'app' not ready after 1 s ([0-9]* attempts): " "$tmp/e.err"
check "e: several attempts were made" test "$(grep -c '^runner: waiting for database' "$tmp/e.err")" -ge 3
check "e: the password appears nowhere" lacks "$secret" "$tmp/e.err" "$tmp/e.out"
rc=0
timeout 30 "$runner" -q wait --timeout 1 --url "$dead" >"$tmp/eq.out" 2>"$tmp/eq.err" || rc=$?
check "e: with -q it exits 1 too" test "$rc" = 1
check "e: with -q the whole of stderr is one line" test "$(wc -l <"$tmp/eq.err")" = 1
rc=0
(cd "$tmp" && DATABASE_URL=$dead RUNNER_BIN=$runner RUNNER_WAIT_TIMEOUT=1 \
    timeout 30 "$entry" touch "$tmp/e.ran") >"$tmp/ee.out" 2>"$tmp/ee.err" || rc=$?
check "e: the entrypoint exits 1 when the database never comes" test "$rc" = 1
check "e: and does not start the command" test ! -e "$tmp/e.ran"
check "e: and says why" grep -q "entrypoint: the database is not ready" "$tmp/ee.err"
check "e: the entrypoint leaks no password either" lacks "$secret" "$tmp/ee.err"

# ---- w: runner wait itself ----
rc=0
t0=$(now_ms)
timeout 30 "$runner" wait --timeout 10 --url "$(url_for ep_w)" >"$tmp/w1.out" 2>"$tmp/w1.err" || rc=$?
t1=$(now_ms)
check "w: ready against a running server" test "$rc" = 0
check "w: at once" test $((t1 - t0)) -lt 5000
check "w: the ready line names the database" grep -q "database socket '$db/run' port [0-9]* database 'ep_w' is ready (attempt 1," "$tmp/w1.err"

rc=0
t0=$(now_ms)
timeout 60 "$runner" wait --timeout 30 --url "$(url_for ep_no_such_db)" >"$tmp/w2.out" 2>"$tmp/w2.err" || rc=$?
t1=$(now_ms)
check "w: an unknown database fails (3D000)" test "$rc" = 1
check "w: at once" test $((t1 - t0)) -lt 5000
check "w: without retrying" test "$(grep -c 'waiting for database' "$tmp/w2.err")" = 0
check "w: naming the database" grep -q 'database "ep_no_such_db" does not exist' "$tmp/w2.err"

rc=0
timeout 30 "$runner" wait --timeout -1 >/dev/null 2>"$tmp/w3.err" || rc=$?
check "w: a negative timeout is a usage error (2)" test "$rc" = 2

# A fake server that answers every startup with one ErrorResponse.
fake_server() {
    python3 - "$@" <<'PY'
import socket, struct, sys, time
path, code, msg, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
s.settimeout(0.1)
end = time.time() + secs
def recv_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    try:
        while True:
            n, proto = struct.unpack("!ii", recv_exact(c, 8))
            recv_exact(c, n - 8)
            if proto in (80877103, 80877104):   # SSLRequest, GSSENCRequest: no
                c.sendall(b"N")
                continue
            break
        f = b"SFATAL\0VFATAL\0C" + code.encode() + b"\0M" + msg.encode() + b"\0\0"
        c.sendall(b"E" + struct.pack("!i", 4 + len(f)) + f)
    except Exception:
        pass
    finally:
        c.close()
PY
}

if command -v python3 >/dev/null 2>&1; then
    mkdir -p "$tmp/fake1" "$tmp/fake2"
    fake_server "$tmp/fake1/.s.PGSQL.5432" 57P03 "the database system is starting up" 20 &
    bg_pids+=("$!")
    fake_server "$tmp/fake2/.s.PGSQL.5432" 28P01 'password authentication failed for user "app"' 20 &
    bg_pids+=("$!")
    for ((i = 0; i < 50; i++)); do
        [ -S "$tmp/fake1/.s.PGSQL.5432" ] && [ -S "$tmp/fake2/.s.PGSQL.5432" ] && break
        sleep 0.1
    done
    rc=0
    timeout 30 "$runner" wait --timeout 1.5 --url "postgresql://app:$secret@/app?host=$tmp/fake1" \
        >/dev/null 2>"$tmp/w4.err" || rc=$?
    check "w: a server starting up (57P03) is waited for, until the timeout" test "$rc" = 1
    check "w: with a progress line per attempt naming the reason" \
        test "$(grep -c 'runner: waiting for database .*: the database system is starting up (attempt' "$tmp/w4.err")" -ge 3
    rc=0
    t0=$(now_ms)
    timeout 30 "$runner" wait --timeout 30 --url "postgresql://app:$secret@/app?host=$tmp/fake2" \
        >/dev/null 2>"$tmp/w5.err" || rc=$?
    t1=$(now_ms)
    check "w: an authentication failure (28P01) fails" test "$rc" = 1
    check "w: at once" test $((t1 - t0)) -lt 5000
    check "w: without retrying" test "$(grep -c 'waiting for database' "$tmp/w5.err")" = 0
    check "w: naming the failure" grep -q 'password authentication failed for user "app"' "$tmp/w5.err"
    check "w: without the password" lacks "$secret" "$tmp/w4.err" "$tmp/w5.err"
else
    echo "skip - w: fake-server cases (57P03, 28P01): no python3"
fi

tap_summary
