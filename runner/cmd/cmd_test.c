/* cmd_test.c -- `runner test`: on a disposable database, every revision
 * upgrades, downgrades back to exactly the schema it found, and upgrades
 * again (the walk is roundtrip.c's; the disposable database tempdb.c's).
 *
 * Which database: --url as given (refused when it already has a version
 * table, unless --force); else --temp-cluster, a private cluster; else a
 * new database runner_test_<random> on the configured server
 * ($DATABASE_URL, the config, libpq's PG*).  What this command made is
 * removed on every path: success, failure, SIGINT and SIGTERM (the run's
 * signal watcher, signals.h, from before the first statement to after
 * the last; a second signal removes it too, then exits).  Output: one line per check, a summary, exit 1 when any failed;
 * --json instead of the lines; --junit FILE besides them. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "autogen.h"
#include "cli.h"
#include "json.h"
#include "junit.h"
#include "lockwatch.h"
#include "pg.h"
#include "roundtrip.h"
#include "signals.h"
#include "tempdb.h"
#include "versions.h"

#define MAX_HEADS 64

static const char *const test_usage[] = {
    "usage: runner test [-r <from>:<to>] [--head <rev>]... [--temp-cluster] [--force]",
    "                   [--json] [--junit <file>]",
    "                   [--locks [--rows <n>] [--lock-threshold <ms>]]",
    "",
    "on a disposable database, upgrade every revision one at a time, downgrade it",
    "and check that the schema is exactly what it was, then upgrade it again;",
    "at head compare the models plugin (when configured), then downgrade to base",
    "",
    "  -r, --range FROM:TO   only the revisions after FROM up to TO (default base:heads)",
    "  --head REV            a head the graph is meant to have (repeat; default: one head)",
    "  --temp-cluster        start a private PostgreSQL (initdb, pg_ctl) instead of",
    "                        creating runner_test_<random> on the configured server",
    "  --force               with --url: test a database that has a version table",
    "  --json                print the results as JSON",
    "  --junit FILE          also write a JUnit XML report (one test case per check)",
    "  --locks               fill every existing table before each upgrade and report the",
    "                        locks and rewrites the upgrade takes on it (exit 1 when a",
    "                        SHARE or stronger lock is held longer than the threshold)",
    "  --rows N              rows per table for --locks (default 10000)",
    "  --lock-threshold MS   flag SHARE or stronger locks held longer (default 1000)",
    NULL,
};

/* What this command made, for the signal watcher's exit hook: a second
 * signal removes it from the watcher thread before the process exits.
 * `mu` keeps the hook and the main thread from creating and removing it
 * at the same time. */
struct test_leftovers {
    uv_mutex_t mu;
    struct tempdb *tdb;
    struct tempdb_cluster *cl;
};

static void remove_leftovers(void *arg)
{
    struct test_leftovers *l = arg;

    uv_mutex_lock(&l->mu);
    tempdb_drop_now(l->tdb);
    tempdb_cluster_stop(l->cl);
    uv_mutex_unlock(&l->mu);
}

struct test_run {
    struct ctx *ctx;
    const char *url;            /* of the database under test */
    int json;
    int quiet;
    const struct lockwatch *locks;  /* --locks: the report so far; NULL: not watched */
};

static const char *status_word(enum roundtrip_status st)
{
    return st == ROUNDTRIP_OK ? "ok" : st == ROUNDTRIP_FAIL ? "FAIL" : "skip";
}

static void print_case(void *arg, const struct roundtrip_case *c)
{
    const struct test_run *t = arg;

    if (t->json || (t->quiet && c->status != ROUNDTRIP_FAIL))
        return;
    printf("%-5s %s", status_word(c->status), c->name);
    if (c->rev && c->rev->meta.message[0])
        printf(" (%s)", c->rev->meta.message);
    if (c->message)
        printf(": %s", c->message);
    putchar('\n');
    if (t->locks && c->rev)
        lockwatch_print_revision(t->locks, c->rev->id, stdout);
    fflush(stdout);
}

/* The models plugin against the database under test, as `check` does. */
static int check_models(void *arg, struct strbuf *msg, struct err *e)
{
    struct test_run *t = arg;
    struct schema model = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;
    struct autogen_opts ao;
    char *text = NULL;
    size_t len = 0;
    FILE *mem;
    int rc;

    cli_autogen_opts(t->ctx, &ao);
    ao.url = t->url;
    rc = autogen_compare(&ao, &model, &db, &d, e);
    if (rc < 0)
        return -1;
    if (d.n_ops > 0) {
        strbuf_addf(msg, "models differ from the database at head (%zu operations)", d.n_ops);
        mem = open_memstream(&text, &len);
        if (mem) {
            autogen_print(&d, mem);
            fclose(mem);
            for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                strbuf_addf(msg, "; %s", line);
            free(text);
        }
    }
    diff_release(&d);
    schema_release(&model);
    schema_release(&db);
    return d.n_ops > 0 ? 1 : 0;
}

