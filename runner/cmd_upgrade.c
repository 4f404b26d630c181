/* cmd_upgrade.c -- `upgrade` and `downgrade`: argument parsing; the work
 * is migrate.c's. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"

static const char *const upgrade_usage[] = {
    "usage: runner upgrade [--sql] [--single-transaction] [--ignore-checksums] <target>",
    "",
    "Upgrade the database to a later revision: head, heads, an id or unique",
    "prefix, a branch label, label@head, +N, <rev>+N.",
    "  --sql                   print the SQL instead of running it (offline);",
    "                          <target> may be <from>:<to>, default from base",
    "  --single-transaction    run every revision in one transaction",
    "                          (default: one transaction per revision)",
    "  --ignore-checksums      upgrade even when an applied revision was edited",
    "                          (see `runner validate`)",
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

static int bad_usage(const char *const *usage, const char *what, const char *arg)
{
    fprintf(stderr, "runner: error: %s '%s'\n", what, arg);
    return cli_usage(usage, 1);
}

/* "-1", "-12": a relative target, not an option. */
static int is_relative(const char *a)
{
    if (a[0] != '-' || !a[1])
        return 0;
    for (const char *p = a + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* Options may stand before or after the target (alembic's argparse
 * accepts both); getopt would take "-1" for an option, so parse by hand. */
static int run(int argc, char **argv, struct ctx *ctx, enum migrate_kind kind,
               const char *const *usage)
{
    struct migrate_opts o = { .kind = kind };
    int dashdash = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (!dashdash && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            return cli_usage(usage, 0);
        } else if (!dashdash && strcmp(a, "--sql") == 0) {
            o.sql = 1;
        } else if (!dashdash && strcmp(a, "--single-transaction") == 0) {
            o.single_transaction = 1;
        } else if (!dashdash && kind == MIGRATE_UPGRADE && strcmp(a, "--ignore-checksums") == 0) {
            o.ignore_checksums = 1;
        } else if (!dashdash && a[0] == '-' && !is_relative(a)) {
            return bad_usage(usage, "unknown option", a);
        } else if (o.target) {
            return bad_usage(usage, "unexpected argument", a);
        } else {
            o.target = a;
        }
    }
    if (!o.target) {
        fprintf(stderr, "runner: error: %s needs a target\n", argv[0]);
        return cli_usage(usage, 1);
    }
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
