/* itest.c -- integration test helpers; see itest.h. */
#include "itest.h"

#include <CUnit/CUnit.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

const char *it_tmpdir(void)
{
    const char *t = getenv("RUNNER_TEST_TMP");

    return t && *t ? t : "/tmp";
}

/* key='value' with ' and \ escaped, appended to buf */
static void append_kv(char *buf, size_t size, const char *key, const char *val)
{
    size_t n = strlen(buf);

    n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s='", n ? " " : "", key);
    for (const char *p = val; *p && n + 3 < size; p++) {
        if (*p == '\'' || *p == '\\')
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    if (n + 2 <= size) {
        buf[n++] = '\'';
        buf[n] = '\0';
    }
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

int it_db_create(const char *name, char *url, size_t size)
{
    const char *base = getenv("DATABASE_URL");
    PQconninfoOption *opts = PQconninfoParse(base, NULL);
    PGconn *c;
    char sql[256];
    int ret = -1;

    url[0] = '\0';
    if (!opts)
        return -1;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
            append_kv(url, size, o->keyword, o->val);
    append_kv(url, size, "dbname", name);
    PQconninfoFree(opts);
    c = PQconnectdb(base);
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r;

        PQsetNoticeProcessor(c, quiet, NULL);
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
        PQclear(PQexec(c, sql));
        snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
        r = PQexec(c, sql);
        ret = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
        if (ret < 0)
            fprintf(stderr, "it_db_create: %s", PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return ret;
}

const char *it_scenario(const char *scenario, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", EXEC_PLUGINS, scenario);
    return buf;
}

void it_slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (!f)
        return;
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* The file behind fd, from its start, into buf (NUL-terminated). */
static void slurp_fd(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);

    buf[n > 0 ? n : 0] = '\0';
}

int it_run(struct it_run *r, const char *const *args, unsigned flags)
{
    char out_path[512], err_path[512];
    const char *argv[IT_RUN_MAX_ARGS + 2];
    int argc = 0, fo, fe, st;
    pid_t pid;

    r->status = -1;
    r->out[0] = r->err[0] = '\0';
    snprintf(out_path, sizeof(out_path), "%s/runner-out.XXXXXX", it_tmpdir());
    snprintf(err_path, sizeof(err_path), "%s/runner-err.XXXXXX", it_tmpdir());
    fo = mkstemp(out_path);
    fe = mkstemp(err_path);
    if (fo < 0 || fe < 0)
        goto out;
    argv[argc++] = RUNNER_BIN;
    for (size_t i = 0; args && args[i]; i++) {
        if (argc > IT_RUN_MAX_ARGS) {
            fprintf(stderr, "it_run: more than %d arguments\n", IT_RUN_MAX_ARGS);
            goto out;
        }
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        if (flags & IT_RUN_NO_DATABASE_URL)
            unsetenv("DATABASE_URL");
        execv(RUNNER_BIN, (char *const *)argv);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    slurp_fd(fo, r->out, sizeof(r->out));
    slurp_fd(fe, r->err, sizeof(r->err));
out:
    if (fo >= 0) {
        close(fo);
        unlink(out_path);
    }
    if (fe >= 0) {
        close(fe);
        unlink(err_path);
    }
    return r->status;
}

int it_runner(struct it_run *r, const char *scenario, const char *url, const char *args)
{
    char dir[512];
    char *copy = strdup(args ? args : "");
    const char *argv[IT_RUN_MAX_ARGS + 1];
    int argc = 0;

    r->status = -1;
    r->out[0] = r->err[0] = '\0';
    if (!copy)
        return -1;
    argv[argc++] = "--dir";
    argv[argc++] = it_scenario(scenario, dir, sizeof(dir));
    if (url) {
        argv[argc++] = "--url";
        argv[argc++] = url;
    }
    for (char *tok = strtok(copy, " "); tok && argc < IT_RUN_MAX_ARGS; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    it_run(r, argv, url ? 0 : IT_RUN_NO_DATABASE_URL);
    free(copy);
    return r->status;
}

int it_query(const char *url, const char *sql, char *out, size_t size)
{
    PGconn *c = PQconnectdb(url);
    PGresult *res = NULL;
    int ret = -1;
    size_t n = 0;

    out[0] = '\0';
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(out, size, "%s", PQerrorMessage(c));
        goto done;
    }
    res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(out, size, "%s", PQerrorMessage(c));
        goto done;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *v = PQgetisnull(res, i, 0) ? "NULL" : PQgetvalue(res, i, 0);
        int w = snprintf(out + n, size - n, "%s%s", i ? "," : "", v);

        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
    ret = 0;
done:
    PQclear(res);
    PQfinish(c);
    return ret;
}

int it_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *res = NULL;
    int ret = -1;

    if (PQstatus(c) == CONNECTION_OK) {
        res = PQexec(c, sql);
        ret = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK
                  ? 0 : -1;
    }
    if (ret < 0)
        fprintf(stderr, "it_exec: %s", PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
    return ret;
}

const char *it_versions(const char *url, char *buf, size_t size)
{
    char exists[16];

    it_query(url, "SELECT to_regclass('alembic_version') IS NOT NULL", exists, sizeof(exists));
    if (strcmp(exists, "t") != 0) {
        snprintf(buf, size, "-");
        return buf;
    }
    it_query(url, "SELECT version_num FROM alembic_version ORDER BY version_num", buf, size);
    return buf;
}

void it_check_versions(const char *url, const char *want)
{
    char got[512];

    it_versions(url, got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\nversion table: got '%s', want '%s'\n", got, want);
}

int it_tables(const char *url, const char *pattern)
{
    char sql[512], out[32];

    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%s'",
             pattern);
    if (it_query(url, sql, out, sizeof(out)) < 0)
        return -1;
    return atoi(out);
}

double it_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void it_nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

    nanosleep(&ts, NULL);
}

void it_spawn(struct it_bg *b, const char *tag, const char *scenario, const char *const *urls,
              const char *env, const char *args)
{
    char dir[512];
    char *copy = strdup(args);
    char *argv[64];
    int argc = 0;

    snprintf(b->out, sizeof(b->out), "%s/%s.out", it_tmpdir(), tag);
    snprintf(b->err, sizeof(b->err), "%s/%s.err", it_tmpdir(), tag);
    argv[argc++] = RUNNER_BIN;
    argv[argc++] = "--dir";
    argv[argc++] = (char *)it_scenario(scenario, dir, sizeof(dir));
    for (size_t i = 0; urls && urls[i] && argc < 40; i++) {
        argv[argc++] = "--url";
        argv[argc++] = (char *)urls[i];
    }
    for (char *t = strtok(copy, " "); t && argc < 62; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    fflush(NULL);
    b->pid = fork();
    if (b->pid == 0) {
        FILE *o = freopen(b->out, "w", stdout);
        FILE *e = freopen(b->err, "w", stderr);

        (void)o;
        (void)e;
        if (env)
            putenv((char *)env);
        execv(RUNNER_BIN, argv);
        _exit(127);
    }
    free(copy);
}

int it_reap(struct it_bg *b, double timeout_s)
{
    double end = it_now() + timeout_s;
    int st;

    for (;;) {
        pid_t r = waitpid(b->pid, &st, WNOHANG);

        if (r == b->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return -1;
        if (it_now() > end) {
            kill(b->pid, SIGKILL);
            waitpid(b->pid, &st, 0);
            fprintf(stderr, "\nrunner pid %d did not finish in %.0f s\n", (int)b->pid,
                    timeout_s);
            return -2;
        }
        it_nap(0.02);
    }
}

int it_wait_until(const char *url, const char *sql, double timeout_s)
{
    double end = it_now() + timeout_s;
    char out[64];

    while (it_now() < end) {
        if (it_query(url, sql, out, sizeof(out)) == 0 && strcmp(out, "t") == 0)
            return 0;
        it_nap(0.02);
    }
    return -1;
}

int it_conn_open(struct it_conn *c, const char *url, struct err *e)
{
    struct pg init = PG_INIT;

    c->db = init;
    uv_loop_init(&c->loop);
    return pg_open(&c->db, &c->loop, url, e);
}

void it_conn_close(struct it_conn *c)
{
    pg_close(&c->db);
    CU_ASSERT_EQUAL(uv_loop_close(&c->loop), 0);
}

int it_vsh_in(const char *dir, char **out, const char *fmt, va_list ap)
{
    struct strbuf cmd = STRBUF_INIT, text = STRBUF_INIT;
    char buf[8192];
    FILE *f;
    size_t n;
    int status;

    strbuf_addf(&cmd, "cd '%s' && (", dir);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    strbuf_adds(&cmd, buf);
    strbuf_adds(&cmd, ") 2>&1");
    f = popen(strbuf_str(&cmd), "r");
    strbuf_release(&cmd);
    if (!f)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&text, buf, n);
    status = pclose(f);
    if (out)
        *out = strbuf_detach(&text);
    else
        strbuf_release(&text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int it_sh_in(const char *dir, char **out, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = it_vsh_in(dir, out, fmt, ap);
    va_end(ap);
    return rc;
}
