/* test_pooler.c -- the migration lock through a real PgBouncer, started
 * by each test on a Unix socket in a directory of its own, in front of
 * the harness's private cluster: session mode refused behind transaction
 * pooling with the fix named (upgrade, stamp, repair), --lock-mode table
 * with ten concurrent runners, a holder killed with kill -9 and its lease
 * taken over after it expired, a lease lost while its holder runs,
 * release on SIGTERM, session pooling keeping the advisory lock, and
 * table mode's --lock-timeout holding per transaction.
 * Scenarios: pl_count10 (tests/plugins/pooler), rt_slow and rt_cslow
 * (tests/plugins/runtime). */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))
#define PGBOUNCER "/usr/sbin/pgbouncer"
#define BOUNCER_PORT 6432       /* only names the socket file in our own directory */

static struct it_run run;       /* big buffers: static, reused by each test in turn */

/* One PgBouncer.  A watchdog process owns it: it kills PgBouncer when
 * the pipe `alive` reaches end of file, which happens when the test stops
 * it and also when the test process dies, however it dies. */
struct bouncer {
    pid_t watchdog;
    int alive;                  /* write end; close-on-exec, so runners do not keep it */
    char dir[512];              /* config, socket, log */
};

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

#define PART_SIZE 512

/* host, port, user of $DATABASE_URL (PART_SIZE bytes each). */
static void server_of(char *host, char *port, char *user)
{
    PQconninfoOption *opts = PQconninfoParse(getenv("DATABASE_URL"), NULL);

    host[0] = port[0] = user[0] = '\0';
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            snprintf(host, PART_SIZE, "%s", o->val);
        else if (strcmp(o->keyword, "port") == 0)
            snprintf(port, PART_SIZE, "%s", o->val);
        else if (strcmp(o->keyword, "user") == 0)
            snprintf(user, PART_SIZE, "%s", o->val);
    }
    PQconninfoFree(opts);
}

/* A conninfo for database `db` through the bouncer. */
static void bouncer_url(const struct bouncer *b, const char *db, char *url, size_t size)
{
    char host[PART_SIZE], port[PART_SIZE], user[PART_SIZE];

    server_of(host, port, user);
    snprintf(url, size, "host=%s port=%d dbname=%s user=%s", b->dir, BOUNCER_PORT, db, user);
}

