/* cmd_build.c -- `runner build`: the command line of build_run() (build.c),
 * which does the work.  Sources, plugin directory, compiler, flags and
 * parallelism come from ctx->cfg (command line over runner.ini over
 * defaults; see config.h); --jobs and --force are this command's own. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "build.h"
#include "cli.h"

static const char *const build_usage[] = {
    "usage: runner build [--jobs N] [--force]",
    "",
    "Compile every revision source (*.c in the sources directory, --sources or",
    "sources = in runner.ini, default ./revisions) whose plugin in the plugin",
    "directory is missing, older than the source or without the source's",
    "checksum (built by a plain cc line), in parallel; and, when models_sources =",
    "names a directory, its *.c into the models plugin (models =).",
    "  -j, --jobs N   at most N compilers at once (default: jobs = in runner.ini,",
    "                 else the number of CPUs)",
    "  -f, --force    compile every source, up to date or not",
    "",
    "The compiler is $CC (or cc = in runner.ini, default cc), called as",
    "  cc -shared -fPIC -std=c11 -O2 -Wall -Wextra -Werror -I<plugin headers>",
    "     -DRUNNER_SOURCE_SHA256=\"<sha256 of the source>\" <cflags> -o <plugin> <source>",
    "with cflags = from runner.ini.  The plugin headers are $RUNNER_PLUGIN_INCLUDE,",
    "else the installed ones, else the build tree's.",
    NULL,
};

static const struct option build_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "jobs", required_argument, NULL, 'j' },
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
};

int cmd_build(int argc, char **argv, struct ctx *ctx)
{
    struct build_opts o = { 0 };
    struct build_result r;
    int c, before;

    o.sources = ctx->cfg.sources ? ctx->cfg.sources : "revisions";
    o.dir = ctx->cfg.dir ? ctx->cfg.dir : "plugins";
    o.cc = ctx->cfg.cc;
    o.cflags = ctx->cfg.cflags;
    o.jobs = ctx->cfg.jobs;
    o.quiet = ctx->quiet;
    o.models_sources = ctx->cfg.models_sources;
    o.models_out = ctx->cfg.models;
    o.allow_unsafe = ctx->cfg.allow_unsafe_plugins;
    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, ":hj:f", build_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            return cli_usage(build_usage, 0);
        case 'j': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);

            if (!*optarg || *end || v < 1 || v > 1024) {
                char q[ERR_QUOTE_SIZE];

                return cli_usage_error(ctx, build_usage, "invalid --jobs '%s' (1 to 1024)",
                                       err_quote(q, sizeof(q), optarg));
            }
            o.jobs = (int)v;
            break;
        }
        case 'f':
            o.force = 1;
            break;
        default:        /* ':' (a missing value) or '?' */
            return cli_bad_option(ctx, build_usage, argc, argv, before, ":hj:f");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, build_usage, argv[optind]);
    if (build_run(&o, &r, &ctx->err) < 0)
        return 1;
    return 0;
}

static const char *const cflags_usage[] = {
    "usage: runner cflags <source.c>",
    "",
    "Print the flags that compile one revision source into a plugin that",
    "carries the source's checksum (what `runner build` and the CMake helper",
    "pass), for a plain compiler line:",
    "  cc -shared -fPIC $(runner cflags rev.c) rev.c -o plugins/rev.so",
    "The output is -I<plugin headers> -DRUNNER_SOURCE_SHA256=\"<sha256>\"; the",
    "headers are found as `runner build` finds them.",
    NULL,
};

int cmd_cflags(int argc, char **argv, struct ctx *ctx)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char *flags = NULL;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h')
            return cli_usage(cflags_usage, 0);
        fprintf(stderr, "runner: error: unknown option '%s'\n", argv[optind - 1]);
        return cli_usage(cflags_usage, 1);
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "runner: error: cflags needs exactly one source file\n");
        return cli_usage(cflags_usage, 1);
    }
    if (build_cflags(argv[optind], NULL, &flags, &ctx->err) < 0)
        return 1;
    printf("%s\n", flags);
    free(flags);
    return 0;
}
