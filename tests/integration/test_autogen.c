/* test_autogen.c -- `revision --autogenerate`, `check` and the round trip,
 * end to end with the real runner binary, the real compiler and a real
 * PostgreSQL.
 *
 * Exports CU_TestInfo autogen_tests[] for the integration harness.  The
 * database: $RUNNER_TEST_URL, else $DATABASE_URL, else libpq's PG*
 * environment; each test creates a database of its own and drops it.
 * Each step of a test declares a models plugin (C source, compiled with
 * cc against plugin-api/include), autogenerates a revision, compiles it,
 * upgrades, checks that `runner check` is clean, downgrades and compares
 * the catalog with the snapshot taken before the upgrade, then upgrades
 * again for the next step. */
#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "itest.h"
#include "pg.h"
#include "strbuf.h"

#ifndef RUNNER_BIN
#define RUNNER_BIN "runner"
#endif
#ifndef RUNNER_PLUGIN_INCLUDE_BUILD
#define RUNNER_PLUGIN_INCLUDE_BUILD "plugin-api/include"
#endif

struct project {
    char dir[64];               /* temporary project directory */
    char db[64];                /* this test's database */
    char *url;                  /* URL of that database, owned */
    int step;                   /* models_<step>.so */
    uv_loop_t loop;
    struct pg admin;            /* connection to the harness's database */
    int ok;                     /* set up */
};

static const char *base_url(void)
{
    const char *url = getenv("RUNNER_TEST_URL");

    return url ? url : getenv("DATABASE_URL");
}

static const char *runner_bin(void)
{
    const char *bin = getenv("RUNNER_BIN");

    return bin && *bin ? bin : RUNNER_BIN;
}

/* The base URL with dbname replaced: a URI gets ?dbname=, a conninfo
 * (or libpq's environment) gets dbname=. */
static char *url_for(const char *db)
{
    const char *base = base_url();
    struct strbuf sb = STRBUF_INIT;

    if (base && strstr(base, "://"))
        strbuf_addf(&sb, "%s%cdbname=%s", base, strchr(base, '?') ? '&' : '?', db);
    else
        strbuf_addf(&sb, "%s%sdbname=%s", base ? base : "", base && *base ? " " : "", db);
    return strbuf_detach(&sb);
}

/* Run a shell command in the project, output into *out (caller frees);
 * returns the exit status, or -1. */
