/* test_cli_input.c -- bad input found by fault injection: every usage
 * error goes through one path, names the bad argument (not the command),
 * shows it escaped and cut, and numbers of seconds are numbers. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char err_text[65536];

/* Run cli_main with stdout silenced and stderr kept in err_text. */
static int run(int argc, char **argv)
{
    char path[] = "/tmp/runner-test-cli-input-XXXXXX";
    int fd = mkstemp(path);
    int saved_out = dup(1), saved_err = dup(2);
    int devnull = open("/dev/null", O_WRONLY);
    ssize_t n;
    int ret;

    CU_ASSERT_FATAL(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    dup2(devnull, 1);
    dup2(fd, 2);
    ret = cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(devnull);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, err_text, sizeof(err_text) - 1);
    err_text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return ret;
}

/* An empty plugin directory nobody else can write, for commands that
 * load the graph. */
static const char *plugin_dir(void)
{
    static char dir[64];

    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/runner-test-cli-input-%ld", (long)getpid());
        mkdir(dir, 0755);
        chmod(dir, 0755);
    }
    return dir;
}

static void test_cli_nan_seconds_are_refused(void)
{
    static const char *const opts[] = { "--statement-timeout", "--lock-timeout",
                                        "--connect-timeout", "--wait", "--lock-wait" };
    static const char *const bad[] = { "nan", "NaN", "-nan", "inf", "1e999", "" };

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            char *argv[] = { "runner", "--dir", (char *)plugin_dir(), "upgrade",
                             (char *)opts[i], (char *)bad[k], "--sql", "head", NULL };

            CU_ASSERT_EQUAL(run(8, argv), 2);
            CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "needs a number of seconds"));
        }
    }
}

static void test_cli_wait_nan_is_refused(void)
{
    char *argv[] = { "runner", "wait", "--timeout", "nan", NULL };

    CU_ASSERT_EQUAL(run(4, argv), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "invalid --timeout 'nan'"));
}

static void test_cli_parse_seconds(void)
{
    double v = -1;

    CU_ASSERT_EQUAL(cli_parse_seconds("1.5", 1, &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1.5, 1e-9);
    CU_ASSERT_EQUAL(cli_parse_seconds("0", 1, &v), 0);
    CU_ASSERT_EQUAL(cli_parse_seconds("0", 0, &v), -1);
    CU_ASSERT_EQUAL(cli_parse_seconds("nan", 1, &v), -1);
    CU_ASSERT_EQUAL(cli_parse_seconds("inf", 1, &v), -1);
    CU_ASSERT_EQUAL(cli_parse_seconds("-1", 1, &v), -1);
    CU_ASSERT_EQUAL(cli_parse_seconds("5s", 1, &v), -1);
    CU_ASSERT_EQUAL(cli_parse_seconds("", 1, &v), -1);
    CU_ASSERT_EQUAL(cli_parse_seconds(NULL, 1, &v), -1);
}

static void test_cli_bad_short_option_names_the_argument(void)
{
    char *show[] = { "runner", "--dir", (char *)plugin_dir(), "show", "-99", NULL };
    char *history[] = { "runner", "--dir", (char *)plugin_dir(), "history", "-1x", NULL };
    char *missing[] = { "runner", "--dir", (char *)plugin_dir(), "history", "-r", NULL };

    CU_ASSERT_EQUAL(run(5, show), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "runner: error: unknown option '-99'\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "usage: runner show"));
    CU_ASSERT_EQUAL(run(5, history), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "runner: error: unknown option '-1x'\n"));
    CU_ASSERT_EQUAL(run(5, missing), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "option '-r' requires a value"));
}

static void test_cli_usage_error_is_printed_once(void)
{
    char *argv[] = { "runner", "--dir", (char *)plugin_dir(), "heads", "--nope", NULL };
    const char *first;

    CU_ASSERT_EQUAL(run(5, argv), 2);
    first = strstr(err_text, "runner: error:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, "runner: error:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "Try 'runner --help'"));
}

static void test_cli_controls_in_arguments_are_escaped(void)
{
    char cmd[] = "bad\x1b[31mred\nline";
    char opt[] = "--x\x1b]0;title\x07";
    char *argv1[] = { "runner", cmd, NULL };
    char *argv2[] = { "runner", "--dir", (char *)plugin_dir(), "heads", opt, NULL };

    CU_ASSERT_EQUAL(run(2, argv1), 2);
    CU_ASSERT_PTR_NULL(strchr(err_text, '\x1b'));
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "'bad\\x1b[31mred\\nline'"));
    CU_ASSERT_EQUAL(run(5, argv2), 2);
    CU_ASSERT_PTR_NULL(strchr(err_text, '\x1b'));
    CU_ASSERT_PTR_NULL(strchr(err_text, '\x07'));
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "'--x\\x1b]0;title\\x07'"));
}

/* `runner test` reports its usage errors as every command does: once,
 * through the one path, with what the user typed escaped. */
