/* test_graph.c -- building and validating the revision graph, heads,
 * bases, branch labels and the target grammar (runner/graph/graph.c and
 * runner/graph/graph_resolve.c).  Scenarios follow alembic 1.8's
 * tests/test_revision.py (APITest, LabeledBranchTest, GraphWithLoopTest,
 * GraphWithCycleTest, NormalizedDownRevTest); the expected answers are
 * alembic's. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

/* alembic's LabeledBranchTest map */
#define LABELED                                                               \
    "a: | abranch", "b: a", "somelongername: b", "c: somelongername", "d:",  \
        "e: d | ebranch", "someothername: e", "f: someothername"

/* ------------------------------------------------------------------ */
/* Building and validation. */

static void test_graph_fill_helper_copies_lists(void)
{
    struct runner_revision m;

    fx_fill(&m, "abc", "d1 d2", "lbl", "x");
    CU_ASSERT_STRING_EQUAL(m.revision, "abc");
    CU_ASSERT_STRING_EQUAL(m.down_revision[0], "d1");
    CU_ASSERT_STRING_EQUAL(m.down_revision[1], "d2");
    CU_ASSERT_STRING_EQUAL(m.down_revision[2], "");
    CU_ASSERT_STRING_EQUAL(m.branch_labels[0], "lbl");
    CU_ASSERT_STRING_EQUAL(m.depends_on[0], "x");
}

static void test_graph_linear_chain_has_one_head_and_base(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c: b");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_count(g), 3);
    CU_ASSERT_STRING_EQUAL(graph_at(g, 1)->id, "b");
    CU_ASSERT_PTR_NULL(graph_at(g, 3));
    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c");
    free(v);
    CU_ASSERT_EQUAL(graph_bases(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "a");
    free(v);
    CU_ASSERT_EQUAL(graph_branchpoints(g, &v, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 0);
    free(v);
    CU_ASSERT(rev_is_head(graph_at(g, 2)));
    CU_ASSERT(rev_is_base(graph_at(g, 0)));
    CU_ASSERT(!rev_is_head(graph_at(g, 0)));
    graph_free(g);
}

static void test_graph_heads_keep_revision_order(void)
{
    /* alembic: test_add_revision_two_head -> heads (c1, c2), then (c2, d1) */
    struct graph *g = GRAPH("a:", "b: a", "c1: b", "c2: b", "d1: c1");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c2 d1");
    free(v);
    CU_ASSERT_EQUAL(graph_branchpoints(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b");
    free(v);
    CU_ASSERT(rev_is_branchpoint(graph_at(g, 1)));
    graph_free(g);
}

static void test_graph_merge_links_children_and_flags_mergepoint(void)
{
    struct graph *g = GRAPH("a:", "b1: a", "b2: a", "c: b1 b2", "d: c");
    const struct rev *c = graph_at(g, 3);
    char b[FX_BUF];

    CU_ASSERT_EQUAL(c->n_down, 2);
    CU_ASSERT_STRING_EQUAL(fx_join(b, (const struct rev *const *)c->down, c->n_down), "b1 b2");
    CU_ASSERT(rev_is_mergepoint(c));
    CU_ASSERT_EQUAL(graph_at(g, 1)->n_next, 1);
    CU_ASSERT_PTR_EQUAL(graph_at(g, 1)->next[0], c);
    graph_free(g);
}

static void test_graph_multiple_bases_are_listed(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c:", "d: c");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_bases(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "a c");
    free(v);
    CU_ASSERT_STRING_EQUAL(REV(g, "base"), "None");
    graph_free(g);
}

static void test_graph_duplicate_id_names_both_files(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR_PATHS(b, "a:", "b: a", "a: b"),
                           "duplicate revision id 'a' in 'a.so' and 'a.so'");
}

static void test_graph_duplicate_id_is_reported_by_graph_add(void)
{
    struct graph *g = graph_new();
    struct runner_revision m;
    struct err e = ERR_INIT;

    fx_fill(&m, "ae1027a6acf", "", "", "");
    CU_ASSERT_EQUAL(graph_add(g, &m, "plugins/ae1027a6acf_one.so", &e), 0);
    CU_ASSERT_EQUAL(graph_add(g, &m, "plugins/ae1027a6acf_two.so", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "duplicate revision id 'ae1027a6acf' in "
                                  "'plugins/ae1027a6acf_one.so' and 'plugins/ae1027a6acf_two.so'");
    graph_free(g);
}

static void test_graph_dangling_down_revision_cant_be_located(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR_PATHS(b, "a:", "b: zz"),
                           "Can't locate revision identified by 'zz' (down_revision of b "
                           "(file 'b.so'))");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a"), "(built)");
}

static void test_graph_dangling_depends_on_cant_be_located(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR_PATHS(b, "a:", "b: a | | nothere"),
                           "Can't locate revision identified by 'nothere' (depends_on of b "
                           "(file 'b.so'))");
}

static void test_graph_duplicate_branch_label_is_error(void)
{
    /* alembic: test_dupe_branch_collection */
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(
        GRAPH_ERR_PATHS(b, "a:", "b: a", "c: b | xy1", "d:", "e: d | xy1", "f: e"),
        "Branch name 'xy1' in revision e already used by revision c (file 'e.so') (file 'c.so')");
}

static void test_graph_branch_label_equal_to_an_id_is_error(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a | a"),
                           "Branch name 'a' in revision b already used by revision a");
}

static void test_graph_illegal_characters_in_id_are_refused(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a@b:"),
                           "Character(s) '@' not allowed in revision identifier 'a@b'");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a-1:"),
                           "Character(s) '-' not allowed in revision identifier 'a-1'");
}

