/* schema.h -- the in-memory schema autogenerate compares: what models.c
 * builds from a models plugin and what introspect.c reads from the catalogs.
 *
 * Both producers fill the same normalised form, so diff.c compares plain
 * strings: types as PostgreSQL's format_type() spells them ("integer",
 * "character varying(20)", "timestamp without time zone"), server defaults
 * through schema_default_normalise(), every table schema set ("public" when
 * the model left it out).  Everything is owned by the struct schema;
 * schema_free() releases it all.  This file knows no libpq and no dlopen. */
#ifndef RUNNER_SCHEMA_H
#define RUNNER_SCHEMA_H

#include <stddef.h>

#include "err.h"

#define SCHEMA_DEFAULT "public"

struct schema_column {
    char *name;
    char *type;                 /* normalised, format_type() spelling */
    int not_null;
    int autoincrement;          /* SERIAL / identity: the sequence default is not compared */
    char identity;              /* introspected identity column: 'a' ALWAYS, 'd' BY DEFAULT, else 0 */
    char *server_default;       /* SQL as written or read; NULL: none */
    char *server_default_rendered; /* models: server_default as the server prints it
                                    * (pg_get_expr of a probe column of this type), set by
                                    * introspect_render_defaults(); NULL: not rendered */
    char *comment;              /* NULL: none */
    unsigned int default_oid;   /* introspected: the default's pg_attrdef oid, else 0 */
};

struct schema_index {
    char *name;
    char **columns;             /* column names; for an expression, the expression */
    unsigned char *is_expr;     /* per column: 1 when columns[i] is an expression */
    size_t n_columns;
    int unique;
    char *where;                /* partial index predicate, NULL: none */
    char *definition;           /* pg_get_indexdef() (introspected only), else NULL */
    unsigned int oid;           /* introspected: the index's pg_class oid, else 0 */
};

enum schema_constraint_kind {
    SCHEMA_PRIMARY_KEY = 1,     /* the values match enum runner_constraint_kind */
    SCHEMA_UNIQUE,
    SCHEMA_FOREIGN_KEY,
    SCHEMA_CHECK
};

struct schema_constraint {
    enum schema_constraint_kind kind;
    char *name;
    char **columns;             /* PK, UNIQUE, FK local columns */
    size_t n_columns;
    char *ref_schema;           /* FK */
    char *ref_table;            /* FK */
    char **ref_columns;         /* FK */
    size_t n_ref_columns;
    char *on_delete;            /* FK: NULL for NO ACTION, else upper case "CASCADE" ... */
    char *on_update;
    char *check;                /* CHECK: the condition, without CHECK ( ) */
    char *definition;           /* pg_get_constraintdef() (introspected only), else NULL */
    unsigned int oid;           /* introspected: pg_constraint oid, else 0 */
};

struct schema_table {
    char *schema;               /* never NULL */
    char *name;
    struct schema_column *columns;
    size_t n_columns;
    struct schema_index *indexes;       /* not those backing a PK or UNIQUE constraint */
    size_t n_indexes;
    struct schema_constraint *constraints;
    size_t n_constraints;
    char *comment;
    unsigned int oid;           /* introspected: pg_class oid, else 0 */
};

/* An enum type the models declare with its labels (models.c), or any enum
 * type of the read schemas (introspect.c). */
struct schema_enum {
    char *schema;               /* never NULL */
    char *name;                 /* as format_type() prints it in that schema */
    char **labels;              /* in sort order */
    size_t n_labels;
    unsigned int oid;           /* introspected: pg_type oid, else 0 */
};

struct schema {
    struct schema_table *tables;
    size_t n_tables;
    struct schema_enum *enums;
    size_t n_enums;
};

#define SCHEMA_INIT { NULL, 0, NULL, 0 }

void schema_release(struct schema *s);

/* Append a zeroed element and return it (NULL on allocation failure); the
 * new element is owned by the parent. */
struct schema_table *schema_add_table(struct schema *s);
struct schema_column *schema_add_column(struct schema_table *t);
struct schema_index *schema_add_index(struct schema_table *t);
struct schema_constraint *schema_add_constraint(struct schema_table *t);
struct schema_enum *schema_add_enum(struct schema *s);
/* Append a copy of name to a string list (*list, *n); -1 on allocation failure. */
int schema_list_add(char ***list, size_t *n, const char *name);
/* 1 when the two string lists hold the same names in the same order. */
int schema_list_equal(char *const *a, size_t na, char *const *b, size_t nb);

/* Lookups by name; borrowed results, NULL when absent. */
struct schema_table *schema_find_table(const struct schema *s, const char *schema,
                                       const char *name);
struct schema_column *schema_find_column(const struct schema_table *t, const char *name);
struct schema_index *schema_find_index(const struct schema_table *t, const char *name);
struct schema_constraint *schema_find_constraint(const struct schema_table *t,
                                                 const char *name);
struct schema_enum *schema_find_enum(const struct schema *s, const char *schema,
                                     const char *name);
/* The table's primary key constraint, NULL when it has none. */
const struct schema_constraint *schema_primary_key(const struct schema_table *t);

/* A SQL type as PostgreSQL's format_type() would print it: folds synonyms
 * (int4, int, varchar, timestamptz, bool, float8, decimal, ...), case and
 * spacing.  Sets *serial when the type was serial/bigserial/smallserial
 * (which is an integer type plus a sequence default).  Caller frees;
 * NULL on allocation failure. */
char *schema_type_normalise(const char *type, int *serial);

/* The short spelling codegen writes ("varchar(20)", "timestamp"); caller
 * frees; NULL on allocation failure. */
char *schema_type_display(const char *normalised_type);

/* A server default in a form that compares equal across PostgreSQL's
 * rendering and the model's: drops literal casts ('x'::character varying),
 * redundant parentheses and case, folds CURRENT_TIMESTAMP into now().
 * Caller frees; NULL for a NULL input or on allocation failure. */
char *schema_default_normalise(const char *expr);

/* schema_default_normalise() that keeps every cast: for two texts that
 * the server printed (pg_get_expr) for columns of one type, where a cast
 * left in is one the expression asked for (now()::date).  Caller frees;
 * NULL for a NULL input or on allocation failure. */
char *schema_default_normalise_keep_casts(const char *expr);

/* 1 when the default is the nextval() of a sequence (a serial column). */
int schema_default_is_sequence(const char *expr);

/* PostgreSQL's default constraint names: <table>_<cols>_<suffix>, with
 * suffix "pkey", "key" or "fkey", truncated as PostgreSQL truncates (63
 * bytes).  Caller frees; NULL on allocation failure. */
char *schema_default_constraint_name(const char *table, const char *const *columns,
                                     size_t n_columns, const char *suffix);

#endif
