/* current.c -- the database's heads for read-only commands; see current.h.
 * The reading itself is versions.c's. */
#include "current.h"

#include "versions.h"

int current_read(struct ctx *ctx, struct current *cur, struct err *e)
{
    current_release(cur);
    if (versions_read_current(ctx, &cur->ids, &cur->n, e) < 0)
        return -1;
    return versions_check_known(ctx->graph, cur->ids, cur->n, e);
}

void current_release(struct current *cur)
{
    versions_ids_free(cur->ids, cur->n);
    cur->ids = NULL;
    cur->n = 0;
}
