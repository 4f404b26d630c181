/* test_graph_iter.c -- the order in which revisions are visited between
 * two targets (alembic's RevisionMap.iterate_revisions(), which history,
 * upgrade and downgrade all use).  Ported from alembic 1.8's
 * tests/test_revision.py: DiamondTest, LabeledBranchTest, LongShortBranch,
 * MultipleBranchTest, MultipleBranchEffectiveHead, BranchTravellingTest,
 * MultipleBaseTest, MultipleBaseCrossDependencyTest{One,Two,Three},
 * NormalizedDownRevTest, APITest.test_iterate_tolerates_dupe_targets, and
 * a generated large map in place of LargeMapTest.  "(a b)" is a tuple
 * argument, "" is None. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph_fixture.h"

#define LABELED                                                               \
    "a: | abranch", "b: a", "somelongername: b", "c: somelongername", "d:",  \
        "e: d | ebranch", "someothername: e", "f: someothername"

#define MULTIPLE_BRANCH                                                          \
    "a:", "b1: a", "b2: a", "cb1: b1", "cb2: b2", "d1cb1: cb1", "d2cb1: cb1",   \
        "d1cb2: cb2", "d2cb2: cb2", "d3cb2: cb2", "d1d2cb2: d1cb2 d2cb2"

#define TRAVELLING                                                                         \
    "a1:", "a2: a1", "a3: a2", "b1: a3", "b2: a3", "cb1: b1", "cb2: b2", "db1: cb1",       \
        "db2: cb2", "e1b1: db1", "fe1b1: e1b1", "e2b1: db1", "e2b2: db2", "merge: e2b1 e2b2"

#define MULTIPLE_BASE                                                                    \
    "base1:", "base2:", "base3:", "a1a: base1", "a1b: base1", "a2: base2", "a3: base3", \
        "b1a: a1a", "b1b: a1b", "b2: a2", "b3: a3", "c2: b2", "d2: c2", "mergeb3d2: b3 d2"

#define CROSS_ONE                                                                  \
    "base1: | b_1", "a1a: base1", "a1b: base1", "b1a: a1a", "b1b: a1b | | a3",     \
        "base2: | b_2", "a2: base2", "b2: a2", "c2: b2 | | a3", "d2: c2",         \
        "base3: | b_3", "a3: base3", "b3: a3"

#define CROSS_TWO                                                                        \
    "base1: | b_1", "a1: base1", "b1: a1", "c1: b1", "base2: | b_2 | b_1", "a2: base2", \
        "b2: a2", "c2: b2", "d2: c2", "base3: | b_3", "a3: base3", "b3: a3",            \
        "c3: b3 | | b2", "d3: c3"

#define NORMALIZED                                                                      \
    "a1:", "a2: a1", "a3: a2", "b1:", "b2: b1 | | a3", "b3: b2", "b4: b3 | | a3",       \
        "b5: b4 | | b4"

static void test_graph_iter_tolerates_duplicate_targets(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c: b");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "(c c)", "a", 0), "c b");
    graph_free(g);
}

static void test_graph_iter_diamond_visits_both_sides_before_the_base(void)
{
    struct graph *g = GRAPH("a:", "b1: a", "b2: a", "c: b1 b2", "d: c");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "d", "a", INC), "d c b1 b2 a");
    graph_free(g);
}

static void test_graph_iter_labeled_heads_and_bases(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "ebranch@base", INC), "f someothername e d");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "abranch@base", INC), "c somelongername b a");
    CU_ASSERT_STRING_EQUAL(ITER(g, "ebranch@head", "base", INC), "f someothername e d");
    CU_ASSERT_STRING_EQUAL(ITER(g, "abranch@head", "base", INC), "c somelongername b a");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "ebranch@head", INC), "f");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "ebranch@d", INC), "f someothername e d");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "e@base", INC), "f someothername e d");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "c@base", INC), "c somelongername b a");
    graph_free(g);
}

static void test_graph_iter_labeled_relative_forms(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    /* alembic: test_branch_w_down_relative, test_branch_w_up_relative */
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "ebranch@-2", INC), "f someothername e");
    CU_ASSERT_STRING_EQUAL(ITER(g, "ebranch@+2", "base", INC), "e d");
    graph_free(g);
}

