/* test_graph_plan.c -- upgrade, downgrade and stamp plans and what each
 * step does to the version table (runner/graph/graph_plan.c).  Ported from
 * alembic 1.8's tests/test_version_traversal.py: RevisionPathTest,
 * BranchedPathTest, BranchFromMergepointTest, BranchFrom3WayMergepointTest,
 * TwinMergeTest, NotQuiteTwinMergeTest, DependsOnBranchTest{One..Four},
 * DependsOnOwnDownrevTest, DependsOnBranchLabelTest, ForestTest,
 * MergedPathTest, BranchedPathTestCrossDependencies.
 *
 * UP()/DOWN() render "+x" / "-x" per step, then "|" and the version table
 * after applying every step's effect (a step whose effect does not apply
 * fails the test); UP_VT()/DOWN_VT()/STAMP_VT() render the effects. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

#define LINEAR "a:", "b: a", "c: b", "d: c", "e: d"
#define BRANCHED "a:", "b: a", "c1: b | c1branch", "d1: c1", "c2: b | c2branch", "d2: c2"
#define MERGED "a:", "b: a", "c1: b", "d1: c1", "c2: b | c2branch", "d2: c2", "e: d1 d2", "f: e"

/* ------------------------------------------------------------------ */
/* RevisionPathTest: one line of revisions. */

static void test_graph_plan_upgrade_path_runs_each_revision_once(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "c", "e"), "+d +e | e");
    CU_ASSERT_STRING_EQUAL(UP(g, "", "c"), "+a +b +c | c");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "", "c"), "insert(a) update(a>b) update(b>c) | c");
    CU_ASSERT_STRING_EQUAL(UP(g, "", "head"), "+a +b +c +d +e | e");
    CU_ASSERT_STRING_EQUAL(UP(g, "e", "head"), "| e");
    graph_free(g);
}

static void test_graph_plan_relative_upgrade_path(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "a", "+2"), "+b +c | c");
    CU_ASSERT_STRING_EQUAL(UP(g, "a", "+1"), "+b | b");
    CU_ASSERT_STRING_EQUAL(UP(g, "b", "+3"), "+c +d +e | e");
    CU_ASSERT_STRING_EQUAL(UP(g, "a", "b+2"), "+b +c +d | d");
    CU_ASSERT_STRING_EQUAL(UP(g, "a", "d-2"), "+b | b");
    graph_free(g);
}

static void test_graph_plan_relative_upgrade_past_the_ends_is_error(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "b", "-2"), "ERR: Relative revision -2 didn't produce 2 migrations");
    CU_ASSERT_STRING_EQUAL(UP(g, "b", "+5"), "ERR: Relative revision +5 didn't produce 5 migrations");
    CU_ASSERT_STRING_EQUAL(UP(g, "b", "d+2"), "ERR: Relative revision +2 didn't produce 2 migrations");
    graph_free(g);
}

static void test_graph_plan_downgrade_path_runs_newest_first(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "e", "c"), "-e -d | c");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "c", "base"), "-c -b -a |");
    CU_ASSERT_STRING_EQUAL(DOWN_VT(g, "c", "base"), "update(c>b) update(b>a) delete(a) |");
    graph_free(g);
}

static void test_graph_plan_downgrade_to_where_we_are_does_nothing(void)
{
    /* alembic issues #838 and #839 */
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "", "base"), "|");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "a", "a"), "| a");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "e", "e"), "| e");
    graph_free(g);
}

static void test_graph_plan_relative_downgrade_path(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "c", "-1"), "-c | b");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "e", "-3"), "-e -d -c | b");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d", "a+2"), "-d | c");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d", "c-2"), "-d -c -b | a");
    graph_free(g);
}

static void test_graph_plan_relative_downgrade_past_base_is_error(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "b", "-5"), "ERR: Relative revision -5 didn't produce 5 migrations");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "b", "-3"), "ERR: Relative revision -3 didn't produce 3 migrations");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "b", "-2"), "-b -a |");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "e", "-3"), "-e -d -c | b");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "b", "+2"), "ERR: Relative revision +2 didn't produce 2 migrations");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "b", "a-3"), "ERR: Walked too far");
    graph_free(g);
}