/* `extra`: more [pgbouncer] settings, one "key = value\n" each. */
static int bouncer_start_with(struct bouncer *b, const char *pool_mode, const char *extra)
{
    char host[PART_SIZE], port[PART_SIZE], user[PART_SIZE], path[700], text[4096];
    char url[IT_URL_SIZE];
    int fds[2];
    struct passwd *pw;
    double end;

    b->watchdog = -1;
    b->alive = -1;
    server_of(host, port, user);
    snprintf(b->dir, sizeof(b->dir), "%s/pgbouncer-%s-XXXXXX", it_tmpdir(), pool_mode);
    if (!mkdtemp(b->dir))
        return -1;
    chmod(b->dir, 0755);
    /* PgBouncer refuses to run as root: as root it runs as the cluster's user */
    pw = geteuid() == 0 ? getpwnam(user) : NULL;
    if (pw && chown(b->dir, pw->pw_uid, pw->pw_gid) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/users.txt", b->dir);
    snprintf(text, sizeof(text), "\"%s\" \"\"\n", user);
    if (write_file(path, text) < 0)
        return -1;
    snprintf(text, sizeof(text),
             "[databases]\n"
             "* = host=%s port=%s user=%s\n"
             "[pgbouncer]\n"
             "listen_addr =\n"
             "listen_port = %d\n"
             "unix_socket_dir = %s\n"
             "auth_type = trust\n"
             "auth_file = %s/users.txt\n"
             "pool_mode = %s\n"
             "default_pool_size = 40\n"
             "max_client_conn = 200\n"
             "logfile = %s/pgbouncer.log\n"
             "%s",
             host, port, user, BOUNCER_PORT, b->dir, b->dir, pool_mode, b->dir, extra);
    snprintf(path, sizeof(path), "%s/pgbouncer.ini", b->dir);
    if (write_file(path, text) < 0)
        return -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    fflush(NULL);
    b->watchdog = fork();
    if (b->watchdog == 0) {
        char ignored;
        pid_t pgb;

        close(fds[1]);
        pgb = fork();
        if (pgb == 0) {
            close(fds[0]);
            if (pw)
                execl(PGBOUNCER, PGBOUNCER, "-q", "-u", user, path, (char *)NULL);
            else
                execl(PGBOUNCER, PGBOUNCER, "-q", path, (char *)NULL);
            _exit(127);
        }
        while (read(fds[0], &ignored, 1) < 0 && errno == EINTR)
            ;
        if (pgb > 0) {
            kill(pgb, SIGTERM);     /* 1.18: immediate shutdown */
            waitpid(pgb, NULL, 0);
        }
        _exit(0);
    }
    close(fds[0]);
    b->alive = fds[1];
    if (b->watchdog < 0)
        return -1;
    /* ready when it answers through to the server */
    bouncer_url(b, "postgres", url, sizeof(url));
    end = it_now() + 15;
    while (it_now() < end) {
        char out[64];

        if (it_query(url, "SELECT 1", out, sizeof(out)) == 0)
            return 0;
        it_nap(0.05);
    }
    fprintf(stderr, "\npgbouncer did not start (see %s/pgbouncer.log)\n", b->dir);
    return -1;
}

static int bouncer_start(struct bouncer *b, const char *pool_mode)
{
    return bouncer_start_with(b, pool_mode, "");
}

static void bouncer_stop(struct bouncer *b)
{
    if (b->alive >= 0)
        close(b->alive);
    b->alive = -1;
    if (b->watchdog > 0)
        waitpid(b->watchdog, NULL, 0);
    b->watchdog = -1;
}

static int query_int(const char *url, const char *sql)
{
    char out[64];

    if (it_query(url, sql, out, sizeof(out)) < 0)
        return -1;
    return atoi(out);
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

/* A fresh database with what pl_count10 counts into. */
static int count_db(const char *name, char *url, size_t size)
{
    if (it_db_create(name, url, size) < 0)
        return -1;
    return it_exec(url, "CREATE SEQUENCE pl_calls; CREATE TABLE pl_trace (rev text NOT NULL)");
}

/* Ten runners at once through the bouncer; each revision applied once. */
static void ten_runners(const char *db, const char *bouncer_db_url, const char *direct,
                        const char *args, char *waited, size_t size)
{
    struct it_bg b[10];
    const char *urls[] = { bouncer_db_url, NULL };
    char tag[32], buf[8192];

    waited[0] = '\0';
    for (int i = 0; i < 10; i++) {
        snprintf(tag, sizeof(tag), "%s%d", db, i);
        it_spawn(&b[i], tag, "pl_count10", urls, NULL, args);
    }
    for (int i = 0; i < 10; i++) {
        int st = it_reap(&b[i], 120);

        CU_ASSERT_EQUAL(st, 0);
        it_slurp(b[i].err, buf, sizeof(buf));
        if (st != 0)
            fprintf(stderr, "\nrunner %d: %s\n", i, buf);
        if (!waited[0] && strstr(buf, "waiting for the migration lock"))
            snprintf(waited, size, "%s", buf);
    }
    it_check_versions(direct, "c10");
    /* each upgrade() ran once: nextval() is not undone by a rollback */
    CU_ASSERT_EQUAL(query_int(direct, "SELECT last_value FROM pl_calls"), 10);
    CU_ASSERT_EQUAL(query_int(direct, "SELECT count(*) FROM pl_trace"), 10);
    CU_ASSERT_EQUAL(query_int(direct, "SELECT count(DISTINCT rev) FROM pl_trace"), 10);
    CU_ASSERT_EQUAL(query_int(direct, "SELECT count(*) FROM runner_history WHERE direction = "
                                      "'upgrade' AND success"), 10);
    CU_ASSERT_EQUAL(query_int(direct, "SELECT count(*) FROM runner_history WHERE NOT success"),
                    0);
}

static void test_transaction_pooling_refuses_session_lock(void)
{
    struct bouncer b;
    char url[IT_URL_SIZE], via[IT_URL_SIZE];

    CU_ASSERT_FATAL(count_db("pl_refuse", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(bouncer_start(&b, "transaction") == 0);
    bouncer_url(&b, "pl_refuse", via, sizeof(via));
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via, "upgrade head"), 1);
    HAS(run.err, "migration lock on public.alembic_version: the connection is pooled per "
                 "transaction");
    HAS(run.err, "use --lock-mode table");
    /* refused before any revision ran */
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM pl_trace"), 0);
    CU_ASSERT_EQUAL(query_int(url, "SELECT CASE WHEN is_called THEN 1 ELSE 0 END FROM pl_calls"),
                    0);
    /* stamp and repair take the same lock: refused the same way, and they
     * take the fix too */
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via, "stamp c01"), 1);
    HAS(run.err, "use --lock-mode table");
    it_check_versions(url, "-");
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via, "stamp c01 --lock-mode table"), 0);
    it_check_versions(url, "c01");
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via, "repair"), 1);
    HAS(run.err, "use --lock-mode table");
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via, "repair --lock-mode table"), 0);
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_lock"), 0);
    CU_ASSERT_EQUAL(query_int(url, "SELECT CASE WHEN is_called THEN 1 ELSE 0 END FROM pl_calls"),
                    0);
    /* the same database directly: the session lock is fine */
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", url, "upgrade c02"), 0);
    it_check_versions(url, "c02");
    bouncer_stop(&b);
}

