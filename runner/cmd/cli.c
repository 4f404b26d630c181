/* cli.c -- argv to command.  Global options are read here, wherever they
 * stand on the line (before "--"), the config file and environment are
 * merged, and the setup a command's NEEDS_* flags ask for happens once.
 * Only this file prints ctx->err. */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "loader.h"
#include "signals.h"
#include "url.h"

static const struct cmd commands[] = {
    { "init", cmd_init, 0, "create a new project: runner.ini, revisions/, plugins/, models/", NULL },
    { "upgrade", cmd_upgrade, NEEDS_GRAPH | HOLDS_SIGNALS | WARNS_STALE, "upgrade to a later revision", NULL },
    { "downgrade", cmd_downgrade, NEEDS_GRAPH | HOLDS_SIGNALS | WARNS_STALE, "revert to a previous revision", NULL },
    { "current", cmd_current, NEEDS_GRAPH, "display the current revision(s) of the database", NULL },
    { "stamp", cmd_stamp, NEEDS_GRAPH | HOLDS_SIGNALS, "set the version table to a revision without migrating", NULL },
    { "history", cmd_history, NEEDS_GRAPH | BUILDS_FIRST, "list revisions, newest first", NULL },
    { "heads", cmd_heads, NEEDS_GRAPH | BUILDS_FIRST, "show current available heads", NULL },
    { "branches", cmd_branches, NEEDS_GRAPH | BUILDS_FIRST, "show current branch points", NULL },
    { "show", cmd_show, NEEDS_GRAPH | BUILDS_FIRST, "show the revision(s) denoted by the given symbol", NULL },
    { "revision", cmd_revision, NEEDS_GRAPH | BUILDS_FIRST, "create a new revision source file", NULL },
    { "check", cmd_check, NEEDS_GRAPH | BUILDS_FIRST, "check whether the models match the database", NULL },
    { "test", cmd_test, NEEDS_GRAPH | BUILDS_FIRST | HOLDS_SIGNALS, "prove every revision upgrades, downgrades and upgrades again", NULL },
    { "lint", cmd_lint, NEEDS_GRAPH | BUILDS_FIRST, "check revisions' SQL for locks, rewrites and breaking changes",
      "--rules" },
    { "validate", cmd_validate, NEEDS_GRAPH, "compare applied revisions' checksums with their plugins", NULL },
    { "repair", cmd_repair, NEEDS_GRAPH, "record the current checksums of applied revisions", NULL },
    { "merge", cmd_merge, NEEDS_GRAPH | BUILDS_FIRST, "merge two or more revisions into one", NULL },
    { "build", cmd_build, 0, "compile revision sources that changed into plugins", NULL },
    { "cflags", cmd_cflags, 0, "print the compiler flags for one revision source (checksum included)", NULL },
    { "wait", cmd_wait, 0, "wait until the database accepts connections", NULL },
    { "__complete", cmd_complete, HIDDEN, "words for shell completion", NULL },
};

static const char *const main_usage[] = {
    "usage: runner [options] <command> [<args>]",
    "",
    "A PostgreSQL schema-migration runner with Alembic's workflow; each",
    "revision is a shared-object plugin.",
    "",
    "options (accepted anywhere before --):",
    "  -c, --config FILE        INI file (default: ./runner.ini when present)",
    "  --dir DIR                plugin directory (default: plugins)",
    "  --sources DIR            revision sources (default: revisions)",
    "  --url URL                database URL (else $DATABASE_URL, the config, libpq's PG*)",
    "  --version-table NAME     version table (default: alembic_version)",
    "  --version-schema NAME    schema of the version table",
    "  --history-table NAME     history table (default: runner_history)",
    "  --models PATH            models plugin for autogenerate and check",
    "  --allow-unsafe-plugins   load plugins from group/world-writable places, with a warning",
    "  --build                  upgrade/downgrade: build stale revision sources first",
    "  -v, --verbose            more output",
    "  -q, --quiet              less output",
    "  -h, --help               this help; `runner <command> --help` for a command",
    "  --version                print the version",
    NULL,
};

const struct cmd *cli_commands(size_t *n)
{
    *n = sizeof(commands) / sizeof(commands[0]);
    return commands;
}

int cli_usage(const char *const *usage, int is_error)
{
    if (is_error) {
        fprintf(stderr, "%s\n", usage[0]);
        fprintf(stderr, "Try 'runner --help' or 'runner <command> --help' for more information.\n");
        return 2;
    }
    for (size_t i = 0; usage[i]; i++)
        printf("%s\n", usage[i]);
    return 0;
}

