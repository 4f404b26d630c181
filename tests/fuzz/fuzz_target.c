/* fuzz_target.c -- the revision-target grammar (graph_resolve.c,
 * graph_plan.c) on a fixed small branched graph: arbitrary targets,
 * history ranges and current heads.  No crash, no leak; a failure always
 * has a one-line message; a plan's steps name revisions of the graph.
 *
 * Input: byte 0 picks the question (low 3 bits) and whether current heads
 * that the graph does not know are kept (bit 7; the commands check them
 * against the graph before planning, so by default they are dropped); then
 * '\n'-separated lines: the target (or range), then up to 4 current heads. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a1 - b2 - c3 ------------- m6 - f7 (depends_on d4)
 *   \                       /
 *    d4 (label "feat") - e5
 * x1 (label "other") - y2 - z3 (depends_on b2)
 * c3 also has a child w8 (a second head of the first tree). */
static const char *const fixture[][4] = {
    /* id, downs (space-separated), labels, deps */
    { "a1b2c3d4e5f6", "", "main", "" },
    { "b2", "a1b2c3d4e5f6", "", "" },
    { "c3", "b2", "", "" },
    { "d4", "a1b2c3d4e5f6", "feat", "" },
    { "e5", "d4", "", "" },
    { "m6", "c3 e5", "", "" },
    { "f7", "m6", "", "d4" },
    { "w8", "c3", "", "" },
    { "x1", "", "other", "" },
    { "y2", "x1", "", "" },
    { "z3", "y2", "", "b2" },
};
#define N_FIXTURE (sizeof(fixture) / sizeof(fixture[0]))

static void words(char (*out)[RUNNER_ID_SIZE], const char *list)
{
    size_t k = 0;

    while (*list && k < RUNNER_MAX_REFS) {
        size_t n = strcspn(list, " ");

        snprintf(out[k++], RUNNER_ID_SIZE, "%.*s", (int)n, list);
        list += n;
        while (*list == ' ')
            list++;
    }
}

static struct graph *build(void)
{
    struct graph *g = graph_new();
    struct err e = ERR_INIT;

    if (!g)
        abort();
    for (size_t i = 0; i < N_FIXTURE; i++) {
        struct runner_revision m;

        memset(&m, 0, sizeof(m));
        m.magic = RUNNER_MAGIC;
        m.abi_version = RUNNER_ABI_VERSION;
        m.size = sizeof(m);
        snprintf(m.revision, sizeof(m.revision), "%s", fixture[i][0]);
        words(m.down_revision, fixture[i][1]);
        words(m.branch_labels, fixture[i][2]);
        words(m.depends_on, fixture[i][3]);
        snprintf(m.message, sizeof(m.message), "rev %s", fixture[i][0]);
        if (graph_add(g, &m, NULL, &e) < 0)
            abort();
    }
    if (graph_build(g, &e) < 0) {
        fprintf(stderr, "fixture: %s\n", e.msg);
        abort();
    }
    return g;
}

static int known(const struct graph *g, const char *id)
{
    for (size_t i = 0; i < graph_count(g); i++)
        if (strcmp(graph_at(g, i)->id, id) == 0)
            return 1;
    return 0;
}

static void check_err(int r, const struct err *e)
{
    if (r == 0)
        return;
    FUZZ_CHECK(e->code != ERR_OK && e->msg[0], "failure without a message");
    FUZZ_CHECK(!strchr(e->msg, '\n'), "multi-line message");
}

static void check_plan(const struct graph *g, const struct plan *p)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];

        FUZZ_CHECK(!s->rev || known(g, s->rev->id), "step of an unknown revision");
        FUZZ_CHECK(!s->from || known(g, s->from), "step from '%s'", s->from);
        FUZZ_CHECK(!s->to || known(g, s->to), "step to '%s'", s->to);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct graph *g;     /* built once: the graph is read-only here */
    char *s, *line, *next;
    const char *cur[4];
    size_t n_cur = 0;
    const struct rev **revs = NULL;
    size_t n_revs = 0;
    struct plan p = { 0 };
    struct err e = ERR_INIT;
    int op, raw, r = 0;

    if (size < 1)
        return 0;
    if (!g)
        g = build();
    op = data[0] & 7;
    raw = (data[0] & 0x80) != 0;
    s = fuzz_str(data + 1, size - 1);
    if (!s)
        return 0;
    line = s;
    next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    while (next && n_cur < 4) {
        char *c = next;

        next = strchr(c, '\n');
        if (next)
            *next++ = '\0';
        if (raw || known(g, c))
            cur[n_cur++] = c;
    }
    switch (op) {
    case 0:
    case 1:
        r = graph_resolve(g, line, cur, n_cur, &revs, &n_revs, &e);
        break;
    case 2:
        r = graph_history(g, line, cur, n_cur, &revs, &n_revs, &e);
        break;
    case 3:
        if (!raw)
            r = graph_plan_upgrade(g, cur, n_cur, line, &p, &e);
        break;
    case 4:
        if (!raw)
            r = graph_plan_downgrade(g, cur, n_cur, line, &p, &e);
        break;
    case 5:
        if (!raw)
            r = graph_plan_stamp(g, cur, n_cur, line, &p, &e);
        break;
    default:
        if (!raw) {
            const char *targets[2] = { line, cur[0] };

            r = graph_plan_stamp_multi(g, cur, n_cur, targets, n_cur ? 2 : 1, &p, &e);
        }
        break;
    }
    check_err(r, &e);
    if (r == 0) {
        for (size_t i = 0; i < n_revs; i++)
            FUZZ_CHECK(known(g, revs[i]->id), "unknown revision in a result");
        check_plan(g, &p);
    }
    free(revs);
    plan_free(&p);
    free(s);
    return 0;
}