/* Does the database already hold a version table? */
static int has_version_table(struct pg *db, const struct versions *v, struct err *e)
{
    struct pg_rows rows = PG_ROWS_INIT;
    const char *params[1] = { v->table };
    int found;

    if (pg_query(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, params, &rows, NULL,
                 e) < 0)
        return -1;
    found = rows.n_rows == 1 && pg_rows_get(&rows, 0, 0) &&
            strcmp(pg_rows_get(&rows, 0, 0), "t") == 0;
    pg_rows_release(&rows);
    return found;
}

static const char *case_class(const struct roundtrip_case *c)
{
    if (strcmp(c->kind, "revision") == 0)
        return "runner.test.revision";
    if (strcmp(c->kind, "graph") == 0)
        return "runner.test.graph";
    if (strcmp(c->kind, "models") == 0)
        return "runner.test.models";
    return "runner.test.downgrade";
}

static int write_junit(const char *path, const struct roundtrip_report *r, struct err *e)
{
    struct junit_case *cases = calloc(r->n_cases ? r->n_cases : 1, sizeof(*cases));
    char (*names)[sizeof(((struct roundtrip_case *)0)->name) + RUNNER_MESSAGE_SIZE + 2] = NULL;
    int ret;

    names = calloc(r->n_cases ? r->n_cases : 1, sizeof(*names));
    if (!cases || !names) {
        free(cases);
        free(names);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    for (size_t i = 0; i < r->n_cases; i++) {
        const struct roundtrip_case *c = &r->cases[i];

        if (c->rev && c->rev->meta.message[0])
            snprintf(names[i], sizeof(names[i]), "%s %s", c->name, c->rev->meta.message);
        else
            snprintf(names[i], sizeof(names[i]), "%s", c->name);
        cases[i].classname = case_class(c);
        cases[i].name = names[i];
        cases[i].status = c->status == ROUNDTRIP_OK ? JUNIT_PASS
                        : c->status == ROUNDTRIP_FAIL ? JUNIT_FAIL : JUNIT_SKIP;
        cases[i].message = c->message;
        cases[i].seconds = c->seconds;
    }
    ret = junit_write(path, "runner test", cases, r->n_cases, r->seconds, e);
    free(cases);
    free(names);
    return ret;
}

static double ms_per_snapshot(const struct roundtrip_report *r)
{
    return r->n_snapshots ? r->snapshot_seconds * 1000.0 / (double)r->n_snapshots : 0.0;
}

static void print_json(const struct roundtrip_report *r, const struct lockwatch *locks, int ok,
                       const char *error)
{
    printf("{\"ok\": %s, \"revisions\": %zu, \"checks\": %zu, \"failed\": %zu, "
           "\"skipped\": %zu, \"seconds\": %.3f, \"snapshots\": %zu, "
           "\"snapshot_ms\": %.3f, \"full_snapshots\": %zu, \"error\": ",
           ok ? "true" : "false", r->n_revisions, r->n_cases, r->n_failed, r->n_skipped,
           r->seconds, r->n_snapshots, ms_per_snapshot(r), r->n_full_snapshots);
    json_str(stdout, error);
    printf(", \"cases\": [");
    for (size_t i = 0; i < r->n_cases; i++) {
        const struct roundtrip_case *c = &r->cases[i];

        printf("%s\n  {\"kind\": ", i ? "," : "");
        json_str(stdout, c->kind);
        printf(", \"name\": ");
        json_str(stdout, c->name);
        printf(", \"status\": ");
        json_str(stdout, status_word(c->status));
        printf(", \"message\": ");
        json_str(stdout, c->message);
        if (c->rev) {
            printf(", \"description\": ");
            json_str(stdout, c->rev->meta.message);
        }
        printf(", \"seconds\": %.3f}", c->seconds);
    }
    printf("%s]", r->n_cases ? "\n" : "");
    if (locks) {
        printf(", \"locks\": ");
        lockwatch_print_json(locks, stdout);
    }
    printf("}\n");
}

static void print_summary(const struct roundtrip_report *r)
{
    size_t rev_failed = 0;

    for (size_t i = 0; i < r->n_cases; i++)
        rev_failed += r->cases[i].rev && r->cases[i].status == ROUNDTRIP_FAIL;
    printf("%zu revision%s, %zu failed; %zu checks: %zu ok, %zu failed, %zu skipped "
           "in %.2f s (%zu snapshots, %.1f ms each)\n",
           r->n_revisions, r->n_revisions == 1 ? "" : "s", rev_failed, r->n_cases,
           r->n_cases - r->n_failed - r->n_skipped, r->n_failed, r->n_skipped, r->seconds,
           r->n_snapshots, ms_per_snapshot(r));
}

int cmd_test(int argc, char **argv, struct ctx *ctx)
{
    static const struct option options[] = {
        { "range", required_argument, NULL, 'r' },
        { "head", required_argument, NULL, 'H' },
        { "temp-cluster", no_argument, NULL, 'T' },
        { "force", no_argument, NULL, 'f' },
        { "json", no_argument, NULL, 'j' },
        { "junit", required_argument, NULL, 'J' },
        { "locks", no_argument, NULL, 'L' },
        { "rows", required_argument, NULL, 'R' },
        { "lock-threshold", required_argument, NULL, 'M' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *heads[MAX_HEADS];
    size_t n_heads = 0;
    const char *range = NULL, *junit = NULL;
    char *from = NULL, *to = NULL;
    int temp_cluster = 0, force = 0, json = 0, locks = 0;
    const char *rows_arg = NULL, *threshold_arg = NULL;
    struct lockwatch_opts lo = { LOCKWATCH_ROWS_DEFAULT, LOCKWATCH_THRESHOLD_MS_DEFAULT, NULL, 0 };
    struct lockwatch lw;
    struct versions v = VERSIONS_INIT;
    struct tempdb tdb = TEMPDB_INIT;
    struct tempdb_cluster cl = TEMPDB_CLUSTER_INIT;
    struct sigwatch sig;
    struct test_leftovers left = { .tdb = &tdb, .cl = &cl };
    struct roundtrip_report rep = ROUNDTRIP_REPORT_INIT;
    struct test_run run = { ctx, NULL, 0, ctx->quiet, NULL };
    struct pg db = PG_INIT;
    struct err ignored = ERR_INIT;
    uv_loop_t loop;
    int loop_open = 0, mu_open = 0, walked = 0;
    char *url = NULL;           /* ours: the hook may free what tdb and cl hold */
    int ret = 1, c, before;
    char q[ERR_QUOTE_SIZE];

    memset(&sig, 0, sizeof(sig));
    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hr:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            return cli_usage(test_usage, 0);
        case 'r':
            range = optarg;
            break;
        case 'H':
            if (n_heads == MAX_HEADS)
                return cli_usage_error(ctx, test_usage, "more than %d --head options",
                                       MAX_HEADS);
            heads[n_heads++] = optarg;
            break;
        case 'T':
            temp_cluster = 1;
            break;
        case 'f':
            force = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'J':
            junit = optarg;
            break;
        case 'L':
            locks = 1;
            break;
        case 'R':
            rows_arg = optarg;
            break;
        case 'M':
            threshold_arg = optarg;
            break;
        default:
            return cli_bad_option(ctx, test_usage, argc, argv, before, "hr:");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, test_usage, argv[optind]);
    if (temp_cluster && ctx->cfg.n_urls > 0)
        return cli_usage_error(ctx, test_usage, "--temp-cluster and --url exclude each other");
    if ((rows_arg || threshold_arg) && !locks)
        return cli_usage_error(ctx, test_usage, "%s needs --locks",
                               rows_arg ? "--rows" : "--lock-threshold");
    if (rows_arg) {
        char *end;
        long long n = strtoll(rows_arg, &end, 10);

        if (end == rows_arg || *end || n < 1 || n > 100000000)
            return cli_usage_error(ctx, test_usage, "--rows needs a number from 1 to "
                                   "100000000, got '%s'", err_quote(q, sizeof(q), rows_arg));
        lo.rows = (size_t)n;
    }
    if (threshold_arg) {
        char *end;
        double ms = strtod(threshold_arg, &end);

        if (end == threshold_arg || *end || !(ms >= 0) || ms > 1e9)
            return cli_usage_error(ctx, test_usage, "--lock-threshold needs milliseconds, "
                                   "got '%s'", err_quote(q, sizeof(q), threshold_arg));
        lo.threshold_ms = ms;
    }
    if (range) {
        const char *colon = strchr(range, ':');

        if (!colon)
            return cli_usage_error(ctx, test_usage, "--range needs <from>:<to>, got '%s'",
                                   err_quote(q, sizeof(q), range));
        if (colon > range && strncmp(range, "base", (size_t)(colon - range)) != 0)
            from = strndup(range, (size_t)(colon - range));
        if (colon[1])
            to = strdup(colon + 1);
    }
    memset(&lw, 0, sizeof(lw));
    run.json = json;
    if (versions_init(&v, ctx->cfg.version_schema, ctx->cfg.version_table,
                      ctx->cfg.history_table, &ctx->err) < 0)
        goto out;
    if (uv_loop_init(&loop) < 0) {
        err_set(&ctx->err, ERR_FAIL, "cannot start the event loop");
        goto out;
    }
    loop_open = 1;
    if (uv_mutex_init(&left.mu) < 0) {
        err_set(&ctx->err, ERR_FAIL, "cannot start the signal watcher");
        goto out;
    }
    mu_open = 1;
    sigwatch_say(&sig, "stopping; the test database is removed");
    if (sigwatch_start(&sig, &loop, &db, "", &ctx->err) < 0)
        goto out;
    sigwatch_on_exit(&sig, remove_leftovers, &left);
    uv_mutex_lock(&left.mu);
    if (ctx->cfg.n_urls > 0) {
        run.url = ctx->cfg.url;
    } else if (temp_cluster) {
        if (tempdb_cluster_start(&cl, &ctx->err) == 0)
            run.url = url = strdup(cl.url);
    } else {
        if (tempdb_create(&tdb, &loop, ctx->cfg.url, &ctx->err) == 0)
            run.url = url = strdup(tdb.url);
    }
    uv_mutex_unlock(&left.mu);
    if (!run.url) {
        if (ctx->err.code == ERR_OK)
            err_set(&ctx->err, ERR_FAIL, "out of memory");
        goto out;
    }
    if (sigwatch_signum(&sig))
        goto out;
    if (pg_open(&db, &loop, run.url, &ctx->err) < 0)
        goto out;
    db.show_notices = ctx->verbose > 0;
    sigwatch_attach(&sig);
    sigwatch_phase(&sig, SIGWATCH_STEPS);
    if (versions_resolve(&v, &db, &ctx->err) < 0)
        goto out;
    if (ctx->cfg.n_urls > 0 && !force) {
        int has = has_version_table(&db, &v, &ctx->err);

        if (has < 0)
            goto out;
        if (has) {
            err_set(&ctx->err, ERR_FAIL, "database already has a version table '%s': runner "
                    "test needs a disposable database (leave out --url, or add --force)",
                    v.label);
            goto out;
        }
    }
    {
        const char *exclude[2] = { ctx->cfg.version_table ? ctx->cfg.version_table
                                                          : "alembic_version",
                                   ctx->cfg.history_table ? ctx->cfg.history_table
                                                          : "runner_history" };
        lo.exclude = exclude;
        lo.n_exclude = 2;
        if (locks) {
            lockwatch_init(&lw, &db, &lo);
            run.locks = &lw;
        }
        struct roundtrip_opts o = {
            .graph = ctx->graph,
            .versions = &v,
            .exclude = exclude,
            .n_exclude = 2,
            .from = from,
            .to = to,
            .heads = heads,
            .n_heads = n_heads,
            .check_at_head = ctx->cfg.models ? check_models : NULL,
            .arg = &run,
            .on_case = print_case,
            .watch = locks ? lockwatch_watch(&lw) : NULL,
        };
        struct err we = ERR_INIT;
        int rc = roundtrip_run(&db, &o, &rep, &we);

        walked = 1;
        if (rc < 0 && !sigwatch_signum(&sig))
            ctx->err = we;
        if (json)
            print_json(&rep, run.locks, rc == 0 && rep.n_failed == 0 && !sigwatch_signum(&sig) &&
                                            !(locks && lockwatch_n_flagged(&lw)),
                       rc < 0 ? we.msg : NULL);
        else if (rc == 0)
            print_summary(&rep);
        if (!json && rc == 0 && locks)
            lockwatch_print_summary(&lw, stdout);
        if (junit && write_junit(junit, &rep, &ctx->err) < 0)
            goto out;
        if (rc == 0 && rep.n_failed == 0 && !(locks && lockwatch_n_flagged(&lw)))
            ret = 0;
    }
out:
    pg_close(&db);
    sigwatch_attach(&sig);      /* no connection: no statement left to cancel */
    if (mu_open) {
        uv_mutex_lock(&left.mu);
        if (tempdb_drop(&tdb, &loop, &ignored) < 0)
            fprintf(stderr, "runner: warning: %s\n", ignored.msg);
        tempdb_cluster_stop(&cl);
        sigwatch_on_exit(&sig, NULL, NULL);
        uv_mutex_unlock(&left.mu);
    }
    if (sigwatch_signum(&sig)) {
        err_set(&ctx->err, ERR_FAIL, "interrupted%s", walked ? ": the test database is removed"
                                                            : "");
        ret = 128 + sigwatch_signum(&sig);
    }
    if (loop_open) {
        sigwatch_stop(&sig, &loop);
        uv_loop_close(&loop);
    }
    if (mu_open)
        uv_mutex_destroy(&left.mu);
    free(url);
    roundtrip_report_release(&rep);
    lockwatch_release(&lw);
    versions_release(&v);
    free(from);
    free(to);
    return ret;
}
