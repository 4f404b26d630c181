/* sql_quote.c -- identifier and literal quoting; see sql_quote.h. */
#include "sql_quote.h"

#include <ctype.h>
#include <string.h>

/* PostgreSQL's reserved (and type/function-name) keywords: SQLAlchemy
 * quotes these, so offline output quotes them the same way. */
static const char *const reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
    "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull",
    "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
    "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
    "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when",
    "where", "window", "with", NULL,
};

static int is_bare(const char *name)
{
    if (!(islower((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (const char *s = name; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '$'))
            return 0;
    for (size_t i = 0; reserved[i]; i++)
        if (strcmp(reserved[i], name) == 0)
            return 0;
    return 1;
}

void sql_quote_ident(struct strbuf *sb, const char *name)
{
    strbuf_addch(sb, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            strbuf_addch(sb, '"');
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '"');
}

void sql_quote_ident_min(struct strbuf *sb, const char *name)
{
    if (is_bare(name))
        strbuf_adds(sb, name);
    else
        sql_quote_ident(sb, name);
}

/* With standard_conforming_strings on (the default since PostgreSQL 9.1) a
 * backslash in '...' is an ordinary character, and doubling the quotes is
 * all the escaping there is.  A script from --sql may run on a session
 * where it is off, though, and there '\' escapes the next character (a
 * value ending in a backslash would then swallow the closing quote).  E'...'
 * with backslashes doubled means the same under both settings, so it is
 * used whenever the value holds a backslash (libpq's PQescapeLiteral does
 * the same, but needs a connection, which --sql does not have). */
void sql_quote_literal(struct strbuf *sb, const char *value)
{
    if (!value) {
        strbuf_adds(sb, "NULL");
        return;
    }
    if (strchr(value, '\\'))
        strbuf_addch(sb, 'E');
    strbuf_addch(sb, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            strbuf_addch(sb, *p);
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '\'');
}
