/* cmd_upgrade.c -- `upgrade` and `downgrade`: argument parsing; the work
 * is migrate.c's. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"

static const char *const upgrade_usage[] = {
    "usage: runner upgrade [--sql] [--single-transaction] <target>",
    "",
    "Upgrade the database to a later revision: head, heads, an id or unique",
    "prefix, a branch label, label@head, +N, <rev>+N.",
    "  --sql                   print the SQL instead of running it (offline);",
    "                          <target> may be <from>:<to>, default from base",
    "  --single-transaction    run every revision in one transaction",
    "                          (default: one transaction per revision)",
    NULL,
};

static const char *const downgrade_usage[] = {
    "usage: runner downgrade [--sql] [--single-transaction] <target>",
    "",
    "Revert the database to a previous revision: base, an id, -N, <rev>-N,",
    "label@base.",
    "  --sql                   print the SQL instead of running it (offline);",
    "                          <target> must be <from>:<to>",
    "  --single-transaction    run every revision in one transaction",
    NULL,
};

enum { OPT_SQL = 256, OPT_SINGLE };

static int bad_usage(const char *const *usage, const char *what, const char *arg)
{
    fprintf(stderr, "runner: error: %s '%s'\n", what, arg);
    return cli_usage(usage, 1);
}

static int run(int argc, char **argv, struct ctx *ctx, enum migrate_kind kind,
               const char *const *usage)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "sql", no_argument, NULL, OPT_SQL },
        { "single-transaction", no_argument, NULL, OPT_SINGLE },
        { NULL, 0, NULL, 0 },
    };
    struct migrate_opts o = { .kind = kind };
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(usage, 0);
        case OPT_SQL: o.sql = 1; break;
        case OPT_SINGLE: o.single_transaction = 1; break;
        default: return bad_usage(usage, "unknown option", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "runner: error: %s needs a target\n", argv[0]);
        return cli_usage(usage, 1);
    }
    if (optind + 1 < argc)
        return bad_usage(usage, "unexpected argument", argv[optind + 1]);
    o.target = argv[optind];
    o.out = stdout;
    o.log = ctx->quiet ? NULL : stderr;
    if (migrate(ctx, &o, &ctx->err) < 0)
        return ctx->err.code == ERR_USAGE ? 2 : 1;
    return 0;
}

int cmd_upgrade(int argc, char **argv, struct ctx *ctx)
{
    return run(argc, argv, ctx, MIGRATE_UPGRADE, upgrade_usage);
}

int cmd_downgrade(int argc, char **argv, struct ctx *ctx)
{
    return run(argc, argv, ctx, MIGRATE_DOWNGRADE, downgrade_usage);
}
