#!/usr/bin/env bash
# test_dev_db.sh -- scripts/dev-db run as root must not hand a directory
# planted by another user to the database user.
#
#   tests/integration/test_dev_db.sh        (as root; skips otherwise)
#
# As root from a checkout the database user cannot enter (mode 0700, like
# /root), dev-db's default directory is /tmp/runner-dev-db-<checksum of the
# current directory>: a name anyone can predict.  Cases:
#   l  that name planted by `nobody` as a symlink to a root-owned
#      directory: dev-db refuses, and nothing there is chown'ed
#   o  that name planted by `nobody` as a directory of its own: refused
#   r  nothing planted: start, status, url, stop, destroy work as before
#   u  a normal user (nobody) with a DIR of its own: start, stop, destroy
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
devdb=$root/scripts/dev-db

if [ "$(id -u)" -ne 0 ] || ! command -v runuser >/dev/null 2>&1; then
    echo "skip - test_dev_db: needs root and runuser"
    exit 0
fi

# shellcheck source=tests/integration/tap.sh
. "$here/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-dev-db-test.XXXXXX")
chmod 755 "$tmp"
# a checkout the database user cannot enter, as under /root
checkout=$tmp/home/checkout
mkdir -p "$checkout"
chmod 700 "$tmp/home"
planted=/tmp/runner-dev-db-$(printf '%s' "$checkout" | cksum | cut -d' ' -f1)
victim=$tmp/victim
mkdir "$victim"
touch "$victim/file"

cleanup() {
    (cd "$checkout" && "$devdb" destroy >/dev/null 2>&1)
    # a cluster started despite a refusal (the old script) stops with it
    [ -f "$planted/data/postmaster.pid" ] && "$devdb" stop "$planted" >/dev/null 2>&1
    rm -rf "$planted"
    [ -d "$tmp/user/db" ] && runuser -u nobody -- "$devdb" destroy "$tmp/user/db" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

owners() {
    stat -c '%U' "$victim" "$victim/file" | sort -u
}

# ---- l: a planted symlink ----
runuser -u nobody -- ln -s "$victim" "$planted"
rc=0
(cd "$checkout" && "$devdb" start) >"$tmp/l.out" 2>"$tmp/l.err" || rc=$?
check "l: dev-db start refuses a planted symlink" test "$rc" = 1
check "l: and says so" grep -q "is a symbolic link" "$tmp/l.err"
check "l: the link's target is still root's" test "$(owners)" = root
check "l: nothing was created in it" test "$(ls "$victim")" = file
rm -f "$planted"

# ---- o: a planted directory ----
runuser -u nobody -- mkdir "$planted"
rc=0
(cd "$checkout" && "$devdb" start) >"$tmp/o.out" 2>"$tmp/o.err" || rc=$?
check "o: dev-db start refuses a directory owned by another user" test "$rc" = 1
check "o: and says so" grep -q "is owned by another user" "$tmp/o.err"
check "o: it is left alone" test "$(stat -c %U "$planted")" = nobody
check "o: and empty" test -z "$(ls -A "$planted")"
rm -rf "$planted"

# ---- r: nothing planted: the README's quickstart as root ----
rc=0
(cd "$checkout" && "$devdb" start) >"$tmp/r.out" 2>"$tmp/r.err" || rc=$?
check "r: dev-db start as root works" test "$rc" = 0
[ "$rc" = 0 ] || cat "$tmp/r.err"
check "r: in the /tmp directory named after the checkout" test -f "$planted/data/PG_VERSION"
check "r: status says running" sh -c "cd '$checkout' && '$devdb' status >/dev/null"
url=$(cd "$checkout" && "$devdb" url)
check "r: url connects" test "$(psql "$url" -X -At -c 'SELECT 1' 2>/dev/null)" = 1
check "r: start again is a no-op" sh -c "cd '$checkout' && '$devdb' start"
check "r: stop" sh -c "cd '$checkout' && '$devdb' stop"
rc=0
(cd "$checkout" && "$devdb" status) >/dev/null 2>&1 || rc=$?
check "r: status after stop exits 3" test "$rc" = 3
check "r: destroy removes it" sh -c "cd '$checkout' && '$devdb' destroy && test ! -e '$planted'"

# ---- u: a normal user ----
mkdir "$tmp/user"
chown nobody "$tmp/user"
if runuser -u nobody -- test -x "$devdb"; then
    rc=0
    runuser -u nobody -- "$devdb" start "$tmp/user/db" >"$tmp/u.out" 2>"$tmp/u.err" || rc=$?
    check "u: dev-db start as a normal user works" test "$rc" = 0
    [ "$rc" = 0 ] || cat "$tmp/u.err"
    check "u: the cluster is that user's" test "$(stat -c %U "$tmp/user/db/data")" = nobody
    url=$(runuser -u nobody -- "$devdb" url "$tmp/user/db")
    check "u: url connects" test "$(psql "$url" -X -At -c 'SELECT 1' 2>/dev/null)" = 1
    check "u: destroy" runuser -u nobody -- "$devdb" destroy "$tmp/user/db"
else
    echo "skip - u: nobody cannot run $devdb from here"
fi

tap_summary
