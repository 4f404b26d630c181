/* test_runtime.c -- the libuv runtime against a real PostgreSQL: signals,
 * timeouts and lock_timeout retries, the migration lock (concurrent
 * runners, CREATE INDEX CONCURRENTLY, a killed holder, --lock-wait),
 * fan-out over 20 databases, --wait, a server restarted mid-run and kill
 * -9 of the runner.  Runners run in the background here (spawn/reap);
 * scenarios are tests/plugins/runtime (rt.c). */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "mlock.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

/* A background runner: output in <tmp>/<tag>.out and .err. */
/* RUNNER_BIN --dir <scenario> [--url url] <args>, in the background. */
static void spawn(struct it_bg *b, const char *tag, const char *scenario, const char *url,
                  const char *env, const char *args)
{
    const char *urls[] = { url, NULL };

    it_spawn(b, tag, scenario, url ? urls : NULL, env, args);
}

/* Wait until the file holds `needle`. */
static int wait_file(const char *path, const char *needle, double timeout_s)
{
    double end = it_now() + timeout_s;
    char buf[8192];

    while (it_now() < end) {
        it_slurp(path, buf, sizeof(buf));
        if (strstr(buf, needle))
            return 0;
        it_nap(0.05);
    }
    return -1;
}

static int query_int(const char *url, const char *sql)
{
    char out[64];

    if (it_query(url, sql, out, sizeof(out)) < 0)
        return -1;
    return atoi(out);
}

#define SLEEPING(db) "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = '" db \
                     "' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'"

/* ---- signals ---- */

static void test_sigterm_during_statement(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg b;
    double t0;

    CU_ASSERT_FATAL(it_db_create("rt_sig", url, sizeof(url)) == 0);
    spawn(&b, "sig", "rt_slow", url, "RT_SLEEP=60", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, SLEEPING("rt_sig"), 20) == 0);
    t0 = it_now();
    kill(b.pid, SIGTERM);
    CU_ASSERT_EQUAL(it_reap(&b, 20), 143);
    CU_ASSERT(it_now() - t0 < 5);            /* cancelled, not waited out */
    it_slurp(b.err, buf, sizeof(buf));
    HAS(buf, "interrupted: rolled back revision s2");
    it_check_versions(url, "s1");
    CU_ASSERT_EQUAL(it_tables(url, "rt_s2"), 0);
    /* the rerun completes */
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head"), 0);
    it_check_versions(url, "s3");
}

static void test_sigint_during_plugin_code(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg b;

    CU_ASSERT_FATAL(it_db_create("rt_sigc", url, sizeof(url)) == 0);
    spawn(&b, "sigc", "rt_cslow", url, "RT_CSLEEP=3", "upgrade head");
    /* c2 created its table and sleeps in C with its transaction open */
    /* (the statement rides behind its revision's BEGIN: "BEGIN;CREATE ...") */
    CU_ASSERT_FATAL(it_wait_until(url, "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = "
                                    "'rt_sigc' AND query LIKE '%CREATE TABLE rt_c2%' "
                                    "AND pid <> pg_backend_pid()", 20) == 0);
    kill(b.pid, SIGINT);
    CU_ASSERT_EQUAL(it_reap(&b, 20), 130);
    it_slurp(b.err, buf, sizeof(buf));
    HAS(buf, "interrupted: rolled back revision c2");
    it_check_versions(url, "c1");
    CU_ASSERT_EQUAL(it_tables(url, "rt_c2"), 0);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_cslow", url, "upgrade head"), 0);
    it_check_versions(url, "c3");
}

