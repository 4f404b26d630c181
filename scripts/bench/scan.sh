#!/usr/bin/env bash
# scan.sh [N] [BASE]: the plugin directory scan, `runner --dir plugins
# heads` and `history` on N linear revisions (default 1000), for this tree
# and for git revision BASE (default: where this branch left main), in one
# hyperfine run and then interleaved (interleave.py), with `runner
# --version` as the floor (process start, no scan).  This tree is timed twice: with the scan index `runner build`
# writes (.runner-index) and on a copy of the plugins without it (every
# plugin read, as after a build by cc or CMake).  BASE reads the same
# plugin files when it can (same metadata ABI); otherwise plugins it built
# itself.
#
#   scripts/bench/scan.sh 1000 main
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000}
base=${2:-$(git merge-base HEAD main)}
command -v hyperfine >/dev/null || RUNNER_WITH_ALEMBIC=1 scripts/install-deps
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target runner >/dev/null
runner=$root/build-bench/runner/runner

# BASE, built the same way from its own tree
base_src=$root/build-bench/scan-base/src
rm -rf "$base_src"
mkdir -p "$base_src"
git archive "$base" | tar -x -C "$base_src"
cmake -S "$base_src" -B "$root/build-bench/scan-base/build" -DCMAKE_BUILD_TYPE=Release \
  -DRUNNER_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-bench/scan-base/build" -j"$(nproc)" --target runner >/dev/null
runner_base=$root/build-bench/scan-base/build/runner/runner

bench=${BENCH_DIR:-$root/build-bench/graph}/$n
mkdir -p "$bench/plugins"
chmod go-w "$bench" "$bench/plugins"
python3 scripts/bench/gen-linear.py "$n" "$bench/revisions"
"$runner" --sources "$bench/revisions" --dir "$bench/plugins" build -q --jobs "$(nproc)" >/dev/null
plugins_base=$bench/plugins
if ! "$runner_base" --dir "$plugins_base" heads >/dev/null 2>&1; then
  plugins_base=$bench/plugins-base
  mkdir -p "$plugins_base"
  chmod go-w "$plugins_base"
  "$runner_base" --sources "$bench/revisions" --dir "$plugins_base" build -q --jobs "$(nproc)" >/dev/null
fi
# the same plugins without the index (cp -p keeps the mtimes, as COPY does)
rm -rf "$bench/plugins-noindex"
mkdir -p "$bench/plugins-noindex"
chmod go-w "$bench/plugins-noindex"
cp -p "$bench"/plugins/*.so "$bench/plugins-noindex/"
[ -f "$bench/plugins/.runner-index" ]
[ "$("$runner" --dir "$bench/plugins" heads)" = "$("$runner_base" --dir "$plugins_base" heads)" ]
[ "$("$runner" --dir "$bench/plugins-noindex" heads)" = "$("$runner_base" --dir "$plugins_base" heads)" ]

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$bench"                     # no runner.ini here
hyperfine -N --warmup 5 --min-runs 60 --export-json "$bench/scan-result.json" \
  -n "floor: runner --version" "$runner --version" \
  -n "before ($base): heads" "$runner_base --dir $plugins_base heads" \
  -n "after, no index: heads" "$runner --dir $bench/plugins-noindex heads" \
  -n "after, index: heads" "$runner --dir $bench/plugins heads" \
  -n "before ($base): history" "$runner_base --dir $plugins_base history" \
  -n "after, no index: history" "$runner --dir $bench/plugins-noindex history" \
  -n "after, index: history" "$runner --dir $bench/plugins history"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# medians of wall time (the mean of a noisy shared machine is its
# outliers), and CPU time (user + system, hyperfine's means), which other
# load on the machine disturbs less; each also less the floor
python3 - "$bench/scan-result.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
def cpu(r):
    return (r["user"] + r["system"]) * 1e3
floor, floor_cpu = rs[0]["median"] * 1e3, cpu(rs[0])
print("| command | median ms | median - floor | user ms | system ms | cpu ms | cpu - floor |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for r in rs:
    print("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (r["command"], r["median"] * 1e3,
          r["median"] * 1e3 - floor, r["user"] * 1e3, r["system"] * 1e3, cpu(r), cpu(r) - floor_cpu))
for before in (1, 4):
    for after in (before + 1, before + 2):
        print("%s / %s: median %.2f, cpu %.2f, cpu - floor %.2f" % (
            rs[after]["command"], rs[before]["command"], rs[after]["median"] / rs[before]["median"],
            cpu(rs[after]) / cpu(rs[before]),
            (cpu(rs[after]) - floor_cpu) / (cpu(rs[before]) - floor_cpu)))
PY

# the same commands again, interleaved (see interleave.py)
python3 "$root/scripts/bench/interleave.py" "${INTERLEAVE_RUNS:-100}" \
  "floor: runner --version=$runner --version" \
  "before: heads=$runner_base --dir $plugins_base heads" \
  "after, no index: heads=$runner --dir $bench/plugins-noindex heads" \
  "after, index: heads=$runner --dir $bench/plugins heads" \
  "before: history=$runner_base --dir $plugins_base history" \
  "after, no index: history=$runner --dir $bench/plugins-noindex history" \
  "after, index: history=$runner --dir $bench/plugins history"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
