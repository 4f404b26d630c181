/* cmd_upgrade.c -- `upgrade` and `downgrade`: argument parsing; the work
 * is migrate.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_migrate.h"
#include "fanout.h"
#include "migrate.h"

/* The options upgrade and downgrade share: one text for both. */
#define RUNTIME_USAGE \
    "runtime (online):", \
    "  --wait S                wait up to S seconds for the server first", \
    "  --connect-timeout S     give up connecting after S seconds", \
    "  --statement-timeout S   SET statement_timeout (and cancel after S + 2 s)", \
    "  --lock-timeout S        SET lock_timeout: DDL does not queue behind others", \
    "  --lock-timeout-retries N  retry a revision failing with 55P03 N times", \
    "  --lock-wait S           wait at most S seconds for the migration lock (600)", \
    "  --lock-mode session|table|none", \
    "                          session: a session advisory lock (default; refused", \
    "                          behind a pooler in transaction mode); table: a", \
    "                          lease row in runner_lock beside the version table,", \
    "                          for PgBouncer's pool_mode = transaction; none: no", \
    "                          lock (a warning is printed)", \
    "  --lock-lease S          table mode: the lease lasts S s, renewed every S/3;", \
    "                          a killed holder's is taken over after it (30)", \
    "  --keepalive S           the server drops a vanished runner's session, and", \
    "                          its lock, after about S s (default 60, 0: off)", \
    "  --url URL (repeated), --targets FILE, --jobs N", \
    "                          migrate several databases, N at a time", \
    "  --schemas-from SQL      migrate each schema the query lists (tenants)", \
    "  --shard K/N             only the targets of shard K (0 <= K < N)", \
    "  --json                  the fan-out summary as JSON",

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
    "",
    RUNTIME_USAGE
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
    "",
    RUNTIME_USAGE
    NULL,
};