static void test_graph_plan_downgrade_target_above_current_is_error(void)
{
    /* alembic: test_invalid_move_rev_to_none, test_invalid_move_higher_to_lower */
    struct graph *g = GRAPH("e6239818bb3a:", "548bbb905360: e6239818bb3a",
                            "b7ea43dc85e4: 548bbb905360");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "", "548"),
                           "ERR: Destination 548 is not a valid downgrade target from current "
                           "head(s)");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "548bbb905360", "b7ea"),
                           "ERR: Destination b7ea is not a valid downgrade target from current "
                           "head(s)");
    graph_free(g);
}

static void test_graph_plan_upgrade_to_an_older_revision_does_nothing(void)
{
    /* alembic 1.8 upgrades with implicit_base=True, so "upgrade b" at d is
     * silently nothing (checked against alembic upgrade on sqlite) */
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "d", "b"), "| d");
    graph_free(g);
}

static void test_graph_plan_unknown_revisions_cant_be_located(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "a", "zzzz"), "ERR: Can't locate revision identified by 'zzzz'");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "c", "zzzz"), "ERR: Can't locate revision identified by 'zzzz'");
    CU_ASSERT_STRING_EQUAL(UP(g, "nope", "head"), "ERR: Can't locate revision identified by 'nope'");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "a", "zz"), "ERR: Can't locate revision identified by 'zz'");
    CU_ASSERT_STRING_EQUAL(UP(g, "a", ""), "ERR: empty revision target");
    graph_free(g);
}

static void test_graph_plan_stamp_to_base_deletes_the_row(void)
{
    struct graph *g = GRAPH(LINEAR);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d", "base"), "delete(d) |");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "", "c"), "insert(c) | c");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "b", "d"), "update(b>d) | d");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d", "b"), "update(d>b) | b");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d", "d"), "| d");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* BranchedPathTest: b branches into c1 -> d1 and c2 -> d2. */

static void test_graph_plan_stamp_across_branches(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    /* DELETE d1, UPDATE c2 to b */
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d1 c2", "b"), "merge(-d1,c2>b) | b");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d1 c2", "c1branch@base"), "delete(d1) | c2");
    /* the c1branch row stays */
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d1 c2", "c2branch@head"), "update(c2>d2) | d1 d2");
    graph_free(g);
}

static void test_graph_plan_stamp_with_multiple_heads_is_error(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "", "head"),
                           "ERR: Multiple heads are present; please specify a single target "
                           "revision");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d1", "c2branch@head"), "insert(d2) | d1 d2");
    graph_free(g);
}

static void test_graph_plan_upgrade_single_and_multiple_branches(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "b", "d1"), "+c1 +d1 | d1");
    CU_ASSERT_STRING_EQUAL(UP(g, "a", "heads"), "+b +c2 +d2 +c1 +d1 | d1 d2");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "a", "heads"),
                           "update(a>b) update(b>c2) update(c2>d2) insert(c1) update(c1>d1) | d1 d2");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "d1", "c2branch@head"), "insert(c2) update(c2>d2) | d1 d2");
    graph_free(g);
}

static void test_graph_plan_upgrade_head_with_multiple_heads_is_error(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "", "head"),
                           "ERR: Multiple head revisions are present for given argument 'head'; "
                           "please specify a specific target revision, '<branchname>@head' to "
                           "narrow to a specific head, or 'heads' for all heads");
    CU_ASSERT_STRING_EQUAL(UP(g, "", "heads-1"),
                           "ERR: Multiple head revisions are present for given argument "
                           "'heads-1'; please specify a specific target revision, "
                           "'<branchname>@heads-1' to narrow to a specific head, or 'heads' for "
                           "all heads");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "heads-1"),
                           "ERR: Multiple head revisions are present for given argument "
                           "'heads-1'; please specify a specific target revision, "
                           "'<branchname>@heads-1' to narrow to a specific head, or 'heads' for "
                           "all heads");
    CU_ASSERT_STRING_EQUAL(UP(g, "", "c1branch@head"), "+a +b +c1 +d1 | d1");
    graph_free(g);
}

