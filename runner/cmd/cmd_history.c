/* cmd_history.c -- `history` and `show`: revisions as alembic's
 * command.history() and command.show() print them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "revision_print.h"
#include "version_session.h"

static const char *const history_usage[] = {
    "usage: runner history [-r [start]:[end]] [--verbose] [--indicate-current] [--applied] [--json]",
    "",
    "List revisions newest first: the heads at the top, the base at the bottom.",
    "  -r, --rev-range RANGE   [start]:[end], [start]: or :[end]; ends may be any",
    "                          target (head, base, current, ids, label@head, ...)",
    "  -i, --indicate-current  mark the database's current revision(s) (connects)",
    "  --applied               the history table instead: every step executed on",
    "                          the database, oldest first, under a header; a",
    "                          legend explains run, FAILED and DIED rows (connects)",
    "  --json                  one JSON array of revision objects",
    NULL,
};

static const char *const show_usage[] = {
    "usage: runner show [--json] <rev>",
    "",
    "Show the revision(s) denoted by the given symbol (id, prefix, label,",
    "head, heads, label@head, current, ...).",
    NULL,
};

enum { OPT_JSON = 256, OPT_APPLIED };

/* The database's heads, for -i, a range naming "current" and `show
 * current`: each must be a revision of the graph. */
static int read_current(struct ctx *ctx, char ***ids, size_t *n)
{
    return version_session_read_heads(ctx->cfg.url, ctx->cfg.version_schema,
                                      ctx->cfg.version_table, ctx->cfg.history_table, ctx->graph,
                                      ids, n, &ctx->err);
}

static const char *applied_status(const struct history_entry *h)
{
    switch (h->state) {
    case HISTORY_OK: return "ok";
    case HISTORY_FAILED: return "FAILED";
    case HISTORY_RUNNING: return "RUNNING";
    case HISTORY_DIED: return "DIED";
    }
    return "?";
}

static void applied_json(FILE *out, const struct history_log *log)
{
    fputc('[', out);
    for (size_t i = 0; i < log->n; i++) {
        const struct history_entry *h = &log->entries[i];
        int timed = h->state == HISTORY_OK || h->state == HISTORY_FAILED;

        if (i)
            fputc(',', out);
        fputs("{\"started_utc\":", out);
        json_str(out, h->started_utc);
        fputs(",\"direction\":", out);
        json_str(out, h->direction);
        fputs(",\"revision\":", out);
        json_str(out, h->revision);
        fputs(",\"duration_ms\":", out);
        json_str(out, timed ? h->duration_ms : NULL);
        fputs(",\"db_user\":", out);
        json_str(out, h->db_user);
        fputs(",\"hostname\":", out);
        json_str(out, h->hostname);
        fputs(",\"runner_version\":", out);
        json_str(out, h->runner_version);
        fputs(",\"status\":", out);
        json_str(out, applied_status(h));
        fputs(",\"checksum\":", out);
        json_str(out, *h->checksum ? h->checksum : NULL);
        fputc('}', out);
    }
    fputs("]\n", out);
}

/* `history --applied`: the history table, oldest first, one line per row
 * under a header; the legend explains the rows that are not plain steps. */
static int print_applied(struct ctx *ctx, FILE *out, int json)
{
    struct history_log log = HISTORY_LOG_INIT;
    int odd = 0;

    if (version_session_read_history(ctx->cfg.url, ctx->cfg.version_schema,
                                     ctx->cfg.version_table, ctx->cfg.history_table, &log,
                                     &ctx->err) < 0)
        return 1;
    if (json) {
        applied_json(out, &log);
        history_log_release(&log);
        return 0;
    }
    if (log.missing)
        fprintf(out, "no history: table '%s' does not exist\n", log.label);
    if (log.n)
        fprintf(out, "%-23s  %-9s %-12s %9s  %s  %s  %s\n", "STARTED", "DIRECTION", "REVISION",
                "DURATION", "USER@HOST", "RUNNER", "STATUS");
    for (size_t i = 0; i < log.n; i++) {
        const struct history_entry *h = &log.entries[i];
        const char *status = applied_status(h);
        const char *ms = h->duration_ms;

        if (h->state == HISTORY_RUNNING || h->state == HISTORY_DIED) {
            status = h->state == HISTORY_RUNNING ? "RUNNING" : "DIED (killed or crashed)";
            ms = "-";
        }
        odd |= h->state != HISTORY_OK || strcmp(h->direction, "run") == 0;
        fprintf(out, "%s UTC  %-9s %-12s %6s ms  %s@%s  runner %s  %s%s%.12s\n", h->started_utc,
                h->direction, h->revision, ms, h->db_user, h->hostname, h->runner_version, status,
                *h->checksum ? "  sha256:" : "", h->checksum);
    }
    if (odd)
        fprintf(out, "\n'run' rows mark a whole run (its revision column: the version it "
                     "started from); FAILED: the step's transaction was rolled back; "
                     "RUNNING: a run not finished (or still going); DIED: a run that "
                     "ended without closing its row (killed or crashed), found by a later "
                     "run\n");
    history_log_release(&log);
    return 0;
}

