/* cmd_stamp.c -- `stamp`: set the version table without running any
 * revision (Alembic's command.stamp); the work is migrate.c's. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_migrate.h"
#include "migrate.h"

static const char *const stamp_usage[] = {
    "usage: runner stamp [--sql] [--purge] [--lock-mode session|table] <target>",
    "",
    "Set the version table to <target> without running any migration.",
    "  --purge   empty the version table first (e.g. it names a revision",
    "            that no longer exists)",
    "  --sql     print the SQL instead of running it; <target> may be <from>:<to>",
    "  --lock-mode session|table",
    "            session: a session advisory lock (default; refused behind a",
    "            pooler in transaction mode); table: a lease row in runner_lock",
    "            beside the version table, for PgBouncer's pool_mode = transaction",
    NULL,
};

/* Options before or after the target, as alembic's argparse allows. */
int cmd_stamp(int argc, char **argv, struct ctx *ctx)
{
    struct migrate_opts o;
    struct migrate_result res = { 0 };
    int dashdash = 0;

    cmd_migrate_opts(&o, ctx, MIGRATE_STAMP);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (!dashdash && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
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
            else
                return cli_usage_error(ctx, stamp_usage,
                                       "--lock-mode must be session or table, got '%s'",
                                       err_quote(q, sizeof(q), v));
        } else if (!dashdash && a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            char q[ERR_QUOTE_SIZE];

            return cli_usage_error(ctx, stamp_usage, "unknown option '%s'",
                                   err_quote(q, sizeof(q), a));
        } else if (o.target) {
            return cli_unexpected(ctx, stamp_usage, a);
        } else {
            o.target = a;
        }
    }
    if (!o.target)
        return cli_usage_error(ctx, stamp_usage, "stamp needs a target");
    o.result = &res;
    if (migrate(&o, &ctx->err) < 0) {
        if (res.signum)
            return 128 + res.signum;
        return ctx->err.code == ERR_USAGE ? 2 : 1;
    }
    return 0;
}
