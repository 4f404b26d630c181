/* test_roundtrip.c -- `runner test` against a real PostgreSQL, through the
 * real runner binary.  Scenarios are tests/plugins/roundtrip (see rt.c
 * there): a correct project, downgrades that forget an index or a column
 * or restore another type, a revision that cannot be upgraded again, an
 * enum label left behind, lost rows, two heads, and signals.  Each test
 * also checks that the disposable database (or cluster) is gone. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define HAS(hay, needle) has((hay), (needle), 1)
#define HAS_NOT(hay, needle) has((hay), (needle), 0)

static struct it_run run;       /* big buffers: static, reused by each test in turn */

static void has(const char *hay, const char *needle, int want)
{
    int found = strstr(hay, needle) != NULL;

    CU_ASSERT_EQUAL(found, want);
    if (found != want)
        fprintf(stderr, "\n%s '%s' in:\n%s\n", want ? "missing" : "unexpected", needle, hay);
}

/* argv for `runner --dir <scenario> [--url <url>] <args>` (args split on
 * spaces). */
static int build_argv(char **argv, char *dir, size_t dir_size, char *copy, const char *scenario,
                      const char *url)
{
    int argc = 0;

    snprintf(dir, dir_size, "%s/%s", ROUNDTRIP_PLUGINS, scenario);
    argv[argc++] = RUNNER_BIN;
    argv[argc++] = "--dir";
    argv[argc++] = dir;
    if (url) {
        argv[argc++] = "--url";
        argv[argc++] = (char *)url;
    }
    for (char *tok = strtok(copy, " "); tok && argc < 62; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    return argc;
}

/* Start runner in the scratch directory (no runner.ini there) with stdout
 * and stderr to files; tmpdir, when not NULL, becomes its TMPDIR. */
static pid_t start_runner(const char *scenario, const char *url, const char *args,
                          const char *tmpdir, char *out_path, char *err_path)
{
    char dir[512];
    char *copy = strdup(args);
    char *argv[64];
    pid_t pid;
    int fo, fe;

    snprintf(out_path, 512, "%s/rt-out.XXXXXX", it_tmpdir());
    snprintf(err_path, 512, "%s/rt-err.XXXXXX", it_tmpdir());
    fo = mkstemp(out_path);
    fe = mkstemp(err_path);
    if (!copy || fo < 0 || fe < 0) {
        free(copy);
        return -1;
    }
    build_argv(argv, dir, sizeof(dir), copy, scenario, url);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        if (tmpdir)
            setenv("TMPDIR", tmpdir, 1);
        if (chdir(it_tmpdir()) < 0)
            _exit(126);
        execv(RUNNER_BIN, argv);
        _exit(127);
    }
    close(fo);
    close(fe);
    free(copy);
    return pid;
}

static void finish_runner(pid_t pid, const char *out_path, const char *err_path)
{
    int st;

    run.status = -1;
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        run.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    it_slurp(out_path, run.out, sizeof(run.out));
    it_slurp(err_path, run.err, sizeof(run.err));
    unlink(out_path);
    unlink(err_path);
}

static int rt_url(const char *scenario, const char *url, const char *args)
{
    char out_path[512], err_path[512];

    finish_runner(start_runner(scenario, url, args, NULL, out_path, err_path), out_path,
                  err_path);
    return run.status;
}

static int rt(const char *scenario, const char *args)
{
    return rt_url(scenario, NULL, args);
}

/* How many runner_test_* databases the server has. */
static int test_databases(void)
{
    char out[64];

    if (it_query(getenv("DATABASE_URL"),
                 "SELECT count(*) FROM pg_database WHERE datname LIKE 'runner\\_test\\_%'", out,
                 sizeof(out)) < 0)
        return -1;
    return atoi(out);
}

static void expect_no_test_database(void)
{
    int n = test_databases();

    CU_ASSERT_EQUAL(n, 0);
    if (n != 0)
        fprintf(stderr, "\n%d runner_test_* databases left behind\n", n);
}

