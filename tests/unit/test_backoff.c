/* test_backoff.c -- the one jittered backoff (util/backoff.c). */
#include <CUnit/CUnit.h>

#include "backoff.h"

static void test_backoff_doubles_then_stops_at_the_ceiling(void)
{
    struct backoff b;

    backoff_init(&b, 250, 10000, 0.25, 0, 1);
    CU_ASSERT_EQUAL(backoff_delay_ms(&b, 1, 0.5), 250);
    CU_ASSERT_EQUAL(backoff_delay_ms(&b, 2, 0.5), 500);
    CU_ASSERT_EQUAL(backoff_delay_ms(&b, 6, 0.5), 8000);
    CU_ASSERT_EQUAL(backoff_delay_ms(&b, 7, 0.5), 10000);
    CU_ASSERT_EQUAL(backoff_delay_ms(&b, 4000000000u, 0.5), 10000);
}

static void test_backoff_hard_cap_bounds_the_jitter(void)
{
    struct backoff soft, hard;

    backoff_init(&soft, 100, 1000, 0.25, 0, 1);
    backoff_init(&hard, 100, 1000, 0.25, 1, 1);
    CU_ASSERT_EQUAL(backoff_delay_ms(&soft, 9, 0.999999), 1250);
    CU_ASSERT_EQUAL(backoff_delay_ms(&hard, 9, 0.999999), 1000);
    CU_ASSERT_EQUAL(backoff_delay_ms(&hard, 9, 0.0), 750);
    CU_ASSERT_EQUAL(backoff_delay_ms(&hard, 1, 0.0), 75);
}

static void test_backoff_draws_stay_within_the_jitter(void)
{
    struct backoff b;

    backoff_init(&b, 100, 100, 0.25, 0, 0);
    CU_ASSERT_NOT_EQUAL(b.state, 0);
    for (int i = 0; i < 1000; i++) {
        uint64_t ms = backoff_next_ms(&b, 1);

        CU_ASSERT(ms >= 75 && ms <= 125);
    }
}

static void test_backoff_uniform_is_in_unit_interval(void)
{
    uint64_t s = 42;
    double lo = 1, hi = 0;

    for (int i = 0; i < 10000; i++) {
        double u = backoff_uniform(&s);

        CU_ASSERT(u >= 0.0 && u < 1.0);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    CU_ASSERT(lo < 0.01 && hi > 0.99);
}

CU_TestInfo backoff_tests[] = {
    { "backoff doubles then stops at the ceiling", test_backoff_doubles_then_stops_at_the_ceiling },
    { "backoff hard cap bounds the jitter", test_backoff_hard_cap_bounds_the_jitter },
    { "backoff draws stay within the jitter", test_backoff_draws_stay_within_the_jitter },
    { "backoff uniform is in [0, 1)", test_backoff_uniform_is_in_unit_interval },
    CU_TEST_INFO_NULL,
};
