/* lint_run.c -- `runner lint` over a range: plan, render, lint, place.
 * See lint_run.h.  The rules are lint.c's; rendering is offline.c's. */
#include "lint_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/* The whole of a small text file, or NULL (errno set) when it cannot be
 * read; the caller frees. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, alloc = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t got;

        if (alloc - len < 4096) {
            char *nb = realloc(buf, alloc + 65536);

            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            alloc += 65536;
        }
        got = fread(buf + len, 1, alloc - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* <sources>/<plugin basename without .so>.c, or NULL. */
static char *source_path(const char *sources, const char *plugin)
{
    const char *base = strrchr(plugin, '/');
    size_t n;
    char *out;

    if (!sources || !*sources || !plugin || !*plugin)
        return NULL;
    base = base ? base + 1 : plugin;
    n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".so") == 0)
        n -= 3;
    out = malloc(strlen(sources) + n + 4);
    if (out)
        sprintf(out, "%s/%.*s.c", sources, (int)n, base);
    return out;
}

static unsigned line_of(const char *text, const char *at)
{
    unsigned line = 1;

    for (const char *p = text; p < at; p++)
        if (*p == '\n')
            line++;
    return line;
}

unsigned lint_source_line(const char *src, const char *sql_stmt)
{
    char probe[48];
    size_t n = 0;
    const char *hit;

    /* the statement's first line, as a string literal holds it */
    while (sql_stmt && sql_stmt[n] && sql_stmt[n] != '\n' && n < sizeof(probe) - 1) {
        probe[n] = sql_stmt[n];
        n++;
    }
    while (n > 0 && (probe[n - 1] == ' ' || probe[n - 1] == ';'))
        n--;
    probe[n] = '\0';
    /* a literal split across lines still starts with its first words */
    if (n > 24) {
        n = 24;
        probe[n] = '\0';
    }
    if (n >= 8 && (hit = strstr(src, probe)))
        return line_of(src, hit);
    if ((hit = strstr(src, "int upgrade(")))
        return line_of(src, hit);
    return 1;
}

/* Render, lint and place one revision into *lr. */
static int lint_one(const struct lint_run_opts *o, const struct rev *r, struct lint_carry *carry,
                    struct lint_rev *lr, struct lint_report *rep, struct err *e)
{
    char *sql = NULL, *src = NULL, *src_path = NULL;
    size_t sql_len = 0;
    FILE *mem = NULL;
    struct strbuf allow = STRBUF_INIT;
    struct lint_input in;
    int ret = -1;

    lr->rev = r;
    mem = open_memstream(&sql, &sql_len);
    if (!mem) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (migrate_render_rev(r, 1, mem, e) < 0)
        goto out;
    if (fclose(mem) != 0) {
        mem = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    mem = NULL;
    src_path = source_path(o->sources, r->path);
    if (src_path)
        src = read_text(src_path);
    if (src) {
        lr->file = src_path;
        src_path = NULL;
        lr->in_source = 1;
        lint_allow_from_text(src, &allow);
    } else {
        lr->file = strdup(r->path && *r->path ? r->path : r->id);
        if (!lr->file) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    memset(&in, 0, sizeof(in));
    in.sql = sql ? sql : "";
    in.in_transaction = !(r->meta.flags & RUNNER_NO_TRANSACTION);
    in.pg_version = o->pg_version;
    in.run_lock_timeout = o->run_lock_timeout;
    in.allow_meta = r->meta.lint_allow;
    in.allow_comment = strbuf_str(&allow);
    in.carry = carry;
    if (lint_sql(&in, &lr->result, e) < 0) {
        err_prefix(e, "revision %s (%s): ", r->id, lr->file);
        goto out;
    }
    if (lr->result.n) {
        lr->file_lines = calloc(lr->result.n, sizeof(*lr->file_lines));
        if (!lr->file_lines) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < lr->result.n; i++) {
        const struct lint_finding *f = &lr->result.items[i];

        lr->file_lines[i] = src ? lint_source_line(src, f->statement) : f->line;
        if (f->silenced_by)
            rep->silenced++;
        else if (f->rule->level == LINT_ERROR)
            rep->errors++;
        else
            rep->warnings++;
    }
    ret = 0;
out:
    if (mem)
        fclose(mem);
    strbuf_release(&allow);
    free(sql);
    free(src);
    free(src_path);
    return ret;
}

int lint_run(const struct lint_run_opts *o, struct lint_report *r, struct err *e)
{
    const char *colon = o->range ? strchr(o->range, ':') : NULL;
    const char *target = "heads";
    char *start = NULL;
    const char **heads = NULL;
    size_t n_heads = 0;
    struct plan p = { 0 };
    struct lint_carry *carry = NULL;
    int ret = -1;

    if (o->range && !colon)
        return err_set(e, ERR_USAGE, "lint range requires [start]:[end], [start]:, or :[end]");
    if (colon) {
        start = strndup(o->range, (size_t)(colon - o->range));
        if (!start)
            return err_set(e, ERR_FAIL, "out of memory");
        if (colon[1])
            target = colon + 1;
    }
    if (graph_resolve_ids(o->graph, start, &heads, &n_heads, e) < 0)
        goto out;
    if (graph_plan_upgrade(o->graph, heads, n_heads, target, &p, e) < 0)
        goto out;
    /* in upgrade order, each revision sees what the ones before it left */
    carry = lint_carry_new();
    if (!carry) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (p.n_steps) {
        r->revs = calloc(p.n_steps, sizeof(*r->revs));
        if (!r->revs) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < p.n_steps; i++) {
        if (!p.steps[i].rev || !p.steps[i].upgrade)
            continue;
        if (lint_one(o, p.steps[i].rev, carry, &r->revs[r->n++], r, e) < 0)
            goto out;
    }
    ret = 0;
out:
    lint_carry_free(carry);
    plan_free(&p);
    free(heads);
    free(start);
    return ret;
}

void lint_report_release(struct lint_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->revs[i].file);
        free(r->revs[i].file_lines);
        lint_result_release(&r->revs[i].result);
    }
    free(r->revs);
    memset(r, 0, sizeof(*r));
}