static void test_graph_unterminated_or_empty_id_is_refused(void)
{
    struct graph *g = graph_new();
    struct runner_revision m;
    struct err e = ERR_INIT;

    fx_fill(&m, "", "", "", "");
    CU_ASSERT_EQUAL(graph_add(g, &m, "plugins/x.so", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "empty or unterminated revision id (file 'plugins/x.so')");
    fx_fill(&m, "abc", "", "", "");
    memset(m.revision, 'a', sizeof(m.revision));
    CU_ASSERT_EQUAL(graph_add(g, &m, NULL, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "empty or unterminated revision id");
    fx_fill(&m, "abc", "", "", "");
    memset(m.depends_on[3], 'x', sizeof(m.depends_on[3]));
    CU_ASSERT_EQUAL(graph_add(g, &m, NULL, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "unterminated reference in revision 'abc'");
    CU_ASSERT_EQUAL(graph_count(g), 0);
    graph_free(g);
}

static void test_graph_self_loop_is_detected(void)
{
    char b[FX_BUF];

    /* alembic: test_revision_map_solitary_loop, _base_loop, _head_loop,
     * _branch_point_loop, _merge_point_loop */
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: a"), "Self-loop is detected in revisions (a)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: a", "b: a", "c: b"),
                           "Self-loop is detected in revisions (a)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a", "c: b c"),
                           "Self-loop is detected in revisions (c)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a b", "c1: b", "c2: b"),
                           "Self-loop is detected in revisions (b)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b1: a", "b2: a", "c: b1 b2 c"),
                           "Self-loop is detected in revisions (c)");
}

static void test_graph_dependency_self_loop_is_detected(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: | | a"),
                           "Dependency self-loop is detected in revisions (a)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a | | b", "c1: b", "c2: b"),
                           "Dependency self-loop is detected in revisions (b)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b1: a", "b2: a", "c: b1 b2 | | c"),
                           "Dependency self-loop is detected in revisions (c)");
}

static void test_graph_cycle_is_detected_and_lists_revisions(void)
{
    char b[FX_BUF];

    /* alembic: test_revision_map_simple_cycle, _extra_, _lower_, _upper_ */
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: c", "b: a", "c: b"),
                           "Cycle is detected in revisions (a, b, c)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: c", "b: a", "c: b", "d:", "e: d"),
                           "Cycle is detected in revisions (a, b, c)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: c", "b: a", "c: b", "d: c", "e: d"),
                           "Cycle is detected in revisions (a, b, c, d, e)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a", "c: b e", "d: c", "e: d"),
                           "Cycle is detected in revisions (a, b, c, d, e)");
}

static void test_graph_cycle_error_names_the_files(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR_PATHS(b, "x:", "a: c", "b: a", "c: b"),
                           "Cycle is detected in revisions (a, b, c) in 'a.so', 'b.so', 'c.so'");
}

static void test_graph_dependency_cycle_is_detected(void)
{
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: | | c", "b: a", "c: b"),
                           "Dependency cycle is detected in revisions (a, b, c)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: | | c", "b: a", "c: b", "d:", "e: d"),
                           "Dependency cycle is detected in revisions (a, b, c)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a: | | c", "b: a", "c: b", "d: c", "e: d"),
                           "Dependency cycle is detected in revisions (a, b, c, d, e)");
    CU_ASSERT_STRING_EQUAL(GRAPH_ERR(b, "a:", "b: a", "c: b | | e", "d: c", "e: d"),
                           "Dependency cycle is detected in revisions (a, b, c, d, e)");
}

