/* versions.h -- the version table (Alembic's) and the history table.
 *
 * The version table is exactly Alembic's, so a database migrated by
 * Alembic 1.8 with the same ids is taken over as is:
 *
 *     CREATE TABLE [schema.]alembic_version (
 *         version_num VARCHAR(32) NOT NULL,
 *         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))
 *
 * with one row per current head, changed per step as Alembic's
 * HeadMaintainer.update_to_step() does (insert, update, delete, merge,
 * unmerge; an update or delete that does not hit exactly one row is an
 * error).  Beside it, the history table (runner_history) gets one row per
 * executed step.  Offline (--sql) the same statements are rendered as
 * Alembic renders them.  Transactions and plugins are migrate.c's. */
#ifndef RUNNER_VERSIONS_H
#define RUNNER_VERSIONS_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "graph.h"

struct pg;
struct ctx;

/* Names of the two tables, rendered once.  versions_init() fills it from
 * the config; versions_release() frees it. */
struct versions {
    char *table;        /* version table, rendered (quoted when needed, schema-qualified) */
    char *history;      /* history table, rendered likewise */
    char *label;        /* version table for messages: "alembic_version" or "s.alembic_version" */
    char *hlabel;       /* history table for messages */
    char *pkc;          /* primary key constraint name, rendered: alembic_version_pkc */
    char *raw[3];       /* provisional: table, history, schema as given (schema NULL) */
    char *lock_name;    /* provisional: "schema.table", set by versions_resolve() */
};

#define VERSIONS_INIT { NULL, NULL, NULL, NULL, NULL, { NULL, NULL, NULL }, NULL }

int versions_init(struct versions *v, const struct config *cfg, struct err *e);
void versions_release(struct versions *v);

/* Once per session, right after connecting: unless a schema was
 * configured, the schema of the version table (the one to_regclass finds
 * for the unqualified name through search_path, else current_schema(),
 * where it would be created), and every table name in v re-rendered
 * schema-qualified, so that every later statement uses that one name. */
int versions_resolve(struct versions *v, struct pg *db, struct err *e);

/* "schema.table" of the version table after versions_resolve() (the
 * migration lock's key is hashed from it); NULL before. */
const char *versions_lock_name(const struct versions *v);

/* Identifier as SQLAlchemy renders it: bare when a lowercase legal
 * non-reserved name, else double-quoted with '"' doubled.  Caller frees. */
char *versions_quote(const char *name);

/* The current heads (rows of the version table) into *ids (caller frees
 * each and the array with versions_ids_free()).  A missing table means no
 * heads.  A table of another layout is an error naming it. */
int versions_read(const struct versions *v, struct pg *db, char ***ids, size_t *n,
                  struct err *e);
void versions_ids_free(char **ids, size_t n);

/* Create the version and history tables when missing; check the layout of
 * existing ones. */
int versions_ensure(const struct versions *v, struct pg *db, struct err *e);

/* Every id must name a revision of g (exactly, as Alembic): else
 * "Can't locate revision identified by '<id>'". */
int versions_check_known(const struct graph *g, char *const *ids, size_t n, struct err *e);

/* Apply one step's version-table effect (Alembic's update_to_step). */
int versions_apply(const struct versions *v, struct pg *db, const struct step *s,
                   struct err *e);

/* DELETE every row (stamp --purge). */
int versions_purge(const struct versions *v, struct pg *db, struct err *e);

/* One row of the history table. */
struct history_row {
    const char *revision;
    const char *direction;      /* "upgrade", "downgrade", "stamp" */
    const char *checksum;       /* the plugin's source_sha256; "" or NULL: none */
    double started_at;          /* seconds since the epoch */
    long long duration_ms;
    int success;
};

int versions_record(const struct versions *v, struct pg *db, const struct history_row *h,
                    struct err *e);

/* versions_apply() and versions_record() together; a plain update (the
 * usual step) takes one round trip instead of two. */
int versions_step_done(const struct versions *v, struct pg *db, const struct step *s,
                       const struct history_row *h, struct err *e);

/* A run's marker: a history row with direction 'run' and duration_ms -1,
 * committed before the first step and finished (duration, success) after
 * the last.  A process that is killed or crashes mid-run leaves it
 * unfinished, which is how the next run knows to say so.  Call with the
 * migration lock held and outside any transaction.
 *
 * versions_run_start() first reports every unfinished marker (a previous
 * run that died) as a warning on `log` and closes it, then writes ours;
 * *id is 0 when the history table does not exist yet (nothing to mark). */
int versions_run_start(const struct versions *v, struct pg *db, const char *revision,
                       FILE *log, long long *id, struct err *e);
int versions_run_finish(const struct versions *v, struct pg *db, long long id,
                        double started_at, int success, struct err *e);

/* Offline (--sql) rendering, as Alembic's offline mode writes it. */
void versions_render_create(const struct versions *v, FILE *out);
void versions_render_drop(const struct versions *v, FILE *out);
void versions_render_step(const struct versions *v, FILE *out, const struct step *s);

/* For commands that only read: connect with ctx's url, read the heads,
 * disconnect.  A missing version table means no heads.  Caller frees with
 * versions_ids_free(). */
int versions_read_current(struct ctx *ctx, char ***ids, size_t *n, struct err *e);

/* `history --applied`: print the history table, oldest first, one line
 * per step to out ("no history table" note when it does not exist). */
int versions_print_history(struct ctx *ctx, FILE *out, struct err *e);

#endif
