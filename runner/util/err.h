/* err.h -- the error value every layer fills and only cli.c prints.
 *
 * A struct err is fixed buffers: setting it cannot fail or leak.  Inner
 * layers report with `return err_set(e, ERR_FAIL, "...")`; outer layers add
 * context with err_prefix().  Messages are lowercase, unpunctuated, problem
 * first, subject quoted, and never contain a password.  A subject the user
 * typed (an argument, a file name) goes through err_quote() first, so that
 * it is shown escaped and cut to a readable length.
 *
 * Beside the one-line message, a PostgreSQL error keeps its DETAIL, HINT
 * and CONTEXT fields and the statement position (err_server_fields); the
 * CLI prints them under the message the way psql does.  Filling them is
 * pg.c's job, printing them cli.c's. */
#ifndef RUNNER_ERR_H
#define RUNNER_ERR_H

#include <stddef.h>

enum err_code {
    ERR_OK = 0,
    ERR_FAIL = 1,       /* exit status 1: the operation failed */
    ERR_USAGE = 2,      /* exit status 2: bad usage or bad target syntax */
};

#define ERR_MSG_SIZE 1024
#define ERR_FIELD_SIZE 512      /* each of DETAIL, HINT, CONTEXT */

struct err {
    enum err_code code;         /* ERR_OK until something fails */
    char sqlstate[6];           /* PostgreSQL's SQLSTATE, "" when none */
    char msg[ERR_MSG_SIZE];     /* one line, no trailing newline */
    char detail[ERR_FIELD_SIZE];    /* the server's DETAIL, "" when none; may hold '\n' */
    char hint[ERR_FIELD_SIZE];      /* HINT, "" when none */
    char context[ERR_FIELD_SIZE];   /* CONTEXT (e.g. the PL/pgSQL stack), "" when none */
    int position;               /* the server's error position: 1-based character of
                                 * the whole text sent, 0 when none */
};

#define ERR_INIT { ERR_OK, "", "", "", "", "", 0 }

/* Fill *e (when not NULL) and return -1.  Newlines in the text become
 * spaces so the message stays one line, and any other control character
 * is shown escaped (\x1b), so no message can drive a terminal.  A new
 * error: the server fields of an earlier one are cleared. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "<context>: " to the message already in *e; returns -1.  The
 * server fields stay. */
int err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record the SQLSTATE (5 characters) beside the message. */
void err_sqlstate(struct err *e, const char *state);

/* Record PostgreSQL's DETAIL, HINT and CONTEXT (NULL: none; cut to fit)
 * and the statement position (0: none). */
void err_server_fields(struct err *e, const char *detail, const char *hint,
                       const char *context, int position);

/* Reset to ERR_INIT. */
void err_clear(struct err *e);

/* A user-supplied subject (argument, option, path) as it may appear in a
 * message: control characters escaped C-style (\n, \t, \x1b; the C1
 * controls U+0080..U+009F as \u009b), everything else verbatim, cut after
 * ERR_QUOTE_MAX bytes (on a UTF-8 boundary) with "...".  Writes into buf
 * (ERR_QUOTE_SIZE bytes are always enough) and returns it; NULL is shown
 * as "".  Use: char q[ERR_QUOTE_SIZE]; err_set(e, ..., "'%s'", err_quote(q, sizeof(q), arg)); */
#define ERR_QUOTE_MAX 200
#define ERR_QUOTE_SIZE (ERR_QUOTE_MAX * 6 + 4)
const char *err_quote(char *buf, size_t size, const char *s);

#endif
