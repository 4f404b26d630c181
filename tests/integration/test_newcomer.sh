#!/usr/bin/env bash
# test_newcomer.sh -- the newcomer's path, end to end with the real runner,
# the real compiler and the PostgreSQL of $DATABASE_URL (run.sh starts a
# private one):
#
#   tests/integration/run.sh bash tests/integration/test_newcomer.sh path/to/runner
#
# `runner` is called by name (a bin directory with it goes first on PATH),
# so the workflow case is the README's transcript, command for command.
# Cases:
#   init      `runner init` scaffolds a project with safe modes under umask
#             002, refuses a non-empty directory, --force keeps files
#   workflow  init, revision --autogenerate, build, upgrade head, check,
#             current, history, a second autogenerate after a model edit,
#             downgrade -1, upgrade head (the README's transcript)
#   authoring two `revision -m` in a row make a chain, `merge heads` with
#             one head writes nothing, upgrade head; a stale plugin makes
#             upgrade warn in one line, --build builds it; a plugins-only
#             directory (a container) gets no warning
#   checksum  `cc $(runner cflags rev.c)` embeds the checksum (`runner
#             build` then has nothing to do); a plain cc plugin is rebuilt
#   config    `runner -c /abs/runner.ini` from another directory, %(here)s,
#             an unknown key warned about with file and line
#   cmake     the project's CMakeLists.txt against the installed package
#   complete  the bash completion: commands, options, revision ids and
#             labels, without running plugin code
#   man       the generated page renders without a warning
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-${RUNNER_BIN:-$root/build/runner/runner}}
[ -x "$bin" ] || { echo "test_newcomer: no runner binary at '$bin'" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[ -n "${DATABASE_URL:-}" ] || { echo "test_newcomer: needs DATABASE_URL (run.sh)" >&2; exit 2; }

passed=0
failed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1: $2"; failed=$((failed + 1)); }
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}
has() { grep -q -F -- "$1" "$2"; }
lacks() { ! grep -q -F -- "$1" "$2"; }
mode_of() { stat -c %a "$1"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-newcomer.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
ln -s "$bin" "$tmp/bin/runner"
PATH=$tmp/bin:$PATH
# not installed: the plugin headers of this tree
RUNNER_PLUGIN_INCLUDE=$root/plugin-api/include
export PATH RUNNER_PLUGIN_INCLUDE

# one database per case, on the harness's cluster
admin_url=$DATABASE_URL
db_url() {
    case $admin_url in
        *://*\?*) echo "$admin_url&dbname=$1" ;;
        *://*) echo "$admin_url?dbname=$1" ;;
        *) echo "$admin_url dbname=$1" ;;
    esac
}
new_db() {
    PGOPTIONS="--client-min-messages=warning" psql -q -X -v ON_ERROR_STOP=1 "$admin_url" -c "DROP DATABASE IF EXISTS $1" \
        -c "CREATE DATABASE $1" >/dev/null
    db_url "$1"
}

# ---- init ----
cd "$tmp" || exit 2
rc=0
(umask 002 && runner init proj >init.out 2>&1) || rc=$?
check "init: exit 0" test "$rc" = 0
for f in runner.ini CMakeLists.txt .gitignore models/user.c models/models.c; do
    check "init: writes $f, mode 644 under umask 002" test "$(mode_of "proj/$f" 2>/dev/null)" = 644
done
for d in . revisions plugins models; do
    check "init: creates $d/, mode 755 under umask 002" test "$(mode_of "proj/$d" 2>/dev/null)" = 755
done
check "init: plugins/ survives a clone (.gitkeep)" test -f proj/plugins/.gitkeep
check "init: CMakeLists.txt uses find_package(runner)" has "find_package(runner" proj/CMakeLists.txt
check "init: CMakeLists.txt uses runner_add_revision()" has "runner_add_revision(" proj/CMakeLists.txt
rc=0
runner init proj >init2.out 2>&1 || rc=$?
check "init: a non-empty directory is refused" test "$rc" = 1
check "init: saying so" has "runner: error: directory 'proj' already exists and is not empty" init2.out
echo "# mine" >proj/.gitignore
rc=0
runner init --force proj >init3.out 2>&1 || rc=$?
check "init: --force writes into it" test "$rc" = 0
check "init: --force keeps existing files" has "# mine" proj/.gitignore
rm -rf proj

# ---- workflow: the README's transcript ----
DATABASE_URL=$(new_db newcomer_workflow)
export DATABASE_URL
(
    set -e
    runner init myproject
    cd myproject
    runner revision --autogenerate -m "add users"
    runner build
    runner upgrade head
    runner check
    runner current
    runner history --indicate-current
    # the model gains a column
    sed -i 's|{ .name = "name", .type = RUNNER_T_VARCHAR(100) },|&\n        { .name = "nickname", .type = RUNNER_T_STRING },|' models/user.c
    runner revision --autogenerate -m "add nickname"
    runner build
    runner upgrade head
    runner downgrade -1
    runner upgrade head
    runner check
) >workflow.out 2>&1
rc=$?
check "workflow: every command succeeds" test "$rc" = 0
check "workflow: autogenerate finds the users table" has "Detected added table 'users'" workflow.out
check "workflow: and the new column" has "Detected added column 'users.nickname'" workflow.out
check "workflow: upgrade runs the first revision" grep -q "Running upgrade  -> [0-9a-f]*, add users" workflow.out
check "workflow: check is clean" test "$(grep -c "No new upgrade operations detected." workflow.out)" = 2
check "workflow: the table has the column" \
    test "$(psql -X -A -t "$DATABASE_URL" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'")" = 1
