#!/usr/bin/env bash
# roundtrip.sh [N]: `runner test` on N trivial revisions (one CREATE TABLE
# each, default 1000), against, in the same run, what a plain migration of
# the same revisions costs: `runner upgrade head` then `runner downgrade
# base` on a fresh database.  runner test does three steps per revision
# (upgrade, downgrade, upgrade) and two schema snapshots, plus the final
# downgrade; its summary line says what the snapshots cost each.
#
#   RUNS=3 scripts/bench/roundtrip.sh 1000
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000}
runs=${RUNS:-3}
scripts/install-deps
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target runner >/dev/null
runner=$root/build-bench/runner/runner
[ -x "$runner" ] || runner=$root/build-bench/runner
bench=${BENCH_DIR:-$root/build-bench/graph}/$n
mkdir -p "$bench/plugins"
chmod go-w "$bench" "$bench/plugins"
python3 scripts/bench/gen-linear.py "$n" "$bench/revisions"
"$runner" --sources "$bench/revisions" --dir "$bench/plugins" build -q --jobs "$(nproc)" >/dev/null

export RUNNER_DEV_DB_DIR=$root/build-bench/db
scripts/dev-db start >/dev/null
trap '"$root/scripts/dev-db" stop >/dev/null 2>&1 || true' EXIT   # the script cd's away below
base_url=$(scripts/dev-db url)
url_bench=${base_url/\/postgres\?//bench?}
fresh_cmd="$root/scripts/dev-db psql -- -X -q -d postgres -c 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench'"

# from the bench directory: no runner.ini (and no models plugin) there
cd "$bench"
# one run first, for what the summary line says about snapshots
DATABASE_URL=$base_url "$runner" --dir "$bench/plugins" test -q | tail -n 1 \
  | tee "$bench/roundtrip-summary.txt"

hyperfine --runs "$runs" --export-markdown "$bench/roundtrip-result.md" \
  --prepare "$fresh_cmd" \
  -n "runner test ($n revisions: up, down, up each + downgrade base)" \
  "DATABASE_URL='$base_url' $runner --dir $bench/plugins test -q" \
  -n "runner upgrade head + downgrade base ($n revisions)" \
  "$runner --dir $bench/plugins --url '$url_bench' upgrade head -q && $runner --dir $bench/plugins --url '$url_bench' downgrade base -q"
cat "$bench/roundtrip-result.md"
