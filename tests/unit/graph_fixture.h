/* graph_fixture.h -- helpers shared by the test_graph*.c suites: build a
 * graph from one-line revision descriptions and print answers as strings
 * so that each test reads like alembic's tests/test_revision.py.
 *
 *     "id: down1 down2 | label1 label2 | dep1 dep2"
 *
 * Everything is static: each suite gets its own copy. */
#ifndef TEST_GRAPH_FIXTURE_H
#define TEST_GRAPH_FIXTURE_H

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "graph_int.h"

#define FX_BUF 4096
/* each suite uses some of these helpers, not all */
#define FX_FN static __attribute__((unused))

/* Copies the space-separated words of `list` into fields[RUNNER_MAX_REFS]. */
FX_FN void fx_words(char (*fields)[RUNNER_ID_SIZE], const char *list)
{
    int k = 0;

    while (list && *list && k < RUNNER_MAX_REFS) {
        size_t n;

        while (*list == ' ')
            list++;
        n = strcspn(list, " ");
        if (!n)
            break;
        snprintf(fields[k++], RUNNER_ID_SIZE, "%.*s", (int)n, list);
        list += n;
    }
}

/* Fills *m as a plugin's RUNNER_REVISION() would. */
FX_FN void fx_fill(struct runner_revision *m, const char *id, const char *down,
                    const char *labels, const char *deps)
{
    memset(m, 0, sizeof(*m));
    m->magic = RUNNER_MAGIC;
    m->abi_version = RUNNER_ABI_VERSION;
    m->size = sizeof(*m);
    snprintf(m->revision, sizeof(m->revision), "%s", id);
    fx_words(m->down_revision, down);
    fx_words(m->branch_labels, labels);
    fx_words(m->depends_on, deps);
    snprintf(m->message, sizeof(m->message), "rev %s", id);
}

/* "id: downs | labels | deps" -> graph_add(); path "<id>.so" when
 * with_paths. */
FX_FN int fx_add_line(struct graph *g, const char *line, int with_paths, struct err *e)
{
    char buf[512], *parts[4] = { NULL, NULL, NULL, NULL }, *colon, *p;
    struct runner_revision m;
    char path[64];
    int k = 1;

    snprintf(buf, sizeof(buf), "%s", line);
    colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    parts[0] = buf;
    p = colon ? colon + 1 : buf + strlen(buf);
    parts[1] = p;
    while ((p = strchr(p, '|')) != NULL && k < 3) {
        *p++ = '\0';
        parts[++k] = p;
    }
    fx_fill(&m, parts[0], parts[1], parts[2], parts[3]);
    snprintf(path, sizeof(path), "%s.so", parts[0]);
    return graph_add(g, &m, with_paths ? path : NULL, e);
}

/* Builds a graph; on failure returns NULL with the message in *e. */
FX_FN struct graph *fx_graph_n(const char *const *lines, size_t n, int with_paths, struct err *e)
{
    struct graph *g = graph_new();

    if (!g)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (fx_add_line(g, lines[i], with_paths, e) < 0) {
            graph_free(g);
            return NULL;
        }
    if (graph_build(g, e) < 0) {
        graph_free(g);
        return NULL;
    }
    return g;
}

#define FX_LINES(...) ((const char *const[]){ __VA_ARGS__ })
#define FX_N(...) (sizeof(FX_LINES(__VA_ARGS__)) / sizeof(const char *))
/* A graph that must build. */
#define GRAPH(...) fx_graph_ok(FX_LINES(__VA_ARGS__), FX_N(__VA_ARGS__))
/* The message of a graph that must not build. */
#define GRAPH_ERR(buf, ...) fx_graph_err(buf, FX_LINES(__VA_ARGS__), FX_N(__VA_ARGS__), 0)
#define GRAPH_ERR_PATHS(buf, ...) fx_graph_err(buf, FX_LINES(__VA_ARGS__), FX_N(__VA_ARGS__), 1)

FX_FN struct graph *fx_graph_ok(const char *const *lines, size_t n)
{
    struct err e = ERR_INIT;
    struct graph *g = fx_graph_n(lines, n, 0, &e);

    if (!g)
        fprintf(stderr, "\nfixture graph failed: %s\n", e.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    return g;
}

FX_FN const char *fx_graph_err(char *buf, const char *const *lines, size_t n, int with_paths)
{
    struct err e = ERR_INIT;
    struct graph *g = fx_graph_n(lines, n, with_paths, &e);

    if (g) {
        graph_free(g);
        return "(built)";
    }
    snprintf(buf, FX_BUF, "%s", e.msg);
    return buf;
}

/* "a b c" from revisions. */
FX_FN const char *fx_join(char *buf, const struct rev *const *v, size_t n)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && len < FX_BUF; i++)
        len += (size_t)snprintf(buf + len, FX_BUF - len, "%s%s", i ? " " : "",
                                !v[i] ? "None" : v[i] == GRAPH_BASE ? "base" : v[i]->id);
    return buf;
}

