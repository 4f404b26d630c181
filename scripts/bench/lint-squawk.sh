#!/usr/bin/env bash
# lint-squawk.sh [CORPUS_DIR]: `runner lint` and squawk (npm squawk-cli,
# installed into a temporary directory, never into the repository) over
# the same corpus of migration SQL (default tests/lint/corpus/*.sql), one
# file per case.  Each file becomes one revision (a chain, in name order)
# whose upgrade() runs the file; "-- runner: no-transaction" in a file sets
# RUNNER_NO_TRANSACTION, and squawk gets --assume-in-transaction for every
# other file, so both see the same transaction.  Both are told
# PostgreSQL 15.
#
# The verdict compared is "dangerous" (some rule fired) or "safe".  Both
# linters' timeout rules are left out of it (runner lint --lock-timeout;
# squawk's require-lock-timeout and require-statement-timeout fire on
# nearly every file) and compared on their own afterwards, and so are
# squawk's style rules (listed in $squawk_style).  "-- expect:" in each
# file says which verdict is right; the reasons are in the notes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$(cd "${1:-$root/tests/lint/corpus}" && pwd)
cd "$root"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j2 --target runner >/dev/null
runner=$root/build-bench/runner/runner

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --silent --no-audit --no-fund --prefix "$tmp/npm" squawk-cli >/dev/null)
squawk=$tmp/npm/node_modules/.bin/squawk
echo "squawk: $("$squawk" --version)"

# One revision per corpus file.
mkdir -p "$tmp/revisions" "$tmp/plugins"
python3 - "$corpus" "$tmp/revisions" <<'PY'
import os, sys
corpus, out = sys.argv[1], sys.argv[2]
def c_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n"\n        "') + '"'
prev = None
for i, name in enumerate(sorted(f for f in os.listdir(corpus) if f.endswith('.sql')), 1):
    sql = open(os.path.join(corpus, name)).read()
    rev = "c%04d" % i
    flags = ",\n    .flags = RUNNER_NO_TRANSACTION" if "-- runner: no-transaction" in sql else ""
    down = ',\n    .down_revision = RUNNER_REVS("%s")' % prev if prev else ""
    with open(os.path.join(out, "%s_%s.c" % (rev, name[:-4])), "w") as f:
        f.write('#include <runner/plugin.h>\n\nRUNNER_REVISION(\n    .revision = "%s"%s,\n'
                '    .message = "%s"%s);\n\n' % (rev, down, name, flags))
        f.write('int upgrade(runner_op *op)\n{\n    return op_execute(op,\n        %s);\n}\n\n'
                % c_string(sql))
        f.write('int downgrade(runner_op *op)\n{\n    (void)op;\n    return 0;\n}\n')
    prev = rev
PY
"$runner" --sources "$tmp/revisions" --dir "$tmp/plugins" build -q >/dev/null
# exit 1 just means error-level findings: expected here
"$runner" --dir "$tmp/plugins" lint --json --pg-version 15 --lock-timeout 1 >"$tmp/runner.json" 2>/dev/null || true
"$runner" --dir "$tmp/plugins" lint --json --pg-version 15 >"$tmp/runner-timeout.json" 2>/dev/null || true

for f in "$corpus"/*.sql; do
  tx=(--assume-in-transaction)
  grep -q -- "-- runner: no-transaction" "$f" && tx=()
  "$squawk" --pg-version 15.0 --reporter json "${tx[@]}" "$f" >"$tmp/$(basename "$f").squawk.json" 2>/dev/null || true
done

python3 - "$corpus" "$tmp" <<'PY'
import json, os, sys
corpus, tmp = sys.argv[1], sys.argv[2]
squawk_timeout = {"require-lock-timeout", "require-statement-timeout"}
squawk_style = {"prefer-robust-stmts", "prefer-bigint-over-int", "prefer-bigint-over-smallint",
                "prefer-identity", "prefer-text-field", "prefer-timestamptz", "ban-char-field",
                "require-enum-value-ordering"}
files = sorted(f for f in os.listdir(corpus) if f.endswith('.sql'))
def runner_rules(path):
    by_rev = {}
    for f in json.load(open(path))["findings"]:
        by_rev.setdefault(f["revision"], set()).add(f["rule"])
    return by_rev
rr, rt = runner_rules(os.path.join(tmp, "runner.json")), runner_rules(os.path.join(tmp, "runner-timeout.json"))
n_stmts = 0
agree = runner_right = squawk_right = 0
t_agree = 0
t_differ = []
rows = []
for i, name in enumerate(files, 1):
    sql = open(os.path.join(corpus, name)).read()
    n_stmts += sum(1 for line in sql.split(";") if line.strip() and not all(
        l.strip().startswith("--") or not l.strip() for l in line.splitlines()))
    expect = "dangerous" if "-- expect: dangerous" in sql else "safe"
    rev = "c%04d" % i
    r = sorted(rr.get(rev, set()))
    s_all = {v["rule_name"] for v in json.load(open(os.path.join(tmp, name + ".squawk.json")))}
    s = sorted(s_all - squawk_timeout - squawk_style)
    rv, sv = ("dangerous" if r else "safe"), ("dangerous" if s else "safe")
    agree += rv == sv
    runner_right += rv == expect
    squawk_right += sv == expect
    rt_hit, st_hit = "lock-timeout-missing" in rt.get(rev, set()), "require-lock-timeout" in s_all
    t_agree += rt_hit == st_hit
    if rt_hit != st_hit:
        t_differ.append("%s (%s)" % (name, "runner only" if rt_hit else "squawk only"))
    rows.append((name, expect, rv, sv, r, s))
print("%d files, %d statements" % (len(files), n_stmts))
print("verdicts agree on %d of %d files; right by the corpus's expectation: runner %d, squawk %d"
      % (agree, len(files), runner_right, squawk_right))
print("lock timeout (runner lock-timeout-missing vs squawk require-lock-timeout): agree on %d of %d"
      % (t_agree, len(files)))
for d in t_differ:
    print("  lock timeout differs: " + d)
print()
print("%-40s %-9s %-9s %-9s %s" % ("file", "expect", "runner", "squawk", "rules (runner | squawk)"))
for name, expect, rv, sv, r, s in rows:
    mark = "" if rv == sv else "  <-- differ"
    print("%-40s %-9s %-9s %-9s %s | %s%s" % (name, expect, rv, sv, ",".join(r) or "-",
                                            ",".join(s) or "-", mark))
PY
