/* runner/model.h -- the whole public interface of a runner models plugin.
 *
 * A project declares its target schema in C, the way SQLAlchemy models do,
 * and builds it into one shared object (models.so) compiled against
 * plugin-api/include only.  `runner revision --autogenerate` and
 * `runner check` dlopen it, read the exported RUNNER_MODELS_SYMBOL, compare
 * the declared schema with the live database and write the difference as
 * op_* calls.  Unlike revision metadata the models registry is read through
 * dlopen, so it may (and does) hold pointers.
 *
 * One file per model (models/user.c):
 *
 *     #include <runner/model.h>
 *
 *     RUNNER_MODEL(user,
 *         .table = "users",
 *         .columns = RUNNER_MODEL_COLUMNS(
 *             { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
 *             { .name = "email", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },
 *             { .name = "name", .type = RUNNER_T_STRING },
 *             { .name = "created_at", .type = RUNNER_T_DATETIME, .server_default = "now()" }));
 *
 * and one registry (models/models.c, the guide's __init__.py step):
 *
 *     #include <runner/model.h>
 *
 *     RUNNER_MODEL_DECLARE(user);
 *     RUNNER_MODELS(RUNNER_MODEL_REF(user));
 *
 * Semantics follow SQLAlchemy + Alembic on PostgreSQL:
 *   - columns are nullable unless .not_null or .primary_key;
 *   - names follow SQLAlchemy's default naming convention, which names
 *     only indexes, "ix_%(column_0_label)s": an unnamed index, whether
 *     .index = 1 on a column or an unnamed RUNNER_MODEL_INDEXES entry over
 *     several columns, is ix_<table>_<first column> (ix_<schema>_<table>_
 *     <first column> in another schema), so a database that SQLAlchemy's
 *     metadata.create_all() built compares clean.  Two unnamed indexes
 *     starting with the same column therefore collide, as in SQLAlchemy:
 *     name one of them.  A name longer than 63 bytes is cut to 55 bytes,
 *     '_' and four hex digits of its md5, as SQLAlchemy cuts it;
 *   - .index = 1 with .unique = 1 gives a UNIQUE index (then no separate
 *     unique constraint), as Column(index=True, unique=True) does;
 *   - the constraints SQLAlchemy leaves unnamed are named by PostgreSQL:
 *     .unique = 1 alone gives <table>_<column>_key, the primary key is
 *     <table>_pkey, a foreign key <table>_<columns>_fkey, and an unnamed
 *     check constraint <table>_<column>_check when its condition names
 *     exactly one column of the table, else <table>_check (PostgreSQL's
 *     rule; a second unnamed check of the same name gets 1, 2, ... as
 *     PostgreSQL numbers it).  .foreign_key_name names a column-level
 *     foreign key;
 *   - RUNNER_MODELS_WITH_NAMING(RUNNER_NAMING(...), ...) sets a naming
 *     convention for all the models, as MetaData(naming_convention=...)
 *     does: one template per kind (.ix, .uq, .ck, .fk, .pk) with
 *     SQLAlchemy's tokens %(table_name)s, %(column_0_name)s,
 *     %(column_0_label)s, %(column_0N_name)s, %(column_0_N_name)s,
 *     %(column_0N_label)s, %(column_0_N_label)s, %(referred_table_name)s,
 *     %(referred_column_0_name)s, %(referred_column_0N_name)s,
 *     %(referred_column_0_N_name)s and %(constraint_name)s.  A template
 *     with %(constraint_name)s applies to named declarations too (their
 *     name fills the token) and needs one; a declared name is otherwise
 *     kept as written.  .ck templates take %(table_name)s and
 *     %(constraint_name)s only (runner does not parse the condition);
 *   - a lone integer primary-key column without a server default is
 *     autoincrementing (SERIAL), unless .autoincrement = RUNNER_AUTOINCREMENT_NO;
 *   - RUNNER_MODELS() with no models is an empty model set: autogenerate
 *     then proposes to drop every table of the public schema, as Alembic
 *     does for an empty MetaData().
 *
 * Out of scope, as they are not part of the schema: Python-side client
 * defaults (Column(default=...), onupdate=...) and anything computed in
 * the application; use .server_default for a default the database holds.
 * A check constraint's condition is not compared (only its name), and
 * the labels of an enum type can be added (ALTER TYPE ... ADD VALUE) but
 * not removed, renamed or reordered by autogenerate.
 *
 * The layout below is ABI: append only, and bump RUNNER_MODELS_ABI_VERSION
 * on any change. */
