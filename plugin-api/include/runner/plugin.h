/* runner/plugin.h -- the whole public interface of a runner revision plugin.
 *
 * A revision is a shared object compiled from one C file against this header
 * only.  It never links against the runner: the runner hands every operation
 * in through the versioned function table behind `runner_op`.
 *
 *     #include <runner/plugin.h>
 *
 *     RUNNER_REVISION(
 *         .revision      = "1975ea83b712",
 *         .down_revision = RUNNER_REVS("ae1027a6acf"),
 *         .message       = "Add users table",
 *         .create_date   = "2026-11-26 10:30:00");
 *
 *     int upgrade(runner_op *op)   { return op_execute(op, "CREATE TABLE ..."); }
 *     int downgrade(runner_op *op) { return op_execute(op, "DROP TABLE ..."); }
 *
 * Metadata is plain data: `struct runner_revision` holds no pointers, so it
 * needs no relocation and the runner reads it straight from the ELF section
 * RUNNER_SECTION of the file, without dlopen and without running any plugin
 * code.  The layout below is ABI, and grows the way the function table
 * does: new members go at the end only, `size` says which members a plugin
 * has (a plugin built before a member was added simply lacks it, and the
 * runner reads it as empty), and RUNNER_ABI_VERSION is bumped only for a
 * change an old plugin cannot survive (a member moved or retyped).
 */
#ifndef RUNNER_PLUGIN_H
#define RUNNER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUNNER_ABI_VERSION 1u
#define RUNNER_MAGIC 0x524e5252u        /* "RRNR" little-endian: a runner revision */
#define RUNNER_SECTION ".runner_rev"    /* ELF section holding the metadata */
#define RUNNER_META_SYMBOL "runner_revision_meta"

#define RUNNER_ID_SIZE 33       /* 32 characters + NUL: alembic's version_num varchar(32) */
#define RUNNER_MAX_REFS 8       /* down revisions, branch labels, depends_on: each */
#define RUNNER_MESSAGE_SIZE 512
#define RUNNER_DATE_SIZE 32
#define RUNNER_SHA256_SIZE 65   /* 64 hex digits + NUL */
#define RUNNER_LINT_ALLOW_SIZE 256  /* rule names `runner lint` lets pass, with the NUL */

/* Metadata flags. */
#define RUNNER_NO_TRANSACTION 0x1u      /* run outside a transaction (CREATE INDEX CONCURRENTLY) */

struct runner_revision {
    uint32_t magic;                     /* RUNNER_MAGIC */
    uint32_t abi_version;               /* RUNNER_ABI_VERSION the plugin was built with */
    uint32_t size;                      /* sizeof(struct runner_revision) at build time */
    uint32_t flags;                     /* RUNNER_NO_TRANSACTION, ... */
    char revision[RUNNER_ID_SIZE];
    char down_revision[RUNNER_MAX_REFS][RUNNER_ID_SIZE];   /* empty: a base revision */
    char branch_labels[RUNNER_MAX_REFS][RUNNER_ID_SIZE];
    char depends_on[RUNNER_MAX_REFS][RUNNER_ID_SIZE];
    char message[RUNNER_MESSAGE_SIZE];
    char create_date[RUNNER_DATE_SIZE];
    char source_sha256[RUNNER_SHA256_SIZE];  /* of the .c source, CRLF folded; set by the build */
    char pad_v1_[2];                    /* ABI 1's tail padding, named so that what follows
                                         * starts where ABI 1's first layout ended */
    /* ABI 1's first layout ends here (RUNNER_META_SIZE_V1 bytes). */
    char lint_allow[RUNNER_LINT_ALLOW_SIZE];  /* `runner lint` rules silenced for this
                                               * revision: names separated by spaces
                                               * or commas, "drop-column rename-table" */
};

/* The size of the metadata of a plugin built before lint_allow existed:
 * the runner accepts it and that size, nothing else. */
#define RUNNER_META_SIZE_V1 offsetof(struct runner_revision, lint_allow)

/* The build (CMake helper, `runner build`) passes -DRUNNER_SOURCE_SHA256="..."
 * so that an applied revision whose source was edited can be detected. */
#ifndef RUNNER_SOURCE_SHA256
#define RUNNER_SOURCE_SHA256 ""
#endif

/* A list of ids or labels: RUNNER_REVS("ae10", "27c6").  More than
 * RUNNER_MAX_REFS entries, or a string longer than its field, is a compile
 * error under -Werror (a warning otherwise, and the loader refuses the file). */
#define RUNNER_REVS(...) { __VA_ARGS__ }

#if defined(__GNUC__)
#define RUNNER__META_ATTR \
    __attribute__((section(RUNNER_SECTION), used, visibility("default"), aligned(8)))
