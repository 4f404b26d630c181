/* itest.c -- integration test helpers; see itest.h. */
#include "itest.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

int it_runner(struct it_run *r, const char *scenario, const char *url, const char *args)
{
    char out_path[512], err_path[512], dir[512];
    char *copy = strdup(args ? args : "");
    char *argv[64];
    int argc = 0;
    pid_t pid;
    int st;

    snprintf(out_path, sizeof(out_path), "%s/runner-out.XXXXXX", it_tmpdir());
    snprintf(err_path, sizeof(err_path), "%s/runner-err.XXXXXX", it_tmpdir());
    int fo = mkstemp(out_path);
    int fe = mkstemp(err_path);

    r->status = -1;
    r->out[0] = r->err[0] = '\0';
    if (fo < 0 || fe < 0 || !copy)
        goto out;
    argv[argc++] = RUNNER_BIN;
    argv[argc++] = "--dir";
    argv[argc++] = (char *)it_scenario(scenario, dir, sizeof(dir));
    if (url) {
        argv[argc++] = "--url";
        argv[argc++] = (char *)url;
    }
    for (char *tok = strtok(copy, " "); tok && argc < 62; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        if (!url)
            unsetenv("DATABASE_URL");
        execv(RUNNER_BIN, argv);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    it_slurp(out_path, r->out, sizeof(r->out));
    it_slurp(err_path, r->err, sizeof(r->err));
out:
    if (fo >= 0) {
        close(fo);
        unlink(out_path);
    }
    if (fe >= 0) {
        close(fe);
        unlink(err_path);
    }
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
