/* sql_quote.h -- the one place SQL text is quoted: identifiers and string
 * literals, for every statement runner renders (the op_* helpers, --sql
 * output, the version and history tables, autogenerate's code).
 *
 * Nothing here checks that a name is a sensible identifier (empty, too
 * long): callers that take names from users do that first. */
#ifndef RUNNER_SQL_QUOTE_H
#define RUNNER_SQL_QUOTE_H

#include "strbuf.h"

/* Append name as a double-quoted identifier: embedded '"' doubled,
 * everything else (';', '\\', newlines, any UTF-8) kept verbatim, which is
 * safe inside "". */
void sql_quote_ident(struct strbuf *sb, const char *name);

/* Append name as SQLAlchemy renders an identifier, which is what
 * Alembic's --sql output shows: bare when it is a lowercase legal name
 * ([a-z_][a-z0-9_$]*) and not a PostgreSQL reserved word, else as
 * sql_quote_ident() writes it.  Either way the server reads back exactly
 * `name`. */
void sql_quote_ident_min(struct strbuf *sb, const char *name);

/* Append a string literal that means the same whatever
 * standard_conforming_strings says: 'text' with quotes doubled, or
 * E'text' with quotes and backslashes doubled when the text holds a
 * backslash.  NULL appends NULL. */
void sql_quote_literal(struct strbuf *sb, const char *value);

#endif
