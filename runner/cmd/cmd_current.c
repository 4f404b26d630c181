/* cmd_current.c -- `current`: the database's revision(s), printed as
 * Alembic's command.current() prints them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "revision_print.h"
#include "url.h"
#include "version_session.h"

static const char *const current_usage[] = {
    "usage: runner current [--verbose] [--json]",
    "",
    "Display the current revision(s) of the database, e.g. \"ae1027a6acf (head)\":",
    "the rows of the version table and, as alembic's get_all_current, the",
    "heads of other branches that their depends_on implies.",
    "  -v, --verbose   the full entry of each revision",
    "  --json          one JSON array of revision objects",
    NULL,
};

int cmd_current(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    char **ids = NULL;
    size_t n = 0;
    const struct rev **cur = NULL;  /* the array is ours; revisions are the graph's */
    size_t n_cur = 0;
    int verbose = ctx->verbose, json = 0;
    int ret = 1;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(current_usage, 0);
        case 'v': verbose = 1; break;
        case 'j': json = 1; break;
        default:
            return cli_bad_option(ctx, current_usage, argc, argv, before, "hv");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, current_usage, argv[optind]);
    if (version_session_read_heads(ctx->cfg.url, ctx->cfg.version_schema, ctx->cfg.version_table,
                                   ctx->cfg.history_table, ctx->graph, &ids, &n, &ctx->err) < 0)
        goto out;
    if (verbose && !json) {
        char url[512];

        printf("Current revision(s) for %s:\n", url_mask(ctx->cfg.url, url, sizeof(url)));
    }
    /* alembic 1.8 (command.current): script.get_all_current(rows) */
    if (graph_all_current(ctx->graph, (const char *const *)ids, n, &cur, &n_cur, &ctx->err) < 0)
        goto out;
    if (json)
        putchar('[');
    for (size_t i = 0; i < n_cur; i++) {
        const struct rev *r = cur[i];

        if (json) {
            if (i)
                putchar(',');
            revfmt_json(stdout, r, 1);
        } else if (verbose) {
            revfmt_entry(stdout, r, 0);
        } else {
            revfmt_line(stdout, r, REVFMT_TREE | REVFMT_HEADS, 0);
            putchar('\n');
        }
    }
    if (json)
        puts("]");
    ret = 0;
out:
    free(cur);
    versions_ids_free(ids, n);
    return ret;
}