static void test_second_signal_exits_at_once(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg b;
    double t0;

    CU_ASSERT_FATAL(it_db_create("rt_sig2", url, sizeof(url)) == 0);
    spawn(&b, "sig2", "rt_cslow", url, "RT_CSLEEP=20", "upgrade head");
    /* (the statement rides behind its revision's BEGIN: "BEGIN;CREATE ...") */
    CU_ASSERT_FATAL(it_wait_until(url, "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = "
                                    "'rt_sig2' AND query LIKE '%CREATE TABLE rt_c2%' "
                                    "AND pid <> pg_backend_pid()", 20) == 0);
    kill(b.pid, SIGTERM);
    /* seen at once although plugin code runs: the watcher has its own thread */
    CU_ASSERT(wait_file(b.err, "SIGTERM: cancelling", 5) == 0);
    t0 = it_now();
    kill(b.pid, SIGTERM);
    CU_ASSERT_EQUAL(it_reap(&b, 20), 143);
    CU_ASSERT(it_now() - t0 < 3);            /* not after the 20 s of C code */
    it_slurp(b.err, buf, sizeof(buf));
    HAS(buf, "second SIGTERM: exiting at once");
    /* the server rolled the open transaction back */
    CU_ASSERT(it_wait_until(url, "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = "
                              "'rt_sig2' AND application_name = 'runner'", 10) == 0);
    it_check_versions(url, "c1");
    CU_ASSERT_EQUAL(it_tables(url, "rt_c2"), 0);
}

/* ---- timeouts ---- */

static void test_statement_timeout_backstop(void)
{
    char url[IT_URL_SIZE];
    double t0;

    CU_ASSERT_FATAL(it_db_create("rt_backstop", url, sizeof(url)) == 0);
    setenv("RT_SLEEP", "30", 1);
    t0 = it_now();
    CU_ASSERT_EQUAL(it_runner(&run, "rt_backstop", url, "upgrade head --statement-timeout 0.2"), 1);
    unsetenv("RT_SLEEP");
    CU_ASSERT(it_now() - t0 < 10);
    HAS(run.err, "revision o2");
    HAS(run.err, "statement timeout (cancelled by runner after 2.2 s)");
    it_check_versions(url, "o1");
}

static void test_connect_timeout(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET };
    socklen_t len = sizeof(addr);
    char args[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    double t0;

    /* a server that accepts TCP connections and never answers */
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    CU_ASSERT_FATAL(listen(fd, 16) == 0);
    CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    snprintf(args, sizeof(args), "--url postgresql://u@127.0.0.1:%d/d upgrade head "
             "--connect-timeout 1", ntohs(addr.sin_port));
    t0 = it_now();
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", NULL, args), 1);
    CU_ASSERT(it_now() - t0 < 5);
    HAS(run.err, "timeout expired");
    close(fd);
}

static void test_statement_timeout(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("rt_stmt", url, sizeof(url)) == 0);
    setenv("RT_SLEEP", "10", 1);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --statement-timeout 0.3"), 1);
    unsetenv("RT_SLEEP");
    HAS(run.err, "revision s2");
    HAS(run.err, "57014");
    it_check_versions(url, "s1");
}

static void test_lock_timeout_retries(void)
{
    char url[IT_URL_SIZE], buf[8192];
    PGconn *blocker;
    struct it_bg b;

    CU_ASSERT_FATAL(it_db_create("rt_lockto", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_exec(url, "CREATE TABLE rt_blocked (id integer)") == 0);
    blocker = PQconnectdb(url);
    CU_ASSERT_FATAL(PQstatus(blocker) == CONNECTION_OK);
    PQclear(PQexec(blocker, "BEGIN"));
    PQclear(PQexec(blocker, "LOCK TABLE rt_blocked IN ACCESS SHARE MODE"));

    /* three tries, all blocked: a clean failure */
    CU_ASSERT_EQUAL(it_runner(&run, "rt_lock", url,
                              "upgrade head --lock-timeout 0.2 --lock-timeout-retries 2"), 1);
    HAS(run.err, "retry 1 of 2");
    HAS(run.err, "retry 2 of 2");
    HAS(run.err, "55P03");
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_history WHERE revision = 'k1' "
                                   "AND NOT success"), 3);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM alembic_version"), 0);

    /* the blocker goes away during the retries: success */
    spawn(&b, "lockto", "rt_lock", url, NULL,
          "upgrade head --lock-timeout 0.2 --lock-timeout-retries 5");
    CU_ASSERT(wait_file(b.err, "retry 1 of 5", 20) == 0);
    PQfinish(blocker);
    CU_ASSERT_EQUAL(it_reap(&b, 30), 0);
    it_slurp(b.err, buf, sizeof(buf));
    HAS(buf, "Running upgrade  -> k1");
    it_check_versions(url, "k1");
}