/* Entries of dir other than . and .. (-1 when it cannot be read). */
static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_correct_project_passes(void)
{
    CU_ASSERT_EQUAL(rt("good", "test"), 0);
    HAS(run.out, "ok    graph: 4 revisions, head r4\n");
    HAS(run.out, "ok    u1 (Revision u1)\n");
    HAS(run.out, "ok    i2 (Revision i2)\n");
    HAS(run.out, "ok    e3 (Revision e3)\n");
    HAS(run.out, "ok    r4 (Revision r4)\n");
    HAS(run.out, "skip  models: no models plugin configured\n");
    HAS(run.out, "ok    downgrade base\n");
    HAS(run.out, "4 revisions, 0 failed; 7 checks: 6 ok, 0 failed, 1 skipped in ");
    HAS_NOT(run.out, "FAIL");
    expect_no_test_database();
}

static void test_branches_and_merge_round_trip(void)
{
    CU_ASSERT_EQUAL(rt("merge", "test"), 0);
    HAS(run.out, "ok    a2 (Revision a2)\n");
    HAS(run.out, "ok    b2 (Revision b2)\n");
    HAS(run.out, "ok    m3 (Merge into m3)\n");
    HAS(run.out, "ok    downgrade base\n");
    expect_no_test_database();
}

static void test_downgrade_forgetting_an_index_fails(void)
{
    CU_ASSERT_EQUAL(rt("noindex", "test"), 1);
    HAS(run.out, "ok    u1 (Revision u1)\n");
    HAS(run.out, "FAIL  x2 (Revision x2): downgrade of x2 left index ix_users_email;");
    HAS(run.out, "2 revisions, 1 failed;");
    expect_no_test_database();
}

static void test_downgrade_forgetting_a_column_fails(void)
{
    CU_ASSERT_EQUAL(rt("nocolumn", "test"), 1);
    HAS(run.out, "FAIL  x2 (Revision x2): downgrade of x2 left column users.nickname;");
    expect_no_test_database();
}

static void test_downgrade_restoring_another_type_fails(void)
{
    CU_ASSERT_EQUAL(rt("coltype", "test"), 1);
    HAS(run.out, "FAIL  x2 (Revision x2): downgrade of x2 left column users.display_name "
                 "type varchar(100), expected varchar(50)\n");
    /* its upgrade runs again (text from varchar(100)), so the walk goes on */
    HAS(run.out, "ok    downgrade base\n");
    expect_no_test_database();
}

static void test_revision_that_cannot_upgrade_again_fails(void)
{
    CU_ASSERT_EQUAL(rt("reupgrade", "test"), 1);
    HAS(run.out, "FAIL  x2 (Revision x2): upgrade after its downgrade failed: revision x2 (");
    HAS(run.out, "duplicate key value violates unique constraint \"users_email_key\" "
                 "(SQLSTATE 23505)");
    HAS(run.out, "skip  i3 (Revision i3): not run: an earlier revision failed to upgrade\n");
    HAS(run.out, "ok    downgrade base\n");
    expect_no_test_database();
}

static void test_enum_label_left_behind_fails(void)
{
    CU_ASSERT_EQUAL(rt("enumlabel", "test"), 1);
    HAS(run.out, "ok    e2 (Revision e2)\n");
    HAS(run.out, "FAIL  x3 (Revision x3): downgrade of x3 left enum label 'happy' of type mood;");
    expect_no_test_database();
}

static void test_rows_lost_by_a_downgrade_fail_test_verify(void)
{
    CU_ASSERT_EQUAL(rt("datalost", "test"), 1);
    HAS(run.out, "FAIL  d2 (Revision d2): test_verify after downgrade and upgrade failed: ");
    HAS(run.out, "row data@example.com lost");
    /* the good project's i2 has the same hooks, and its downgrade keeps the rows */
    CU_ASSERT_EQUAL(rt("good", "test -q"), 0);
    expect_no_test_database();
}

