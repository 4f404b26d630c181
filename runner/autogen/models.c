/* models.c -- load, validate and convert a models plugin (see models.h). */
#include "models.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include <openssl/evp.h>
#include <runner/model.h>

#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "trust.h"

static int oom(struct err *e)
{
    return err_set(e, ERR_FAIL, "out of memory");
}

/* An enum type declared with its labels joins s->enums; the same type
 * declared twice must have the same labels. */
static int add_enum(struct schema *s, const runner_type *t, const char *norm, const char *model,
                    const char *column, struct err *e)
{
    const char *dot = strchr(norm, '.');
    struct schema_enum tmp = { 0 }, *en;
    int ret = -1;

    if (!t->values[0])
        return err_set(e, ERR_FAIL, "model '%s': column '%s': enum '%s' has no labels", model,
                       column, t->name);
    tmp.schema = dot && norm[0] != '"' ? strndup(norm, (size_t)(dot - norm)) : strdup(SCHEMA_DEFAULT);
    tmp.name = strdup(dot && norm[0] != '"' ? dot + 1 : norm);
    if (!tmp.schema || !tmp.name)
        goto oom;
    for (size_t i = 0; t->values[i]; i++)
        if (schema_list_add(&tmp.labels, &tmp.n_labels, t->values[i]) < 0)
            goto oom;
    en = schema_find_enum(s, tmp.schema, tmp.name);
    if (en) {
        if (!schema_list_equal(en->labels, en->n_labels, tmp.labels, tmp.n_labels)) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': enum '%s' declared again with other "
                    "labels", model, column, t->name);
            goto out;
        }
        ret = 0;
        goto out;
    }
    en = schema_add_enum(s);
    if (!en)
        goto oom;
    *en = tmp;
    return 0;
oom:
    oom(e);
out:
    free(tmp.schema);
    free(tmp.name);
    for (size_t i = 0; i < tmp.n_labels; i++)
        free(tmp.labels[i]);
    free(tmp.labels);
    return ret;
}

/* The format_type() spelling of a model type; NULL with *e filled on a
 * bad type. */
static char *type_sql(struct schema *s, const runner_type *t, const char *model,
                      const char *column, int depth, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;
    char *out = NULL;

    switch (t->kind) {
    case RUNNER_TYPE_INTEGER: strbuf_adds(&sb, "integer"); break;
    case RUNNER_TYPE_BIGINTEGER: strbuf_adds(&sb, "bigint"); break;
    case RUNNER_TYPE_SMALLINTEGER: strbuf_adds(&sb, "smallint"); break;
    case RUNNER_TYPE_STRING:
        if (t->length < 0) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': negative string length %d",
                    model, column, t->length);
            return NULL;
        }
        strbuf_adds(&sb, "character varying");
        if (t->length > 0)
            strbuf_addf(&sb, "(%d)", t->length);
        break;
    case RUNNER_TYPE_TEXT: strbuf_adds(&sb, "text"); break;
    case RUNNER_TYPE_BOOLEAN: strbuf_adds(&sb, "boolean"); break;
    case RUNNER_TYPE_DATETIME:
        strbuf_adds(&sb, t->timezone ? "timestamp with time zone" : "timestamp without time zone");
        break;
    case RUNNER_TYPE_DATE: strbuf_adds(&sb, "date"); break;
    case RUNNER_TYPE_TIME:
        strbuf_adds(&sb, t->timezone ? "time with time zone" : "time without time zone");
        break;
    case RUNNER_TYPE_NUMERIC:
        if (t->length < 0 || t->scale < 0 || (t->length == 0 && t->scale != 0) ||
            t->scale > t->length) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': bad numeric precision %d and scale %d",
                    model, column, t->length, t->scale);
            return NULL;
        }
        strbuf_adds(&sb, "numeric");
        if (t->length > 0)
            strbuf_addf(&sb, "(%d,%d)", t->length, t->scale);
        break;
    case RUNNER_TYPE_FLOAT: strbuf_adds(&sb, "double precision"); break;
    case RUNNER_TYPE_LARGEBINARY: strbuf_adds(&sb, "bytea"); break;
    case RUNNER_TYPE_JSON: strbuf_adds(&sb, "json"); break;
    case RUNNER_TYPE_JSONB: strbuf_adds(&sb, "jsonb"); break;
    case RUNNER_TYPE_UUID: strbuf_adds(&sb, "uuid"); break;
    case RUNNER_TYPE_ENUM:
    case RUNNER_TYPE_RAW: {
        char *norm;

        if (!t->name || !*t->name) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': %s type without a name",
                    model, column, t->kind == RUNNER_TYPE_ENUM ? "enum" : "raw");
            return NULL;
        }
        norm = schema_type_normalise(t->name, NULL);
        if (!norm) {
            oom(e);
            return NULL;
        }
        if (t->kind == RUNNER_TYPE_ENUM && t->values &&
            add_enum(s, t, norm, model, column, e) < 0) {
            free(norm);
            return NULL;
        }
        /* format_type() names a type of the default schema without it */
        if (strncmp(norm, SCHEMA_DEFAULT ".", sizeof(SCHEMA_DEFAULT)) == 0)
            memmove(norm, norm + sizeof(SCHEMA_DEFAULT), strlen(norm + sizeof(SCHEMA_DEFAULT)) + 1);
        strbuf_adds(&sb, norm);
        free(norm);
        break;
    }
    case RUNNER_TYPE_ARRAY: {
        char *item;

        if (!t->item) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': array type without an item type",
                    model, column);
            return NULL;
        }
        if (depth > 8) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': array nested too deeply", model, column);
            return NULL;
        }
        item = type_sql(s, t->item, model, column, depth + 1, e);
        if (!item)
            return NULL;
        strbuf_adds(&sb, item);
        strbuf_adds(&sb, "[]");
        free(item);
        break;
    }
    case RUNNER_TYPE_NONE:
        err_set(e, ERR_FAIL, "model '%s': column '%s': no type", model, column);
        return NULL;
    default:
        err_set(e, ERR_FAIL, "model '%s': column '%s': unknown type %d", model, column,
                (int)t->kind);
        return NULL;
    }
    out = strbuf_detach(&sb);
    if (!out)
        oom(e);
    return out;
}

