/* test_cli_consistency.c -- one consistent CLI (issue 11.6): options after
 * positional arguments, --json that parses on every read command, the
 * connection error's hint, `history`'s help and `--applied` header and
 * legend, the replica that waited for the lock, the hint after
 * "Ambiguous walk".  Scenarios: tests/plugins/exec linear and branches. */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "mlock.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))
#define LACKS(hay, needle) CU_ASSERT_PTR_NULL(strstr((hay), (needle)))

/* Does text parse as JSON?  python3's own parser says, strictly (it
 * refuses bytes that are not UTF-8). */
static int json_parses(const char *text, const char *tag)
{
    char path[512], cmd[1200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.json", it_tmpdir(), tag);
    f = fopen(path, "w");
    if (!f)
        return 0;
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "python3 -m json.tool '%s' >/dev/null", path);
    return system(cmd) == 0;
}

/* `show head --json` used to stop at "head" ("+" in getopt's optstring)
 * and refuse the option as a second revision. */
static void test_cli_options_follow_positional_arguments(void)
{
    struct it_run r;

    it_runner(&r, "linear", NULL, "show head --json");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(r.out[0] == '[');
    HAS(r.out, "\"revision\":\"l5\"");
    it_runner(&r, "linear", NULL, "show l2 --help");
    CU_ASSERT_EQUAL(r.status, 0);
    HAS(r.out, "usage: runner show");
    /* an unknown option after the revision is named as typed */
    it_runner(&r, "linear", NULL, "show head -xy");
    CU_ASSERT_EQUAL(r.status, 2);
    HAS(r.err, "unknown option '-xy'");
}

static void test_cli_json_parses_on_every_read_command(void)
{
    static const char *const cmds[] = {
        "current --json", "heads --json", "branches --json", "history --json",
        "history -i --json", "history --applied --json", "show heads --json",
        "show current --json",
    };
    char url[IT_URL_SIZE];
    struct it_run r;

    CU_ASSERT_FATAL(it_db_create("cli_json", url, sizeof(url)) == 0);
    it_runner(&r, "branches", url, "upgrade d4");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        it_runner(&r, "branches", url, cmds[i]);
        CU_ASSERT_EQUAL(r.status, 0);
        if (!json_parses(r.out, "cli_json")) {
            fprintf(stderr, "\n%s: not JSON: %s\n", cmds[i], r.out);
            CU_FAIL("not JSON");
        }
    }
    it_runner(&r, "branches", url, "history --applied --json");
    HAS(r.out, "\"direction\":\"upgrade\"");
    HAS(r.out, "\"revision\":\"d4\"");
    HAS(r.out, "\"status\":\"ok\"");
}

static void test_cli_connection_error_names_where_the_url_comes_from(void)
{
    struct it_run r;

    it_runner(&r, "linear", "host=/nonexistent-cli6 dbname=x", "current");
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.err, "cannot connect to");
    HAS(r.err, "HINT:");
    HAS(r.err, "--url");
    HAS(r.err, "DATABASE_URL");
}

/* history prints the heads first: its help said "chronological order,
 * newest first", which contradicts itself. */
static void test_cli_history_help_says_newest_first(void)
{
    struct it_run r;
    char *last;

    it_runner(&r, "linear", NULL, "history --help");
    CU_ASSERT_EQUAL(r.status, 0);
    HAS(r.out, "newest first");
    LACKS(r.out, "chronological");
    it_runner(&r, "linear", NULL, "--help");
    LACKS(r.out, "chronological");
    it_runner(&r, "linear", NULL, "history");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(strncmp(r.out, "l4 -> l5 (head)", 15) == 0);
    r.out[strlen(r.out) - 1] = '\0';
    last = strrchr(r.out, '\n');
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    CU_ASSERT(strncmp(last + 1, "<base> -> l1", 12) == 0);
}

static void test_cli_history_applied_has_header_and_legend(void)
{
    char url[IT_URL_SIZE];
    struct it_run r;

    CU_ASSERT_FATAL(it_db_create("cli_applied", url, sizeof(url)) == 0);
    it_runner(&r, "fail", url, "upgrade head");
    CU_ASSERT_EQUAL(r.status, 1);
    it_runner(&r, "fail", url, "history --applied");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(strncmp(r.out, "STARTED", 7) == 0);
    HAS(r.out, "DIRECTION");
    HAS(r.out, "REVISION");
    HAS(r.out, "STATUS");
    HAS(r.out, "FAILED");
    HAS(r.out, "'run' rows mark a whole run");
    HAS(r.out, "FAILED: the step's transaction was rolled back");
    HAS(r.out, "DIED: ");
}