static void test_graph_iter_long_and_short_branch(void)
{
    struct graph *g = GRAPH("a:", "b1: a", "b2: a", "c1: b1", "d11: c1", "d12: c1");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC), "b2 d11 d12 c1 b1 a");
    graph_free(g);
}

static void test_graph_iter_multiple_branches(void)
{
    struct graph *g = GRAPH(MULTIPLE_BRANCH);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "d1d2cb2", "a", INC), "d1d2cb2 d1cb2 d2cb2 cb2 b2 a");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(d2cb2 d3cb2)", "a", INC), "d2cb2 d3cb2 cb2 b2 a");
    CU_ASSERT_STRING_EQUAL(ITER(g, "d3cb2", "a", INC), "d3cb2 cb2 b2 a");
    CU_ASSERT_STRING_EQUAL(ITER(g, "d3cb2", "base", INC), "d3cb2 cb2 b2 a");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(d3cb2 cb1)", "base", INC), "cb1 b1 d3cb2 cb2 b2 a");
    /* d1cb1 is not above b2, so it is left out */
    CU_ASSERT_STRING_EQUAL(ITER(g, "(d1cb1 d2cb2 d3cb2)", "b2", INC), "d2cb2 d3cb2 cb2 b2");
    graph_free(g);
}

static void test_graph_iter_wrong_direction_is_not_an_ancestor(void)
{
    struct graph *g = GRAPH(MULTIPLE_BRANCH);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "b1", "d1cb1", INC),
                           "ERR: Revision d1cb1 is not an ancestor of revision b1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "d2cb2", "b1", INC),
                           "ERR: Revision b1 is not an ancestor of revision d2cb2");
    /* issue #258: base as None or () raises instead of iterating nothing */
    CU_ASSERT_STRING_EQUAL(ITER(g, "", "d1cb1", INC),
                           "ERR: Revision d1cb1 is not an ancestor of revision base");
    CU_ASSERT_STRING_EQUAL(ITER(g, "()", "d1cb1", INC),
                           "ERR: Revision d1cb1 is not an ancestor of revision base");
    graph_free(g);
}

static void test_graph_iter_effective_head_through_depends_on(void)
{
    struct graph *g = GRAPH("y1: | y", "x1: | x", "y2: y1 | | x1", "x2: x1");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "(x2 y2)", "x@-1", DG), "x2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(x1 y2)", "x@-1", DG), "y2 x1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "y2", "x@-1", DG), "y2 x1");
    graph_free(g);
}

static void test_graph_iter_branch_travelling_finishes_branches_at_their_branch_point(void)
{
    struct graph *g = GRAPH(TRAVELLING);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "merge", "db1", INC | IMPL),
                           "merge e2b1 db1 e2b2 db2 cb2 b2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(merge fe1b1)", "a3", INC),
                           "fe1b1 e1b1 merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "merge", "a1", INC),
                           "merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3 a2 a1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "merge", "b1", INC), "merge e2b1 db1 cb1 b1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "merge", "a2", INC),
                           "merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3 a2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(merge fe1b1)", "a1", INC),
                           "fe1b1 e1b1 merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3 a2 a1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(merge fe1b1)", "(cb1 cb2)", INC),
                           "fe1b1 e1b1 merge e2b1 db1 cb1 e2b2 db2 cb2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(merge fe1b1)", "(cb1 cb2)", 0),
                           "fe1b1 e1b1 merge e2b1 db1 e2b2 db2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(e2b1 b2 fe1b1)", "()", 0),
                           "b2 fe1b1 e1b1 e2b1 db1 cb1 b1 a3 a2 a1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(fe1b1)", "base", 0), "fe1b1 e1b1 db1 cb1 b1 a3 a2 a1");
    graph_free(g);
}