static void test_graph_overlapping_id_substrings_are_not_a_loop(void)
{
    /* alembic: test_revision_map_no_loop_w_overlapping_substrings(_dependencies) */
    char b[FX_BUF];
    struct graph *g = GRAPH("user_foo:", "user: user_foo");

    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "", INC), "user user_foo");
    graph_free(g);
    g = GRAPH("user_foo:", "user: | | user_foo");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "", INC), "user user_foo");
    graph_free(g);
    /* test_revision_dupe_head: depends_on its own down revision */
    g = GRAPH("user_foo:", "user: user_foo | | user_foo");
    CU_ASSERT_STRING_EQUAL(ITER(g, "heads", "", INC), "user user_foo");
    graph_free(g);
}

static void test_graph_depends_on_implied_by_an_ancestor_is_normalized_away(void)
{
    /* alembic: NormalizedDownRevTest.test_normalized_down_revisions,
     * test_dupe_dependency */
    struct graph *g = GRAPH("a1:", "a2: a1", "a3: a2", "b1:", "b2: b1 | | a3", "b3: b2",
                            "b4: b3 | | a3", "b5: b4 | | b4");
    const struct rev *b4 = graph_at(g, 6), *b5 = graph_at(g, 7);
    const struct node *n4 = graph_node(g, b4), *n5 = graph_node(g, b5);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(fx_join(b, (const struct rev *const *)n4->all_down, n4->n_all_down),
                           "b3 a3");
    CU_ASSERT_STRING_EQUAL(fx_join(b, (const struct rev *const *)n4->norm_down, n4->n_norm_down),
                           "b3");
    CU_ASSERT_STRING_EQUAL(fx_join(b, (const struct rev *const *)n5->all_down, n5->n_all_down),
                           "b4");
    CU_ASSERT_STRING_EQUAL(fx_join(b, (const struct rev *const *)n5->norm_down, n5->n_norm_down),
                           "b4");
    graph_free(g);
}

static void test_graph_depends_on_a_branch_label_resolves_to_its_revision(void)
{
    struct graph *g = GRAPH("a1: | lib1", "b1: a1", "c1: b1 | c1lib", "a2:", "b2: a2",
                            "c2: b2 | | c1lib");
    const struct rev *c2 = graph_at(g, 5);

    CU_ASSERT_EQUAL(c2->n_deps, 1);
    CU_ASSERT_STRING_EQUAL(c2->deps[0]->id, "c1");
    graph_free(g);
}

static void test_graph_empty_graph_builds_and_iterates_to_nothing(void)
{
    /* alembic: EmptyMapTest (issue #258) */
    struct graph *g = graph_new();
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_build(g, &e), 0);
    CU_ASSERT_STRING_EQUAL(ITER(g, "head", "base", INC), "");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "heads", ""), "");
    graph_free(g);
}