static void test_table_mode_ten_runners_transaction_pooling(void)
{
    struct bouncer b;
    char url[IT_URL_SIZE], via[IT_URL_SIZE], waited[8192];

    CU_ASSERT_FATAL(count_db("pl_ten", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(bouncer_start(&b, "transaction") == 0);
    bouncer_url(&b, "pl_ten", via, sizeof(via));
    ten_runners("pl_ten", via, url, "upgrade head --lock-mode table", waited, sizeof(waited));
    /* the waiters said who held the lease */
    HAS(waited, "waiting for the migration lock on public.alembic_version: held by pid ");
    HAS(waited, "(lease in public.runner_lock taken ");
    /* every lease was given back */
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_lock"), 0);
    /* nothing to do: no lease taken at all */
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via, "upgrade head --lock-mode table"), 0);
    HAS(run.err, "nothing to do");
    bouncer_stop(&b);
}

static void test_table_mode_killed_holder_taken_over_after_expiry(void)
{
    struct bouncer b;
    struct it_bg holder, waiter;
    const char *urls[2] = { NULL, NULL };
    char url[IT_URL_SIZE], via[IT_URL_SIZE], buf[8192], want[160];
    double killed, taken;

    CU_ASSERT_FATAL(it_db_create("pl_kill", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(bouncer_start(&b, "transaction") == 0);
    bouncer_url(&b, "pl_kill", via, sizeof(via));
    urls[0] = via;
    /* c2 sleeps in C inside its transaction: the server session is idle in
     * transaction, so it ends as soon as the holder's connection does */
    it_spawn(&holder, "plk_h", "rt_cslow", urls, "RT_CSLEEP=60",
             "upgrade head --lock-mode table --lock-lease 3");
    CU_ASSERT_FATAL(wait_file(holder.err, "Running upgrade  -> c1", 20) == 0);
    it_spawn(&waiter, "plk_w", "rt_cslow", urls, "RT_CSLEEP=0",
             "upgrade head --lock-mode table --lock-lease 3");
    CU_ASSERT(wait_file(waiter.err, "waiting for the migration lock", 20) == 0);
    /* the holder renews its lease while it runs: after two lease lengths
     * the waiter is still waiting */
    it_nap(6.5);
    CU_ASSERT_EQUAL(waitpid(waiter.pid, NULL, WNOHANG), 0);
    it_slurp(waiter.err, buf, sizeof(buf));
    snprintf(want, sizeof(want), "held by pid %d on host", (int)holder.pid);
    HAS(buf, want);
    HAS(buf, "expires in");
    CU_ASSERT_PTR_NULL(strstr(buf, "taking over"));
    kill(holder.pid, SIGKILL);
    killed = it_now();
    CU_ASSERT_EQUAL(it_reap(&holder, 10), 128 + SIGKILL);
    CU_ASSERT(wait_file(waiter.err, "taking over the migration lock", 30) == 0);
    taken = it_now();
    CU_ASSERT_EQUAL(it_reap(&waiter, 30), 0);
    /* not before the lease (3 s, renewed every second) had expired */
    CU_ASSERT(taken - killed >= 1.0);
    it_slurp(waiter.err, buf, sizeof(buf));
    snprintf(want, sizeof(want), "taking over the migration lock on public.alembic_version "
                                 "from pid %d on host", (int)holder.pid);
    HAS(buf, want);
    HAS(buf, "Running upgrade c1 -> c2");
    HAS(buf, "Running upgrade c2 -> c3");
    it_check_versions(url, "c3");
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_lock"), 0);
    bouncer_stop(&b);
}

/* The lease is taken from a live holder (as a waiter would after a
 * heartbeat failure): its next step's fence refuses to go on. */
static void test_table_mode_lost_lease_stops_the_holder(void)
{
    struct it_bg holder;
    const char *urls[2] = { NULL, NULL };
    char url[IT_URL_SIZE], buf[8192];

    CU_ASSERT_FATAL(it_db_create("pl_lost", url, sizeof(url)) == 0);
    urls[0] = url;
    it_spawn(&holder, "pll_h", "rt_slow", urls, "RT_SLEEP=2",
             "upgrade head --lock-mode table --lock-lease 30");
    CU_ASSERT_FATAL(wait_file(holder.err, "Running upgrade  -> s1", 20) == 0);
    CU_ASSERT(it_exec(url, "UPDATE runner_lock SET token = 'another runner'") == 0);
    CU_ASSERT_EQUAL(it_reap(&holder, 30), 1);
    it_slurp(holder.err, buf, sizeof(buf));
    HAS(buf, "revision s3");
    HAS(buf, "lost the migration lock on public.alembic_version: its lease in "
             "public.runner_lock was taken over by another runner");
    it_check_versions(url, "s2");
    /* the lease it lost is not deleted on exit: it is the other runner's */
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_lock"), 1);
}

static void test_table_mode_released_on_sigterm(void)
{
    struct it_bg holder;
    const char *urls[2] = { NULL, NULL };
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("pl_term", url, sizeof(url)) == 0);
    urls[0] = url;
    it_spawn(&holder, "plt_h", "rt_slow", urls, "RT_SLEEP=60", "upgrade head --lock-mode table");
    CU_ASSERT_FATAL(wait_file(holder.err, "Running upgrade  -> s1", 20) == 0);
    CU_ASSERT(it_wait_until(url, "SELECT count(*) = 1 FROM runner_lock", 10) == 0);
    it_nap(0.3);
    kill(holder.pid, SIGTERM);
    CU_ASSERT_EQUAL(it_reap(&holder, 20), 128 + SIGTERM);
    it_check_versions(url, "s1");
    CU_ASSERT_EQUAL(query_int(url, "SELECT count(*) FROM runner_lock"), 0);
    /* and the next run takes it at once */
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-mode table"), 0);
    it_check_versions(url, "s3");
}

static void test_session_pooling_keeps_advisory_lock(void)
{
    struct bouncer b;
    char url[IT_URL_SIZE], via[IT_URL_SIZE], waited[8192];

    CU_ASSERT_FATAL(count_db("pl_sess", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(bouncer_start(&b, "session") == 0);
    bouncer_url(&b, "pl_sess", via, sizeof(via));
    ten_runners("pl_sess", via, url, "upgrade head", waited, sizeof(waited));
    /* the session advisory lock, and no lease table */
    HAS(waited, "held by pid ");
    HAS(waited, "(application_name 'runner', connected ");
    CU_ASSERT_EQUAL(it_tables(url, "runner_lock"), 0);
    bouncer_stop(&b);
}

static void test_lock_mode_usage(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("pl_usage", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-mode bogus"), 2);
    HAS(run.err, "--lock-mode must be session, table or none, got 'bogus'");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "repair --lock-mode bogus"), 2);
    HAS(run.err, "--lock-mode must be session or table, got 'bogus'");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --lock-lease x"), 2);
    HAS(run.err, "--lock-lease needs a number of seconds");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "upgrade head --help"), 0);
    HAS(run.out, "--lock-mode session|table|none");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "stamp s1 --lock-mode none"), 2);
    HAS(run.err, "--lock-mode must be session or table, got 'none'");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "repair --help"), 0);
    HAS(run.out, "--lock-mode session|table");
    CU_ASSERT_EQUAL(it_runner(&run, "rt_slow", url, "stamp --help"), 0);
    HAS(run.out, "--lock-mode session|table");
}