/* ---- migration lock ---- */

static void test_ten_runners(void)
{
    char url[IT_URL_SIZE], tag[32];
    struct it_bg b[10];

    CU_ASSERT_FATAL(it_db_create("rt_ten", url, sizeof(url)) == 0);
    for (int i = 0; i < 10; i++) {
        snprintf(tag, sizeof(tag), "ten%d", i);
        spawn(&b[i], tag, "rt_trace20", url, "RT_TRACE_SLEEP=0.02", "upgrade head");
    }
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(it_reap(&b[i], 60), 0);
    it_check_versions(url, "t20");
    /* each revision's upgrade executed exactly once */
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM rt_trace"), 20);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(DISTINCT rev) FROM rt_trace"), 20);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_history WHERE direction = "
                                   "'upgrade' AND success"), 20);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(DISTINCT revision) FROM runner_history "
                                   "WHERE direction <> 'run'"), 20);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_history WHERE NOT success"), 0);
}

static void test_nothing_to_do_without_lock(void)
{
    char url[IT_URL_SIZE], url2[IT_URL_SIZE], sql[128];
    PGconn *holder;
    PGresult *res;
    double t0;

    CU_ASSERT_FATAL(it_db_create("rt_idle", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_db_create("rt_idle2", url2, sizeof(url2)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head"), 0);
    /* another session holds the migration lock (the documented key) */
    holder = PQconnectdb(url);
    CU_ASSERT_FATAL(PQstatus(holder) == CONNECTION_OK);
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)",
             (long long)mlock_key("public.alembic_version"));
    res = PQexec(holder, sql);
    CU_ASSERT(PQresultStatus(res) == PGRES_TUPLES_OK);
    PQclear(res);
    /* up to date: exit 0 at once, without queueing */
    t0 = it_now();
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-wait 5"), 0);
    CU_ASSERT(it_now() - t0 < 3);
    HAS(run.err, "nothing to do");
    /* work to do: it queues, names the holder, gives up after --lock-wait */
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "downgrade base --lock-wait 0.3"), 1);
    HAS(run.err, "still held by pid");
    it_check_versions(url, "s3");
    /* advisory locks are per database: another database is not blocked */
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url2, "upgrade head --lock-wait 0.3"), 0);
    PQfinish(holder);
}

static void test_waiter_and_concurrent_index(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg holder, waiter;

    CU_ASSERT_FATAL(it_db_create("rt_cic", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_cic", url, "upgrade i1"), 0);
    CU_ASSERT_FATAL(it_exec(url, "INSERT INTO rt_i1 SELECT generate_series(1, 20000)") == 0);
    spawn(&holder, "cic_h", "rt_cic", url, "RT_SLEEP=1.5", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, SLEEPING("rt_cic"), 20) == 0);
    spawn(&waiter, "cic_w", "rt_cic", url, "RT_SLEEP=0", "upgrade head");
    CU_ASSERT(wait_file(waiter.err, "waiting for the migration lock", 10) == 0);
    /* a blocked pg_advisory_lock() would hold a snapshot that CREATE INDEX
     * CONCURRENTLY waits for: both would hang */
    CU_ASSERT_EQUAL(it_reap(&holder, 30), 0);
    CU_ASSERT_EQUAL(it_reap(&waiter, 30), 0);
    it_check_versions(url, "i2");
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                                   "c.oid = i.indexrelid WHERE c.relname = 'rt_cic_i2' AND "
                                   "i.indisvalid"), 1);
    it_slurp(waiter.err, buf, sizeof(buf));
    HAS(buf, "application_name 'runner'");
    CU_ASSERT_PTR_NULL(strstr(buf, "Running upgrade"));     /* nothing left for it */
}

