/* cli.h -- the command table and the context every command receives.
 *
 * cli.c parses the global options, reads the config file, does the setup a
 * command's NEEDS_* flags ask for (loading plugins and building the graph,
 * connecting), runs the command and prints ctx->err once.  A command's
 * return value is the exit status (0, 1 failure, 2 usage). */
#ifndef RUNNER_CLI_H
#define RUNNER_CLI_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "graph.h"

#define NEEDS_GRAPH (1u << 0)   /* plugins scanned, graph built and validated */

struct ctx {
    struct config cfg;          /* global options over config file over defaults */
    struct graph *graph;        /* NEEDS_GRAPH: owned by cli.c */
    struct err err;             /* filled by the command on failure; cli.c prints it */
    int verbose;                /* -v */
    int quiet;                  /* -q */
};

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv, struct ctx *ctx);  /* argv[0] is the command name */
    unsigned flags;             /* NEEDS_* */
    const char *summary;        /* one line for `runner --help` */
};

/* Run the CLI; returns the exit status. */
int cli_main(int argc, char **argv);

/* The command table, for the test that walks it (every command answers --help). */
const struct cmd *cli_commands(size_t *n);

/* Print usage lines to stdout (help) or the first line and a hint to stderr
 * (usage error).  Returns 0 for help, 2 for a usage error. */
int cli_usage(const char *const *usage, int is_error);

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
int cmd_check(int argc, char **argv, struct ctx *ctx);     /* cmd_check.c (autogenerate) */
int cmd_validate(int argc, char **argv, struct ctx *ctx);  /* cmd_validate.c (checksums) */
int cmd_repair(int argc, char **argv, struct ctx *ctx);
int cmd_test(int argc, char **argv, struct ctx *ctx);      /* cmd_test.c (roundtrip) */

#endif