#define RUNNER__EXPORT __attribute__((visibility("default")))
#else
#define RUNNER__META_ATTR
#define RUNNER__EXPORT
#endif

/* Defines the metadata object.  The arguments are designated initialisers
 * of struct runner_revision: .revision, .down_revision, .branch_labels,
 * .depends_on, .message, .create_date, .flags, .lint_allow. */
#define RUNNER_REVISION(...)                                         \
    RUNNER__META_ATTR const struct runner_revision runner_revision_meta = { \
        .magic = RUNNER_MAGIC,                                       \
        .abi_version = RUNNER_ABI_VERSION,                           \
        .size = sizeof(struct runner_revision),                      \
        .source_sha256 = RUNNER_SOURCE_SHA256,                       \
        __VA_ARGS__                                                  \
    }

/* ------------------------------------------------------------------ */
/* Operations.  Every identifier below is quoted by the runner; `type`,
 * `server_default`, `where`, `check` and `using_expr` are SQL fragments
 * rendered as written (they are code, like Alembic's sa.text()).          */

typedef struct runner_op runner_op;

/* A column for op_create_table / op_add_column.  Zero means "not set":
 * columns are nullable unless not_null, as in SQLAlchemy. */
typedef struct runner_column {
    const char *name;
    const char *type;               /* "integer", "varchar(255)", "timestamp with time zone" */
    int not_null;
    int primary_key;                /* part of the table's primary key */
    int unique;                     /* an unnamed UNIQUE on this column */
    const char *server_default;     /* SQL expression, e.g. "now()" or "'x'" */
    const char *comment;            /* COMMENT ON COLUMN, rendered as a literal */
} runner_column;

enum runner_constraint_kind {
    RUNNER_PRIMARY_KEY = 1,
    RUNNER_UNIQUE,
    RUNNER_FOREIGN_KEY,
    RUNNER_CHECK
};

/* A table-level constraint.  Lists of names are NULL-terminated. */
typedef struct runner_constraint {
    enum runner_constraint_kind kind;
    const char *name;                       /* optional for create_table */
    const char *const *columns;             /* PK, UNIQUE, FK local columns */
    const char *ref_schema;                 /* FK: referenced table's schema, optional */
    const char *ref_table;                  /* FK: referenced table */
    const char *const *ref_columns;         /* FK: referenced columns */
    const char *on_delete;                  /* FK: CASCADE, SET NULL, SET DEFAULT, RESTRICT, NO ACTION */
    const char *on_update;                  /* FK: likewise */
    const char *check;                      /* CHECK: the condition */
} runner_constraint;

typedef struct runner_table {
    const char *schema;                     /* optional */
    const char *name;
    const runner_column *columns;           /* terminated by an entry with name NULL */
    const runner_constraint *constraints;   /* terminated by kind 0; may be NULL */
    const char *comment;
} runner_table;

/* Tri-state for op_alter_column's nullability. */
enum runner_nullable { RUNNER_KEEP = 0, RUNNER_SET_NULLABLE, RUNNER_SET_NOT_NULL };

typedef struct runner_alter {
    const char *type;               /* new type, optional */
    const char *using_expr;         /* USING expression for the type change, optional */
    enum runner_nullable nullable;
    const char *server_default;     /* new default (SQL expression), optional */
    int drop_default;               /* DROP DEFAULT */
    const char *new_name;           /* RENAME COLUMN, done last */
} runner_alter;

typedef struct runner_index {
    const char *name;               /* NULL: ix_<table>_<col>[_<col>...] (alembic's op.f naming) */
    const char *schema;
    const char *table;
    const char *const *columns;     /* NULL-terminated column names, quoted */
    const char *const *expressions; /* NULL-terminated SQL expressions, raw; optional */
    int unique;
    const char *where;              /* partial index predicate, optional */
    int concurrently;               /* CREATE INDEX CONCURRENTLY: needs RUNNER_NO_TRANSACTION */
} runner_index;

/* The function table.  Append only: an old plugin finds its slots in a new
 * runner.  A new plugin may meet an old runner, whose table is shorter than
 * this header's: every op_* wrapper below checks RUNNER_API_HAS() before it
 * calls a member (SQLite's habit in sqlite3ext.h), so such a plugin fails
 * cleanly instead of jumping through whatever lies past the runner's table.
 *
 * The rule, for whoever adds a member:
 *   1. add it at the end, after the last member, never elsewhere;
 *   2. give it an op_* wrapper that starts with
 *          if (!RUNNER_API_HAS(op, member))
 *              return runner__missing(op, "op_member");
 *      (a NULL pointer, a value or nothing for a void member, as below);
 *   3. leave RUNNER_ABI_VERSION alone: a longer table is compatible, and
 *      `size` tells both sides which members exist.  Bump it only for a
 *      change an old plugin cannot survive (a member moved or retyped).
 * Every member today was there in ABI 1; the checks cost a compare each. */
