#!/usr/bin/env bash
# graph.sh [N...]: time `runner heads` and `runner history` on N linear
# revisions (default 1000 and 10000) against `alembic heads` and
# `alembic history` on the same revisions, in the same run.
# Generated sources and plugins are cached in $BENCH_DIR (default
# build-bench/graph) because compiling 10 000 plugins takes minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
RUNNER_WITH_ALEMBIC=1 scripts/install-deps
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target runner >/dev/null
runner=$root/build-bench/runner/runner   # the binary; build-bench/runner is its folder
bench=${BENCH_DIR:-$root/build-bench/graph}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)

for n in "${sizes[@]}"; do
  dir=$bench/$n
  mkdir -p "$dir/plugins"
  chmod go-w "$dir" "$dir/plugins"
  python3 scripts/bench/gen-linear.py "$n" "$dir/revisions" "$dir/alembic"
  echo "== $n revisions: compiling (cached after the first run)"
  time "$runner" --sources "$dir/revisions" --dir "$dir/plugins" build --jobs "$(nproc)" -q >/dev/null
  "$runner" --dir "$dir/plugins" heads
  echo "== $n revisions: runner vs alembic"
  hyperfine --warmup 2 --min-runs 5 --export-markdown "$bench/result-$n.md" \
    -n "runner heads ($n)" "$runner --dir $dir/plugins heads" \
    -n "runner history ($n)" "$runner --dir $dir/plugins history > /dev/null" \
    -n "alembic heads ($n)" "alembic -c $dir/alembic/alembic.ini heads" \
    -n "alembic history ($n)" "alembic -c $dir/alembic/alembic.ini history > /dev/null"
done
cat "$bench"/result-*.md
