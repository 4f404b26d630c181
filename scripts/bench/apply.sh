#!/usr/bin/env bash
# apply.sh [N]: apply N trivial revisions (one CREATE TABLE each, default
# 1000) to a fresh database with `runner upgrade head`, and, in the same
# run, the same statements with psql: per revision one transaction holding
# the CREATE TABLE, the version-table update and a history-row insert, as
# runner does.  Each tool gets a freshly created database per run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000}
RUNNER_WITH_ALEMBIC=1 scripts/install-deps
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target runner >/dev/null
runner=$root/build-bench/runner/runner   # the binary; build-bench/runner is its folder
bench=${BENCH_DIR:-$root/build-bench/graph}/$n
mkdir -p "$bench/plugins"
chmod go-w "$bench" "$bench/plugins"
python3 scripts/bench/gen-linear.py "$n" "$bench/revisions"
"$runner" --sources "$bench/revisions" --dir "$bench/plugins" build -q --jobs "$(nproc)" >/dev/null

export RUNNER_DEV_DB_DIR=$root/build-bench/db
scripts/dev-db start >/dev/null
base_url=$(scripts/dev-db url)
psql_db() { scripts/dev-db psql -- -X -q -v ON_ERROR_STOP=1 "$@"; }

# The psql script: what runner does, statement for statement.
sql=$bench/apply.sql
{
  echo "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
  echo "CREATE TABLE runner_history (id bigserial PRIMARY KEY, revision varchar(32) NOT NULL, direction text NOT NULL, checksum text, started_at timestamptz NOT NULL, duration_ms double precision, db_user text, host text, runner_version text, success boolean NOT NULL);"
  prev=""
  for path in "$bench"/revisions/*.c; do
    f=${path##*/}
    id=${f%%_*}
    i=${f##*_t}; i=${i%.c}
    echo "BEGIN;"
    echo "CREATE TABLE t$i (id integer);"
    if [ -z "$prev" ]; then
      echo "INSERT INTO alembic_version (version_num) VALUES ('$id');"
    else
      echo "UPDATE alembic_version SET version_num = '$id' WHERE version_num = '$prev';"
    fi
    echo "INSERT INTO runner_history (revision, direction, checksum, started_at, duration_ms, db_user, host, runner_version, success) VALUES ('$id', 'upgrade', 'x', now(), 1, current_user, 'h', 'psql', true);"
    echo "COMMIT;"
    prev=$id
  done
} > "$sql"

fresh() { psql_db -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"; }
url_bench=${base_url/\/postgres\?//bench?}
export fresh_cmd="$root/scripts/dev-db psql -- -X -q -d postgres -c 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench'"
fresh
"$runner" --dir "$bench/plugins" --url "$url_bench" upgrade head -q
echo "runner applied $("$runner" --dir "$bench/plugins" --url "$url_bench" current)"
hyperfine --warmup 1 --min-runs 5 --export-markdown "$bench/apply-result.md" \
  --prepare "$fresh_cmd" \
  -n "runner upgrade head ($n revisions)" "$runner --dir $bench/plugins --url '$url_bench' upgrade head -q" \
  -n "psql, same statements ($n transactions)" "$root/scripts/dev-db psql -- -X -q -v ON_ERROR_STOP=1 -d bench -f $sql"
cat "$bench/apply-result.md"
