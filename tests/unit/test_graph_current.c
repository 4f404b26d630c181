/* test_graph_current.c -- graph_current.c: what the version table's rows
 * imply, as alembic's RevisionMap._get_all_current() (the rows, their
 * ancestors through down_revision and depends_on, reduced to branch
 * heads); compared with alembic 1.8 itself in tests/compare/. */
#include "graph_fixture.h"

/* The ids graph_all_current() answers for rows `rows` (space-separated). */
static const char *all_current(char *buf, const struct graph *g, const char *rows)
{
    char store[FX_BUF];
    const char *words[16];
    size_t n = fx_split(store, rows, words, 16);
    const struct rev **out = NULL;
    size_t n_out = 0;
    struct err e = ERR_INIT;

    if (graph_all_current(g, words, n, &out, &n_out, &e) < 0) {
        snprintf(buf, FX_BUF, "error: %s", e.msg);
        return buf;
    }
    fx_join(buf, out, n_out);
    free(out);
    return buf;
}

/* a -> b -> c -> e, b -> d; g (other) -> h, h depends on c */
#define CURRENT_GRAPH                                                              \
    GRAPH("a:", "b: a", "c: b", "d: b", "e: c", "g: | other", "h: g | | c")

static void test_graph_current_depends_on_brings_the_other_branch_in(void)
{
    char buf[FX_BUF];
    struct graph *g = CURRENT_GRAPH;

    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "h"), "h c");
    /* e descends from c: c is not a branch head then */
    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "h e"), "h e");
    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "e h"), "e h");
    graph_free(g);
}

static void test_graph_current_plain_rows_are_returned_as_they_are(void)
{
    char buf[FX_BUF];
    struct graph *g = CURRENT_GRAPH;

    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "d c"), "d c");
    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "e"), "e");
    CU_ASSERT_STRING_EQUAL(all_current(buf, g, ""), "");
    /* a row that is an ancestor of another row is no branch head */
    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "b e"), "e");
    graph_free(g);
}

static void test_graph_current_unknown_row_is_error(void)
{
    char buf[FX_BUF];
    struct graph *g = CURRENT_GRAPH;

    CU_ASSERT_STRING_EQUAL(all_current(buf, g, "e zz"),
                           "error: Can't locate revision identified by 'zz'");
    graph_free(g);
}

CU_TestInfo graph_current_tests[] = {
    { "depends_on brings the other branch in",
      test_graph_current_depends_on_brings_the_other_branch_in },
    { "plain rows are returned as they are", test_graph_current_plain_rows_are_returned_as_they_are },
    { "an unknown row is an error", test_graph_current_unknown_row_is_error },
    CU_TEST_INFO_NULL,
};
