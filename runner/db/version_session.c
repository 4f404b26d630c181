/* version_session.c -- a read-only session on the version tables; see
 * version_session.h. */
#include "version_session.h"

#include <string.h>

#include "versions_load.h"

/* Loop, names, connection; the names are not resolved yet. */
static int session_connect(struct version_session *s, const char *url, const char *schema,
                           const char *table, const char *history_table, struct err *e)
{
    int rc;

    memset(s, 0, sizeof(*s));
    s->db = (struct pg)PG_INIT;
    s->v = (struct versions)VERSIONS_INIT;
    rc = uv_loop_init(&s->loop);
    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
    s->loop_open = 1;
    if (versions_init(&s->v, schema, table, history_table, e) < 0 ||
        pg_open(&s->db, &s->loop, url, e) < 0) {
        version_session_close(s);
        return -1;
    }
    return 0;
}

int version_session_open(struct version_session *s, const char *url, const char *schema,
                         const char *table, const char *history_table, struct err *e)
{
    if (session_connect(s, url, schema, table, history_table, e) < 0)
        return -1;
    if (versions_resolve(&s->v, &s->db, e) < 0) {
        version_session_close(s);
        return -1;
    }
    return 0;
}

void version_session_close(struct version_session *s)
{
    if (!s->loop_open)
        return;
    pg_close(&s->db);
    versions_release(&s->v);
    uv_loop_close(&s->loop);
    s->loop_open = 0;
}

int version_session_read_heads(const char *url, const char *schema, const char *table,
                               const char *history_table, const struct graph *g, char ***ids,
                               size_t *n, struct err *e)
{
    struct version_session s;
    struct versions_load_opts lo = VERSIONS_LOAD_OPTS_INIT;
    struct versions_loaded loaded = VERSIONS_LOADED_INIT;
    int ret = -1;

    *ids = NULL;
    *n = 0;
    /* resolution and rows in one round trip */
    if (session_connect(&s, url, schema, table, history_table, e) < 0)
        return -1;
    lo.heads = 1;
    if (versions_load(&s.v, &s.db, &lo, &loaded, e) < 0)
        goto out;
    *ids = loaded.heads;        /* ours now */
    *n = loaded.n_heads;
    loaded.heads = NULL;
    loaded.n_heads = 0;
    if (g && versions_check_known(g, *ids, *n, e) < 0)
        goto out;
    ret = 0;
out:
    if (ret < 0) {
        versions_ids_free(*ids, *n);
        *ids = NULL;
        *n = 0;
    }
    versions_loaded_release(&loaded);
    version_session_close(&s);
    return ret;
}

int version_session_read_history(const char *url, const char *schema, const char *table,
                                 const char *history_table, struct history_log *out,
                                 struct err *e)
{
    struct version_session s;
    int ret;

    *out = (struct history_log)HISTORY_LOG_INIT;
    if (version_session_open(&s, url, schema, table, history_table, e) < 0)
        return -1;
    ret = history_read(&s.v, &s.db, out, e);
    version_session_close(&s);
    return ret;
}
