/* build.h -- compiles revision sources into plugins: what `runner build`
 * does (cmd_build.c parses the command line and calls build_run()).
 *
 * Every *.c in the sources directory whose <name>.so in the plugin
 * directory is missing, older than the source (or than the plugin
 * header) or carries no source checksum (built by a plain `cc` line) is
 * compiled with the system compiler, at most `jobs` at a time,
 * into a temporary name that is renamed into place only on success: a
 * failed compile never leaves a broken or half-written plugin.  The
 * compiler's own diagnostics go straight to stderr; progress lines go to
 * stdout.  The source's checksum (checksum.c) is embedded through
 * -DRUNNER_SOURCE_SHA256. */
#ifndef RUNNER_BUILD_H
#define RUNNER_BUILD_H

#include <stddef.h>

#include "err.h"

struct build_opts {
    const char *sources;        /* directory of revision sources (*.c) */
    const char *dir;            /* plugin directory; created (0755) when missing */
    const char *cc;             /* compiler, split on blanks ("ccache gcc"); NULL: "cc" */
    const char *cflags;         /* extra flags, split on blanks (no shell quoting); may be NULL */
    const char *include_dir;    /* plugin API headers; NULL: build_include_dir() */
    int jobs;                   /* compilers at once; <= 0 means 1 */
    int force;                  /* compile even what is up to date */
    int quiet;                  /* no per-file lines, no summary */
    int dry_run;                /* count what is stale (res->stale), compile nothing */
    const char *models_sources; /* NULL, or a directory of *.c built into models_out */
    const char *models_out;     /* the models plugin; rebuilt when a models source is newer */
    int allow_unsafe;           /* --allow-unsafe-plugins: an unsafe compiler or output
                                 * directory (trust.h) is a warning, not a refusal */
    /* Optional: 1 when the plugin at `path` carries its source checksum, 0
     * when it does not, -1 when the caller does not know (then the file is
     * read).  A caller that has just scanned the directory answers from
     * its graph, so that the file is not read a second time. */
    int (*plugin_has_checksum)(const char *path, void *arg);
    void *plugin_has_checksum_arg;
};

struct build_result {
    size_t compiled;            /* plugins written */
    size_t up_to_date;          /* sources skipped */
    size_t failed;              /* sources whose compile failed */
    size_t stale;               /* plugins that were (or, dry_run, would be) compiled */
};

/* Compile what is stale.  0 when every compile succeeded (or nothing was
 * to do); -1 with *e naming each failing source, or what else went wrong
 * (unreadable sources directory, compiler not found, ...).  *res (may be
 * NULL) is filled either way. */
int build_run(const struct build_opts *o, struct build_result *res, struct err *e);

/* Where the plugin headers are: $RUNNER_PLUGIN_INCLUDE when set, else the
 * installed include directory when it holds runner/plugin.h (first as seen
 * from the running binary, ../include, so a moved install finds its own;
 * then the configured prefix's), else the build tree's plugin-api/include.
 * Static or environment string. */
const char *build_include_dir(void);

/* The flags `runner cflags FILE` prints and build_run() passes for one
 * source: "-I<include dir> -DRUNNER_SOURCE_SHA256=\"<hex>\"", quoted for a
 * POSIX shell's $(...) (which does no quote removal: the quotes reach the
 * compiler, as the define needs).  Caller frees *out. */
int build_cflags(const char *source, const char *include_dir, char **out, struct err *e);

#endif
