/* lint.c -- the static rules of lint.h, on libpg_query's parse tree.
 *
 * pg_query_parse() gives the tree as JSON (the node names and fields of
 * PostgreSQL's parsenodes.h); jansson reads it.  One pass over the
 * statements keeps what a later statement needs to know: the tables and
 * indexes created earlier in the same revision (new, so nobody else holds
 * them), whether a transaction block is open, whether lock_timeout is set,
 * which NOT NULL checks were validated, and which existing tables saw data
 * changes or DDL. */
#include "lint.h"

#include <ctype.h>
#include <jansson.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct lint_rule rules[] = {
    { "create-index-not-concurrently", LINT_ERROR,
      "CREATE INDEX without CONCURRENTLY blocks every write to the table until the index is built",
      "CREATE INDEX CONCURRENTLY, alone in a revision with .flags = RUNNER_NO_TRANSACTION" },
    { "drop-index-not-concurrently", LINT_ERROR,
      "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table and queues "
      "behind every running query",
      "DROP INDEX CONCURRENTLY, alone in a revision with .flags = RUNNER_NO_TRANSACTION" },
    { "concurrently-in-transaction", LINT_ERROR,
      "CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction block: the revision fails",
      "set .flags = RUNNER_NO_TRANSACTION and give each such statement its own op_execute()" },
    { "add-column-volatile-default", LINT_ERROR,
      "adding a column whose default must be computed per row rewrites the whole table under an "
      "ACCESS EXCLUSIVE lock",
      "add the column without a default (or with a constant one), then backfill in batches" },
    { "add-column-not-null-without-default", LINT_ERROR,
      "adding a NOT NULL column without a default fails on a table that has rows",
      "add it nullable or with a constant default; backfill; then make it NOT NULL safely" },
    { "set-not-null", LINT_ERROR,
      "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
      "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT "
      "NULL (PostgreSQL 12+ skips the scan)" },
    { "column-type-rewrite", LINT_ERROR,
      "changing a column's type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock "
      "unless the types are binary-coercible (varchar(n) to text or to a longer varchar)",
      "add a new column, backfill it in batches, switch the code over, drop the old column" },
    { "constraint-not-valid", LINT_ERROR,
      "adding a FOREIGN KEY or CHECK constraint checks every row while holding a lock that blocks "
      "writes",
      "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later statement" },
    { "unique-without-index", LINT_ERROR,
      "adding a UNIQUE or PRIMARY KEY constraint builds its index while blocking writes",
      "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX" },
    { "rename-column", LINT_WARNING,
      "renaming a column breaks the code that still runs against the old name",
      "add the new column, write both, move readers over, drop the old one later" },
    { "rename-table", LINT_WARNING,
      "renaming a table breaks the code that still runs against the old name",
      "create the new table (or a view under the old name), move the code, drop later" },
    { "drop-column", LINT_WARNING,
      "dropping a column breaks the code that still reads it",
      "stop using the column in a release first, drop it in a later revision" },
    { "drop-table", LINT_WARNING,
      "dropping a table breaks the code that still uses it",
      "stop using the table in a release first, drop it in a later revision" },
    { "vacuum-full", LINT_ERROR,
      "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock",
      "plain VACUUM, or pg_repack outside the migration" },
    { "cluster", LINT_ERROR,
      "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock",
      "pg_repack outside the migration" },
    { "enum-add-value-in-transaction", LINT_ERROR,
      "before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block",
      "set .flags = RUNNER_NO_TRANSACTION for this revision" },
    { "lock-timeout-missing", LINT_WARNING,
      "a DDL statement that waits for its lock makes every later query on the table wait behind it",
      "SET lock_timeout first (or run with --lock-timeout and --lock-timeout-retries)" },
    { "mixed-data-and-ddl", LINT_ERROR,
      "a data change and DDL on the same table in one revision hold the DDL's lock for as long as "
      "the data change takes",
      "split the data change and the schema change into revisions of their own" },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

const struct lint_rule *lint_rules(size_t *n)
{
    *n = N_RULES;
    return rules;
}

const struct lint_rule *lint_rule_find(const char *name)
{
    for (size_t i = 0; i < N_RULES; i++)
        if (strcmp(rules[i].name, name) == 0)
            return &rules[i];
    return NULL;
}

const char *lint_level_name(enum lint_level level)
{
    return level == LINT_ERROR ? "error" : "warning";
}

