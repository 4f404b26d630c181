/* graph_resolve.c -- what a target string names, and which revisions lie
 * between two of them, in alembic's order.
 *
 * Follows alembic 1.8's RevisionMap: _resolve_revision_number(),
 * get_revisions(), _revision_for_ident(), _walk(), _parse_upgrade_target(),
 * _parse_downgrade_target(), _collect_upgrade_revisions(),
 * _collect_downgrade_revisions() and _topological_sort().  The messages are
 * the ones alembic's command line prints (ScriptDirectory's
 * _catch_revision_errors()), except that an ambiguous prefix lists its
 * candidates.  graph_plan.c turns the ordered revisions into steps. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_int.h"

static int multiple_heads(struct err *e, const char *arg)
{
    err_set(e, ERR_FAIL,
            "Multiple head revisions are present for given argument '%s'; please specify a "
            "specific target revision, '<branchname>@%s' to narrow to a specific head, or "
            "'heads' for all heads",
            arg, arg);
    return GR_EMULTI;
}

static int cant_locate(struct err *e, const char *id)
{
    return err_set(e, ERR_FAIL, "Can't locate revision identified by '%s'", id);
}

/* A spec of one string. */
static struct spec str_spec(const char *const *s)
{
    struct spec sp = { s, *s ? 1 : 0, 1 };

    return sp;
}

/* ------------------------------------------------------------------ */
/* Lineage. */

/* Marks every revision above or below any of revs (alembic's
 * _shares_lineage() is symmetric: X is a descendant of T exactly when T is
 * an ancestor of X). */
static unsigned char *lineage_mark(const struct graph *g, const struct rev *const *revs,
                                   size_t n, int include_deps, struct err *e)
{
    unsigned char *down, *up;

    if (!(down = graph_closure(g, include_deps ? GD_NORM_DOWN : GD_DOWN, revs, n, e)))
        return NULL;
    if (!(up = graph_closure(g, include_deps ? GD_ALL_NEXT : GD_NEXT, revs, n, e))) {
        free(down);
        return NULL;
    }
    for (size_t i = 0; i < g->n; i++)
        down[i] |= up[i];
    free(up);
    return down;
}

static int shares_lineage(const struct graph *g, const struct rev *a, const struct rev *b,
                          struct err *e)
{
    unsigned char *m = lineage_mark(g, &b, 1, 0, e);
    int ret;

    if (!m)
        return -1;
    ret = m[a->index];
    free(m);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Identifiers. */

/* alembic's _resolve_revision_number(): "heads", "head", "base" and the
 * label@ prefix; anything else stays a literal for _revision_for_ident(). */
struct rn {
    char *buf;              /* owned copy of the argument */
    const char *label;      /* before the first '@'; NULL when none or empty */
    const char *lit;        /* the literal, when !is_revs */
    int is_revs;            /* revs holds the answer (heads, head) */
    struct rlist revs;
};

static void rn_release(struct rn *r)
{
    free(r->buf);
    rlist_release(&r->revs);
    memset(r, 0, sizeof(*r));
}

static int revision_for_ident(const struct graph *g, const char *ident, const char *check_branch,
                              const struct rev **out, struct err *e);

static int get_current_head(const struct graph *g, const char *label, struct rlist *out,
                            struct err *e)
{
    int rc;

    if (label) {
        char arg[512];

        if ((rc = graph_filter_lineage(g, (const struct rev *const *)g->heads, g->n_heads, label,
                                       0, out, e)) < 0)
            return rc;
        if (out->n > 1) {
            snprintf(arg, sizeof(arg), "%s@head", label);
            return multiple_heads(e, arg);
        }
        return 0;
    }
    if (g->n_heads > 1)
        return multiple_heads(e, "head");
    for (size_t i = 0; i < g->n_heads; i++)
        if (rlist_push(out, g->heads[i], e) < 0)
            return -1;
    return 0;
}

static int resolve_number(const struct graph *g, const char *id, struct rn *r, struct err *e)
{
    char *at, *s;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!id) {
        r->is_revs = 1;
        return 0;
    }
    if (!(r->buf = strdup(id)))
        return err_set(e, ERR_FAIL, "out of memory");
    s = r->buf;
    if ((at = strchr(s, '@')) != NULL) {
        *at = '\0';
        r->label = s[0] ? s : NULL;
        s = at + 1;
    }
    if (strcmp(s, "heads") == 0) {
        r->is_revs = 1;
        if (r->label)
            return graph_filter_lineage(g, (const struct rev *const *)g->heads, g->n_heads,
                                        r->label, 0, &r->revs, e);
        for (size_t i = 0; i < g->n_real_heads; i++)
            if (rlist_push(&r->revs, g->real_heads[i], e) < 0)
                return -1;
        return 0;
    }
    if (strcmp(s, "head") == 0) {
        r->is_revs = 1;
        if ((rc = get_current_head(g, r->label, &r->revs, e)) < 0)
            return rc;
        return 0;
    }
    if (strcmp(s, "base") == 0) {
        r->is_revs = 1;
        return 0;
    }
    r->lit = s;
    return 0;
}

static int resolve_branch(const struct graph *g, const char *label, const struct rev **out,
                          struct err *e)
{
    const struct rev *r = graph_find_label(g, label);

    if (r) {
        *out = r;
        return 0;
    }
    if (revision_for_ident(g, label, NULL, out, e) < 0)
        /* alembic: "No such branch", which its command line reports as: */
        return cant_locate(e, label);
    return 0;
}

static int key_prefix_cmp(const char *prefix, const char *key)
{
    return strncmp(prefix, key, strlen(prefix));
}

static int cand_order_cmp(const void *a, const void *b)
{
    const struct key *x = *(const struct key *const *)a, *y = *(const struct key *const *)b;

    return x->order < y->order ? -1 : x->order > y->order;
}

/* alembic's _revision_for_ident(): exact id or label, else a unique prefix
 * among keys longer than three characters.  ident NULL is "()" (base):
 * *out = NULL. */
