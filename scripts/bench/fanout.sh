#!/usr/bin/env bash
# fanout.sh [DATABASES] [REVISIONS] [BASE]: fan-out against its floor (issue 14).
# Applies REVISIONS trivial revisions (one CREATE TABLE each, default 50)
# to DATABASES fresh databases (default 50) on one local cluster, with
#   floor:   the same SQL (`runner upgrade head --sql`: the revisions'
#            statements and the version-table updates) run by `psql -f`,
#            $JOBS psql processes at a time (xargs -P), one per database
#            (the psql binary of the newest /usr/lib/postgresql/*/bin, or
#            $PG_BINDIR, not Debian's Perl wrapper /usr/bin/psql)
#   floor1:  the same, but each database's whole script sent as one
#            message (`psql -c "$(cat upgrade.sql)"`): one round trip per
#            database, the tightest floor
#   fan-out: one `runner upgrade head --targets FILE --jobs $JOBS`
#   before:  with BASE (a git revision, e.g. main), the same fan-out by
#            the runner of BASE, built the same way from its own tree, so
#            that one run gives before, after and the floor
#   (SEQUENTIAL=1 adds `runner upgrade head` once per database, in turn;
#   TX=1 adds floor-tx, the floor's script cut into one transaction per
#   revision as runner runs them, and fan-out-1tx, the fan-out with
#   --single-transaction, as the floor's script runs: the cost of the
#   transactions told apart from runner's own)
# $ROUNDS rounds (default 3), the variants interleaved in each round so
# that a shared machine's load hits both alike; every database is emptied
# (schema public dropped and recreated) before each variant and checked to
# be at head after it.
# Prints each round, the medians and fan-out / floor.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n_db=${1:-50}
n_rev=${2:-50}
base=${3:-}
jobs=${JOBS:-8}
rounds=${ROUNDS:-3}
out=${BENCH_DIR:-$root/build-bench-fanout}

cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$out" -j"$(nproc)" --target runner >/dev/null
runner=$out/runner/runner   # the binary; $out/runner is its folder
bench=$out/fanout/$n_rev
mkdir -p "$bench/plugins"
chmod go-w "$bench" "$bench/plugins"
python3 scripts/bench/gen-linear.py "$n_rev" "$bench/revisions"
"$runner" --sources "$bench/revisions" --dir "$bench/plugins" build -q --jobs "$(nproc)" >/dev/null
if [ -n "$base" ]; then
    base_src=$out/fanout-base/src
    rm -rf "$base_src"
    mkdir -p "$base_src"
    git archive "$base" | tar -x -C "$base_src"
    cmake -S "$base_src" -B "$out/fanout-base/build" -DCMAKE_BUILD_TYPE=Release \
        -DRUNNER_BUILD_TESTS=OFF >/dev/null
    cmake --build "$out/fanout-base/build" -j"$(nproc)" --target runner >/dev/null
    runner_base=$out/fanout-base/build/runner/runner
    # BASE reads plugins built against its own headers (the metadata grows
    # at the end, and an older runner refuses a larger one)
    mkdir -p "$bench/plugins-base"
    chmod go-w "$bench/plugins-base"
    "$runner_base" --sources "$bench/revisions" --dir "$bench/plugins-base" build -q \
        --jobs "$(nproc)" >/dev/null
fi
"$runner" --dir "$bench/plugins" -q upgrade head --sql > "$bench/upgrade.sql"

export RUNNER_DEV_DB_DIR=$out/db
scripts/dev-db start >/dev/null
trap 'scripts/dev-db stop >/dev/null 2>&1 || true' EXIT
base_url=$(scripts/dev-db url)
# The floor runs the psql binary itself: Debian's /usr/bin/psql is a Perl
# wrapper (pg_wrapper) whose start-up would be counted against the floor.
pg_bindir=${PG_BINDIR:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5 -n -r | head -n1)}
psql_bin=$pg_bindir/psql
[ -x "$psql_bin" ] || psql_bin=$(command -v psql)
psql_pg() { scripts/dev-db psql -- -X -q -v ON_ERROR_STOP=1 -d postgres; }
url_of() { printf '%s\n' "${base_url/\/postgres\?//$1?}"; }

