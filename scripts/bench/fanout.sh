#!/usr/bin/env bash
# fanout.sh [DATABASES] [REVISIONS]: fan-out benchmark (issue 4).  Apply
# REVISIONS trivial revisions (one CREATE TABLE each, default 50) to
# DATABASES fresh databases (default 50) on one local cluster, twice:
#   sequential: `runner upgrade head` once per database, one after another
#   fan-out:    one `runner upgrade head --targets FILE --jobs $JOBS` (8)
# Every database is dropped and recreated before each variant; both
# variants are checked to leave every database at head.  Prints both
# wall-clock times and the ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n_db=${1:-50}
n_rev=${2:-50}
jobs=${JOBS:-8}
out=${BENCH_DIR:-$root/build-bench-fanout}

cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$out" -j"$(nproc)" --target runner >/dev/null
runner=$out/runner/runner   # the binary; $out/runner is its folder
bench=$out/fanout/$n_rev
mkdir -p "$bench/plugins"
chmod go-w "$bench" "$bench/plugins"
python3 scripts/bench/gen-linear.py "$n_rev" "$bench/revisions"
"$runner" --sources "$bench/revisions" --dir "$bench/plugins" build -q --jobs "$(nproc)" >/dev/null

export RUNNER_DEV_DB_DIR=$out/db
scripts/dev-db start >/dev/null
trap 'scripts/dev-db stop >/dev/null 2>&1 || true' EXIT
base_url=$(scripts/dev-db url)
psql_pg() { scripts/dev-db psql -- -X -q -v ON_ERROR_STOP=1 -d postgres; }
url_of() { printf '%s\n' "${base_url/\/postgres\?//$1?}"; }

targets=$bench/targets
: > "$targets"
for i in $(seq "$n_db"); do url_of "fo$i" >> "$targets"; done

fresh() {
    for i in $(seq "$n_db"); do
        echo "DROP DATABASE IF EXISTS fo$i; CREATE DATABASE fo$i;"
    done | psql_pg >/dev/null
}

at_head() {
    local ok=0 head
    head=$("$runner" --dir "$bench/plugins" heads | awk '{print $1; exit}')
    while read -r u; do
        [ "$("$runner" --dir "$bench/plugins" --url "$u" current | awk '{print $1}')" = "$head" ] && ok=$((ok + 1))
    done < "$targets"
    [ "$ok" -eq "$n_db" ] || { echo "fanout.sh: only $ok of $n_db databases at head" >&2; exit 1; }
}

now() { date +%s.%N; }

fresh
t0=$(now)
while read -r u; do
    "$runner" --dir "$bench/plugins" --url "$u" -q upgrade head
done < "$targets"
t1=$(now)
at_head

fresh
t2=$(now)
"$runner" --dir "$bench/plugins" -q upgrade head --targets "$targets" --jobs "$jobs" >/dev/null
t3=$(now)
at_head

seq_s=$(echo "$t1 - $t0" | bc -l)
fan_s=$(echo "$t3 - $t2" | bc -l)
printf '%d databases x %d revisions on %d cores\n' "$n_db" "$n_rev" "$(nproc)"
printf 'sequential (one runner per database): %.2f s\n' "$seq_s"
printf 'fan-out (--jobs %d, one process):      %.2f s\n' "$jobs" "$fan_s"
printf 'ratio: %.1fx\n' "$(echo "$seq_s / $fan_s" | bc -l)"