static void test_graph_ten_thousand_linear_revisions(void)
{
    enum { N = 10000 };
    struct graph *g = graph_new();
    struct err e = ERR_INIT;
    struct runner_revision m;
    const struct rev **v = NULL, *r = NULL;
    size_t n = 0;
    char id[16], down[16];

    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "r%05d", i);
        snprintf(down, sizeof(down), "r%05d", i - 1);
        fx_fill(&m, id, i ? down : "", "", "");
        CU_ASSERT_EQUAL_FATAL(graph_add(g, &m, NULL, &e), 0);
    }
    /* how fast is measured by scripts/bench/graph.sh, not asserted here */
    CU_ASSERT_EQUAL_FATAL(graph_build(g, &e), 0);
    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_STRING_EQUAL(v[0]->id, "r09999");
    free(v);
    CU_ASSERT_EQUAL(graph_lookup(g, "r0500", &r, &e), -1);     /* r05000..r05009 */
    CU_ASSERT_EQUAL(graph_lookup(g, "r05000", &r, &e), 0);
    /* the whole history and a full upgrade walk 10 000 deep without recursion */
    CU_ASSERT_EQUAL(graph_history(g, NULL, NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_EQUAL(n, N);
    CU_ASSERT_STRING_EQUAL(v[0]->id, "r09999");
    CU_ASSERT_STRING_EQUAL(v[N - 1]->id, "r00000");
    free(v);
    {
        struct plan p = { 0 };
        const char *cur[] = { "r09999" };

        CU_ASSERT_EQUAL(graph_plan_upgrade(g, NULL, 0, "head", &p, &e), 0);
        CU_ASSERT_EQUAL(p.n_steps, N);
        CU_ASSERT_EQUAL(p.steps[0].vt, VT_INSERT);
        CU_ASSERT_EQUAL(p.steps[1].vt, VT_UPDATE);
        plan_free(&p);
        CU_ASSERT_EQUAL(graph_plan_downgrade(g, cur, 1, "base", &p, &e), 0);
        CU_ASSERT_EQUAL(p.n_steps, N);
        CU_ASSERT_EQUAL(p.steps[N - 1].vt, VT_DELETE);
        plan_free(&p);
    }
    graph_free(g);
}

static void test_graph_label_on_a_long_chain_reaches_every_revision(void)
{
    enum { N = 3000 };
    struct graph *g = graph_new();
    struct err e = ERR_INIT;
    struct runner_revision m;
    char id[16], down[16], b[FX_BUF];

    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "r%05d", i);
        snprintf(down, sizeof(down), "r%05d", i - 1);
        fx_fill(&m, id, i ? down : "", i == N / 2 ? "mid" : "", "");
        CU_ASSERT_EQUAL_FATAL(graph_add(g, &m, NULL, &e), 0);
    }
    CU_ASSERT_EQUAL_FATAL(graph_build(g, &e), 0);
    CU_ASSERT_EQUAL(graph_at(g, 0)->n_labels, 1);
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "mid@base+1", ""), "r00000");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* Branch labels and their propagation. */

static void test_graph_branch_label_propagates_up_and_down_an_unbranched_line(void)
{
    /* alembic's _add_branches(): ebranch on e reaches f above it and d below */
    struct graph *g = GRAPH(LABELED);
    const struct rev *d = graph_at(g, 4), *f = graph_at(g, 7), *b0 = graph_at(g, 1);

    CU_ASSERT_EQUAL(d->n_labels, 1);
    CU_ASSERT_STRING_EQUAL(d->labels[0], "ebranch");
    CU_ASSERT_STRING_EQUAL(f->labels[0], "ebranch");
    CU_ASSERT_STRING_EQUAL(b0->labels[0], "abranch");
    graph_free(g);
}

static void test_graph_branch_label_stops_at_a_branch_point(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c1: b | c1branch", "d1: c1", "c2: b | c2branch",
                            "d2: c2");

    CU_ASSERT_EQUAL(graph_at(g, 1)->n_labels, 0);     /* b is a branch point */
    CU_ASSERT_EQUAL(graph_at(g, 0)->n_labels, 0);
    CU_ASSERT_STRING_EQUAL(graph_at(g, 3)->labels[0], "c1branch");
    graph_free(g);
}

static void test_graph_get_current_named_head(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch@head"), "f");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch@head"), "c");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch@heads"), "c");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch@base"), "None");
    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch@d"), "d");
    graph_free(g);
}

static void test_graph_branch_at_self_is_the_labelled_revision(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch@ebranch"), "e");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch"), "a");
    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch"), "e");
    graph_free(g);
}

static void test_graph_partial_id_within_branch_resolves(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch@some"), "someothername");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch@some"), "somelongername");
    graph_free(g);
}

static void test_graph_revision_outside_branch_is_error(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    /* alembic's "Revision b is not a member of branch 'ebranch'", as its
     * command line prints it */
    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch@b"), "ERR: Can't locate revision identified by 'b'");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch@d"), "ERR: Can't locate revision identified by 'd'");
    graph_free(g);
}

static void test_graph_revision_used_as_branch_name(void)
{
    /* alembic: test_not_actually_a_branch(_partial_resolution) */
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(REV(g, "e@d"), "d");
    CU_ASSERT_STRING_EQUAL(REV(g, "someoth@d"), "d");
    graph_free(g);
}

static void test_graph_unknown_branch_cant_be_located(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    /* alembic's command line reports "No such branch: 'x'" this way */
    CU_ASSERT_STRING_EQUAL(REV(g, "x@d"), "ERR: Can't locate revision identified by 'x'");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "zzzz@head", ""),
                           "ERR: Can't locate revision identified by 'zzzz'");
    graph_free(g);
}

