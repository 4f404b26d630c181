/* test_mlock.c -- the migration lock's key and backoff, without a database. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlock.h"

static void test_key_is_fnv1a_64(void)
{
    /* FNV-1a 64 reference values: "" and "a" */
    CU_ASSERT_EQUAL((uint64_t)mlock_key(""), 0xcbf29ce484222325ULL);
    CU_ASSERT_EQUAL((uint64_t)mlock_key("a"), 0xaf63dc4c8601ec8cULL);
    /* stable, and schema-qualified names differ */
    CU_ASSERT_EQUAL(mlock_key("public.alembic_version"), mlock_key("public.alembic_version"));
    CU_ASSERT_NOT_EQUAL(mlock_key("tenant1.alembic_version"),
                        mlock_key("tenant2.alembic_version"));
}

static void test_backoff_doubles_to_the_ceiling(void)
{
    /* u = 0.5: no jitter */
    CU_ASSERT_EQUAL(mlock_backoff_ms(1, 0.5), 25);
    CU_ASSERT_EQUAL(mlock_backoff_ms(2, 0.5), 50);
    CU_ASSERT_EQUAL(mlock_backoff_ms(3, 0.5), 100);
    CU_ASSERT_EQUAL(mlock_backoff_ms(6, 0.5), 800);
    CU_ASSERT_EQUAL(mlock_backoff_ms(7, 0.5), 1000);
    CU_ASSERT_EQUAL(mlock_backoff_ms(100, 0.5), 1000);
    /* jitter: +-25 % */
    CU_ASSERT_EQUAL(mlock_backoff_ms(3, 0.0), 75);
    CU_ASSERT(mlock_backoff_ms(3, 0.999999) <= 125 && mlock_backoff_ms(3, 0.999999) >= 124);
    CU_ASSERT_EQUAL(mlock_backoff_ms(100, 0.0), 750);
}

CU_TestInfo mlock_tests[] = {
    { "the lock key is FNV-1a 64 of schema.table", test_key_is_fnv1a_64 },
    { "lock polling backoff: 25 ms doubling to 1 s, +-25 %", test_backoff_doubles_to_the_ceiling },
    CU_TEST_INFO_NULL,
};
