/* config.h -- settings from the command line, the environment and the
 * INI file (runner.ini, read with inih), in that order of precedence.
 *
 * Keys of the [runner] section: dir, sources, url, version_table,
 * version_schema, history_table, models, models_sources, jobs, keepalive, cc,
 * cflags.
 * The path keys (dir, sources, models, models_sources) are relative to the
 * file's directory, and "%(here)s" in them is that directory (alembic's
 * %(here)s), so `-c /path/runner.ini` works from anywhere.  An unknown key
 * is a warning naming the file and line.  Every string is owned by the
 * struct; config_release() frees them. */
#ifndef RUNNER_CONFIG_H
#define RUNNER_CONFIG_H

#include "err.h"

#define CONFIG_KEEPALIVE_DEFAULT 60.0 /* seconds */

struct config {
    char *file;             /* -c FILE, or ./runner.ini when present, else NULL */
    char *dir;              /* plugin directory: --dir, dir =, else "plugins" */
    char *sources;          /* revision sources: --sources, sources =, else "revisions" */
    char *url;              /* --url, else $DATABASE_URL, else url =, else NULL (libpq's PG* env) */
    char **urls;            /* every --url in order (fan-out); url is the first */
    size_t n_urls;
    char *version_table;    /* alembic_version */
    char *version_schema;   /* NULL: where search_path finds the table, else current_schema() */
    char *history_table;    /* runner_history */
    char *models;           /* models plugin path, optional */
    char *models_sources;   /* directory of the models' *.c: `runner build` compiles models */
    char *cc;               /* compiler for `runner build`: $CC, cc =, else "cc" */
    char *cflags;           /* extra flags for `runner build` */
    int jobs;               /* parallel compiles / fan-out, 0: number of CPUs */
    double keepalive_s;     /* --keepalive, keepalive =: seconds until the server drops a
                             * vanished runner's session; 0: off; < 0 unset (the default) */
    int allow_unsafe_plugins;   /* --allow-unsafe-plugins or RUNNER_ALLOW_UNSAFE_PLUGINS=1, never a file */
    int authoring;          /* sources named (--sources or sources =) for the plugin
                             * directory in use: authoring commands build them first
                             * (config_finish() decides) */
    int dir_on_cli;         /* --dir was given (cli.c sets it) */
    int sources_on_cli;     /* --sources was given (cli.c sets it) */
};

/* Defaults only; everything NULL-or-default and owned. */
void config_init(struct config *c);
/* DATABASE_URL, when --url left url unset, and RUNNER_ALLOW_UNSAFE_PLUGINS=1:
 * call before config_read_file() so that the environment wins over the
 * file. */
int config_from_env(struct config *c, struct err *e);
/* Read an INI file into c; keys already set (from the command line) win.
 * An allow_unsafe_plugins key is refused with its line: that comes from
 * the command line or the environment only. */
int config_read_file(struct config *c, const char *path, struct err *e);
/* config_read_file() of a file that decides what runs (the -c FILE or the
 * auto-discovered ./runner.ini): refused, naming it and the override,
 * unless the file and every directory above it pass trust.h's rule; the
 * descriptor checked is the one read.  c->allow_unsafe_plugins (from the
 * command line or environment) turns the refusal into a warning. */
int config_read_trusted(struct config *c, const char *path, struct err *e);
/* Fill what is still unset from the environment and the defaults. */
int config_finish(struct config *c, struct err *e);
void config_release(struct config *c);

/* Replace *slot with a copy of value (NULL allowed). 0 or -1 on OOM. */
int config_set(char **slot, const char *value);

#endif
