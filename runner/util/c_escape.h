/* c_escape.h -- the one place text is written into generated C: string
 * literals and comment text, for the revision template (revision_source.c)
 * and autogenerate's op_* calls (codegen.c).  Whatever the text (a
 * hostile message, id or database name), the output compiles under
 * -std=c11 -Wall -Wextra -Werror, ends where it should (no early '"' or
 * comment end), and means the same bytes.  What the C means is the
 * callers' business. */
#ifndef RUNNER_C_ESCAPE_H
#define RUNNER_C_ESCAPE_H

#include "strbuf.h"

/* Append s as a C string literal, quotes included: '"', '\\', control
 * characters and every byte >= 0x7f escaped (octal, always three digits
 * so no escape runs into the next character; non-ASCII as octal also
 * keeps bidirectional controls out of the source), the second '?' of a
 * pair escaped (no trigraph).  NULL appends NULL. */
void c_escape_literal(struct strbuf *sb, const char *s);

/* Append s as the text of a block comment: "*" "/" and "/" "*" are
 * broken apart, trigraphs broken, unpaired bidirectional controls shown
 * as <U+XXXX>, other UTF-8 kept for reading.  C_COMMENT_LINES keeps line
 * breaks as new " * " comment lines (a message); C_COMMENT_ONE_LINE shows
 * them and every other control character as \n, \x1b (an id or a date,
 * which must not fake a line of its own). */
enum c_comment_mode { C_COMMENT_LINES, C_COMMENT_ONE_LINE };
void c_escape_comment(struct strbuf *sb, const char *s, enum c_comment_mode mode);

#endif
