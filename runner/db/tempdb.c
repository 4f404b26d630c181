/* tempdb.c -- disposable databases and clusters (see tempdb.h). */
#define _XOPEN_SOURCE 700
#include "tempdb.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg.h"
#include "sql_quote.h"
#include "strbuf.h"
#include "url.h"

#define TEMPDB_PORT "5432"      /* names the socket file only: nothing listens on TCP */

static int oom(struct err *e)
{
    return err_set(e, ERR_FAIL, "out of memory");
}

/* libpq conninfo value: 'text' with ' and \ escaped. */
static void add_conninfo_value(struct strbuf *sb, const char *v)
{
    strbuf_addch(sb, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '\'' || *p == '\\')
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '\'');
}

char *tempdb_url_with_dbname(const char *url, const char *dbname, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;
    PQconninfoOption *opts = NULL;
    char *norm = NULL, *perr = NULL, *out = NULL;

    if (url && *url) {
        norm = url_normalize(url, e);
        if (!norm)
            return NULL;
        opts = PQconninfoParse(norm, &perr);
        if (!opts) {
            err_set(e, ERR_USAGE, "invalid connection string: %s", perr ? perr : "out of memory");
            goto out;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++) {
            if (!o->val || strcmp(o->keyword, "dbname") == 0)
                continue;
            strbuf_addf(&sb, "%s=", o->keyword);
            add_conninfo_value(&sb, o->val);
            strbuf_addch(&sb, ' ');
        }
    }
    strbuf_adds(&sb, "dbname=");
    add_conninfo_value(&sb, dbname);
    out = strbuf_detach(&sb);
    if (!out)
        oom(e);
out:
    strbuf_release(&sb);
    PQconninfoFree(opts);
    PQfreemem(perr);
    free(norm);
    return out;
}

static int random_hex(char *buf, size_t n_bytes)
{
    unsigned char raw[16];

    if (n_bytes > sizeof(raw) || getrandom(raw, n_bytes, 0) != (ssize_t)n_bytes)
        return -1;
    for (size_t i = 0; i < n_bytes; i++)
        sprintf(buf + 2 * i, "%02x", raw[i]);
    return 0;
}

/* One statement on a fresh connection to the server. */
static int server_exec(uv_loop_t *loop, const char *url, const char *sql, struct err *e)
{
    struct pg db = PG_INIT;
    int ret = pg_open(&db, loop, url, e);

    if (ret == 0)
        ret = pg_exec(&db, sql, e);
    pg_close(&db);
    return ret;
}

int tempdb_create(struct tempdb *t, uv_loop_t *loop, const char *server_url, struct err *e)
{
    struct strbuf sql = STRBUF_INIT;
    char hex[13];
    char name[64];
    int ret = -1;

    if (random_hex(hex, 6) < 0)
        return err_set(e, ERR_FAIL, "cannot read random bytes: %s", strerror(errno));
    snprintf(name, sizeof(name), "runner_test_%s", hex);
    if (server_url && !(t->server_url = strdup(server_url)))
        return oom(e);
    t->url = tempdb_url_with_dbname(server_url, name, e);
    if (!t->url)
        return -1;
    strbuf_adds(&sql, "CREATE DATABASE ");
    sql_quote_ident(&sql, name);
    if (strbuf_failed(&sql)) {
        oom(e);
        goto out;
    }
    if (server_exec(loop, server_url, strbuf_str(&sql), e) < 0) {
        err_prefix(e, "cannot create the test database '%s'", name);
        goto out;
    }
    snprintf(t->name, sizeof(t->name), "%s", name);
    ret = 0;
out:
    strbuf_release(&sql);
    return ret;
}

int tempdb_drop(struct tempdb *t, uv_loop_t *loop, struct err *e)
{
    struct strbuf sql = STRBUF_INIT;
    int ret = 0;

    if (t->name[0]) {
        strbuf_adds(&sql, "DROP DATABASE IF EXISTS ");
        sql_quote_ident(&sql, t->name);
        /* PostgreSQL 13+: ends sessions still connected to it */
        strbuf_adds(&sql, " WITH (FORCE)");
        ret = strbuf_failed(&sql) ? oom(e) : server_exec(loop, t->server_url, strbuf_str(&sql), e);
        if (ret < 0)
            err_prefix(e, "cannot drop the test database '%s'", t->name);
        else
            t->name[0] = '\0';
    }
    strbuf_release(&sql);
    free(t->server_url);
    free(t->url);
    t->server_url = t->url = NULL;
    return ret;
}

void tempdb_drop_now(struct tempdb *t)
{
    struct strbuf sql = STRBUF_INIT;
    struct err ignored = ERR_INIT;
    char *conninfo;
    PGconn *conn;

    if (!t->name[0])
        return;
    /* as pg_open() reads it (postgresql+psycopg2://, ...) */
    conninfo = url_normalize(t->server_url, &ignored);
    if (!conninfo)
        return;
    strbuf_adds(&sql, "DROP DATABASE IF EXISTS ");
    sql_quote_ident(&sql, t->name);
    strbuf_adds(&sql, " WITH (FORCE)");
    conn = PQconnectdb(conninfo);
    free(conninfo);
    if (!strbuf_failed(&sql) && PQstatus(conn) == CONNECTION_OK) {
        PGresult *res = PQexec(conn, strbuf_str(&sql));

        if (PQresultStatus(res) == PGRES_COMMAND_OK)
            t->name[0] = '\0';
        PQclear(res);
    }
    PQfinish(conn);
    strbuf_release(&sql);
}

/* ---- a private cluster ---- */

