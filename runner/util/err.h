/* err.h -- the error value every layer fills and only cli.c prints.
 *
 * A struct err is a fixed buffer: setting it cannot fail or leak.  Inner
 * layers report with `return err_set(e, ERR_FAIL, "...")`; outer layers add
 * context with err_prefix().  Messages are lowercase, unpunctuated, problem
 * first, subject quoted, and never contain a password. */
#ifndef RUNNER_ERR_H
#define RUNNER_ERR_H

#include <stddef.h>

enum err_code {
    ERR_OK = 0,
    ERR_FAIL = 1,       /* exit status 1: the operation failed */
    ERR_USAGE = 2,      /* exit status 2: bad usage or bad target syntax */
};

#define ERR_MSG_SIZE 1024

struct err {
    enum err_code code;         /* ERR_OK until something fails */
    char sqlstate[6];           /* PostgreSQL's SQLSTATE, "" when none */
    char msg[ERR_MSG_SIZE];     /* one line, no trailing newline */
};

#define ERR_INIT { ERR_OK, "", "" }

/* Fill *e (when not NULL) and return -1.  Newlines in the text become
 * spaces so the message stays one line. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "<context>: " to the message already in *e; returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record the SQLSTATE (5 characters) beside the message. */
void err_sqlstate(struct err *e, const char *state);

/* Reset to ERR_INIT. */
void err_clear(struct err *e);

#endif