static int run(const struct project *p, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run(const struct project *p, char **out, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = it_vsh_in(p->dir, out, fmt, ap);
    va_end(ap);
    return rc;
}

/* runner with the project's options; URL through the environment so that
 * it never shows on a command line. */
static int runner(const struct project *p, char **out, const char *args)
{
    const char *was = getenv("DATABASE_URL");
    char *saved = was ? strdup(was) : NULL;
    int rc;

    setenv("DATABASE_URL", p->url, 1);
    rc = run(p, out, "'%s' --dir plugins --sources revisions --models models_%d.so %s",
             runner_bin(), p->step, args);
    if (saved)
        setenv("DATABASE_URL", saved, 1);   /* the harness's, for the next test */
    else
        unsetenv("DATABASE_URL");
    free(saved);
    return rc;
}

static int project_open(struct project *p, const char *tag)
{
    struct strbuf sql = STRBUF_INIT;
    struct err e = ERR_INIT;
    char *out = NULL;

    memset(p, 0, sizeof(*p));
    p->admin = (struct pg)PG_INIT;
    snprintf(p->dir, sizeof(p->dir), "/tmp/runner-autogen-XXXXXX");
    snprintf(p->db, sizeof(p->db), "autogen_%s_%ld", tag, (long)getpid());
    if (!mkdtemp(p->dir) || uv_loop_init(&p->loop) != 0)
        return -1;
    if (pg_open(&p->admin, &p->loop, base_url(), &e) < 0) {
        fprintf(stderr, "\ntest_autogen: cannot connect: %s\n", e.msg);
        return -1;
    }
    strbuf_addf(&sql, "DROP DATABASE IF EXISTS %s", p->db);
    if (pg_exec(&p->admin, strbuf_str(&sql), &e) < 0)
        goto fail;
    strbuf_reset(&sql);
    strbuf_addf(&sql, "CREATE DATABASE %s", p->db);
    if (pg_exec(&p->admin, strbuf_str(&sql), &e) < 0)
        goto fail;
    strbuf_release(&sql);
    p->url = url_for(p->db);
    if (run(p, &out, "mkdir revisions plugins") != 0) {
        free(out);
        return -1;
    }
    free(out);
    p->ok = 1;
    return 0;
fail:
    fprintf(stderr, "\ntest_autogen: %s\n", e.msg);
    strbuf_release(&sql);
    return -1;
}

static void project_close(struct project *p)
{
    struct strbuf sql = STRBUF_INIT;
    struct err e = ERR_INIT;

    if (p->admin.conn) {
        strbuf_addf(&sql, "DROP DATABASE IF EXISTS %s", p->db);
        pg_exec(&p->admin, strbuf_str(&sql), &e);
        strbuf_release(&sql);
    }
    pg_close(&p->admin);
    uv_loop_close(&p->loop);
    /* RUNNER_TEST_KEEP=1 keeps the project directory to look at */
    if (p->dir[0] && strncmp(p->dir, "/tmp/runner-autogen-", 20) == 0 && !getenv("RUNNER_TEST_KEEP"))
        run(p, NULL, "rm -rf '%s'", p->dir);
    free(p->url);
}

/* Compile the models of the next step (one C source) into models_<n>.so. */
static int models(struct project *p, const char *source)
{
    char path[128];
    char *out = NULL;
    FILE *f;
    int rc;

    p->step++;
    snprintf(path, sizeof(path), "%s/models_%d.c", p->dir, p->step);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "#include <runner/model.h>\n\n%s", source);
    fclose(f);
    rc = run(p, &out, "cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I '%s' models_%d.c "
             "-o models_%d.so", RUNNER_PLUGIN_INCLUDE_BUILD, p->step, p->step);
    if (rc != 0)
        fprintf(stderr, "\nmodels_%d.c does not compile:\n%s\n", p->step, out);
    free(out);
    return rc;
}

/* Everything of the public schema the runner may touch, one sorted line
 * per column, index, constraint and sequence. */
static char *snapshot(const struct project *p)
{
    static const char sql[] =
        "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line COLLATE \"C\"), '') FROM ("
        " SELECT 'column ' || c.relname || '.' || a.attname || ' '"
        "  || format_type(a.atttypid, a.atttypmod)"
        "  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
        "  || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')"
        "  || CASE a.attidentity WHEN 'a' THEN ' identity always'"
        "   WHEN 'd' THEN ' identity by default' ELSE '' END"
        "  || coalesce(' comment ' || col_description(c.oid, a.attnum), '') AS line"
        " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
        "  AND NOT a.attisdropped"
        " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
        "  AND c.relname NOT IN ('alembic_version', 'runner_history')"
        " UNION ALL"
        " SELECT 'index ' || pg_get_indexdef(i.indexrelid)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
        " WHERE c.relnamespace = 'public'::regnamespace"
        "  AND c.relname NOT IN ('alembic_version', 'runner_history')"
        " UNION ALL"
        " SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)"
        " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " WHERE c.relnamespace = 'public'::regnamespace"
        "  AND c.relname NOT IN ('alembic_version', 'runner_history')"
        " UNION ALL"
        " SELECT 'table ' || relname || coalesce(' comment ' || obj_description(oid, 'pg_class'), '')"
        " FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
        "  AND relname NOT IN ('alembic_version', 'runner_history')"
        " UNION ALL"
        " SELECT 'enum ' || t.typname || ' ' || e.enumlabel FROM pg_type t"
        " JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = 'public'::regnamespace"
        " UNION ALL"
        " SELECT 'sequence ' || relname FROM pg_class"
        " WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
        "  AND relname <> 'runner_history_id_seq') s";
    uv_loop_t loop;
    struct pg db = PG_INIT;
    struct pg_rows rows = PG_ROWS_INIT;
    struct err e = ERR_INIT;
    char *out = NULL;

    if (uv_loop_init(&loop) != 0)
        return NULL;
    if (pg_open(&db, &loop, p->url, &e) == 0 &&
        pg_query(&db, sql, 0, NULL, &rows, NULL, &e) == 0 && rows.n_rows == 1)
        out = strdup(pg_rows_get(&rows, 0, 0));
    else
        fprintf(stderr, "\ntest_autogen: snapshot: %s\n", e.msg);
    pg_rows_release(&rows);
    pg_close(&db);
    uv_loop_close(&loop);
    return out;
}

