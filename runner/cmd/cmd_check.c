/* cmd_check.c -- `runner check`: do the models match the database?
 *
 * alembic check: exit 0 with "No new upgrade operations detected." when
 * an autogenerate would find nothing, else list what it would find and
 * exit 1 (for CI pipelines).  A database not at head is refused, as
 * alembic refuses it, with one line per revision that differs.  The
 * comparison is autogen.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "autogen.h"
#include "cli.h"
#include "diff.h"
#include "json.h"
#include "revision_print.h"

static const char *const check_usage[] = {
    "usage: runner check [--json]",
    "",
    "compare the models plugin (--models, or 'models =' in the config) with the",
    "database at head; exit 0 when nothing differs, 1 listing the differences.",
    "A database that is not at head cannot be compared (the pending revisions",
    "would be listed again): check lists the revisions not applied and the",
    "version-table rows no plugin has, and exits 1.",
    "  --json   one JSON object: up_to_date, not_applied, unknown, operations",
    NULL,
};

enum { OPT_JSON = 256 };

static const char *const behind_hint =
    "check compares the models with the schema at head: run 'runner upgrade heads' first";
static const char *const unknown_hint =
    "the version table names revisions that no plugin in the directory has: restore "
    "their plugins (or 'runner build'), or 'runner stamp --purge' the right revision";

static void print_behind(const struct autogen_behind *b, FILE *out)
{
    for (size_t i = 0; i < b->n_pending; i++) {
        const struct rev *r = b->pending[i];

        fprintf(out, "not applied: revision %s (%s): %s\n", r->id,
                r->path && *r->path ? r->path : "(no file)", r->meta.message);
    }
    for (size_t i = 0; i < b->n_unknown; i++)
        fprintf(out, "unknown: revision %s: in the version table, but no plugin in the "
                "directory has it\n", b->unknown[i]);
}

static void print_json(const struct autogen_behind *b, const struct diff *d, FILE *out)
{
    fprintf(out, "{\"up_to_date\":%s,\"not_applied\":[", b->refused ? "false" : "true");
    for (size_t i = 0; i < b->n_pending; i++) {
        if (i)
            fputc(',', out);
        revfmt_json(out, b->pending[i], 0);
    }
    fputs("],\"unknown\":[", out);
    for (size_t i = 0; i < b->n_unknown; i++) {
        if (i)
            fputc(',', out);
        json_str(out, b->unknown[i]);
    }
    fputs("],\"operations\":[", out);
    for (size_t i = 0, shown = 0; d && i < d->n_ops; i++) {
        char *line = diff_describe(&d->ops[i]);

        if (!line)
            continue;
        if (shown++)
            fputc(',', out);
        json_str(out, line);
        free(line);
    }
    fputs("]}\n", out);
}

int cmd_check(int argc, char **argv, struct ctx *ctx)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    struct schema model = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;
    struct autogen_behind behind = AUTOGEN_BEHIND_INIT;
    struct autogen_opts ao;
    int c, before, json = 0;

    optind = 0;     /* GNU: a full reset, as every command does */
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h')
            return cli_usage(check_usage, 0);
        if (c == OPT_JSON) {
            json = 1;
            continue;
        }
        return cli_bad_option(ctx, check_usage, argc, argv, before, "h");
    }
    if (optind < argc)
        return cli_unexpected(ctx, check_usage, argv[optind]);
    cli_autogen_opts(ctx, &ao);
    ao.behind = &behind;
    if (json)
        ao.log = NULL;      /* stdout holds the JSON alone */
    if (autogen_compare(&ao, &model, &db, &d, &ctx->err) < 0) {
        if (behind.refused) {
            if (json)
                print_json(&behind, NULL, stdout);
            else
                print_behind(&behind, stdout);
            fflush(stdout);
            err_server_fields(&ctx->err, NULL, behind.n_unknown ? unknown_hint : behind_hint,
                              NULL, 0);
        }
        autogen_behind_release(&behind);
        return ctx->err.code == ERR_USAGE ? 2 : 1;
    }
    if (json)
        print_json(&behind, &d, stdout);
    else if (d.n_ops == 0)
        printf("No new upgrade operations detected.\n");
    else
        autogen_print(&d, stdout);
    if (d.n_ops)
        err_set(&ctx->err, ERR_FAIL, "New upgrade operations detected: %zu", d.n_ops);
    diff_release(&d);
    schema_release(&model);
    schema_release(&db);
    autogen_behind_release(&behind);
    return ctx->err.code == ERR_OK ? 0 : 1;
}
