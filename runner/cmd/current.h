/* current.h -- the database's current heads, for the read-only commands
 * that mark or resolve "current" (history -i, show current).  It connects,
 * reads the version table through versions.c, and disconnects. */
#ifndef RUNNER_CURRENT_H
#define RUNNER_CURRENT_H

#include <stddef.h>

#include "cli.h"

struct current {
    char **ids;     /* owned: the version table's rows */
    size_t n;
};

#define CURRENT_INIT { NULL, 0 }

int current_read(struct ctx *ctx, struct current *cur, struct err *e);
void current_release(struct current *cur);

#endif