static void test_two_heads_fail_unless_declared(void)
{
    CU_ASSERT_EQUAL(rt("twoheads", "test"), 1);
    HAS(run.out, "FAIL  graph: 2 heads (a2, b2): merge them (runner merge) or declare them "
                 "with --head\n");
    HAS(run.out, "ok    a2 (Revision a2)\n");
    CU_ASSERT_EQUAL(rt("twoheads", "test --head a2 --head b2"), 0);
    HAS(run.out, "ok    graph: 3 revisions, heads ");
    CU_ASSERT_EQUAL(rt("twoheads", "test --head a2"), 1);
    HAS(run.out, "FAIL  graph: heads are ");
    expect_no_test_database();
}

static void test_range_walks_only_its_revisions(void)
{
    CU_ASSERT_EQUAL(rt("good", "test -r u1:e3"), 0);
    HAS_NOT(run.out, "u1 (Revision u1)");
    HAS(run.out, "ok    i2 (Revision i2)\n");
    HAS(run.out, "ok    e3 (Revision e3)\n");
    HAS_NOT(run.out, "r4 (Revision r4)");
    HAS(run.out, "ok    downgrade u1\n");
    CU_ASSERT_EQUAL(rt("good", "test -r u1"), 2);
    HAS(run.err, "--range needs <from>:<to>, got 'u1'");
}

static void test_url_with_a_version_table_is_refused_without_force(void)
{
    char url[IT_URL_SIZE], out[64];

    CU_ASSERT_FATAL(it_db_create("it_roundtrip_url", url, sizeof(url)) == 0);
    /* an empty database: tested in place, and left at base */
    CU_ASSERT_EQUAL(rt_url("good", url, "test"), 0);
    HAS(run.out, "ok    downgrade base\n");
    it_query(url, "SELECT count(*) FROM alembic_version", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "0");
    CU_ASSERT_EQUAL(it_exec(url, "INSERT INTO alembic_version VALUES ('u1');"
                                 "CREATE TABLE users (id integer)"), 0);
    CU_ASSERT_EQUAL(rt_url("good", url, "test"), 1);
    HAS(run.err, "runner: error: database already has a version table 'alembic_version': "
                 "runner test needs a disposable database (leave out --url, or add --force)\n");
    /* --force: tested all the same (here the head is applied, and going
     * down to base changes the schema the walk found) */
    CU_ASSERT_EQUAL(rt_url("good", url, "test --force"), 1);
    HAS(run.out, "ok    graph: 4 revisions, head r4\n");
    CU_ASSERT_EQUAL(test_databases(), 0);
}

static void test_json_and_junit_reports(void)
{
    char junit[512], args[600], xml[8192];

    snprintf(junit, sizeof(junit), "%s/rt-junit.xml", it_tmpdir());
    snprintf(args, sizeof(args), "test --json --junit %s", junit);
    CU_ASSERT_EQUAL(rt("noindex", args), 1);
    HAS(run.out, "{\"ok\": false, \"revisions\": 2, \"checks\": 4, \"failed\": 1, ");
    HAS(run.out, "{\"kind\": \"revision\", \"name\": \"x2\", \"status\": \"FAIL\", "
                 "\"message\": \"downgrade of x2 left index ix_users_email; ");
    HAS(run.out, "{\"kind\": \"graph\", \"name\": \"graph\", \"status\": \"ok\"");
    HAS_NOT(run.out, "ok    ");
    it_slurp(junit, xml, sizeof(xml));
    HAS(xml, "<testsuite name=\"runner test\" tests=\"4\" failures=\"1\" errors=\"0\" "
             "skipped=\"0\"");
    HAS(xml, "<testcase classname=\"runner.test.revision\" name=\"u1 Revision u1\"");
    HAS(xml, "<failure message=\"downgrade of x2 left index ix_users_email; upgrade after "
             "its downgrade failed: ");
    HAS(xml, "relation &quot;ix_users_email&quot; already exists");
    unlink(junit);
    expect_no_test_database();
}