/* SQLAlchemy's _truncate_and_render_maxlen_name() for a conv() name
 * longer than PostgreSQL's 63: the first 55 bytes, '_' and the last four
 * hex digits of its md5.  Takes the buffer; NULL when out of memory.
 * NEEDSWORK: SQLAlchemy counts characters, this counts bytes. */
static char *index_name(struct strbuf *name)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    char *s;

    if (strbuf_failed(name) || name->len <= 63)
        return strbuf_detach(name);
    if (!EVP_Digest(name->buf, name->len, md, &md_len, EVP_md5(), NULL) || md_len < 2) {
        strbuf_release(name);
        return NULL;
    }
    s = malloc(64);
    if (s) {
        memcpy(s, name->buf, 55);
        snprintf(s + 55, 9, "_%02x%02x", md[md_len - 2], md[md_len - 1]);
    }
    strbuf_release(name);
    return s;
}

static int is_integer_type(const char *type)
{
    return strcmp(type, "integer") == 0 || strcmp(type, "bigint") == 0 ||
           strcmp(type, "smallint") == 0;
}

/* NULL for NO ACTION (PostgreSQL's default), else the upper-case action. */
static int fk_action(const char *in, char **out, const char *model, const char *what,
                     struct err *e)
{
    static const char *const actions[] = { "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT" };

    *out = NULL;
    if (!in || strcasecmp(in, "NO ACTION") == 0)
        return 0;
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcasecmp(in, actions[i]) == 0) {
            *out = strdup(actions[i]);
            return *out ? 0 : oom(e);
        }
    }
    return err_set(e, ERR_FAIL, "model '%s': %s: unknown foreign key action '%s'", model, what, in);
}

