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

status=0
"$runner" wait --timeout "$wait_timeout" || status=$?
if [ "$status" -ne 0 ]; then
    log "the database is not ready (runner wait exited $status); not starting '$1'"
    exit "$status"
fi

case ${RUNNER_SKIP_MIGRATIONS:-0} in
    1 | true | yes)
        log "RUNNER_SKIP_MIGRATIONS is set: not migrating"
        ;;
    *)
        "$runner" upgrade "$target" || status=$?
        if [ "$status" -ne 0 ]; then
            log "migration failed (runner upgrade $target exited $status); not starting '$1'"
            exit "$status"
        fi
        ;;
esac

exec "$@"
