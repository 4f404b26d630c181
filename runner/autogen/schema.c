/* schema.c -- the in-memory schema: building, lookup, release, and the
 * normalisation of types, defaults and default names that lets a model
 * and the catalogs compare equal.  Pure code. */
#include "schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void column_release(struct schema_column *c)
{
    free(c->name);
    free(c->type);
    free(c->server_default);
    free(c->server_default_rendered);
    free(c->comment);
}

static void index_release(struct schema_index *ix)
{
    free(ix->name);
    free_list(ix->columns, ix->n_columns);
    free(ix->is_expr);
    free(ix->where);
    free(ix->definition);
}

static void constraint_release(struct schema_constraint *c)
{
    free(c->name);
    free_list(c->columns, c->n_columns);
    free(c->ref_schema);
    free(c->ref_table);
    free_list(c->ref_columns, c->n_ref_columns);
    free(c->on_delete);
    free(c->on_update);
    free(c->check);
    free(c->definition);
}

static void table_release(struct schema_table *t)
{
    free(t->schema);
    free(t->name);
    for (size_t i = 0; i < t->n_columns; i++)
        column_release(&t->columns[i]);
    free(t->columns);
    for (size_t i = 0; i < t->n_indexes; i++)
        index_release(&t->indexes[i]);
    free(t->indexes);
    for (size_t i = 0; i < t->n_constraints; i++)
        constraint_release(&t->constraints[i]);
    free(t->constraints);
    free(t->comment);
}

void schema_release(struct schema *s)
{
    for (size_t i = 0; i < s->n_tables; i++)
        table_release(&s->tables[i]);
    free(s->tables);
    for (size_t i = 0; i < s->n_enums; i++) {
        free(s->enums[i].schema);
        free(s->enums[i].name);
        free_list(s->enums[i].labels, s->enums[i].n_labels);
    }
    free(s->enums);
    *s = (struct schema)SCHEMA_INIT;
}

/* Grow *arr (of *n elements of size sz) by one zeroed element. */
static void *grow(void *arr_p, size_t *n, size_t sz)
{
    void **arr = arr_p;
    char *p = realloc(*arr, (*n + 1) * sz);

    if (!p)
        return NULL;
    *arr = p;
    memset(p + *n * sz, 0, sz);
    return p + (*n)++ * sz;
}

struct schema_table *schema_add_table(struct schema *s)
{
    return grow(&s->tables, &s->n_tables, sizeof(*s->tables));
}

struct schema_enum *schema_add_enum(struct schema *s)
{
    return grow(&s->enums, &s->n_enums, sizeof(*s->enums));
}

struct schema_column *schema_add_column(struct schema_table *t)
{
    return grow(&t->columns, &t->n_columns, sizeof(*t->columns));
}

struct schema_index *schema_add_index(struct schema_table *t)
{
    return grow(&t->indexes, &t->n_indexes, sizeof(*t->indexes));
}

struct schema_constraint *schema_add_constraint(struct schema_table *t)
{
    return grow(&t->constraints, &t->n_constraints, sizeof(*t->constraints));
}

int schema_list_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

int schema_list_add(char ***list, size_t *n, const char *name)
{
    char *copy = strdup(name);
    char **slot;

    if (!copy)
        return -1;
    slot = grow(list, n, sizeof(**list));
    if (!slot) {
        free(copy);
        return -1;
    }
    *slot = copy;
    return 0;
}

struct schema_table *schema_find_table(const struct schema *s, const char *schema,
                                       const char *name)
{
    for (size_t i = 0; i < s->n_tables; i++)
        if (strcmp(s->tables[i].name, name) == 0 &&
            strcmp(s->tables[i].schema, schema ? schema : SCHEMA_DEFAULT) == 0)
            return &s->tables[i];
    return NULL;
}

struct schema_enum *schema_find_enum(const struct schema *s, const char *schema,
                                     const char *name)
{
    for (size_t i = 0; i < s->n_enums; i++)
        if (strcmp(s->enums[i].name, name) == 0 &&
            strcmp(s->enums[i].schema, schema ? schema : SCHEMA_DEFAULT) == 0)
            return &s->enums[i];
    return NULL;
}

