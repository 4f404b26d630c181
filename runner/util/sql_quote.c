/* sql_quote.c -- identifier and literal quoting; see sql_quote.h. */
#include "sql_quote.h"

#include <string.h>

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