/* ---- a replica that waited for the lock ---- */

static void nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

    nanosleep(&ts, NULL);
}

static int held_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

    if (!ok)
        fprintf(stderr, "\n%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

/* The replica's pre-check (no lock) sees l5 to apply, then waits for the
 * lock; the holder "applies" l5 meanwhile.  After the lock the replica
 * re-plans to nothing: it used to say nothing at all. */
static void test_cli_replica_that_waited_says_nothing_to_do(void)
{
    char url[IT_URL_SIZE], sql[128], out[512], err[512], buf[8192];
    char dir[512];
    struct it_run r;
    PGconn *holder;
    pid_t pid;
    int st = -1;

    CU_ASSERT_FATAL(it_db_create("cli_lockwait", url, sizeof(url)) == 0);
    it_runner(&r, "linear", url, "upgrade l4");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    holder = PQconnectdb(url);
    CU_ASSERT_FATAL(PQstatus(holder) == CONNECTION_OK);
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%" PRId64 ")",
             mlock_key("public.alembic_version"));
    CU_ASSERT_FATAL(held_exec(holder, sql) == 0);
    snprintf(out, sizeof(out), "%s/cli_lockwait.out", it_tmpdir());
    snprintf(err, sizeof(err), "%s/cli_lockwait.err", it_tmpdir());
    it_scenario("linear", dir, sizeof(dir));
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
            _exit(127);
        execl(RUNNER_BIN, RUNNER_BIN, "--dir", dir, "--url", url, "upgrade", "head",
              (char *)NULL);
        _exit(127);
    }
    CU_ASSERT_FATAL(pid > 0);
    for (int i = 0; i < 1000; i++) {
        it_slurp(err, buf, sizeof(buf));
        if (strstr(buf, "waiting for the migration lock"))
            break;
        nap(0.02);
    }
    HAS(buf, "waiting for the migration lock");
    CU_ASSERT(held_exec(holder, "CREATE TABLE exec_l5 (id int); "
                                "UPDATE alembic_version SET version_num = 'l5'") == 0);
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%" PRId64 ")",
             mlock_key("public.alembic_version"));
    CU_ASSERT(held_exec(holder, sql) == 0);
    for (int i = 0; i < 1000 && waitpid(pid, &st, WNOHANG) == 0; i++)
        nap(0.02);
    if (waitpid(pid, &st, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    it_slurp(err, buf, sizeof(buf));      /* the run's log is stderr */
    HAS(buf, "nothing to do");
    it_check_versions(url, "l5");
    PQfinish(holder);
}

/* d4 merges b2 and c3: alembic's bare "Ambiguous walk" gets a hint. */
static void test_cli_ambiguous_walk_names_the_choices(void)
{
    char url[IT_URL_SIZE];
    struct it_run r;

    CU_ASSERT_FATAL(it_db_create("cli_walk", url, sizeof(url)) == 0);
    it_runner(&r, "branches", url, "upgrade d4");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    it_runner(&r, "branches", url, "downgrade -1");
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.err, "Ambiguous walk");
    HAS(r.err, "HINT:  the walk forks at d4; name one of b2, c3 as the target");
    it_runner(&r, "branches", url, "downgrade b2");
    CU_ASSERT_EQUAL(r.status, 0);
}

CU_TestInfo cli_consistency_tests[] = {
    { "options follow positional arguments", test_cli_options_follow_positional_arguments },
    { "--json parses on every read command", test_cli_json_parses_on_every_read_command },
    { "a connection error names where the url comes from",
      test_cli_connection_error_names_where_the_url_comes_from },
    { "history --help says newest first", test_cli_history_help_says_newest_first },
    { "history --applied has a header and a legend",
      test_cli_history_applied_has_header_and_legend },
    { "a replica that waited for the lock says nothing to do",
      test_cli_replica_that_waited_says_nothing_to_do },
    { "Ambiguous walk names the choices", test_cli_ambiguous_walk_names_the_choices },
    CU_TEST_INFO_NULL,
};