targets=$bench/targets
: > "$targets"
for i in $(seq "$n_db"); do url_of "fo$i" >> "$targets"; done

# the databases fo1..foN, created once (the cluster in $out/db is kept)
echo "SELECT format('CREATE DATABASE %I', 'fo' || g) FROM generate_series(1, $n_db) g
      WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'fo' || g) \gexec" |
    psql_pg >/dev/null

# Empty every database again (all the tables are in public).  Dropping and
# creating 200 databases takes minutes on a loaded machine; this is cheap.
fresh() {
    xargs -P "$jobs" -I{} "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d {} \
        -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' < "$targets" >/dev/null 2>&1
}

head=$("$runner" --dir "$bench/plugins" heads | awk '{print $1; exit}')
at_head() {
    local ok=0
    while read -r u; do
        [ "$("$psql_bin" -X -At -d "$u" -c 'SELECT version_num FROM alembic_version')" = "$head" ] &&
            ok=$((ok + 1))
    done < "$targets"
    [ "$ok" -eq "$n_db" ] || { echo "fanout.sh: $1: only $ok of $n_db databases at head" >&2; exit 1; }
}

now() { date +%s.%N; }

# CPU seconds, which a machine shared with others disturbs less than the
# wall clock: the server's (what the postmaster's reaped children, the
# backends, used: /proc/PID/stat cutime + cstime) and the client's (this
# shell's children: `times`).
tck=$(getconf CLK_TCK)
server_cpu() {
    awk -v t="$tck" '{ printf "%.2f\n", ($16 + $17) / t }' "/proc/$(head -n1 "$out/db/data/postmaster.pid")/stat"
}
# `times` must run in the shell whose children are counted, not in a
# $(...) or a pipeline's subshell, which start from zero
client_times() { times > "$bench/times"; }
client_cpu() {
    tail -n1 "$bench/times" | awk '{ n = split($0, f, /[ ms]+/); s = 0
        for (i = 1; i + 1 <= n; i += 2) s += f[i] * 60 + f[i + 1]; printf "%.2f\n", s }'
}

# One variant: fresh databases, the timed command, the check; prints
# seconds and appends "server-cpu client-cpu" to $bench/NAME.cpu.
timed() {
    local name=$1 t0 t1 s0 s1 c0 c1
    shift
    fresh
    sleep 0.3                   # the fresh backends have exited
    s0=$(server_cpu); client_times; c0=$(client_cpu)
    t0=$(now)
    "$@"
    t1=$(now)
    client_times; c1=$(client_cpu)
    sleep 0.3                   # and the run's
    s1=$(server_cpu)
    echo "$s1 - $s0" | bc -l | xargs printf '%.2f ' >> "$bench/$name.cpu"
    echo "$c1 - $c0" | bc -l | xargs printf '%.2f\n' >> "$bench/$name.cpu"
    at_head "$name"
    echo "$t1 - $t0" | bc -l
}