static void test_holder_killed(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg holder, waiter;

    CU_ASSERT_FATAL(it_db_create("rt_kill", url, sizeof(url)) == 0);
    spawn(&holder, "kill_h", "rt_slow", url, "RT_SLEEP=60", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, SLEEPING("rt_kill"), 20) == 0);
    spawn(&waiter, "kill_w", "rt_slow", url, "RT_SLEEP=0", "upgrade head");
    CU_ASSERT(wait_file(waiter.err, "waiting for the migration lock", 10) == 0);
    /* the holder's session dies (the server's side of a crashed runner) */
    CU_ASSERT(it_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "datname = 'rt_kill' AND query LIKE 'SELECT pg_sleep%'") == 0);
    CU_ASSERT_EQUAL(it_reap(&holder, 20), 1);
    it_slurp(holder.err, buf, sizeof(buf));
    HAS(buf, "revision s2");
    HAS(buf, "connection lost");
    CU_ASSERT_EQUAL(it_reap(&waiter, 20), 0);
    it_slurp(waiter.err, buf, sizeof(buf));
    HAS(buf, "Running upgrade s1 -> s2");
    it_check_versions(url, "s3");
}

static void test_lock_wait_expiry(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg holder, waiter;

    CU_ASSERT_FATAL(it_db_create("rt_lwait", url, sizeof(url)) == 0);
    spawn(&holder, "lw_h", "rt_slow", url, "RT_SLEEP=3", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, SLEEPING("rt_lwait"), 20) == 0);
    spawn(&waiter, "lw_w", "rt_slow", url, NULL, "upgrade head --lock-wait 0.5");
    CU_ASSERT_EQUAL(it_reap(&waiter, 20), 1);
    it_slurp(waiter.err, buf, sizeof(buf));
    HAS(buf, "migration lock on public.alembic_version still held by pid");
    HAS(buf, "--lock-wait");
    CU_ASSERT_EQUAL(it_reap(&holder, 20), 0);
    it_check_versions(url, "s3");
}

static void test_lock_mode_none(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("rt_nolock", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-mode none"), 0);
    HAS(run.err, "warning: --lock-mode none");
    it_check_versions(url, "s3");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-mode bogus"), 2);
}

/* ---- fan-out ---- */

static void test_fanout_twenty(void)
{
    char urls[20][IT_URL_SIZE], name[32], path[512], got[64];
    FILE *f;
    int at_head = 0;

    snprintf(path, sizeof(path), "%s/targets", it_tmpdir());
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "# twenty databases\n\n");
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "rt_fo%d", i + 1);
        CU_ASSERT_FATAL(it_db_create(name, urls[i], sizeof(urls[i])) == 0);
        fprintf(f, "  %s\n", urls[i]);
    }
    fclose(f);
    /* the seventh already has the table the first revision creates */
    CU_ASSERT_FATAL(it_exec(urls[6], "CREATE TABLE exec_l1 (id integer)") == 0);
    {
        char args[600];

        snprintf(args, sizeof(args), "upgrade head --targets %s/targets --jobs 4", it_tmpdir());
        CU_ASSERT_EQUAL(it_runner(&run, "linear", NULL, args), 1);
    }
    for (int i = 0; i < 20; i++) {
        it_versions(urls[i], got, sizeof(got));
        at_head += strcmp(got, "l5") == 0;
    }
    CU_ASSERT_EQUAL(at_head, 19);
    it_check_versions(urls[6], "");        /* created under the lock, then l1 failed */
    HAS(run.out, "[7/20]");
    HAS(run.out, "failed");
    HAS(run.out, "/rt_fo7");         /* user@host:port/dbname */
    HAS(run.err, "1 of 20 databases failed: [7/20]");
    HAS(run.err, "already exists");
    HAS(run.err, "[3/20] Running upgrade l4 -> l5");
    /* a rerun after the fix: all at head, the others had nothing to do */
    CU_ASSERT_FATAL(it_exec(urls[6], "DROP TABLE exec_l1") == 0);
    {
        char args[600];

        snprintf(args, sizeof(args), "upgrade head --targets %s/targets --jobs 8", it_tmpdir());
        CU_ASSERT_EQUAL(it_runner(&run, "linear", NULL, args), 0);
    }
    HAS(run.out, "up to date");
    at_head = 0;
    for (int i = 0; i < 20; i++) {
        it_versions(urls[i], got, sizeof(got));
        at_head += strcmp(got, "l5") == 0;
    }
    CU_ASSERT_EQUAL(at_head, 20);
}