/* Splits "a b c" into words stored in store (pointers into it). */
FX_FN size_t fx_split(char *store, const char *s, const char **words, size_t max)
{
    size_t n = 0;
    char *p;

    snprintf(store, FX_BUF, "%s", s ? s : "");
    for (p = strtok(store, " "); p && n < max; p = strtok(NULL, " "))
        words[n++] = p;
    return n;
}

/* A spec: "" is None, "(a b)" a tuple, anything else one string. */
FX_FN struct spec fx_spec(char *store, const char *s, const char **words)
{
    struct spec sp = { words, 0, 1 };

    if (!s || !s[0])
        return sp;
    if (s[0] == '(') {
        char tmp[FX_BUF];

        snprintf(tmp, sizeof(tmp), "%.*s", (int)strlen(s) - 2, s + 1);
        sp.n = fx_split(store, tmp, words, 32);
        sp.is_str = 0;
        return sp;
    }
    snprintf(store, FX_BUF, "%s", s);
    words[0] = store;
    sp.n = 1;
    return sp;
}

/* alembic's map_.iterate_revisions(upper, lower, ...) as "a b c", or
 * "ERR: <message>". */
FX_FN const char *fx_iter(char *buf, const struct graph *g, const char *upper, const char *lower,
                           unsigned flags)
{
    char s1[FX_BUF], s2[FX_BUF];
    const char *w1[32], *w2[32];
    struct spec up = fx_spec(s1, upper, w1), low = fx_spec(s2, lower, w2);
    struct rlist out = { 0 };
    struct err e = ERR_INIT;

    if (graph_iterate_spec(g, &up, &low, flags, &out, &e) < 0)
        snprintf(buf, FX_BUF, "ERR: %s", e.msg);
    else
        fx_join(buf, out.v, out.n);
    rlist_release(&out);
    return buf;
}

/* get_revisions(target) as "a b", or "ERR: ...". */
FX_FN const char *fx_revs(char *buf, const struct graph *g, const char *target)
{
    char s[FX_BUF];
    const char *w[32];
    struct spec sp = fx_spec(s, target, w);
    struct rlist out = { 0 };
    struct err e = ERR_INIT;

    if (graph_get_revisions(g, &sp, &out, &e) < 0)
        snprintf(buf, FX_BUF, "ERR: %s", e.msg);
    else
        fx_join(buf, out.v, out.n);
    rlist_release(&out);
    return buf;
}

/* get_revision(target): "None" for base, or "ERR: ...". */
FX_FN const char *fx_rev(char *buf, const struct graph *g, const char *target)
{
    const struct rev *r = NULL;
    struct err e = ERR_INIT;

    if (graph_get_revision(g, target, &r, &e) < 0)
        snprintf(buf, FX_BUF, "ERR: %s", e.msg);
    else
        snprintf(buf, FX_BUF, "%s", r ? r->id : "None");
    return buf;
}

/* graph_resolve(target, current "a b") as "a b", or "ERR: ...". */
FX_FN const char *fx_resolve(char *buf, const struct graph *g, const char *target,
                              const char *current)
{
    char s[FX_BUF];
    const char *w[32];
    size_t nw = fx_split(s, current, w, 32);
    const struct rev **out = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;

    if (graph_resolve(g, target, w, nw, &out, &n, &e) < 0)
        snprintf(buf, FX_BUF, "ERR: %s", e.msg);
    else
        fx_join(buf, out, n);
    free(out);
    return buf;
}

FX_FN int fx_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Applies the plan's version-table effects to the current heads and
 * renders "step step ... | final heads sorted", each step as
 * "+id" (upgrade) / "-id" (downgrade) / "stamp"; or "ERR: ...".  A step
 * whose effect does not apply to the table so far fails the test. */
