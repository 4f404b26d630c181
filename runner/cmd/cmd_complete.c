/* cmd_complete.c -- `runner __complete WHAT`: the words the bash completion
 * (contrib/runner.bash-completion) offers, one a line.  Hidden from
 * `runner --help`.
 *
 *   commands    every command name of the table
 *   revisions   the revision ids and branch labels in the plugin directory,
 *               plus the symbolic targets (head, heads, base)
 *
 * Revisions come from loader_scan(), which reads each plugin's metadata
 * section and never runs plugin code; nothing is built and nothing is
 * printed on error (a half-typed command line must not print errors into
 * the terminal).  The options of a command come from its --help text
 * instead, so they cannot drift from it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "loader.h"

static const char *const complete_usage[] = {
    "usage: runner __complete commands|revisions",
    "",
    "Print completion words, one a line (used by the bash completion).",
    NULL,
};

static void print_revisions(struct ctx *ctx)
{
    struct loader_opts lo = { ctx->cfg.allow_unsafe_plugins };
    struct graph *g = graph_new();
    struct err e = ERR_INIT;

    printf("head\nheads\nbase\n");
    if (!g)
        return;
    if (loader_scan(ctx->cfg.dir, &lo, g, &e) == 0) {
        for (size_t i = 0; i < graph_count(g); i++) {
            const struct rev *r = graph_at(g, i);

            printf("%s\n", r->id);
            for (size_t k = 0; k < RUNNER_MAX_REFS && r->meta.branch_labels[k][0]; k++)
                printf("%s\n%s@head\n%s@base\n", r->meta.branch_labels[k],
                       r->meta.branch_labels[k], r->meta.branch_labels[k]);
        }
    }
    graph_free(g);
}

int cmd_complete(int argc, char **argv, struct ctx *ctx)
{
    size_t n = 0;
    const struct cmd *cmds = cli_commands(&n);

    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return cli_usage(complete_usage, argc != 2);
    if (strcmp(argv[1], "commands") == 0) {
        for (size_t i = 0; i < n; i++)
            if (!(cmds[i].flags & HIDDEN))
                printf("%s\n", cmds[i].name);
        return 0;
    }
    if (strcmp(argv[1], "revisions") == 0) {
        print_revisions(ctx);
        return 0;
    }
    return cli_usage(complete_usage, 1);
}
