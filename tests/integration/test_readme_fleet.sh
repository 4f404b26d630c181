#!/usr/bin/env bash
# test_readme_fleet.sh -- the README's two fleet examples, run as written:
# the Kubernetes Job (completionMode: Indexed) and the GitHub Actions
# matrix of "More than one database" are read out of README.md (YAML
# parsed, not copied here), and each pod / matrix job's command is run
# with what the scheduler would give it (JOB_COMPLETION_INDEX, the matrix
# value) against databases of the PostgreSQL of $DATABASE_URL (run.sh
# starts a private one).  Only the file paths are mapped: the Secret's
# mount path and deploy/targets to a targets file here, the CI build's
# binary to the runner under test.  Kubernetes and GitHub themselves are
# not run.  Cases:
#   job     the Job is Indexed, its completions match the N of --shard
#           K/N; its N pods, each with its index, exit 0, their --json
#           shares are disjoint and together name every target once, and
#           every database is at head
#   matrix  the same for the matrix's values and its step's command
#
#   tests/integration/run.sh bash tests/integration/test_readme_fleet.sh path/to/runner
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-${RUNNER_BIN:-$root/build/runner/runner}}
cc=${CC:-cc}
[ -x "$bin" ] || { echo "test_readme_fleet: no runner binary at '$bin'" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[ -n "${DATABASE_URL:-}" ] || { echo "test_readme_fleet: needs DATABASE_URL (run.sh)" >&2; exit 2; }
# Debian's own python3: its yaml module is a package (python3-yaml)
py=/usr/bin/python3
"$py" -c 'import yaml' 2>/dev/null || { echo "test_readme_fleet: needs python3-yaml" >&2; exit 2; }

# shellcheck source=tests/integration/tap.sh
. "$here/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-fleet.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "test_readme_fleet: $*" >&2; exit 1; }
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
url_of() { # the url of database $1 on the same server
    "$py" - "$DATABASE_URL" "$1" <<'EOF'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print("%s://%s/%s%s" % (u.scheme, u.netloc, sys.argv[2], "?" + u.query if u.query else ""))
EOF
}

# ---- the revisions (the standby test's three) and eight databases ----
plugins=$tmp/plugins
mkdir -p "$plugins"
chmod go-w "$tmp" "$plugins"
for n in 1 2 3; do
    "$cc" -shared -fPIC -std=c11 -Wall -Werror -DSB_N=$n -I "$root/plugin-api/include" \
        "$root/tests/plugins/standby/sb_rev.c" -o "$plugins/sb000000000${n}_sb.so" ||
        die "cannot compile the test revisions with '$cc'"
done
export SB_SLEEP=0
: >"$tmp/targets"
for i in 1 2 3 4 5 6 7 8; do
    sql "DROP DATABASE IF EXISTS rf_$i" >/dev/null 2>&1
    sql "CREATE DATABASE rf_$i" >/dev/null || die "cannot create rf_$i"
    url_of "rf_$i" >>"$tmp/targets"
done

# ---- the two examples out of the README ----
"$py" - "$root/README.md" "$tmp" <<'EOF' || die "cannot read the README's fleet examples"
import re, sys, yaml
readme, out = sys.argv[1], sys.argv[2]
blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", open(readme).read(), re.S)]
job = next(b for b in blocks if isinstance(b, dict) and b.get("kind") == "Job")
spec = job["spec"]
pod = spec["template"]["spec"]
c = pod["containers"][0]
mount = next(m["mountPath"] for m in c["volumeMounts"])
with open(out + "/job.env", "w") as f:
    f.write("mode=%s\ncompletions=%d\nparallelism=%d\nmount=%s\n" %
            (spec.get("completionMode"), spec["completions"], spec["parallelism"], mount))
with open(out + "/job.cmd", "w") as f:
    assert c["command"] == ["sh", "-c"], c["command"]
    f.write(c["args"][0])
wf = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
j = next(iter(wf["jobs"].values()))
with open(out + "/matrix.values", "w") as f:
    f.write("\n".join(str(v) for v in j["strategy"]["matrix"]["shard"]) + "\n")
step = next(s["run"] for s in j["steps"] if "run" in s and "--shard" in s["run"])
with open(out + "/matrix.cmd", "w") as f:
    f.write(step)
EOF

# shares FILE...: every target named in the --json arrays, one per line
shares() {
    "$py" - "$@" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    for o in json.load(open(path)):
        print(o["target"], o["status"], o["applied"])
EOF
}
at_head() {
    local i ok=0
    for i in 1 2 3 4 5 6 7 8; do
        [ "$(psql "$(url_of "rf_$i")" -X -At -c 'SELECT version_num FROM alembic_version' 2>/dev/null)" = sb0000000003 ] &&
            ok=$((ok + 1))
    done
    [ "$ok" -eq 8 ]
}
# covered TAG N: N shares, each target exactly once, each migrated once
covered() {
    local files=() k
    for ((k = 0; k < $2; k++)); do files+=("$tmp/$1-$k.json"); done
    shares "${files[@]}" >"$tmp/$1.all" || return 1
    [ "$(wc -l <"$tmp/$1.all")" -eq 8 ] &&
        [ "$(cut -d' ' -f1 "$tmp/$1.all" | sort -u | wc -l)" -eq 8 ] &&
        [ "$(grep -c ' ok 3$' "$tmp/$1.all")" -eq 8 ]
}
reset_dbs() {
    local i
    for i in 1 2 3 4 5 6 7 8; do
        psql "$(url_of "rf_$i")" -X -q -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' >/dev/null 2>&1
    done
}

# ---- job: each pod's command, with its index ----
job_field() { sed -n "s/^$1=//p" "$tmp/job.env"; }
mode=$(job_field mode)
completions=$(job_field completions)
parallelism=$(job_field parallelism)
mount=$(job_field mount)
check "job: completionMode is Indexed" [ "$mode" = Indexed ]
check "job: parallelism runs every pod at once" [ "$parallelism" -eq "$completions" ]
check "job: --shard's N is the completions" grep -q -F -- "--shard \"\$JOB_COMPLETION_INDEX/$completions\"" "$tmp/job.cmd"
mkdir -p "$tmp/bin"
ln -sf "$bin" "$tmp/bin/runner"
job_cmd=$(sed "s#$mount/targets#$tmp/targets#g" "$tmp/job.cmd")
pods_ok=1
for ((k = 0; k < completions; k++)); do
    # the image's plugins directory is its runner.ini's; here, --dir
    (cd / && PATH="$tmp/bin:$PATH" JOB_COMPLETION_INDEX=$k \
        sh -c "$job_cmd --dir '$plugins'" >"$tmp/job-$k.json" 2>"$tmp/job-$k.err") ||
        { pods_ok=0; sed 's/^/  job: /' "$tmp/job-$k.err"; }
done
check "job: every pod exits 0" [ "$pods_ok" -eq 1 ]
check "job: the pods' shares name each target once, each migrated" covered job "$completions"
check "job: every database is at head" at_head

# ---- matrix: each job's step, with its value ----
# the checkout's runner.ini names the plugins directory
printf '[runner]\ndir = plugins\n' >"$tmp/runner.ini"
chmod 644 "$tmp/runner.ini"
reset_dbs
n_values=$(wc -l <"$tmp/matrix.values")
check "matrix: --shard's N is the number of values" grep -q -F -- "/$n_values --json" "$tmp/matrix.cmd"
jobs_ok=1
while read -r v; do
    step=$(sed -e "s#\${{ matrix.shard }}#$v#g" -e "s#build/runner/runner#$bin#" \
        -e "s#deploy/targets#$tmp/targets#" "$tmp/matrix.cmd")
    (cd "$tmp" && sh -c "$step" ) 2>"$tmp/matrix-$v.err" ||
        { jobs_ok=0; sed 's/^/  matrix: /' "$tmp/matrix-$v.err"; }
done <"$tmp/matrix.values"
check "matrix: every job exits 0" [ "$jobs_ok" -eq 1 ]
check "matrix: the jobs' shares name each target once, each migrated" covered fanout "$n_values"
check "matrix: every database is at head" at_head

tap_summary