FX_FN const char *fx_apply(char *buf, const char *current, const struct plan *p, int show_vt)
{
    char s[FX_BUF];
    const char *heads[64];
    size_t nh = fx_split(s, current, heads, 64), len = 0;

#define FX_DEL(id)                                                          \
    do {                                                                    \
        size_t k_ = 0;                                                      \
        while (k_ < nh && strcmp(heads[k_], (id)) != 0)                     \
            k_++;                                                           \
        CU_ASSERT_FATAL(k_ < nh);                                           \
        heads[k_] = heads[--nh];                                            \
    } while (0)
#define FX_INS(id)                                                          \
    do {                                                                    \
        for (size_t k_ = 0; k_ < nh; k_++)                                  \
            CU_ASSERT_FATAL(strcmp(heads[k_], (id)) != 0);                  \
        heads[nh++] = (id);                                                 \
    } while (0)

    buf[0] = '\0';
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *st = &p->steps[i];
        char vt[512] = "";

        switch (st->vt) {
        case VT_UPDATE:
            FX_DEL(st->from);
            FX_INS(st->to);
            snprintf(vt, sizeof(vt), "update(%s>%s)", st->from, st->to);
            break;
        case VT_INSERT:
            FX_INS(st->to);
            snprintf(vt, sizeof(vt), "insert(%s)", st->to);
            break;
        case VT_DELETE:
            FX_DEL(st->from);
            snprintf(vt, sizeof(vt), "delete(%s)", st->from);
            break;
        case VT_MERGE: {
            size_t l = (size_t)snprintf(vt, sizeof(vt), "merge(");
            for (size_t k = 0; k < st->n_del; k++) {
                FX_DEL(st->del[k]);
                l += (size_t)snprintf(vt + l, sizeof(vt) - l, "-%s,", st->del[k]);
            }
            FX_DEL(st->from);
            FX_INS(st->to);
            snprintf(vt + l, sizeof(vt) - l, "%s>%s)", st->from, st->to);
            break;
        }
        case VT_UNMERGE: {
            size_t l = (size_t)snprintf(vt, sizeof(vt), "unmerge(");
            for (size_t k = 0; k < st->n_ins; k++) {
                FX_INS(st->ins[k]);
                l += (size_t)snprintf(vt + l, sizeof(vt) - l, "+%s,", st->ins[k]);
            }
            FX_DEL(st->from);
            FX_INS(st->to);
            snprintf(vt + l, sizeof(vt) - l, "%s>%s)", st->from, st->to);
            break;
        }
        }
        if (show_vt)
            len += (size_t)snprintf(buf + len, FX_BUF - len, "%s ", vt);
        else
            len += (size_t)snprintf(buf + len, FX_BUF - len, "%s%s ",
                                    st->upgrade ? "+" : "-", st->rev ? st->rev->id : "?");
    }
    qsort(heads, nh, sizeof(*heads), fx_cmp_str);
    len += (size_t)snprintf(buf + len, FX_BUF - len, "|");
    for (size_t k = 0; k < nh; k++)
        len += (size_t)snprintf(buf + len, FX_BUF - len, " %s", heads[k]);
#undef FX_DEL
#undef FX_INS
    return buf;
}

enum fx_kind { FX_UP, FX_DOWN, FX_STAMP };

/* Plans from `current` ("a b") to target and renders it with fx_apply(). */
FX_FN const char *fx_plan(char *buf, const struct graph *g, enum fx_kind kind,
                           const char *current, const char *target, int show_vt)
{
    char s[FX_BUF];
    const char *w[64];
    size_t nw = fx_split(s, current, w, 64);
    struct plan p = { 0 };
    struct err e = ERR_INIT;
    int rc;

    if (kind == FX_UP)
        rc = graph_plan_upgrade(g, w, nw, target, &p, &e);
    else if (kind == FX_DOWN)
        rc = graph_plan_downgrade(g, w, nw, target, &p, &e);
    else
        rc = graph_plan_stamp(g, w, nw, target, &p, &e);
    if (rc < 0) {
        snprintf(buf, FX_BUF, "ERR: %s", e.msg);
        return buf;
    }
    fx_apply(buf, current, &p, show_vt);
    plan_free(&p);
    return buf;
}

#define UP(g, cur, tgt) fx_plan(b, g, FX_UP, cur, tgt, 0)
#define DOWN(g, cur, tgt) fx_plan(b, g, FX_DOWN, cur, tgt, 0)
#define UP_VT(g, cur, tgt) fx_plan(b, g, FX_UP, cur, tgt, 1)
#define DOWN_VT(g, cur, tgt) fx_plan(b, g, FX_DOWN, cur, tgt, 1)
#define STAMP_VT(g, cur, tgt) fx_plan(b, g, FX_STAMP, cur, tgt, 1)
#define ITER(g, up, low, fl) fx_iter(b, g, up, low, fl)
#define REVS(g, t) fx_revs(b, g, t)
#define REV(g, t) fx_rev(b, g, t)
#define RESOLVE(g, t, cur) fx_resolve(b, g, t, cur)

#define INC GI_INCLUSIVE
#define IMPL GI_IMPLICIT_BASE
#define DG GI_DOWNGRADE

#endif
