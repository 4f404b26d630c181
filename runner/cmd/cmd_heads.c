/* cmd_heads.c -- `heads` and `branches`: read-only views of the graph,
 * printed as alembic's command.heads() and command.branches() do. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "revision_print.h"

static const char *const heads_usage[] = {
    "usage: runner heads [--verbose] [--resolve-dependencies] [--json]",
    "",
    "Show current available heads in the plugin directory.",
    "  --resolve-dependencies  treat depends_on as down revisions",
    "  --json                  one JSON array of revision objects",
    NULL,
};

static const char *const branches_usage[] = {
    "usage: runner branches [--verbose] [--json]",
    "",
    "Show current branch points.",
    NULL,
};

enum { OPT_JSON = 256, OPT_RESOLVE };

static const struct option read_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, OPT_JSON },
    { "resolve-dependencies", no_argument, NULL, OPT_RESOLVE },
    { NULL, 0, NULL, 0 },
};

struct read_opts {
    int json;
    int verbose;
    int resolve;
};

/* Shared by heads and branches: returns -1 done (help), -2 usage error, 0 ok. */
static int parse_read(int argc, char **argv, const char *const *usage, int allow_resolve,
                      struct read_opts *o, struct ctx *ctx)
{
    int c, before;

    o->verbose = ctx->verbose;
    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hv", read_options, NULL)) != -1) {
        switch (c) {
        case 'h': cli_usage(usage, 0); return -1;
        case 'v': o->verbose = 1; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_RESOLVE:
            if (allow_resolve) {
                o->resolve = 1;
                break;
            }
            /* fall through */
        default:
            cli_bad_option(ctx, usage, argc, argv, before, "hv");
            return -2;
        }
    }
    if (optind < argc) {
        cli_unexpected(ctx, usage, argv[optind]);
        return -2;
    }
    return 0;
}

int cmd_heads(int argc, char **argv, struct ctx *ctx)
{
    struct read_opts o = { 0 };
    const struct rev **heads = NULL;    /* the array is ours; revisions are the graph's */
    size_t n_heads = 0;
    int ret = 1;
    int r = parse_read(argc, argv, heads_usage, 1, &o, ctx);

    if (r < 0)
        return r == -1 ? 0 : 2;
    if (graph_heads(ctx->graph, &heads, &n_heads, &ctx->err) < 0)
        goto out;
    if (o.json)
        fputc('[', stdout);
    for (size_t i = 0, shown = 0; i < n_heads; i++) {
        /* alembic: plain `heads` lists every revision without versioned
         * children; --resolve-dependencies drops those that others
         * depend on (the "heads" target, _real_heads). */
        if (o.resolve && !rev_is_real_head(heads[i]))
            continue;
        if (o.json) {
            if (shown++)
                fputc(',', stdout);
            revfmt_json(stdout, heads[i], 0);
        } else if (o.verbose) {
            revfmt_entry(stdout, heads[i], 0);
        } else {
            revfmt_line(stdout, heads[i], REVFMT_BRANCHES | REVFMT_HEADS, 0);
            fputc('\n', stdout);
        }
    }
    if (o.json)
        fputs("]\n", stdout);
    ret = 0;
out:
    free(heads);
    return ret;
}

int cmd_branches(int argc, char **argv, struct ctx *ctx)
{
    struct read_opts o = { 0 };
    const struct rev **bps = NULL;
    size_t n_bps = 0;
    int ret = 1;
    int r = parse_read(argc, argv, branches_usage, 0, &o, ctx);

    if (r < 0)
        return r == -1 ? 0 : 2;
    /* alembic walks the revisions newest first (walk_revisions, as
     * history does) and prints each branch point it meets: that order,
     * not the ids' */
    if (graph_history(ctx->graph, NULL, NULL, 0, &bps, &n_bps, &ctx->err) < 0)
        goto out;
    {
        size_t kept = 0;

        for (size_t i = 0; i < n_bps; i++)
            if (rev_is_branchpoint(bps[i]))
                bps[kept++] = bps[i];
        n_bps = kept;
    }
    if (o.json)
        fputc('[', stdout);
    for (size_t i = 0; i < n_bps; i++) {
        const struct rev *bp = bps[i];

        if (o.json) {
            if (i)
                fputc(',', stdout);
            revfmt_json(stdout, bp, 0);
            continue;
        }
        if (o.verbose) {
            revfmt_entry(stdout, bp, 0);    /* ends with its blank line */
        } else {
            revfmt_line(stdout, bp, REVFMT_BRANCHES | REVFMT_HEADS | REVFMT_TREE, 0);
            fputc('\n', stdout);
        }
        for (size_t k = 0; k < bp->n_next; k++) {
            printf("%*s -> ", (int)strlen(bp->id), "");
            revfmt_line(stdout, bp->next[k],
                        REVFMT_BRANCHES | REVFMT_HEADS | REVFMT_TREE |
                            (o.verbose ? REVFMT_DOC : 0),
                        0);
            fputc('\n', stdout);
        }
        fputc('\n', stdout);
    }
    if (o.json)
        fputs("]\n", stdout);
    ret = 0;
out:
    free(bps);
    return ret;
}