static void test_fanout_interrupted(void)
{
    char urls[4][IT_URL_SIZE], name[32], path[512], args[600], buf[16384];
    struct it_bg b;
    FILE *f;

    snprintf(path, sizeof(path), "%s/targets4", it_tmpdir());
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "rt_fi%d", i + 1);
        CU_ASSERT_FATAL(it_db_create(name, urls[i], sizeof(urls[i])) == 0);
        fprintf(f, "%s\n", urls[i]);
    }
    fclose(f);
    snprintf(args, sizeof(args), "upgrade head --targets %s --jobs 2", path);
    spawn(&b, "fanint", "rt_slow", NULL, "RT_SLEEP=60", args);
    CU_ASSERT_FATAL(it_wait_until(urls[0], "SELECT count(*) = 2 FROM pg_stat_activity WHERE "
                                        "datname LIKE 'rt_fi%' AND query LIKE 'SELECT pg_sleep%' "
                                        "AND state = 'active'", 20) == 0);
    kill(b.pid, SIGTERM);
    CU_ASSERT_EQUAL(it_reap(&b, 20), 143);
    it_slurp(b.out, buf, sizeof(buf));
    HAS(buf, "interrupted");
    HAS(buf, "not started");
    it_check_versions(urls[0], "s1");
    it_check_versions(urls[1], "s1");
    it_check_versions(urls[2], "-");
    it_check_versions(urls[3], "-");
}

/* ---- faults ---- */

static int dev_db(const char *verb)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "%s/../scripts/dev-db %s %s/db >/dev/null 2>&1", TEST_SOURCE_DIR,
             verb, it_tmpdir());
    return system(cmd);
}

static void test_server_restart_and_wait(void)
{
    char url[IT_URL_SIZE], buf[8192];
    struct it_bg b, w;

    CU_ASSERT_FATAL(it_db_create("rt_restart", url, sizeof(url)) == 0);
    spawn(&b, "restart", "rt_slow", url, "RT_SLEEP=60", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, SLEEPING("rt_restart"), 20) == 0);
    CU_ASSERT_EQUAL(dev_db("stop"), 0);
    CU_ASSERT_EQUAL(it_reap(&b, 30), 1);
    it_slurp(b.err, buf, sizeof(buf));
    HAS(buf, "revision s2");
    HAS(buf, "connection lost");
    /* --wait: the runner waits for the server to come back */
    spawn(&w, "restart_w", "rt_slow", url, "RT_SLEEP=0", "upgrade head --wait 30");
    it_nap(0.5);
    CU_ASSERT_EQUAL(dev_db("start"), 0);
    CU_ASSERT_EQUAL(it_reap(&w, 40), 0);
    it_slurp(w.err, buf, sizeof(buf));
    HAS(buf, "Running upgrade s1 -> s2");
    it_check_versions(url, "s3");
}

static void test_kill9_runner(void)
{
    char url[IT_URL_SIZE], sql[256];
    struct it_bg b;
    int n;

    /* during a statement: the server rolls back when it notices */
    CU_ASSERT_FATAL(it_db_create("rt_k9a", url, sizeof(url)) == 0);
    spawn(&b, "k9a", "rt_slow", url, "RT_SLEEP=2", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, SLEEPING("rt_k9a"), 20) == 0);
    kill(b.pid, SIGKILL);
    it_reap(&b, 5);
    it_check_versions(url, "s1");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-wait 30"), 0);
    it_check_versions(url, "s3");
    CU_ASSERT_EQUAL(it_tables(url, "rt_s_"), 3);

    /* at an arbitrary point of a run of short revisions (often between two) */
    CU_ASSERT_FATAL(it_db_create("rt_k9b", url, sizeof(url)) == 0);
    spawn(&b, "k9b", "rt_trace20", url, "RT_TRACE_SLEEP=0.05", "upgrade head");
    CU_ASSERT_FATAL(it_wait_until(url, "SELECT to_regclass('alembic_version') IS NOT NULL AND "
                                    "(SELECT count(*) FROM alembic_version) > 0", 20) == 0);
    it_nap(0.23);
    kill(b.pid, SIGKILL);
    it_reap(&b, 5);
    /* consistent: the trace rows are exactly the revisions up to the version */
    n = query_int(url, "SELECT count(*) FROM rt_trace");
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM alembic_version WHERE version_num = 't%02d'",
             n);
    CU_ASSERT(n > 0 && n < 20);
    CU_ASSERT_EQUAL(query_int(url, sql), 1);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_trace20", url, "upgrade head --lock-wait 30"), 0);
    it_check_versions(url, "t20");
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM rt_trace"), 20);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(DISTINCT rev) FROM rt_trace"), 20);
}

