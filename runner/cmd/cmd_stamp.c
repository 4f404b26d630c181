/* cmd_stamp.c -- `stamp`: set the version table without running any
 * revision (Alembic's command.stamp); the work is migrate.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_migrate.h"
#include "migrate.h"

static const char *const stamp_usage[] = {
    "usage: runner stamp [--sql] [--purge] [--lock-mode session|table] <target>...",
    "",
    "Set the version table to <target> without running any migration.  Several",
    "targets stamp several branch heads at once (alembic's `stamp rev1 rev2`).",
    "  --purge   empty the version table first (e.g. it names a revision",
    "            that no longer exists)",
    "  --sql     print the SQL instead of running it; <target> may be <from>:<to>",
    "            (several targets: one <from> for all)",
    "  --lock-mode session|table",
    "            session: a session advisory lock (default; refused behind a",
    "            pooler in transaction mode); table: a lease row in runner_lock",
    "            beside the version table, for PgBouncer's pool_mode = transaction",
    NULL,
};

/* Options before or after the targets, as alembic's argparse allows. */
int cmd_stamp(int argc, char **argv, struct ctx *ctx)
{
    struct migrate_opts o;
    struct migrate_result res = { 0 };
    const char **targets = NULL;    /* argv's strings */
    size_t n = 0;
    int dashdash = 0;
    int ret;

    cmd_migrate_opts(&o, ctx, MIGRATE_STAMP);
    targets = calloc((size_t)argc, sizeof(*targets));
    if (!targets) {
        err_set(&ctx->err, ERR_FAIL, "out of memory");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (!dashdash && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            free(targets);
            return cli_usage(stamp_usage, 0);
        } else if (!dashdash && strcmp(a, "--sql") == 0) {
            o.sql = 1;
        } else if (!dashdash && strcmp(a, "--purge") == 0) {
            o.purge = 1;
        } else if (!dashdash && (strcmp(a, "--lock-mode") == 0 ||
                                 strncmp(a, "--lock-mode=", 12) == 0)) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : "");
            char q[ERR_QUOTE_SIZE];

            if (strcmp(v, "session") == 0)
                o.lock_mode = MIGRATE_LOCK_SESSION;
            else if (strcmp(v, "table") == 0)
                o.lock_mode = MIGRATE_LOCK_TABLE;
            else {
                free(targets);
                return cli_usage_error(ctx, stamp_usage,
                                       "--lock-mode must be session or table, got '%s'",
                                       err_quote(q, sizeof(q), v));
            }
        } else if (!dashdash && a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            char q[ERR_QUOTE_SIZE];

            free(targets);
            return cli_usage_error(ctx, stamp_usage, "unknown option '%s'",
                                   err_quote(q, sizeof(q), a));
        } else {
            targets[n++] = a;
        }
    }
    if (!n) {
        free(targets);
        return cli_usage_error(ctx, stamp_usage, "stamp needs a target");
    }
    o.target = targets[0];
    o.targets = targets;
    o.n_targets = n;
    o.result = &res;
    ret = 0;
    if (migrate(&o, &ctx->err) < 0) {
        if (res.signum)
            ret = 128 + res.signum;
        else
            ret = ctx->err.code == ERR_USAGE ? 2 : 1;
    }
    free(targets);
    return ret;
}
