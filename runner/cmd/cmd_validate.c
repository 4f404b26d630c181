/* cmd_validate.c -- `validate` and `repair`: argument parsing; the work is
 * validate.c's. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "validate.h"

static const char *const validate_usage[] = {
    "usage: runner validate [--verbose]",
    "",
    "Compare the source checksum recorded in the history table for every",
    "applied revision with the one embedded in its plugin now, one line per",
    "revision that is edited, missing, unrecorded or built without a checksum.",
    "Exits 1 when an applied revision was edited or its plugin is missing.",
    "  -v, --verbose   list the revisions that are ok too",
    NULL,
};

static const char *const repair_usage[] = {
    "usage: runner repair",
    "",
    "After a deliberate edit of an applied revision: record the checksum of",
    "every applied revision whose plugin differs from (or has no) recorded",
    "checksum, as a 'repair' row of the history table.  Nothing is run and",
    "the version table is unchanged.",
    NULL,
};

static int run(int argc, char **argv, struct ctx *ctx, int repair)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    const char *const *usage = repair ? repair_usage : validate_usage;
    int verbose = ctx->verbose;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, repair ? "+h" : "+hv", opts, NULL)) !=
           -1) {
        switch (c) {
        case 'h':
            return cli_usage(usage, 0);
        case 'v':
            if (!repair) {
                verbose = 1;
                break;
            }
            /* fall through */
        default:
            return cli_bad_option(ctx, usage, argc, argv, before, repair ? "+h" : "+hv");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, usage, argv[optind]);
    return validate_run(ctx, repair, verbose, stdout, &ctx->err) < 0 ? 1 : 0;
}

int cmd_validate(int argc, char **argv, struct ctx *ctx)
{
    return run(argc, argv, ctx, 0);
}

int cmd_repair(int argc, char **argv, struct ctx *ctx)
{
    return run(argc, argv, ctx, 1);
}
