/* cli.h -- the command table and the context every command receives.
 *
 * cli.c parses the global options, reads the config file, does the setup a
 * command's NEEDS_* flags ask for (loading plugins and building the graph,
 * connecting), runs the command and prints ctx->err once.  A command's
 * return value is the exit status (0, 1 failure, 2 usage). */
#ifndef RUNNER_CLI_H
#define RUNNER_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "autogen.h"
#include "config.h"
#include "err.h"
#include "graph.h"

#define NEEDS_GRAPH (1u << 0)   /* plugins scanned, graph built and validated */
#define HOLDS_SIGNALS (1u << 1) /* SIGINT/SIGTERM held from the start for the run's
                                 * watcher (signals.h: sigwatch_hold) */
#define BUILDS_FIRST (1u << 2)  /* authoring: stale revision sources are built before the scan */
#define WARNS_STALE (1u << 3)   /* stale sources: one warning line (--build: built first) */
#define HIDDEN (1u << 4)        /* not listed by `runner --help` (completion helpers) */

struct ctx {
    struct config cfg;          /* global options over config file over defaults */
    struct graph *graph;        /* NEEDS_GRAPH: owned by cli.c */
    struct err err;             /* filled by the command on failure; cli.c prints it */
    const char *const *usage;   /* with an ERR_USAGE err: the command's usage, whose
                                 * first line cli.c prints after the message */
    int verbose;                /* -v */
    int quiet;                  /* -q */
    int url_has_password;       /* some --url holds a password: warn, once */
    int build;                  /* --build: WARNS_STALE commands build first */
};

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv, struct ctx *ctx);  /* argv[0] is the command name */
    unsigned flags;             /* NEEDS_* */
    const char *summary;        /* one line for `runner --help` */
    const char *info_option;    /* NULL, or an option that only prints (lint --rules):
                                 * like --help, it needs no config, plugins or graph */
};

/* Run the CLI; returns the exit status. */
int cli_main(int argc, char **argv);

/* Print *e as the CLI does, once per failure: "runner: error: <msg>",
 * then the server's DETAIL, HINT and CONTEXT lines as psql prints them,
 * then for a usage error the usage line (when given) and the --help hint. */
void cli_print_error(FILE *out, const struct err *e, const char *const *usage);

/* The command table, for the test that walks it (every command answers --help). */
const struct cmd *cli_commands(size_t *n);

/* Print usage lines to stdout (help) or the first line and a hint to stderr
 * (usage error).  Returns 0 for help, 2 for a usage error.  Commands call
 * it for --help only: their usage errors go through cli_usage_error(). */
int cli_usage(const char *const *usage, int is_error);

/* The one path of a command's usage error: fill ctx->err (ERR_USAGE) with
 * the message and remember `usage`; cli_main() prints
 * "runner: error: <message>", the usage line and the --help hint, once.
 * Quote what the user typed with err_quote().  Returns 2, the exit status. */
int cli_usage_error(struct ctx *ctx, const char *const *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* getopt_long() refused argv[] (unknown option, missing value): report the
 * argument it stopped at, by cli_usage_error().  `before` is optind as it
 * was before that getopt_long() call: within "-99" optind does not move,
 * so argv[optind - 1] would name the word before it.  `optstring` is the
 * one given to getopt_long(), to tell an unknown option from a missing
 * value. */
int cli_bad_option(struct ctx *ctx, const char *const *usage, int argc, char **argv,
                   int before, const char *optstring);

/* "unexpected argument '<arg>'" by cli_usage_error(); returns 2. */
int cli_unexpected(struct ctx *ctx, const char *const *usage, const char *arg);

/* A number of seconds for --wait, --*-timeout, --lock-wait...: a decimal
 * number, finite, 0 <= v <= 1e7 (and > 0 unless zero_ok).  "nan", "inf",
 * "1e999", "" and trailing junk are refused: -1. */
int cli_parse_seconds(const char *s, int zero_ok, double *out);

/* The autogenerate options from the config and the graph, for check,
 * revision --autogenerate and test: the "Detected ..." lines go to
 * stdout unless -q.  Everything in *o borrows from ctx. */
void cli_autogen_opts(const struct ctx *ctx, struct autogen_opts *o);

/* Commands: one file each (cmd_<name>.c), or one per close family. */
int cmd_heads(int argc, char **argv, struct ctx *ctx);
int cmd_branches(int argc, char **argv, struct ctx *ctx);
int cmd_history(int argc, char **argv, struct ctx *ctx);
int cmd_show(int argc, char **argv, struct ctx *ctx);
int cmd_revision(int argc, char **argv, struct ctx *ctx);
int cmd_merge(int argc, char **argv, struct ctx *ctx);
int cmd_build(int argc, char **argv, struct ctx *ctx);
int cmd_upgrade(int argc, char **argv, struct ctx *ctx);
int cmd_downgrade(int argc, char **argv, struct ctx *ctx);
int cmd_current(int argc, char **argv, struct ctx *ctx);
int cmd_stamp(int argc, char **argv, struct ctx *ctx);
int cmd_wait(int argc, char **argv, struct ctx *ctx);
int cmd_lint(int argc, char **argv, struct ctx *ctx);      /* cmd_lint.c (migration safety) */
int cmd_check(int argc, char **argv, struct ctx *ctx);     /* cmd_check.c (autogenerate) */
int cmd_validate(int argc, char **argv, struct ctx *ctx);  /* cmd_validate.c (checksums) */
int cmd_repair(int argc, char **argv, struct ctx *ctx);
int cmd_init(int argc, char **argv, struct ctx *ctx);      /* cmd_init.c (scaffold) */
int cmd_cflags(int argc, char **argv, struct ctx *ctx);    /* cmd_build.c */
int cmd_complete(int argc, char **argv, struct ctx *ctx);  /* cmd_complete.c (bash) */
int cmd_test(int argc, char **argv, struct ctx *ctx);      /* cmd_test.c (roundtrip) */

#endif