#ifndef RUNNER_MODEL_H
#define RUNNER_MODEL_H

#include <stdint.h>

#include "plugin.h"     /* runner_constraint, RUNNER_NAMES, RUNNER_CONSTRAINTS */

#ifdef __cplusplus
extern "C" {
#endif

#define RUNNER_MODELS_ABI_VERSION 3u      /* 2: runner_type.values (enum labels);
                                             3: .foreign_key_name, naming conventions */
#define RUNNER_MODELS_MAGIC 0x4c444d52u     /* "RMDL" little-endian: a models registry */
#define RUNNER_MODELS_SYMBOL "runner_models"

/* SQLAlchemy's generic types, as PostgreSQL spells them. */
enum runner_type_kind {
    RUNNER_TYPE_NONE = 0,       /* not set: an error */
    RUNNER_TYPE_INTEGER,        /* integer */
    RUNNER_TYPE_BIGINTEGER,     /* bigint */
    RUNNER_TYPE_SMALLINTEGER,   /* smallint */
    RUNNER_TYPE_STRING,         /* varchar, varchar(length) */
    RUNNER_TYPE_TEXT,           /* text */
    RUNNER_TYPE_BOOLEAN,        /* boolean */
    RUNNER_TYPE_DATETIME,       /* timestamp [with time zone] */
    RUNNER_TYPE_DATE,           /* date */
    RUNNER_TYPE_TIME,           /* time [with time zone] */
    RUNNER_TYPE_NUMERIC,        /* numeric, numeric(precision, scale) */
    RUNNER_TYPE_FLOAT,          /* double precision */
    RUNNER_TYPE_LARGEBINARY,    /* bytea */
    RUNNER_TYPE_JSON,           /* json */
    RUNNER_TYPE_JSONB,          /* jsonb */
    RUNNER_TYPE_UUID,           /* uuid */
    RUNNER_TYPE_ENUM,           /* an enum type: created from .values, or an existing one */
    RUNNER_TYPE_ARRAY,          /* item[] */
    RUNNER_TYPE_RAW,            /* a PostgreSQL type as written in .name */
    RUNNER_TYPE_MAX__           /* not a type; the first unknown value */
};

typedef struct runner_type {
    enum runner_type_kind kind;
    int length;                         /* STRING: 0 for no length; NUMERIC: precision (0: none) */
    int scale;                          /* NUMERIC */
    int timezone;                       /* DATETIME, TIME: with time zone */
    const char *name;                   /* ENUM: the type's name ("mood", "sales.mood");
                                           RAW: the SQL type */
    const struct runner_type *item;     /* ARRAY: the element type */
    const char *const *values;          /* ENUM: its labels, NULL-terminated; NULL: a type
                                           the models do not manage (it must exist) */
} runner_type;

#define RUNNER_T_INTEGER        { .kind = RUNNER_TYPE_INTEGER }
#define RUNNER_T_BIGINTEGER     { .kind = RUNNER_TYPE_BIGINTEGER }
#define RUNNER_T_SMALLINTEGER   { .kind = RUNNER_TYPE_SMALLINTEGER }
#define RUNNER_T_STRING         { .kind = RUNNER_TYPE_STRING }
#define RUNNER_T_VARCHAR(n)     { .kind = RUNNER_TYPE_STRING, .length = (n) }
#define RUNNER_T_TEXT           { .kind = RUNNER_TYPE_TEXT }
#define RUNNER_T_BOOLEAN        { .kind = RUNNER_TYPE_BOOLEAN }
#define RUNNER_T_DATETIME       { .kind = RUNNER_TYPE_DATETIME }
#define RUNNER_T_DATETIME_TZ    { .kind = RUNNER_TYPE_DATETIME, .timezone = 1 }
#define RUNNER_T_DATE           { .kind = RUNNER_TYPE_DATE }
#define RUNNER_T_TIME           { .kind = RUNNER_TYPE_TIME }
#define RUNNER_T_TIME_TZ        { .kind = RUNNER_TYPE_TIME, .timezone = 1 }
#define RUNNER_T_NUMERIC(p, s)  { .kind = RUNNER_TYPE_NUMERIC, .length = (p), .scale = (s) }
#define RUNNER_T_FLOAT          { .kind = RUNNER_TYPE_FLOAT }
#define RUNNER_T_LARGEBINARY    { .kind = RUNNER_TYPE_LARGEBINARY }
#define RUNNER_T_JSON           { .kind = RUNNER_TYPE_JSON }
#define RUNNER_T_JSONB          { .kind = RUNNER_TYPE_JSONB }
#define RUNNER_T_UUID           { .kind = RUNNER_TYPE_UUID }
/* RUNNER_T_ENUM("mood", "happy", "sad"): autogenerate creates the type
 * (CREATE TYPE mood AS ENUM ...) before the first table that uses it, as
 * SQLAlchemy's Enum does.  RUNNER_T_ENUM_TYPE("mood"): an enum type made
 * elsewhere, used by name only. */
#define RUNNER_T_ENUM(type_name, ...) \
    { .kind = RUNNER_TYPE_ENUM, .name = (type_name), \
      .values = (const char *const[]){ __VA_ARGS__, NULL } }
#define RUNNER_T_ENUM_TYPE(type_name) { .kind = RUNNER_TYPE_ENUM, .name = (type_name) }
/* RUNNER_T_ARRAY(RUNNER_T_INTEGER), RUNNER_T_ARRAY(RUNNER_T_VARCHAR(20)) */
#define RUNNER_T_ARRAY(...)     { .kind = RUNNER_TYPE_ARRAY, .item = &(const runner_type)__VA_ARGS__ }
#define RUNNER_T_RAW(sql_type)  { .kind = RUNNER_TYPE_RAW, .name = (sql_type) }

/* .autoincrement: SQLAlchemy's autoincrement="auto" / False / True. */
enum runner_autoincrement {
    RUNNER_AUTOINCREMENT_AUTO = 0,      /* SERIAL for a lone integer primary key */
    RUNNER_AUTOINCREMENT_NO,
    RUNNER_AUTOINCREMENT_YES            /* SERIAL for any integer column */
};

typedef struct runner_model_column {
    const char *name;
    runner_type type;
    int not_null;                       /* NOT NULL (implied by primary_key) */
    int primary_key;                    /* part of the table's primary key, <table>_pkey */
    int unique;                         /* UNIQUE constraint, or a unique index with .index */
    int index;                          /* index ix_<table>_<column> */
    enum runner_autoincrement autoincrement;
    const char *server_default;         /* SQL expression: "now()", "'x'", "0" */
    const char *foreign_key;            /* "table.column" or "schema.table.column", optional */
    const char *on_delete;              /* for .foreign_key: CASCADE, SET NULL, ... */
    const char *on_update;
    const char *comment;
    const char *foreign_key_name;       /* .foreign_key's constraint name; NULL: the convention */
} runner_model_column;

/* A composite (or partial, or named) index. */
typedef struct runner_model_index {
    const char *name;                   /* NULL: the .ix convention, ix_<table>_<first col> */
    const char *const *columns;         /* RUNNER_NAMES("a", "b") */
    int unique;
    const char *where;                  /* partial index predicate, optional */
} runner_model_index;

typedef struct runner_model {
    const char *model;                  /* the C-side name, for messages (set by RUNNER_MODEL) */
    const char *schema;                 /* NULL: the default schema (public) */
    const char *table;
    const runner_model_column *columns; /* RUNNER_MODEL_COLUMNS(...) */
    const runner_model_index *indexes;  /* RUNNER_MODEL_INDEXES(...), optional */
    const runner_constraint *constraints; /* RUNNER_CONSTRAINTS(...), optional */
    const char *comment;
} runner_model;

/* A naming convention, SQLAlchemy's MetaData(naming_convention=...): a
 * template per kind, NULL for the default (.ix "ix_%(column_0_label)s",
 * the others PostgreSQL's own names).  The tokens are listed above. */
typedef struct runner_naming_convention {
    const char *ix;                     /* indexes */
    const char *uq;                     /* unique constraints */
    const char *ck;                     /* check constraints */
    const char *fk;                     /* foreign keys */
    const char *pk;                     /* primary keys */
} runner_naming_convention;

/* The registry a models plugin exports under RUNNER_MODELS_SYMBOL. */
struct runner_models {
    uint32_t magic;                     /* RUNNER_MODELS_MAGIC */
    uint32_t abi_version;               /* RUNNER_MODELS_ABI_VERSION at build time */
    uint32_t size;                      /* sizeof(struct runner_models) at build time */
    const runner_model *const *models;  /* NULL-terminated */
    const runner_naming_convention *naming; /* NULL: SQLAlchemy's default convention */
};

#define RUNNER_MODEL_COLUMNS(...) ((const runner_model_column[]){ __VA_ARGS__, { 0 } })
#define RUNNER_MODEL_INDEXES(...) ((const runner_model_index[]){ __VA_ARGS__, { 0 } })

/* RUNNER_MODEL(user, .table = "users", ...) defines runner_model_user. */
#define RUNNER_MODEL(id, ...) \
    const runner_model runner_model_##id = { .model = #id, __VA_ARGS__ }
#define RUNNER_MODEL_DECLARE(id) extern const runner_model runner_model_##id
#define RUNNER_MODEL_REF(id) (&runner_model_##id)

/* RUNNER_MODELS(RUNNER_MODEL_REF(user), RUNNER_MODEL_REF(post)), or
 * RUNNER_MODELS() for none.  The list is built as { NULL, models..., NULL }
 * and .models points past the leading NULL: a plain { models..., NULL }
 * would not compile with an empty list in C11. */
#define RUNNER_MODELS(...) RUNNER_MODELS_WITH_NAMING(NULL, __VA_ARGS__)

/* RUNNER_MODELS_WITH_NAMING(RUNNER_NAMING(.uq = "uq_%(table_name)s_%(column_0_name)s"),
 *                           RUNNER_MODEL_REF(user)) */
#define RUNNER_MODELS_WITH_NAMING(naming_convention, ...)                       \
    RUNNER__EXPORT const struct runner_models runner_models = {                 \
        .magic = RUNNER_MODELS_MAGIC,                                            \
        .abi_version = RUNNER_MODELS_ABI_VERSION,                                \
        .size = sizeof(struct runner_models),                                    \
        .models = &((const runner_model *const[RUNNER__N_MODELS(__VA_ARGS__) + 2]){ \
            NULL, __VA_ARGS__ })[1],                                             \
        .naming = (naming_convention)                                            \
    }
#define RUNNER_NAMING(...) (&(const runner_naming_convention){ __VA_ARGS__ })
#define RUNNER__N_MODELS(...) \
    (sizeof((const runner_model *const[]){ NULL, __VA_ARGS__ }) / sizeof(const runner_model *) - 1)

#ifdef __cplusplus
}
#endif
#endif /* RUNNER_MODEL_H */
