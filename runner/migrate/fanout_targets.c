/* fanout_targets.c -- the targets of a fan-out; see fanout_targets.h. */
#include "fanout_targets.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "hash.h"
#include "pg.h"
#include "url.h"

#define SCHEMA_WORD "schema="
#define SHARDS_MAX 100000u

void fanout_targets_release(struct fanout_targets *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        free(ts->items[i].url);
        free(ts->items[i].schema);
    }
    free(ts->items);
    ts->items = NULL;
    ts->n = 0;
}

int fanout_targets_add(struct fanout_targets *ts, const char *url, const char *schema,
                       struct err *e)
{
    struct fanout_target *grown = realloc(ts->items, (ts->n + 1) * sizeof(*grown));
    struct fanout_target t = { NULL, NULL };

    if (!grown)
        return err_set(e, ERR_FAIL, "out of memory");
    ts->items = grown;
    t.url = strdup(url ? url : "");
    if (schema && *schema)
        t.schema = strdup(schema);
    if (!t.url || (schema && *schema && !t.schema)) {
        free(t.url);
        free(t.schema);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    ts->items[ts->n++] = t;
    return 0;
}

/* [s, end) without surrounding blanks, copied; NULL on OOM. */
static char *trimmed_copy(const char *s, const char *end)
{
    char *out;

    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    out = malloc((size_t)(end - s) + 1);
    if (!out)
        return NULL;
    memcpy(out, s, (size_t)(end - s));
    out[end - s] = '\0';
    return out;
}

int fanout_targets_add_line(struct fanout_targets *ts, const char *line, struct err *e)
{
    const char *end = line + strlen(line);
    const char *word;
    char *url = NULL, *schema = NULL;
    int ret = -1;

    while (end > line && isspace((unsigned char)end[-1]))
        end--;
    word = end;
    while (word > line && !isspace((unsigned char)word[-1]))
        word--;
    if ((size_t)(end - word) >= strlen(SCHEMA_WORD) &&
        strncmp(word, SCHEMA_WORD, strlen(SCHEMA_WORD)) == 0) {
        /* a line of only "schema=NAME": a tenant of libpq's default database */
        url = trimmed_copy(line, word);
        schema = trimmed_copy(word + strlen(SCHEMA_WORD), end);
        if (!url || !schema) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if (!*schema) {
            err_set(e, ERR_USAGE, "empty schema name in 'schema='");
            goto out;
        }
    } else if (!(url = trimmed_copy(line, end))) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    ret = fanout_targets_add(ts, url, schema, e);
out:
    free(url);
    free(schema);
    return ret;
}

int fanout_read_targets(const char *path, struct fanout_targets *ts, struct err *e)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    size_t lineno = 0;
    int ret = -1;

    if (!f)
        return err_set(e, ERR_FAIL, "cannot read targets file '%s': %m", path);
    while (getline(&line, &cap, f) >= 0) {
        const char *s = line;

        lineno++;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        if (fanout_targets_add_line(ts, s, e) < 0) {
            err_prefix(e, "targets file '%s' line %zu", path, lineno);
            goto out;
        }
    }
    if (ferror(f)) {
        err_set(e, ERR_FAIL, "cannot read targets file '%s' after line %zu", path, lineno);
        goto out;
    }
    ret = 0;
out:
    free(line);
    fclose(f);
    return ret;
}

/* The schemas `query` lists on the database of `url`, appended to *out. */
static int list_schemas(const char *url, const char *query, struct fanout_targets *out,
                        struct err *e)
{
    uv_loop_t loop;
    struct pg db = PG_INIT;
    struct pg_rows r = PG_ROWS_INIT;
    char shown[256];
    int ret = -1;
    int rc = uv_loop_init(&loop);

    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
    url_mask(url, shown, sizeof(shown));
    if (pg_open(&db, &loop, url, e) < 0)
        goto out;
    if (pg_query(&db, query, 0, NULL, &r, NULL, e) < 0)
        goto out;
    if (r.n_cols < 1) {
        err_set(e, ERR_USAGE, "--schemas-from query returns no column");
        goto out;
    }
    for (size_t i = 0; i < r.n_rows; i++) {
        const char *schema = pg_rows_get(&r, i, 0);

        if (!schema || !*schema)
            continue;
        if (fanout_targets_add(out, url, schema, e) < 0)
            goto out;
    }
    ret = 0;
out:
    if (ret < 0)
        err_prefix(e, "--schemas-from on '%s'", shown);
    pg_rows_release(&r);
    pg_close(&db);
    uv_loop_close(&loop);
    return ret;
}

int fanout_schemas_from(struct fanout_targets *ts, const char *query, struct err *e)
{
    struct fanout_targets out = FANOUT_TARGETS_INIT;

    for (size_t i = 0; i < ts->n; i++) {
        const struct fanout_target *t = &ts->items[i];

        if (t->schema ? fanout_targets_add(&out, t->url, t->schema, e) < 0
                      : list_schemas(t->url, query, &out, e) < 0) {
            fanout_targets_release(&out);
            return -1;
        }
    }
    fanout_targets_release(ts);
    *ts = out;
    return 0;
}

static int parse_uint(const char *s, const char *end, unsigned *out)
{
    unsigned long v = 0;

    if (s == end)
        return -1;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > SHARDS_MAX)
            return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int fanout_shard_parse(const char *s, unsigned *k, unsigned *n, struct err *e)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    char q[ERR_QUOTE_SIZE];

    if (!slash || parse_uint(s, slash, k) < 0 || parse_uint(slash + 1, s + strlen(s), n) < 0 ||
        *n < 1 || *k >= *n)
        return err_set(e, ERR_USAGE,
                       "--shard needs K/N with 0 <= K < N <= %u (K counts from 0, as "
                       "JOB_COMPLETION_INDEX), got '%s'",
                       SHARDS_MAX, err_quote(q, sizeof(q), s ? s : ""));
    return 0;
}

void fanout_shard_key(const struct fanout_target *t, char *buf, size_t size)
{
    size_t len;

    url_mask(t->url, buf, size);
    len = strlen(buf);
    if (t->schema && len < size)
        snprintf(buf + len, size - len, " " SCHEMA_WORD "%s", t->schema);
}

unsigned fanout_shard_of(const struct fanout_target *t, unsigned n_shards)
{
    char key[512];

    if (n_shards <= 1)
        return 0;
    fanout_shard_key(t, key, sizeof(key));
    return (unsigned)(hash_fnv1a64(key) % n_shards);
}

void fanout_targets_shard(struct fanout_targets *ts, unsigned k, unsigned n)
{
    size_t kept = 0;

    for (size_t i = 0; i < ts->n; i++) {
        if (fanout_shard_of(&ts->items[i], n) == k) {
            ts->items[kept++] = ts->items[i];
            continue;
        }
        free(ts->items[i].url);
        free(ts->items[i].schema);
    }
    ts->n = kept;
}
