/* versions.h -- the version table (Alembic's) and the one name it has.
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
 * error).  Offline (--sql) the same statements are rendered as Alembic
 * renders them, every identifier and literal through sql_quote.h.
 *
 * One name: versions_resolve() fixes the schema once per session, so that
 * every statement on the version and history tables and the migration
 * lock's key (versions_lock_name()) name the same table, whatever the
 * session's search_path finds later.  The history table (history.h)
 * lives in the same schema.  Transactions, the lock and plugins are
 * migrate.c's and mlock.c's. */
#ifndef RUNNER_VERSIONS_H
#define RUNNER_VERSIONS_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "graph.h"
#include "history.h"

struct pg;
struct pg_rows;

/* Names of the two tables, rendered.  versions_init() fills it,
 * versions_resolve() qualifies it, versions_release() frees it. */
struct versions {
    char *schema;       /* --version-schema, else the resolved one; NULL before resolve */
    int configured;     /* schema was given: versions_resolve() asks nothing */
    char *name;         /* version table name, as given (unquoted) */
    char *hname;        /* history table name, as given */
    char *table;        /* version table, rendered (quoted when needed, schema-qualified) */
    char *history;      /* history table, rendered likewise */
    char *label;        /* version table for messages: "alembic_version" or "s.alembic_version" */
    char *hlabel;       /* history table for messages */
    char *pkc;          /* primary key constraint name, rendered: alembic_version_pkc */
    char *lock_name;    /* "schema.table" unquoted; NULL before versions_resolve() */
};

#define VERSIONS_INIT { NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/* schema NULL or "": resolved later by versions_resolve(); table and
 * history_table NULL or "": alembic_version and runner_history.  A name
 * longer than 63 bytes is a usage error. */
int versions_init(struct versions *v, const char *schema, const char *table,
                  const char *history_table, struct err *e);
void versions_release(struct versions *v);

/* Once per session, right after connecting.  Without a configured schema:
 * the schema in which to_regclass() finds the unqualified version table
 * through the session's search_path, else the one a new table would be
 * created in (current_schema()); a search_path naming no existing schema
 * is an error.  Then every name in *v is rendered schema-qualified.  The
 * message labels keep the spelling the user gave. */
int versions_resolve(struct versions *v, struct pg *db, struct err *e);

/* versions_resolve() on what its query returned (versions_load.c sends
 * the same query in a script): found, the schema of the table the
 * search_path finds (NULL: none), current, current_schema() (NULL: none),
 * search_path for the message.  A configured schema ignores all three. */
int versions_resolved(struct versions *v, const char *found, const char *current,
                      const char *search_path, struct err *e);

/* "schema.table", unquoted: the text the migration lock's key is hashed
 * from.  Borrowed; NULL before versions_resolve(). */
const char *versions_lock_name(const struct versions *v);

/* Does the relation `rendered` (a quoted, maybe qualified name) exist?
 * 1, 0, or -1 with *e. */
int versions_table_exists(struct pg *db, const char *rendered, struct err *e);

/* The query of a relation's columns: (name, type, not null), in order;
 * rel: the relation's name as SQL ("$1", or a literal for a script). */
#define VERSIONS_COLUMNS_SQL(rel)                                                         \
    "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), "          \
    "a.attnotnull FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_catalog.to_regclass(" \
    rel ") AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"

/* Columns of the existing relation `rendered`: rows of (name, type, not
 * null) into *r (caller releases), by VERSIONS_COLUMNS_SQL. */
int versions_table_columns(struct pg *db, const char *rendered, struct pg_rows *r,
                           struct err *e);

/* The version table's layout is Alembic's, given its columns as
 * versions_table_columns() reads them; else the error naming it. */
int versions_check_layout(const struct versions *v, const struct pg_rows *r, struct err *e);

/* The current heads (rows of the version table) into *ids (caller frees
 * each and the array with versions_ids_free()).  A missing table means no
 * heads.  A table of another layout is an error naming it. */
int versions_read(const struct versions *v, struct pg *db, char ***ids, size_t *n,
                  struct err *e);
void versions_ids_free(char **ids, size_t n);

/* Create the version and history tables when missing; check the layout of
 * existing ones.  1 when it created the history table, 0 when both were
 * there, -1 with *e. */
int versions_ensure(const struct versions *v, struct pg *db, struct err *e);

/* Every id must name a revision of g (exactly, as Alembic): else
 * "Can't locate revision identified by '<id>'". */
int versions_check_known(const struct graph *g, char *const *ids, size_t n, struct err *e);

/* Apply one step's version-table effect (Alembic's update_to_step). */
int versions_apply(const struct versions *v, struct pg *db, const struct step *s,
                   struct err *e);

/* DELETE every row (stamp --purge). */
int versions_purge(const struct versions *v, struct pg *db, struct err *e);

/* versions_apply() and history_record() together; a plain update or a
 * base revision's insert (the usual steps) is one statement, one round
 * trip instead of two, which the caller's COMMIT may join (pg_trail): an
 * update that matches no row fails in the server, before that COMMIT. */
int versions_step_done(const struct versions *v, struct pg *db, const struct step *s,
                       const struct history_row *h, struct err *e);

/* Offline (--sql) rendering, as Alembic's offline mode writes it. */
void versions_render_create(const struct versions *v, FILE *out);
void versions_render_drop(const struct versions *v, FILE *out);
void versions_render_step(const struct versions *v, FILE *out, const struct step *s);

#endif
