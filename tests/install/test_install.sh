#!/usr/bin/env bash
# test_install.sh -- runner as CMake users get it: installed into a
# temporary prefix, used from a project outside the tree, and moved.
#
#   tests/install/test_install.sh <build directory>
#
# Cases (no database needed):
#   i  `cmake --install <build> --prefix P` lays out bin/runner, the
#      headers, the CMake package and runner-plugin.pc
#   f  tests/install/outside: find_package(runner 0.1 REQUIRED) +
#      runner_add_revision() and runner::plugin build its plugin against
#      P's headers (not the source tree's), with a warning that does not
#      fail the build (no -Werror forced); find_package(runner 1.0) fails
#   u  the same build under umask 002: the plugin and its directory come
#      out without group write, and the installed runner loads it
#   r  P moved elsewhere: find_package and pkg-config still point into
#      it, and <moved>/bin/runner build compiles a revision against the
#      moved headers (found from the binary's own location)
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_install.sh <build directory>}
build=$(cd "$build" && pwd)
unset RUNNER_PLUGIN_INCLUDE CMAKE_PREFIX_PATH PKG_CONFIG_PATH

# shellcheck source=tests/integration/tap.sh
. "$here/../integration/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-install.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
log=$tmp/log

# ---- i: install ----
rc=0
cmake --install "$build" --prefix "$prefix" >"$log" 2>&1 || rc=$?
check "i: cmake --install into a temporary prefix" test "$rc" = 0
[ "$rc" = 0 ] || cat "$log"
check "i: bin/runner" test -x "$prefix/bin/runner"
check "i: include/runner/plugin.h" test -f "$prefix/include/runner/plugin.h"
check "i: include/runner/model.h" test -f "$prefix/include/runner/model.h"
cmakedir=$(dirname "$(find "$prefix" -name runnerConfig.cmake | head -n 1)")
check "i: runnerConfig.cmake" test -f "$cmakedir/runnerConfig.cmake"
check "i: runnerConfigVersion.cmake" test -f "$cmakedir/runnerConfigVersion.cmake"
check "i: runnerTargets.cmake" test -f "$cmakedir/runnerTargets.cmake"
pcdir=$(dirname "$(find "$prefix" -name runner-plugin.pc | head -n 1)")
check "i: runner-plugin.pc" test -f "$pcdir/runner-plugin.pc"
check "i: no installed file names the build or source tree" \
    bash -c "! grep -rlF -e '$build' -e '$(cd "$here/../.." && pwd)' '$cmakedir' '$pcdir'"
# the outside revision insists on this mark: proof that it compiled
# against the installed copy, not the source tree's
echo '#define RUNNER_TEST_INSTALLED_COPY 1' >>"$prefix/include/runner/plugin.h"

# outside PREFIX NAME [cmake args...]: configure and build the outside
# project against PREFIX into $tmp/NAME; sets rc.
outside() {
    local p=$1 name=$2
    shift 2
    rc=0
    cmake -S "$here/outside" -B "$tmp/$name" -DCMAKE_PREFIX_PATH="$p" "$@" \
        >"$tmp/$name.log" 2>&1 &&
        cmake --build "$tmp/$name" >>"$tmp/$name.log" 2>&1 || rc=$?
}

# ---- f: find_package from outside ----
outside "$prefix" out1
check "f: find_package(runner 0.1 REQUIRED) + runner_add_revision() builds" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 30 "$tmp/out1.log"
check "f: the plugin is where OUTPUT_DIR says" test -f "$tmp/out1/plugins/0ff51de00001_outside.so"
check "f: runner::plugin alone is enough" test -f "$tmp/out1/by_hand.so" -o -f "$tmp/out1/libby_hand.so"
check "f: the warning stayed a warning (no -Werror)" grep -q "unused_but_harmless" "$tmp/out1.log"
check "f: the installed runner reads the plugin" \
    bash -c "'$prefix/bin/runner' --dir '$tmp/out1/plugins' heads 2>&1 | grep -q 0ff51de00001"
outside "$prefix" out2 -DRUNNER_WANT_VERSION=1.0
check "f: find_package(runner 1.0) is refused" test "$rc" != 0
check "f: naming the version found" grep -q "0\.1\.0" "$tmp/out2.log"

# ---- u: a group-writable umask ----
rc=0
(umask 002 && outside "$prefix" out4 && exit "$rc") || rc=$?
check "u: builds under umask 002" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 30 "$tmp/out4.log"
check "u: the plugin is not group-writable" \
    bash -c "test -z \"\$(find '$tmp/out4/plugins' -perm /022)\""
# the build directory above the plugins is the user's own, not the
# helper's: runner checks it too, so make it what a umask 022 gives
chmod go-w "$tmp/out4"
check "u: the installed runner loads it" \
    bash -c "'$prefix/bin/runner' --dir '$tmp/out4/plugins' heads 2>&1 | grep -q 0ff51de00001"

# ---- r: the prefix moved ----
moved=$tmp/moved/elsewhere
mkdir -p "$tmp/moved"
mv "$prefix" "$moved"
outside "$moved" out3
check "r: find_package works from the moved prefix" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 30 "$tmp/out3.log"
cflags=$(PKG_CONFIG_PATH=${pcdir/#$prefix/$moved} pkg-config --cflags runner-plugin 2>&1)
cflags=${cflags%% }
check "r: pkg-config --cflags runner-plugin points into the moved prefix" \
    test "$(cd "${cflags#-I}" 2>/dev/null && pwd)" = "$(cd "$moved/include" && pwd)"
proj=$tmp/proj
mkdir -p "$proj/revisions"
cp "$here/outside/revisions/0ff51de00001_outside.c" "$proj/revisions/"
# `runner build` uses -Werror: without the deliberate warning
sed -i 's/^    int unused_but_harmless;.*$//' "$proj/revisions/0ff51de00001_outside.c"
rc=0
(cd "$proj" && "$moved/bin/runner" build) >"$tmp/build.log" 2>&1 || rc=$?
check "r: <moved>/bin/runner build works" test "$rc" = 0
[ "$rc" = 0 ] || cat "$tmp/build.log"
check "r: against the moved headers" test -f "$proj/plugins/0ff51de00001_outside.so"

tap_summary