static void test_graph_plan_downgrade_multiple_branches(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "a"), "-d1 -c1 -d2 -c2 -b | a");
    CU_ASSERT_STRING_EQUAL(DOWN_VT(g, "d1 d2", "a"),
                           "update(d1>c1) delete(c1) update(d2>c2) update(c2>b) update(b>a) | a");
    graph_free(g);
}

static void test_graph_plan_relative_moves_on_branches(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "b", "c2branch@head-1"), "+c2 | c2");
    /* base+2 is b: everything above b goes */
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 d1", "base+2"), "-d1 -c1 -d2 -c2 | b");
    /* only the c2branch goes back to b */
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 d1", "c2branch@base+2"), "-d2 -c2 | d1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 d1", "c2"), "-d2 | c2 d1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 d1", "c2branch@base+3"), "-d2 | c2 d1");
    graph_free(g);
}

static void test_graph_plan_downgrade_minus_one_from_several_heads_takes_the_first(void)
{
    /* alembic warns that this is ambiguous and takes current[0] */
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 d1", "-1"), "-d2 | c2 d1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "c2 d1", "-1"), "-c2 | d1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "-1"), "-d1 | c1 d2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "c1 d2", "-1"), "-c1 | d2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "c1branch@-1"), "-d1 | c1 d2");
    graph_free(g);
}

static void test_graph_plan_downgrade_relative_to_a_revision_on_one_branch(void)
{
    /* alembic issue #765 */
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 c1", "d2-1"), "-d2 | c1 c2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "c1 d2", "d2-1"), "-d2 | c1 c2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "c1branch@head-1"), "-d1 | c1 d2");
    graph_free(g);
}

static void test_graph_plan_downgrade_one_branch_by_label_or_revision(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "c1 d2", "c1branch@b"), "-c1 | d2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "c1 d2", "c2branch@b"), "-d2 -c2 | c1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "c2@b"), "-d2 -c2 | d1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "d1@b"), "-d1 -c1 | d2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "a@b"),
                           "ERR: Not a valid downgrade target from current heads");
    graph_free(g);
}

static void test_graph_plan_upgrade_one_branch_relative(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "c1", "c2branch@+1"), "+c2 | c1 c2");
    CU_ASSERT_STRING_EQUAL(UP(g, "c1 c2", "c2branch@+1"), "+d2 | c1 d2");
    CU_ASSERT_STRING_EQUAL(UP(g, "c1 c2", "+1"),
                           "ERR: Ambiguous upgrade from multiple current revisions");
    CU_ASSERT_STRING_EQUAL(UP(g, "", "base+1"), "+a | a");
    CU_ASSERT_STRING_EQUAL(UP(g, "", "+1"), "+a | a");
    graph_free(g);
}

static void test_graph_plan_downgrade_minus_one_to_and_from_base(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "a", "-1"), "-a |");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "", "-1"), "ERR: Relative revision -1 didn't produce 1 migrations");
    graph_free(g);
}

static void test_graph_plan_downgrade_to_a_current_head_does_nothing(void)
{
    struct graph *g = GRAPH(BRANCHED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 c2", "c2"), "| c2 d1");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 c2", "d1"), "| c2 d1");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* Merge points with a branch leaving them. */