/* A tenant's search_path is a session setting, which a pooler in
 * transaction mode does not keep: table mode (which works through such a
 * pooler) refuses a tenant there before anything runs, instead of running
 * its revisions in whatever schema the next server session has. */
static void test_tenant_refused_behind_transaction_pooling(void)
{
    struct bouncer b;
    char url[IT_URL_SIZE], via[IT_URL_SIZE], out[64];

    CU_ASSERT_FATAL(count_db("pl_tenant", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_exec(url, "CREATE SCHEMA t1") == 0);
    CU_ASSERT_FATAL(bouncer_start(&b, "transaction") == 0);
    bouncer_url(&b, "pl_tenant", via, sizeof(via));
    CU_ASSERT_EQUAL(it_runner(&run, "pl_count10", via,
                              "upgrade head --lock-mode table --schemas-from SELECT't1'"),
                    1);
    HAS(run.err, "schema 't1': the connection is pooled per transaction");
    HAS(run.err, "connect directly or through a session pool");
    /* nothing ran, in the tenant's schema or elsewhere */
    CU_ASSERT_EQUAL(it_query(url, "SELECT coalesce(to_regclass('t1.alembic_version')::text, '-') "
                                  "|| coalesce(to_regclass('public.alembic_version')::text, '-')",
                             out, sizeof(out)), 0);
    CU_ASSERT_STRING_EQUAL(out, "--");
    CU_ASSERT_EQUAL(query_int(url, "SELECT CASE WHEN is_called THEN 1 ELSE 0 END FROM pl_calls"),
                    0);
    bouncer_stop(&b);
}

/* Table mode's --lock-timeout is each transaction's SET LOCAL: a session
 * SET would land on one server session, which PgBouncer resets (here with
 * server_reset_query_always, so that it is certain) or hands to another
 * client, and k2 would wait for exec_k1's lock for ever. */
static void test_table_mode_lock_timeout_holds_behind_transaction_pooling(void)
{
    struct bouncer b;
    struct it_bg r;
    const char *urls[2] = { NULL, NULL };
    char url[IT_URL_SIZE], via[IT_URL_SIZE], buf[8192];
    PGconn *holder;
    PGresult *res;
    int st;

    CU_ASSERT_FATAL(it_db_create("pl_local", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_runner(&run, "locked", url, "upgrade k1") == 0);
    holder = PQconnectdb(url);
    res = PQexec(holder, "BEGIN; LOCK TABLE exec_k1 IN ACCESS SHARE MODE");
    CU_ASSERT_FATAL(PQresultStatus(res) == PGRES_COMMAND_OK);
    PQclear(res);
    CU_ASSERT_FATAL(bouncer_start_with(&b, "transaction", "server_reset_query_always = 1\n") == 0);
    bouncer_url(&b, "pl_local", via, sizeof(via));
    urls[0] = via;
    it_spawn(&r, "pl_local", "locked", urls, NULL,
             "upgrade head --lock-mode table --lock-timeout 1");
    st = it_reap(&r, 20);
    PQclear(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
    CU_ASSERT_EQUAL(st, 1);
    it_slurp(r.err, buf, sizeof(buf));
    HAS(buf, "runner: error: revision k2 (");
    HAS(buf, "(SQLSTATE 55P03)");
    it_check_versions(url, "k1");
    bouncer_stop(&b);
}

CU_TestInfo pooler_tests[] = {
    { "session lock refused behind transaction pooling", test_transaction_pooling_refuses_session_lock },
    { "table mode: ten runners through transaction pooling", test_table_mode_ten_runners_transaction_pooling },
    { "table mode: a killed holder's lease is taken over after it expires", test_table_mode_killed_holder_taken_over_after_expiry },
    { "table mode: a holder that lost its lease stops", test_table_mode_lost_lease_stops_the_holder },
    { "table mode: the lease is released on SIGTERM", test_table_mode_released_on_sigterm },
    { "session pooling keeps the advisory lock", test_session_pooling_keeps_advisory_lock },
    { "--lock-mode and --lock-lease usage", test_lock_mode_usage },
    { "a tenant is refused behind transaction pooling", test_tenant_refused_behind_transaction_pooling },
    { "table mode: --lock-timeout holds behind transaction pooling",
      test_table_mode_lock_timeout_holds_behind_transaction_pooling },
    CU_TEST_INFO_NULL,
};
