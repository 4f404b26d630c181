# tap.sh -- sourced by the shell test scripts (test_entrypoint.sh,
# test_dev_db.sh, tests/install/test_install.sh): "ok - NAME" and
# "not ok - NAME: WHY" lines, counted, and the closing summary.
# shellcheck shell=bash

passed=0
failed=0

pass() {
    echo "ok - $1"
    passed=$((passed + 1))
}

fail() {
    echo "not ok - $1: $2"
    failed=$((failed + 1))
}

# check NAME CONDITION-COMMAND...: pass when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then
        pass "$name"
    else
        fail "$name" "failed: $*"
    fi
}

# tap_summary: "N passed, N failed"; returns 1 when anything failed.
tap_summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