static void test_graph_iter_overlapping_targets_are_error(void)
{
    struct graph *g = GRAPH(TRAVELLING);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "(db1 b2 fe1b1)", "()", INC),
                           "ERR: Requested revision fe1b1 overlaps with other requested "
                           "revisions db1");
    graph_free(g);
    g = GRAPH(MULTIPLE_BASE);
    CU_ASSERT_STRING_EQUAL(ITER(g, "(c2)", "(a2 b2)", INC),
                           "ERR: Requested revision b2 overlaps with other requested revisions a2");
    graph_free(g);
}

static void test_graph_iter_ancestor_nodes_of_a_merge(void)
{
    struct graph *g = GRAPH(TRAVELLING);
    const struct rev *merge = graph_at(g, 13);
    struct rlist out = { 0 };
    unsigned char *seen = calloc(graph_count(g), 1);
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(graph_related(g, GD_NORM_DOWN, &merge, 1, seen, &out, 1, &e), 0);
    /* everything but e1b1 and fe1b1 */
    CU_ASSERT_EQUAL(out.n, 12);
    CU_ASSERT(!seen[9] && !seen[10]);
    rlist_release(&out);
    free(seen);
    graph_free(g);
}

static void test_graph_iter_multiple_bases(void)
{
    struct graph *g = GRAPH(MULTIPLE_BASE);
    char b[FX_BUF];
    const char *all = "b1a a1a b1b a1b base1 mergeb3d2 b3 a3 base3 d2 c2 b2 a2 base2";

    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC), all);
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", 0), all);
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "", INC), all);
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "(c2)", IMPL),
                           "b1a a1a b1b a1b base1 mergeb3d2 b3 a3 base3 d2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "(c2)", 0), "mergeb3d2 d2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "(c2)", INC | IMPL),
                           "b1a a1a b1b a1b base1 mergeb3d2 b3 a3 base3 d2 c2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b3", "base3", INC), "b3 a3 base3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "(b3 b2)", "base3", IMPL), "b2 a2 base2 b3 a3");
    graph_free(g);
}

static void test_graph_iter_cross_dependency_one(void)
{
    struct graph *g = GRAPH(CROSS_ONE);
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];
    const char *all = "b1a a1a b1b a1b base1 d2 c2 b2 a2 base2 b3 a3 base3";

    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b1a b1b d2 b3");
    free(v);
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC), all);
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC | DG), all);
    CU_ASSERT_STRING_EQUAL(ITER(g, "b2", "d2", INC),
                           "ERR: Revision d2 is not an ancestor of revision b2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b3", "d2", INC),
                           "ERR: Revision d2 is not an ancestor of revision b3");
    /* the 2 branch needs the 3 branch going up, not going down */
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_2@head", "base", INC), "d2 c2 b2 a2 base2 a3 base3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_2@head", "b_2@base", INC | DG), "d2 c2 b2 a2 base2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_3@head", "base", INC), "b3 a3 base3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_3@head", "base", INC | DG), "b3 a3 base3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b1b@head", "base", INC), "b1b a1b base1 a3 base3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b1b@head", "b1b@base", INC | DG), "b1b a1b base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_2@base", INC), "d2 c2 b2 a2 base2 a3 base3");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_2@base", INC | DG), "d2 c2 b2 a2 base2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_3@base", INC), "b3 a3 base3");
    /* going down to b_3@base takes down everything that depends on a3 */
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_3@base", INC | DG), "b1b d2 c2 b3 a3 base3");
    graph_free(g);
}

static void test_graph_iter_cross_dependency_two(void)
{
    struct graph *g = GRAPH(CROSS_TWO);
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c1 d2 d3");
    free(v);
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC),
                           "c1 b1 a1 d2 c2 d3 c3 b3 a3 base3 b2 a2 base2 base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_2@head", "base", INC), "d2 c2 b2 a2 base2 base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_3@head", "base", INC),
                           "d3 c3 b3 a3 base3 b2 a2 base2 base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b_1@head", "base", INC), "c1 b1 a1 base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_1@base", INC), "c1 b1 a1 base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_2@base", INC), "d2 c2 b2 a2 base2 base1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "b_3@base", INC),
                           "d3 c3 b3 a3 base3 b2 a2 base2 base1");
    graph_free(g);
}