floor() {
    xargs -P "$jobs" -I{} "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d {} -f "$bench/upgrade.sql" \
        < "$targets" >/dev/null
}
floor1() {
    local sql
    sql=$(cat "$bench/upgrade.sql")
    # shellcheck disable=SC2016  # $1, $PSQL and $SQL expand in the child shell
    SQL=$sql PSQL=$psql_bin xargs -P "$jobs" -I{} \
        sh -c '"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$SQL"' sh {} \
        < "$targets" >/dev/null
}
fanout() {
    "$runner" --dir "$bench/plugins" -q upgrade head --targets "$targets" --jobs "$jobs" >/dev/null
}
floor_tx() {
    xargs -P "$jobs" -I{} "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d {} -f "$bench/upgrade-tx.sql" \
        < "$targets" >/dev/null
}
fanout_1tx() {
    "$runner" --dir "$bench/plugins" -q upgrade head --single-transaction --targets "$targets" \
        --jobs "$jobs" >/dev/null
}
before() {
    "$runner_base" --dir "$bench/plugins-base" -q upgrade head --targets "$targets" \
        --jobs "$jobs" >/dev/null
}
sequential() {
    while read -r u; do
        "$runner" --dir "$bench/plugins" --url "$u" -q upgrade head
    done < "$targets"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%d databases x %d revisions, --jobs %d, %d cores, load %s\n' "$n_db" "$n_rev" "$jobs" \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$bench/floor.times"
: > "$bench/fanout.times"
: > "$bench/floor1.times"
: > "$bench/sequential.times"
: > "$bench/before.times"
: > "$bench/floor-tx.times"
: > "$bench/fan-out-1tx.times"
rm -f "$bench"/*.cpu
# each revision's statements between BEGIN and COMMIT of their own
awk '/^-- Running upgrade/ && seen++ { print "COMMIT;\n\nBEGIN;\n" } { print }' \
    "$bench/upgrade.sql" > "$bench/upgrade-tx.sql"
for r in $(seq "$rounds"); do
    # alternate which goes first, so neither always runs on a warmer server
    b=
    if [ $((r % 2)) -eq 1 ]; then
        f=$(timed floor floor); f1=$(timed floor1 floor1); o=$(timed fan-out fanout)
        [ -z "$base" ] || b=$(timed before before)
    else
        [ -z "$base" ] || b=$(timed before before)
        o=$(timed fan-out fanout); f1=$(timed floor1 floor1); f=$(timed floor floor)
    fi
    echo "$f" >> "$bench/floor.times"
    echo "$f1" >> "$bench/floor1.times"
    echo "$o" >> "$bench/fanout.times"
    line=$(printf 'round %d: floor (psql -f) %.2f s, floor1 (psql -c) %.2f s, fan-out %.2f s' \
        "$r" "$f" "$f1" "$o")
    if [ -n "$base" ]; then
        echo "$b" >> "$bench/before.times"
        line="$line, before ($base) $(printf '%.2f' "$b") s"
    fi
    if [ "${TX:-0}" = 1 ]; then
        ft=$(timed floor-tx floor_tx); o1=$(timed fan-out-1tx fanout_1tx)
        echo "$ft" >> "$bench/floor-tx.times"
        echo "$o1" >> "$bench/fan-out-1tx.times"
        line="$line, floor-tx $(printf '%.2f' "$ft") s, fan-out-1tx $(printf '%.2f' "$o1") s"
    fi
    if [ "${SEQUENTIAL:-0}" = 1 ]; then
        s=$(timed sequential sequential)
        echo "$s" >> "$bench/sequential.times"
        line="$line, sequential $(printf '%.2f' "$s") s"
    fi
    echo "$line"
done
f=$(median < "$bench/floor.times")
f1=$(median < "$bench/floor1.times")
o=$(median < "$bench/fanout.times")
printf 'median: floor %.2f s, floor1 %.2f s, fan-out %.2f s\n' "$f" "$f1" "$o"
printf 'fan-out / floor %.2fx, fan-out / floor1 %.2fx\n' "$(echo "$o / $f" | bc -l)" \
    "$(echo "$o / $f1" | bc -l)"
if [ "${TX:-0}" = 1 ]; then
    ft=$(median < "$bench/floor-tx.times")
    o1=$(median < "$bench/fan-out-1tx.times")
    printf 'median: floor-tx %.2f s, fan-out-1tx %.2f s; fan-out / floor-tx %.2fx, ' "$ft" "$o1" \
        "$(echo "$o / $ft" | bc -l)"
    printf 'fan-out-1tx / floor %.2fx\n' "$(echo "$o1 / $f" | bc -l)"
fi
for v in floor floor1 fan-out before floor-tx fan-out-1tx; do
    [ -f "$bench/$v.cpu" ] || continue
    printf 'median cpu %s: server %.2f s, client %.2f s\n' "$v" \
        "$(cut -d' ' -f1 "$bench/$v.cpu" | median)" "$(cut -d' ' -f2 "$bench/$v.cpu" | median)"
done
if [ -n "$base" ]; then
    b=$(median < "$bench/before.times")
    printf 'median: before (%s) %.2f s, before / floor %.2fx, fan-out / before %.2fx\n' "$base" \
        "$b" "$(echo "$b / $f" | bc -l)" "$(echo "$o / $b" | bc -l)"
fi
if [ "${SEQUENTIAL:-0}" = 1 ]; then
    printf 'median: sequential %.2f s\n' "$(median < "$bench/sequential.times")"
fi
