#!/usr/bin/env bash
# alembic-compare-db.sh RUNNER: the commands that read or set the version
# table, against Alembic 1.8 itself on the graph of lib.sh and one
# database of the private cluster in $DATABASE_URL (run through
# tests/integration/run.sh): `current` (plain and --verbose) when rows
# depend on another branch, `history --indicate-current`, `show current`,
# and `stamp` with several revisions, online (the rows it leaves) and with
# --sql (the SQL it prints).  Exits 77 (skip) without alembic or psycopg2.
set -euo pipefail
runner=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
command -v alembic >/dev/null || { echo "skip: alembic not installed"; exit 77; }
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || { echo "skip: no psycopg2"; exit 77; }
: "${DATABASE_URL:?run me through tests/integration/run.sh}"
# shellcheck source=tests/compare/lib.sh
. "$here/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

db=alembic_compare_db
psql -q -X "$DATABASE_URL" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
url=${DATABASE_URL/\/postgres\?//$db?}
build_graph
ini_url=${url//%/%%}            # configparser interpolation
ini_url=${ini_url//&/\\&}       # sed's replacement
sed -i "s#^sqlalchemy.url = .*#sqlalchemy.url = $ini_url#" alembic.ini
psql -q -X "$url" -c "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,
                        CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))" >/dev/null

# rows ID...: the version table holds exactly these
rows() {
  local sql="DELETE FROM alembic_version;"
  for id in "$@"; do sql+="INSERT INTO alembic_version VALUES ('$id');"; done
  psql -q -X "$url" -c "$sql" >/dev/null
}
table() { psql -X -A -t "$url" -c "SELECT version_num FROM alembic_version ORDER BY 1" | paste -sd' '; }

# The "Current revision(s) for <url>:" line: each prints the url its way.
mask_url() { sed 's#^Current revision(s) for .*:$#Current revision(s) for URL:#'; }
# current and show current come from a Python set in alembic: any order
# of the revisions, so compare them sorted (one line each, or one verbose
# entry each, split at "Rev: ").
sort_entries() { awk '/^Rev: /{ n++ } { e[n] = e[n] $0 "\035" } END { for (i in e) print e[i] }' | sort | tr '\035' '\n'; }

check() {
  local what=$1 r=$2 a=$3
  if [ "$r" = "$a" ]; then
    echo "ok - $what"
    passes=$((passes + 1))
  else
    echo "not ok - $what"
    diff <(echo "$r") <(echo "$a") | sed 's/^/    /' || true
    failures=$((failures + 1))
  fi
}

# read_cmp STATE CMD [lines|entries]: stdout of both with the version table
# at STATE, in order, or sorted by line or by verbose entry
read_cmp() {
  local state=$1 cmd=$2 order=cat r a
  [ "${3:-}" = lines ] && order="sort"
  [ "${3:-}" = entries ] && order=sort_entries
  # shellcheck disable=SC2086  # the words are meant to split
  rows $state
  # shellcheck disable=SC2086
  r=$("$runner" --dir plugins --url "$url" $cmd 2>/dev/null | mask | mask_url | $order)
  # shellcheck disable=SC2086
  a=$(alembic $cmd 2>/dev/null | mask | mask_url | $order)
  check "[$state] $cmd" "$r" "$a"
}

# hhh8 depends on ccc3 (another branch): current adds ccc3
for state in "hhh8" "hhh8 eee5" "ddd4 ccc3" "iii9 kkk1" "jjj0 hhh8" "ccc3"; do
  read_cmp "$state" "current" lines
  read_cmp "$state" "current --verbose" entries
  read_cmp "$state" "history --indicate-current"
  read_cmp "$state" "history --indicate-current --verbose"
  read_cmp "$state" "show current" entries
done
read_cmp "hhh8" "history -r current:"
# two current heads: alembic orders parallel branches by its revision map,
# which is os.listdir() order, so only the lines are compared
read_cmp "eee5 ddd4" "history -r :current" lines

# stamp_cmp STATE TARGETS...: the rows each leaves, from the same state
stamp_cmp() {
  local state=$1 r a rs as
  shift
  # shellcheck disable=SC2086
  rows $state
  rs=0; "$runner" --dir plugins --url "$url" -q stamp "$@" >/dev/null 2>&1 || rs=$?
  r="exit $([ "$rs" -eq 0 ] && echo 0 || echo failed): $(table)"
  # shellcheck disable=SC2086
  rows $state
  as=0; alembic stamp "$@" >/dev/null 2>&1 || as=$?
  a="exit $([ "$as" -eq 0 ] && echo 0 || echo failed): $(table)"
  check "[$state] stamp $*" "$r" "$a"
}
stamp_cmp "" eee5 ddd4
stamp_cmp "" hhh8 iii9
stamp_cmp "" heads
stamp_cmp "" jjj0 ccc3 kkk1
stamp_cmp "ccc3" eee5 ggg7
stamp_cmp "eee5 ddd4" fff6
stamp_cmp "iii9" ddd4 ggg7
stamp_cmp "iii9 kkk1" aaa1 hhh8
stamp_cmp "iii9 kkk1" base
stamp_cmp "" other@head bbb2
stamp_cmp "" eee5 ccc3
stamp_cmp "" nosuch eee5

# sql_cmp ARGS...: the SQL of `stamp --sql ARGS` (alembic's INFO lines go
# to stderr); both fail on an error
sql_cmp() {
  local r a
  r=$("$runner" --dir plugins -q stamp --sql "$@" 2>/dev/null || echo "(failed)")
  a=$(alembic stamp --sql "$@" 2>/dev/null | grep -v '^FAILED: ' || echo "(failed)")
  check "stamp --sql $*" "$r" "$a"
}
sql_cmp eee5 ddd4
sql_cmp hhh8 iii9
sql_cmp bbb2:eee5 bbb2:ddd4
sql_cmp eee5:fff6
sql_cmp bbb2:eee5 ccc3:ddd4

psql -q -X "$DATABASE_URL" -c "DROP DATABASE $db" >/dev/null
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