static void test_graph_iter_cross_dependency_three_dep_without_parent(void)
{
    struct graph *g = GRAPH("base1:", "a1: base1", "b1: a1", "c2: | | a1", "c3: c2");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC), "b1 c3 c2 a1 base1");
    graph_free(g);
}

static void test_graph_iter_normalized_down_revisions(void)
{
    struct graph *g = GRAPH(NORMALIZED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(ITER(g, "b4", "b1@base", INC | DG), "b4 b3 b2 b1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "base", INC | DG), "b5 b4 b3 b2 b1 a3 a2 a1");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "a2", INC | DG), "b5 b4 b3 b2 a3 a2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "a2", INC | DG | IMPL), "b5 b4 b3 b2 b1 a3 a2");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b5", "(b1)", INC | IMPL), "b5 b4 b3 b2 b1 a3 a2 a1");
    graph_free(g);
    g = GRAPH("c1:", "a1:", "a2: a1 | | c1", "a3: a2 | | c1", "b1:", "b2: b1 | | a3", "b3: b2",
              "b4: b3 | | a3", "b5: b4");
    CU_ASSERT_STRING_EQUAL(ITER(g, "b5", "(b1)", INC | IMPL), "b5 b4 b3 b2 b1 a3 a2 a1 c1");
    graph_free(g);
}

/* A pseudo-random DAG (a fixed linear congruential sequence, so the test
 * is repeatable) stands in for alembic's LargeMapTest: every revision is
 * visited once, and nothing is visited before a revision that needs it. */
static void test_graph_iter_large_map_respects_every_edge(void)
{
    enum { N = 400 };
    struct graph *g = graph_new();
    struct runner_revision m;
    struct err e = ERR_INIT;
    unsigned long long x = 12345;
    char id[16], downs[64], deps[16];
    size_t pos[N];
    const struct rev **v = NULL;
    size_t n = 0;

    for (int i = 0; i < N; i++) {
        size_t len = 0;

        downs[0] = deps[0] = '\0';
        snprintf(id, sizeof(id), "rev%04d", i);
        for (int k = 0; k < 2 && i > 0; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            if (k == 1 && (x >> 60) > 2)
                break;
            len += (size_t)snprintf(downs + len, sizeof(downs) - len, "%srev%04d", k ? " " : "",
                                    (int)((x >> 33) % (unsigned long long)i));
        }
        if (i > 0 && strstr(downs, " ") && strncmp(downs, downs + 8, 7) == 0)
            downs[7] = '\0';      /* the same down revision twice */
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        if (i > 10 && (x >> 60) == 0)
            snprintf(deps, sizeof(deps), "rev%04d", (int)((x >> 33) % (unsigned long long)(i - 5)));
        if ((x >> 58) == 7)
            downs[0] = '\0';      /* another base now and then */
        fx_fill(&m, id, downs, "", deps);
        CU_ASSERT_EQUAL_FATAL(graph_add(g, &m, NULL, &e), 0);
    }
    CU_ASSERT_EQUAL_FATAL(graph_build(g, &e), 0);
    CU_ASSERT_EQUAL_FATAL(graph_history(g, NULL, NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, N);
    for (size_t i = 0; i < N; i++)
        pos[i] = N;
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(pos[v[i]->index], N);   /* once */
        pos[v[i]->index] = i;
    }
    for (size_t i = 0; i < N; i++) {
        const struct node *nd = graph_node(g, graph_at(g, i));

        for (size_t k = 0; k < nd->n_all_down; k++)
            CU_ASSERT(pos[i] < pos[nd->all_down[k]->index]);    /* newest first */
    }
    free(v);
    graph_free(g);
}