/* Wait until the runner's stdout holds `text` (at most ~20 s). */
static int wait_for_output(const char *path, const char *text)
{
    static char buf[IT_OUT_SIZE];
    struct timespec ts = { 0, 50 * 1000 * 1000 };

    for (int i = 0; i < 400; i++) {
        it_slurp(path, buf, sizeof(buf));
        if (strstr(buf, text))
            return 0;
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void test_sigint_drops_the_test_database(void)
{
    char out_path[512], err_path[512];
    pid_t pid = start_runner("slow", NULL, "test", NULL, out_path, err_path);

    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(wait_for_output(out_path, "ok    s1"), 0);
    CU_ASSERT_EQUAL(test_databases(), 1);      /* it is there while the test runs */
    kill(pid, SIGINT);
    finish_runner(pid, out_path, err_path);
    CU_ASSERT_EQUAL(run.status, 130);
    HAS(run.err, "runner: SIGINT: stopping; the test database is removed\n");
    HAS(run.err, "runner: error: interrupted: the test database is removed\n");
    HAS(run.out, "(Revision s2): interrupted\n");
    HAS_NOT(run.out, "ok    s8");
    expect_no_test_database();
}

static void test_temp_cluster_is_removed_even_after_sigterm(void)
{
    char tmp[512], out_path[512], err_path[512];
    pid_t pid;

    snprintf(tmp, sizeof(tmp), "%s/rt-cluster.XXXXXX", it_tmpdir());
    CU_ASSERT_FATAL(mkdtemp(tmp) != NULL);
    chmod(tmp, 0755);           /* as root the server runs as postgres */
    /* a whole run first */
    finish_runner(start_runner("good", NULL, "test --temp-cluster", tmp, out_path, err_path),
                  out_path, err_path);
    CU_ASSERT_EQUAL(run.status, 0);
    HAS(run.out, "ok    downgrade base\n");
    if (run.status != 0)
        fprintf(stderr, "\n%s%s\n", run.out, run.err);
    CU_ASSERT_EQUAL(dir_entries(tmp), 0);
    /* then one stopped half way */
    pid = start_runner("slow", NULL, "test --temp-cluster", tmp, out_path, err_path);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(wait_for_output(out_path, "ok    s1"), 0);
    CU_ASSERT_EQUAL(dir_entries(tmp), 1);
    kill(pid, SIGTERM);
    finish_runner(pid, out_path, err_path);
    CU_ASSERT_EQUAL(run.status, 143);
    CU_ASSERT_EQUAL(dir_entries(tmp), 0);
    rmdir(tmp);
}

CU_TestInfo roundtrip_tests[] = {
    { "correct project passes", test_correct_project_passes },
    { "branches and merge round trip", test_branches_and_merge_round_trip },
    { "downgrade forgetting an index fails", test_downgrade_forgetting_an_index_fails },
    { "downgrade forgetting a column fails", test_downgrade_forgetting_a_column_fails },
    { "downgrade restoring another type fails", test_downgrade_restoring_another_type_fails },
    { "revision that cannot upgrade again fails",
      test_revision_that_cannot_upgrade_again_fails },
    { "enum label left behind fails", test_enum_label_left_behind_fails },
    { "rows lost by a downgrade fail test_verify",
      test_rows_lost_by_a_downgrade_fail_test_verify },
    { "two heads fail unless declared", test_two_heads_fail_unless_declared },
    { "range walks only its revisions", test_range_walks_only_its_revisions },
    { "url with a version table is refused without force",
      test_url_with_a_version_table_is_refused_without_force },
    { "json and junit reports", test_json_and_junit_reports },
    { "sigint drops the test database", test_sigint_drops_the_test_database },
    { "temp cluster is removed even after sigterm",
      test_temp_cluster_is_removed_even_after_sigterm },
    CU_TEST_INFO_NULL,
};