static void test_cli_test_usage_errors_take_the_one_path(void)
{
    char range[] = "a\x1b[31m";
    char *bad_range[] = { "runner", "--dir", (char *)plugin_dir(), "test", "--range", range, NULL };
    char *unknown[] = { "runner", "--dir", (char *)plugin_dir(), "test", "--nope", NULL };
    char *extra[] = { "runner", "--dir", (char *)plugin_dir(), "test", "x\ty", NULL };
    const char *first;

    CU_ASSERT_EQUAL(run(6, bad_range), 2);
    CU_ASSERT_PTR_NULL(strchr(err_text, '\x1b'));
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "runner: error: --range needs <from>:<to>, "
                                            "got 'a\\x1b[31m'\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "Try 'runner --help'"));
    CU_ASSERT_EQUAL(run(5, unknown), 2);
    first = strstr(err_text, "runner: error: unknown option '--nope'\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, "runner: error:"));
    CU_ASSERT_EQUAL(run(5, extra), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "runner: error: unexpected argument 'x\\ty'\n"));
}

static void test_cli_long_arguments_are_cut(void)
{
    size_t n = 1 << 20;
    char *big = malloc(n + 3);
    char *argv[] = { "runner", "--dir", (char *)plugin_dir(), "heads", big, NULL };

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memcpy(big, "--", 2);
    memset(big + 2, 'a', n);
    big[n + 2] = '\0';
    CU_ASSERT_EQUAL(run(5, argv), 2);
    CU_ASSERT(strlen(err_text) < 600);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "aaa...'"));
    free(big);
}

static void test_cli_config_directory_is_refused(void)
{
    char *argv[] = { "runner", "-c", "/tmp", "--dir", (char *)plugin_dir(), "heads", NULL };

    CU_ASSERT_EQUAL(run(6, argv), 1);
    /* the trust check (trust.c) refuses it before it is read */
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "config file '/tmp': not a regular file"));
}

static void test_cli_dangling_runner_ini_is_refused(void)
{
    char here[4096];
    char dir[] = "/tmp/runner-test-cli-ini-XXXXXX";
    char *argv[] = { "runner", "--dir", (char *)plugin_dir(), "heads", NULL };
    int rc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(here, sizeof(here)));
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
    CU_ASSERT_EQUAL(symlink("/nonexistent/runner.ini", "runner.ini"), 0);
    rc = run(4, argv);
    unlink("runner.ini");
    CU_ASSERT_EQUAL(chdir(here), 0);
    rmdir(dir);
    CU_ASSERT_EQUAL(rc, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "cannot open config file 'runner.ini'"));
}

static void test_cli_url_password_warns(void)
{
    char *argv[] = { "runner", "--url", "postgresql://u:s3cret@localhost:1/x",
                     "--dir", (char *)plugin_dir(), "heads", NULL };
    char *quiet[] = { "runner", "--url", "postgresql://u@localhost:1/x",
                      "--dir", (char *)plugin_dir(), "heads", NULL };

    run(6, argv);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "process list"));
    CU_ASSERT_PTR_NULL(strstr(err_text, "s3cret"));
    run(6, quiet);
    CU_ASSERT_PTR_NULL(strstr(err_text, "process list"));
}

static void test_cli_prints_server_fields_as_psql(void)
{
    struct err e = ERR_INIT;
    char path[] = "/tmp/runner-test-cli-fields-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w+");
    char buf[1024];
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    err_set(&e, ERR_FAIL, "duplicate key value violates unique constraint \"t_pkey\"");
    err_server_fields(&e, "Key (x)=(1) already exists.", "Drop it first.",
                      "SQL statement \"INSERT\"\nPL/pgSQL function f() line 3", 12);
    cli_print_error(f, &e, NULL);
    rewind(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    CU_ASSERT_STRING_EQUAL(buf,
                           "runner: error: duplicate key value violates unique constraint "
                           "\"t_pkey\"\n"
                           "DETAIL:  Key (x)=(1) already exists.\n"
                           "HINT:  Drop it first.\n"
                           "CONTEXT:  SQL statement \"INSERT\"\nPL/pgSQL function f() line 3\n");
    CU_ASSERT_EQUAL(e.position, 12);
    fclose(f);
    unlink(path);
}

CU_TestInfo cli_input_tests[] = {
    { "nan, inf and friends are not seconds", test_cli_nan_seconds_are_refused },
    { "wait --timeout nan is refused", test_cli_wait_nan_is_refused },
    { "one seconds parser", test_cli_parse_seconds },
    { "a bad short option names the argument, not the command",
      test_cli_bad_short_option_names_the_argument },
    { "a usage error is printed once", test_cli_usage_error_is_printed_once },
    { "control characters in arguments are escaped", test_cli_controls_in_arguments_are_escaped },
    { "megabyte-long arguments are cut", test_cli_long_arguments_are_cut },
    { "a directory as config is refused", test_cli_config_directory_is_refused },
    { "a dangling runner.ini is refused", test_cli_dangling_runner_ini_is_refused },
    { "a password in --url warns about the process list", test_cli_url_password_warns },
    { "server fields are printed as psql prints them", test_cli_prints_server_fields_as_psql },
    { "runner test's usage errors take the one path", test_cli_test_usage_errors_take_the_one_path },
    CU_TEST_INFO_NULL,
};
