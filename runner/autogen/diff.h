/* diff.h -- what differs between the models' schema and the database's,
 * as an ordered list of operations that can be applied in order (upgrade)
 * and inverted in reverse order (downgrade).
 *
 * Pure code on two struct schema (schema.h): no libpq, no dlopen, no
 * output.  Enum types come first: new ones, then labels added to existing
 * ones (each placed BEFORE or AFTER a label it keeps its model order
 * with); labels removed, renamed or reordered are reported as
 * DIFF_ENUM_CHANGED, which nothing can apply safely.  The order keeps foreign keys valid: foreign keys that go are
 * dropped first, then removed tables (referencing tables before the tables
 * they reference), then the changes inside kept tables, then added tables
 * (referenced tables first), then the foreign keys that are new on kept
 * tables.  A cycle of foreign keys among added (or removed) tables is
 * broken by creating those keys after all the tables (dropping them before).
 * Rendering the operations is codegen.c's job. */
#ifndef RUNNER_DIFF_H
#define RUNNER_DIFF_H

#include <stddef.h>

#include "err.h"
#include "schema.h"

enum diff_kind {
    DIFF_ADD_TABLE = 1,
    DIFF_DROP_TABLE,
    DIFF_ADD_COLUMN,
    DIFF_DROP_COLUMN,
    DIFF_ALTER_COLUMN,
    DIFF_ADD_INDEX,
    DIFF_DROP_INDEX,
    DIFF_ADD_CONSTRAINT,
    DIFF_DROP_CONSTRAINT,
    DIFF_ADD_ENUM,              /* CREATE TYPE ... AS ENUM, before everything else */
    DIFF_DROP_ENUM,             /* only as the inverse of ADD_ENUM */
    DIFF_TABLE_COMMENT,         /* COMMENT ON TABLE */
    DIFF_ADD_ENUM_VALUE,        /* ALTER TYPE ... ADD VALUE ... BEFORE/AFTER, with ADD_ENUM */
    DIFF_DROP_ENUM_VALUE,       /* only as the inverse of ADD_ENUM_VALUE: PostgreSQL cannot
                                   drop a label, so it is a comment for the reader */
    DIFF_ENUM_CHANGED,          /* labels removed, renamed or reordered: not generated, a
                                   "please adjust" comment both ways */
};

/* What an ALTER_COLUMN changes. */
#define DIFF_ALTER_TYPE     (1u << 0)
#define DIFF_ALTER_NULLABLE (1u << 1)
#define DIFF_ALTER_DEFAULT  (1u << 2)
#define DIFF_ALTER_COMMENT  (1u << 3)

/* One operation.  Every pointer is borrowed from one of the two schemas
 * given to diff_schemas(), which must outlive the diff. */
struct diff_op {
    enum diff_kind kind;
    const struct schema_table *table;   /* the table created, dropped or changed */
    const struct schema_column *column; /* ADD/DROP_COLUMN; ALTER: the wanted column */
    const struct schema_column *from;   /* ALTER: the column as it is */
    unsigned alter;                     /* ALTER: DIFF_ALTER_* */
    const struct schema_index *index;   /* ADD/DROP_INDEX */
    const struct schema_constraint *constraint; /* ADD/DROP_CONSTRAINT */
    const struct schema_enum *enum_type;        /* ADD/DROP_ENUM */
    const struct schema_table *from_table;      /* TABLE_COMMENT: the table as it is */
    const struct schema_enum *from_enum;        /* ENUM_CHANGED: the type as it is */
    const char *enum_label;             /* ADD/DROP_ENUM_VALUE: the label */
    const char *enum_anchor;            /* ADD_ENUM_VALUE: the label it goes next to, NULL:
                                           at the end */
    int enum_before;                    /* ADD_ENUM_VALUE: BEFORE enum_anchor, else AFTER */
    int separate_fks;                   /* ADD/DROP_TABLE: its foreign keys are ops of their own */
    int with_table;                     /* ADD/DROP_CONSTRAINT: a key of a table created or
                                           dropped by this diff (not reported on its own) */
};

struct diff {
    struct diff_op *ops;    /* owned array; the pointees are the schemas' */
    size_t n_ops;
};

#define DIFF_INIT { NULL, 0 }

/* Compute the operations that turn `db` into `model`.  *out must be
 * DIFF_INIT; release it with diff_release().  -1 only when out of memory. */
int diff_schemas(const struct schema *model, const struct schema *db, struct diff *out,
                 struct err *e);

void diff_release(struct diff *d);

/* The operation that undoes op: ADD <-> DROP, ALTER from <-> to. */
struct diff_op diff_inverse(const struct diff_op *op);

/* Alembic's log lines for op ("Detected added table 'users'"), one per
 * line, without a trailing newline; NULL for an op Alembic does not report
 * on its own (an index or key created with its table).  Caller frees. */
char *diff_describe(const struct diff_op *op);

#endif
