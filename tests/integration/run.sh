#!/usr/bin/env bash
# run.sh -- run an integration test executable against a private
# PostgreSQL cluster: scripts/dev-db starts one in a temporary directory
# (Unix socket only; as root the server runs as an unprivileged user), the
# executable gets DATABASE_URL, and the cluster is stopped and removed
# afterwards, whatever happens.
#
#   tests/integration/run.sh <test-executable> [args...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
devdb=$root/scripts/dev-db

[ $# -ge 1 ] || { echo "usage: $0 <test-executable> [args...]" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-it.XXXXXX")
# the server may run as another user (root: postgres): let it reach the dir
chmod 755 "$tmp"

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    "$devdb" stop "$tmp/db" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$devdb" start "$tmp/db"
DATABASE_URL=$("$devdb" url "$tmp/db")
RUNNER_TEST_TMP=$tmp
export DATABASE_URL RUNNER_TEST_TMP

status=0
"$@" || status=$?
if [ "$status" -ne 0 ] && [ -f "$tmp/db/log" ]; then
    echo "--- server log (last 30 lines) ---" >&2
    tail -n 30 "$tmp/db/log" >&2 || true
fi
exit "$status"
