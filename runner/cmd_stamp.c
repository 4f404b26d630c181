/* cmd_stamp.c -- `stamp`: set the version table without running any
 * revision (Alembic's command.stamp); the work is migrate.c's. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "migrate.h"

static const char *const stamp_usage[] = {
    "usage: runner stamp [--sql] [--purge] <target>",
    "",
    "Set the version table to <target> without running any migration.",
    "  --purge   empty the version table first (e.g. it names a revision",
    "            that no longer exists)",
    "  --sql     print the SQL instead of running it; <target> may be <from>:<to>",
    NULL,
};

enum { OPT_SQL = 256, OPT_PURGE };

int cmd_stamp(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "sql", no_argument, NULL, OPT_SQL },
        { "purge", no_argument, NULL, OPT_PURGE },
        { NULL, 0, NULL, 0 },
    };
    struct migrate_opts o = { .kind = MIGRATE_STAMP };
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(stamp_usage, 0);
        case OPT_SQL: o.sql = 1; break;
        case OPT_PURGE: o.purge = 1; break;
        default:
            fprintf(stderr, "runner: error: unknown option '%s'\n", argv[optind - 1]);
            return cli_usage(stamp_usage, 1);
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "runner: error: stamp needs exactly one target\n");
        return cli_usage(stamp_usage, 1);
    }
    o.target = argv[optind];
    o.out = stdout;
    o.log = ctx->quiet ? NULL : stderr;
    if (migrate(ctx, &o, &ctx->err) < 0)
        return ctx->err.code == ERR_USAGE ? 2 : 1;
    return 0;
}
