/* cmd_check.c -- `runner check`: do the models match the database?
 *
 * alembic check: exit 0 with "No new upgrade operations detected." when
 * an autogenerate would find nothing, else list what it would find and
 * exit 1 (for CI pipelines).  The comparison is autogen.c's. */
#include <getopt.h>
#include <stdio.h>

#include "autogen.h"
#include "cli.h"

static const char *const check_usage[] = {
    "usage: runner check",
    "",
    "compare the models plugin (--models, or 'models =' in the config) with the",
    "database at head; exit 0 when nothing differs, 1 listing the differences",
    NULL,
};

int cmd_check(int argc, char **argv, struct ctx *ctx)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct schema model = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;
    struct autogen_opts ao;
    int c, before;

    optind = 0;     /* GNU: a full reset, as every command does */
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h')
            return cli_usage(check_usage, 0);
        return cli_bad_option(ctx, check_usage, argc, argv, before, "h");
    }
    if (optind < argc)
        return cli_unexpected(ctx, check_usage, argv[optind]);
    cli_autogen_opts(ctx, &ao);
    if (autogen_compare(&ao, &model, &db, &d, &ctx->err) < 0)
        return ctx->err.code == ERR_USAGE ? 2 : 1;
    if (d.n_ops == 0) {
        printf("No new upgrade operations detected.\n");
    } else {
        autogen_print(&d, stdout);
        err_set(&ctx->err, ERR_FAIL, "New upgrade operations detected: %zu", d.n_ops);
    }
    diff_release(&d);
    schema_release(&model);
    schema_release(&db);
    return ctx->err.code == ERR_OK ? 0 : 1;
}