struct runner_op_api {
    uint32_t abi_version;           /* RUNNER_ABI_VERSION of the runner that filled it */
    uint32_t size;                  /* sizeof(struct runner_op_api) in that runner */
    int (*execute)(runner_op *op, const char *sql);
    int (*execute_params)(runner_op *op, const char *sql, int n_params,
                          const char *const *params);
    int (*is_offline)(const runner_op *op);
    void *(*pgconn)(runner_op *op);
    int (*create_table)(runner_op *op, const runner_table *t);
    int (*drop_table)(runner_op *op, const char *schema, const char *table);
    int (*rename_table)(runner_op *op, const char *schema, const char *table,
                        const char *new_name);
    int (*add_column)(runner_op *op, const char *schema, const char *table,
                      const runner_column *c);
    int (*drop_column)(runner_op *op, const char *schema, const char *table,
                       const char *column);
    int (*alter_column)(runner_op *op, const char *schema, const char *table,
                        const char *column, const runner_alter *a);
    int (*create_index)(runner_op *op, const runner_index *ix);
    int (*drop_index)(runner_op *op, const char *schema, const char *name);
    int (*create_constraint)(runner_op *op, const char *schema, const char *table,
                             const runner_constraint *c);
    int (*drop_constraint)(runner_op *op, const char *schema, const char *table,
                           const char *name);
    int (*bulk_insert)(runner_op *op, const char *schema, const char *table,
                       const char *const *columns, const char *const *values,
                       size_t n_rows);
    void (*log)(runner_op *op, const char *message);
    /* new members go here, and only here */
};

/* A plugin sees only this head of the runner's op state. */
struct runner_op {
    const struct runner_op_api *api;
};

/* Whether the runner behind op provides `member` of struct runner_op_api:
 * its table (`size` bytes long) reaches to the member's end, and the slot
 * is filled.  False for a NULL op or table. */
#define RUNNER_API_HAS(op, member)                                          \
    ((op) != NULL && (op)->api != NULL &&                                   \
     (size_t)(op)->api->size >= offsetof(struct runner_op_api, member) +   \
                                    sizeof((op)->api->member) &&           \
     (op)->api->member != NULL)

/* The clean failure of a wrapper whose member the runner lacks: a line in
 * the runner's log when it has op_log (so the run's error follows it,
 * "upgrade returned -1"), and -1.  Not for plugins to call. */
static inline int runner__missing(const runner_op *op, const char *wrapper)
{
    static const char why[] =
        ": not provided by this runner (the plugin was built against a newer runner/plugin.h)";
    char line[128];
    size_t n = 0;

    if (!RUNNER_API_HAS(op, log))
        return -1;
    while (wrapper[n] && n < sizeof(line) - sizeof(why))
        n++;
    for (size_t i = 0; i < n; i++)
        line[i] = wrapper[i];
    for (size_t i = 0; i < sizeof(why); i++)
        line[n + i] = why[i];
    op->api->log((runner_op *)op, line);
    return -1;
}

/* Exported by every revision. */
RUNNER__EXPORT int upgrade(runner_op *op);
RUNNER__EXPORT int downgrade(runner_op *op);

/* Raw SQL: a script of several ;-separated statements runs as psql would
 * send it.  Note: PostgreSQL runs a multi-statement string as one implicit
 * transaction, so CREATE INDEX CONCURRENTLY must be sent on its own call. */
static inline int op_execute(runner_op *op, const char *sql)
{
    if (!RUNNER_API_HAS(op, execute))
        return runner__missing(op, "op_execute");
    return op->api->execute(op, sql);
}

/* One statement with $1..$n text parameters (NULL entry: SQL NULL).
 * Offline it is written as PREPARE / EXECUTE with literals / DEALLOCATE. */
static inline int op_execute_params(runner_op *op, const char *sql, int n_params,
                                    const char *const *params)
{
    if (!RUNNER_API_HAS(op, execute_params))
        return runner__missing(op, "op_execute_params");
    return op->api->execute_params(op, sql, n_params, params);
}

/* 1 while SQL is being rendered (--sql), not run; -1 from a runner that
 * lacks it (never an ABI 1 runner). */
static inline int op_is_offline(const runner_op *op)
{
    if (!RUNNER_API_HAS(op, is_offline))
        return runner__missing(op, "op_is_offline");
    return op->api->is_offline(op);
}

/* The live PGconn * for data migrations; NULL when offline (or from a
 * runner that lacks it). */
