/* sql_split.c -- statements of a script (see sql_split.h), cut by
 * PostgreSQL's own scanner (libpg_query's pg_query_split_with_scanner):
 * it knows every way a ';' can hide (literals, E'' escapes, quoted
 * identifiers, dollar quotes, nested comments) as the server does. */
#include "sql_split.h"

#include <ctype.h>
#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

/* Append s[0, len), trimmed of surrounding blanks; empty pieces drop. */
static int push(struct sql_split *out, const char *s, size_t len)
{
    char **grown;
    char *copy;

    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len)
        return 0;
    grown = realloc(out->stmts, (out->n + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    out->stmts = grown;
    copy = strndup(s, len);
    if (!copy)
        return -1;
    out->stmts[out->n++] = copy;
    return 0;
}

int sql_split_spans(const char *script, struct sql_span **spans, size_t *n)
{
    PgQuerySplitResult r = pg_query_split_with_scanner(script);
    size_t len = strlen(script);
    struct sql_span *v;

    *spans = NULL;
    *n = 0;
    v = calloc(r.error || r.n_stmts == 0 ? 1 : (size_t)r.n_stmts, sizeof(*v));
    if (!v) {
        pg_query_free_split_result(r);
        return -1;
    }
    if (r.error) {
        /* an unterminated quote or comment: one piece, the server says why */
        v[(*n)++] = (struct sql_span){ 0, len };
    } else {
        /* the scanner leaves out pieces without a token (blanks, comments) */
        for (int i = 0; i < r.n_stmts; i++) {
            size_t at = (size_t)r.stmts[i]->stmt_location;
            size_t k = (size_t)r.stmts[i]->stmt_len;

            if (at > len)
                continue;
            if (k == 0 || k > len - at)
                k = len - at;       /* the last one: stmt_len 0 means "to the end" */
            v[(*n)++] = (struct sql_span){ at, at + k };
        }
    }
    pg_query_free_split_result(r);
    *spans = v;
    return 0;
}

int sql_split(const char *script, struct sql_split *out)
{
    struct sql_span *spans;
    size_t n;
    int ret = 0;

    out->stmts = NULL;
    out->n = 0;
    if (sql_split_spans(script, &spans, &n) < 0)
        return -1;
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = push(out, script + spans[i].start, spans[i].end - spans[i].start);
    free(spans);
    if (ret < 0)
        sql_split_release(out);
    return ret;
}

void sql_split_release(struct sql_split *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->stmts[i]);
    free(s->stmts);
    s->stmts = NULL;
    s->n = 0;
}