static void test_graph_filter_for_lineage_crosses_merge_under_label(void)
{
    /* alembic: test_filter_for_lineage_labeled_head_across_merge */
    struct graph *g = GRAPH("a:", "b: a", "c1: b | c1branch", "c2: b", "d: c1 c2");
    const struct rev *v[] = { graph_at(g, 2), graph_at(g, 3), graph_at(g, 4) };
    struct rlist out = { 0 };
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_filter_lineage(g, v, 3, "c1branch@head", 0, &out, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, out.v, out.n), "c1 c2 d");
    rlist_release(&out);
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* Lookup: exact ids, labels, prefixes. */

static void test_graph_lookup_exact_id_then_label_then_prefix(void)
{
    struct graph *g = GRAPH("ae1027a6acf:", "27c6a30d7c24: ae1027a6acf | accounts",
                            "1975ea83b712: 27c6a30d7c24");
    const struct rev *r = NULL;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(graph_lookup(g, "1975ea83b712", &r, &e), 0);
    CU_ASSERT_STRING_EQUAL(r->id, "1975ea83b712");
    CU_ASSERT_EQUAL(graph_lookup(g, "accounts", &r, &e), 0);
    CU_ASSERT_STRING_EQUAL(r->id, "27c6a30d7c24");
    CU_ASSERT_EQUAL(graph_lookup(g, "1975", &r, &e), 0);
    CU_ASSERT_STRING_EQUAL(r->id, "1975ea83b712");
    CU_ASSERT_EQUAL(graph_lookup(g, "ae1", &r, &e), 0);     /* the key is long enough */
    CU_ASSERT_STRING_EQUAL(r->id, "ae1027a6acf");
    graph_free(g);
}

static void test_graph_partial_id_ambiguous_is_error(void)
{
    struct graph *g = GRAPH("bbbb:", "bbbbx: bbbb", "bbbby: bbbbx", "bbbbz: bbbby");
    const struct rev *r = NULL;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_lookup(g, "bbbb", &r, &e), 0);    /* exact wins */
    CU_ASSERT_EQUAL(graph_lookup(g, "bbbbx", &r, &e), 0);
    CU_ASSERT_EQUAL(graph_lookup(g, "bbb", &r, &e), -1);
    /* alembic lists the first three, then "..." */
    CU_ASSERT_STRING_EQUAL(e.msg, "Multiple revisions start with 'bbb': 'bbbb', 'bbbbx', 'bbbby'...");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "bbb", ""),
                           "ERR: Multiple revisions start with 'bbb': 'bbbb', 'bbbbx', 'bbbby'...");
    graph_free(g);
}

static void test_graph_partial_id_counts_labels_too(void)
{
    struct graph *g = GRAPH("abcd1234:", "ffff: abcd1234 | abcdlabel");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "abcd", ""),
                           "ERR: Multiple revisions start with 'abcd': 'abcd1234', 'abcdlabel'...");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "abcd1", ""), "abcd1234");
    graph_free(g);
}

static void test_graph_unknown_revision_cant_be_located(void)
{
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "qprstuv", ""),
                           "ERR: Can't locate revision identified by 'qprstuv'");
    CU_ASSERT_STRING_EQUAL(REV(g, "abranch@qprstuv"),
                           "ERR: Can't locate revision identified by 'qprstuv'");
    CU_ASSERT_STRING_EQUAL(REV(g, "ebranch@sos"), "ERR: Can't locate revision identified by 'sos'");
    graph_free(g);
}

static void test_graph_short_ids_match_only_exactly(void)
{
    /* alembic: test_actually_short_rev_name; prefixes match keys of four or
     * more characters only */
    struct graph *g = GRAPH("e:", "e12: e");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(REV(g, "e"), "e");
    CU_ASSERT_STRING_EQUAL(REV(g, "e1"), "ERR: Can't locate revision identified by 'e1'");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* The target grammar. */

#define BRANCHED "a:", "b: a", "c1: b | c1branch", "d1: c1", "c2: b | c2branch", "d2: c2"

static void test_graph_head_is_the_single_head(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c: b");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "head", ""), "c");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "heads", ""), "c");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "base", ""), "");
    graph_free(g);
}

static void test_graph_head_with_multiple_heads_is_error(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "head", ""),
                           "ERR: Multiple head revisions are present for given argument 'head'; "
                           "please specify a specific target revision, '<branchname>@head' to "
                           "narrow to a specific head, or 'heads' for all heads");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "heads", ""), "d1 d2");
    /* alembic: test_get_revision_heads_multiple */
    CU_ASSERT_STRING_EQUAL(REV(g, "heads"),
                           "ERR: Multiple head revisions are present for given argument 'heads'; "
                           "please specify a specific target revision, '<branchname>@heads' to "
                           "narrow to a specific head, or 'heads' for all heads");
    CU_ASSERT_STRING_EQUAL(REVS(g, "heads"), "d1 d2");
    graph_free(g);
}