static inline void *op_pgconn(runner_op *op)
{
    if (!RUNNER_API_HAS(op, pgconn)) {
        runner__missing(op, "op_pgconn");
        return NULL;
    }
    return op->api->pgconn(op);
}

static inline int op_create_table(runner_op *op, const runner_table *t)
{
    if (!RUNNER_API_HAS(op, create_table))
        return runner__missing(op, "op_create_table");
    return op->api->create_table(op, t);
}

static inline int op_drop_table(runner_op *op, const char *schema, const char *table)
{
    if (!RUNNER_API_HAS(op, drop_table))
        return runner__missing(op, "op_drop_table");
    return op->api->drop_table(op, schema, table);
}

static inline int op_rename_table(runner_op *op, const char *schema, const char *table,
                                  const char *new_name)
{
    if (!RUNNER_API_HAS(op, rename_table))
        return runner__missing(op, "op_rename_table");
    return op->api->rename_table(op, schema, table, new_name);
}

static inline int op_add_column(runner_op *op, const char *schema, const char *table,
                                const runner_column *c)
{
    if (!RUNNER_API_HAS(op, add_column))
        return runner__missing(op, "op_add_column");
    return op->api->add_column(op, schema, table, c);
}

static inline int op_drop_column(runner_op *op, const char *schema, const char *table,
                                 const char *column)
{
    if (!RUNNER_API_HAS(op, drop_column))
        return runner__missing(op, "op_drop_column");
    return op->api->drop_column(op, schema, table, column);
}

static inline int op_alter_column(runner_op *op, const char *schema, const char *table,
                                  const char *column, const runner_alter *a)
{
    if (!RUNNER_API_HAS(op, alter_column))
        return runner__missing(op, "op_alter_column");
    return op->api->alter_column(op, schema, table, column, a);
}

static inline int op_create_index(runner_op *op, const runner_index *ix)
{
    if (!RUNNER_API_HAS(op, create_index))
        return runner__missing(op, "op_create_index");
    return op->api->create_index(op, ix);
}

static inline int op_drop_index(runner_op *op, const char *schema, const char *name)
{
    if (!RUNNER_API_HAS(op, drop_index))
        return runner__missing(op, "op_drop_index");
    return op->api->drop_index(op, schema, name);
}

/* Unique, check, foreign-key (or primary-key) constraint on an existing table. */
static inline int op_create_constraint(runner_op *op, const char *schema, const char *table,
                                       const runner_constraint *c)
{
    if (!RUNNER_API_HAS(op, create_constraint))
        return runner__missing(op, "op_create_constraint");
    return op->api->create_constraint(op, schema, table, c);
}

static inline int op_drop_constraint(runner_op *op, const char *schema, const char *table,
                                     const char *name)
{
    if (!RUNNER_API_HAS(op, drop_constraint))
        return runner__missing(op, "op_drop_constraint");
    return op->api->drop_constraint(op, schema, table, name);
}

/* n_rows rows of the NULL-terminated `columns`, values row-major as text
 * (a NULL value is SQL NULL); sent as parameters, never spliced into SQL
 * (offline, --sql: one INSERT per row with the values as escaped literals). */
static inline int op_bulk_insert(runner_op *op, const char *schema, const char *table,
                                 const char *const *columns, const char *const *values,
                                 size_t n_rows)
{
    if (!RUNNER_API_HAS(op, bulk_insert))
        return runner__missing(op, "op_bulk_insert");
    return op->api->bulk_insert(op, schema, table, columns, values, n_rows);
}

/* A line in the runner's log, prefixed with the revision (dropped by a
 * runner that lacks it). */
static inline void op_log(runner_op *op, const char *message)
{
    if (!RUNNER_API_HAS(op, log))
        return;
    op->api->log(op, message);
}

/* Convenience for NULL-terminated lists and column arrays. */
#define RUNNER_NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define RUNNER_COLUMNS(...) ((const runner_column[]){ __VA_ARGS__, { 0 } })
#define RUNNER_CONSTRAINTS(...) ((const runner_constraint[]){ __VA_ARGS__, { 0 } })

/* Optional, for `runner test` only: a revision may export test_data(),
 * which inserts rows before its upgrade runs, and test_verify(), which
 * checks them after the upgrade and again after downgrade + upgrade
 * (return 0 when they are right; an op error or non-zero fails the
 * check).  Each runs in a transaction of its own.  The runner finds them
 * with dlsym() when present; neither is needed, and neither runs outside
 * `runner test`. */
RUNNER__EXPORT int test_data(runner_op *op);
RUNNER__EXPORT int test_verify(runner_op *op);

#ifdef __cplusplus
}
#endif
#endif /* RUNNER_PLUGIN_H */