/* Run a script on the project's database; 0 or -1 (error printed). */
static int sql(const struct project *p, const char *script)
{
    uv_loop_t loop;
    struct pg db = PG_INIT;
    struct err e = ERR_INIT;
    int ret = -1;

    if (uv_loop_init(&loop) != 0)
        return -1;
    if (pg_open(&db, &loop, p->url, &e) == 0 && pg_exec(&db, script, &e) == 0)
        ret = 0;
    else
        fprintf(stderr, "\ntest_autogen: %s\n", e.msg);
    pg_close(&db);
    uv_loop_close(&loop);
    return ret;
}

/* Compile every revision source that has no plugin yet. */
static int compile_revisions(struct project *p)
{
    char *out = NULL;
    int rc;

    rc = run(p, &out,
             "for f in revisions/*.c; do n=$(basename \"$f\" .c); "
             "[ -e plugins/$n.so ] || cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I '%s' "
             "\"$f\" -o plugins/$n.so || exit 1; done", RUNNER_PLUGIN_INCLUDE_BUILD);
    if (rc != 0)
        fprintf(stderr, "\ngenerated revision does not compile:\n%s\n", out);
    free(out);
    return rc;
}

/* One step of the matrix.  `detected`, when not NULL, must be exactly the
 * "Detected ..." lines of the autogenerate. */
