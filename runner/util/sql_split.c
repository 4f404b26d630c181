/* sql_split.c -- statements of a script (see sql_split.h). */
#include "sql_split.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Length of a dollar-quote tag starting at p ("$tag$" or "$$"), 0 if p
 * does not start one.  A tag is an identifier without '$' and cannot
 * start with a digit ($1 is a parameter). */
static size_t dollar_tag(const char *p)
{
    size_t i = 1;

    if (p[0] != '$')
        return 0;
    if (isdigit((unsigned char)p[1]))
        return 0;
    while (p[i] && p[i] != '$' &&
           (isalnum((unsigned char)p[i]) || p[i] == '_' || (unsigned char)p[i] >= 0x80))
        i++;
    return p[i] == '$' ? i + 1 : 0;
}

/* Whether [s, s + len) holds anything but blanks and comments. */
static int has_code(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        if (isspace((unsigned char)s[i])) {
            i++;
        } else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-') {
            while (i < len && s[i] != '\n')
                i++;
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            int depth = 1;

            i += 2;
            while (i < len && depth > 0) {
                if (s[i] == '/' && i + 1 < len && s[i + 1] == '*')
                    depth++, i += 2;
                else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/')
                    depth--, i += 2;
                else
                    i++;
            }
        } else {
            return 1;
        }
    }
    return 0;
}

static int push(struct sql_split *out, const char *s, size_t len)
{
    char **grown;
    char *copy;

    if (!has_code(s, len))
        return 0;
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
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

int sql_split(const char *script, struct sql_split *out)
{
    const char *start = script, *p = script;

    out->stmts = NULL;
    out->n = 0;
    while (*p) {
        size_t tag;

        if (*p == '\'') {
            /* E'...' (or e'...') honours backslash escapes */
            int backslash = p > script && (p[-1] == 'E' || p[-1] == 'e') &&
                            (p - 1 == script || !(isalnum((unsigned char)p[-2]) || p[-2] == '_'));

            for (p++; *p; p++) {
                if (backslash && *p == '\\' && p[1]) {
                    p++;
                } else if (*p == '\'') {
                    if (p[1] != '\'')
                        break;
                    p++;
                }
            }
            if (*p)
                p++;
        } else if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++)
                if (*p == '"')
                    p++;
            if (*p)
                p++;
        } else if (*p == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '/' && p[1] == '*') {
            int depth = 1;

            for (p += 2; *p && depth > 0;) {
                if (*p == '/' && p[1] == '*')
                    depth++, p += 2;
                else if (*p == '*' && p[1] == '/')
                    depth--, p += 2;
                else
                    p++;
            }
        } else if (*p == '$' && (p == script || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
                   (tag = dollar_tag(p)) > 0) {
            const char *end;

            for (end = p + tag; *end && strncmp(end, p, tag) != 0; end++)
                ;
            p = *end ? end + tag : end;
        } else if (*p == ';') {
            if (push(out, start, (size_t)(p - start)) < 0)
                goto oom;
            start = ++p;
        } else {
            p++;
        }
    }
    if (push(out, start, (size_t)(p - start)) < 0)
        goto oom;
    return 0;
oom:
    sql_split_release(out);
    return -1;
}

void sql_split_release(struct sql_split *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->stmts[i]);
    free(s->stmts);
    s->stmts = NULL;
    s->n = 0;
}