int cli_usage_error(struct ctx *ctx, const char *const *usage, const char *fmt, ...)
{
    char msg[ERR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_set(&ctx->err, ERR_USAGE, "%s", msg);
    ctx->usage = usage;
    return 2;
}

int cli_bad_option(struct ctx *ctx, const char *const *usage, int argc, char **argv,
                   int before, const char *optstring)
{
    char q[ERR_QUOTE_SIZE];
    const char *arg;
    int missing;

    if (before < 1)
        before = 1;     /* optind = 0 asks glibc to start over at argv[1] */
    /* optind moved past the word when getopt finished it (a long option,
     * the last letter of a cluster, a missing value); within "-99" it
     * still points at the word */
    if (optind > before)
        arg = argv[optind - 1];
    else
        arg = optind < argc ? argv[optind] : "";
    /* options after positional arguments (getopt permutes): within "-99"
     * after "head", optind moved from "head" to "-99" and stays there */
    if (arg[0] != '-' && optind < argc && argv[optind][0] == '-')
        arg = argv[optind];
    /* glibc: optopt is 0 for an unknown long option, the letter for an
     * unknown short one, and the option's own value when its value is
     * missing */
    missing = optopt != 0 && optopt != ':' && optopt != '+' &&
              (optopt > 255 || strchr(optstring, optopt) != NULL);
    return cli_usage_error(ctx, usage, missing ? "option '%s' requires a value"
                                               : "unknown option '%s'",
                           err_quote(q, sizeof(q), arg));
}

int cli_unexpected(struct ctx *ctx, const char *const *usage, const char *arg)
{
    char q[ERR_QUOTE_SIZE];

    return cli_usage_error(ctx, usage, "unexpected argument '%s'", err_quote(q, sizeof(q), arg));
}

void cli_autogen_opts(const struct ctx *ctx, struct autogen_opts *o)
{
    *o = (struct autogen_opts){
        .url = ctx->cfg.url,
        .models = ctx->cfg.models,
        .allow_unsafe_plugins = ctx->cfg.allow_unsafe_plugins,
        .version_schema = ctx->cfg.version_schema,
        .version_table = ctx->cfg.version_table,
        .history_table = ctx->cfg.history_table,
        .graph = ctx->graph,
        .log = ctx->quiet ? NULL : stdout,
    };
}

int cli_parse_seconds(const char *s, int zero_ok, double *out)
{
    char *end = NULL;
    double v;

    if (!s || !*s)
        return -1;
    v = strtod(s, &end);
    /* strtod reads "nan" and "inf" too; NaN fails every comparison, so
     * "v < 0" alone let it through: isnan() says it */
    if (*end || isnan(v) || !isfinite(v) || v < 0 || (!zero_ok && v == 0) || v > 1e7)
        return -1;
    *out = v;
    return 0;
}

void cli_print_error(FILE *out, const struct err *e, const char *const *usage)
{
    fprintf(out, "runner: error: %s\n", e->msg);
    /* psql's layout: the field name, a colon, two spaces */
    if (e->detail[0])
        fprintf(out, "DETAIL:  %s\n", e->detail);
    if (e->hint[0])
        fprintf(out, "HINT:  %s\n", e->hint);
    if (e->context[0])
        fprintf(out, "CONTEXT:  %s\n", e->context);
    if (e->code != ERR_USAGE)
        return;
    if (usage) {
        fprintf(out, "%s\n", usage[0]);
        fprintf(out, "Try 'runner --help' or 'runner <command> --help' for more information.\n");
    } else {
        fprintf(out, "Try 'runner --help' for more information.\n");
    }
}

static void print_main_help(void)
{
    cli_usage(main_usage, 0);
    printf("\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!(commands[i].flags & HIDDEN))
            printf("  %-12s %s\n", commands[i].name, commands[i].summary);
}

/* Global options that take a value, and where the value goes. */
struct global_opt {
    const char *long_name;
    char short_name;
    size_t offset;      /* into struct config */
};

#define CFG(field) offsetof(struct config, field)
static const struct global_opt global_opts[] = {
    { "--config", 'c', CFG(file) },
    { "--dir", 0, CFG(dir) },
    { "--sources", 0, CFG(sources) },
    { "--url", 0, CFG(url) },
    { "--version-table", 0, CFG(version_table) },
    { "--version-schema", 0, CFG(version_schema) },
    { "--history-table", 0, CFG(history_table) },
    { "--models", 0, CFG(models) },
};
#undef CFG

/* Append a copy of url to cfg->urls (fan-out); 0 or -1 on OOM. */
static int cli_add_url(struct config *cfg, const char *url)
{
    char **grown = realloc(cfg->urls, (cfg->n_urls + 1) * sizeof(*grown));

    if (!grown)
        return -1;
    cfg->urls = grown;
    grown[cfg->n_urls] = strdup(url);
    if (!grown[cfg->n_urls])
        return -1;
    cfg->n_urls++;
    return 0;
}

/* Does argv[*i] name a global option with a value?  Handles "--x v",
 * "--x=v" and "-c v".  Returns 1 (consumed, *i advanced past the value),
 * 0 (not ours) or -1 (missing value). */
static int take_global(struct ctx *ctx, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];

    for (size_t k = 0; k < sizeof(global_opts) / sizeof(global_opts[0]); k++) {
        const struct global_opt *o = &global_opts[k];
        size_t len = strlen(o->long_name);
        const char *value = NULL;
        char **slot = (char **)((char *)&ctx->cfg + o->offset);

        if (strncmp(arg, o->long_name, len) == 0 && arg[len] == '=') {
            value = arg + len + 1;
        } else if (strcmp(arg, o->long_name) == 0 ||
                   (o->short_name && arg[0] == '-' && arg[1] == o->short_name && !arg[2])) {
            if (*i + 1 >= argc) {
                char q[ERR_QUOTE_SIZE];

                err_set(&ctx->err, ERR_USAGE, "option '%s' requires a value",
                        err_quote(q, sizeof(q), arg));
                return -1;
            }
            value = argv[++*i];
        } else {
            continue;
        }
        if (strcmp(o->long_name, "--url") == 0) {
            if (cli_add_url(&ctx->cfg, value) < 0) {
                err_set(&ctx->err, ERR_FAIL, "out of memory");
                return -1;
            }
            ctx->url_has_password |= url_has_password(value);
        }
        if (slot == &ctx->cfg.url && ctx->cfg.n_urls > 1)
            return 1;           /* a repeated --url: url stays the first */
        if (config_set(slot, value) < 0) {
            err_set(&ctx->err, ERR_FAIL, "out of memory");
            return -1;
        }
        return 1;
    }
    return 0;
}

static const struct cmd *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Split argv into global options (applied to ctx) and the command's own
 * argv (returned in *cmd_argv, which the caller frees; the strings are
 * argv's).  Returns 0, 1 when --help/--version was handled, or -1. */
static int parse_globals(struct ctx *ctx, int argc, char **argv, char ***cmd_argv,
                         int *cmd_argc)
{
    char **out = calloc((size_t)argc + 1, sizeof(*out));
    int n = 0;
    int dashdash = 0;

    if (!out)
        return err_set(&ctx->err, ERR_FAIL, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;

        if (dashdash) {
            out[n++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            dashdash = 1;
            out[n++] = argv[i];
            continue;
        }
        r = take_global(ctx, argc, argv, &i);
        if (r < 0)
            goto fail;
        if (r > 0)
            continue;
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            ctx->verbose++;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            ctx->quiet = 1;
        } else if (strcmp(a, "--allow-unsafe-plugins") == 0) {
            ctx->cfg.allow_unsafe_plugins = 1;
        } else if (strcmp(a, "--build") == 0) {
            ctx->build = 1;
        } else if (n == 0 && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            print_main_help();
            free(out);
            return 1;
        } else if (n == 0 && strcmp(a, "--version") == 0) {
            printf("runner %s (plugin ABI %u)\n", RUNNER_VERSION, RUNNER_ABI_VERSION);
            free(out);
            return 1;
        } else if (n == 0 && a[0] == '-') {
            char q[ERR_QUOTE_SIZE];

            err_set(&ctx->err, ERR_USAGE, "unknown option '%s'", err_quote(q, sizeof(q), a));
            goto fail;
        } else {
            out[n++] = argv[i];
        }
    }
    *cmd_argv = out;
    *cmd_argc = n;
    return 0;
fail:
    free(out);
    return -1;
}

static int load_config(struct ctx *ctx)
{
    struct config *c = &ctx->cfg;
    struct stat st;

    /* the command line has been read: what it named is set, nothing else */
    c->dir_on_cli = c->dir != NULL;
    c->sources_on_cli = c->sources != NULL;
    if (config_from_env(c, &ctx->err) < 0)
        return -1;
    if (c->file) {
        if (config_read_trusted(c, c->file, &ctx->err) < 0)
            return -1;
    } else if (lstat("runner.ini", &st) == 0) {
        /* lstat, not access(F_OK): a dangling or unreadable runner.ini is
         * reported by the read below instead of silently skipped */
        if (config_set(&c->file, "runner.ini") < 0)
            return err_set(&ctx->err, ERR_FAIL, "out of memory");
        if (config_read_trusted(c, c->file, &ctx->err) < 0)
            return -1;
    }
    return config_finish(c, &ctx->err);
}

/* Is this a request for the command's help, or for what its info option
 * prints?  Then no setup is needed. */
static int wants_help(const struct cmd *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
            (cmd->info_option && strcmp(argv[i], cmd->info_option) == 0))
            return 1;
    }
    return 0;
}