struct schema_column *schema_find_column(const struct schema_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_columns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return &t->columns[i];
    return NULL;
}

struct schema_index *schema_find_index(const struct schema_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_indexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return &t->indexes[i];
    return NULL;
}

struct schema_constraint *schema_find_constraint(const struct schema_table *t,
                                                 const char *name)
{
    for (size_t i = 0; i < t->n_constraints; i++)
        if (strcmp(t->constraints[i].name, name) == 0)
            return &t->constraints[i];
    return NULL;
}

const struct schema_constraint *schema_primary_key(const struct schema_table *t)
{
    for (size_t i = 0; i < t->n_constraints; i++)
        if (t->constraints[i].kind == SCHEMA_PRIMARY_KEY)
            return &t->constraints[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Types. */

/* Base type synonyms: what may be written -> what format_type() prints. */
static const struct {
    const char *from;
    const char *to;
    int serial;
} type_synonyms[] = {
    { "int", "integer", 0 },
    { "int4", "integer", 0 },
    { "integer", "integer", 0 },
    { "serial", "integer", 1 },
    { "serial4", "integer", 1 },
    { "int8", "bigint", 0 },
    { "bigint", "bigint", 0 },
    { "bigserial", "bigint", 1 },
    { "serial8", "bigint", 1 },
    { "int2", "smallint", 0 },
    { "smallint", "smallint", 0 },
    { "smallserial", "smallint", 1 },
    { "serial2", "smallint", 1 },
    { "varchar", "character varying", 0 },
    { "character varying", "character varying", 0 },
    { "char varying", "character varying", 0 },
    { "char", "character", 0 },
    { "character", "character", 0 },
    { "bpchar", "character", 0 },
    { "bool", "boolean", 0 },
    { "boolean", "boolean", 0 },
    { "float8", "double precision", 0 },
    { "double precision", "double precision", 0 },
    { "float", "double precision", 0 },
    { "float4", "real", 0 },
    { "real", "real", 0 },
    { "decimal", "numeric", 0 },
    { "numeric", "numeric", 0 },
    { "timestamp", "timestamp without time zone", 0 },
    { "timestamp without time zone", "timestamp without time zone", 0 },
    { "timestamptz", "timestamp with time zone", 0 },
    { "timestamp with time zone", "timestamp with time zone", 0 },
    { "time", "time without time zone", 0 },
    { "time without time zone", "time without time zone", 0 },
    { "timetz", "time with time zone", 0 },
    { "time with time zone", "time with time zone", 0 },
    { "varbit", "bit varying", 0 },
};

/* The base name of a type with the modifier moved out: "timestamp(3) with
 * time zone" -> base "timestamp with time zone", mod "(3)". */
static void split_modifier(const char *in, struct strbuf *base, struct strbuf *mod)
{
    int depth = 0;
    int space = 0;
    int quoted = 0;

    for (const char *p = in; *p; p++) {
        if (*p == '"' && depth == 0) {
            if (!quoted && space && base->len)
                strbuf_addch(base, ' ');
            space = 0;
            quoted = !quoted;
            strbuf_addch(base, '"');
            continue;
        }
        if (quoted) {
            strbuf_addch(base, *p);   /* a quoted name keeps its case and spaces */
            continue;
        }
        if (*p == '(' || depth > 0) {
            if (*p == '(')
                depth++;
            if (!isspace((unsigned char)*p))
                strbuf_addch(mod, *p);
            if (*p == ')')
                depth--;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            space = 1;
            continue;
        }
        if (space && base->len)
            strbuf_addch(base, ' ');
        space = 0;
        strbuf_addch(base, (char)tolower((unsigned char)*p));
    }
}

char *schema_type_normalise(const char *type, int *serial)
{
    struct strbuf base = STRBUF_INIT, mod = STRBUF_INIT, out = STRBUF_INIT;
    size_t dims = 0;
    const char *name;
    char *b;

    if (serial)
        *serial = 0;
    split_modifier(type, &base, &mod);
    b = base.buf ? base.buf : "";
    /* array suffixes: "integer[]", "integer []" (the modifier split took
     * the brackets into base) */
    while (base.len >= 2 && strcmp(b + base.len - 2, "[]") == 0) {
        base.len -= 2;
        b[base.len] = '\0';
        while (base.len && b[base.len - 1] == ' ')
            b[--base.len] = '\0';
        dims++;
    }
    if (base.len > 6 && strcmp(b + base.len - 6, " array") == 0) {
        base.len -= 6;
        b[base.len] = '\0';
        dims++;
    }
    name = b;
    for (size_t i = 0; i < sizeof(type_synonyms) / sizeof(type_synonyms[0]); i++) {
        if (strcmp(b, type_synonyms[i].from) == 0) {
            name = type_synonyms[i].to;
            if (serial)
                *serial = type_synonyms[i].serial;
            break;
        }
    }
    /* the modifier goes where format_type() puts it: inside the
     * "timestamp(3) with time zone" spelling */
    if (mod.len && (strncmp(name, "timestamp ", 10) == 0 || strncmp(name, "time ", 5) == 0)) {
        const char *sp = strchr(name, ' ');

        strbuf_add(&out, name, (size_t)(sp - name));
        strbuf_adds(&out, strbuf_str(&mod));
        strbuf_adds(&out, sp);
    } else {
        strbuf_adds(&out, name);
        /* character without a length is character(1), as format_type() says */
        if (!mod.len && strcmp(name, "character") == 0)
            strbuf_adds(&out, "(1)");
        strbuf_adds(&out, strbuf_str(&mod));
    }
    while (dims--)
        strbuf_adds(&out, "[]");
    strbuf_release(&base);
    strbuf_release(&mod);
    return strbuf_detach(&out);
}

char *schema_type_display(const char *t)
{
    static const struct {
        const char *prefix;
        const char *shown;
    } shorter[] = {
        { "character varying", "varchar" },
        { "timestamp without time zone", "timestamp" },
        { "timestamp with time zone", "timestamptz" },
        { "time without time zone", "time" },
        { "time with time zone", "timetz" },
    };
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < sizeof(shorter) / sizeof(shorter[0]); i++) {
        size_t n = strlen(shorter[i].prefix);

        if (strncmp(t, shorter[i].prefix, n) == 0 && (t[n] == '\0' || t[n] == '(' || t[n] == '[')) {
            strbuf_adds(&sb, shorter[i].shown);
            strbuf_adds(&sb, t + n);
            return strbuf_detach(&sb);
        }
    }
    strbuf_adds(&sb, t);
    return strbuf_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* Defaults. */

/* Index just past the quoted literal starting at s[i] == '\''. */
static size_t skip_literal(const char *s, size_t i)
{
    for (i++; s[i]; i++) {
        if (s[i] == '\'') {
            if (s[i + 1] == '\'') {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return i;
}

/* Drop "::type" casts: ::name, ::"name", ::character varying(20)[],
 * ::timestamp without time zone. */
static size_t skip_cast(const char *s, size_t i)
{
    static const char *const multiword[] = {
        "character varying", "double precision", "timestamp without time zone",
        "timestamp with time zone", "time without time zone", "time with time zone",
        "bit varying",
    };

    for (size_t k = 0; k < sizeof(multiword) / sizeof(multiword[0]); k++) {
        size_t n = strlen(multiword[k]);

        if (strncmp(s + i, multiword[k], n) == 0) {
            i += n;
            goto modifier;
        }
    }
    if (s[i] == '"') {
        for (i++; s[i] && s[i] != '"'; i++)
            ;
        if (s[i])
            i++;
    } else {
        while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.')
            i++;
    }
modifier:
    if (s[i] == '(') {
        while (s[i] && s[i] != ')')
            i++;
        if (s[i])
            i++;
    }
    while (s[i] == '[' && s[i + 1] == ']')
        i += 2;
    return i;
}

/* 1 when s is one balanced parenthesised group: "(a + (b))". */
static int wrapped_in_parens(const char *s, size_t len)
{
    int depth = 0;

    if (len < 2 || s[0] != '(' || s[len - 1] != ')')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'') {
            i = skip_literal(s, i) - 1;
            continue;
        }
        if (s[i] == '(')
            depth++;
        else if (s[i] == ')' && --depth == 0 && i != len - 1)
            return 0;
    }
    return 1;
}

static int is_number(const char *s, size_t len)
{
    size_t i = 0;
    int digits = 0;

    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < len; i++) {
        if (isdigit((unsigned char)s[i]))
            digits = 1;
        else if (s[i] != '.')
            return 0;
    }
    return digits;
}

static char *normalise(const char *expr, int keep_casts);

char *schema_default_normalise(const char *expr)
{
    return normalise(expr, 0);
}

char *schema_default_normalise_keep_casts(const char *expr)
{
    return normalise(expr, 1);
}

static char *normalise(const char *expr, int keep_casts)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s;
    size_t len;
    char *out;

    if (!expr)
        return NULL;
    for (size_t i = 0; expr[i];) {
        if (expr[i] == '\'') {
            size_t end = skip_literal(expr, i);

            strbuf_add(&sb, expr + i, end - i);
            i = end;
        } else if (expr[i] == ':' && expr[i + 1] == ':' && !keep_casts) {
            i = skip_cast(expr, i + 2);
        } else if (expr[i] == '"') {
            size_t end = i + 1;

            while (expr[end] && expr[end] != '"')
                end++;
            if (expr[end])
                end++;
            strbuf_add(&sb, expr + i, end - i);
            i = end;
        } else if (isspace((unsigned char)expr[i])) {
            while (isspace((unsigned char)expr[i]))
                i++;
            if (sb.len)
                strbuf_addch(&sb, ' ');
        } else {
            strbuf_addch(&sb, (char)tolower((unsigned char)expr[i]));
            i++;
        }
    }
    if (strbuf_failed(&sb)) {
        strbuf_release(&sb);
        return NULL;
    }
    s = strbuf_str(&sb);
    len = sb.len;
    while (len && s[len - 1] == ' ')
        len--;
    while (wrapped_in_parens(s, len)) {
        s++;
        len -= 2;
    }
    /* '42' (a cast number, as PostgreSQL prints negative numbers) is 42 */
    if (!keep_casts && len >= 2 && s[0] == '\'' && s[len - 1] == '\'' && is_number(s + 1, len - 2)) {
        s++;
        len -= 2;
    }
    if ((len == 17 && strncmp(s, "current_timestamp", 17) == 0) ||
        (len == 19 && strncmp(s, "current_timestamp()", 19) == 0) ||
        (len == 21 && strncmp(s, "transaction_timestamp", 21) == 0) ||
        (len == 23 && strncmp(s, "transaction_timestamp()", 23) == 0)) {
        s = "now()";
        len = 5;
    }
    out = strndup(s, len);
    strbuf_release(&sb);
    return out;
}

int schema_default_is_sequence(const char *expr)
{
    return expr && strncmp(expr, "nextval(", 8) == 0;
}

/* PostgreSQL's makeObjectName(): name1_name2_label within NAMEDATALEN - 1
 * bytes, shortening the longer of name1 and name2 first.  NEEDSWORK: does
 * not clip inside a multibyte character as pg_mbcliplen() would. */
char *schema_default_constraint_name(const char *table, const char *const *columns,
                                     size_t n_columns, const char *suffix)
{
    struct strbuf cols = STRBUF_INIT, out = STRBUF_INIT;
    size_t avail = 63, n1, n2;

    for (size_t i = 0; i < n_columns; i++) {
        if (i)
            strbuf_addch(&cols, '_');
        strbuf_adds(&cols, columns[i]);
    }
    if (cols.len)
        avail -= 1;
    avail -= strlen(suffix) + 1;
    n1 = strlen(table);
    n2 = cols.len;
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1--;
        else
            n2--;
    }
    strbuf_add(&out, table, n1);
    if (cols.len) {
        strbuf_addch(&out, '_');
        strbuf_add(&out, strbuf_str(&cols), n2);
    }
    strbuf_addch(&out, '_');
    strbuf_adds(&out, suffix);
    strbuf_release(&cols);
    return strbuf_detach(&out);
}