static void test_graph_plan_mergepoint_to_only_one_side(void)
{
    struct graph *g = GRAPH("a1:", "b1: a1", "c1: b1", "a2:", "b2: a2", "c2: b2", "d1: c1 c2",
                            "d2: c2");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "d2 b1", "d1"), "+c1 +d1 | d1 d2");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "d2 b1", "d1"), "update(b1>c1) update(c1>d1) | d1 d2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d2 d1", "b1"), "-d1 -c1 | b1 d2");
    /* d2 still implies c2, so taking d1 down only moves its row to c1 */
    CU_ASSERT_STRING_EQUAL(DOWN_VT(g, "d2 d1", "b1"), "update(d1>c1) update(c1>b1) | b1 d2");
    graph_free(g);
}

static void test_graph_plan_three_way_mergepoint(void)
{
    struct graph *g = GRAPH("a1:", "b1: a1", "c1: b1", "a2:", "b2: a2", "c2: b2", "a3:",
                            "b3: a3", "c3: b3", "d1: c1 c2 c3", "d2: c2", "d3: c3");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "d3 d2 b1", "d1"), "+c1 +d1 | d1 d2 d3");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d3 d2 d1", "b1"), "-d1 -c1 | b1 d2 d3");
    /* b2 and b1 merge into d1 ... */
    CU_ASSERT_STRING_EQUAL(UP(g, "d3 b2 b1", "d1"), "+c2 +c1 +d1 | d1 d3");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "d3 b2 b1", "d1"),
                           "update(b2>c2) update(b1>c1) merge(-c1,c2>d1) | d1 d3");
    /* ... and b2's line breaks out again when it goes on */
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "d3 d1", "d2"), "insert(d2) | d1 d2 d3");
    graph_free(g);
}

static void test_graph_plan_twin_merges_from_the_same_branches(void)
{
    /* alembic issue #297 (TwinMergeTest): both merges apply cleanly */
    struct graph *g = GRAPH("a:", "b1: a", "b2: a", "b3: a", "c1: b1 b2 b3", "c2: b1 b2 b3",
                            "d1: c1", "d2: c2");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "a", "heads"), "+b3 +b2 +b1 +c2 +d2 +c1 +d1 | d1 d2");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "a", "heads"),
                           "update(a>b3) insert(b2) insert(b1) merge(-b1,-b2,b3>c2) "
                           "update(c2>d2) insert(c1) update(c1>d1) | d1 d2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "a"), "-d1 -c1 -d2 -c2 -b1 -b2 -b3 | a");
    graph_free(g);
}

static void test_graph_plan_not_quite_twin_merges(void)
{
    /* NotQuiteTwinMergeTest: B1,B2 -> C1 and B2,B3 -> C2 */
    struct graph *g = GRAPH("a:", "b1: a", "b2: a", "b3: a", "c1: b1 b2", "c2: b2 b3", "d1: c1",
                            "d2: c2");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "a", "heads"), "+b2 +b3 +c2 +d2 +b1 +c1 +d1 | d1 d2");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "a", "heads"),
                           "update(a>b2) insert(b3) merge(-b2,b3>c2) update(c2>d2) insert(b1) "
                           "update(b1>c1) update(c1>d1) | d1 d2");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* depends_on */

#define DEP_ONE                                                                         \
    "a1: | lib1", "b1: a1", "c1: b1", "a2:", "b2: a2", "c2: b2 | | c1", "d1: c1",      \
        "e1: d1", "f1: e1"

static void test_graph_plan_downgrade_to_a_dependency_deletes_the_row(void)
{
    struct graph *g = GRAPH(DEP_ONE);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN_VT(g, "c2 d1", "c1"), "delete(d1) | c2");
    graph_free(g);
}

static void test_graph_plan_stamp_across_a_dependency(void)
{
    struct graph *g = GRAPH(DEP_ONE);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "e1 c2", "b1"), "merge(-e1,c2>b1) | b1");
    graph_free(g);
}

#define DEP_TWO                                                                      \
    "a1:", "a2:", "a3:", "amerge: a1 a2 a3", "b1:", "b2:", "bmerge: b1 b2", "c1:", \
        "c2:", "c3:", "cmerge: c1 c2 c3", "d1: | | a3 b2 c1"