/* The scanned plugins' paths, sorted, each with whether its metadata
 * carries a source checksum: the stale check's answers, so that it does
 * not read every plugin a second time right after the scan. */
struct scanned {
    const struct rev **revs;    /* borrowed from the graph; sorted by path */
    size_t n;
};

static int cmp_rev_path(const void *a, const void *b)
{
    return strcmp((*(const struct rev *const *)a)->path, (*(const struct rev *const *)b)->path);
}

static int cmp_path_rev(const void *key, const void *r)
{
    return strcmp(key, (*(const struct rev *const *)r)->path);
}

static int scanned_has_checksum(const char *path, void *arg)
{
    const struct scanned *sc = arg;
    const struct rev *const *r = sc->n ? bsearch(path, sc->revs, sc->n, sizeof(*sc->revs),
                                                 cmp_path_rev)
                                       : NULL;

    return r ? (*r)->meta.source_sha256[0] != '\0' : -1;
}

/* 0, or -1 when out of memory (then the stale check reads the files). */
static int scanned_init(struct scanned *sc, const struct graph *g)
{
    size_t n = g ? graph_count(g) : 0;

    sc->n = 0;
    sc->revs = calloc(n ? n : 1, sizeof(*sc->revs));
    if (!sc->revs)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (graph_at(g, i)->path)
            sc->revs[sc->n++] = graph_at(g, i);
    if (sc->n)
        qsort(sc->revs, sc->n, sizeof(*sc->revs), cmp_rev_path);
    return 0;
}

