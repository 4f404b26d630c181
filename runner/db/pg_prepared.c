/* pg_prepared.c -- reads planned once per session (see pg_prepared.h). */
#include "pg_prepared.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "strbuf.h"

int pg_query_prepared_params(struct pg *db, const char *prefix, const char *sql, int known,
                             int n_params, const char *const *params, struct pg_rows *out,
                             struct err *e)
{
    struct pg_rows found = PG_ROWS_INIT;
    struct strbuf prep = STRBUF_INIT;
    char name[64];
    const char *find[1] = { name };
    int ret = -1;

    snprintf(name, sizeof(name), "%.40s_%016" PRIx64, prefix, hash_fnv1a64(sql));
    if (!known && pg_query(db, "SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE "
                           "name = $1", 1, find, &found, NULL, e) < 0)
        goto out;
    if (!known && found.n_rows == 0) {
        /* the name is ours: letters, digits and '_' only; the parameter
         * types come from the casts in the text */
        strbuf_addf(&prep, "PREPARE %s AS %s", name, sql);
        if (strbuf_failed(&prep)) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if (pg_exec(db, strbuf_str(&prep), e) < 0)
            goto out;
    }
    ret = pg_query_named(db, name, sql, n_params, params, out, e);
    /* known, but not this text (a read that depends on the schema list,
     * say): prepare it now */
    if (ret < 0 && known && strcmp(e->sqlstate, "26000") == 0) {
        err_clear(e);
        ret = pg_query_prepared_params(db, prefix, sql, 0, n_params, params, out, e);
    }
out:
    pg_rows_release(&found);
    strbuf_release(&prep);
    return ret;
}

int pg_query_prepared(struct pg *db, const char *prefix, const char *sql, int known,
                      struct pg_rows *out, struct err *e)
{
    return pg_query_prepared_params(db, prefix, sql, known, 0, NULL, out, e);
}