static int find_bindir(char *out, size_t size)
{
    const char *env = getenv("PG_BINDIR");
    glob_t g;
    int found = 0;

    if (env && *env) {
        snprintf(out, size, "%s", env);
        return 0;
    }
    if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g) == 0) {
        long best = -1;

        for (size_t i = 0; i < g.gl_pathc; i++) {
            long v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
            char probe[512];

            snprintf(probe, sizeof(probe), "%s/initdb", g.gl_pathv[i]);
            if (v > best && access(probe, X_OK) == 0) {
                best = v;
                snprintf(out, size, "%s", g.gl_pathv[i]);
                found = 1;
            }
        }
        globfree(&g);
    }
    if (found)
        return 0;
    /* on PATH */
    for (const char *p = getenv("PATH"); p && *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char probe[512];

        snprintf(probe, sizeof(probe), "%.*s/pg_ctl", (int)len, p);
        if (len && access(probe, X_OK) == 0) {
            snprintf(out, size, "%.*s", (int)len, p);
            return 0;
        }
        p = colon ? colon + 1 : p + len;
    }
    return -1;
}

/* Run argv (as `as`, when not NULL) with output to `log_path`; wait for
 * it.  Returns its exit status, or -1. */
static int run_child(char *const *argv, const struct passwd *as, const char *log_path)
{
    pid_t pid;
    int st;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd;

        /* a terminal's ^C goes to the runner, which then stops us */
        setpgid(0, 0);
        if (as && (chdir("/") < 0 || setgid(as->pw_gid) < 0 || setuid(as->pw_uid) < 0))
            _exit(126);
        /* opened as the server's user, who writes to it later */
        fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int fail_with_log(struct tempdb_cluster *c, const char *what, struct err *e)
{
    char path[512], tail[400] = "";
    FILE *f;

    snprintf(path, sizeof(path), "%s/log", c->dir);
    f = fopen(path, "r");
    if (f) {
        char line[400];

        while (fgets(line, sizeof(line), f))
            snprintf(tail, sizeof(tail), "%s", line);
        fclose(f);
    }
    return err_set(e, ERR_FAIL, "cannot start a temporary cluster: %s failed%s%s", what,
                   *tail ? ": " : "", tail);
}

int tempdb_cluster_start(struct tempdb_cluster *c, struct err *e)
{
    const char *tmp = getenv("TMPDIR");
    const struct passwd *as = NULL;
    char data[300], logp[300], conf[340], initdb[300], pg_ctl[300];
    struct strbuf url = STRBUF_INIT;
    FILE *f;

    if (find_bindir(c->bindir, sizeof(c->bindir)) < 0)
        return err_set(e, ERR_FAIL, "no PostgreSQL server binaries (initdb, pg_ctl) found; "
                       "install postgresql or set PG_BINDIR");
    snprintf(c->dir, sizeof(c->dir), "%s/runner-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c->dir)) {
        int saved = errno;

        c->dir[0] = '\0';
        return err_set(e, ERR_FAIL, "cannot make a temporary directory: %s", strerror(saved));
    }
    if (geteuid() == 0) {
        as = getpwnam("postgres");
        if (!as)
            return err_set(e, ERR_FAIL, "cannot start a temporary cluster as root without a "
                           "'postgres' user (PostgreSQL refuses to run as root)");
        if (chown(c->dir, as->pw_uid, as->pw_gid) < 0)
            return err_set(e, ERR_FAIL, "cannot hand '%s' to user 'postgres': %s", c->dir,
                           strerror(errno));
    }
    snprintf(data, sizeof(data), "%s/data", c->dir);
    snprintf(logp, sizeof(logp), "%s/log", c->dir);
    snprintf(conf, sizeof(conf), "%s/postgresql.conf", data);
    snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
    snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", c->bindir);
    {
        char *argv[] = { initdb, "-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C",
                         "-A", "trust", "--no-sync", NULL };

        if (run_child(argv, as, logp) != 0)
            return fail_with_log(c, "initdb", e);
    }
    f = fopen(conf, "a");
    if (!f)
        return err_set(e, ERR_FAIL, "cannot write '%s': %s", conf, strerror(errno));
    fprintf(f, "\n# runner test: private, throwaway, socket only\n"
               "listen_addresses = ''\nunix_socket_directories = '%s'\nport = " TEMPDB_PORT "\n"
               "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n", c->dir);
    if (fclose(f) != 0)
        return err_set(e, ERR_FAIL, "cannot write '%s'", conf);
    {
        char *argv[] = { pg_ctl, "-D", data, "-l", logp, "-w", "-t", "60", "start", NULL };

        if (run_child(argv, as, logp) != 0)
            return fail_with_log(c, "pg_ctl start", e);
    }
    c->started = 1;
    strbuf_adds(&url, "host=");
    add_conninfo_value(&url, c->dir);
    strbuf_adds(&url, " port=" TEMPDB_PORT " user=postgres dbname=postgres");
    c->url = strbuf_detach(&url);
    return c->url ? 0 : oom(e);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void tempdb_cluster_stop(struct tempdb_cluster *c)
{
    if (c->started) {
        char data[300], logp[300], pg_ctl[300];
        const struct passwd *as = geteuid() == 0 ? getpwnam("postgres") : NULL;

        snprintf(data, sizeof(data), "%s/data", c->dir);
        snprintf(logp, sizeof(logp), "%s/stop.log", c->dir);
        snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", c->bindir);
        {
            char *argv[] = { pg_ctl, "-D", data, "-m", "immediate", "-w", "stop", NULL };

            run_child(argv, as, logp);
        }
        c->started = 0;
    }
    if (c->dir[0])
        nftw(c->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    c->dir[0] = '\0';
    free(c->url);
    c->url = NULL;
}
