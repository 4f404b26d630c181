/* test_read_json.c -- --json on every read command (current, heads,
 * branches, history, history --applied, show, check, validate) is valid
 * UTF-8 JSON even when a revision's message and its plugin's file name
 * hold bytes that are not UTF-8 (issue 11.6), and `check` on a database
 * that is not at head lists what differs (issue 11.6, alembic's "Target
 * database is not up to date.").  The project is written here: sources
 * built with `runner build`, a models plugin built with cc. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "itest.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

#define RJ_INCLUDE TEST_SOURCE_DIR "/../plugin-api/include"

struct rj {
    char dir[512];              /* the project */
    char plugins[600];          /* rj1..rj3: the heads are applied */
    char plugins4[600];         /* and rj4, which fails: not at head */
    char models[600];
    char url[IT_URL_SIZE];
};

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* One revision source: id, down (NULL: base), message, upgrade SQL. */
static int rev_source(const char *dir, const char *file, const char *id, const char *down,
                      const char *message_literal, const char *sql)
{
    char path[1200], text[2048];

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    snprintf(text, sizeof(text),
             "#include <runner/plugin.h>\n"
             "RUNNER_REVISION(.revision = \"%s\"%s%s%s, .message = %s,\n"
             "                .create_date = \"2026-12-01 10:00:00\");\n"
             "int upgrade(runner_op *op) { return op_execute(op, \"%s\"); }\n"
             "int downgrade(runner_op *op) { (void)op; return 0; }\n",
             id, down ? ", .down_revision = RUNNER_REVS(\"" : "", down ? down : "",
             down ? "\")" : "", message_literal, sql);
    return write_file(path, text);
}

/* Run the runner on the project: --dir dir --url url [--models m] args. */
static int rj_run(struct it_run *r, const struct rj *p, const char *dir, const char *const *args)
{
    const char *argv[IT_RUN_MAX_ARGS + 1];
    size_t n = 0;

    argv[n++] = "--dir";
    argv[n++] = dir;
    argv[n++] = "--url";
    argv[n++] = p->url;
    argv[n++] = "--models";
    argv[n++] = p->models;
    for (size_t i = 0; args[i] && n < IT_RUN_MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return it_run(r, argv, IT_RUN_NO_DATABASE_URL);
}

/* Is text valid JSON, and valid UTF-8?  python3 decodes strictly. */
static int json_valid(const char *text)
{
    char path[512], cmd[1200];

    snprintf(path, sizeof(path), "%s/read_json.json", it_tmpdir());
    if (write_file(path, text) < 0)
        return 0;
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding=\"utf-8\", "
             "errors=\"strict\"))' '%s'", path);
    return system(cmd) == 0;
}

/* The project: rj1 <- rj2 (message and file name not UTF-8), rj1 <- rj3
 * (creates the models' table), rj2 <- rj4 (fails; message not UTF-8).
 * The database: rj2 and rj3 applied, rj4's upgrade attempted. */
static int rj_setup(struct rj *p, const char *name)
{
    char src[700], src4[700], cmd[4096];
    struct it_run r;

    memset(p, 0, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "%s/%s", it_tmpdir(), name);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/src' '%s/src4'", p->dir, p->dir,
             p->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(src, sizeof(src), "%s/src", p->dir);
    snprintf(src4, sizeof(src4), "%s/src4", p->dir);
    snprintf(p->plugins, sizeof(p->plugins), "%s/plugins", p->dir);
    snprintf(p->plugins4, sizeof(p->plugins4), "%s/plugins4", p->dir);
    snprintf(p->models, sizeof(p->models), "%s/models.so", p->dir);
    if (rev_source(src, "rj1_plain.c", "rj1", NULL, "\"plain\"", "SELECT 1") < 0 ||
        rev_source(src, "rj2_bad\xff.c", "rj2", "rj1", "\"bad \\xff\\xfe bytes \\xc3(\"",
                   "SELECT 2") < 0 ||
        rev_source(src, "rj3_users.c", "rj3", "rj1", "\"users\"",
                   "CREATE TABLE rj_users (id integer PRIMARY KEY)") < 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "cp '%s'/*.c '%s'/", src, src4);
    if (system(cmd) != 0 ||
        rev_source(src4, "rj4_fails.c", "rj4", "rj2", "\"fails \\xe2\\x82\"",
                   "SELECT 1/0") < 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "%s/models.c", p->dir);
    if (write_file(cmd, "#include <runner/model.h>\n"
                        "RUNNER_MODEL(user, .table = \"rj_users\", .columns = "
                        "RUNNER_MODEL_COLUMNS({ .name = \"id\", .type = RUNNER_T_INTEGER, "
                        ".primary_key = 1 }));\n"
                        "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n") < 0)
        return -1;
    snprintf(cmd, sizeof(cmd),
             "cc -std=c11 -shared -fPIC -I '%s' '%s/models.c' -o '%s' && "
             "'%s' --sources '%s/src' --dir '%s' build -q && "
             "'%s' --sources '%s/src4' --dir '%s' build -q",
             RJ_INCLUDE, p->dir, p->models, RUNNER_BIN, p->dir, p->plugins, RUNNER_BIN, p->dir,
             p->plugins4);
    if (system(cmd) != 0)
        return -1;
    if (it_db_create(name, p->url, sizeof(p->url)) < 0)
        return -1;
    if (rj_run(&r, p, p->plugins, (const char *const[]){ "upgrade", "heads", NULL }) != 0) {
        fprintf(stderr, "\nupgrade heads: %s%s\n", r.out, r.err);
        return -1;
    }
    if (rj_run(&r, p, p->plugins4, (const char *const[]){ "upgrade", "rj4", NULL }) != 1) {
        fprintf(stderr, "\nupgrade rj4 should fail: %s%s\n", r.out, r.err);
        return -1;
    }
    return 0;
}