/* Sources are part of the graph while authoring (alembic reads its
 * scripts): compile what is stale, as `runner build` would, before the
 * plugin directory is scanned, so that a second `revision -m` revises the
 * first.  Without a sources directory (a container holding only plugins)
 * nothing happens.  dry_run: only count, into *n_stale; `sc`, when not
 * NULL, says which plugins carry a checksum. */
static int build_stale(struct ctx *ctx, int dry_run, struct scanned *sc, size_t *n_stale)
{
    struct build_opts o = { 0 };
    struct build_result r = { 0 };
    struct stat st;

    *n_stale = 0;
    if (!ctx->cfg.authoring || stat(ctx->cfg.sources, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    /* Nor without a plugin directory: a mistyped --dir must not be created
     * and filled behind the user's back (`runner build` creates it). */
    if (!ctx->cfg.dir || stat(ctx->cfg.dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    o.sources = ctx->cfg.sources;
    o.dir = ctx->cfg.dir;
    o.cc = ctx->cfg.cc;
    o.cflags = ctx->cfg.cflags;
    o.jobs = ctx->cfg.jobs;
    o.quiet = 1;                /* stdout is the command's: heads, history, ... */
    o.dry_run = dry_run;
    o.models_sources = ctx->cfg.models_sources;
    o.models_out = ctx->cfg.models;
    if (sc) {
        o.plugin_has_checksum = scanned_has_checksum;
        o.plugin_has_checksum_arg = sc;
    }
    if (build_run(&o, &r, &ctx->err) < 0)
        return -1;
    *n_stale = r.stale;
    /* silent by default, as alembic reads its scripts silently; the
     * compiler still reports errors */
    if (!dry_run && r.compiled && ctx->verbose)
        fprintf(stderr, "runner: built %zu plugin%s from changed sources\n", r.compiled,
                r.compiled == 1 ? "" : "s");
    return 0;
}

/* The stale-plugin warning of upgrade and downgrade, after the scan:
 * which plugins carry a checksum comes from the graph (the files are read
 * only when the scan failed).  Only a hint: an unreadable sources
 * directory never stops a migration, and *e, the scan's error, stays. */
static void warn_stale(struct ctx *ctx, int scanned_ok)
{
    struct scanned sc = { NULL, 0 };
    struct err scan_err = ctx->err;
    int indexed = scanned_ok && scanned_init(&sc, ctx->graph) == 0;
    size_t n_stale = 0;

    ctx->err = (struct err)ERR_INIT;
    if (build_stale(ctx, 1, indexed ? &sc : NULL, &n_stale) < 0)
        n_stale = 0;
    ctx->err = scan_err;
    free(sc.revs);
    if (n_stale)
        fprintf(stderr,
                "runner: warning: %zu plugin%s older than %s source or not built; "
                "run 'runner build' (or pass --build)\n",
                n_stale, n_stale == 1 ? " is" : "s are", n_stale == 1 ? "its" : "their");
}

static int setup(struct ctx *ctx, const struct cmd *cmd)
{
    struct loader_opts lo = { ctx->cfg.allow_unsafe_plugins };
    size_t n_stale = 0;
    int rc;

    if (!(cmd->flags & NEEDS_GRAPH))
        return 0;
    if ((cmd->flags & BUILDS_FIRST) || ((cmd->flags & WARNS_STALE) && ctx->build)) {
        if (build_stale(ctx, 0, NULL, &n_stale) < 0)
            return -1;
    }
    ctx->graph = graph_new();
    if (!ctx->graph)
        return err_set(&ctx->err, ERR_FAIL, "out of memory");
    rc = loader_scan(ctx->cfg.dir, &lo, ctx->graph, &ctx->err);
    if ((cmd->flags & WARNS_STALE) && !ctx->build)
        warn_stale(ctx, rc == 0);
    return rc;
}

/* A connection that failed: say where the URL comes from, unless the
 * server gave a hint of its own.  pg.c words every connection failure
 * "cannot connect to <where>: <why>" (err_prefix may put a replica's name
 * in front). */
static void hint_connection(struct err *e)
{
    if (e->code == ERR_USAGE || e->hint[0] || !strstr(e->msg, "cannot connect to "))
        return;
    snprintf(e->hint, sizeof(e->hint),
             "the database comes from --url, else $DATABASE_URL, else url in the config "
             "file, else libpq's PG* variables");
}

int cli_main(int argc, char **argv)
{
    struct ctx ctx = { .err = ERR_INIT };
    char **cmd_argv = NULL;
    int cmd_argc = 0;
    const struct cmd *cmd;
    int ret = 1;
    int r;

    config_init(&ctx.cfg);
    r = parse_globals(&ctx, argc, argv, &cmd_argv, &cmd_argc);
    if (r != 0) {
        ret = r > 0 ? 0 : (int)ctx.err.code;
        goto out;
    }
    if (cmd_argc == 0) {
        err_set(&ctx.err, ERR_USAGE, "no command given");
        goto out;
    }
    if (ctx.url_has_password && !ctx.quiet)
        fprintf(stderr, "runner: warning: a password given with --url can be read by other "
                        "local users from the process list; prefer DATABASE_URL or a password "
                        "file (~/.pgpass, PGPASSFILE)\n");
    cmd = find_command(cmd_argv[0]);
    if (!cmd) {
        char q[ERR_QUOTE_SIZE];

        err_set(&ctx.err, ERR_USAGE, "'%s' is not a runner command",
                err_quote(q, sizeof(q), cmd_argv[0]));
        goto out;
    }
    /* before the config and the plugins: a signal from here on reaches the run */
    if (cmd->flags & HOLDS_SIGNALS)
        sigwatch_hold();
    if (!wants_help(cmd, cmd_argc, cmd_argv)) {
        if (load_config(&ctx) < 0 || setup(&ctx, cmd) < 0)
            goto out;
    } else if (config_finish(&ctx.cfg, &ctx.err) < 0) {
        goto out;
    }
    ret = cmd->fn(cmd_argc, cmd_argv, &ctx);
out:
    if (ctx.err.code != ERR_OK) {
        hint_connection(&ctx.err);
        cli_print_error(stderr, &ctx.err, ctx.usage);
        if (ret == 0 || ctx.err.code == ERR_USAGE)
            ret = (int)ctx.err.code;
    }
    graph_free(ctx.graph);
    config_release(&ctx.cfg);
    free(cmd_argv);
    return ret;
}
