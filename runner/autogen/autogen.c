/* autogen.c -- models vs database: the pieces of autogenerate in a row
 * (see autogen.h). */
#include "autogen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <uv.h>

#include "codegen.h"
#include "diff.h"
#include "introspect.h"
#include "models.h"
#include "pg.h"
#include "schema.h"
#include "versions.h"

void autogen_behind_release(struct autogen_behind *b)
{
    free(b->pending);
    versions_ids_free(b->unknown, b->n_unknown);
    *b = (struct autogen_behind)AUTOGEN_BEHIND_INIT;
}

/* What differs, for b: the rows the graph lacks, and the revisions that
 * `upgrade heads` from the other rows would run (none when even that
 * cannot be planned: the rows are then all the story there is). */
static int explain_behind(const struct graph *g, char **ids, size_t n_ids,
                          struct autogen_behind *b, struct err *e)
{
    const char **known = calloc(n_ids ? n_ids : 1, sizeof(*known));
    struct plan p = { 0 };
    struct err ignored = ERR_INIT;
    size_t n_known = 0;
    int ret = -1;

    b->unknown = calloc(n_ids ? n_ids : 1, sizeof(*b->unknown));
    if (!known || !b->unknown) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) {
        if (graph_find(g, ids[i])) {
            known[n_known++] = ids[i];
        } else if (!(b->unknown[b->n_unknown++] = strdup(ids[i]))) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    if (graph_plan_upgrade(g, known, n_known, "heads", &p, &ignored) == 0 && p.n_steps) {
        b->pending = calloc(p.n_steps, sizeof(*b->pending));
        if (!b->pending) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < p.n_steps; i++)
            if (p.steps[i].upgrade && p.steps[i].rev)
                b->pending[b->n_pending++] = p.steps[i].rev;
    }
    ret = 0;
out:
    plan_free(&p);
    free(known);
    return ret;
}

/* alembic: autogenerate and check refuse a database behind the revisions
 * ("Target database is not up to date.") so that the diff is not the
 * pending migrations over again.  Its test is the version table against
 * the "heads" target: _real_heads, depends_on included. */
static int check_up_to_date(const struct autogen_opts *o, struct pg *db, struct err *e)
{
    struct versions v = VERSIONS_INIT;
    const struct rev **heads = NULL;
    char **ids = NULL;
    size_t n_heads = 0, n_ids = 0;
    int up_to_date;
    int ret = -1;

    if (!o->graph)
        return 0;
    if (versions_init(&v, o->version_schema, o->version_table, o->history_table, e) < 0 ||
        versions_resolve(&v, db, e) < 0 || versions_read(&v, db, &ids, &n_ids, e) < 0 ||
        graph_real_heads(o->graph, &heads, &n_heads, e) < 0)
        goto out;
    up_to_date = n_heads == n_ids;
    for (size_t i = 0; up_to_date && i < n_heads; i++) {
        int found = 0;

        for (size_t j = 0; j < n_ids; j++)
            found |= strcmp(heads[i]->id, ids[j]) == 0;
        up_to_date = found;
    }
    if (up_to_date) {
        ret = 0;
        goto out;
    }
    if (o->behind) {
        o->behind->refused = 1;
        if (explain_behind(o->graph, ids, n_ids, o->behind, e) < 0)
            goto out;
    }
    err_set(e, ERR_FAIL, "Target database is not up to date.");
out:
    free(heads);
    versions_ids_free(ids, n_ids);
    versions_release(&v);
    return ret;
}

/* The schemas the models use, "public" always among them. */
static int model_schemas(const struct schema *m, const char ***out, size_t *n, struct err *e)
{
    const char **list = calloc(m->n_tables + 1, sizeof(*list));

    if (!list)
        return err_set(e, ERR_FAIL, "out of memory");
    *n = 0;
    list[(*n)++] = SCHEMA_DEFAULT;
    for (size_t i = 0; i < m->n_tables; i++) {
        int seen = 0;

        for (size_t j = 0; j < *n; j++)
            seen |= strcmp(list[j], m->tables[i].schema) == 0;
        if (!seen)
            list[(*n)++] = m->tables[i].schema;
    }
    *out = list;
    return 0;
}

/* autogen_compare(), also giving the server's version (PQserverVersion). */
static int compare(const struct autogen_opts *opts, struct schema *model,
                   struct schema *db_schema, struct diff *d, int *server_version, struct err *e)
{
    uv_loop_t loop;
    struct pg db = PG_INIT;
    const char **schemas = NULL;
    const char *exclude[2];
    struct introspect_opts o = { 0 };
    int loop_open = 0;
    int ret = -1;

    if (!opts->models || !*opts->models)
        return err_set(e, ERR_USAGE,
                       "no models plugin: give --models PATH or set 'models =' in the config");
    if (models_load_trusted(opts->models, opts->allow_unsafe_plugins, model, e) < 0)
        return -1;
    if (uv_loop_init(&loop) != 0) {
        err_set(e, ERR_FAIL, "cannot start the event loop");
        goto out;
    }
    loop_open = 1;
    if (pg_open(&db, &loop, opts->url, e) < 0)
        goto out;
    if (check_up_to_date(opts, &db, e) < 0)
        goto out;
    if (model_schemas(model, &schemas, &o.n_schemas, e) < 0)
        goto out;
    o.schemas = schemas;
    exclude[0] = opts->version_table ? opts->version_table : "alembic_version";
    exclude[1] = opts->history_table ? opts->history_table : "runner_history";
    o.exclude = exclude;
    o.n_exclude = 2;
    if (introspect_schema(&db, &o, db_schema, e) < 0)
        goto out;
    *server_version = PQserverVersion(db.conn);
    if (introspect_render_defaults(&db, model, db_schema, e) < 0)
        goto out;
    if (diff_schemas(model, db_schema, d, e) < 0)
        goto out;
    ret = 0;
out:
    free(schemas);
    pg_close(&db);
    if (loop_open)
        uv_loop_close(&loop);
    if (ret < 0) {
        schema_release(model);
        schema_release(db_schema);
    }
    return ret;
}

int autogen_compare(const struct autogen_opts *opts, struct schema *model,
                    struct schema *db_schema, struct diff *d, struct err *e)
{
    int server_version = 0;

    return compare(opts, model, db_schema, d, &server_version, e);
}

int autogen_print(const struct diff *d, FILE *out)
{
    int n = 0;

    for (size_t i = 0; i < d->n_ops; i++) {
        char *line = diff_describe(&d->ops[i]);

        if (!line)
            continue;
        fprintf(out, "%s\n", line);
        free(line);
        n++;
    }
    return n;
}

int autogen_revision_body(const struct autogen_opts *o, char **upgrade_body, char **downgrade_body,
                          int *n_changes, int *no_transaction, struct err *e)
{
    struct schema model = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;
    int server_version = 0;
    int ret = -1;

    *upgrade_body = *downgrade_body = NULL;
    *n_changes = 0;
    *no_transaction = 0;
    if (compare(o, &model, &db, &d, &server_version, e) < 0)
        return -1;
    *no_transaction = codegen_needs_no_transaction(&d, server_version);
    if (o->log)
        autogen_print(&d, o->log);
    if (d.n_ops && codegen_render(&d, upgrade_body, downgrade_body, e) < 0)
        goto out;
    *n_changes = (int)d.n_ops;
    ret = 0;
out:
    diff_release(&d);
    schema_release(&model);
    schema_release(&db);
    return ret;
}
