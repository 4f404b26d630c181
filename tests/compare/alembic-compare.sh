#!/usr/bin/env bash
# alembic-compare.sh RUNNER: build the same branched and merged revision
# graph with `runner revision`/`merge` and with Alembic 1.8's own
# `alembic revision`/`merge`, then compare what both print for the
# read-only commands (heads, branches, history in several ranges, show).
# Paths and create dates differ by nature and are masked.  Exits 77 (skip)
# when alembic is not installed.
set -euo pipefail
runner=$(realpath "$1")
command -v alembic >/dev/null || { echo "skip: alembic not installed"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p src plugins
chmod go-w . src plugins
alembic init -q al >/dev/null 2>&1 || alembic init al >/dev/null

failures=0
passes=0

mk() {
  local id=$1 msg=$2
  shift 2
  "$runner" --sources src --dir plugins revision -q --rev-id "$id" -m "$msg" "$@" >/dev/null
  "$runner" --sources src --dir plugins build -q >/dev/null
  alembic revision --rev-id "$id" -m "$msg" "$@" >/dev/null 2>&1
}
merge() {
  local id=$1 msg=$2
  shift 2
  "$runner" --sources src --dir plugins merge -q --rev-id "$id" -m "$msg" "$@" >/dev/null
  "$runner" --sources src --dir plugins build -q >/dev/null
  alembic merge --rev-id "$id" -m "$msg" "$@" >/dev/null 2>&1
}

# a -> b -> c -> e, b -> d (branch point b); f merges e and d; g is a new
# base labelled "other"; h depends on c; i follows the merge.
mk aaa1 "first"
mk bbb2 "second"
mk ccc3 "third"
mk ddd4 "branch d" --head bbb2 --splice
mk eee5 "more on c" --head ccc3
merge fff6 "merge" eee5 ddd4
mk ggg7 "other base" --head base --branch-label other
mk hhh8 "on other" --head other@head --depends-on ccc3
mk iii9 "after merge" --head fff6

mask() { sed -e 's#^Path: .*#Path: X#' -e 's#Create Date: .*#Create Date: X#' -e 's#^Branches into: .*#Branches into: X#'; }

# compare CMD [sorted]: "sorted" compares the lines in any order, for output
# whose order alembic takes from a Python set (a branch point's children).
compare() {
  local r a order=cat
  [ "${2:-}" = sorted ] && order="sort"
  # shellcheck disable=SC2086  # the command's words are meant to split
  r=$("$runner" --dir plugins $1 2>&1 | mask | $order)
  # shellcheck disable=SC2086
  a=$(alembic $1 2>&1 | mask | $order)
  if [ "$r" = "$a" ]; then
    echo "ok - $1"
    passes=$((passes + 1))
  else
    echo "not ok - $1"
    diff <(echo "$r") <(echo "$a") | sed 's/^/    /' || true
    failures=$((failures + 1))
  fi
}

compare "heads"
compare "heads --resolve-dependencies"
compare "heads --verbose"
compare "branches" sorted
compare "branches --verbose" sorted
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

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
