/* sql_split.h -- cut a SQL script into its statements, as psql does, so
 * that each can be run (and watched) on its own.
 *
 * PostgreSQL's own scanner (libpg_query) finds the top-level ';', so
 * whatever can hide one ('literals', E'escapes', "identifiers", $tag$
 * dollar quotes, nested comments) hides it here as in the server.  It
 * does not parse SQL: a statement is whatever lies between two top-level
 * ';'.  Pieces holding only blanks and comments are dropped.  Pure: no
 * I/O, no libpq.  Running the pieces is the
 * caller's (ops.c, only inside a transaction, where running them one by
 * one means the same as sending the script at once). */
#ifndef RUNNER_SQL_SPLIT_H
#define RUNNER_SQL_SPLIT_H

#include <stddef.h>

/* The statements of a script, each a malloc'd string without its ';'.
 * The caller owns it; sql_split_release() frees all. */
struct sql_split {
    char **stmts;
    size_t n;
};

#define SQL_SPLIT_INIT { NULL, 0 }

/* Split script into *out (SQL_SPLIT_INIT first).  0, or -1 when out of
 * memory (then *out is empty).  An unterminated quote or comment runs to
 * the end of the script: the server reports it. */
int sql_split(const char *script, struct sql_split *out);
void sql_split_release(struct sql_split *s);

/* Where the statements of script lie: [start, end) byte ranges in order,
 * a statement's own blanks and comments around it included, its ';' not
 * (pg.c names the failing statement of a script with them).  *spans is
 * the caller's to free.  0, or -1 when out of memory. */
struct sql_span {
    size_t start, end;
};

int sql_split_spans(const char *script, struct sql_span **spans, size_t *n);

#endif