static void step(struct project *p, const char *source, const char *message,
                 const char *detected)
{
    char *out = NULL, *before = NULL, *after = NULL;
    char args[256];
    int rc;

    CU_ASSERT_EQUAL_FATAL(models(p, source), 0);
    before = snapshot(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);

    snprintf(args, sizeof(args), "revision --autogenerate -m '%s'", message);
    rc = runner(p, &out, args);
    if (rc != 0)
        fprintf(stderr, "\n%s: %s\n", args, out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    if (detected) {
        const char *gen = strstr(out, "Generating ");

        CU_ASSERT_PTR_NOT_NULL_FATAL(gen);
        if ((size_t)(gen - out) != strlen(detected) || strncmp(out, detected, strlen(detected)))
            fprintf(stderr, "\nstep %d detected:\n%.*s\nwanted:\n%s\n", p->step,
                    (int)(gen - out), out, detected);
        CU_ASSERT_EQUAL((size_t)(gen - out), strlen(detected));
        CU_ASSERT_EQUAL(strncmp(out, detected, strlen(detected)), 0);
    }
    free(out);
    CU_ASSERT_EQUAL_FATAL(compile_revisions(p), 0);

    rc = runner(p, &out, "upgrade head");
    if (rc != 0)
        fprintf(stderr, "\nstep %d upgrade: %s\n", p->step, out);
    free(out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);

    rc = runner(p, &out, "check");
    if (rc != 0)
        fprintf(stderr, "\nstep %d check after upgrade:\n%s\n", p->step, out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(out, "No new upgrade operations detected.\n");
    free(out);

    rc = runner(p, &out, "downgrade -1");
    if (rc != 0)
        fprintf(stderr, "\nstep %d downgrade: %s\n", p->step, out);
    free(out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    after = snapshot(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(after);
    if (strcmp(before, after) != 0)
        fprintf(stderr, "\nstep %d: catalog after downgrade:\n%s\nbefore upgrade:\n%s\n",
                p->step, after, before);
    CU_ASSERT_STRING_EQUAL(after, before);

    /* and forward again, for the next step */
    rc = runner(p, &out, "upgrade head");
    free(out);
    CU_ASSERT_EQUAL(rc, 0);
    free(before);
    free(after);
}

#define GUIDE_USER                                                                   \
    "RUNNER_MODEL(user,\n"                                                           \
    "    .table = \"users\",\n"                                                      \
    "    .columns = RUNNER_MODEL_COLUMNS(\n"                                         \
    "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },\n" \
    "        { .name = \"email\", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },\n"    \
    "        { .name = \"name\", .type = RUNNER_T_STRING },\n"                          \
    "        { .name = \"created_at\", .type = RUNNER_T_DATETIME, .server_default = \"now()\" }));\n"

/* The guide: the User model on an empty database creates what Alembic 1.8
 * creates for the same SQLAlchemy model (its catalog, as Alembic left it,
 * is written out below), check is then clean, downgrade empties it. */
static void test_guide_user_round_trip(void)
{
    struct project p;
    char *out = NULL, *snap;

    if (project_open(&p, "guide") < 0) {
        CU_FAIL("cannot set up the project");
        project_close(&p);
        return;
    }
    step(&p, GUIDE_USER "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n", "Add users table",
         "Detected added table 'users'\n"
         "Detected added index 'ix_users_email' on '['email']'\n"
         "Detected added index 'ix_users_id' on '['id']'\n");
    snap = snapshot(&p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
    /* alembic revision --autogenerate + upgrade head on the same model */
    CU_ASSERT_STRING_EQUAL(snap,
        "column users.created_at timestamp without time zone default now()\n"
        "column users.email character varying\n"
        "column users.id integer not null default nextval('users_id_seq'::regclass)\n"
        "column users.name character varying\n"
        "constraint users users_pkey PRIMARY KEY (id)\n"
        "index CREATE INDEX ix_users_id ON public.users USING btree (id)\n"
        "index CREATE UNIQUE INDEX ix_users_email ON public.users USING btree (email)\n"
        "index CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)\n"
        "sequence users_id_seq\n"
        "table users");
    free(snap);

    /* nothing changed: "No changes detected", no file */
    CU_ASSERT_EQUAL(runner(&p, &out, "revision --autogenerate -m 'nothing'"), 0);
    CU_ASSERT_STRING_EQUAL(out, "No changes detected\n");
    free(out);
    CU_ASSERT_EQUAL(run(&p, &out, "ls revisions | wc -l"), 0);
    CU_ASSERT_STRING_EQUAL(out, "1\n");
    free(out);
    /* --allow-empty writes the empty revision anyway, on the head */
    CU_ASSERT_EQUAL(runner(&p, &out, "revision --autogenerate --allow-empty -m 'nothing'"), 0);
    free(out);
    CU_ASSERT_EQUAL(run(&p, &out, "ls revisions | wc -l"), 0);
    CU_ASSERT_STRING_EQUAL(out, "2\n");
    free(out);
    CU_ASSERT_EQUAL(run(&p, &out, "grep -l 'nothing' revisions/*.c | wc -l"), 0);
    CU_ASSERT_STRING_EQUAL(out, "1\n");
    free(out);
    project_close(&p);
}

/* check exits 1 and lists the differences. */
static void test_check_lists_differences_and_fails(void)
{
    struct project p;
    char *out = NULL;

    if (project_open(&p, "check") < 0) {
        CU_FAIL("cannot set up the project");
        project_close(&p);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(models(&p, GUIDE_USER "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n"), 0);
    CU_ASSERT_EQUAL(runner(&p, &out, "check"), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Detected added table 'users'\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "New upgrade operations detected"));
    free(out);

    /* a revision not applied yet: alembic refuses to compare */
    CU_ASSERT_EQUAL(runner(&p, &out, "revision --autogenerate -m 'users'"), 0);
    free(out);
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL(runner(&p, &out, "check"), 1);
    /* check lists what differs (issue 11.6); test_read_json.c has the rest */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "not applied: revision "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "runner: error: Target database is not up to date.\n"));
    CU_ASSERT_PTR_NULL(strstr(out, "Detected"));
    free(out);
    CU_ASSERT_EQUAL(runner(&p, &out, "revision --autogenerate -m 'again'"), 1);
    CU_ASSERT_STRING_EQUAL(out, "runner: error: Target database is not up to date.\n");
    free(out);
    CU_ASSERT_EQUAL(run(&p, &out, "ls revisions | wc -l"), 0);
    CU_ASSERT_STRING_EQUAL(out, "1\n");
    free(out);

    /* a database that cannot be reached: the usual connection error */
    CU_ASSERT_EQUAL(run(&p, &out, "'%s' --dir plugins --sources revisions --models models_1.so "
                        "--url 'postgresql:///nodb?host=/nonexistent' check", runner_bin()), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "runner: error: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent"));
    CU_ASSERT_PTR_NULL(strstr(out, "Detected"));
    free(out);
    project_close(&p);
}

/* A table made by hand, with what models cannot declare (an identity
 * column, an expression index, a check written by PostgreSQL's rules, a
 * table comment), is dropped by the upgrade and comes back exactly. */
static void test_foreign_table_is_dropped_and_restored(void)
{
    struct project p;

    if (project_open(&p, "foreign") < 0) {
        CU_FAIL("cannot set up the project");
        project_close(&p);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(sql(&p,
        "CREATE TABLE legacy (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " code text NOT NULL CHECK (length(code) > 1), n bigint GENERATED BY DEFAULT AS IDENTITY,"
        " amount numeric(8,2) DEFAULT -1.5, label varchar(10) DEFAULT 'x');"
        "CREATE INDEX legacy_lower ON legacy (lower(code)) WHERE id > 10;"
        "CREATE UNIQUE INDEX legacy_code_n ON legacy (code, n);"
        "COMMENT ON TABLE legacy IS 'old'"), 0);
    step(&p, GUIDE_USER "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n", "replace legacy",
         "Detected removed index 'legacy_code_n' on 'legacy'\n"
         "Detected removed index 'legacy_lower' on 'legacy'\n"
         "Detected removed table 'legacy'\n"
         "Detected added table 'users'\n"
         "Detected added index 'ix_users_email' on '['email']'\n"
         "Detected added index 'ix_users_id' on '['id']'\n");
    project_close(&p);
}

/* The matrix: every kind of change, each one a step of its own. */
static void test_model_change_matrix(void)
{
    struct project p;

    if (project_open(&p, "matrix") < 0) {
        CU_FAIL("cannot set up the project");
        project_close(&p);
        return;
    }
    /* 1. add a table */
    step(&p, GUIDE_USER "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n", "users", NULL);

    /* 2. two new tables with a foreign key between them (declared in the
     *    wrong order), plus one to an existing table */
    step(&p, GUIDE_USER
         "RUNNER_MODEL(book, .table = \"books\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_BIGINTEGER, .primary_key = 1 },\n"
         "        { .name = \"author_id\", .type = RUNNER_T_INTEGER, .not_null = 1,\n"
         "          .foreign_key = \"authors.id\", .on_delete = \"CASCADE\" },\n"
         "        { .name = \"owner_id\", .type = RUNNER_T_INTEGER, .foreign_key = \"users.id\" },\n"
         "        { .name = \"title\", .type = RUNNER_T_VARCHAR(200), .not_null = 1 },\n"
         "        { .name = \"price\", .type = RUNNER_T_NUMERIC(10, 2), .server_default = \"0\" },\n"
         "        { .name = \"tags\", .type = RUNNER_T_ARRAY(RUNNER_T_TEXT) },\n"
         "        { .name = \"meta\", .type = RUNNER_T_JSONB },\n"
         "        { .name = \"uid\", .type = RUNNER_T_UUID }));\n"
         "RUNNER_MODEL(author, .table = \"authors\", .comment = \"writers\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
         "        { .name = \"name\", .type = RUNNER_T_TEXT, .not_null = 1, .comment = \"it's the name\" },\n"
         "        { .name = \"born\", .type = RUNNER_T_DATE },\n"
         "        { .name = \"mood\", .type = RUNNER_T_ENUM(\"mood\", \"happy\", \"it's ok\") },\n"
         "        { .name = \"active\", .type = RUNNER_T_BOOLEAN, .server_default = \"true\" }));\n"
         "RUNNER_MODELS(RUNNER_MODEL_REF(user), RUNNER_MODEL_REF(book), RUNNER_MODEL_REF(author));\n",
         "books and authors",
         "Detected added enum type 'mood'\n"
         "Detected added table 'authors'\n"
         "Detected added table 'books'\n");

    /* 3. columns: add, drop, type, nullability, default; a default spelt
     *    differently (CURRENT_TIMESTAMP) is no change */
    step(&p,
         "RUNNER_MODEL(user, .table = \"users\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },\n"
         "        { .name = \"email\", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },\n"
         "        { .name = \"name\", .type = RUNNER_T_TEXT, .not_null = 1, .server_default = \"'anon'\" },\n"
         "        { .name = \"created_at\", .type = RUNNER_T_DATETIME, .server_default = \"CURRENT_TIMESTAMP\" },\n"
         "        { .name = \"age\", .type = RUNNER_T_SMALLINTEGER }));\n"
         "RUNNER_MODEL(author, .table = \"authors\", .comment = \"people who write\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
         "        { .name = \"name\", .type = RUNNER_T_VARCHAR(100), .comment = \"the name\" },\n"
         "        { .name = \"mood\", .type = RUNNER_T_ENUM(\"mood\", \"happy\", \"it's ok\") },\n"
         "        { .name = \"active\", .type = RUNNER_T_BOOLEAN, .not_null = 1, .server_default = \"false\" }));\n"
         "RUNNER_MODEL(book, .table = \"books\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_BIGINTEGER, .primary_key = 1 },\n"
         "        { .name = \"author_id\", .type = RUNNER_T_INTEGER, .not_null = 1,\n"
         "          .foreign_key = \"authors.id\", .on_delete = \"CASCADE\" },\n"
         "        { .name = \"owner_id\", .type = RUNNER_T_INTEGER, .foreign_key = \"users.id\" },\n"
         "        { .name = \"title\", .type = RUNNER_T_VARCHAR(200), .not_null = 1 },\n"
         "        { .name = \"price\", .type = RUNNER_T_NUMERIC(12, 2), .server_default = \"0\" },\n"
         "        { .name = \"tags\", .type = RUNNER_T_ARRAY(RUNNER_T_TEXT) },\n"
         "        { .name = \"meta\", .type = RUNNER_T_JSONB },\n"
         "        { .name = \"uid\", .type = RUNNER_T_UUID }));\n"
         "RUNNER_MODELS(RUNNER_MODEL_REF(user), RUNNER_MODEL_REF(author), RUNNER_MODEL_REF(book));\n",
         "columns",
         "Detected type change from 'character varying' to 'text' on 'users.name'\n"
         "Detected NOT NULL on column 'users.name'\n"
         "Detected server default on column 'users.name'\n"
         "Detected added column 'users.age'\n"
         "Detected table comment 'authors'\n"
         "Detected type change from 'text' to 'character varying(100)' on 'authors.name'\n"
         "Detected NULL on column 'authors.name'\n"
         "Detected column comment 'authors.name'\n"
         "Detected NOT NULL on column 'authors.active'\n"
         "Detected server default on column 'authors.active'\n"
         "Detected removed column 'authors.born'\n"
         "Detected type change from 'numeric(10,2)' to 'numeric(12,2)' on 'books.price'\n");

    /* 4. indexes and every constraint kind: drop ix_users_id, add a
     *    composite partial unique index, a unique constraint, a check, a
     *    changed foreign key action, a removed foreign key */
    step(&p,
         "RUNNER_MODEL(user, .table = \"users\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
         "        { .name = \"email\", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },\n"
         "        { .name = \"name\", .type = RUNNER_T_TEXT, .not_null = 1, .server_default = \"'anon'\" },\n"
         "        { .name = \"created_at\", .type = RUNNER_T_DATETIME, .server_default = \"now()\" },\n"
         "        { .name = \"age\", .type = RUNNER_T_SMALLINTEGER },\n"
         "        { .name = \"nick\", .type = RUNNER_T_VARCHAR(30), .unique = 1 }),\n"
         "    .constraints = RUNNER_CONSTRAINTS(\n"
         "        { .kind = RUNNER_CHECK, .name = \"ck_users_age\", .check = \"age >= 0\" }));\n"
         "RUNNER_MODEL(author, .table = \"authors\", .comment = \"people who write\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
         "        { .name = \"name\", .type = RUNNER_T_VARCHAR(100), .comment = \"the name\" },\n"
         "        { .name = \"mood\", .type = RUNNER_T_ENUM(\"mood\", \"happy\", \"it's ok\") },\n"
         "        { .name = \"active\", .type = RUNNER_T_BOOLEAN, .not_null = 1, .server_default = \"false\" }));\n"
         "RUNNER_MODEL(book, .table = \"books\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_BIGINTEGER, .primary_key = 1 },\n"
         "        { .name = \"author_id\", .type = RUNNER_T_INTEGER, .not_null = 1,\n"
         "          .foreign_key = \"authors.id\", .on_delete = \"SET DEFAULT\" },\n"
         "        { .name = \"owner_id\", .type = RUNNER_T_INTEGER },\n"
         "        { .name = \"title\", .type = RUNNER_T_VARCHAR(200), .not_null = 1 },\n"
         "        { .name = \"price\", .type = RUNNER_T_NUMERIC(12, 2), .server_default = \"0\" },\n"
         "        { .name = \"tags\", .type = RUNNER_T_ARRAY(RUNNER_T_TEXT) },\n"
         "        { .name = \"meta\", .type = RUNNER_T_JSONB },\n"
         "        { .name = \"uid\", .type = RUNNER_T_UUID }),\n"
         "    .indexes = RUNNER_MODEL_INDEXES(\n"
         "        { .columns = RUNNER_NAMES(\"author_id\", \"title\"), .unique = 1, .where = \"price > 0\" }));\n"
         "RUNNER_MODELS(RUNNER_MODEL_REF(user), RUNNER_MODEL_REF(author), RUNNER_MODEL_REF(book));\n",
         "keys",
         "Detected removed foreign key (author_id)(id) on table books\n"
         "Detected removed foreign key (owner_id)(id) on table books\n"
         "Detected added column 'users.nick'\n"
         "Detected removed index 'ix_users_id' on 'users'\n"
         "Detected added unique constraint 'users_nick_key' on '['nick']'\n"
         "Detected added check constraint 'ck_users_age' on 'users'\n"
         "Detected added index 'ix_books_author_id' on '['author_id', 'title']'\n"
         "Detected added foreign key (author_id)(id) on table books\n");

    /* 5. drop tables: books (referencing) goes before authors */
    step(&p,
         "RUNNER_MODEL(user, .table = \"users\",\n"
         "    .columns = RUNNER_MODEL_COLUMNS(\n"
         "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
         "        { .name = \"email\", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },\n"
         "        { .name = \"name\", .type = RUNNER_T_TEXT, .not_null = 1, .server_default = \"'anon'\" },\n"
         "        { .name = \"created_at\", .type = RUNNER_T_DATETIME, .server_default = \"now()\" },\n"
         "        { .name = \"age\", .type = RUNNER_T_SMALLINTEGER },\n"
         "        { .name = \"nick\", .type = RUNNER_T_VARCHAR(30), .unique = 1 }),\n"
         "    .constraints = RUNNER_CONSTRAINTS(\n"
         "        { .kind = RUNNER_CHECK, .name = \"ck_users_age\", .check = \"age >= 0\" }));\n"
         "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n",
         "drop books and authors",
         "Detected removed index 'ix_books_author_id' on 'books'\n"
         "Detected removed table 'books'\n"
         "Detected removed table 'authors'\n");
    project_close(&p);
}

CU_TestInfo autogen_tests[] = {
    { "guide user round trip", test_guide_user_round_trip },
    { "check lists differences and fails", test_check_lists_differences_and_fails },
    { "foreign table is dropped and restored", test_foreign_table_is_dropped_and_restored },
    { "model change matrix", test_model_change_matrix },
    CU_TEST_INFO_NULL,
};
