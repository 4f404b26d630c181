/* cmd_lint.c -- `lint`: arguments, the server version the advice is for,
 * and the compiler-style (or JSON) report.  Rendering and the rules are
 * lint_run.c's and lint.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli.h"
#include "json.h"
#include "lint_run.h"
#include "pg.h"

static const char *const lint_usage[] = {
    "usage: runner lint [-r [start]:[end]] [--json] [--pg-version N] [--lock-timeout S]",
    "",
    "Check the SQL each revision's upgrade() emits (rendered as --sql renders",
    "it, parsed with PostgreSQL's own parser) for statements that lock or",
    "rewrite busy tables or break running code, one line per finding:",
    "  <file>:<line>: <rule>: <error|warning>: <what>: <why>; instead: <safe way>",
    "<file> is the revision's source when --sources has it, else the plugin.",
    "A revision silences a rule with .lint_allow = \"rule ...\" in its metadata or",
    "a \"runner-lint: allow rule\" comment; silenced findings are still listed.",
    "Exits 1 when a finding of an error-level rule is not silenced.",
    "  -r, --rev-range RANGE  [start]:[end] (default: base to the heads)",
    "  --json                 one JSON object: the findings and the counts",
    "  --pg-version N         the server version the advice is for (11, 12, 15.4,",
    "                         150004) when no database is given; with --url (or",
    "                         DATABASE_URL, or url =) the server's own version;",
    "                         else 15",
    "  --lock-timeout S       the run will SET lock_timeout (upgrade --lock-timeout)",
    "  --rules                list the rules: name, level, why, what to do instead",
    NULL,
};

enum { OPT_JSON = 256, OPT_PG_VERSION, OPT_LOCK_TIMEOUT, OPT_RULES };

/* "11", "9.6", "15.4" or "150004" as server_version_num; -1 if neither. */
static int parse_pg_version(const char *s)
{
    char *end;
    long major = strtol(s, &end, 10), minor = 0;

    if (end == s || major < 0)
        return -1;
    if (*end == '.') {
        const char *m = end + 1;

        minor = strtol(m, &end, 10);
        if (end == m || minor < 0 || minor > 99)
            return -1;
    }
    if (*end)
        return -1;
    if (major >= 10000 && major < 1000000 && minor == 0)
        return (int)major;
    if (major >= 10 && major < 100)
        return (int)(major * 10000 + minor);
    if (major >= 7 && major < 10)
        return (int)(major * 10000 + minor * 100);
    return -1;
}

/* server_version_num of the database at url. */
static int server_version(const char *url, int *out, struct err *e)
{
    uv_loop_t loop;
    struct pg db = PG_INIT;
    int ret = -1;

    if (uv_loop_init(&loop) != 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop");
    if (pg_open(&db, &loop, url, e) < 0)
        goto out;
    *out = PQserverVersion(pg_conn(&db));
    if (*out <= 0) {
        err_set(e, ERR_FAIL, "cannot read the server version");
        goto out;
    }
    ret = 0;
out:
    pg_close(&db);
    uv_loop_close(&loop);
    return ret;
}

static void print_rules(FILE *out)
{
    size_t n;
    const struct lint_rule *rules = lint_rules(&n);

    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s (%s): %s; instead: %s\n", rules[i].name,
                lint_level_name(rules[i].level), rules[i].reason, rules[i].instead);
}

static const char *silence_words(const char *by)
{
    return strcmp(by, "metadata") == 0 ? "allowed by the metadata's lint_allow"
                                       : "allowed by a runner-lint comment";
}

static void print_text(FILE *out, const struct lint_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_rev *lr = &r->revs[i];

        for (size_t j = 0; j < lr->result.n; j++) {
            const struct lint_finding *f = &lr->result.items[j];

            if (f->silenced_by)
                fprintf(out, "%s:%u: %s: %s: %s\n", lr->file, lr->file_lines[j], f->rule->name,
                        silence_words(f->silenced_by), f->detail);
            else
                fprintf(out, "%s:%u: %s: %s: %s: %s; instead: %s\n", lr->file,
                        lr->file_lines[j], f->rule->name, lint_level_name(f->rule->level),
                        f->detail, f->rule->reason, f->rule->instead);
        }
    }
}