static int revision_for_ident(const struct graph *g, const char *ident, const char *check_branch,
                              const struct rev **out, struct err *e)
{
    const struct rev *branch_rev = NULL, *r;
    const struct key **cand = NULL;
    int ret = -1;

    *out = NULL;
    if (check_branch && check_branch[0] && resolve_branch(g, check_branch, &branch_rev, e) < 0)
        return -1;
    if (!ident)
        return 0;
    if (!ident[0])
        return cant_locate(e, ident);
    r = graph_find_id(g, ident);
    if (!r)
        r = graph_find_label(g, ident);
    if (!r) {
        size_t lo = 0, hi = g->n_keys, n = 0;
        unsigned char *m = NULL;

        while (lo < hi) {       /* first key >= ident */
            size_t mid = lo + (hi - lo) / 2;

            if (strcmp(g->keys[mid].s, ident) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (hi = lo; hi < g->n_keys && key_prefix_cmp(ident, g->keys[hi].s) == 0; hi++)
            ;
        if (hi > lo && !(cand = malloc((hi - lo) * sizeof(*cand))))
            return err_set(e, ERR_FAIL, "out of memory");
        if (branch_rev && hi > lo && !(m = lineage_mark(g, &branch_rev, 1, 0, e)))
            goto out;
        for (size_t i = lo; i < hi; i++)
            if (strlen(g->keys[i].s) > 3 && (!m || m[g->keys[i].rev->index]))
                cand[n++] = &g->keys[i];
        free(m);
        if (n == 0) {
            cant_locate(e, ident);
            goto out;
        }
        if (n > 1) {
            char list[ERR_MSG_SIZE] = "";
            size_t len = 0;

            qsort(cand, n, sizeof(*cand), cand_order_cmp);
            for (size_t i = 0; i < n && i < 3; i++)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s'", i ? ", " : "",
                                        cand[i]->s);
            err_set(e, ERR_FAIL, "Multiple revisions start with '%s': %s...", ident, list);
            goto out;
        }
        r = cand[0]->rev;
    }
    if (branch_rev) {
        int s = shares_lineage(g, r, branch_rev, e);

        if (s < 0)
            goto out;
        if (!s) {
            /* alembic: "Revision x is not a member of branch 'y'", which its
             * command line reports as: */
            cant_locate(e, ident);
            goto out;
        }
    }
    *out = r;
    ret = 0;
out:
    free(cand);
    return ret;
}

int graph_filter_lineage(const struct graph *g, const struct rev *const *targets, size_t n,
                         const char *check_against, int include_deps, struct rlist *out,
                         struct err *e)
{
    struct rn rn;
    struct rlist shares = { 0 };
    unsigned char *m = NULL;
    int ret = -1, rc;

    if (!n)
        return 0;       /* alembic resolves check_against per target, so not at all */
    for (size_t i = 0; i < n; i++)
        if (!targets[i] || targets[i] == GRAPH_BASE)
            /* a relative walk that left the graph: alembic looks "base" up */
            return cant_locate(e, "base");
    if ((rc = resolve_number(g, check_against, &rn, e)) < 0) {
        rn_release(&rn);
        return rc;
    }
    if (rn.label) {
        const struct rev *r;

        if (revision_for_ident(g, rn.label, NULL, &r, e) < 0 || rlist_push(&shares, r, e) < 0)
            goto out;
    }
    if (rn.is_revs) {
        for (size_t i = 0; i < rn.revs.n; i++)
            if (rlist_push(&shares, rn.revs.v[i], e) < 0)
                goto out;
    } else {
        const struct rev *r;

        if (revision_for_ident(g, rn.lit, NULL, &r, e) < 0 || rlist_push(&shares, r, e) < 0)
            goto out;
    }
    if (shares.n && !(m = lineage_mark(g, shares.v, shares.n, include_deps, e)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((!m || m[targets[i]->index]) && rlist_push(out, targets[i], e) < 0)
            goto out;
    ret = 0;
out:
    free(m);
    rlist_release(&shares);
    rn_release(&rn);
    return ret;
}

/* Python's int() on "-3", "+2", "7"; 1 when s is one. */
static int parse_int(const char *s, long long *v)
{
    const char *p = s;
    long long x = 0;
    int neg = 0;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return 0;
    for (; isdigit((unsigned char)*p); p++)
        x = x > 100000000000LL ? x : x * 10 + (*p - '0');
    if (*p)
        return 0;
    *v = neg ? -x : x;
    return 1;
}

static int walk(const struct graph *g, const struct rev *start, long long steps, const char *label,
                int no_overwalk, const struct rev **out, struct err *e);

static int get_revisions_one(const struct graph *g, const char *id, struct rlist *out,
                             struct err *e)
{
    struct rn rn;
    long long rint;
    const struct rev *r;
    int ret = -1, rc;

    if ((rc = resolve_number(g, id, &rn, e)) < 0) {
        rn_release(&rn);
        return rc;
    }
    if (!rn.is_revs && parse_int(rn.lit, &rint) && rint < 0) {
        /* branch@-n: walk down from the heads */
        for (size_t i = 0; i < g->n_real_heads; i++) {
            const struct rev *h = g->real_heads[i];
            int has = !rn.label;

            for (size_t k = 0; !has && k < h->n_labels; k++)
                has = strcmp(h->labels[k], rn.label) == 0;
            if (!has)
                continue;
            if ((rc = walk(g, h, rint, NULL, 1, &r, e)) < 0) {
                ret = rc;
                goto out;
            }
            if (rlist_push(out, r, e) < 0)
                goto out;
        }
        ret = 0;
        goto out;
    }
    if (rn.is_revs) {
        for (size_t i = 0; i < rn.revs.n; i++)
            if (revision_for_ident(g, rn.revs.v[i]->id, rn.label, &r, e) < 0 ||
                rlist_push(out, r, e) < 0)
                goto out;
    } else if (revision_for_ident(g, rn.lit, rn.label, &r, e) < 0 || rlist_push(out, r, e) < 0) {
        goto out;
    }
    ret = 0;
out:
    rn_release(&rn);
    return ret;
}

int graph_get_revisions(const struct graph *g, const struct spec *s, struct rlist *out,
                        struct err *e)
{
    int rc;

    for (size_t i = 0; i < s->n; i++)
        if ((rc = get_revisions_one(g, s->v[i], out, e)) < 0)
            return rc;
    return 0;
}

int graph_get_revision(const struct graph *g, const char *id, const struct rev **out,
                       struct err *e)
{
    struct rn rn;
    int rc;

    *out = NULL;
    if ((rc = resolve_number(g, id, &rn, e)) < 0) {
        rn_release(&rn);
        return rc;
    }
    if (rn.is_revs && rn.revs.n > 1) {
        rn_release(&rn);
        return multiple_heads(e, id);
    }
    rc = revision_for_ident(g, rn.is_revs ? (rn.revs.n ? rn.revs.v[0]->id : NULL) : rn.lit,
                            rn.label, out, e);
    rn_release(&rn);
    return rc;
}

/* Alembic says only "Ambiguous walk": name the revisions the walk could
 * take from where it stopped (a merge point's parents going down, a branch
 * point's children going up), which are the targets to choose from. */
static void ambiguous_walk_hint(struct err *e, const struct rev *at, const struct rlist *choices)
{
    size_t len;

    if (at && at != GRAPH_BASE)
        snprintf(e->hint, sizeof(e->hint), "the walk forks at %s; name one of ", at->id);
    else
        snprintf(e->hint, sizeof(e->hint), "the walk forks; name one of ");
    for (size_t k = 0; k < choices->n; k++) {
        const struct rev *r = choices->v[k];

        len = strlen(e->hint);
        snprintf(e->hint + len, sizeof(e->hint) - len, "%s%s", k ? ", " : "",
                 r == GRAPH_BASE ? "base" : r->id);
    }
    len = strlen(e->hint);
    snprintf(e->hint + len, sizeof(e->hint) - len, " as the target instead of a relative step");
}

/* alembic's _walk(): steps up (> 0) or down (< 0).  start NULL is below
 * the bases; the answer may be GRAPH_BASE, or NULL when walked past the
 * graph with no_overwalk (else the walk stops where it is). */
static int walk(const struct graph *g, const struct rev *start, long long steps, const char *label,
                int no_overwalk, const struct rev **out, struct err *e)
{
    const struct rev *cur = start;
    long long n = steps < 0 ? -steps : steps;
    struct rlist children = { 0 };
    int ret = -1, rc;

    for (long long i = 0; i < n; i++) {
        children.n = 0;
        if (steps > 0) {
            struct rev *const *v = cur == NULL || cur == GRAPH_BASE ? g->bases : cur->next;
            size_t nv = cur == NULL || cur == GRAPH_BASE ? g->n_bases : cur->n_next;

            if (label) {
                if ((rc = graph_filter_lineage(g, (const struct rev *const *)v, nv, label, 0,
                                               &children, e)) < 0) {
                    ret = rc;
                    goto out;
                }
            } else {
                for (size_t k = 0; k < nv; k++)
                    if (rlist_push(&children, v[k], e) < 0)
                        goto out;
            }
        } else if (cur != GRAPH_BASE) {
            struct rev *const *v = cur == NULL ? g->heads : cur->down;
            size_t nv = cur == NULL ? g->n_heads : cur->n_down;

            for (size_t k = 0; k < nv; k++)
                if (rlist_push(&children, v[k], e) < 0)
                    goto out;
            if (!children.n && rlist_push(&children, GRAPH_BASE, e) < 0)
                goto out;
        }
        if (!children.n) {
            *out = no_overwalk ? NULL : cur;
            ret = 0;
            goto out;
        }
        if (children.n > 1) {
            err_set(e, ERR_FAIL, "Ambiguous walk");
            ambiguous_walk_hint(e, cur, &children);
            goto out;
        }
        cur = children.v[0];
    }
    *out = cur;
    ret = 0;
out:
    rlist_release(&children);
    return ret;
}

/* alembic's _relative_destination regex, (?:(.+?)@)?(\w+)?((?:\+|-)\d+),
 * matched at the start of s (not anchored at the end, as re.match). */
struct relative {
    char *buf;              /* owned copy holding label and symbol */
    const char *label;      /* NULL when absent */
    const char *symbol;     /* NULL when absent */
    long long rel;
    char rel_str[128];      /* the "+2" / "-3" as written (for messages) */
};

static int match_at(const char *s, const char **sym_end, long long *rel, char *rel_str,
                    size_t rel_size)
{
    const char *p = s, *q;
    long long x = 0;

    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    *sym_end = p;
    if (!(*p == '+' || *p == '-') || !isdigit((unsigned char)p[1]))
        return 0;
    for (q = p + 1; isdigit((unsigned char)*q); q++)
        x = x > 100000000000LL ? x : x * 10 + (*q - '0');
    *rel = *p == '-' ? -x : x;
    snprintf(rel_str, rel_size, "%.*s", (int)(q - p), p);
    return 1;
}

static int parse_relative(const char *s, struct relative *r, struct err *e)
{
    const char *sym_end, *start = NULL;
    size_t label_len = 0;

    memset(r, 0, sizeof(*r));
    for (const char *at = strchr(s, '@'); at; at = strchr(at + 1, '@'))
        if (at > s && match_at(at + 1, &sym_end, &r->rel, r->rel_str, sizeof(r->rel_str))) {
            start = at + 1;
            label_len = (size_t)(at - s);
            break;
        }
    if (!start) {
        if (!match_at(s, &sym_end, &r->rel, r->rel_str, sizeof(r->rel_str)))
            return 0;
        start = s;
    }
    if (!(r->buf = malloc(strlen(s) + 2))) {
        err_set(e, ERR_FAIL, "out of memory");
        return -1;
    }
    if (label_len) {
        memcpy(r->buf, s, label_len);
        r->buf[label_len] = '\0';
        r->label = r->buf;
    }
    if (sym_end > start) {
        char *sym = r->buf + label_len + 1;

        memcpy(sym, start, (size_t)(sym_end - start));
        sym[sym_end - start] = '\0';
        r->symbol = sym;
    }
    return 1;
}

/* alembic: "Relative revision -3 didn't produce 3 migrations"; shown is
 * "-3" / "+3" as alembic prints it, the count is its digits. */
static int relative_error(struct err *e, const char *shown)
{
    const char *digits = shown + (*shown == '+' || *shown == '-');

    while (digits[0] == '0' && digits[1])
        digits++;
    return err_set(e, ERR_FAIL, "Relative revision %s didn't produce %s migrations", shown, digits);
}

/* get_revision("label@symbol") or get_revision(symbol). */
static int get_revision_at(const struct graph *g, const char *label, const char *symbol,
                           const struct rev **out, struct err *e)
{
    char *buf;
    int rc;

    if (!label)
        return graph_get_revision(g, symbol, out, e);
    if (!(buf = malloc(strlen(label) + strlen(symbol) + 2)))
        return err_set(e, ERR_FAIL, "out of memory");
    sprintf(buf, "%s@%s", label, symbol);
    rc = graph_get_revision(g, buf, out, e);
    free(buf);
    return rc;
}

/* alembic's _get_all_current(): the current revisions and all they imply,
 * reduced to the tips. */
static int get_all_current(const struct graph *g, const struct rlist *cur, struct rlist *out,
                           struct err *e)
{
    unsigned char *m = graph_closure(g, GD_NORM_DOWN, cur->v, cur->n, e);

    if (!m)
        return -1;
    for (size_t i = 0; i < g->n; i++) {
        const struct rev *r = g->revs[i];
        int tip = 1;

        if (!m[i])
            continue;
        for (size_t k = 0; k < r->n_next && tip; k++)
            tip = !m[r->next[k]->index];
        if (tip && rlist_push(out, r, e) < 0) {
            free(m);
            return -1;
        }
    }
    free(m);
    return 0;
}

/* alembic's _parse_downgrade_target(): *label is owned by the caller
 * (free()), *out is a revision, GRAPH_BASE or NULL (base). */
static int parse_downgrade_target(const struct graph *g, const struct spec *current,
                                  const char *target, int assert_len, char **label,
                                  const struct rev **out, struct err *e)
{
    struct relative rel;
    struct rlist cur = { 0 }, list = { 0 }, all = { 0 };
    const struct rev *start;
    const char *sym;
    int m, rc, ret = -1;

    *label = NULL;
    *out = NULL;
    if (!target)
        return 0;
    if ((m = parse_relative(target, &rel, e)) < 0)
        return -1;
    if (!m) {
        const char *at = strrchr(target, '@');

        if (at && at > target && !(*label = strndup(target, (size_t)(at - target))))
            return err_set(e, ERR_FAIL, "out of memory");
        if ((rc = graph_get_revision(g, at ? at + 1 : target, out, e)) < 0) {
            free(*label);       /* the caller frees it only on success */
            *label = NULL;
        }
        return rc;
    }
    if (rel.label && !(*label = strdup(rel.label))) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (rel.rel >= 0) {
        if (!rel.symbol) {
            relative_error(e, rel.rel_str);
            goto out;
        }
        if ((rc = graph_get_revision(g, rel.symbol, &start, e)) < 0 ||
            (rc = walk(g, start, rel.rel, rel.label, assert_len, out, e)) < 0) {
            ret = rc;
            goto out;
        }
        if (!*out) {
            err_set(e, ERR_FAIL, "Walked too far");
            goto out;
        }
        ret = 0;
        goto out;
    }
    sym = rel.symbol;
    if (!sym) {
        if (rel.label) {
            /* alembic looks each current version up as a plain id here */
            for (size_t i = 0; i < current->n; i++) {
                const struct rev *r;

                if (revision_for_ident(g, current->v[i], NULL, &r, e) < 0 ||
                    rlist_push(&cur, r, e) < 0)
                    goto out;
            }
            if ((rc = graph_filter_lineage(g, cur.v, cur.n, rel.label, 0, &list, e)) < 0) {
                ret = rc;
                goto out;
            }
            if (!list.n) {
                /* all branches may hang off one current head (depends_on) */
                if (get_all_current(g, &cur, &all, e) < 0)
                    goto out;
                if ((rc = graph_filter_lineage(g, all.v, all.n, rel.label, 0, &list, e)) < 0) {
                    ret = rc;
                    goto out;
                }
            }
            if (list.n != 1) {
                err_set(e, ERR_FAIL, "Ambiguous walk");
                goto out;
            }
            sym = list.v[0]->id;
        } else {
            if (!current->n) {
                relative_error(e, rel.rel_str);
                goto out;
            }
            /* alembic warns: downgrade -1 from multiple heads is ambiguous */
            sym = current->v[0];
            free(*label);
            if (!(*label = strdup(sym))) {
                err_set(e, ERR_FAIL, "out of memory");
                goto out;
            }
        }
    }
    if ((rc = get_revision_at(g, *label, sym, &start, e)) < 0 ||
        (rc = walk(g, start, rel.rel, NULL, assert_len, out, e)) < 0) {
        ret = rc;
        goto out;
    }
    if (!*out) {
        if (!rel.symbol)
            relative_error(e, rel.rel_str);
        else
            err_set(e, ERR_FAIL, "Walked too far");
        goto out;
    }
    ret = 0;
out:
    if (ret < 0) {
        free(*label);
        *label = NULL;
    }
    rlist_release(&cur);
    rlist_release(&list);
    rlist_release(&all);
    free(rel.buf);
    return ret;
}

/* alembic's _parse_upgrade_target(): appends to out (entries may be NULL
 * or GRAPH_BASE). */
static int parse_upgrade_target(const struct graph *g, const struct spec *current,
                                const struct spec *target, int assert_len, struct rlist *out,
                                struct err *e)
{
    struct relative rel;
    struct rlist cur = { 0 }, start_revs = { 0 }, tmp = { 0 };
    const struct rev *start = NULL, *r;
    int m = 0, rc, ret = -1;

    if (target->is_str && target->n && (m = parse_relative(target->v[0], &rel, e)) < 0)
        return -1;
    if (!m)
        return graph_get_revisions(g, target, out, e);
    if (rel.rel > 0 && !rel.symbol) {
        if (rel.label) {
            if ((rc = graph_get_revisions(g, current, &cur, e)) < 0 ||
                (rc = graph_filter_lineage(g, cur.v, cur.n, rel.label, 0, &start_revs, e)) < 0) {
                ret = rc;
                goto out;
            }
            if (!start_revs.n) {
                /* the branch is not a current head: back up to where it
                 * leaves the current revisions */
                struct rlist anc = { 0 };
                unsigned char *seen = calloc(g->n ? g->n : 1, 1), *lower = NULL;

                if (!seen || graph_related(g, GD_NORM_DOWN, cur.v, cur.n, seen, &anc, 0, e) < 0 ||
                    graph_filter_lineage(g, anc.v, anc.n, rel.label, 0, &tmp, e) < 0 ||
                    !(lower = calloc(g->n ? g->n : 1, 1))) {
                    if (!seen || (anc.n && !lower))
                        err_set(e, ERR_FAIL, "out of memory");
                    free(seen);
                    free(lower);
                    rlist_release(&anc);
                    goto out;
                }
                for (size_t i = 0; i < tmp.n; i++) {
                    const struct node *nd = graph_node(g, tmp.v[i]);

                    for (size_t k = 0; k < nd->n_norm_down; k++)
                        lower[nd->norm_down[k]->index] = 1;
                }
                for (size_t i = 0; i < tmp.n; i++)
                    if (!lower[tmp.v[i]->index] && rlist_push(&start_revs, tmp.v[i], e) < 0)
                        break;
                free(seen);
                free(lower);
                rlist_release(&anc);
                if (!start_revs.n && rlist_push(&start_revs, NULL, e) < 0)
                    goto out;
            }
        } else if (!current->n) {
            if (rlist_push(&start_revs, NULL, e) < 0)
                goto out;
        } else {
            for (size_t i = 0; i < current->n; i++) {
                if ((rc = graph_get_revision(g, current->v[i], &r, e)) < 0) {
                    ret = rc;
                    goto out;
                }
                if (rlist_push(&start_revs, r, e) < 0)
                    goto out;
            }
        }
        if (start_revs.n > 1) {
            err_set(e, ERR_FAIL, "Ambiguous upgrade from multiple current revisions");
            goto out;
        }
        if ((rc = walk(g, start_revs.v[0], rel.rel, rel.label, assert_len, &r, e)) < 0) {
            ret = rc;
            goto out;
        }
        if (!r) {
            relative_error(e, rel.rel_str);
            goto out;
        }
    } else if (rel.rel > 0) {
        if ((rc = graph_get_revision(g, rel.symbol, &start, e)) < 0 ||
            (rc = walk(g, start, rel.rel, rel.label, assert_len, &r, e)) < 0) {
            ret = rc;
            goto out;
        }
    } else {
        char num[140];

        if (!rel.symbol) {
            /* alembic formats the number here, not the text: "-2", "0" */
            const char *d = rel.rel_str + 1;

            while (d[0] == '0' && d[1])
                d++;
            snprintf(num, sizeof(num), "%s%s", rel.rel && rel.rel_str[0] == '-' ? "-" : "", d);
            relative_error(e, num);
            goto out;
        }
        if ((rc = get_revision_at(g, rel.label, rel.symbol, &start, e)) < 0 ||
            (rc = walk(g, start, rel.rel, NULL, assert_len, &r, e)) < 0) {
            ret = rc;
            goto out;
        }
    }
    if (!r) {
        /* alembic fails an assertion here; say what went wrong instead */
        relative_error(e, rel.rel_str);
        goto out;
    }
    if (rlist_push(out, r, e) < 0)
        goto out;
    ret = 0;
out:
    rlist_release(&cur);
    rlist_release(&start_revs);
    rlist_release(&tmp);
    free(rel.buf);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Collecting and ordering. */

static int collect_upgrade(const struct graph *g, const struct spec *upper,
                           const struct spec *lower, unsigned flags, unsigned char *needs,
                           struct rlist *targets, struct err *e)
{
    struct rlist parsed = { 0 }, cur = { 0 }, low = { 0 };
    unsigned char *req = NULL, *have = NULL, *desc = NULL;
    const char *lower_one = lower->n ? lower->v[0] : NULL;
    int implicit = !!(flags & GI_IMPLICIT_BASE), rc, ret = -1;

    if ((rc = parse_upgrade_target(g, lower, upper, !(flags & GI_NO_ASSERT_LENGTH), &parsed,
                                   e)) < 0)
        return rc;
    for (size_t i = 0; i < parsed.n; i++) {
        if (parsed.v[i] == GRAPH_BASE)
            continue;   /* upgrading to base needs nothing */
        if (!parsed.v[i]) {
            err_set(e, ERR_FAIL, "Walked too far");
            goto out;
        }
        if (rlist_push(targets, parsed.v[i], e) < 0)
            goto out;
    }
    /* named bases (branch@...): keep the targets on that branch */
    if (lower->is_str && lower->n && strchr(lower->v[0], '@')) {
        char *branch = strndup(lower->v[0], (size_t)(strchr(lower->v[0], '@') - lower->v[0]));
        const struct rev *br;
        const char *name;
        size_t k = 0;

        if (!branch) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if ((rc = graph_get_revision(g, branch, &br, e)) < 0) {
            free(branch);
            ret = rc;
            goto out;
        }
        name = branch;
        if (br && strcmp(br->id, branch) == 0) {
            /* a revision used as a label: its branch instead */
            if (br->n_labels != 1) {
                err_set(e, ERR_FAIL, "revision %s is not on exactly one branch", br->id);
                free(branch);
                goto out;
            }
            name = br->labels[0];
        }
        for (size_t i = 0; i < targets->n; i++) {
            int on = 0;

            for (size_t l = 0; l < targets->v[i]->n_labels && !on; l++)
                on = strcmp(targets->v[i]->labels[l], name) == 0;
            if (on)
                targets->v[k++] = targets->v[i];
        }
        targets->n = k;
        free(branch);
    }
    if (!(req = calloc(g->n ? g->n : 1, 1))) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (graph_related(g, GD_NORM_DOWN, targets->v, targets->n, req, NULL, 1, e) < 0)
        goto out;
    if ((rc = graph_get_revisions(g, lower, &cur, e)) < 0) {
        ret = rc;
        goto out;
    }
    if (!implicit)
        for (size_t i = 0; i < cur.n; i++)
            /* a walk that ended at "base" counts as outside the range too */
            if (cur.v[i] && (cur.v[i] == GRAPH_BASE || !req[cur.v[i]->index])) {
                ret = GR_ERANGE;
                goto out;
            }
    if (cur.n && cur.v[0] == NULL) {
        /* a relative lower bound that get_revisions() could not walk */
        char *label = NULL;
        const struct rev *r;

        if ((rc = parse_downgrade_target(g, upper, lower_one, !(flags & GI_NO_ASSERT_LENGTH),
                                         &label, &r, e)) < 0) {
            ret = rc;
            goto out;
        }
        free(label);
        cur.n = 0;
        lower_one = NULL;
        if (r && r != GRAPH_BASE) {
            if (rlist_push(&cur, r, e) < 0)
                goto out;
            lower_one = r->id;
        }
    }
    {
        size_t k = 0;

        for (size_t i = 0; i < cur.n; i++)
            if (cur.v[i] && cur.v[i] != GRAPH_BASE)
                cur.v[k++] = cur.v[i];
        cur.n = k;
    }
    if (!(have = calloc(g->n ? g->n : 1, 1))) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (graph_related(g, GD_NORM_DOWN, cur.v, cur.n, have, NULL, 1, e) < 0)
        goto out;
    for (size_t i = 0; i < g->n; i++)
        needs[i] = req[i] && !have[i];
    if (flags & GI_INCLUSIVE) {
        if (!lower->n || lower_one == lower->v[0]) {
            if ((rc = graph_get_revisions(g, lower, &low, e)) < 0) {
                ret = rc;
                goto out;
            }
        } else if (lower_one && (rc = get_revisions_one(g, lower_one, &low, e)) < 0) {
            ret = rc;
            goto out;
        }
        for (size_t i = 0; i < low.n; i++)
            if (low.v[i] && low.v[i] != GRAPH_BASE)
                needs[low.v[i]->index] = 1;
    }
    if (cur.n && !implicit) {
        if (!(desc = calloc(g->n ? g->n : 1, 1))) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if (graph_related(g, GD_NEXT, cur.v, cur.n, desc, NULL, 1, e) < 0)
            goto out;
        for (size_t i = 0; i < g->n; i++)
            needs[i] = needs[i] && desc[i];
    }
    ret = 0;
out:
    free(req);
    free(have);
    free(desc);
    rlist_release(&parsed);
    rlist_release(&cur);
    rlist_release(&low);
    return ret;
}

static int collect_downgrade(const struct graph *g, const struct spec *upper, const char *target,
                             unsigned flags, unsigned char *drop, struct rlist *heads,
                             struct err *e)
{
    char *label = NULL;
    const struct rev *tr;
    struct rlist roots = { 0 };
    unsigned char *desc = NULL, *active = NULL, *below = NULL;
    int rc, ret = -1;

    if ((rc = parse_downgrade_target(g, upper, target, !(flags & GI_NO_ASSERT_LENGTH), &label, &tr,
                                     e)) < 0)
        return rc;
    if (tr == GRAPH_BASE)
        tr = NULL;
    if (!tr) {
        for (size_t i = 0; i < g->n_bases; i++)
            if (rlist_push(&roots, g->bases[i], e) < 0)
                goto out;
    } else if (flags & GI_INCLUSIVE) {
        if (rlist_push(&roots, tr, e) < 0)
            goto out;
    } else {
        for (size_t i = 0; i < tr->n_next; i++)
            if (rlist_push(&roots, tr->next[i], e) < 0)
                goto out;
    }
    if (label && roots.n > 1) {
        const struct rev *br;
        unsigned char *anc;
        size_t k = 0;

        if (resolve_branch(g, label, &br, e) < 0 ||
            !(anc = graph_closure(g, GD_DOWN, &br, 1, e)))
            goto out;
        for (size_t i = 0; i < roots.n; i++)
            if (anc[roots.v[i]->index])
                roots.v[k++] = roots.v[i];
        roots.n = k;
        free(anc);
        if (!k) {
            err_set(e, ERR_FAIL, "Not a valid downgrade target from current heads");
            goto out;
        }
    }
    if ((rc = graph_get_revisions(g, upper, heads, e)) < 0) {
        ret = rc;
        goto out;
    }
    if (!(desc = graph_closure(g, GD_ALL_NEXT, roots.v, roots.n, e)) ||
        !(active = graph_closure(g, GD_NORM_DOWN, heads->v, heads->n, e)))
        goto out;
    for (size_t i = 0; i < g->n; i++)
        drop[i] = desc[i] && active[i];
    if (flags & GI_IMPLICIT_BASE) {
        if (!(below = graph_closure(g, GD_NORM_DOWN, roots.v, roots.n, e)))
            goto out;
        for (size_t i = 0; i < g->n; i++)
            drop[i] = drop[i] || (active[i] && !below[i]);
    }
    if (tr && !rlist_has(heads, tr)) {
        size_t i = 0;

        while (i < g->n && !drop[i])
            i++;
        if (i == g->n) {
            ret = GR_ERANGE;
            goto out;
        }
    }
    ret = 0;
out:
    free(label);
    free(desc);
    free(active);
    free(below);
    rlist_release(&roots);
    return ret;
}

/* One bit per revision: a head's ancestors in _topological_sort(). */
static int anc_bits(const struct graph *g, const struct rev *head, uint64_t *w,
                    struct rlist *stack, struct err *e)
{
    memset(w, 0, ((g->n + 63) / 64) * sizeof(*w));
    stack->n = 0;
    if (rlist_push(stack, head, e) < 0)
        return -1;
    while (stack->n) {
        const struct rev *r = stack->v[--stack->n];
        const struct node *nd;

        if (w[r->index / 64] & (1ull << (r->index % 64)))
            continue;
        w[r->index / 64] |= 1ull << (r->index % 64);
        nd = graph_node(g, r);
        for (size_t k = 0; k < nd->n_norm_down; k++)
            if (rlist_push(stack, nd->norm_down[k], e) < 0)
                return -1;
    }
    return 0;
}

static int bit(const uint64_t *w, size_t i)
{
    return !!(w[i / 64] & (1ull << (i % 64)));
}

/* Adds delta to cnt[] for every revision in the bit set. */
static void count_bits(const uint64_t *w, size_t words, size_t *cnt, int delta)
{
    for (size_t i = 0; i < words; i++)
        for (uint64_t x = w[i]; x; x &= x - 1)
            cnt[i * 64 + (size_t)__builtin_ctzll(x)] += (size_t)delta;
}

#define NO_SLOT ((size_t)-1)

/* alembic's _topological_sort(): depth first along each branch, but a
 * revision that another pending head still needs waits for that head.
 *
 * alembic keeps a list of heads, each with its full ancestor set, and
 * scans them all at every step.  Here the heads are a linked list of slots
 * in the same order, each with an ancestor bit set, and cnt[] counts for
 * every revision the sets holding it, so that the scan runs only when
 * some other head does need the candidate: linear on a chain, and no
 * quadratic blow-up on a root with thousands of branches. */
static int topo_sort(const struct graph *g, unsigned char *todo, const struct rlist *heads,
                     struct rlist *out, struct err *e)
{
    const struct rev **cur = NULL;      /* by slot */
    uint64_t **anc = NULL;              /* by slot: ancestors, itself included */
    size_t *prev = NULL, *next = NULL;  /* by slot: the list in alembic's order */
    size_t *cnt = NULL;                 /* by revision: live sets holding it */
    unsigned char *is_cur = NULL;       /* by revision: some slot is at it */
    size_t n_slots = 0, cap = 0, first = NO_SLOT, last = NO_SLOT, at;
    size_t words = (g->n + 63) / 64, left = 0;
    struct rlist stack = { 0 };
    int ret = -1;

    for (size_t i = 0; i < g->n; i++)
        left += todo[i] != 0;
    if (!(cnt = calloc(g->n ? g->n : 1, sizeof(*cnt))) ||
        !(is_cur = calloc(g->n ? g->n : 1, 1)))
        goto oom;
    for (size_t i = 0; i < heads->n; i++)
        if (heads->v[i] && heads->v[i] != GRAPH_BASE && todo[heads->v[i]->index])
            is_cur[heads->v[i]->index] = 1;
    for (size_t i = 0; i < g->n; i++)
        cap += is_cur[i];
    cap += 8;
    if (!(cur = malloc(cap * sizeof(*cur))) || !(anc = calloc(cap, sizeof(*anc))) ||
        !(prev = malloc(cap * sizeof(*prev))) || !(next = malloc(cap * sizeof(*next))))
        goto oom;
    /* the heads that are to be emitted, in revision order */
    for (size_t i = 0; i < g->n; i++) {
        if (!is_cur[i])
            continue;
        cur[n_slots] = g->revs[i];
        if (!(anc[n_slots] = malloc((words ? words : 1) * sizeof(uint64_t))))
            goto oom;
        if (anc_bits(g, g->revs[i], anc[n_slots], &stack, e) < 0)
            goto out;
        count_bits(anc[n_slots], words, cnt, 1);
        prev[n_slots] = last;
        next[n_slots] = NO_SLOT;
        if (last != NO_SLOT)
            next[last] = n_slots;
        else
            first = n_slots;
        last = n_slots++;
    }
    at = first;
    while (first != NO_SLOT) {
        const struct rev *cand = cur[at];
        const struct node *nd;
        const struct rev *add[RUNNER_MAX_REFS * 2 + 1];
        size_t n_add = 0, own = (size_t)bit(anc[at], cand->index);

        if (cnt[cand->index] > own) {
            size_t j;

            /* another head needs us: finish it first */
            for (j = first; j != NO_SLOT; j = next[j])
                if (j != at && bit(anc[j], cand->index))
                    break;
            if (j != NO_SLOT) {
                at = j;
                continue;
            }
        }
        if (todo[cand->index]) {
            if (rlist_push(out, cand, e) < 0)
                goto out;
            todo[cand->index] = 0;
            left--;
        }
        nd = graph_node(g, cand);
        for (size_t k = 0; k < nd->n_norm_down; k++) {
            const struct rev *d = nd->norm_down[k];

            if (todo[d->index] && !is_cur[d->index])
                add[n_add++] = d;
        }
        is_cur[cand->index] = 0;
        if (!n_add) {
            size_t p = prev[at], q = next[at];

            count_bits(anc[at], words, cnt, -1);
            free(anc[at]);
            anc[at] = NULL;
            if (p != NO_SLOT)
                next[p] = q;
            else
                first = q;
            if (q != NO_SLOT)
                prev[q] = p;
            else
                last = p;
            at = p != NO_SLOT ? p : first;
            continue;
        }
        cur[at] = add[0];
        is_cur[add[0]->index] = 1;
        if (nd->n_norm_deps == 0 && cand->n_down == 1) {
            if (own) {
                anc[at][cand->index / 64] &= ~(1ull << (cand->index % 64));
                cnt[cand->index]--;
            }
            continue;
        }
        count_bits(anc[at], words, cnt, -1);
        if (anc_bits(g, add[0], anc[at], &stack, e) < 0)
            goto out;
        count_bits(anc[at], words, cnt, 1);
        if (n_slots + n_add > cap) {
            size_t ncap = (n_slots + n_add) * 2;
            const struct rev **nc;
            uint64_t **na;
            size_t *np, *nn;

            if (!(nc = realloc(cur, ncap * sizeof(*nc))))
                goto oom;
            cur = nc;
            if (!(na = realloc(anc, ncap * sizeof(*na))))
                goto oom;
            anc = na;
            for (size_t k = n_slots; k < ncap; k++)
                anc[k] = NULL;
            if (!(np = realloc(prev, ncap * sizeof(*np))))
                goto oom;
            prev = np;
            if (!(nn = realloc(next, ncap * sizeof(*nn))))
                goto oom;
            next = nn;
            cap = ncap;
        }
        for (size_t k = 1; k < n_add; k++) {
            cur[n_slots] = add[k];
            is_cur[add[k]->index] = 1;
            if (!(anc[n_slots] = malloc((words ? words : 1) * sizeof(uint64_t))))
                goto oom;
            if (anc_bits(g, add[k], anc[n_slots], &stack, e) < 0)
                goto out;
            count_bits(anc[n_slots], words, cnt, 1);
            prev[n_slots] = last;
            next[n_slots] = NO_SLOT;
            next[last] = n_slots;
            last = n_slots++;
        }
    }
    if (left) {
        /* alembic asserts here; a well-formed graph never gets here */
        err_set(e, ERR_FAIL, "revision ordering failed: %zu revisions unreachable from the heads",
                left);
        goto out;
    }
    ret = 0;
    goto out;
oom:
    err_set(e, ERR_FAIL, "out of memory");
out:
    for (size_t i = 0; anc && i < n_slots; i++)
        free(anc[i]);
    free(anc);
    free((void *)cur);
    free(prev);
    free(next);
    free(cnt);
    free(is_cur);
    rlist_release(&stack);
    return ret;
}

static void spec_text(const struct spec *s, const char *none, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    if (!s->n) {
        snprintf(buf, size, "%s", none);
        return;
    }
    for (size_t i = 0; i < s->n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", s->v[i]);
}

int graph_iterate_spec(const struct graph *g, const struct spec *upper,
                       const struct spec *lower, unsigned flags, struct rlist *out,
                       struct err *e)
{
    unsigned char *todo;
    struct rlist heads = { 0 };
    int rc;

    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (!(todo = calloc(g->n ? g->n : 1, 1)))
        return err_set(e, ERR_FAIL, "out of memory");
    if (flags & GI_DOWNGRADE) {
        if (lower->n > 1) {
            rc = err_set(e, ERR_USAGE, "a downgrade target is a single revision");
            goto out;
        }
        rc = collect_downgrade(g, upper, lower->n ? lower->v[0] : NULL, flags, todo, &heads, e);
    } else {
        rc = collect_upgrade(g, upper, lower, flags, todo, &heads, e);
    }
    if (rc == GR_ERANGE) {
        char lo[512], up[512];

        spec_text(lower, "base", lo, sizeof(lo));
        spec_text(upper, "base", up, sizeof(up));
        if (flags & GI_DOWNGRADE)
            snprintf(lo, sizeof(lo), "Nothing to drop");
        err_set(e, ERR_FAIL, "Revision %s is not an ancestor of revision %s", lo, up);
    }
    if (rc < 0)
        goto out;
    rc = topo_sort(g, todo, &heads, out, e);
out:
    free(todo);
    rlist_release(&heads);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Public entry points. */

int graph_lookup(const struct graph *g, const char *id, const struct rev **out, struct err *e)
{
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (!id || !id[0])
        return cant_locate(e, id ? id : "");
    return revision_for_ident(g, id, NULL, out, e);
}

const struct rev *graph_find(const struct graph *g, const char *id)
{
    return g->built && id ? graph_find_id(g, id) : NULL;
}

/* Hands l's array to the caller, without NULL, GRAPH_BASE or repeats. */
static int to_array(const struct graph *g, struct rlist *l, const struct rev ***out, size_t *n,
                    struct err *e)
{
    unsigned char *seen = calloc(g->n ? g->n : 1, 1);
    size_t k = 0;

    if (!seen)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] && l->v[i] != GRAPH_BASE && !seen[l->v[i]->index]) {
            seen[l->v[i]->index] = 1;
            l->v[k++] = l->v[i];
        }
    free(seen);
    l->n = k;
    if (!l->v && rlist_push(l, NULL, e) < 0)
        return -1;
    *out = l->v;
    *n = k;
    l->v = NULL;
    l->n = l->cap = 0;
    return 0;
}

int graph_resolve(const struct graph *g, const char *target, const char *const *current,
                  size_t n_current, const struct rev ***out, size_t *n, struct err *e)
{
    struct spec cur = { current, n_current, 0 }, tgt = str_spec(&target);
    struct rlist res = { 0 };
    struct relative rel;
    int m, rc;

    *out = NULL;
    *n = 0;
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (!target || !target[0])
        return err_set(e, ERR_USAGE, "empty revision target");
    if (strcmp(target, "current") == 0) {
        rc = graph_get_revisions(g, &cur, &res, e);
    } else if ((m = parse_relative(target, &rel, e)) < 0) {
        return -1;
    } else if (m) {
        long long r = rel.rel;

        free(rel.buf);
        if (r > 0) {
            rc = parse_upgrade_target(g, &cur, &tgt, 1, &res, e);
        } else {
            char *label = NULL;
            const struct rev *one = NULL;

            rc = parse_downgrade_target(g, &cur, target, 1, &label, &one, e);
            free(label);
            if (rc == 0 && rlist_push(&res, one, e) < 0)
                rc = -1;
        }
    } else {
        rc = graph_get_revisions(g, &tgt, &res, e);
    }
    if (rc == GR_EMULTI)
        multiple_heads(e, target);
    if (rc < 0) {
        rlist_release(&res);
        return -1;
    }
    rc = to_array(g, &res, out, n, e);
    rlist_release(&res);
    return rc;
}

int graph_history(const struct graph *g, const char *range, const char *const *current,
                  size_t n_current, const struct rev ***out, size_t *n, struct err *e)
{
    char *buf = NULL, *colon;
    const char *base = "base", *head = "heads";
    struct spec up, low;
    struct rlist res = { 0 };
    int rc, ret = -1;

    *out = NULL;
    *n = 0;
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (range) {
        if (!(buf = strdup(range)))
            return err_set(e, ERR_FAIL, "out of memory");
        colon = strchr(buf, ':');
        if (!colon || strchr(colon + 1, ':')) {
            free(buf);
            return err_set(e, ERR_USAGE,
                           "History range requires [start]:[end], [start]:, or :[end]");
        }
        *colon = '\0';
        if (buf[0])
            base = buf;
        if (colon[1])
            head = colon + 1;
    }
    up = str_spec(&head);
    low = str_spec(&base);
    if (strcmp(head, "current") == 0)
        up = (struct spec){ current, n_current, 0 };
    else if (strcmp(base, "current") == 0)
        low = (struct spec){ current, n_current, 0 };
    rc = graph_iterate_spec(g, &up, &low, GI_INCLUSIVE | GI_NO_ASSERT_LENGTH, &res, e);
    if (rc == GR_ERANGE) {
        char s[512], t[512];

        spec_text(&low, "base", s, sizeof(s));
        spec_text(&up, "base", t, sizeof(t));
        err_set(e, ERR_FAIL,
                "Requested range %s:%s does not refer to ancestor/descendant revisions along the "
                "same branch",
                s, t);
    } else if (rc == GR_EMULTI) {
        multiple_heads(e, head);
    }
    if (rc < 0)
        goto out;
    ret = to_array(g, &res, out, n, e);
out:
    rlist_release(&res);
    free(buf);
    return ret;
}

int graph_resolve_ids(const struct graph *g, const char *start, const char ***ids, size_t *n,
                      struct err *e)
{
    const struct rev **revs = NULL;
    size_t n_revs = 0;

    *ids = NULL;
    *n = 0;
    if (!start || !*start || strcmp(start, "base") == 0)
        return 0;
    if (graph_resolve(g, start, NULL, 0, &revs, &n_revs, e) < 0)
        return -1;
    if (n_revs > 0) {
        *ids = calloc(n_revs, sizeof(**ids));
        if (!*ids) {
            free(revs);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        for (size_t i = 0; i < n_revs; i++)
            (*ids)[i] = revs[i]->id;
    }
    *n = n_revs;
    free(revs);
    return 0;
}
