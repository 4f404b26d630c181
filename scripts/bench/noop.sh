#!/usr/bin/env bash
# noop.sh [N] [BASE]: what every container start pays, a no-op
# `runner upgrade head` on a database that has N revisions applied
# (default 1000), measured in one run for this tree and for git revision
# BASE (default: where this branch left main), each two ways:
#   plugins only     --dir plugins (a container: no sources)
#   with sources     --sources revisions --dir plugins (a checkout: the
#                    stale-plugin check looks at every source too)
# and, as the floor, psql connecting and running one statement (the psql
# binary of the newest /usr/lib/postgresql/*/bin, or $PG_BINDIR, not
# Debian's Perl wrapper /usr/bin/psql, whose start-up would count).  Then
# the messages each one sends the server (sendto calls, under strace when
# it is installed).
#
#   scripts/bench/noop.sh 1000 main
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000}
base=${2:-$(git merge-base HEAD main)}
RUNNER_WITH_ALEMBIC=1 scripts/install-deps   # hyperfine
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target runner >/dev/null
runner=$root/build-bench/runner/runner

# BASE, built the same way from its own tree
base_src=$root/build-bench/noop-base/src
rm -rf "$base_src"
mkdir -p "$base_src"
git archive "$base" | tar -x -C "$base_src"
cmake -S "$base_src" -B "$root/build-bench/noop-base/build" -DCMAKE_BUILD_TYPE=Release \
  -DRUNNER_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-bench/noop-base/build" -j"$(nproc)" --target runner >/dev/null
runner_base=$root/build-bench/noop-base/build/runner/runner

bench=${BENCH_DIR:-$root/build-bench/graph}/$n
mkdir -p "$bench/plugins"
chmod go-w "$bench" "$bench/plugins"
python3 scripts/bench/gen-linear.py "$n" "$bench/revisions"
"$runner" --sources "$bench/revisions" --dir "$bench/plugins" build -q --jobs "$(nproc)" >/dev/null
# BASE reads plugins built against its own headers (the metadata grows at
# the end, and an older runner refuses a larger one)
mkdir -p "$bench/plugins-base"
chmod go-w "$bench/plugins-base"
"$runner_base" --sources "$bench/revisions" --dir "$bench/plugins-base" build -q --jobs "$(nproc)" >/dev/null

export RUNNER_DEV_DB_DIR=$root/build-bench/db
scripts/dev-db start >/dev/null
trap '"$root/scripts/dev-db" stop >/dev/null 2>&1 || true' EXIT   # the script cd's away below
pg_bindir=${PG_BINDIR:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5 -n -r | head -n1)}
psql_bin=$pg_bindir/psql
[ -x "$psql_bin" ] || psql_bin=$(command -v psql)
base_url=$(scripts/dev-db url)
url=${base_url/\/postgres\?//noop?}
scripts/dev-db psql -- -X -q -d postgres -c 'DROP DATABASE IF EXISTS noop' -c 'CREATE DATABASE noop'
"$runner" --dir "$bench/plugins" --url "$url" upgrade head -q
echo "at $("$runner" --dir "$bench/plugins" --url "$url" current)"

cd "$bench"                     # no runner.ini here
only="--dir $bench/plugins --url '$url' upgrade head -q"
src="--sources $bench/revisions --dir $bench/plugins --url '$url' upgrade head -q"
only_base="--dir $bench/plugins-base --url '$url' upgrade head -q"
src_base="--sources $bench/revisions --dir $bench/plugins-base --url '$url' upgrade head -q"
hyperfine -N --warmup 5 --min-runs 40 --export-markdown "$bench/noop-result.md" \
  --export-json "$bench/noop-result.json" \
  -n "before ($base), plugins only" "$runner_base $only_base" \
  -n "after, plugins only" "$runner $only" \
  -n "before ($base), with sources" "$runner_base $src_base" \
  -n "after, with sources" "$runner $src" \
  -n "floor: psql -c 'SELECT 1'" "$psql_bin -X -q -d '$url' -c 'SELECT 1'"
cat "$bench/noop-result.md"
python3 - "$bench/noop-result.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"median {r['median'] * 1000:6.1f} ms  {r['command']}")
PY

# The same commands interleaved (each round runs each once, in turn), so
# that a load change on a shared machine hits all of them alike: medians,
# and minimums (the runs least disturbed by other work).
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# The parts of "after": the process (--version), the scan and the graph
# (heads), the checksum check (--ignore-checksums skips it); what is left
# is connecting and the round trip.  psql --version is the floor's own
# start: loading libpq and the libraries it needs (TLS, Kerberos, LDAP),
# which every libpq program pays before it can connect.
python3 - "${ROUNDS:-60}" "$runner_base $only_base" "$runner $only" \
  "$psql_bin -X -q -d '$url' -c 'SELECT 1'" "$runner $only --ignore-checksums" \
  "$runner --dir $bench/plugins heads" "$runner --version" "$psql_bin --version" <<'PY'
import shlex, statistics, subprocess, sys, time
rounds, cmds = int(sys.argv[1]), sys.argv[2:]
names = ["before, plugins only", "after, plugins only", "floor: psql -c 'SELECT 1'",
         "after, --ignore-checksums", "after's heads (no database)", "after's --version",
         "floor's start: psql --version"]
times = [[] for _ in cmds]
argvs = [shlex.split(c) for c in cmds]
for i in range(rounds + 3):
    for k in range(len(argvs)):
        j = (i + k) % len(argvs)
        t = time.perf_counter()
        subprocess.run(argvs[j], stdout=subprocess.DEVNULL, check=True)
        if i >= 3:          # warm-up rounds
            times[j].append((time.perf_counter() - t) * 1000)
for n, t in zip(names, times):
    print(f"interleaved median {statistics.median(t):6.1f} ms  min {min(t):6.1f} ms  {n}")
print(f"after/before {statistics.median(times[1]) / statistics.median(times[0]):.2f}, "
      f"after - floor {statistics.median(times[1]) - statistics.median(times[2]):.1f} ms; "
      f"by the minimums {min(times[1]) / min(times[0]):.2f}, "
      f"{min(times[1]) - min(times[2]):.1f} ms")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# messages to the server per run: the startup packet and the terminate
# message are one each, every statement round trip one more
if command -v strace >/dev/null; then
    sends() {
        strace -f -qq -e trace=sendto -o "$bench/strace.out" "$@" >/dev/null 2>&1
        grep -c 'sendto(' "$bench/strace.out"
    }
    # shellcheck disable=SC2086  # the argument strings are word-split on purpose
    {
        echo "sendto calls, before: $(eval sends "$runner_base" $only_base)"
        echo "sendto calls, after:  $(eval sends "$runner" $only)"
        echo "sendto calls, floor:  $(eval sends "$psql_bin" -X -q -d "'$url'" -c "'SELECT 1'")"
    }
fi