static void test_graph_label_at_head_and_base(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c1branch@head", ""), "d1");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@head", ""), "d2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@heads", ""), "d2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@base", ""), "");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@c2", ""), "c2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@d1", ""),
                           "ERR: Can't locate revision identified by 'd1'");
    graph_free(g);
}

static void test_graph_relative_plus_and_minus_from_current(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c: b", "d: c", "e: d");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "+2", "a"), "c");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "+1", ""), "a");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "-1", "c"), "b");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "-3", "c"), "");      /* base */
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "-4", "c"),
                           "ERR: Relative revision -4 didn't produce 4 migrations");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "+5", "b"),
                           "ERR: Relative revision +5 didn't produce 5 migrations");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "-1", ""),
                           "ERR: Relative revision -1 didn't produce 1 migrations");
    graph_free(g);
}

static void test_graph_relative_to_a_named_revision(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c: b", "d: c", "e: d");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "b+2", ""), "d");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "d-2", ""), "b");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "base+1", ""), "a");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "head-1", ""), "d");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "heads-1", ""), "d");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "b+9", ""),
                           "ERR: Relative revision +9 didn't produce 9 migrations");
    graph_free(g);
}

static void test_graph_heads_minus_one_with_two_heads_is_error(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "heads-1", ""),
                           "ERR: Multiple head revisions are present for given argument "
                           "'heads-1'; please specify a specific target revision, "
                           "'<branchname>@heads-1' to narrow to a specific head, or 'heads' for "
                           "all heads");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c1branch@head-1", ""), "c1");
    graph_free(g);
}

static void test_graph_label_relative_forms(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@base+2", ""), "b");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@base+3", ""), "c2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c1branch@-1", "d1 d2"), "c1");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@+1", "c1 c2"), "d2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@+1", "c1"), "c2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "+1", "c1 c2"),
                           "ERR: Ambiguous upgrade from multiple current revisions");
    graph_free(g);
}

static void test_graph_branch_minus_n_walks_down_from_its_head(void)
{
    /* alembic: get_revisions("ebranch@-2") walks down from the heads */
    struct graph *g = GRAPH(LABELED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(REVS(g, "ebranch@-2"), "e");
    CU_ASSERT_STRING_EQUAL(REVS(g, "-1"), "somelongername someothername");
    graph_free(g);
}

static void test_graph_ambiguous_walk_is_error(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "b+1", ""), "ERR: Ambiguous walk");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "c2branch@b+1", ""), "c2");
    graph_free(g);
}

static void test_graph_current_names_the_current_versions(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "current", "d1 c2"), "d1 c2");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "current", ""), "");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "current", "nope"),
                           "ERR: Can't locate revision identified by 'nope'");
    graph_free(g);
}

static void test_graph_malformed_targets_are_errors_not_crashes(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "", ""), "ERR: empty revision target");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "@", ""), "ERR: Can't locate revision identified by ''");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "@@@", ""), "ERR: Can't locate revision identified by '@@'");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "+99999999999999999999", "d1"),
                           "ERR: Relative revision +99999999999999999999 didn't produce "
                           "99999999999999999999 migrations");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "x@y@z", ""), "ERR: Can't locate revision identified by 'x'");
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "-", ""), "ERR: Can't locate revision identified by '-'");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* history */

static void test_graph_history_lists_newest_first(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c: b");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];
    const char *cur[] = { "b" };

    CU_ASSERT_EQUAL(graph_history(g, NULL, NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c b a");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, "a:b", NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b a");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, "b:", NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c b");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, ":b", NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b a");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, "current:", cur, 1, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c b");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, ":current", cur, 1, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b a");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, "-1:", NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c b");
    free(v);
    graph_free(g);
}

