/* validate.c -- checksums of applied revisions; see validate.h. */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pg.h"
#include "versions.h"

void validate_report_release(struct validate_report *r)
{
    free(r->items);
    *r = (struct validate_report)VALIDATE_REPORT_INIT;
}

/* Per revision, what its successful history rows (runs' markers aside)
 * say: the checksum of the latest upgrade or repair row, and the
 * direction of the latest row.  The server sends the rows as they are and
 * this file picks the latest of each revision: the same per-revision
 * aggregate done in SQL (array_agg ... ORDER BY id per group) cost the
 * server ten times more than the rest of a no-op upgrade's queries
 * together (1000 revisions: 5 to 10 ms against 0.5 ms), and the lookups
 * are a binary search, not a scan of every row per applied revision. */
struct recorded_rev {
    const char *revision;       /* borrowed from `rows`, as the two below */
    const char *checksum;       /* of the latest upgrade or repair row; NULL: none */
    const char *direction;      /* of the latest row */
};

struct recorded {
    struct pg_rows rows;        /* id, revision, checksum, direction */
    struct recorded_rev *revs;  /* one per revision, sorted by strcmp of revision */
    size_t n;
};

#define RECORDED_INIT { PG_ROWS_INIT, NULL, 0 }

enum { REC_ID, REC_REVISION, REC_CHECKSUM, REC_DIRECTION };

static void recorded_release(struct recorded *rec)
{
    pg_rows_release(&rec->rows);
    free(rec->revs);
    rec->revs = NULL;
    rec->n = 0;
}

static const char *cell(char **const *row, int col)
{
    return (*row)[col] ? (*row)[col] : "";
}

/* ids are bigserial: decimal, no sign, no leading zeros, so the shorter
 * is the smaller and equal lengths compare as strings */
