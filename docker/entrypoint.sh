#!/bin/sh
# entrypoint.sh -- container entrypoint: wait for the database, migrate it,
# then become the service.
#
#   entrypoint.sh <service command> [args...]
#
# 1. `runner wait --timeout $RUNNER_WAIT_TIMEOUT` (default 60 s): retries
#    until the database accepts connections (a compose `depends_on:
#    service_healthy` makes this quick, but a database restarted or reached
#    over the network still needs it);
# 2. `runner upgrade $RUNNER_UPGRADE_TARGET` (default head) unless
#    RUNNER_SKIP_MIGRATIONS=1; many replicas may start at once: runner's
#    advisory lock lets one migrate while the others wait, then find
#    nothing left to do;
# 3. `exec "$@"`: the service replaces this shell (same pid), so it
#    receives SIGTERM from `docker stop` directly and its exit status is
#    the container's.
# A failed wait or migration exits with runner's status (1, or 2 for bad
# usage) and the service is never started.
#
# Signals: in a container this script is PID 1, and PID 1 has no default
# signal actions: a SIGTERM from `docker stop` that nobody handles is
# dropped (the migration used to run to its end and the service then
# started).  So runner runs as a child of this shell while TERM and INT are
# trapped and forwarded to it: runner rolls the current revision back and
# exits 143 (130 for INT), and the entrypoint exits with that status.
# After an interrupted wait or migration the service is never started,
# even when runner itself finished successfully (128 + the signal number).
#
# The database url and plugin directory are runner's usual settings:
# DATABASE_URL, ./runner.ini (the image's WORKDIR has one), or libpq's PG*
# variables.  RUNNER_BIN names the runner program (default: `runner` on
# PATH), so the script also runs outside a container.
set -eu

runner=${RUNNER_BIN:-runner}
wait_timeout=${RUNNER_WAIT_TIMEOUT:-60}
target=${RUNNER_UPGRADE_TARGET:-head}

log() {
    printf 'entrypoint: %s\n' "$*" >&2
}

if [ $# -eq 0 ]; then
    log "no service command given (usage: entrypoint.sh <command> [args...])"
    exit 2
fi

# A background job of a shell without job control starts with INT ignored
# and `runner wait` installs no handler of its own: env resets it where it
# can (GNU coreutils), so that a forwarded INT reaches runner.
reset_int=0
if env --default-signal=INT true 2>/dev/null; then
    reset_int=1
fi

child=          # pid of the runner now running, if any
caught=         # TERM or INT, once one arrived

on_signal() {
    caught=$1
    if [ -n "$child" ]; then
        kill -s "$1" "$child" 2>/dev/null || :
    fi
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

# run_runner ARGS...: runner ARGS as a child, waited for while TERM and INT
# are forwarded to it; sets status to its exit status.
run_runner() {
    if [ "$reset_int" -eq 1 ]; then
        env --default-signal=INT "$runner" "$@" &
    else
        "$runner" "$@" &
    fi
    child=$!
    # a signal that came before $! was known
    if [ -n "$caught" ]; then
        kill -s "$caught" "$child" 2>/dev/null || :
    fi
    while :; do
        status=0
        wait "$child" || status=$?
        # a trapped signal interrupts wait (status > 128) while the child
        # still runs (or is not reaped yet): wait for it again
        if [ "$status" -gt 128 ] && kill -0 "$child" 2>/dev/null; then
            continue
        fi
        break
    done
    child=
}

# stop_if_interrupted WHAT: after a signal, exit with runner's status (or
# 128 + the signal number when runner finished anyway); never start the
# service.
stop_if_interrupted() {
    [ -n "$caught" ] || return 0
    if [ "$status" -eq 0 ]; then
        case $caught in
            INT) status=130 ;;
            *) status=143 ;;
        esac
    fi
    log "interrupted by SIG$caught during $1 (exit $status); not starting '$service'"
    exit "$status"
}

service=$1
status=0
run_runner wait --timeout "$wait_timeout"
stop_if_interrupted "runner wait"
if [ "$status" -ne 0 ]; then
    log "the database is not ready (runner wait exited $status); not starting '$service'"
    exit "$status"
fi

case ${RUNNER_SKIP_MIGRATIONS:-0} in
    1 | true | yes)
        log "RUNNER_SKIP_MIGRATIONS is set: not migrating"
        ;;
    *)
        run_runner upgrade "$target"
        stop_if_interrupted "runner upgrade $target"
        if [ "$status" -ne 0 ]; then
            log "migration failed (runner upgrade $target exited $status); not starting '$service'"
            exit "$status"
        fi
        ;;
esac

# NEEDSWORK: a signal between this check and exec is caught by the trap and
# lost (a shell cannot block signals across exec); the window is a few
# instructions wide.
stop_if_interrupted "startup"
exec "$@"
