#!/usr/bin/env bash
# alembic-compare.sh RUNNER: build the same branched, merged and labelled
# revision graph (depends_on across branches, an empty message, an empty
# create date) with runner and with Alembic 1.8 itself (lib.sh), then
# compare what both print for the read-only commands that need no
# database (heads, branches, history in several ranges, show).  Exits 77
# (skip) when alembic is not installed.
set -euo pipefail
runner=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
command -v alembic >/dev/null || { echo "skip: alembic not installed"; exit 77; }
# shellcheck source=tests/compare/lib.sh
. "$here/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
build_graph

compare "heads"
compare "heads --resolve-dependencies"
compare "heads --verbose"
compare "branches" children
compare "branches --verbose" children
compare "history"
compare "history --verbose"
compare "history -r bbb2:fff6"
compare "history -r ccc3:"
compare "history -r :ccc3"
compare "history -r other@base:"
compare "history -r bbb2:heads"
compare "show other@head"
compare "show heads"
compare "show bbb"
compare "show fff6"
compare "show ddd4"
compare "show kkk1"
compare "history -r aaa1:jjj0 --verbose"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
