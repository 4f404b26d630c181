/* introspect.h -- the live database's schema, read from pg_catalog.
 *
 * introspect.c queries pg_class, pg_attribute (format_type), pg_attrdef
 * (pg_get_expr), pg_index (pg_get_indexdef, pg_get_expr of the predicate)
 * and pg_constraint for the given schemas and fills the same normalised
 * struct schema that models.c builds (schema.h).  Indexes that back a
 * primary key or unique constraint appear only as the constraint.  It runs
 * plain SELECTs over pg.c and changes nothing.  snapshot.c reads through
 * it too, every user schema at once or only the tables that changed. */
#ifndef RUNNER_INTROSPECT_H
#define RUNNER_INTROSPECT_H

#include <stddef.h>

#include "err.h"
#include "schema.h"

struct pg;

struct introspect_opts {
    const char *const *schemas;     /* schemas to read; NULL or empty: { "public" } */
    size_t n_schemas;
    const char *const *exclude;     /* table names left out (version and history tables) */
    size_t n_exclude;
    int prepared;                   /* plan each read once per session (pg_prepared.h):
                                     * for callers that read the schema again and again;
                                     * 2: an earlier call on this session prepared them */
    int user_schemas;               /* every schema but pg_* and information_schema
                                     * (`schemas` is then ignored) */
    const char *only_oids;          /* with user_schemas: an oid[] literal ("{16384,16390}"):
                                     * only the tables and enum types with these oids */
};

/* Read the schema into *out (SCHEMA_INIT first; the caller releases it
 * with schema_release()).  -1 with *e filled when a query fails. */
int introspect_schema(struct pg *db, const struct introspect_opts *o, struct schema *out,
                      struct err *e);

/* Issue 13.7, Alembic's compare_server_default: every column of `model`
 * that has a server default, where `db` has that column with a default
 * too, gets server_default_rendered: its default as this server prints it
 * (pg_get_expr) for a column of the model's type, from temporary tables
 * created in a transaction that is rolled back.  A default the server
 * cannot take (a type or label the revision creates) stays unrendered and
 * diff.c falls back to comparing normalised texts.  Changes nothing;
 * -1 only when out of memory. */
int introspect_render_defaults(struct pg *db, struct schema *model, const struct schema *have,
                               struct err *e);

/* {"a","b"} with " and \ escaped: a text[] literal of names (NULL
 * entries are ""); caller frees, NULL on allocation failure. */
char *introspect_text_array(const char *const *names, size_t n);

/* sql with every `token` ("$1", ":excluded"; not when a digit follows)
 * replaced by the quoted literal of value, so that a read whose
 * parameter never changes is prepared once per session (caller frees;
 * NULL on allocation failure). */
char *introspect_inline(const char *sql, const char *token, const char *value);

#endif