static void test_graph_plan_depends_on_several_merges(void)
{
    /* alembic: DependsOnBranchTestTwo.test_kaboom */
    struct graph *g = GRAPH(DEP_TWO);
    char b[FX_BUF];

    /* b2 is not in the table afterwards, but d1 implies it */
    CU_ASSERT_STRING_EQUAL(DOWN(g, "amerge bmerge cmerge d1", "b2"),
                           "-bmerge | amerge b1 cmerge d1");
    /* b2 has to come back when d1 goes, as d1 implied it */
    CU_ASSERT_STRING_EQUAL(DOWN(g, "amerge d1 b1 cmerge", "d1@base"),
                           "-d1 | amerge b1 b2 cmerge");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "amerge b1 b2 cmerge", "base"),
                           "-amerge -a1 -b1 -b2 -cmerge -c1 -a2 -a3 -c2 -c3 |");
    graph_free(g);
}

static void test_graph_plan_downgrade_over_crisscross_dependencies(void)
{
    /* alembic issue #377: half of a merge point can be removed */
    struct graph *g = GRAPH("a1:", "a2: a1", "b1:", "b2: b1 | | a2", "b3: b2", "a3: a2 | | b1");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "a3 b2", "b1"), "-b2 | a3");
    graph_free(g);
}

static void test_graph_plan_depends_on_own_down_revision(void)
{
    /* alembic issue #843 */
    struct graph *g = GRAPH("a1:", "a2: a1 | | a1");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "", "a2"), "+a1 +a2 | a2");
    CU_ASSERT_STRING_EQUAL(DOWN(g, "a2", "a1"), "-a2 | a1");
    graph_free(g);
}

static void test_graph_plan_dependencies_are_normalized(void)
{
    /* alembic issue #789: a3 stays implied by b3 */
    struct graph *g = GRAPH("a1:", "a2: a1", "a3: a2", "b1:", "b2: b1 | | a3", "b3: b2",
                            "b4: b3 | | a3");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN_VT(g, "b4", "b3"), "update(b4>b3) | b3");
    graph_free(g);
}

static void test_graph_plan_depends_on_a_branch_label_pulls_in_that_branch(void)
{
    struct graph *g = GRAPH("a1: | lib1", "b1: a1", "c1: b1 | c1lib", "a2:", "b2: a2",
                            "c2: b2 | | c1lib", "d1: c1", "e1: d1", "f1: e1");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "a2", "c2"), "+a1 +b1 +c1 +b2 +c2 | c2");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "a2", "c2"),
                           "insert(a1) update(a1>b1) update(b1>c1) update(a2>b2) "
                           "merge(-b2,c1>c2) | c2");
    graph_free(g);
}

static void test_graph_plan_downgrade_across_cross_branch_dependency(void)
{
    struct graph *g = GRAPH("a:", "b: a", "c1: b | c1branch", "d1: c1", "c2: b | c2branch",
                            "d2: c2 | | c1");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "c2branch@b"), "-d2 -c2 | d1");
    /* taking c1branch down takes d2, which depends on it, too */
    CU_ASSERT_STRING_EQUAL(DOWN(g, "d1 d2", "c1branch@b"), "-d1 -d2 -c1 | c2");
    graph_free(g);
}

/* ------------------------------------------------------------------ */
/* ForestTest and MergedPathTest */

static void test_graph_plan_forest_upgrades_tree_by_tree(void)
{
    struct graph *g = GRAPH("a1:", "b1: a1", "a2:", "b2: a2");
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "", "heads"), "+a2 +b2 +a1 +b1 | b1 b2");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "", "heads"), "insert(b1) insert(b2) | b1 b2");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "b1 b2", "heads"), "| b1 b2");
    graph_free(g);
}

static void test_graph_plan_stamp_across_a_merge_point(void)
{
    struct graph *g = GRAPH(MERGED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "e", "c2"), "update(e>c2) | c2");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "e", "a"), "update(e>a) | a");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "c2", "e"), "update(c2>e) | e");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d1 c2", "c2branch@head"), "merge(-d1,c2>f) | f");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "d1 c2", "e"), "merge(-d1,c2>e) | e");
    CU_ASSERT_STRING_EQUAL(STAMP_VT(g, "b", "e"), "update(b>e) | e");
    graph_free(g);
}

