/* itest.h -- helpers shared by the integration suites: a fresh database
 * per test on the cluster of $DATABASE_URL, running the real `runner`
 * binary, and checking the database with plain libpq. */
#ifndef RUNNER_ITEST_H
#define RUNNER_ITEST_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "pg.h"

#define IT_URL_SIZE 1024
#define IT_OUT_SIZE 65536

/* Output of one runner run; both NUL-terminated (truncated if longer). */
struct it_run {
    int status;                 /* exit status, or -1 when it did not exit */
    char out[IT_OUT_SIZE];      /* stdout */
    char err[IT_OUT_SIZE];      /* stderr */
};

/* (Re)create database `name` and write a conninfo string for it to url. */
int it_db_create(const char *name, char *url, size_t size);

/* Directory of a test plugin scenario (tests/plugins/exec/<scenario>). */
const char *it_scenario(const char *scenario, char *buf, size_t size);

/* The one way the suites run the real binary: RUNNER_BIN args... (args
 * NULL-terminated, at most IT_RUN_MAX_ARGS, passed as they are: blanks,
 * quotes and newlines included), stdout and stderr captured into *r.
 * IT_RUN_NO_DATABASE_URL: the child runs with DATABASE_URL unset.
 * Returns r->status: the exit status, -1 when it did not exit. */
#define IT_RUN_MAX_ARGS 78
#define IT_RUN_NO_DATABASE_URL 0x1u
int it_run(struct it_run *r, const char *const *args, unsigned flags);

/* Run RUNNER_BIN --dir <scenario dir> --url <url> <args> (args is split on
 * spaces; no quoting).  url may be NULL (no --url, DATABASE_URL unset). */
int it_runner(struct it_run *r, const char *scenario, const char *url, const char *args);

/* First column of every row, joined with ',' (NULL: "NULL"); rows ordered
 * as the query orders them.  Returns 0, or -1 with the error in out. */
int it_query(const char *url, const char *sql, char *out, size_t size);

/* Run a script (simple query protocol); 0 or -1 (error printed). */
int it_exec(const char *url, const char *sql);

/* "b2,c3": the version table's rows, sorted; "-" when it does not exist. */
const char *it_versions(const char *url, char *buf, size_t size);

/* A CUnit assertion that the version table holds `want` (as it_versions()
 * writes it); prints both on a mismatch. */
void it_check_versions(const char *url, const char *want);

/* Number of tables named like `pattern` (LIKE) in schema public. */
int it_tables(const char *url, const char *pattern);

/* A scratch directory for this run (RUNNER_TEST_TMP or /tmp). */
/* A shell command run in `dir` (`cd dir && (cmd) 2>&1`), its output into
 * *out (caller frees; may be NULL); the exit status, or -1. */
int it_sh_in(const char *dir, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int it_vsh_in(const char *dir, char **out, const char *fmt, va_list ap);

const char *it_tmpdir(void);

/* The first size - 1 bytes of the file at path into buf ("" when unreadable). */
void it_slurp(const char *path, char *buf, size_t size);

/* A runner started in the background: its pid and where its stdout and
 * stderr go (it_tmpdir()/<tag>.out, .err). */
struct it_bg {
    pid_t pid;
    char out[512];
    char err[512];
};

/* Monotonic seconds, and a sleep of s seconds. */
double it_now(void);
void it_nap(double s);

/* RUNNER_BIN --dir <scenario> [--url url]... <args> in the background,
 * `env` ("NAME=value" or NULL) added to its environment.  urls:
 * NULL-terminated (NULL: no --url). */
void it_spawn(struct it_bg *b, const char *tag, const char *scenario, const char *const *urls,
              const char *env, const char *args);

/* Exit status (128 + n when killed by signal n); -2 after timeout_s (the
 * process is then killed), -1 when waitpid fails. */
int it_reap(struct it_bg *b, double timeout_s);

/* Wait until `sql` (one boolean) is true on url; 0, or -1 after timeout_s. */
int it_wait_until(const char *url, const char *sql, double timeout_s);

/* A connection of the test's own on a loop of its own. */
struct it_conn {
    uv_loop_t loop;
    struct pg db;
};

/* Open c->db on a new loop; close with it_conn_close() either way. */
int it_conn_open(struct it_conn *c, const char *url, struct err *e);
/* Close the connection and assert that its loop closes cleanly (every
 * handle closed). */
void it_conn_close(struct it_conn *c);

#endif
