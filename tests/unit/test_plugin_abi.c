/* test_plugin_abi.c -- the op_* wrappers of plugin.h against a runner whose
 * function table is shorter than the header's (a plugin built against a
 * newer header, loaded by an older runner): every wrapper of a member the
 * table lacks fails cleanly, says so through op_log when it can, and never
 * calls through a slot beyond the table's size. */
#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <runner/plugin.h>

/* The fake runner: every member is a trap that counts its calls, so a
 * wrapper that reads past `size` is seen calling it. */
static int n_trapped;
static char logged[512];

static int trap_execute(runner_op *op, const char *sql)
{
    (void)op, (void)sql;
    n_trapped++;
    return 0;
}

static int trap_execute_params(runner_op *op, const char *sql, int n, const char *const *p)
{
    (void)op, (void)sql, (void)n, (void)p;
    n_trapped++;
    return 0;
}

static int trap_is_offline(const runner_op *op)
{
    (void)op;
    n_trapped++;
    return 0;
}

static void *trap_pgconn(runner_op *op)
{
    n_trapped++;
    return op;
}

static int trap_create_table(runner_op *op, const runner_table *t)
{
    (void)op, (void)t;
    n_trapped++;
    return 0;
}

static int trap_bulk_insert(runner_op *op, const char *s, const char *t, const char *const *c,
                            const char *const *v, size_t n)
{
    (void)op, (void)s, (void)t, (void)c, (void)v, (void)n;
    n_trapped++;
    return 0;
}

static void record_log(runner_op *op, const char *message)
{
    (void)op;
    snprintf(logged, sizeof(logged), "%s", message);
}

static struct runner_op_api full_api(void)
{
    struct runner_op_api api = {
        .abi_version = RUNNER_ABI_VERSION,
        .size = sizeof(struct runner_op_api),
        .execute = trap_execute,
        .execute_params = trap_execute_params,
        .is_offline = trap_is_offline,
        .pgconn = trap_pgconn,
        .create_table = trap_create_table,
        .bulk_insert = trap_bulk_insert,
        .log = record_log,
    };

    n_trapped = 0;
    logged[0] = '\0';
    return api;
}

static void test_plugin_abi_full_table_calls_through(void)
{
    struct runner_op_api api = full_api();
    runner_op op = { &api };

    CU_ASSERT_EQUAL(op_execute(&op, "SELECT 1"), 0);
    CU_ASSERT_EQUAL(op_is_offline(&op), 0);
    CU_ASSERT_PTR_EQUAL(op_pgconn(&op), &op);
    CU_ASSERT_EQUAL(n_trapped, 3);
    CU_ASSERT_TRUE(RUNNER_API_HAS(&op, log));
}

static void test_plugin_abi_member_beyond_size_fails_cleanly(void)
{
    struct runner_op_api api = full_api();
    runner_op op = { &api };

    /* an older runner that has only `execute` */
    api.size = (uint32_t)(offsetof(struct runner_op_api, execute) + sizeof(api.execute));
    CU_ASSERT_TRUE(RUNNER_API_HAS(&op, execute));
    CU_ASSERT_FALSE(RUNNER_API_HAS(&op, execute_params));
    CU_ASSERT_EQUAL(op_execute(&op, "SELECT 1"), 0);
    CU_ASSERT_EQUAL(n_trapped, 1);
    n_trapped = 0;
    CU_ASSERT_EQUAL(op_execute_params(&op, "SELECT $1", 1, RUNNER_NAMES("x")), -1);
    CU_ASSERT_EQUAL(op_is_offline(&op), -1);
    CU_ASSERT_PTR_NULL(op_pgconn(&op));
    CU_ASSERT_EQUAL(op_create_table(&op, NULL), -1);
    CU_ASSERT_EQUAL(op_bulk_insert(&op, NULL, "t", RUNNER_NAMES("a"), NULL, 0), -1);
    op_log(&op, "not delivered");
    CU_ASSERT_EQUAL(n_trapped, 0);
    /* op_log is beyond the table too: nothing could be said */
    CU_ASSERT_STRING_EQUAL(logged, "");
}

static void test_plugin_abi_missing_member_is_logged(void)
{
    struct runner_op_api api = full_api();
    runner_op op = { &api };

    /* a runner whose table has op_log but not op_bulk_insert */
    api.bulk_insert = NULL;
    CU_ASSERT_EQUAL(op_bulk_insert(&op, NULL, "t", RUNNER_NAMES("a"), NULL, 0), -1);
    CU_ASSERT_EQUAL(n_trapped, 0);
    CU_ASSERT_STRING_EQUAL(logged, "op_bulk_insert: not provided by this runner (the plugin "
                                   "was built against a newer runner/plugin.h)");
}

static void test_plugin_abi_size_below_header_is_refused(void)
{
    struct runner_op_api api = full_api();
    runner_op op = { &api };
    runner_op no_table = { NULL };

    api.size = 0;
    CU_ASSERT_EQUAL(op_execute(&op, "SELECT 1"), -1);
    CU_ASSERT_EQUAL(n_trapped, 0);
    CU_ASSERT_EQUAL(op_execute(&no_table, "SELECT 1"), -1);
    CU_ASSERT_EQUAL(op_execute(NULL, "SELECT 1"), -1);
}

CU_TestInfo plugin_abi_tests[] = {
    { "full table calls through", test_plugin_abi_full_table_calls_through },
    { "member beyond size fails cleanly", test_plugin_abi_member_beyond_size_fails_cleanly },
    { "missing member is logged", test_plugin_abi_missing_member_is_logged },
    { "size below header is refused", test_plugin_abi_size_below_header_is_refused },
    CU_TEST_INFO_NULL,
};
