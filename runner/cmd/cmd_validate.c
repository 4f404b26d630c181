/* cmd_validate.c -- `validate` and `repair`: arguments, the session
 * (repair under the migration lock) and the printing; collecting and
 * recording are validate.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "mlock.h"
#include "standby.h"
#include "validate.h"
#include "version_session.h"

static const char *const validate_usage[] = {
    "usage: runner validate [--verbose] [--json]",
    "",
    "Compare the source checksum recorded in the history table for every",
    "applied revision with the one embedded in its plugin now, one line per",
    "revision that is edited, missing, unrecorded or built without a checksum.",
    "Exits 1 when an applied revision was edited or its plugin is missing.",
    "  -v, --verbose   list the revisions that are ok too",
    "  --json          one JSON object: every applied revision with its state",
    "                  (ok, edited, missing, unrecorded, no_checksum) and the counts",
    NULL,
};

enum { OPT_JSON = 256 };

static const char *const repair_usage[] = {
    "usage: runner repair [--lock-wait S] [--lock-mode session|table]",
    "",
    "After a deliberate edit of an applied revision: record the checksum of",
    "every applied revision whose plugin differs from (or has no) recorded",
    "checksum, as a 'repair' row of the history table.  Nothing is run and",
    "the version table is unchanged.  Holds the migration lock, like upgrade.",
    "  --lock-wait S   wait at most S seconds for the migration lock (600)",
    "  --lock-mode session|table",
    "                  session: a session advisory lock (default; refused behind",
    "                  a pooler in transaction mode); table: a lease row in",
    "                  runner_lock beside the version table, for PgBouncer's",
    "                  pool_mode = transaction",
    "  --lock-lease S  table mode: the lease lasts S s, renewed every S/3 (30)",
    NULL,
};

/* One line per item that is not ok (every item when verbose), then a
 * summary line. */
static void print_report(const struct validate_report *r, int verbose, FILE *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct validate_item *it = &r->items[i];

        switch (it->state) {
        case VALIDATE_OK:
            if (verbose)
                fprintf(out, "ok: revision %s (%s): sha256 %.12s\n", it->id, validate_item_file(it),
                        it->now);
            break;
        case VALIDATE_EDITED:
            fprintf(out,
                    "edited: revision %s (%s): source checksum changed since it was applied "
                    "(recorded %.12s\u2026, now %.12s\u2026)\n",
                    it->id, validate_item_file(it), it->recorded, it->now);
            break;
        case VALIDATE_MISSING:
            fprintf(out, "missing: revision %s: applied, but no plugin in the directory\n",
                    it->id);
            break;
        case VALIDATE_UNRECORDED:
            fprintf(out,
                    "unrecorded: revision %s (%s): no checksum was recorded when it was "
                    "applied (stamped, or applied by alembic or an older runner)\n",
                    it->id, validate_item_file(it));
            break;
        case VALIDATE_NO_CHECKSUM:
            fprintf(out,
                    "no checksum: revision %s (%s): the plugin was built without "
                    "RUNNER_SOURCE_SHA256\n",
                    it->id, validate_item_file(it));
            break;
        }
    }
    fprintf(out, "%zu applied revision%s: %zu ok, %zu edited, %zu missing, %zu unrecorded, "
            "%zu without checksum\n",
            r->n, r->n == 1 ? "" : "s", r->count[VALIDATE_OK], r->count[VALIDATE_EDITED],
            r->count[VALIDATE_MISSING], r->count[VALIDATE_UNRECORDED],
            r->count[VALIDATE_NO_CHECKSUM]);
}

static const char *state_name(enum validate_state s)
{
    switch (s) {
    case VALIDATE_OK: return "ok";
    case VALIDATE_EDITED: return "edited";
    case VALIDATE_MISSING: return "missing";
    case VALIDATE_UNRECORDED: return "unrecorded";
    case VALIDATE_NO_CHECKSUM: return "no_checksum";
    }
    return "?";
}

/* Every item, ok ones included, then the counts. */
static void print_report_json(const struct validate_report *r, FILE *out)
{
    fputs("{\"revisions\":[", out);
    for (size_t i = 0; i < r->n; i++) {
        const struct validate_item *it = &r->items[i];

        fputs(i ? ",{\"revision\":" : "{\"revision\":", out);
        json_str(out, it->id);
        fputs(",\"state\":", out);
        json_str(out, state_name(it->state));
        fputs(",\"path\":", out);
        json_str(out, it->path);
        fputs(",\"recorded_sha256\":", out);
        json_str(out, it->recorded[0] ? it->recorded : NULL);
        fputs(",\"plugin_sha256\":", out);
        json_str(out, it->now[0] ? it->now : NULL);
        fputc('}', out);
    }
    fprintf(out, "],\"applied\":%zu,\"ok\":%zu,\"edited\":%zu,\"missing\":%zu,"
            "\"unrecorded\":%zu,\"no_checksum\":%zu}\n",
            r->n, r->count[VALIDATE_OK], r->count[VALIDATE_EDITED], r->count[VALIDATE_MISSING],
            r->count[VALIDATE_UNRECORDED], r->count[VALIDATE_NO_CHECKSUM]);
}

/* Print what repair recorded: the edited and unrecorded items. */
static void print_repaired(const struct validate_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct validate_item *it = &r->items[i];

        if (it->state == VALIDATE_EDITED)
            fprintf(out, "repaired: revision %s (%s): recorded sha256 %.12s\u2026 (was "
                    "%.12s\u2026)\n", it->id, validate_item_file(it), it->now, it->recorded);
        else if (it->state == VALIDATE_UNRECORDED)
            fprintf(out, "repaired: revision %s (%s): recorded sha256 %.12s\u2026 (none "
                    "before)\n", it->id, validate_item_file(it), it->now);
    }
}

