/* test_cli.c -- the command table: every command answers --help with 0,
 * and bad usage exits 2. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Run cli_main with stdout and stderr silenced. */
static int run_quiet(int argc, char **argv)
{
    int saved_out = dup(1), saved_err = dup(2);
    int devnull = open("/dev/null", O_WRONLY);
    int ret;

    fflush(stdout);
    fflush(stderr);
    dup2(devnull, 1);
    dup2(devnull, 2);
    ret = cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(devnull);
    return ret;
}

static void test_cli_every_command_answers_help(void)
{
    size_t n = 0;
    const struct cmd *cmds = cli_commands(&n);

    CU_ASSERT(n >= 10);
    for (size_t i = 0; i < n; i++) {
        char *argv[] = { "runner", (char *)cmds[i].name, "--help", NULL };
        int rc = run_quiet(3, argv);

        if (rc != 0)
            fprintf(stderr, "\n  '%s --help' exited %d\n", cmds[i].name, rc);
        CU_ASSERT_EQUAL(rc, 0);
    }
}

static void test_cli_unknown_command_is_usage_error(void)
{
    char *argv[] = { "runner", "frobnicate", NULL };

    CU_ASSERT_EQUAL(run_quiet(2, argv), 2);
}

static void test_cli_no_command_is_usage_error(void)
{
    char *argv[] = { "runner", NULL };

    CU_ASSERT_EQUAL(run_quiet(1, argv), 2);
}

static void test_cli_global_option_without_value_is_usage_error(void)
{
    char *argv[] = { "runner", "heads", "--dir", NULL };

    CU_ASSERT_EQUAL(run_quiet(3, argv), 2);
}

static void test_cli_help_and_version_exit_zero(void)
{
    char *help[] = { "runner", "--help", NULL };
    char *version[] = { "runner", "--version", NULL };

    CU_ASSERT_EQUAL(run_quiet(2, help), 0);
    CU_ASSERT_EQUAL(run_quiet(2, version), 0);
}

static void test_cli_missing_plugin_dir_is_failure(void)
{
    char *argv[] = { "runner", "--dir", "/nonexistent/runner-plugins", "heads", NULL };

    CU_ASSERT_EQUAL(run_quiet(4, argv), 1);
}

CU_TestInfo cli_tests[] = {
    { "every command answers --help", test_cli_every_command_answers_help },
    { "unknown command is a usage error", test_cli_unknown_command_is_usage_error },
    { "no command is a usage error", test_cli_no_command_is_usage_error },
    { "global option without value is a usage error",
      test_cli_global_option_without_value_is_usage_error },
    { "--help and --version exit 0", test_cli_help_and_version_exit_zero },
    { "missing plugin directory is a failure", test_cli_missing_plugin_dir_is_failure },
    CU_TEST_INFO_NULL,
};