static int cmp_id(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* revision (strcmp, not the server's collation: the search uses strcmp
 * too), then id */
static int cmp_row(const void *a, const void *b)
{
    int c = strcmp(cell(a, REC_REVISION), cell(b, REC_REVISION));

    return c ? c : cmp_id(cell(a, REC_ID), cell(b, REC_ID));
}

static int cmp_key(const void *key, const void *r)
{
    return strcmp(key, ((const struct recorded_rev *)r)->revision);
}

static int is_apply(const char *direction)
{
    return direction && (strcmp(direction, "upgrade") == 0 || strcmp(direction, "repair") == 0);
}

static int recorded_index(struct recorded *rec, struct err *e)
{
    size_t n = rec->rows.n_rows;
    char ***rows = calloc(n ? n : 1, sizeof(*rows));
    int ret = -1;

    rec->revs = calloc(n ? n : 1, sizeof(*rec->revs));
    if (!rows || !rec->revs) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = &rec->rows.cells[i * rec->rows.n_cols];
    if (n)
        qsort(rows, n, sizeof(*rows), cmp_row);
    /* oldest first within a revision: later rows overwrite */
    for (size_t i = 0; i < n; i++) {
        const char *revision = cell(&rows[i], REC_REVISION);
        struct recorded_rev *r;

        if (rec->n == 0 || strcmp(rec->revs[rec->n - 1].revision, revision) != 0)
            rec->revs[rec->n++] = (struct recorded_rev){ revision, NULL, NULL };
        r = &rec->revs[rec->n - 1];
        r->direction = rows[i][REC_DIRECTION];
        if (is_apply(r->direction))
            r->checksum = rows[i][REC_CHECKSUM];
    }
    ret = 0;
out:
    free(rows);
    return ret;
}

static const struct recorded_rev *recorded_find(const struct recorded *rec, const char *id)
{
    return rec->n ? bsearch(id, rec->revs, rec->n, sizeof(*rec->revs), cmp_key) : NULL;
}

/* The latest successful history row of a revision says it is applied
 * (upgrade or repair, not downgrade or stamp). */
static int history_says_applied(const struct recorded *rec, const char *id);

/* Mark every revision at or below the heads (down revisions and
 * depends_on) in applied[], iteratively.  When a head has no plugin its
 * ancestors are unknown; then every revision the history table says is
 * applied is a start too. */
static int mark_applied(const struct graph *g, char *const *heads, size_t n_heads,
                        const struct recorded *rec, unsigned char *applied, struct err *e)
{
    int head_missing = 0;

    for (size_t i = 0; i < n_heads; i++) {
        const struct rev *r = graph_find(g, heads[i]);

        if (!r)
            head_missing = 1;
        else
            applied[r->index] = 1;
    }
    for (size_t k = 0; head_missing && k < graph_count(g); k++) {
        const struct rev *r = graph_at(g, k);

        if (history_says_applied(rec, r->id))
            applied[r->index] = 1;
    }
    return graph_mark_ancestors(g, applied, e);
}

/* The successful history rows but the runs' markers (HISTORY_APPLIED_SQL:
 * recorded_index() picks the latest of each), none without the table. */
static int read_recorded(struct pg *db, const struct versions *v, struct pg_rows *rows,
                         struct err *e)
{
    int exists = versions_table_exists(db, v->history, e);

    if (exists <= 0)
        return exists;
    return history_read_applied(v, db, rows, e);
}

static const char *recorded_for(const struct recorded *rec, const char *id)
{
    const struct recorded_rev *r = recorded_find(rec, id);

    return r && r->checksum ? r->checksum : "";
}

static int history_says_applied(const struct recorded *rec, const char *id)
{
    const struct recorded_rev *r = recorded_find(rec, id);

    return r && is_apply(r->direction);
}

/* snprintf(dst, size, "%s", src) without the format machinery: this runs
 * three times per applied revision on every upgrade. */
static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void add_item(struct validate_report *out, const char *id, const struct rev *r,
                     const char *recorded)
{
    struct validate_item *it = &out->items[out->n++];

    memset(it, 0, sizeof(*it));
    copy_field(it->id, sizeof(it->id), id);
    copy_field(it->recorded, sizeof(it->recorded), recorded);
    if (!r) {
        it->state = VALIDATE_MISSING;
    } else {
        it->path = r->path;
        copy_field(it->now, sizeof(it->now), r->meta.source_sha256);
        if (!it->now[0])
            it->state = VALIDATE_NO_CHECKSUM;
        else if (!it->recorded[0])
            it->state = VALIDATE_UNRECORDED;
        else if (strcmp(it->recorded, it->now) != 0)
            it->state = VALIDATE_EDITED;
        else
            it->state = VALIDATE_OK;
    }
    out->count[it->state]++;
}

/* The report from the recorded history (rec->rows filled, or empty for
 * a missing table). */
static int collect_from(struct recorded *rec, const struct graph *g, char *const *heads,
                        size_t n_heads, struct validate_report *out, struct err *e)
{
    size_t n = graph_count(g);
    unsigned char *applied = calloc(n + 1, 1);
    int ret = -1;

    *out = (struct validate_report)VALIDATE_REPORT_INIT;
    out->items = calloc(n + n_heads + 1, sizeof(*out->items));
    if (!applied || !out->items) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (recorded_index(rec, e) < 0)
        goto out;
    if (mark_applied(g, heads, n_heads, rec, applied, e) < 0)
        goto out;
    for (size_t i = 0; i < n_heads; i++)
        if (!graph_find(g, heads[i]))
            add_item(out, heads[i], NULL, recorded_for(rec, heads[i]));
    for (size_t k = 0; k < n; k++) {
        const struct rev *r = graph_at(g, k);

        if (applied[r->index])
            add_item(out, r->id, r, recorded_for(rec, r->id));
    }
    ret = 0;
out:
    if (ret < 0)
        validate_report_release(out);
    free(applied);
    return ret;
}

int validate_collect(struct pg *db, const struct versions *v, const struct graph *g,
                     char *const *heads, size_t n_heads, struct validate_report *out,
                     struct err *e)
{
    struct recorded rec = RECORDED_INIT;
    int ret = -1;

    *out = (struct validate_report)VALIDATE_REPORT_INIT;
    if (read_recorded(db, v, &rec.rows, e) < 0)
        goto out;
    ret = collect_from(&rec, g, heads, n_heads, out, e);
out:
    recorded_release(&rec);
    return ret;
}

const char *validate_item_file(const struct validate_item *it)
{
    return it->path && *it->path ? it->path : "(no file)";
}

int validate_refuse_edited(const struct validate_report *r, struct err *e)
{
    size_t more = r->count[VALIDATE_EDITED];
    char others[64] = "";

    if (more == 0)
        return 0;
    if (more > 1)
        snprintf(others, sizeof(others), " (and %zu more edited revision%s)", more - 1,
                 more > 2 ? "s" : "");
    for (size_t i = 0; i < r->n; i++) {
        const struct validate_item *it = &r->items[i];

        if (it->state != VALIDATE_EDITED)
            continue;
        return err_set(e, ERR_FAIL,
                       "revision %s (%s): source checksum changed since it was applied "
                       "(recorded %.12s\u2026, now %.12s\u2026)%s; revert the edit, or run "
                       "`runner repair` after a deliberate change; --ignore-checksums to skip",
                       it->id, validate_item_file(it), it->recorded, it->now, others);
    }
    return 0;
}

int validate_before_upgrade_rows(const struct graph *g, char *const *heads, size_t n_heads,
                                 struct pg_rows *history, struct err *e)
{
    struct recorded rec = RECORDED_INIT;
    struct validate_report r = VALIDATE_REPORT_INIT;
    int ret = -1;

    if (history) {
        rec.rows = *history;    /* ours now */
        *history = (struct pg_rows)PG_ROWS_INIT;
    }
    if (collect_from(&rec, g, heads, n_heads, &r, e) < 0)
        goto out;
    ret = validate_refuse_edited(&r, e);
out:
    validate_report_release(&r);
    recorded_release(&rec);
    return ret;
}

int validate_repair(struct pg *db, const struct versions *v, const struct validate_report *r,
                    size_t *n_recorded, struct err *e)
{
    struct err ignored = ERR_INIT;
    size_t n = 0;

    *n_recorded = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].state == VALIDATE_EDITED || r->items[i].state == VALIDATE_UNRECORDED)
            n++;
    if (n == 0)
        return 0;
    if (pg_exec(db, "BEGIN", e) < 0)
        return -1;
    if (versions_ensure(v, db, e) < 0)
        goto fail;
    for (size_t i = 0; i < r->n; i++) {
        const struct validate_item *it = &r->items[i];
        struct history_row h = { it->id, "repair", it->now, clock_epoch_s(), 0, 1 };

        if (it->state != VALIDATE_EDITED && it->state != VALIDATE_UNRECORDED)
            continue;
        if (history_record(v, db, &h, e) < 0)
            goto fail;
    }
    if (pg_exec(db, "COMMIT", e) < 0)
        return -1;
    *n_recorded = n;
    return 0;
fail:
    pg_exec(db, "ROLLBACK", &ignored);
    return -1;
}