static void print_json(FILE *out, const struct lint_report *r, int pg_version)
{
    int first = 1;

    fprintf(out, "{\"pg_version\":%d,\"revisions\":%zu,\"errors\":%zu,\"warnings\":%zu,"
            "\"silenced\":%zu,\"findings\":[", pg_version, r->n, r->errors, r->warnings,
            r->silenced);
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_rev *lr = &r->revs[i];

        for (size_t j = 0; j < lr->result.n; j++) {
            const struct lint_finding *f = &lr->result.items[j];

            fputs(first ? "{" : ",{", out);
            first = 0;
            fputs("\"revision\":", out);
            json_str(out, lr->rev->id);
            fputs(",\"file\":", out);
            json_str(out, lr->file);
            fprintf(out, ",\"line\":%u,\"sql_line\":%u,\"rule\":", lr->file_lines[j], f->line);
            json_str(out, f->rule->name);
            fputs(",\"level\":", out);
            json_str(out, lint_level_name(f->rule->level));
            fputs(",\"message\":", out);
            json_str(out, f->detail);
            fputs(",\"reason\":", out);
            json_str(out, f->rule->reason);
            fputs(",\"instead\":", out);
            json_str(out, f->rule->instead);
            fputs(",\"statement\":", out);
            json_str(out, f->statement);
            fputs(",\"silenced_by\":", out);
            json_str(out, f->silenced_by);
            fputc('}', out);
        }
    }
    fputs("]}\n", out);
}

int cmd_lint(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "rev-range", required_argument, NULL, 'r' },
        { "json", no_argument, NULL, OPT_JSON },
        { "pg-version", required_argument, NULL, OPT_PG_VERSION },
        { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
        { "rules", no_argument, NULL, OPT_RULES },
        { NULL, 0, NULL, 0 },
    };
    struct lint_report r = LINT_REPORT_INIT;
    struct lint_run_opts o = { 0 };
    int json = 0, pg_version = 0;
    double lock_timeout = 0;
    char q[ERR_QUOTE_SIZE];
    int ret = 1;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hr:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(lint_usage, 0);
        case 'r': o.range = optarg; break;
        case OPT_JSON: json = 1; break;
        case OPT_PG_VERSION:
            pg_version = parse_pg_version(optarg);
            if (pg_version < 0)
                return cli_usage_error(ctx, lint_usage,
                                       "--pg-version wants a PostgreSQL version such as 12 "
                                       "or 15.4, not '%s'",
                                       err_quote(q, sizeof(q), optarg));
            break;
        case OPT_LOCK_TIMEOUT:
            if (cli_parse_seconds(optarg, 1, &lock_timeout) < 0)
                return cli_usage_error(ctx, lint_usage, "--lock-timeout wants seconds, not '%s'",
                                       err_quote(q, sizeof(q), optarg));
            break;
        case OPT_RULES:
            print_rules(stdout);
            return 0;
        default: return cli_bad_option(ctx, lint_usage, argc, argv, before, "hr:");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, lint_usage, argv[optind]);
    if (o.range && !strchr(o.range, ':'))
        return cli_usage_error(ctx, lint_usage,
                               "lint range requires [start]:[end], [start]:, or :[end]");
    /* issue 15.3: the database's own version first, then --pg-version */
    if (ctx->cfg.url && *ctx->cfg.url) {
        if (server_version(ctx->cfg.url, &pg_version, &ctx->err) < 0)
            goto out;
    } else if (pg_version == 0) {
        pg_version = LINT_DEFAULT_PG_VERSION;
    }
    o.graph = ctx->graph;
    o.sources = ctx->cfg.sources;
    o.pg_version = pg_version;
    o.run_lock_timeout = lock_timeout > 0;
    if (lint_run(&o, &r, &ctx->err) < 0)
        goto out;
    if (json) {
        print_json(stdout, &r, pg_version);
    } else {
        print_text(stdout, &r);
        fprintf(stdout, "%zu revision%s linted for PostgreSQL %d.%d: %zu error%s, %zu warning%s, "
                "%zu silenced\n", r.n, r.n == 1 ? "" : "s", pg_version / 10000,
                pg_version >= 100000 ? pg_version % 10000 : (pg_version / 100) % 100, r.errors,
                r.errors == 1 ? "" : "s", r.warnings, r.warnings == 1 ? "" : "s", r.silenced);
    }
    fflush(stdout);
    if (r.errors) {
        err_set(&ctx->err, ERR_FAIL, "lint found %zu error%s", r.errors,
                r.errors == 1 ? "" : "s");
        goto out;
    }
    ret = 0;
out:
    lint_report_release(&r);
    return ret;
}