/* A root with thousands of branches (and a ladder of merges over part of
 * them) is ordered without the quadratic scans alembic does. */
static void test_graph_iter_wide_graph_orders_every_branch_once(void)
{
    enum { B = 3000 };
    struct graph *g = graph_new();
    struct runner_revision m;
    struct err e = ERR_INIT;
    const struct rev **v = NULL;
    struct plan p = { 0 };
    size_t n = 0;
    char id[16], down[16], down2[16];
    struct timespec t0, t1;

    fx_fill(&m, "root", "", "", "");
    CU_ASSERT_EQUAL_FATAL(graph_add(g, &m, NULL, &e), 0);
    for (int i = 0; i < B; i++) {
        snprintf(id, sizeof(id), "leaf%04d", i);
        fx_fill(&m, id, "root", "", "");
        CU_ASSERT_EQUAL_FATAL(graph_add(g, &m, NULL, &e), 0);
    }
    for (int i = 1; i < 50; i++) {
        char downs[40];

        snprintf(id, sizeof(id), "merge%02d", i);
        snprintf(down, sizeof(down), i == 1 ? "leaf%04d" : "merge%02d", i == 1 ? 0 : i - 1);
        snprintf(down2, sizeof(down2), "leaf%04d", i);
        snprintf(downs, sizeof(downs), "%s %s", down, down2);
        fx_fill(&m, id, downs, "", "");
        CU_ASSERT_EQUAL_FATAL(graph_add(g, &m, NULL, &e), 0);
    }
    CU_ASSERT_EQUAL_FATAL(graph_build(g, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL_FATAL(graph_history(g, NULL, NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 1 + B + 49);
    CU_ASSERT_STRING_EQUAL(v[n - 1]->id, "root");
    free(v);
    CU_ASSERT_EQUAL_FATAL(graph_plan_upgrade(g, NULL, 0, "heads", &p, &e), 0);
    CU_ASSERT_EQUAL(p.n_steps, 1 + B + 49);
    CU_ASSERT_EQUAL(p.steps[0].vt, VT_INSERT);
    CU_ASSERT_STRING_EQUAL(p.steps[0].rev->id, "root");
    plan_free(&p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* milliseconds in a normal build; generous for ASan and a busy CI box */
    CU_ASSERT((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6 <
              3000.0);
    graph_free(g);
}

CU_TestInfo graph_iter_tests[] = {
    { "iterate tolerates duplicate targets", test_graph_iter_tolerates_duplicate_targets },
    { "diamond visits both sides before the base", test_graph_iter_diamond_visits_both_sides_before_the_base },
    { "labeled heads and bases", test_graph_iter_labeled_heads_and_bases },
    { "labeled relative forms", test_graph_iter_labeled_relative_forms },
    { "long and short branch", test_graph_iter_long_and_short_branch },
    { "multiple branches", test_graph_iter_multiple_branches },
    { "wrong direction is not an ancestor", test_graph_iter_wrong_direction_is_not_an_ancestor },
    { "effective head through depends_on", test_graph_iter_effective_head_through_depends_on },
    { "branch travelling finishes branches at their branch point", test_graph_iter_branch_travelling_finishes_branches_at_their_branch_point },
    { "overlapping targets are error", test_graph_iter_overlapping_targets_are_error },
    { "ancestor nodes of a merge", test_graph_iter_ancestor_nodes_of_a_merge },
    { "multiple bases", test_graph_iter_multiple_bases },
    { "cross dependency one", test_graph_iter_cross_dependency_one },
    { "cross dependency two", test_graph_iter_cross_dependency_two },
    { "cross dependency three: dep without parent", test_graph_iter_cross_dependency_three_dep_without_parent },
    { "normalized down revisions", test_graph_iter_normalized_down_revisions },
    { "large map respects every edge", test_graph_iter_large_map_respects_every_edge },
    { "wide graph orders every branch once", test_graph_iter_wide_graph_orders_every_branch_once },
    CU_TEST_INFO_NULL,
};