[ "$rc" = 0 ] || sed 's/^/    /' workflow.out

# ---- authoring: sources are part of the graph ----
DATABASE_URL=$(new_db newcomer_authoring)
export DATABASE_URL
# made by hand, not by init: this case must not depend on the one above
mkdir -p authoring/revisions authoring/plugins
chmod 755 authoring authoring/revisions authoring/plugins
printf '[runner]\ndir = plugins\nsources = revisions\n' >authoring/runner.ini
cd "$tmp/authoring" || exit 2
runner revision -m a >a.out 2>&1
runner revision -m b >b.out 2>&1
a_file=$(ls revisions/*_a.c 2>/dev/null)
b_file=$(ls revisions/*_b.c 2>/dev/null)
a_id=$(basename "${a_file:-x_}" | cut -d_ -f1)
check "authoring: revision -m a, revision -m b write two files" test -n "$a_file" -a -n "$b_file"
check "authoring: b revises a (not built in between)" has "RUNNER_REVS(\"$a_id\")" "${b_file:-/dev/null}"
runner heads >heads.out 2>&1
check "authoring: heads sees one head, b" test "$(grep -c "(head)" heads.out)" = 1
n_before=$(find revisions -name "*.c" | wc -l)
rc=0
runner merge heads >merge.out 2>&1 || rc=$?
check "authoring: merge heads with one head exits 0" test "$rc" = 0
check "authoring: says there is nothing to merge" has "nothing to merge" merge.out
check "authoring: and writes nothing" test "$(find revisions -name "*.c" | wc -l)" = "$n_before"
rc=0
runner upgrade head >up.out 2>&1 || rc=$?
check "authoring: upgrade head succeeds" test "$rc" = 0
check "authoring: and applies a then b" test "$(grep -c "Running upgrade" up.out)" = 2
runner revision -m c >/dev/null 2>&1
rc=0
runner upgrade head >stale.out 2>&1 || rc=$?
check "authoring: upgrade with an unbuilt source still exits 0" test "$rc" = 0
check "authoring: warning in one line, with the count and 'runner build'" \
    grep -q "^runner: warning: 1 plugin is older than its source or not built; run 'runner build'" stale.out
check "authoring: and the unbuilt revision is not run" lacks ", c (" stale.out
runner upgrade head --build >build.out 2>&1
check "authoring: upgrade --build builds and runs it" grep -q "Running upgrade .*, c (" build.out
rc=0
runner --dir "$tmp/mistyped" heads >mistyped.out 2>&1 || rc=$?
check "authoring: a missing plugin directory fails" test "$rc" = 1
check "authoring: and is not created by the implicit build" test ! -e "$tmp/mistyped"
mkdir -p "$tmp/fixture"
runner --dir "$tmp/fixture" heads >fixture.out 2>&1 || true
check "authoring: another --dir on the command line is not filled with this project's sources" \
    test -z "$(ls "$tmp/fixture")"
mkdir -p "$tmp/nocfg/revisions" "$tmp/nocfg/plugins"
cp revisions/*.c "$tmp/nocfg/revisions/"
(cd "$tmp/nocfg" && { runner heads >/dev/null 2>&1 || true; })
check "authoring: without a config naming them, ./revisions is not built" \
    test -z "$(ls "$tmp/nocfg/plugins")"
mkdir -p "$tmp/container"
cp -p plugins/*.so "$tmp/container/"
(cd "$tmp/container" && runner --dir . current >"$tmp/container.out" 2>&1)
check "authoring: plugins without sources (a container): no warning" lacks "warning" "$tmp/container.out"
cd "$tmp" || exit 2

# ---- checksum: every documented build path embeds it ----
cd "$tmp/authoring" || exit 2
runner revision -m d >/dev/null 2>&1
d_src=$(ls revisions/*_d.c)
d_so=plugins/$(basename "$d_src" .c).so
# shellcheck disable=SC2046  # the flags are words, as the README shows
cc -shared -fPIC $(runner cflags "$d_src") "$d_src" -o "$d_so"
want=$(tr -d '\r' <"$d_src" | sha256sum | cut -d' ' -f1)
check "checksum: cc \$(runner cflags FILE) embeds the source's sha256" grep -q -a "$want" "$d_so"
runner build >cb.out 2>&1
check "checksum: runner build has nothing to do then" has "nothing to build" cb.out
cc -shared -fPIC -I "$RUNNER_PLUGIN_INCLUDE" "$d_src" -o "$d_so"
check "checksum: a plain cc line leaves no checksum" lacks "$want" "$d_so"
runner build >cb2.out 2>&1
check "checksum: runner build rebuilds the plugin without one" has "compiled $d_src" cb2.out
check "checksum: which then carries it" grep -q -a "$want" "$d_so"
cd "$tmp" || exit 2

# ---- config: paths relative to the file ----
mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere" || exit 2
runner -c "$tmp/authoring/runner.ini" heads >cfg.out 2>&1
check "config: -c /abs/runner.ini heads works from another directory" grep -q "(head)" cfg.out
cat >here.ini <<EOF
[runner]
dir = %(here)s/../authoring/plugins
sources = %(here)s/no-sources-here
EOF
runner -c here.ini heads >here.out 2>&1
check "config: %(here)s is the file's directory" grep -q "(head)" here.out
printf '[runner]\n# a comment\ndir = ../authoring/plugins\nplugin_dir = x\n' >typo.ini
rc=0
runner -c typo.ini heads >typo.out 2>&1 || rc=$?
check "config: an unknown key is a warning (exit 0)" test "$rc" = 0
check "config: naming the file, line and key" \
    has "runner: warning: typo.ini:4: unknown key 'plugin_dir' in section [runner] (ignored)" typo.out
cd "$tmp" || exit 2

# ---- cmake: the scaffold's CMakeLists.txt against the installed package ----
build_dir=$(dirname "$(dirname "$bin")")
if [ -f "$build_dir/cmake_install.cmake" ]; then
    cmake --install "$build_dir" --prefix "$tmp/prefix" >install.out 2>&1
    runner init -q cm >/dev/null 2>&1
    cp "$tmp/authoring/$a_file" cm/revisions/
    rc=0
    (unset RUNNER_PLUGIN_INCLUDE && cmake -S cm -B cm/build -DCMAKE_PREFIX_PATH="$tmp/prefix" &&
        cmake --build cm/build) >cmake.out 2>&1 || rc=$?
    check "cmake: the project builds with find_package(runner)" test "$rc" = 0
    check "cmake: the revision plugin" test -f "cm/plugins/$(basename "$a_file" .c).so"
    check "cmake: the models plugin where runner.ini says" test -f cm/build/models.so
    (cd cm && runner build >../cm-build.out 2>&1)
    check "cmake: its plugins carry checksums (runner build: nothing to do)" \
        has "nothing to build" cm-build.out
    check "install: the completion" test -f "$tmp/prefix/share/bash-completion/completions/runner"
    check "install: the man page" test -f "$tmp/prefix/share/man/man1/runner.1"
    [ "$rc" = 0 ] || sed 's/^/    /' cmake.out
else
    echo "skip - cmake: no build tree around '$bin'"
fi

# ---- complete: bash completion ----
cd "$tmp/authoring" || exit 2
cat >revisions/zz_ctor.c <<'EOF'
#include <runner/plugin.h>
#include <stdio.h>
RUNNER_REVISION(.revision = "ccccdddd0001");
__attribute__((constructor)) static void ran(void) { fclose(fopen("CTOR_RAN", "w")); }
int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
EOF
mkdir -p "$tmp/ctor"
cc -shared -fPIC -I "$RUNNER_PLUGIN_INCLUDE" revisions/zz_ctor.c -o "$tmp/ctor/zz_ctor.so"
rm revisions/zz_ctor.c
complete_words() {
    # complete_words WORD...: COMPREPLY for the line "WORD... <TAB>"
    bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _runner
        printf "%s\n" "${COMPREPLY[@]}"' _ "$root/scripts/completion.bash" "$@"
}
complete_words runner "" >c1.out 2>&1
check "complete: commands" test "$(grep -c -x -E 'upgrade|downgrade|revision|init|heads' c1.out)" = 5
check "complete: hidden ones are not offered" lacks "__complete" c1.out
complete_words runner up >c2.out 2>&1
check "complete: a prefix" test "$(cat c2.out)" = upgrade
complete_words runner upgrade --s >c3.out 2>&1
check "complete: options of the command" grep -q -x -- "--sql" c3.out
complete_words runner upgrade "" >c4.out 2>&1
check "complete: revision ids" grep -q -x "$a_id" c4.out
check "complete: symbolic targets" grep -q -x "head" c4.out
complete_words runner --dir "$tmp/ctor" upgrade "" >c5.out 2>&1
check "complete: --dir on the line is followed" grep -q -x "ccccdddd0001" c5.out
check "complete: no plugin code runs" test ! -e CTOR_RAN -a ! -e "$tmp/ctor/CTOR_RAN"
cd "$tmp" || exit 2

# ---- man: generated from the help text ----
bash "$root/scripts/man-page" "$bin" >runner.1 2>man.err
check "man: generated" test -s runner.1 -a ! -s man.err
check "man: has every command" test "$(grep -c '^\.SS ' runner.1)" = "$(runner __complete commands | wc -l)"
groff -man -Tutf8 -ww -z runner.1 >groff.out 2>&1
check "man: renders without warnings (groff -man -ww)" test ! -s groff.out

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