int lint_list_has(const char *list, const char *name)
{
    size_t n = strlen(name);

    if (!list || n == 0)
        return 0;
    for (const char *p = list; *p;) {
        size_t len;

        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        len = strcspn(p, " ,\t");
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

void lint_allow_from_text(const char *text, struct strbuf *out)
{
    static const char tag[] = "runner-lint: allow";

    for (const char *p = text ? strstr(text, tag) : NULL; p; p = strstr(p, tag)) {
        p += sizeof(tag) - 1;
        for (;;) {
            size_t len;

            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
            len = 0;
            while ((p[len] >= 'a' && p[len] <= 'z') || (p[len] >= '0' && p[len] <= '9') ||
                   p[len] == '-')
                len++;
            if (len == 0)
                break;
            if (out->len)
                strbuf_addch(out, ' ');
            strbuf_add(out, p, len);
            p += len;
        }
    }
}

/* ------------------------------------------------------------------ */
/* A small set of names: tables and indexes seen in this revision. */

struct names {
    char **v;
    size_t n, alloc;
    int failed;
};

static void names_add(struct names *s, const char *name)
{
    char *copy;

    if (!name)
        return;
    if (s->n == s->alloc) {
        size_t alloc = s->alloc ? s->alloc * 2 : 8;
        char **v = realloc(s->v, alloc * sizeof(*v));

        if (!v) {
            s->failed = 1;
            return;
        }
        s->v = v;
        s->alloc = alloc;
    }
    copy = strdup(name);
    if (!copy) {
        s->failed = 1;
        return;
    }
    s->v[s->n++] = copy;
}

static int names_has(const struct names *s, const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return 1;
    return 0;
}

static void names_release(struct names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* The checks are the only state that outlives a revision: the tables a
 * revision created are no longer new in the next one. */
struct lint_carry {
    struct names not_null_ok;
    struct names pending_checks;
};

struct lint_carry *lint_carry_new(void)
{
    return calloc(1, sizeof(struct lint_carry));
}

void lint_carry_free(struct lint_carry *c)
{
    if (!c)
        return;
    names_release(&c->not_null_ok);
    names_release(&c->pending_checks);
    free(c);
}

static void names_copy(struct names *to, const struct names *from)
{
    for (size_t i = 0; i < from->n; i++)
        names_add(to, from->v[i]);
}

/* to = from, from emptied. */
static void names_move(struct names *to, struct names *from)
{
    names_release(to);
    *to = *from;
    memset(from, 0, sizeof(*from));
}

/* ------------------------------------------------------------------ */
/* The pass over one revision's statements. */

struct touch {
    char *table;
    unsigned dml_line;          /* first data change; 0: none */
    unsigned ddl_line;          /* first DDL; 0: none */
};

struct lint_state {
    const struct lint_input *in;
    struct lint_result *r;
    const char *allow_comment;  /* in->allow_comment plus comments in the SQL */
    int in_tx;                  /* a transaction block is open */
    int lock_timeout;           /* lock_timeout is set for what follows */
    int warned_lock_timeout;    /* once per revision */
    struct names created;       /* tables created in this revision */
    struct names created_ix;    /* indexes created in this revision */
    struct names not_null_ok;   /* "table.column" with a validated CHECK (col IS NOT NULL) */
    struct names pending_checks; /* "constraint=table.column" NOT VALID, not yet validated */
    struct names not_valid_in_tx; /* constraints added NOT VALID in the open transaction */
    struct touch *touched;
    size_t n_touched, alloc_touched;
    unsigned line;              /* the current statement's */
    const char *stmt;           /* its text */
    size_t stmt_len;
    int failed;                 /* out of memory */
};

static void add_finding(struct lint_state *s, const char *rule_name, unsigned line,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add_finding(struct lint_state *s, const char *rule_name, unsigned line,
                        const char *fmt, ...)
{
    const struct lint_rule *rule = lint_rule_find(rule_name);
    struct lint_result *r = s->r;
    struct lint_finding *f;
    struct strbuf detail = STRBUF_INIT;
    char buf[512];
    va_list ap;
    size_t len;

    if (!rule) {
        s->failed = 1;      /* a rule name typo is our bug */
        return;
    }
    if (r->n == r->alloc) {
        size_t alloc = r->alloc ? r->alloc * 2 : 8;
        struct lint_finding *items = realloc(r->items, alloc * sizeof(*items));

        if (!items) {
            s->failed = 1;
            return;
        }
        r->items = items;
        r->alloc = alloc;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    strbuf_adds(&detail, buf);
    f = &r->items[r->n];
    memset(f, 0, sizeof(*f));
    f->rule = rule;
    f->line = line;
    f->detail = strbuf_detach(&detail);
    len = s->stmt_len < 200 ? s->stmt_len : 200;
    f->statement = strndup(s->stmt ? s->stmt : "", len);
    if (!f->detail || !f->statement) {
        free(f->detail);
        free(f->statement);
        s->failed = 1;
        return;
    }
    if (lint_list_has(s->in->allow_meta, rule->name))
        f->silenced_by = "metadata";
    else if (lint_list_has(s->allow_comment, rule->name))
        f->silenced_by = "comment";
    r->n++;
}

/* The table "relname" a RangeVar names (the schema is left out: a revision
 * rarely names one table through two schemas). */
static const char *rel_name(json_t *rangevar)
{
    return json_string_value(json_object_get(rangevar, "relname"));
}

static int is_created(const struct lint_state *s, const char *table)
{
    return names_has(&s->created, table);
}

static struct touch *touch_of(struct lint_state *s, const char *table)
{
    for (size_t i = 0; i < s->n_touched; i++)
        if (strcmp(s->touched[i].table, table) == 0)
            return &s->touched[i];
    if (s->n_touched == s->alloc_touched) {
        size_t alloc = s->alloc_touched ? s->alloc_touched * 2 : 8;
        struct touch *v = realloc(s->touched, alloc * sizeof(*v));

        if (!v) {
            s->failed = 1;
            return NULL;
        }
        s->touched = v;
        s->alloc_touched = alloc;
    }
    s->touched[s->n_touched].table = strdup(table);
    if (!s->touched[s->n_touched].table) {
        s->failed = 1;
        return NULL;
    }
    s->touched[s->n_touched].dml_line = 0;
    s->touched[s->n_touched].ddl_line = 0;
    return &s->touched[s->n_touched++];
}

static void touch_ddl(struct lint_state *s, const char *table)
{
    struct touch *t;

    if (!table || is_created(s, table) || !(t = touch_of(s, table)))
        return;
    if (!t->ddl_line)
        t->ddl_line = s->line;
}

static void touch_dml(struct lint_state *s, const char *table)
{
    struct touch *t;

    if (!table || is_created(s, table) || !(t = touch_of(s, table)))
        return;
    if (!t->dml_line)
        t->dml_line = s->line;
}

/* A statement that takes a strong lock on an existing table: without
 * lock_timeout it queues, and everything after it queues behind it. */
static void strong_lock(struct lint_state *s, const char *table)
{
    if (!table || is_created(s, table) || s->lock_timeout || s->warned_lock_timeout)
        return;
    s->warned_lock_timeout = 1;
    add_finding(s, "lock-timeout-missing", s->line,
                "\"%s\" is locked with no lock_timeout set in the revision or the run", table);
}

/* The last element of a list of String nodes (a qualified name). */
static const char *last_name(json_t *list)
{
    size_t n = json_array_size(list);
    json_t *last = n ? json_array_get(list, n - 1) : NULL;

    return json_string_value(json_object_get(json_object_get(last, "String"), "sval"));
}

/* Functions whose result does not change from row to row within one
 * statement (immutable or stable): a column default of one of them is
 * evaluated once, and PostgreSQL 11+ stores it without a rewrite.  Any
 * other function counts as volatile: lint cannot look the catalog up. */
static const char *const nonvolatile_functions[] = {
    "now", "transaction_timestamp", "statement_timestamp", "current_date", "lower", "upper",
    "btrim", "trim", "ltrim", "rtrim", "concat", "length", "abs", "round", "coalesce",
    "jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array",
    "to_jsonb", "to_json", "make_date", "make_interval", "make_timestamp", "make_timestamptz",
    "array_fill", "int4", "int8", "text", "date", "timestamptz", "timestamp", "numeric",
    "current_setting", "pg_catalog.now",
};

static int is_nonvolatile_function(const char *name)
{
    for (size_t i = 0; i < sizeof(nonvolatile_functions) / sizeof(nonvolatile_functions[0]); i++)
        if (strcmp(nonvolatile_functions[i], name) == 0)
            return 1;
    return 0;
}

/* The first function call in the tree that may be volatile, or NULL. */
static const char *volatile_call(json_t *node)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_array(node)) {
        json_array_foreach(node, i, v) {
            const char *f = volatile_call(v);

            if (f)
                return f;
        }
        return NULL;
    }
    if (!json_is_object(node))
        return NULL;
    json_object_foreach(node, key, v) {
        const char *f;

        if (strcmp(key, "FuncCall") == 0) {
            const char *name = last_name(json_object_get(v, "funcname"));

            if (name && !is_nonvolatile_function(name))
                return name;
        }
        f = volatile_call(v);
        if (f)
            return f;
    }
    return NULL;
}

/* A constraint node's "contype". */
static const char *contype(json_t *constraint)
{
    return json_string_value(json_object_get(constraint, "contype"));
}

static int flag_set(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

/* "col" when the CHECK's expression is `col IS NOT NULL`, else NULL. */
static const char *not_null_check_column(json_t *constraint)
{
    json_t *test = json_object_get(json_object_get(constraint, "raw_expr"), "NullTest");
    json_t *ref = json_object_get(json_object_get(test, "arg"), "ColumnRef");
    const char *kind = json_string_value(json_object_get(test, "nulltesttype"));

    if (!test || !ref || !kind || strcmp(kind, "IS_NOT_NULL") != 0)
        return NULL;
    return last_name(json_object_get(ref, "fields"));
}

static void add_column(struct lint_state *s, const char *table, json_t *coldef)
{
    const char *col = json_string_value(json_object_get(coldef, "colname"));
    const char *type = last_name(json_object_get(json_object_get(coldef, "typeName"), "names"));
    json_t *c;
    size_t i;
    json_t *def = NULL;
    int not_null = 0, computed = 0;
    const char *computed_why = NULL;

    if (type && (strcmp(type, "serial") == 0 || strcmp(type, "bigserial") == 0 ||
                 strcmp(type, "smallserial") == 0 || strcmp(type, "serial4") == 0 ||
                 strcmp(type, "serial8") == 0 || strcmp(type, "serial2") == 0)) {
        computed = 1;
        computed_why = "is a serial (nextval() per row)";
    }
    json_array_foreach(json_object_get(coldef, "constraints"), i, c) {
        json_t *con = json_object_get(c, "Constraint");
        const char *t = contype(con);

        if (!t)
            continue;
        if (strcmp(t, "CONSTR_DEFAULT") == 0)
            def = json_object_get(con, "raw_expr");
        else if (strcmp(t, "CONSTR_NOTNULL") == 0 || strcmp(t, "CONSTR_PRIMARY") == 0)
            not_null = 1;
        if (strcmp(t, "CONSTR_IDENTITY") == 0) {
            computed = 1;
            computed_why = "is an identity column (a value per row)";
        } else if (strcmp(t, "CONSTR_GENERATED") == 0) {
            computed = 1;
            computed_why = "is a stored generated column (computed per row)";
        } else if (strcmp(t, "CONSTR_PRIMARY") == 0 || strcmp(t, "CONSTR_UNIQUE") == 0) {
            add_finding(s, "unique-without-index", s->line,
                        "column \"%s\" is added to \"%s\" as %s", col, table,
                        strcmp(t, "CONSTR_PRIMARY") == 0 ? "PRIMARY KEY" : "UNIQUE");
        } else if ((strcmp(t, "CONSTR_FOREIGN") == 0 || strcmp(t, "CONSTR_CHECK") == 0) &&
                   !flag_set(con, "skip_validation")) {
            add_finding(s, "constraint-not-valid", s->line,
                        "column \"%s\" is added to \"%s\" with a %s constraint", col, table,
                        strcmp(t, "CONSTR_FOREIGN") == 0 ? "FOREIGN KEY" : "CHECK");
        }
    }
    if (computed) {
        add_finding(s, "add-column-volatile-default", s->line, "column \"%s\" of \"%s\" %s",
                    col, table, computed_why);
    } else if (def) {
        const char *f = volatile_call(def);

        if (s->in->pg_version < 110000)
            add_finding(s, "add-column-volatile-default", s->line,
                        "column \"%s\" of \"%s\" gets a default, and PostgreSQL %d rewrites "
                        "the table for any default (11+ does not for a non-volatile one)",
                        col, table, s->in->pg_version / 10000);
        else if (f)
            add_finding(s, "add-column-volatile-default", s->line,
                        "column \"%s\" of \"%s\" gets a default calling %s(), which is volatile "
                        "(or not known to be stable)", col, table, f);
    } else if (not_null) {
        add_finding(s, "add-column-not-null-without-default", s->line,
                    "column \"%s\" is added to \"%s\" as NOT NULL with no default", col, table);
    }
}

/* "table.column" for the names sets. */
static void table_col(char *buf, size_t n, const char *table, const char *col)
{
    snprintf(buf, n, "%s.%s", table ? table : "", col ? col : "");
}

static void add_constraint(struct lint_state *s, const char *table, json_t *con)
{
    const char *t = contype(con);
    const char *name = json_string_value(json_object_get(con, "conname"));
    char key[256];

    if (!t)
        return;
    if (strcmp(t, "CONSTR_FOREIGN") == 0 || strcmp(t, "CONSTR_CHECK") == 0) {
        const char *col = strcmp(t, "CONSTR_CHECK") == 0 ? not_null_check_column(con) : NULL;

        if (!flag_set(con, "skip_validation")) {
            add_finding(s, "constraint-not-valid", s->line,
                        "%s constraint%s%s%s is added to \"%s\" and validated at once",
                        strcmp(t, "CONSTR_FOREIGN") == 0 ? "FOREIGN KEY" : "CHECK",
                        name ? " \"" : "", name ? name : "", name ? "\"" : "", table);
            if (col) {
                table_col(key, sizeof(key), table, col);
                names_add(&s->not_null_ok, key);
            }
        } else {
            if (col && name) {
                snprintf(key, sizeof(key), "%s=%s.%s", name, table, col);
                names_add(&s->pending_checks, key);
            }
            if (name && s->in_tx)
                names_add(&s->not_valid_in_tx, name);
        }
    } else if (strcmp(t, "CONSTR_UNIQUE") == 0 || strcmp(t, "CONSTR_PRIMARY") == 0) {
        if (!json_object_get(con, "indexname"))
            add_finding(s, "unique-without-index", s->line,
                        "%s constraint%s%s%s is added to \"%s\" without USING INDEX",
                        strcmp(t, "CONSTR_PRIMARY") == 0 ? "PRIMARY KEY" : "UNIQUE",
                        name ? " \"" : "", name ? name : "", name ? "\"" : "", table);
    }
}

static void validate_constraint(struct lint_state *s, const char *table, const char *name)
{
    size_t n = name ? strlen(name) : 0;

    /* the ADD took ACCESS EXCLUSIVE and holds it until COMMIT: validating
     * before that checks every row under it, as if NOT VALID were not there */
    if (s->in_tx && names_has(&s->not_valid_in_tx, name))
        add_finding(s, "constraint-not-valid", s->line,
                    "constraint \"%s\" of \"%s\" is validated in the transaction that added it "
                    "NOT VALID, whose lock is still held", name, table);

    for (size_t i = 0; n && i < s->pending_checks.n; i++) {
        const char *k = s->pending_checks.v[i];

        if (strncmp(k, name, n) == 0 && k[n] == '=')
            names_add(&s->not_null_ok, k + n + 1);
    }
}

static void alter_table(struct lint_state *s, json_t *stmt)
{
    const char *table = rel_name(json_object_get(stmt, "relation"));
    const char *objtype = json_string_value(json_object_get(stmt, "objtype"));
    json_t *c;
    size_t i;

    if (!table || (objtype && strcmp(objtype, "OBJECT_TABLE") != 0))
        return;
    if (is_created(s, table))
        return;
    touch_ddl(s, table);
    strong_lock(s, table);
    json_array_foreach(json_object_get(stmt, "cmds"), i, c) {
        json_t *cmd = json_object_get(c, "AlterTableCmd");
        const char *sub = json_string_value(json_object_get(cmd, "subtype"));
        const char *col = json_string_value(json_object_get(cmd, "name"));
        json_t *def = json_object_get(cmd, "def");
        char key[256];

        if (!sub)
            continue;
        if (strcmp(sub, "AT_AddColumn") == 0) {
            add_column(s, table, json_object_get(def, "ColumnDef"));
        } else if (strcmp(sub, "AT_SetNotNull") == 0) {
            table_col(key, sizeof(key), table, col);
            if (s->in->pg_version < 120000)
                add_finding(s, "set-not-null", s->line,
                            "column \"%s\" of \"%s\" is made NOT NULL, and PostgreSQL %d scans "
                            "the table even after a validated CHECK", col, table,
                            s->in->pg_version / 10000);
            else if (!names_has(&s->not_null_ok, key))
                add_finding(s, "set-not-null", s->line,
                            "column \"%s\" of \"%s\" is made NOT NULL with no validated CHECK "
                            "(\"%s\" IS NOT NULL) before it", col, table, col);
        } else if (strcmp(sub, "AT_AlterColumnType") == 0) {
            const char *type =
                last_name(json_object_get(json_object_get(json_object_get(def, "ColumnDef"),
                                                          "typeName"), "names"));

            add_finding(s, "column-type-rewrite", s->line,
                        "column \"%s\" of \"%s\" changes type to %s", col, table,
                        type ? type : "another type");
        } else if (strcmp(sub, "AT_AddConstraint") == 0) {
            add_constraint(s, table, json_object_get(def, "Constraint"));
        } else if (strcmp(sub, "AT_ValidateConstraint") == 0) {
            validate_constraint(s, table, col);
        } else if (strcmp(sub, "AT_DropColumn") == 0) {
            add_finding(s, "drop-column", s->line, "column \"%s\" is dropped from \"%s\"", col,
                        table);
        }
    }
}

static void index_stmt(struct lint_state *s, json_t *stmt)
{
    const char *table = rel_name(json_object_get(stmt, "relation"));
    const char *name = json_string_value(json_object_get(stmt, "idxname"));
    int concurrent = flag_set(stmt, "concurrent");

    names_add(&s->created_ix, name);
    if (concurrent && s->in_tx)
        add_finding(s, "concurrently-in-transaction", s->line,
                    "index%s%s%s on \"%s\" is built CONCURRENTLY inside a transaction block",
                    name ? " \"" : "", name ? name : "", name ? "\"" : "", table);
    if (!table || is_created(s, table))
        return;
    touch_ddl(s, table);
    if (!concurrent) {
        strong_lock(s, table);
        add_finding(s, "create-index-not-concurrently", s->line,
                    "index%s%s%s is built on the existing table \"%s\"", name ? " \"" : "",
                    name ? name : "", name ? "\"" : "", table);
    }
}

static void drop_stmt(struct lint_state *s, json_t *stmt)
{
    const char *type = json_string_value(json_object_get(stmt, "removeType"));
    int concurrent = flag_set(stmt, "concurrent");
    json_t *o;
    size_t i;

    if (!type)
        return;
    json_array_foreach(json_object_get(stmt, "objects"), i, o) {
        const char *name = last_name(json_object_get(json_object_get(o, "List"), "items"));

        if (!name)
            continue;
        if ((strcmp(type, "OBJECT_VIEW") == 0 || strcmp(type, "OBJECT_MATVIEW") == 0) &&
            !is_created(s, name)) {
            strong_lock(s, name);   /* ACCESS EXCLUSIVE: queries on the view queue behind it */
        } else if (strcmp(type, "OBJECT_TABLE") == 0 && !is_created(s, name)) {
            strong_lock(s, name);
            add_finding(s, "drop-table", s->line, "table \"%s\" is dropped", name);
        } else if (strcmp(type, "OBJECT_INDEX") == 0) {
            if (concurrent && s->in_tx)
                add_finding(s, "concurrently-in-transaction", s->line,
                            "index \"%s\" is dropped CONCURRENTLY inside a transaction block",
                            name);
            else if (!concurrent && !names_has(&s->created_ix, name)) {
                strong_lock(s, name);
                add_finding(s, "drop-index-not-concurrently", s->line,
                            "index \"%s\" is dropped", name);
            }
        }
    }
}

static void rename_stmt(struct lint_state *s, json_t *stmt)
{
    const char *type = json_string_value(json_object_get(stmt, "renameType"));
    const char *table = rel_name(json_object_get(stmt, "relation"));
    const char *newname = json_string_value(json_object_get(stmt, "newname"));

    if (!type || !table || is_created(s, table))
        return;
    if (strcmp(type, "OBJECT_COLUMN") == 0) {
        touch_ddl(s, table);
        strong_lock(s, table);
        add_finding(s, "rename-column", s->line, "column \"%s\" of \"%s\" is renamed to \"%s\"",
                    json_string_value(json_object_get(stmt, "subname")), table, newname);
    } else if (strcmp(type, "OBJECT_TABLE") == 0) {
        touch_ddl(s, table);
        strong_lock(s, table);
        add_finding(s, "rename-table", s->line, "table \"%s\" is renamed to \"%s\"", table,
                    newname);
    }
}

/* An option argument that turns it off: false, off, 0. */
static int is_false_option(json_t *arg)
{
    json_t *integer = json_object_get(arg, "Integer");
    const char *v = json_string_value(json_object_get(json_object_get(arg, "String"), "sval"));

    if (integer)    /* the parse tree leaves out an ival of 0 */
        return json_integer_value(json_object_get(integer, "ival")) == 0;
    return v && (strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "0") == 0);
}

static void vacuum_stmt(struct lint_state *s, json_t *stmt)
{
    json_t *o;
    size_t i;

    json_array_foreach(json_object_get(stmt, "options"), i, o) {
        const char *opt = json_string_value(json_object_get(json_object_get(o, "DefElem"),
                                                            "defname"));
        json_t *arg = json_object_get(json_object_get(o, "DefElem"), "arg");

        /* VACUUM (FULL false) is a plain VACUUM */
        if (opt && strcmp(opt, "full") == 0 && !is_false_option(arg)) {
            json_t *rel = json_array_get(json_object_get(stmt, "rels"), 0);
            const char *table =
                rel_name(json_object_get(json_object_get(rel, "VacuumRelation"), "relation"));

            strong_lock(s, table ? table : "every table");
            add_finding(s, "vacuum-full", s->line, "VACUUM FULL rewrites %s%s%s",
                        table ? "\"" : "", table ? table : "every table in the database",
                        table ? "\"" : "");
            return;
        }
    }
}

/* SET [LOCAL] lock_timeout = x; RESET lock_timeout; SET ... TO DEFAULT */
static void set_stmt(struct lint_state *s, json_t *stmt)
{
    const char *name = json_string_value(json_object_get(stmt, "name"));
    const char *kind = json_string_value(json_object_get(stmt, "kind"));
    json_t *arg, *aconst;

    if (!name || strcmp(name, "lock_timeout") != 0 || !kind)
        return;
    if (strcmp(kind, "VAR_SET_VALUE") != 0) {
        s->lock_timeout = s->in->run_lock_timeout;
        return;
    }
    arg = json_array_get(json_object_get(stmt, "args"), 0);
    aconst = json_object_get(arg, "A_Const");
    /* 0 (or '0') turns the timeout off */
    if (json_integer_value(json_object_get(json_object_get(aconst, "ival"), "ival")) == 0 &&
        !json_object_get(aconst, "sval") && !json_object_get(aconst, "fval")) {
        s->lock_timeout = 0;
        return;
    }
    {
        const char *sv = json_string_value(json_object_get(json_object_get(aconst, "sval"),
                                                           "sval"));

        s->lock_timeout = !(sv && (strcmp(sv, "0") == 0 || strcmp(sv, "0ms") == 0 ||
                                   strcmp(sv, "0s") == 0));
    }
}

static void transaction_stmt(struct lint_state *s, json_t *stmt)
{
    const char *kind = json_string_value(json_object_get(stmt, "kind"));

    if (!kind)
        return;
    if (strcmp(kind, "TRANS_STMT_BEGIN") == 0 || strcmp(kind, "TRANS_STMT_START") == 0)
        s->in_tx = 1;
    else if (strcmp(kind, "TRANS_STMT_COMMIT") == 0 || strcmp(kind, "TRANS_STMT_ROLLBACK") == 0) {
        s->in_tx = 0;
        names_release(&s->not_valid_in_tx);
    }
}

/* A new table's foreign keys lock the tables they reference (SHARE ROW
 * EXCLUSIVE): a CREATE TABLE can queue behind a busy one too. */
static void create_stmt_references(struct lint_state *s, json_t *stmt)
{
    json_t *elt, *c;
    size_t i, j;

    json_array_foreach(json_object_get(stmt, "tableElts"), i, elt) {
        json_t *list = json_object_get(json_object_get(elt, "ColumnDef"), "constraints");
        json_t *own = json_object_get(elt, "Constraint");

        if (own) {
            const char *t = contype(own);

            if (t && strcmp(t, "CONSTR_FOREIGN") == 0)
                strong_lock(s, rel_name(json_object_get(own, "pktable")));
        }
        json_array_foreach(list, j, c) {
            json_t *con = json_object_get(c, "Constraint");
            const char *t = contype(con);

            if (t && strcmp(t, "CONSTR_FOREIGN") == 0)
                strong_lock(s, rel_name(json_object_get(con, "pktable")));
        }
    }
}

static void statement(struct lint_state *s, const char *type, json_t *stmt)
{
    if (strcmp(type, "CreateStmt") == 0) {
        names_add(&s->created, rel_name(json_object_get(stmt, "relation")));
        create_stmt_references(s, stmt);
    } else if (strcmp(type, "CreateTableAsStmt") == 0) {
        names_add(&s->created,
                  rel_name(json_object_get(json_object_get(stmt, "into"), "rel")));
    } else if (strcmp(type, "ViewStmt") == 0) {
        if (!flag_set(stmt, "replace"))
            names_add(&s->created, rel_name(json_object_get(stmt, "view")));
    } else if (strcmp(type, "AlterTableStmt") == 0) {
        alter_table(s, stmt);
    } else if (strcmp(type, "IndexStmt") == 0) {
        index_stmt(s, stmt);
    } else if (strcmp(type, "DropStmt") == 0) {
        drop_stmt(s, stmt);
    } else if (strcmp(type, "RenameStmt") == 0) {
        rename_stmt(s, stmt);
    } else if (strcmp(type, "VacuumStmt") == 0) {
        vacuum_stmt(s, stmt);
    } else if (strcmp(type, "ClusterStmt") == 0) {
        const char *table = rel_name(json_object_get(stmt, "relation"));

        if (!table || !is_created(s, table)) {
            strong_lock(s, table ? table : "every clustered table");
            add_finding(s, "cluster", s->line, "CLUSTER rewrites %s%s%s", table ? "\"" : "",
                        table ? table : "every clustered table", table ? "\"" : "");
        }
    } else if (strcmp(type, "VariableSetStmt") == 0) {
        set_stmt(s, stmt);
    } else if (strcmp(type, "TransactionStmt") == 0) {
        transaction_stmt(s, stmt);
    } else if (strcmp(type, "AlterEnumStmt") == 0) {
        if (json_object_get(stmt, "newVal") && !json_object_get(stmt, "oldVal") && s->in_tx &&
            s->in->pg_version < 120000)
            add_finding(s, "enum-add-value-in-transaction", s->line,
                        "type \"%s\" gets value '%s' inside a transaction block on "
                        "PostgreSQL %d", last_name(json_object_get(stmt, "typeName")),
                        json_string_value(json_object_get(stmt, "newVal")),
                        s->in->pg_version / 10000);
    } else if (strcmp(type, "InsertStmt") == 0 || strcmp(type, "UpdateStmt") == 0 ||
               strcmp(type, "DeleteStmt") == 0) {
        touch_dml(s, rel_name(json_object_get(stmt, "relation")));
    } else if (strcmp(type, "CopyStmt") == 0 && flag_set(stmt, "is_from")) {
        touch_dml(s, rel_name(json_object_get(stmt, "relation")));
    }
}

/* The offset of the first token at or after sql[off]: comments and blanks
 * before a statement belong to no statement. */
static size_t first_token(const char *sql, size_t off, size_t len)
{
    size_t end = off;

    while (end < len) {
        if (isspace((unsigned char)sql[end])) {
            end++;
        } else if (sql[end] == '-' && end + 1 < len && sql[end + 1] == '-') {
            while (end < len && sql[end] != '\n')
                end++;
        } else if (sql[end] == '/' && end + 1 < len && sql[end + 1] == '*') {
            const char *close = strstr(sql + end + 2, "*/");

            end = close ? (size_t)(close - sql) + 2 : len;
        } else {
            break;
        }
    }
    return end;
}

/* The 1-based line of sql[off]. */
static unsigned line_at(const char *sql, size_t off)
{
    unsigned line = 1;

    for (size_t i = 0; i < off && sql[i]; i++)
        if (sql[i] == '\n')
            line++;
    return line;
}

int lint_sql(const struct lint_input *in, struct lint_result *r, struct err *e)
{
    PgQueryParseResult pr;
    struct lint_state s;
    struct strbuf allow = STRBUF_INIT;
    json_t *root = NULL, *item;
    json_error_t jerr;
    size_t i, len = strlen(in->sql);
    int ret = -1;

    memset(&s, 0, sizeof(s));
    s.in = in;
    s.r = r;
    s.in_tx = in->in_transaction;
    s.lock_timeout = in->run_lock_timeout;
    if (in->carry) {
        names_copy(&s.not_null_ok, &in->carry->not_null_ok);
        names_copy(&s.pending_checks, &in->carry->pending_checks);
    }
    if (in->allow_comment)
        strbuf_adds(&allow, in->allow_comment);
    lint_allow_from_text(in->sql, &allow);
    s.allow_comment = strbuf_str(&allow);

    pr = pg_query_parse(in->sql);
    if (pr.error) {
        size_t pos = pr.error->cursorpos > 0 ? (size_t)pr.error->cursorpos - 1 : 0;

        err_set(e, ERR_FAIL, "cannot parse the sql at line %u: %s",
                line_at(in->sql, pos < len ? pos : len), pr.error->message);
        goto out;
    }
    root = json_loads(pr.parse_tree, 0, &jerr);
    if (!root) {
        err_set(e, ERR_FAIL, "cannot read the parse tree: %s", jerr.text);
        goto out;
    }
    json_array_foreach(json_object_get(root, "stmts"), i, item) {
        json_t *node = json_object_get(item, "stmt");
        json_int_t loc = json_integer_value(json_object_get(item, "stmt_location"));
        json_int_t slen = json_integer_value(json_object_get(item, "stmt_len"));
        const char *type;
        json_t *stmt;
        void *iter = json_object_iter(node);

        if (!iter)
            continue;
        if (loc < 0 || (size_t)loc > len)
            loc = 0;
        if (slen <= 0 || (size_t)(loc + slen) > len)
            slen = (json_int_t)(len - (size_t)loc);
        {
            size_t start = first_token(in->sql, (size_t)loc, (size_t)(loc + slen));

            s.line = line_at(in->sql, start);
            s.stmt = in->sql + start;
            s.stmt_len = (size_t)(loc + slen) - start;
        }
        type = json_object_iter_key(iter);
        stmt = json_object_iter_value(iter);
        statement(&s, type, stmt);
    }
    for (i = 0; i < s.n_touched; i++) {
        const struct touch *t = &s.touched[i];

        if (t->dml_line && t->ddl_line) {
            s.stmt = NULL;
            s.stmt_len = 0;
            add_finding(&s, "mixed-data-and-ddl",
                        t->dml_line > t->ddl_line ? t->dml_line : t->ddl_line,
                        "\"%s\" gets a data change (line %u) and DDL (line %u) in one revision",
                        t->table, t->dml_line, t->ddl_line);
        }
    }
    if (s.failed || s.created.failed || s.created_ix.failed || s.not_null_ok.failed ||
        s.pending_checks.failed || s.not_valid_in_tx.failed || strbuf_failed(&allow)) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (in->carry) {
        names_move(&in->carry->not_null_ok, &s.not_null_ok);
        names_move(&in->carry->pending_checks, &s.pending_checks);
    }
    ret = 0;
out:
    json_decref(root);
    pg_query_free_parse_result(pr);
    for (i = 0; i < s.n_touched; i++)
        free(s.touched[i].table);
    free(s.touched);
    names_release(&s.created);
    names_release(&s.created_ix);
    names_release(&s.not_null_ok);
    names_release(&s.pending_checks);
    names_release(&s.not_valid_in_tx);
    strbuf_release(&allow);
    return ret;
}

void lint_result_release(struct lint_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].detail);
        free(r->items[i].statement);
    }
    free(r->items);
    r->items = NULL;
    r->n = r->alloc = 0;
}
