/* standby.c -- refuse to write on a standby; see standby.h. */
#include "standby.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "pg.h"

/* 1 in recovery, 0 not, -1 when asking failed (*e filled). */
static int in_recovery(struct pg *db, struct err *e)
{
    const char *reported = PQparameterStatus(pg_conn(db), "in_hot_standby");
    struct pg_rows rows = PG_ROWS_INIT;
    const char *v;
    int ret;

    if (reported)
        return strcmp(reported, "on") == 0;
    if (pg_query(db, "SELECT pg_is_in_recovery()", 0, NULL, &rows, NULL, e) < 0)
        return -1;
    v = rows.n_rows == 1 ? pg_rows_get(&rows, 0, 0) : NULL;
    ret = v && strcmp(v, "t") == 0;
    pg_rows_release(&rows);
    return ret;
}

int standby_refuse(struct pg *db, const char *command, struct err *e)
{
    char where[512];
    int r = in_recovery(db, e);

    if (r < 0)
        return err_prefix(e, "cannot tell whether the server is a standby");
    if (r == 0)
        return 0;
    pg_describe(db, where, sizeof(where));
    err_set(e, ERR_FAIL, "cannot %s on a standby: %s is in recovery (pg_is_in_recovery()), "
            "nothing was run", command, where);
    snprintf(e->hint, sizeof(e->hint),
             "Connect to the primary, or list every server in the URL with "
             "target_session_attrs=read-write (host=a,b or postgresql://a,b/db) so that "
             "libpq finds it.");
    return -1;
}