static int run_validate(struct ctx *ctx, int verbose, int json, struct err *e)
{
    struct version_session s;
    struct validate_report r = VALIDATE_REPORT_INIT;
    char **heads = NULL;
    size_t n_heads = 0;
    int ret = -1;

    if (version_session_open(&s, ctx->cfg.url, ctx->cfg.version_schema, ctx->cfg.version_table,
                             ctx->cfg.history_table, e) < 0)
        return -1;
    if (versions_read(&s.v, &s.db, &heads, &n_heads, e) < 0 ||
        validate_collect(&s.db, &s.v, ctx->graph, heads, n_heads, &r, e) < 0)
        goto out;
    if (json)
        print_report_json(&r, stdout);
    else
        print_report(&r, verbose, stdout);
    if (r.count[VALIDATE_EDITED] || r.count[VALIDATE_MISSING]) {
        err_set(e, ERR_FAIL, "validation failed: %zu edited, %zu missing",
                r.count[VALIDATE_EDITED], r.count[VALIDATE_MISSING]);
        goto out;
    }
    ret = 0;
out:
    fflush(stdout);
    validate_report_release(&r);
    versions_ids_free(heads, n_heads);
    version_session_close(&s);
    return ret;
}

/* Repair writes the history table: under the migration lock, so that it
 * neither races a run's checks nor reads heads a run is moving. */
static int run_repair(struct ctx *ctx, const struct mlock_opts *mo, struct err *e)
{
    struct version_session s;
    struct validate_report r = VALIDATE_REPORT_INIT;
    struct mlock lock = MLOCK_INIT;
    char **heads = NULL;
    size_t n_heads = 0, n_recorded = 0;
    int ret = -1;

    if (version_session_open(&s, ctx->cfg.url, ctx->cfg.version_schema, ctx->cfg.version_table,
                             ctx->cfg.history_table, e) < 0)
        return -1;
    if (standby_refuse(&s.db, "repair", e) < 0)
        goto out;
    if (mlock_take(&lock, &s.db, &s.v, mo, e) < 0)
        goto out;
    if (versions_read(&s.v, &s.db, &heads, &n_heads, e) < 0 ||
        validate_collect(&s.db, &s.v, ctx->graph, heads, n_heads, &r, e) < 0 ||
        validate_repair(&s.db, &s.v, &r, &n_recorded, e) < 0)
        goto out;
    print_repaired(&r, stdout);
    printf("%zu checksum%s recorded\n", n_recorded, n_recorded == 1 ? "" : "s");
    if (r.count[VALIDATE_MISSING]) {
        print_report(&r, 0, stdout);
        err_set(e, ERR_FAIL, "%zu applied revision%s missing from '%s': restore %s",
                r.count[VALIDATE_MISSING], r.count[VALIDATE_MISSING] == 1 ? "" : "s",
                ctx->cfg.dir ? ctx->cfg.dir : "plugins",
                r.count[VALIDATE_MISSING] == 1 ? "its plugin" : "their plugins");
        goto out;
    }
    ret = 0;
out:
    fflush(stdout);
    mlock_release(&lock);
    validate_report_release(&r);
    versions_ids_free(heads, n_heads);
    version_session_close(&s);
    return ret;
}

static int run(int argc, char **argv, struct ctx *ctx, int repair)
{
    static const struct option validate_opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    static const struct option repair_opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "lock-wait", required_argument, NULL, 'w' },
        { "lock-mode", required_argument, NULL, 'm' },
        { "lock-lease", required_argument, NULL, 'l' },
        { NULL, 0, NULL, 0 },
    };
    const struct option *opts = repair ? repair_opts : validate_opts;
    const char *const *usage = repair ? repair_usage : validate_usage;
    struct mlock_opts mo = { 0, ctx->quiet ? NULL : stderr, "", MLOCK_SESSION, ctx->cfg.url, 0 };
    char q[ERR_QUOTE_SIZE];
    int verbose = ctx->verbose, json = 0;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, repair ? "h" : "hv", opts, NULL)) !=
           -1) {
        switch (c) {
        case 'h':
            return cli_usage(usage, 0);
        case 'v':
            verbose = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'w':
        case 'l':
            if (cli_parse_seconds(optarg, 1, c == 'w' ? &mo.wait_s : &mo.lease_s) < 0)
                return cli_usage_error(ctx, usage, "%s needs a number of seconds, got '%s'",
                                       c == 'w' ? "--lock-wait" : "--lock-lease",
                                       err_quote(q, sizeof(q), optarg));
            break;
        case 'm':
            if (strcmp(optarg, "session") == 0)
                mo.mode = MLOCK_SESSION;
            else if (strcmp(optarg, "table") == 0)
                mo.mode = MLOCK_TABLE;
            else
                return cli_usage_error(ctx, usage,
                                       "--lock-mode must be session or table, got '%s'",
                                       err_quote(q, sizeof(q), optarg));
            break;
        default:
            return cli_bad_option(ctx, usage, argc, argv, before, repair ? "h" : "hv");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, usage, argv[optind]);
    if (!ctx->graph) {
        err_set(&ctx->err, ERR_FAIL, "no revision graph");
        return 1;
    }
    if (repair)
        return run_repair(ctx, &mo, &ctx->err) < 0 ? 1 : 0;
    return run_validate(ctx, verbose, json, &ctx->err) < 0 ? 1 : 0;
}

int cmd_validate(int argc, char **argv, struct ctx *ctx)
{
    return run(argc, argv, ctx, 0);
}

int cmd_repair(int argc, char **argv, struct ctx *ctx)
{
    return run(argc, argv, ctx, 1);
}