static int bad_usage(struct ctx *ctx, const char *const *usage, const char *what,
                     const char *arg)
{
    char q[ERR_QUOTE_SIZE];

    return cli_usage_error(ctx, usage, "%s '%s'", what, err_quote(q, sizeof(q), arg));
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

/* "--name V" or "--name=V": 1 and *value set (i advanced), 0 not this
 * option, -1 missing value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t len = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, len) != 0)
        return 0;
    if (a[len] == '=') {
        *value = a + len + 1;
        return 1;
    }
    if (a[len] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

void cmd_migrate_opts(struct migrate_opts *o, const struct ctx *ctx, enum migrate_kind kind)
{
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->graph = ctx->graph;
    o->version_table = ctx->cfg.version_table;
    o->version_schema = ctx->cfg.version_schema;
    o->history_table = ctx->cfg.history_table;
    o->url = ctx->cfg.url;
    o->keepalive_s = ctx->cfg.keepalive_s > 0 ? ctx->cfg.keepalive_s : 0;
    o->quiet = ctx->quiet;
    o->verbose = ctx->verbose;
    o->out = stdout;
    o->log = ctx->quiet ? NULL : stderr;
}

static int parse_count(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end || v < 0 || v > 100000)
        return -1;
    *out = (int)v;
    return 0;
}

/* The runtime options; 1 consumed, 0 not one, -1 bad (ctx->err filled,
 * as a usage error of `usage`). */
static int runtime_opt(struct ctx *ctx, const char *const *usage, int argc, char **argv,
                       int *i, struct migrate_opts *o, const char **targets, int *jobs)
{
    char q[ERR_QUOTE_SIZE];

    static const struct {
        const char *name;
        size_t off;
    } secs[] = {
        { "--wait", offsetof(struct migrate_opts, wait_s) },
        { "--connect-timeout", offsetof(struct migrate_opts, connect_timeout_s) },
        { "--statement-timeout", offsetof(struct migrate_opts, statement_timeout_s) },
        { "--lock-timeout", offsetof(struct migrate_opts, lock_timeout_s) },
        { "--lock-wait", offsetof(struct migrate_opts, lock_wait_s) },
        { "--lock-lease", offsetof(struct migrate_opts, lock_lease_s) },
        { "--keepalive", offsetof(struct migrate_opts, keepalive_s) },
    };
    const char *v = NULL;
    int r;

    for (size_t k = 0; k < sizeof(secs) / sizeof(secs[0]); k++) {
        r = opt_value(argc, argv, i, secs[k].name, &v);
        if (r == 0)
            continue;
        if (r < 0 || cli_parse_seconds(v, 1, (double *)((char *)o + secs[k].off)) < 0) {
            cli_usage_error(ctx, usage, "%s needs a number of seconds, got '%s'", secs[k].name,
                            err_quote(q, sizeof(q), r < 0 ? "" : v));
            return -1;
        }
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--lock-timeout-retries", &v)) != 0) {
        if (r < 0 || parse_count(v, &o->lock_timeout_retries) < 0) {
            cli_usage_error(ctx, usage, "--lock-timeout-retries needs a count, got '%s'",
                            err_quote(q, sizeof(q), r < 0 ? "" : v));
            return -1;
        }
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--jobs", &v)) != 0) {
        if (r < 0 || parse_count(v, jobs) < 0 || *jobs < 1) {
            cli_usage_error(ctx, usage, "--jobs needs a positive count, got '%s'",
                            err_quote(q, sizeof(q), r < 0 ? "" : v));
            return -1;
        }
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--targets", &v)) != 0) {
        if (r < 0) {
            cli_usage_error(ctx, usage, "--targets needs a file");
            return -1;
        }
        *targets = v;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--lock-mode", &v)) != 0) {
        if (r > 0 && strcmp(v, "session") == 0)
            o->lock_mode = MIGRATE_LOCK_SESSION;
        else if (r > 0 && strcmp(v, "table") == 0)
            o->lock_mode = MIGRATE_LOCK_TABLE;
        else if (r > 0 && strcmp(v, "none") == 0)
            o->lock_mode = MIGRATE_LOCK_NONE;
        else {
            cli_usage_error(ctx, usage, "--lock-mode must be session, table or none, got '%s'",
                            err_quote(q, sizeof(q), r < 0 ? "" : v));
            return -1;
        }
        return 1;
    }
    return 0;
}

/* What fan-out adds to a run; all unset: one database. */
struct fanout_args {
    const char *targets;        /* --targets FILE */
    int jobs;                   /* --jobs; 0: the jobs setting */
    const char *shard;          /* --shard K/N, checked when parsed */
    unsigned shard_k, shard_n;
    const char *schemas_from;   /* --schemas-from SQL */
    int json;                   /* --json */
};

/* --shard, --schemas-from, --json; 1 consumed, 0 not one, -1 bad. */
static int fanout_opt(struct ctx *ctx, const char *const *usage, int argc, char **argv, int *i,
                      struct fanout_args *fa)
{
    const char *v = NULL;
    int r;

    if (strcmp(argv[*i], "--json") == 0) {
        fa->json = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--shard", &v)) != 0) {
        struct err e = ERR_INIT;

        if (fanout_shard_parse(r < 0 ? NULL : v, &fa->shard_k, &fa->shard_n, &e) < 0) {
            cli_usage_error(ctx, usage, "%s", e.msg);
            return -1;
        }
        fa->shard = v;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--schemas-from", &v)) != 0) {
        if (r < 0 || !*v) {
            cli_usage_error(ctx, usage, "--schemas-from needs an SQL query");
            return -1;
        }
        fa->schemas_from = v;
        return 1;
    }
    return 0;
}

/* --targets, repeated --url, --schemas-from, --shard: every database (or
 * tenant schema), concurrently. */
static int run_fanout(struct ctx *ctx, const struct migrate_opts *o,
                      const struct fanout_args *fa)
{
    struct fanout_targets ts = FANOUT_TARGETS_INIT;
    size_t n_all;
    int jobs = fa->jobs;
    int signum = 0;
    int status = 1;

    for (size_t i = 0; i < ctx->cfg.n_urls; i++)
        if (fanout_targets_add(&ts, ctx->cfg.urls[i], NULL, &ctx->err) < 0)
            goto out;
    if (fa->targets && fanout_read_targets(fa->targets, &ts, &ctx->err) < 0)
        goto out;
    /* no --url and no file: the one database of DATABASE_URL, url = or PG* */
    if (ctx->cfg.n_urls == 0 && !fa->targets &&
        fanout_targets_add(&ts, ctx->cfg.url, NULL, &ctx->err) < 0)
        goto out;
    if (fa->schemas_from && fanout_schemas_from(&ts, fa->schemas_from, &ctx->err) < 0)
        goto out;
    for (size_t i = 0; i < ts.n; i++) {
        if (ts.items[i].schema && o->version_schema && *o->version_schema) {
            err_set(&ctx->err, ERR_USAGE, "--version-schema cannot be combined with tenant "
                    "schemas: each tenant keeps its tables in its own schema");
            goto out;
        }
    }
    n_all = ts.n;
    if (fa->shard)
        fanout_targets_shard(&ts, fa->shard_k, fa->shard_n);
    if (ts.n == 0 && n_all > 0) {
        /* more shards than targets: an empty share is a success */
        if (!ctx->quiet)
            fprintf(stderr, "shard %u/%u: none of the %zu targets\n", fa->shard_k, fa->shard_n,
                    n_all);
        if (fa->json)
            fputs("[]\n", stdout);
        status = 0;
        goto out;
    }
    if (jobs <= 0)
        jobs = ctx->cfg.jobs > 0 ? ctx->cfg.jobs : 1;    /* config_finish: CPUs */
    if (fanout_run(o, ts.items, ts.n, jobs, fa->json, stdout, &signum, &ctx->err) == 0)
        status = 0;
    else if (signum)
        status = 128 + signum;
    else
        status = ctx->err.code == ERR_USAGE ? 2 : 1;
out:
    if (status == 1 && ctx->err.code == ERR_USAGE)
        status = 2;
    fanout_targets_release(&ts);
    return status;
}

/* Options may stand before or after the target (alembic's argparse
 * accepts both); getopt would take "-1" for an option, so parse by hand. */
static int run(int argc, char **argv, struct ctx *ctx, enum migrate_kind kind,
               const char *const *usage)
{
    struct migrate_opts o;
    struct migrate_result res = { 0 };
    struct fanout_args fa = { 0 };
    int dashdash = 0;
    int r;

    cmd_migrate_opts(&o, ctx, kind);
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
        } else if (!dashdash &&
                   (r = runtime_opt(ctx, usage, argc, argv, &i, &o, &fa.targets, &fa.jobs)) != 0) {
            if (r < 0)
                return 2;
        } else if (!dashdash && (r = fanout_opt(ctx, usage, argc, argv, &i, &fa)) != 0) {
            if (r < 0)
                return 2;
        } else if (!dashdash && a[0] == '-' && !is_relative(a)) {
            return bad_usage(ctx, usage, "unknown option", a);
        } else if (o.target) {
            return bad_usage(ctx, usage, "unexpected argument", a);
        } else {
            o.target = a;
        }
    }
    if (!o.target)
        return cli_usage_error(ctx, usage, "%s needs a target", argv[0]);
    o.result = &res;
    o.progress = !ctx->quiet && isatty(STDERR_FILENO);
    if (o.sql && (fa.shard || fa.schemas_from || fa.json))
        return cli_usage_error(ctx, usage, "--shard, --schemas-from and --json need an online run, "
                               "not --sql");
    if (!o.sql && (fa.targets || ctx->cfg.n_urls > 1 || fa.shard || fa.schemas_from || fa.json))
        return run_fanout(ctx, &o, &fa);
    if (migrate(&o, &ctx->err) < 0) {
        if (res.signum)
            return 128 + res.signum;
        return ctx->err.code == ERR_USAGE ? 2 : 1;
    }
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