int cmd_history(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "rev-range", required_argument, NULL, 'r' },
        { "indicate-current", no_argument, NULL, 'i' },
        { "json", no_argument, NULL, OPT_JSON },
        { "applied", no_argument, NULL, OPT_APPLIED },
        { NULL, 0, NULL, 0 },
    };
    const struct rev **revs = NULL;
    size_t n_revs = 0;
    char **cur = NULL;
    size_t n_cur = 0;
    const char *range = NULL;
    int verbose = ctx->verbose, indicate = 0, json = 0, applied = 0;
    int ret = 1;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hvr:i", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(history_usage, 0);
        case 'v': verbose = 1; break;
        case 'r': range = optarg; break;
        case 'i': indicate = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_APPLIED: applied = 1; break;
        default: return cli_bad_option(ctx, history_usage, argc, argv, before, "hvr:i");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, history_usage, argv[optind]);
    if (applied)
        return print_applied(ctx, stdout, json);
    if (range && !strchr(range, ':')) {
        err_set(&ctx->err, ERR_USAGE,
                "History range requires [start]:[end], [start]:, or :[end]");
        return 2;
    }
    /* alembic reads the database only when asked to, or when a range end
     * is "current". */
    if ((indicate || (range && strstr(range, "current"))) &&
        read_current(ctx, &cur, &n_cur) < 0)
        goto out;
    if (graph_history(ctx->graph, range, (const char *const *)cur, n_cur, &revs, &n_revs,
                      &ctx->err) < 0)
        goto out;
    if (json)
        fputc('[', stdout);
    for (size_t i = 0; i < n_revs; i++) {
        int is_current = indicate && revfmt_in(revs[i], (const char *const *)cur, n_cur);

        if (json) {
            if (i)
                fputc(',', stdout);
            revfmt_json(stdout, revs[i], is_current);
        } else if (verbose) {
            revfmt_entry(stdout, revs[i], is_current);
        } else {
            revfmt_line(stdout, revs[i],
                        REVFMT_BRANCHES | REVFMT_DOC | REVFMT_PARENTS | REVFMT_HEADS |
                            REVFMT_TREE,
                        is_current);
            fputc('\n', stdout);
        }
    }
    if (json)
        fputs("]\n", stdout);
    ret = 0;
out:
    free(revs);
    versions_ids_free(cur, n_cur);
    return ret;
}

int cmd_show(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    const struct rev **revs = NULL;
    size_t n_revs = 0;
    char **cur = NULL;
    size_t n_cur = 0;
    int json = 0;
    int ret = 1;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(show_usage, 0);
        case OPT_JSON: json = 1; break;
        default: return cli_bad_option(ctx, show_usage, argc, argv, before, "h");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(ctx, show_usage, "show takes exactly one revision");
    if (strcmp(argv[optind], "current") == 0 && read_current(ctx, &cur, &n_cur) < 0)
        goto out;
    if (graph_resolve(ctx->graph, argv[optind], (const char *const *)cur, n_cur, &revs,
                      &n_revs, &ctx->err) < 0)
        goto out;
    if (json)
        fputc('[', stdout);
    for (size_t i = 0; i < n_revs; i++) {
        if (json) {
            if (i)
                fputc(',', stdout);
            revfmt_json(stdout, revs[i], 0);
        } else {
            revfmt_entry(stdout, revs[i], 0);
        }
    }
    if (json)
        fputs("]\n", stdout);
    ret = 0;
out:
    free(revs);
    versions_ids_free(cur, n_cur);
    return ret;
}