static void test_plain_output_not_tty(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("rt_plain", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_trace20", url, "upgrade head"), 0);
    CU_ASSERT_PTR_NULL(strchr(run.err, '\r'));
    CU_ASSERT_PTR_NULL(strchr(run.err, '\033'));
    HAS(run.err, "Running upgrade t19 -> t20");
}

/* On a terminal (script(1) provides one): the status line. */
static void test_progress_on_a_tty(void)
{
    char url[IT_URL_SIZE], dir[512], cmd[4096], buf[16384];
    FILE *p;
    size_t n;

    if (system("command -v script >/dev/null 2>&1") != 0) {
        fprintf(stderr, "\nscript(1) not installed: tty progress not tested\n");
        return;
    }
    CU_ASSERT_FATAL(it_db_create("rt_tty", url, sizeof(url)) == 0);
    snprintf(cmd, sizeof(cmd), "script -qec \"%s --dir %s --url '%s' upgrade t03\" /dev/null",
             RUNNER_BIN, it_scenario("rt_trace20", dir, sizeof(dir)), url);
    p = popen(cmd, "r");
    CU_ASSERT_FATAL(p != NULL);
    n = fread(buf, 1, sizeof(buf) - 1, p);
    buf[n] = '\0';
    CU_ASSERT_EQUAL(pclose(p), 0);
    HAS(buf, "\r\033[K[1/3] running upgrade  -> t01, 2 left");
    HAS(buf, "\r\033[K[3/3] running upgrade t02 -> t03, 0 left");
    HAS(buf, "Running upgrade t02 -> t03");
    it_check_versions(url, "t03");
}

CU_TestInfo runtime_tests[] = {
    { "SIGTERM during a statement: rolled back, 143, rerun completes",
      test_sigterm_during_statement },
    { "SIGINT during plugin code: acted on at the next op, 130", test_sigint_during_plugin_code },
    { "a second signal exits at once, even during plugin code",
      test_second_signal_exits_at_once },
    { "--statement-timeout", test_statement_timeout },
    { "--statement-timeout: runner's own timer when the server's is off",
      test_statement_timeout_backstop },
    { "--connect-timeout against a server that never answers", test_connect_timeout },
    { "--lock-timeout with retries", test_lock_timeout_retries },
    { "ten runners at once: each revision once", test_ten_runners },
    { "up to date: nothing to do without the lock", test_nothing_to_do_without_lock },
    { "a waiter and CREATE INDEX CONCURRENTLY do not deadlock", test_waiter_and_concurrent_index },
    { "lock holder killed: the waiter proceeds", test_holder_killed },
    { "--lock-wait expiry", test_lock_wait_expiry },
    { "--lock-mode none", test_lock_mode_none },
    { "fan-out over twenty databases, one failing", test_fanout_twenty },
    { "fan-out interrupted: running ones roll back, no more start", test_fanout_interrupted },
    { "server restarted mid-run, then --wait", test_server_restart_and_wait },
    { "kill -9 of the runner", test_kill9_runner },
    { "non-tty output stays line-oriented", test_plain_output_not_tty },
    { "a terminal gets a status line", test_progress_on_a_tty },
    CU_TEST_INFO_NULL,
};