static void rj_teardown(struct rj *p)
{
    char cmd[1200];

    if (p->dir[0] && !getenv("RUNNER_TEST_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", p->dir);
    }
}

static void test_read_json_is_valid_utf8_on_every_read_command(void)
{
    /* dir 0: plugins (at head), 1: plugins4 (not at head) */
    static const struct {
        int dir;
        int status;
        const char *args[4];
    } cmds[] = {
        { 0, 0, { "current", "--json" } },
        { 1, 0, { "heads", "--json" } },
        { 1, 0, { "branches", "--json" } },
        { 1, 0, { "history", "--json" } },
        { 1, 0, { "history", "--indicate-current", "--json" } },
        { 1, 0, { "history", "--applied", "--json" } },
        { 1, 0, { "show", "heads", "--json" } },
        { 1, 0, { "show", "rj2", "--json" } },
        { 0, 0, { "check", "--json" } },
        { 1, 1, { "check", "--json" } },
        { 1, 0, { "validate", "--json" } },
        { 1, 0, { "validate", "--verbose", "--json" } },
    };
    struct rj p;
    struct it_run r;

    if (rj_setup(&p, "read_json") < 0) {
        CU_FAIL("cannot set up the project");
        rj_teardown(&p);
        return;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        rj_run(&r, &p, cmds[i].dir ? p.plugins4 : p.plugins, cmds[i].args);
        if (r.status != cmds[i].status || !json_valid(r.out)) {
            fprintf(stderr, "\n%s %s (%s): exit %d, not JSON or not UTF-8:\n%s\n%s\n",
                    cmds[i].args[0], cmds[i].args[1], cmds[i].dir ? "plugins4" : "plugins",
                    r.status, r.out, r.err);
            CU_FAIL("not valid UTF-8 JSON");
        }
    }
    /* the bytes that are not UTF-8 became U+FFFD; the rest is kept */
    rj_run(&r, &p, p.plugins4, (const char *const[]){ "show", "rj2", "--json", NULL });
    HAS(r.out, "\"message\":\"bad \\ufffd\\ufffd bytes \\ufffd(\"");
    HAS(r.out, "rj2_bad\\ufffd.so\"");
    rj_run(&r, &p, p.plugins, (const char *const[]){ "check", "--json", NULL });
    HAS(r.out, "\"up_to_date\":true");
    HAS(r.out, "\"operations\":[]");
    rj_run(&r, &p, p.plugins4, (const char *const[]){ "validate", "--json", NULL });
    HAS(r.out, "{\"revision\":\"rj1\",\"state\":\"ok\"");
    HAS(r.out, "\"applied\":3,\"ok\":3,\"edited\":0,\"missing\":0");
    rj_teardown(&p);
}

/* alembic refuses to compare a database behind its revisions: runner says
 * which revisions are not applied and which rows it cannot place. */
static void test_read_json_check_not_at_head_lists_what_differs(void)
{
    struct rj p;
    struct it_run r;

    if (rj_setup(&p, "read_json_behind") < 0) {
        CU_FAIL("cannot set up the project");
        rj_teardown(&p);
        return;
    }
    rj_run(&r, &p, p.plugins4, (const char *const[]){ "check", NULL });
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.out, "not applied: revision rj4 (");
    HAS(r.out, "rj4_fails.so): fails ");
    HAS(r.err, "runner: error: Target database is not up to date.\n");
    HAS(r.err, "HINT:  check compares the models with the schema at head: run 'runner "
               "upgrade heads' first\n");
    CU_ASSERT_PTR_NULL(strstr(r.out, "rj2"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "Detected"));

    rj_run(&r, &p, p.plugins4, (const char *const[]){ "check", "--json", NULL });
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.out, "{\"up_to_date\":false,\"not_applied\":[{\"revision\":\"rj4\"");
    HAS(r.out, "\"unknown\":[],\"operations\":[]}");

    /* a row no plugin has: listed, and the hint says what to do */
    CU_ASSERT_EQUAL_FATAL(it_exec(p.url, "INSERT INTO alembic_version VALUES ('zz99')"), 0);
    rj_run(&r, &p, p.plugins4, (const char *const[]){ "check", NULL });
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.out, "unknown: revision zz99: in the version table, but no plugin in the "
               "directory has it\n");
    HAS(r.out, "not applied: revision rj4 (");
    HAS(r.err, "HINT:  the version table names revisions that no plugin");
    rj_run(&r, &p, p.plugins4, (const char *const[]){ "check", "--json", NULL });
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.out, "\"unknown\":[\"zz99\"]");
    CU_ASSERT(json_valid(r.out));
    rj_teardown(&p);
}

CU_TestInfo read_json_tests[] = {
    { "--json is valid UTF-8 JSON on every read command",
      test_read_json_is_valid_utf8_on_every_read_command },
    { "check not at head lists what differs", test_read_json_check_not_at_head_lists_what_differs },
    CU_TEST_INFO_NULL,
};