static void test_graph_plan_upgrade_across_merge_point_merges_rows(void)
{
    struct graph *g = GRAPH(MERGED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(UP(g, "b", "f"), "+c2 +d2 +c1 +d1 +e +f | f");
    CU_ASSERT_STRING_EQUAL(UP_VT(g, "b", "f"),
                           "update(b>c2) update(c2>d2) insert(c1) update(c1>d1) merge(-d1,d2>e) "
                           "update(e>f) | f");
    graph_free(g);
}

static void test_graph_plan_downgrade_across_merge_point_unmerges_rows(void)
{
    struct graph *g = GRAPH(MERGED);
    char b[FX_BUF];

    CU_ASSERT_STRING_EQUAL(DOWN(g, "f", "b"), "-f -e -d1 -c1 -d2 -c2 | b");
    CU_ASSERT_STRING_EQUAL(DOWN_VT(g, "f", "b"),
                           "update(f>e) unmerge(+d1,e>d2) update(d1>c1) delete(c1) update(d2>c2) "
                           "update(c2>b) | b");
    graph_free(g);
}

static void test_graph_plan_stamp_several_targets_at_once(void)
{
    struct graph *g = GRAPH(BRANCHED);
    struct plan p = { 0 };
    struct err e = ERR_INIT;
    const char *targets[] = { "d1", "c2" };
    char b[FX_BUF];

    CU_ASSERT_EQUAL(graph_plan_stamp_multi(g, NULL, 0, targets, 2, &p, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_apply(b, "", &p, 1), "insert(d1) insert(c2) | c2 d1");
    plan_free(&p);
    CU_ASSERT_EQUAL(graph_plan_stamp_multi(g, targets, 2, NULL, 0, &p, &e), 0);
    CU_ASSERT_STRING_EQUAL(fx_apply(b, "d1 c2", &p, 1), "delete(d1) delete(c2) |");
    plan_free(&p);
    graph_free(g);
}

static void test_graph_plan_steps_carry_revision_and_direction(void)
{
    struct graph *g = GRAPH(LINEAR);
    struct plan p = { 0 };
    struct err e = ERR_INIT;
    const char *cur[] = { "b" };

    CU_ASSERT_EQUAL_FATAL(graph_plan_upgrade(g, cur, 1, "d", &p, &e), 0);
    CU_ASSERT_EQUAL_FATAL(p.n_steps, 2);
    CU_ASSERT_STRING_EQUAL(p.steps[0].rev->id, "c");
    CU_ASSERT_EQUAL(p.steps[0].upgrade, 1);
    CU_ASSERT_EQUAL(p.steps[0].vt, VT_UPDATE);
    CU_ASSERT_STRING_EQUAL(p.steps[0].from, "b");
    CU_ASSERT_STRING_EQUAL(p.steps[0].to, "c");
    plan_free(&p);
    CU_ASSERT_EQUAL(p.n_steps, 0);
    CU_ASSERT_PTR_NULL(p.steps);
    CU_ASSERT_EQUAL_FATAL(graph_plan_downgrade(g, cur, 1, "base", &p, &e), 0);
    CU_ASSERT_EQUAL_FATAL(p.n_steps, 2);
    CU_ASSERT_EQUAL(p.steps[1].upgrade, 0);
    CU_ASSERT_EQUAL(p.steps[1].vt, VT_DELETE);
    CU_ASSERT_STRING_EQUAL(p.steps[1].from, "a");
    plan_free(&p);
    plan_free(NULL);
    graph_free(g);
}

CU_TestInfo graph_plan_tests[] = {
    { "upgrade path runs each revision once", test_graph_plan_upgrade_path_runs_each_revision_once },
    { "relative upgrade path", test_graph_plan_relative_upgrade_path },
    { "relative upgrade past the ends is error", test_graph_plan_relative_upgrade_past_the_ends_is_error },
    { "downgrade path runs newest first", test_graph_plan_downgrade_path_runs_newest_first },
    { "downgrade to where we are does nothing", test_graph_plan_downgrade_to_where_we_are_does_nothing },
    { "relative downgrade path", test_graph_plan_relative_downgrade_path },
    { "relative downgrade past base is error", test_graph_plan_relative_downgrade_past_base_is_error },
    { "downgrade target above current is error", test_graph_plan_downgrade_target_above_current_is_error },
    { "upgrade to an older revision does nothing", test_graph_plan_upgrade_to_an_older_revision_does_nothing },
    { "unknown revisions can't be located", test_graph_plan_unknown_revisions_cant_be_located },
    { "stamp to base deletes the row", test_graph_plan_stamp_to_base_deletes_the_row },
    { "stamp across branches", test_graph_plan_stamp_across_branches },
    { "stamp with multiple heads is error", test_graph_plan_stamp_with_multiple_heads_is_error },
    { "upgrade single and multiple branches", test_graph_plan_upgrade_single_and_multiple_branches },
    { "upgrade head with multiple heads is error", test_graph_plan_upgrade_head_with_multiple_heads_is_error },
    { "downgrade multiple branches", test_graph_plan_downgrade_multiple_branches },
    { "relative moves on branches", test_graph_plan_relative_moves_on_branches },
    { "downgrade -1 from several heads takes the first", test_graph_plan_downgrade_minus_one_from_several_heads_takes_the_first },
    { "downgrade relative to a revision on one branch", test_graph_plan_downgrade_relative_to_a_revision_on_one_branch },
    { "downgrade one branch by label or revision", test_graph_plan_downgrade_one_branch_by_label_or_revision },
    { "upgrade one branch relative", test_graph_plan_upgrade_one_branch_relative },
    { "downgrade -1 to and from base", test_graph_plan_downgrade_minus_one_to_and_from_base },
    { "downgrade to a current head does nothing", test_graph_plan_downgrade_to_a_current_head_does_nothing },
    { "mergepoint to only one side", test_graph_plan_mergepoint_to_only_one_side },
    { "three-way mergepoint", test_graph_plan_three_way_mergepoint },
    { "twin merges from the same branches", test_graph_plan_twin_merges_from_the_same_branches },
    { "not quite twin merges", test_graph_plan_not_quite_twin_merges },
    { "downgrade to a dependency deletes the row", test_graph_plan_downgrade_to_a_dependency_deletes_the_row },
    { "stamp across a dependency", test_graph_plan_stamp_across_a_dependency },
    { "depends_on several merges", test_graph_plan_depends_on_several_merges },
    { "downgrade over criss-cross dependencies", test_graph_plan_downgrade_over_crisscross_dependencies },
    { "depends_on own down revision", test_graph_plan_depends_on_own_down_revision },
    { "dependencies are normalized", test_graph_plan_dependencies_are_normalized },
    { "depends_on a branch label pulls in that branch", test_graph_plan_depends_on_a_branch_label_pulls_in_that_branch },
    { "downgrade across cross-branch dependency", test_graph_plan_downgrade_across_cross_branch_dependency },
    { "forest upgrades tree by tree", test_graph_plan_forest_upgrades_tree_by_tree },
    { "stamp across a merge point", test_graph_plan_stamp_across_a_merge_point },
    { "upgrade across merge point merges rows", test_graph_plan_upgrade_across_merge_point_merges_rows },
    { "downgrade across merge point unmerges rows", test_graph_plan_downgrade_across_merge_point_unmerges_rows },
    { "stamp several targets at once", test_graph_plan_stamp_several_targets_at_once },
    { "steps carry revision and direction", test_graph_plan_steps_carry_revision_and_direction },
    CU_TEST_INFO_NULL,
};