static int copy_str(char **dst, const char *src, struct err *e)
{
    if (!src) {
        *dst = NULL;
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : oom(e);
}

static int copy_names(char ***list, size_t *n, const char *const *names, struct err *e)
{
    for (size_t i = 0; names && names[i]; i++)
        if (schema_list_add(list, n, names[i]) < 0)
            return oom(e);
    return 0;
}

/* The columns of a PK/UNIQUE/FK/index must exist and be unique in the list. */
static int check_columns(const struct schema_table *t, char *const *cols, size_t n,
                         const char *model, const char *what, struct err *e)
{
    if (n == 0)
        return err_set(e, ERR_FAIL, "model '%s': %s: no columns", model, what);
    for (size_t i = 0; i < n; i++) {
        if (!schema_find_column(t, cols[i]))
            return err_set(e, ERR_FAIL, "model '%s': %s: unknown column '%s'", model, what,
                           cols[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(cols[i], cols[j]) == 0)
                return err_set(e, ERR_FAIL, "model '%s': %s: column '%s' listed twice", model,
                               what, cols[i]);
    }
    return 0;
}

/* "table.column" or "schema.table.column" into the FK's reference. */
static int parse_reference(struct schema_constraint *c, const char *ref, const char *model,
                           const char *column, struct err *e)
{
    const char *dot1 = strchr(ref, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;

    if (!dot1 || dot1 == ref || !dot1[1] || (dot2 && (dot2 == dot1 + 1 || !dot2[1] ||
                                                       strchr(dot2 + 1, '.'))))
        return err_set(e, ERR_FAIL,
                       "model '%s': column '%s': foreign key '%s' is not 'table.column' or "
                       "'schema.table.column'", model, column, ref);
    if (dot2) {
        c->ref_schema = strndup(ref, (size_t)(dot1 - ref));
        c->ref_table = strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
        if (!c->ref_schema || !c->ref_table || schema_list_add(&c->ref_columns,
                                                              &c->n_ref_columns, dot2 + 1) < 0)
            return oom(e);
    } else {
        c->ref_table = strndup(ref, (size_t)(dot1 - ref));
        if (!c->ref_table || schema_list_add(&c->ref_columns, &c->n_ref_columns, dot1 + 1) < 0)
            return oom(e);
    }
    return 0;
}

/* What a naming-convention template may use (SQLAlchemy's tokens). */
struct name_parts {
    const char *schema;             /* the model's schema; NULL: the default */
    const char *table;
    char *const *columns;
    size_t n_columns;
    const char *ref_table;          /* foreign keys */
    char *const *ref_columns;
    size_t n_ref_columns;
    const char *name;               /* the declared name, NULL: none */
};

/* SQLAlchemy's Column._label: <table>_<column>, <schema>_<table>_<column>
 * for a table in a schema (dots of the schema as '_'). */
static void column_label(struct strbuf *sb, const struct name_parts *p, const char *column)
{
    if (p->schema) {
        for (const char *c = p->schema; *c; c++)
            strbuf_addch(sb, *c == '.' ? '_' : *c);
        strbuf_addch(sb, '_');
    }
    strbuf_addf(sb, "%s_%s", p->table, column);
}

/* One %(token)s of a template; -1 for a token it cannot fill. */
static int add_token(struct strbuf *sb, const char *tok, size_t len, const struct name_parts *p,
                     int is_check)
{
    char *const *cols = p->columns;
    size_t n = p->n_columns;
    const char *rest;
    int referred = 0;
    char *end;
    unsigned long k;

#define TOKEN_IS(lit) (len == sizeof(lit) - 1 && strncmp(tok, lit, len) == 0)
    if (TOKEN_IS("table_name")) {
        strbuf_adds(sb, p->table);
        return 0;
    }
    if (TOKEN_IS("constraint_name")) {
        if (!p->name)
            return -1;
        strbuf_adds(sb, p->name);
        return 0;
    }
    if (TOKEN_IS("referred_table_name")) {
        if (!p->ref_table)
            return -1;
        strbuf_adds(sb, p->ref_table);
        return 0;
    }
#undef TOKEN_IS
    if (is_check)
        return -1;          /* runner does not parse the condition for columns */
    rest = tok;
    if (len > 9 && strncmp(rest, "referred_", 9) == 0) {
        referred = 1;
        rest += 9;
        cols = p->ref_columns;
        n = p->n_ref_columns;
    }
    if (strncmp(rest, "column_", 7) != 0)
        return -1;
    rest += 7;
    if ((size_t)(tok + len - rest) == 7 && strncmp(rest, "0N_name", 7) == 0) {
        for (size_t i = 0; i < n; i++)
            strbuf_adds(sb, cols[i]);
        return n ? 0 : -1;
    }
    if ((size_t)(tok + len - rest) == 8 && strncmp(rest, "0_N_name", 8) == 0) {
        for (size_t i = 0; i < n; i++)
            strbuf_addf(sb, "%s%s", i ? "_" : "", cols[i]);
        return n ? 0 : -1;
    }
    if (!referred && (size_t)(tok + len - rest) == 8 && strncmp(rest, "0N_label", 8) == 0) {
        for (size_t i = 0; i < n; i++)
            column_label(sb, p, cols[i]);
        return n ? 0 : -1;
    }
    if (!referred && (size_t)(tok + len - rest) == 9 && strncmp(rest, "0_N_label", 9) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_addch(sb, '_');
            column_label(sb, p, cols[i]);
        }
        return n ? 0 : -1;
    }
    if (rest[0] < '0' || rest[0] > '9')
        return -1;
    k = strtoul(rest, &end, 10);
    if (k >= n)
        return -1;
    if ((size_t)(tok + len - end) == 5 && strncmp(end, "_name", 5) == 0) {
        strbuf_adds(sb, cols[k]);
        return 0;
    }
    if (!referred && (size_t)(tok + len - end) == 6 && strncmp(end, "_label", 6) == 0) {
        column_label(sb, p, cols[k]);
        return 0;
    }
    return -1;
}

/* The name a template gives: 0 with *out set, or 1 when the template
 * does not apply (none, or a declared name it would not change) and
 * *out is NULL. */
static int convention_name(const char *tmpl, const struct name_parts *p, int is_check,
                           const char *model, const char *what, char **out, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    *out = NULL;
    if (!tmpl || (p->name && !strstr(tmpl, "%(constraint_name)s")))
        return 1;
    for (const char *c = tmpl; *c; c++) {
        const char *close;

        if (c[0] != '%') {
            strbuf_addch(&sb, *c);
            continue;
        }
        if (c[1] == '%') {
            strbuf_addch(&sb, '%');
            c++;
            continue;
        }
        close = c[1] == '(' ? strstr(c, ")s") : NULL;
        if (!close || add_token(&sb, c + 2, (size_t)(close - c - 2), p, is_check) < 0) {
            int n = close ? (int)(close - c + 2) : (int)strlen(c);

            strbuf_release(&sb);
            if (close && strncmp(c, "%(constraint_name)s", 19) == 0)
                return err_set(e, ERR_FAIL, "model '%s': %s: naming convention '%s' needs a "
                               "declared name", model, what, tmpl);
            return err_set(e, ERR_FAIL, "model '%s': %s: naming convention '%s': cannot fill "
                           "'%.*s'", model, what, tmpl, n, c);
        }
        c = close + 1;
    }
    *out = index_name(&sb);         /* SQLAlchemy's cut of a long conv() name */
    return *out ? 0 : oom(e);
}

/* The one column of t an unnamed check condition names, or NULL when it
 * names none or several: PostgreSQL names the constraint
 * <table>_<column>_check then, else <table>_check.  A light tokenizer:
 * literals, function names (before '(') and type names (after '::') are
 * skipped; identifiers fold to lower case unless quoted. */
static const char *check_column(const struct schema_table *t, const char *cond)
{
    const char *found = NULL;
    struct strbuf word = STRBUF_INIT;

    for (size_t i = 0; cond[i];) {
        unsigned char ch = (unsigned char)cond[i];
        int quoted = 0, after_cast = i >= 2 && cond[i - 1] == ':' && cond[i - 2] == ':';
        const struct schema_column *c;

        if (ch == '\'') {
            for (i++; cond[i] && !(cond[i] == '\'' && cond[i + 1] != '\''); i++)
                if (cond[i] == '\'')
                    i++;
            if (cond[i])
                i++;
            continue;
        }
        strbuf_reset(&word);
        if (ch == '"') {
            quoted = 1;
            for (i++; cond[i] && !(cond[i] == '"' && cond[i + 1] != '"'); i++) {
                if (cond[i] == '"')
                    i++;
                strbuf_addch(&word, cond[i]);
            }
            if (cond[i])
                i++;
        } else if (isalpha(ch) || ch == '_') {
            while (isalnum((unsigned char)cond[i]) || cond[i] == '_' || cond[i] == '$')
                strbuf_addch(&word, (char)tolower((unsigned char)cond[i++]));
        } else {
            i++;
            continue;
        }
        if (after_cast || (!quoted && cond[i] == '('))
            continue;
        c = schema_find_column(t, strbuf_str(&word));
        if (!c)
            continue;
        if (found && strcmp(found, c->name) != 0) {
            found = NULL;
            break;
        }
        found = c->name;
    }
    strbuf_release(&word);
    return found;
}

static int constraint_name_used(const struct schema *s, const struct schema_table *t,
                                const char *name)
{
    for (size_t i = 0; i < s->n_tables; i++) {
        if (strcmp(s->tables[i].schema, t->schema) != 0)
            continue;
        for (size_t k = 0; k < s->tables[i].n_constraints; k++)
            if (s->tables[i].constraints[k].name &&
                strcmp(s->tables[i].constraints[k].name, name) == 0)
                return 1;
    }
    return 0;
}

/* PostgreSQL's ChooseConstraintName() for an unnamed check: the first of
 * <table>_<col>_check, <table>_<col>_check1, ... no constraint of the
 * schema has. */
static char *check_default_name(const struct schema *s, const struct schema_table *t,
                                const char *cond)
{
    const char *col = check_column(t, cond);

    for (unsigned n = 0;; n++) {
        char suffix[32];
        char *name;

        snprintf(suffix, sizeof(suffix), n ? "check%u" : "check", n);
        name = schema_default_constraint_name(t->name, col ? &col : NULL, col ? 1 : 0, suffix);
        if (!name || !constraint_name_used(s, t, name))
            return name;
        free(name);
    }
}

/* Name constraint c (its kind, columns, references and condition set) of
 * table t: the declared name, else the naming convention, else
 * PostgreSQL's own default name. */
static int key_name(const struct schema *s, const runner_naming_convention *nc,
                    const runner_model *m, const struct schema_table *t,
                    struct schema_constraint *c, const char *given, const char *what,
                    struct err *e)
{
    const char *tmpl = NULL;
    struct name_parts parts = {
        .schema = m->schema, .table = t->name, .columns = c->columns,
        .n_columns = c->n_columns, .ref_table = c->ref_table, .ref_columns = c->ref_columns,
        .n_ref_columns = c->n_ref_columns, .name = given,
    };
    int r;

    if (nc) {
        switch (c->kind) {
        case SCHEMA_PRIMARY_KEY: tmpl = nc->pk; break;
        case SCHEMA_UNIQUE: tmpl = nc->uq; break;
        case SCHEMA_FOREIGN_KEY: tmpl = nc->fk; break;
        case SCHEMA_CHECK: tmpl = nc->ck; break;
        }
    }
    r = convention_name(tmpl, &parts, c->kind == SCHEMA_CHECK, m->model, what, &c->name, e);
    if (r <= 0)
        return r;
    if (given)
        return copy_str(&c->name, given, e);
    switch (c->kind) {
    case SCHEMA_PRIMARY_KEY:
        c->name = schema_default_constraint_name(t->name, NULL, 0, "pkey");
        break;
    case SCHEMA_UNIQUE:
    case SCHEMA_FOREIGN_KEY:
        c->name = schema_default_constraint_name(t->name, (const char *const *)c->columns,
                                                 c->n_columns,
                                                 c->kind == SCHEMA_UNIQUE ? "key" : "fkey");
        break;
    case SCHEMA_CHECK:
        c->name = check_default_name(s, t, c->check);
        break;
    }
    return c->name ? 0 : oom(e);
}

/* Name an index: the declared name, else the .ix convention (SQLAlchemy's
 * default "ix_%(column_0_label)s"). */
static int index_key_name(const runner_naming_convention *nc, const runner_model *m,
                          const struct schema_table *t, struct schema_index *ix,
                          const char *given, const char *what, struct err *e)
{
    struct name_parts parts = {
        .schema = m->schema, .table = t->name, .columns = ix->columns,
        .n_columns = ix->n_columns, .name = given,
    };
    const char *tmpl = nc && nc->ix ? nc->ix : "ix_%(column_0_label)s";
    int r = convention_name(tmpl, &parts, 0, m->model, what, &ix->name, e);

    if (r <= 0)
        return r;
    return copy_str(&ix->name, given, e);
}

static int convert_columns(struct schema *s, const runner_model *m, struct schema_table *t,
                           struct err *e)
{
    const char *model = m->model;

    if (!m->columns || !m->columns[0].name)
        return err_set(e, ERR_FAIL, "model '%s': table '%s' has no columns", model, t->name);
    for (const runner_model_column *mc = m->columns; mc->name; mc++) {
        struct schema_column *c;

        if (!*mc->name)
            return err_set(e, ERR_FAIL, "model '%s': column with an empty name", model);
        if (schema_find_column(t, mc->name))
            return err_set(e, ERR_FAIL, "model '%s': duplicate column '%s'", model, mc->name);
        c = schema_add_column(t);
        if (!c)
            return oom(e);
        if (copy_str(&c->name, mc->name, e) < 0)
            return -1;
        c->type = type_sql(s, &mc->type, model, mc->name, 0, e);
        if (!c->type)
            return -1;
        c->not_null = mc->not_null || mc->primary_key;
        if (copy_str(&c->server_default, mc->server_default, e) < 0 ||
            copy_str(&c->comment, mc->comment, e) < 0)
            return -1;
        if ((unsigned)mc->autoincrement > RUNNER_AUTOINCREMENT_YES)
            return err_set(e, ERR_FAIL, "model '%s': column '%s': bad autoincrement %d", model,
                           mc->name, (int)mc->autoincrement);
        if (mc->autoincrement == RUNNER_AUTOINCREMENT_YES) {
            if (!is_integer_type(c->type))
                return err_set(e, ERR_FAIL,
                               "model '%s': column '%s': autoincrement needs an integer type",
                               model, mc->name);
            c->autoincrement = 1;
        }
    }
    return 0;
}

/* Column-level primary_key/unique/index/foreign_key, then the table-level
 * indexes and constraints. */
static int convert_keys(const struct schema *s, const runner_naming_convention *nc,
                        const runner_model *m, struct schema_table *t, struct err *e)
{
    const char *model = m->model;
    struct schema_constraint *pk = NULL;   /* only until the next schema_add_constraint() */
    size_t pk_i = (size_t)-1;              /* the primary key's index in t->constraints */
    struct strbuf what = STRBUF_INIT;
    int ret = -1;

    for (const runner_model_column *mc = m->columns; mc->name; mc++) {
        if (mc->primary_key) {
            if (!pk) {
                pk = schema_add_constraint(t);
                if (!pk)
                    goto oom;
                pk->kind = SCHEMA_PRIMARY_KEY;
                pk_i = t->n_constraints - 1;
            }
            if (schema_list_add(&pk->columns, &pk->n_columns, mc->name) < 0)
                goto oom;
        }
    }
    if (pk && key_name(s, nc, m, t, pk, NULL, "primary key", e) < 0)
        goto out;

    for (const runner_model_column *mc = m->columns; mc->name; mc++) {
        if (mc->index) {
            struct schema_index *ix = schema_add_index(t);

            if (!ix)
                goto oom;
            /* alembic: op.f('ix_<table>_<column>'), SQLAlchemy's
             * "ix_%(column_0_label)s" convention */
            ix->is_expr = calloc(1, 1);
            if (!ix->is_expr || schema_list_add(&ix->columns, &ix->n_columns, mc->name) < 0)
                goto oom;
            strbuf_reset(&what);
            strbuf_addf(&what, "column '%s'", mc->name);
            if (index_key_name(nc, m, t, ix, NULL, strbuf_str(&what), e) < 0)
                goto out;
            ix->unique = mc->unique != 0;
        } else if (mc->unique) {
            struct schema_constraint *uq = schema_add_constraint(t);

            if (!uq)
                goto oom;
            uq->kind = SCHEMA_UNIQUE;
            if (schema_list_add(&uq->columns, &uq->n_columns, mc->name) < 0)
                goto oom;
            strbuf_reset(&what);
            strbuf_addf(&what, "column '%s'", mc->name);
            if (key_name(s, nc, m, t, uq, NULL, strbuf_str(&what), e) < 0)
                goto out;
        }
        if (mc->foreign_key) {
            struct schema_constraint *fk = schema_add_constraint(t);

            if (!fk)
                goto oom;
            fk->kind = SCHEMA_FOREIGN_KEY;
            if (parse_reference(fk, mc->foreign_key, model, mc->name, e) < 0)
                goto out;
            if (schema_list_add(&fk->columns, &fk->n_columns, mc->name) < 0)
                goto oom;
            strbuf_reset(&what);
            strbuf_addf(&what, "column '%s'", mc->name);
            if (key_name(s, nc, m, t, fk, mc->foreign_key_name, strbuf_str(&what), e) < 0)
                goto out;
            if (fk_action(mc->on_delete, &fk->on_delete, model, strbuf_str(&what), e) < 0 ||
                fk_action(mc->on_update, &fk->on_update, model, strbuf_str(&what), e) < 0)
                goto out;
        } else if (mc->on_delete || mc->on_update || mc->foreign_key_name) {
            err_set(e, ERR_FAIL, "model '%s': column '%s': %s without a foreign_key", model,
                    mc->name, mc->foreign_key_name ? "foreign_key_name" : "on_delete/on_update");
            goto out;
        }
    }

    for (const runner_model_index *mi = m->indexes; mi && (mi->columns || mi->name); mi++) {
        struct schema_index *ix = schema_add_index(t);

        if (!ix)
            goto oom;
        if (copy_names(&ix->columns, &ix->n_columns, mi->columns, e) < 0)
            goto out;
        strbuf_reset(&what);
        strbuf_addf(&what, "index '%s'", mi->name ? mi->name : "(unnamed)");
        if (check_columns(t, ix->columns, ix->n_columns, model, strbuf_str(&what), e) < 0)
            goto out;
        if (index_key_name(nc, m, t, ix, mi->name, strbuf_str(&what), e) < 0)
            goto out;
        ix->is_expr = calloc(ix->n_columns, 1);
        if (!ix->is_expr)
            goto oom;
        ix->unique = mi->unique != 0;
        if (copy_str(&ix->where, mi->where, e) < 0)
            goto out;
    }

    for (const runner_constraint *mk = m->constraints; mk && mk->kind; mk++) {
        struct schema_constraint *c;

        strbuf_reset(&what);
        if (mk->kind < RUNNER_PRIMARY_KEY || mk->kind > RUNNER_CHECK) {
            err_set(e, ERR_FAIL, "model '%s': constraint '%s': unknown kind %d", model,
                    mk->name ? mk->name : "(unnamed)", (int)mk->kind);
            goto out;
        }
        strbuf_addf(&what, "%s constraint '%s'",
                    mk->kind == RUNNER_PRIMARY_KEY ? "primary key" :
                    mk->kind == RUNNER_UNIQUE ? "unique" :
                    mk->kind == RUNNER_FOREIGN_KEY ? "foreign key" : "check",
                    mk->name ? mk->name : "(unnamed)");
        if (mk->kind == RUNNER_PRIMARY_KEY && pk_i != (size_t)-1) {
            err_set(e, ERR_FAIL, "model '%s': %s: the table already has a primary key", model,
                    strbuf_str(&what));
            goto out;
        }
        c = schema_add_constraint(t);
        if (!c)
            goto oom;
        c->kind = (enum schema_constraint_kind)mk->kind;
        if (mk->kind == RUNNER_CHECK) {
            if (!mk->check || !*mk->check) {
                err_set(e, ERR_FAIL, "model '%s': %s: a check constraint needs a condition",
                        model, strbuf_str(&what));
                goto out;
            }
            if (copy_str(&c->check, mk->check, e) < 0 ||
                key_name(s, nc, m, t, c, mk->name, strbuf_str(&what), e) < 0)
                goto out;
            continue;
        }
        if (copy_names(&c->columns, &c->n_columns, mk->columns, e) < 0)
            goto out;
        if (check_columns(t, c->columns, c->n_columns, model, strbuf_str(&what), e) < 0)
            goto out;
        if (mk->kind == RUNNER_PRIMARY_KEY) {
            pk_i = t->n_constraints - 1;
            for (size_t i = 0; i < c->n_columns; i++)
                schema_find_column(t, c->columns[i])->not_null = 1;
        }
        if (mk->kind == RUNNER_FOREIGN_KEY) {
            if (!mk->ref_table || !*mk->ref_table) {
                err_set(e, ERR_FAIL, "model '%s': %s: no referenced table", model,
                        strbuf_str(&what));
                goto out;
            }
            if (copy_str(&c->ref_schema, mk->ref_schema, e) < 0 ||
                copy_str(&c->ref_table, mk->ref_table, e) < 0 ||
                copy_names(&c->ref_columns, &c->n_ref_columns, mk->ref_columns, e) < 0 ||
                fk_action(mk->on_delete, &c->on_delete, model, strbuf_str(&what), e) < 0 ||
                fk_action(mk->on_update, &c->on_update, model, strbuf_str(&what), e) < 0)
                goto out;
        }
        if (key_name(s, nc, m, t, c, mk->name, strbuf_str(&what), e) < 0)
            goto out;
    }

    /* SQLAlchemy's autoincrement="auto": a lone integer primary-key column
     * with no default and no foreign key becomes SERIAL. */
    pk = pk_i == (size_t)-1 ? NULL : &t->constraints[pk_i];
    if (pk && pk->n_columns == 1) {
        struct schema_column *c = schema_find_column(t, pk->columns[0]);
        int has_fk = 0;

        for (size_t i = 0; i < t->n_constraints; i++)
            if (t->constraints[i].kind == SCHEMA_FOREIGN_KEY)
                for (size_t j = 0; j < t->constraints[i].n_columns; j++)
                    has_fk |= strcmp(t->constraints[i].columns[j], c->name) == 0;
        for (const runner_model_column *mc = m->columns; mc->name; mc++)
            if (strcmp(mc->name, c->name) == 0 && mc->autoincrement == RUNNER_AUTOINCREMENT_AUTO &&
                is_integer_type(c->type) && !c->server_default && !has_fk)
                c->autoincrement = 1;
    }
    ret = 0;
    goto out;
oom:
    oom(e);
out:
    strbuf_release(&what);
    return ret;
}

/* Foreign keys must point at declared tables and columns; names of
 * indexes and constraints are unique per schema, as in PostgreSQL. */
static int check_references(const struct runner_models *reg, struct schema *s, struct err *e)
{
    for (size_t i = 0; i < s->n_tables; i++) {
        struct schema_table *t = &s->tables[i];
        const char *model = reg->models[i]->model;

        for (size_t k = 0; k < t->n_constraints; k++) {
            struct schema_constraint *c = &t->constraints[k];
            const struct schema_table *ref;

            for (size_t j = 0; j < s->n_tables; j++) {
                const struct schema_table *o = &s->tables[j];

                if (strcmp(o->schema, t->schema) != 0)
                    continue;
                for (size_t l = 0; l < o->n_constraints; l++)
                    if ((j < i || (j == i && l < k)) && strcmp(o->constraints[l].name, c->name) == 0)
                        return err_set(e, ERR_FAIL, "model '%s': duplicate constraint name '%s'",
                                       model, c->name);
                for (size_t l = 0; l < o->n_indexes; l++)
                    if (strcmp(o->indexes[l].name, c->name) == 0)
                        return err_set(e, ERR_FAIL,
                                       "model '%s': constraint '%s' has the name of an index",
                                       model, c->name);
            }
            if (c->kind != SCHEMA_FOREIGN_KEY)
                continue;
            if (!c->ref_schema && !(c->ref_schema = strdup(t->schema)))
                return oom(e);
            ref = schema_find_table(s, c->ref_schema, c->ref_table);
            if (!ref)
                return err_set(e, ERR_FAIL, "model '%s': foreign key '%s': unknown table '%s.%s'",
                               model, c->name, c->ref_schema, c->ref_table);
            if (c->n_ref_columns == 0) {
                const struct schema_constraint *rpk = schema_primary_key(ref);

                if (!rpk)
                    return err_set(e, ERR_FAIL, "model '%s': foreign key '%s': table '%s' has "
                                   "no primary key to reference", model, c->name, ref->name);
                for (size_t j = 0; j < rpk->n_columns; j++)
                    if (schema_list_add(&c->ref_columns, &c->n_ref_columns, rpk->columns[j]) < 0)
                        return oom(e);
            }
            if (c->n_ref_columns != c->n_columns)
                return err_set(e, ERR_FAIL, "model '%s': foreign key '%s': %zu columns reference "
                               "%zu", model, c->name, c->n_columns, c->n_ref_columns);
            for (size_t j = 0; j < c->n_ref_columns; j++)
                if (!schema_find_column(ref, c->ref_columns[j]))
                    return err_set(e, ERR_FAIL, "model '%s': foreign key '%s': unknown column "
                                   "'%s.%s'", model, c->name, ref->name, c->ref_columns[j]);
        }
        for (size_t k = 0; k < t->n_indexes; k++)
            for (size_t j = 0; j <= i; j++) {
                const struct schema_table *o = &s->tables[j];

                if (strcmp(o->schema, t->schema) != 0)
                    continue;
                for (size_t l = 0; l < (j == i ? k : o->n_indexes); l++)
                    if (strcmp(o->indexes[l].name, t->indexes[k].name) == 0)
                        return err_set(e, ERR_FAIL, "model '%s': duplicate index name '%s'",
                                       model, t->indexes[k].name);
            }
    }
    return 0;
}

int models_convert(const struct runner_models *reg, struct schema *out, struct err *e)
{
    struct schema s = SCHEMA_INIT;

    if (!reg->models)
        return err_set(e, ERR_FAIL, "models registry lists no models");
    for (size_t i = 0; reg->models[i]; i++) {
        const runner_model *m = reg->models[i];
        const char *model = m->model ? m->model : "(unnamed)";
        const char *sch = m->schema ? m->schema : SCHEMA_DEFAULT;
        struct schema_table *t;

        if (!m->table || !*m->table) {
            err_set(e, ERR_FAIL, "model '%s': no table name", model);
            goto fail;
        }
        if (schema_find_table(&s, sch, m->table)) {
            for (size_t j = 0; j < i; j++)
                if (strcmp(reg->models[j]->table, m->table) == 0 &&
                    strcmp(reg->models[j]->schema ? reg->models[j]->schema : SCHEMA_DEFAULT,
                           sch) == 0)
                    model = reg->models[j]->model ? reg->models[j]->model : model;
            err_set(e, ERR_FAIL, "model '%s': duplicate table '%s' (also declared by model '%s')",
                    m->model ? m->model : "(unnamed)", m->table, model);
            goto fail;
        }
        t = schema_add_table(&s);
        if (!t || !(t->schema = strdup(sch)) || !(t->name = strdup(m->table)) ||
            copy_str(&t->comment, m->comment, e) < 0) {
            oom(e);
            goto fail;
        }
        if (!m->model) {
            err_set(e, ERR_FAIL, "model for table '%s' has no name (declare it with RUNNER_MODEL)",
                    m->table);
            goto fail;
        }
        if (convert_columns(&s, m, t, e) < 0 || convert_keys(&s, reg->naming, m, t, e) < 0)
            goto fail;
    }
    if (check_references(reg, &s, e) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    schema_release(&s);
    return -1;
}

int models_load(const char *path, struct schema *out, struct err *e)
{
    return models_load_trusted(path, 0, out, e);
}

int models_load_trusted(const char *path, int allow_unsafe, struct schema *out, struct err *e)
{
    struct trust_opts to = { allow_unsafe };
    const struct runner_models *reg;
    struct stat st;
    void *dl;
    int fd, r, ret = -1;

    /* issue 10.2: the models plugin is code like any revision: the file
     * and every directory above it pass trust.c's rule, and the descriptor
     * checked is the file loaded (a relative name needs no "./" then) */
    r = trust_open(AT_FDCWD, path, path, "models plugin", 0, &to, &fd, &st, e);
    if (r > 0)
        return err_set(e, ERR_FAIL, "cannot open models plugin '%s': %s", path, strerror(ENOENT));
    if (r < 0)
        return -1;
    /* RTLD_NOW: an unresolved symbol fails here, not later */
    dl = trust_dlopen_fd(fd, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        close(fd);
        const char *why = dlerror();

        return err_set(e, ERR_FAIL, "cannot open models plugin '%s': %s", path,
                       why ? why : "unknown error");
    }
    reg = dlsym(dl, RUNNER_MODELS_SYMBOL);
    if (!reg) {
        err_set(e, ERR_FAIL, "models plugin '%s': no '%s' symbol (missing RUNNER_MODELS)", path,
                RUNNER_MODELS_SYMBOL);
        goto out;
    }
    if (reg->magic != RUNNER_MODELS_MAGIC) {
        err_set(e, ERR_FAIL, "models plugin '%s': bad magic 0x%08x, not a models registry", path,
                (unsigned)reg->magic);
        goto out;
    }
    if (reg->abi_version != RUNNER_MODELS_ABI_VERSION) {
        err_set(e, ERR_FAIL, "models plugin '%s': built for models ABI version %u, runner has %u",
                path, (unsigned)reg->abi_version, RUNNER_MODELS_ABI_VERSION);
        goto out;
    }
    if (reg->size < sizeof(struct runner_models)) {
        err_set(e, ERR_FAIL, "models plugin '%s': registry is %u bytes, expected %zu", path,
                (unsigned)reg->size, sizeof(struct runner_models));
        goto out;
    }
    if (models_convert(reg, out, e) < 0) {
        err_prefix(e, "models plugin '%s'", path);
        goto out;
    }
    ret = 0;
out:
    trust_dlclose_fd(dl, fd);
    return ret;
}