static void test_graph_history_range_in_wrong_order_is_error(void)
{
    struct graph *g = GRAPH("aaaa:", "bbbb: aaaa", "cccc: bbbb");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(graph_history(g, "bbbb:aaaa", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "Requested range bbbb:aaaa does not refer to "
                                  "ancestor/descendant revisions along the same branch");
    CU_ASSERT_EQUAL(graph_history(g, "bbbb", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "History range requires [start]:[end], [start]:, or :[end]");
    CU_ASSERT_EQUAL(e.code, ERR_USAGE);
    CU_ASSERT_EQUAL(graph_history(g, "a:b:c", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_EQUAL(graph_history(g, "zzzz:", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "Can't locate revision identified by 'zzzz'");
    graph_free(g);
}

static void test_graph_history_on_branches_follows_alembic_order(void)
{
    /* alembic: LongShortBranchTest.test_iterate_full, via history */
    struct graph *g = GRAPH("a:", "b1: a", "b2: a", "c1: b1", "d11: c1", "d12: c1");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_history(g, NULL, NULL, 0, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b2 d11 d12 c1 b1 a");
    free(v);
    CU_ASSERT_EQUAL(graph_history(g, ":head", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "Multiple head revisions are present for given argument "
                                  "'head'; please specify a specific target revision, "
                                  "'<branchname>@head' to narrow to a specific head, or 'heads' "
                                  "for all heads");
    graph_free(g);
}

static void test_graph_dependency_makes_an_effective_head(void)
{
    /* alembic: b is a head through down_revision, but c depends on it, so
     * only c is a real head: "(effective head)" against "(head)" */
    struct graph *g = GRAPH("a:", "b: a", "c: | | b");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "b c");
    free(v);
    CU_ASSERT_EQUAL(graph_real_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_join(b, v, n), "c");
    free(v);
    CU_ASSERT(rev_is_head(graph_at(g, 1)));
    CU_ASSERT(!rev_is_real_head(graph_at(g, 1)));
    CU_ASSERT(rev_is_real_head(graph_at(g, 2)));
    CU_ASSERT_STRING_EQUAL(RESOLVE(g, "heads", ""), "c");
    graph_free(g);
}

static void test_graph_history_from_a_walk_that_reaches_base_is_error(void)
{
    /* "-1" walks down from every head; from the base head x it reaches
     * base, which alembic counts as outside the range */
    struct graph *g = GRAPH("a:", "b: a", "x:");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(graph_history(g, "-1:", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "Requested range -1:heads does not refer to "
                                  "ancestor/descendant revisions along the same branch");
    graph_free(g);
}

static void test_graph_history_label_walk_from_a_relative_start_is_error_not_crash(void)
{
    /* "-2" leaves the graph from every head; alembic then looks up "base"
     * while narrowing to the branch (found by differential testing) */
    struct graph *g = GRAPH("a:", "b: a | L", "x:");
    const struct rev **v = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(graph_history(g, "-2:L@+1", NULL, 0, &v, &n, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "Can't locate revision identified by 'base'");
    graph_free(g);
}

static void test_graph_queries_before_build_are_refused(void)
{
    struct graph *g = graph_new();
    struct runner_revision m;
    const struct rev **v = NULL;
    const struct rev *r = NULL;
    size_t n = 0;
    struct err e = ERR_INIT;

    fx_fill(&m, "a", "", "", "");
    CU_ASSERT_EQUAL(graph_add(g, &m, NULL, &e), 0);
    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), -1);
    CU_ASSERT_EQUAL(graph_lookup(g, "a", &r, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "revision graph is not built");
    CU_ASSERT_EQUAL(graph_build(g, &e), 0);
    CU_ASSERT_EQUAL(graph_lookup(g, "a", &r, &e), 0);
    /* adding after a build drops the built state until the next build */
    fx_fill(&m, "b", "a", "", "");
    CU_ASSERT_EQUAL(graph_add(g, &m, NULL, &e), 0);
    CU_ASSERT_EQUAL(graph_lookup(g, "a", &r, &e), -1);
    CU_ASSERT_EQUAL(graph_build(g, &e), 0);
    CU_ASSERT_EQUAL(graph_heads(g, &v, &n, &e), 0);
    CU_ASSERT_STRING_EQUAL(v[0]->id, "b");
    free(v);
    graph_free(g);
}

CU_TestInfo graph_tests[] = {
    { "fill helper copies lists", test_graph_fill_helper_copies_lists },
    { "linear chain has one head and base", test_graph_linear_chain_has_one_head_and_base },
    { "heads keep revision order", test_graph_heads_keep_revision_order },
    { "merge links children and flags mergepoint", test_graph_merge_links_children_and_flags_mergepoint },
    { "multiple bases are listed", test_graph_multiple_bases_are_listed },
    { "duplicate id names both files", test_graph_duplicate_id_names_both_files },
    { "duplicate id is reported by graph_add", test_graph_duplicate_id_is_reported_by_graph_add },
    { "dangling down_revision can't be located", test_graph_dangling_down_revision_cant_be_located },
    { "dangling depends_on can't be located", test_graph_dangling_depends_on_cant_be_located },
    { "duplicate branch label is error", test_graph_duplicate_branch_label_is_error },
    { "branch label equal to an id is error", test_graph_branch_label_equal_to_an_id_is_error },
    { "illegal characters in id are refused", test_graph_illegal_characters_in_id_are_refused },
    { "unterminated or empty id is refused", test_graph_unterminated_or_empty_id_is_refused },
    { "self-loop is detected", test_graph_self_loop_is_detected },
    { "dependency self-loop is detected", test_graph_dependency_self_loop_is_detected },
    { "cycle is detected and lists revisions", test_graph_cycle_is_detected_and_lists_revisions },
    { "cycle error names the files", test_graph_cycle_error_names_the_files },
    { "dependency cycle is detected", test_graph_dependency_cycle_is_detected },
    { "overlapping id substrings are not a loop", test_graph_overlapping_id_substrings_are_not_a_loop },
    { "depends_on implied by an ancestor is normalized away", test_graph_depends_on_implied_by_an_ancestor_is_normalized_away },
    { "depends_on a branch label resolves to its revision", test_graph_depends_on_a_branch_label_resolves_to_its_revision },
    { "empty graph builds and iterates to nothing", test_graph_empty_graph_builds_and_iterates_to_nothing },
    { "10 000 linear revisions: heads, lookup and walks without recursion", test_graph_ten_thousand_linear_revisions },
    { "label on a long chain reaches every revision", test_graph_label_on_a_long_chain_reaches_every_revision },
    { "branch label propagates up and down an unbranched line", test_graph_branch_label_propagates_up_and_down_an_unbranched_line },
    { "branch label stops at a branch point", test_graph_branch_label_stops_at_a_branch_point },
    { "get current named head", test_graph_get_current_named_head },
    { "branch at self is the labelled revision", test_graph_branch_at_self_is_the_labelled_revision },
    { "partial id within branch resolves", test_graph_partial_id_within_branch_resolves },
    { "revision outside branch is error", test_graph_revision_outside_branch_is_error },
    { "revision used as branch name", test_graph_revision_used_as_branch_name },
    { "unknown branch can't be located", test_graph_unknown_branch_cant_be_located },
    { "filter for lineage crosses merge under label", test_graph_filter_for_lineage_crosses_merge_under_label },
    { "lookup: exact id, then label, then prefix", test_graph_lookup_exact_id_then_label_then_prefix },
    { "partial id ambiguous is error", test_graph_partial_id_ambiguous_is_error },
    { "partial id counts labels too", test_graph_partial_id_counts_labels_too },
    { "unknown revision can't be located", test_graph_unknown_revision_cant_be_located },
    { "short ids match only exactly", test_graph_short_ids_match_only_exactly },
    { "head is the single head", test_graph_head_is_the_single_head },
    { "head with multiple heads is error", test_graph_head_with_multiple_heads_is_error },
    { "label@head and label@base", test_graph_label_at_head_and_base },
    { "relative +N and -N from current", test_graph_relative_plus_and_minus_from_current },
    { "relative to a named revision", test_graph_relative_to_a_named_revision },
    { "heads-1 with two heads is error", test_graph_heads_minus_one_with_two_heads_is_error },
    { "label relative forms", test_graph_label_relative_forms },
    { "branch@-N walks down from its head", test_graph_branch_minus_n_walks_down_from_its_head },
    { "ambiguous walk is error", test_graph_ambiguous_walk_is_error },
    { "current names the current versions", test_graph_current_names_the_current_versions },
    { "malformed targets are errors, not crashes", test_graph_malformed_targets_are_errors_not_crashes },
    { "history lists newest first", test_graph_history_lists_newest_first },
    { "history range in wrong order is error", test_graph_history_range_in_wrong_order_is_error },
    { "history on branches follows alembic order", test_graph_history_on_branches_follows_alembic_order },
    { "dependency makes an effective head", test_graph_dependency_makes_an_effective_head },
    { "history from a walk that reaches base is error", test_graph_history_from_a_walk_that_reaches_base_is_error },
    { "history label walk from a relative start is error, not crash", test_graph_history_label_walk_from_a_relative_start_is_error_not_crash },
    { "queries before build are refused", test_graph_queries_before_build_are_refused },
    CU_TEST_INFO_NULL,
};
