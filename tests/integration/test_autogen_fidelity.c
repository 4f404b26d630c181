/* test_autogen_fidelity.c -- issue 13, points 5 to 8: what autogenerate
 * must get right for a database that SQLAlchemy (metadata.create_all())
 * or an earlier revision built: enum labels added anywhere in the list,
 * SQLAlchemy's default index names and naming conventions, server
 * defaults whose cast changes the value, an empty model set, unnamed
 * check constraints and named column-level foreign keys.
 *
 * Exports CU_TestInfo autogen_fidelity_tests[].  Every test runs the real
 * runner binary on a database of its own, compiles the models and the
 * generated revisions with cc against plugin-api/include, and, where
 * SQLAlchemy is the reference, builds the reference database with
 * /usr/bin/python3 and SQLAlchemy 1.4 (Debian's python3-sqlalchemy). */
#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "strbuf.h"

#ifndef RUNNER_BIN
#define RUNNER_BIN "runner"
#endif
#ifndef RUNNER_PLUGIN_INCLUDE_BUILD
#define RUNNER_PLUGIN_INCLUDE_BUILD "plugin-api/include"
#endif
#define PYTHON "/usr/bin/python3"

struct proj {
    char dir[512];              /* the project directory, removed at the end */
    char url[IT_URL_SIZE];      /* this test's database (a conninfo string) */
    int step;                   /* models_<step>.so is the current models plugin */
};

/* A shell command in the project directory, stdout and stderr into *out
 * (caller frees, may be NULL); the exit status, or -1. */
static int sh(const struct proj *p, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sh(const struct proj *p, char **out, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = it_vsh_in(p->dir, out, fmt, ap);
    va_end(ap);
    return rc;
}

static int proj_open(struct proj *p, const char *tag)
{
    char name[64];

    memset(p, 0, sizeof(*p));
    snprintf(name, sizeof(name), "fidelity_%s_%ld", tag, (long)getpid());
    snprintf(p->dir, sizeof(p->dir), "%s/runner-fidelity-XXXXXX", it_tmpdir());
    if (!mkdtemp(p->dir)) {
        p->dir[0] = '\0';
        return -1;
    }
    if (it_db_create(name, p->url, sizeof(p->url)) < 0)
        return -1;
    return sh(p, NULL, "mkdir revisions plugins") == 0 ? 0 : -1;
}

static void proj_close(struct proj *p)
{
    /* RUNNER_TEST_KEEP=1 keeps the project directory to look at */
    if (p->dir[0] && !getenv("RUNNER_TEST_KEEP"))
        sh(p, NULL, "rm -rf '%s'", p->dir);
}

/* RUNNER_BIN --dir plugins --sources revisions --models models_<step>.so
 * --url <url> <args> -m <message>; the output (stdout, then stderr) into
 * *out, caller frees. */
static int runner(const struct proj *p, char **out, const char *args, const char *message)
{
    char dir[600], sources[600], models[600];
    const char *argv[24];
    char *copy = strdup(args);
    struct it_run *r = malloc(sizeof(*r));
    size_t n = 0;
    int rc = -1;

    if (!copy || !r)
        goto out;
    snprintf(dir, sizeof(dir), "%s/plugins", p->dir);
    snprintf(sources, sizeof(sources), "%s/revisions", p->dir);
    snprintf(models, sizeof(models), "%s/models_%d.so", p->dir, p->step);
    argv[n++] = "--dir";
    argv[n++] = dir;
    argv[n++] = "--sources";
    argv[n++] = sources;
    argv[n++] = "--models";
    argv[n++] = models;
    argv[n++] = "--url";
    argv[n++] = p->url;
    for (char *tok = strtok(copy, " "); tok && n < 20; tok = strtok(NULL, " "))
        argv[n++] = tok;
    if (message) {
        argv[n++] = "-m";
        argv[n++] = message;
    }
    argv[n] = NULL;
    rc = it_run(r, argv, 0);
    if (out) {
        struct strbuf sb = STRBUF_INIT;

        strbuf_adds(&sb, r->out);
        strbuf_adds(&sb, r->err);
        *out = strbuf_detach(&sb);
    }
out:
    free(copy);
    free(r);
    return rc;
}

/* The models of the next step, compiled into models_<step>.so. */
static int models(struct proj *p, const char *source)
{
    char path[600];
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
    rc = sh(p, &out, "cc -std=c11 -pedantic -Wall -Wextra -Werror -shared -fPIC -I '%s' "
            "models_%d.c -o models_%d.so", RUNNER_PLUGIN_INCLUDE_BUILD, p->step, p->step);
    if (rc != 0)
        fprintf(stderr, "\nmodels_%d.c does not compile:\n%s\n", p->step, out);
    free(out);
    return rc;
}

static int compile_revisions(struct proj *p)
{
    char *out = NULL;
    int rc = sh(p, &out,
                "for f in revisions/*.c; do n=$(basename \"$f\" .c); "
                "[ -e plugins/$n.so ] || cc -std=c11 -Wall -Wextra -Werror -shared -fPIC "
                "-I '%s' \"$f\" -o plugins/$n.so || exit 1; done",
                RUNNER_PLUGIN_INCLUDE_BUILD);

    if (rc != 0)
        fprintf(stderr, "\ngenerated revision does not compile:\n%s\n", out);
    free(out);
    return rc;
}

/* autogenerate with `message`; the "Detected ..." lines must be exactly
 * `detected` (NULL: "No changes detected" is wanted).  The revision
 * source is returned (caller frees), NULL when none was written. */
static char *autogen(struct proj *p, const char *message, const char *detected)
{
    char *out = NULL, *src = NULL;
    const char *gen;
    int rc = runner(p, &out, "revision --autogenerate", message);

    CU_ASSERT_EQUAL(rc, 0);
    if (!detected) {
        if (strcmp(out, "No changes detected\n") != 0)
            fprintf(stderr, "\nstep %d: wanted no changes, got:\n%s\n", p->step, out);
        CU_ASSERT_STRING_EQUAL(out, "No changes detected\n");
        free(out);
        return NULL;
    }
    gen = strstr(out, "Generating ");
    if (!gen || (size_t)(gen - out) != strlen(detected) ||
        strncmp(out, detected, strlen(detected)) != 0)
        fprintf(stderr, "\nstep %d detected:\n%s\nwanted:\n%s\n", p->step, out, detected);
    CU_ASSERT_PTR_NOT_NULL(gen);
    CU_ASSERT(gen && (size_t)(gen - out) == strlen(detected) &&
              strncmp(out, detected, strlen(detected)) == 0);
    free(out);
    /* the newest source: revision ids are random, so by modification time */
    if (sh(p, &src, "cat \"$(ls -t revisions/*.c | head -n 1)\"") != 0) {
        free(src);
        return NULL;
    }
    return src;
}

/* The first column of a query, as it_query() joins it. */
static void query_is(const struct proj *p, const char *sql, const char *want)
{
    char got[4096];

    CU_ASSERT_EQUAL(it_query(p->url, sql, got, sizeof(got)), 0);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\n%s\n  got:  %s\n  want: %s\n", sql, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
}

static void check_clean(const struct proj *p)
{
    char *out = NULL;
    int rc = runner(p, &out, "check", NULL);

    if (rc != 0)
        fprintf(stderr, "\nstep %d: check:\n%s\n", p->step, out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(out, "No new upgrade operations detected.\n");
    free(out);
}

static int upgrade(const struct proj *p, const char *target)
{
    char *out = NULL;
    char args[64];
    int rc;

    snprintf(args, sizeof(args), "upgrade %s", target);
    rc = runner(p, &out, args, NULL);
    if (rc != 0)
        fprintf(stderr, "\nstep %d: %s:\n%s\n", p->step, args, out);
    free(out);
    return rc;
}

static int downgrade(const struct proj *p, const char *target)
{
    char *out = NULL;
    char args[64];
    int rc;

    snprintf(args, sizeof(args), "downgrade %s", target);
    rc = runner(p, &out, args, NULL);
    if (rc != 0)
        fprintf(stderr, "\nstep %d: %s:\n%s\n", p->step, args, out);
    free(out);
    return rc;
}

/* Build the project's database with SQLAlchemy: `body` is Python that
 * fills the MetaData `m` (sa is sqlalchemy), then m.create_all() runs.
 * 1 when SQLAlchemy is not installed (the test is then skipped). */
static int sqlalchemy(const struct proj *p, const char *naming, const char *body)
{
    char path[600];
    char *out = NULL;
    FILE *f;
    int rc;

    if (sh(p, NULL, PYTHON " -c 'import sqlalchemy, psycopg2'") != 0) {
        fprintf(stderr, "\n(skipped: " PYTHON " has no sqlalchemy and psycopg2; "
                "scripts/install-deps --test installs them)\n");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/create_all.py", p->dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "import os, psycopg2\nimport sqlalchemy as sa\n"
            "m = sa.MetaData(%s)\n%s\n"
            "engine = sa.create_engine('postgresql+psycopg2://',"
            " creator=lambda: psycopg2.connect(os.environ['FIDELITY_DSN']))\n"
            "m.create_all(engine)\n", naming ? naming : "", body);
    fclose(f);
    setenv("FIDELITY_DSN", p->url, 1);
    rc = sh(p, &out, PYTHON " create_all.py");
    unsetenv("FIDELITY_DSN");
    if (rc != 0)
        fprintf(stderr, "\ncreate_all.py failed:\n%s\n", out);
    free(out);
    return rc == 0 ? 0 : -1;
}

/* Alembic 1.8 on the same case: a database of its own built by
 * create_all() of `db_body`, then alembic.autogenerate.compare_metadata()
 * (compare_type and compare_server_default on) against `model_body`;
 * the kinds of what it detects, as a Python list ("['modify_default']"),
 * into want-compared *out (caller frees).  1: not installed (skipped). */
static int alembic_kinds(const struct proj *p, const char *tag, const char *db_body,
                         const char *model_body, char **out)
{
    char path[600], name[64], url[IT_URL_SIZE];
    FILE *f;
    int rc;

    *out = NULL;
    if (sh(p, NULL, PYTHON " -c 'import sqlalchemy, psycopg2, alembic'") != 0) {
        fprintf(stderr, "\n(skipped: " PYTHON " has no alembic)\n");
        return 1;
    }
    snprintf(name, sizeof(name), "fidelity_%s_alembic_%ld", tag, (long)getpid());
    if (it_db_create(name, url, sizeof(url)) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/alembic_compare.py", p->dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "import os, psycopg2\nimport sqlalchemy as sa\n"
            "from alembic.migration import MigrationContext\n"
            "from alembic.autogenerate import compare_metadata\n"
            "engine = sa.create_engine('postgresql+psycopg2://',"
            " creator=lambda: psycopg2.connect(os.environ['FIDELITY_DSN']))\n"
            "m = sa.MetaData()\n%s\nm.create_all(engine)\n"
            "m = sa.MetaData()\n%s\n"
            "with engine.connect() as conn:\n"
            "    ctx = MigrationContext.configure(conn, opts={'compare_type': True,"
            " 'compare_server_default': True})\n"
            "    diffs = compare_metadata(ctx, m)\n"
            "print([d[0] if isinstance(d, tuple) else d[0][0] for d in diffs])\n",
            db_body, model_body);
    fclose(f);
    setenv("FIDELITY_DSN", url, 1);
    rc = sh(p, out, PYTHON " alembic_compare.py 2>/dev/null");
    unsetenv("FIDELITY_DSN");
    return rc == 0 ? 0 : -1;
}

static void alembic_detects(const struct proj *p, const char *tag, const char *db_body,
                            const char *model_body, const char *want)
{
    char *got = NULL;
    int rc = alembic_kinds(p, tag, db_body, model_body, &got);

    CU_ASSERT_NOT_EQUAL(rc, -1);
    if (rc == 0) {
        if (strcmp(got, want) != 0)
            fprintf(stderr, "\nalembic %s: got %s, want %s\n", tag, got, want);
        CU_ASSERT_STRING_EQUAL(got, want);
    }
    free(got);
}

#define NAMES_SQL                                                                  \
    "SELECT string_agg(n, ' ' ORDER BY n) FROM ("                                 \
    " SELECT 'ix:' || i.relname AS n FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid" \
    " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relnamespace = 'public'::regnamespace"    \
    "  AND t.relname NOT IN ('alembic_version', 'runner_history')"                  \
    " UNION ALL SELECT k.contype::text || ':' || k.conname FROM pg_constraint k"          \
    " JOIN pg_class t ON t.oid = k.conrelid WHERE t.relnamespace = 'public'::regnamespace" \
    "  AND t.relname NOT IN ('alembic_version', 'runner_history')) s"

#define LABELS_SQL \
    "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum" \
    " WHERE enumtypid = 'mood'::regtype"

#define ITEMS(mood)                                                                     \
    "RUNNER_MODEL(item, .table = \"items\",\n"                                         \
    "    .columns = RUNNER_MODEL_COLUMNS(\n"                                            \
    "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"         \
    "        { .name = \"mood\", .type = " mood " }));\n"                               \
    "RUNNER_MODELS(RUNNER_MODEL_REF(item));\n"

/* 13.5: labels added at the start, in the middle and at the end become
 * ALTER TYPE ... ADD VALUE ... BEFORE/AFTER in a revision that runs in
 * its transaction (nothing in it uses them); a new label used by a
 * default in the same revision makes it RUNNER_NO_TRANSACTION, which
 * PostgreSQL needs; a removed or renamed label is a "please adjust"
 * comment, never a silent drop. */
static void test_enum_labels_added_removed_renamed(void)
{
    struct proj p;
    char *src;

    if (proj_open(&p, "enum") < 0) {
        CU_FAIL("cannot set up the project");
        proj_close(&p);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(models(&p, ITEMS("RUNNER_T_ENUM(\"mood\", \"b\", \"d\")")), 0);
    free(autogen(&p, "items", "Detected added enum type 'mood'\nDetected added table 'items'\n"));
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);

    /* added first, in the middle and last (Alembic 1.8 sees nothing) */
    alembic_detects(&p, "enum",
                    "sa.Table('items', m, sa.Column('id', sa.Integer, primary_key=True),\n"
                    "    sa.Column('mood', sa.Enum('b', 'd', name='mood')))\n",
                    "sa.Table('items', m, sa.Column('id', sa.Integer, primary_key=True),\n"
                    "    sa.Column('mood', sa.Enum('a', 'b', 'c', 'd', 'e', name='mood')))\n",
                    "[]\n");
    CU_ASSERT_EQUAL_FATAL(models(&p, ITEMS("RUNNER_T_ENUM(\"mood\", \"a\", \"b\", \"c\", \"d\", "
                                           "\"e\")")), 0);
    src = autogen(&p, "more moods",
                  "Detected added label 'a' to enum type 'mood'\n"
                  "Detected added label 'c' to enum type 'mood'\n"
                  "Detected added label 'e' to enum type 'mood'\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "ALTER TYPE \\\"mood\\\" ADD VALUE IF NOT EXISTS 'a' "
                                       "BEFORE 'b'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "ADD VALUE IF NOT EXISTS 'c' AFTER 'b'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "ADD VALUE IF NOT EXISTS 'e' AFTER 'd'"));
    /* nothing uses them: PostgreSQL 12+ runs ADD VALUE in the transaction */
    CU_ASSERT_PTR_NULL(strstr(src, "RUNNER_NO_TRANSACTION"));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "keeps label 'a': PostgreSQL cannot drop an enum label"));
    free(src);
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    query_is(&p, LABELS_SQL, "a,b,c,d,e");
    check_clean(&p);
    /* the downgrade runs and leaves the labels (a comment says so) */
    CU_ASSERT_EQUAL(downgrade(&p, "-1"), 0);
    query_is(&p, LABELS_SQL, "a,b,c,d,e");
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);

    /* a new label used by a default in the same revision: PostgreSQL
     * refuses that inside one transaction ... */
    CU_ASSERT_EQUAL(it_exec(p.url, "BEGIN; ALTER TYPE mood ADD VALUE 'x';"
                            " ALTER TABLE items ADD COLUMN probe mood DEFAULT 'x'; COMMIT"), -1);
    query_is(&p, LABELS_SQL, "a,b,c,d,e");
    /* ... so the revision runs outside one */
    CU_ASSERT_EQUAL_FATAL(models(&p,
        "RUNNER_MODEL(item, .table = \"items\",\n"
        "    .columns = RUNNER_MODEL_COLUMNS(\n"
        "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
        "        { .name = \"mood\", .type = RUNNER_T_ENUM(\"mood\", \"a\", \"b\", \"c\", \"d\", "
        "\"e\", \"f\") },\n"
        "        { .name = \"usual\", .type = RUNNER_T_ENUM(\"mood\", \"a\", \"b\", \"c\", \"d\", "
        "\"e\", \"f\"), .server_default = \"'f'\" }));\n"
        "RUNNER_MODELS(RUNNER_MODEL_REF(item));\n"), 0);
    src = autogen(&p, "usual mood",
                  "Detected added label 'f' to enum type 'mood'\n"
                  "Detected added column 'items.usual'\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    CU_ASSERT_PTR_NOT_NULL(strstr(src, ".flags = RUNNER_NO_TRANSACTION,"));
    free(src);
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    query_is(&p, LABELS_SQL, "a,b,c,d,e,f");
    check_clean(&p);

    /* 'c' removed and 'e' renamed to 'E': reported, commented, not done */
    CU_ASSERT_EQUAL_FATAL(models(&p,
        "RUNNER_MODEL(item, .table = \"items\",\n"
        "    .columns = RUNNER_MODEL_COLUMNS(\n"
        "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
        "        { .name = \"mood\", .type = RUNNER_T_ENUM(\"mood\", \"a\", \"b\", \"d\", \"E\", "
        "\"f\") },\n"
        "        { .name = \"usual\", .type = RUNNER_T_ENUM(\"mood\", \"a\", \"b\", \"d\", \"E\", "
        "\"f\"), .server_default = \"'f'\" }));\n"
        "RUNNER_MODELS(RUNNER_MODEL_REF(item));\n"), 0);
    src = autogen(&p, "fewer moods",
                  "Detected added label 'E' to enum type 'mood'\n"
                  "Detected removed, renamed or reordered labels of enum type 'mood': "
                  "['a', 'b', 'c', 'd', 'e', 'f'] to ['a', 'b', 'd', 'E', 'f'] "
                  "(not generated; please adjust)\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "/* enum type \"mood\" has labels ('a', 'b', 'c', 'd', "
                                       "'e', 'f')"));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "RENAME VALUE 'old' TO 'new'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "please adjust! */"));
    CU_ASSERT_PTR_NULL(strstr(src, "DROP TYPE"));
    free(src);
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    /* nothing dropped: 'c' and 'e' are still there, and check says so */
    query_is(&p, LABELS_SQL, "a,b,c,d,E,e,f");
    {
        char *out = NULL;

        CU_ASSERT_EQUAL(runner(&p, &out, "check", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "removed, renamed or reordered labels of enum type "
                                           "'mood'"));
        free(out);
    }
    proj_close(&p);
}

/* 13.6: a database SQLAlchemy built (an unnamed index over two columns is
 * ix_<table>_<first column>, "ix_%(column_0_label)s") compares clean with
 * the same models, and runner names new ones the same way. */
#define SA_DEFAULT_BODY                                                                  \
    "t = sa.Table('items', m, sa.Column('id', sa.Integer, primary_key=True),\n"           \
    "    sa.Column('a', sa.Integer, index=True), sa.Column('b', sa.Integer),\n"           \
    "    sa.Column('c', sa.String(10), unique=True),\n"                                  \
    "    sa.Column('owner_id', sa.Integer, sa.ForeignKey('items.id')),\n"                \
    "    sa.CheckConstraint('b >= 0'), sa.CheckConstraint('a < b'))\n"                    \
    "sa.Index(None, t.c.b, t.c.a)\n"
#define RUNNER_DEFAULT_MODELS                                                            \
    "RUNNER_MODEL(item, .table = \"items\",\n"                                          \
    "    .columns = RUNNER_MODEL_COLUMNS(\n"                                             \
    "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"          \
    "        { .name = \"a\", .type = RUNNER_T_INTEGER, .index = 1 },\n"                 \
    "        { .name = \"b\", .type = RUNNER_T_INTEGER },\n"                             \
    "        { .name = \"c\", .type = RUNNER_T_VARCHAR(10), .unique = 1 },\n"            \
    "        { .name = \"owner_id\", .type = RUNNER_T_INTEGER, .foreign_key = \"items.id\" }),\n" \
    "    .indexes = RUNNER_MODEL_INDEXES({ .columns = RUNNER_NAMES(\"b\", \"a\") }),\n"  \
    "    .constraints = RUNNER_CONSTRAINTS(\n"                                           \
    "        { .kind = RUNNER_CHECK, .check = \"b >= 0\" },\n"                          \
    "        { .kind = RUNNER_CHECK, .check = \"a < b\" }));\n"

static void names_match_sqlalchemy(const char *tag, const char *naming, const char *sa_body,
                                   const char *models_src, const char *want_names)
{
    struct proj p;
    char sa_names[4096], runner_names[4096];
    int rc;

    if (proj_open(&p, tag) < 0) {
        CU_FAIL("cannot set up the project");
        proj_close(&p);
        return;
    }
    rc = sqlalchemy(&p, naming, sa_body);
    CU_ASSERT_NOT_EQUAL(rc, -1);
    if (rc != 0) {
        proj_close(&p);
        return;
    }
    CU_ASSERT_EQUAL(it_query(p.url, NAMES_SQL, sa_names, sizeof(sa_names)), 0);
    if (strcmp(sa_names, want_names) != 0)
        fprintf(stderr, "\nSQLAlchemy's names: %s\nwanted: %s\n", sa_names, want_names);
    CU_ASSERT_STRING_EQUAL(sa_names, want_names);

    /* taken over: the same models see no difference (nor does Alembic) */
    alembic_detects(&p, tag, sa_body, sa_body, "[]\n");
    CU_ASSERT_EQUAL_FATAL(models(&p, models_src), 0);
    check_clean(&p);
    free(autogen(&p, "nothing", NULL));

    /* and runner builds the same names on an empty database */
    CU_ASSERT_EQUAL_FATAL(it_exec(p.url, "DROP TABLE items"), 0);
    free(autogen(&p, "items", "Detected added table 'items'\n"
                              "Detected added index 'ix_items_a' on '['a']'\n"
                              "Detected added index 'ix_items_b' on '['b', 'a']'\n"));
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    CU_ASSERT_EQUAL(it_query(p.url, NAMES_SQL, runner_names, sizeof(runner_names)), 0);
    if (strcmp(runner_names, sa_names) != 0)
        fprintf(stderr, "\nrunner's names: %s\nSQLAlchemy's: %s\n", runner_names, sa_names);
    CU_ASSERT_STRING_EQUAL(runner_names, sa_names);
    check_clean(&p);
    proj_close(&p);
}

static void test_sqlalchemy_default_names_compare_clean(void)
{
    names_match_sqlalchemy("sanames", NULL, SA_DEFAULT_BODY,
                           RUNNER_DEFAULT_MODELS "RUNNER_MODELS(RUNNER_MODEL_REF(item));\n",
                           "c:items_b_check c:items_check f:items_owner_id_fkey ix:items_c_key "
                           "ix:items_pkey ix:ix_items_a ix:ix_items_b p:items_pkey "
                           "u:items_c_key");
}

/* 13.6: MetaData(naming_convention=...) and RUNNER_MODELS_WITH_NAMING
 * name everything alike. */
static void test_naming_convention_matches_sqlalchemy(void)
{
    names_match_sqlalchemy("saconv",
        "naming_convention={'ix': 'ix_%(column_0_label)s',"
        " 'uq': 'uq_%(table_name)s_%(column_0_name)s',"
        " 'ck': 'ck_%(table_name)s_%(constraint_name)s',"
        " 'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',"
        " 'pk': 'pk_%(table_name)s'}",
        "t = sa.Table('items', m, sa.Column('id', sa.Integer, primary_key=True),\n"
        "    sa.Column('a', sa.Integer, index=True), sa.Column('b', sa.Integer),\n"
        "    sa.Column('c', sa.String(10), unique=True),\n"
        "    sa.Column('owner_id', sa.Integer, sa.ForeignKey('items.id')),\n"
        "    sa.CheckConstraint('b >= 0', name='b_positive'))\n"
        "sa.Index(None, t.c.b, t.c.a)\n",
        "RUNNER_MODEL(item, .table = \"items\",\n"
        "    .columns = RUNNER_MODEL_COLUMNS(\n"
        "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
        "        { .name = \"a\", .type = RUNNER_T_INTEGER, .index = 1 },\n"
        "        { .name = \"b\", .type = RUNNER_T_INTEGER },\n"
        "        { .name = \"c\", .type = RUNNER_T_VARCHAR(10), .unique = 1 },\n"
        "        { .name = \"owner_id\", .type = RUNNER_T_INTEGER, .foreign_key = \"items.id\" }),\n"
        "    .indexes = RUNNER_MODEL_INDEXES({ .columns = RUNNER_NAMES(\"b\", \"a\") }),\n"
        "    .constraints = RUNNER_CONSTRAINTS(\n"
        "        { .kind = RUNNER_CHECK, .name = \"b_positive\", .check = \"b >= 0\" }));\n"
        "RUNNER_MODELS_WITH_NAMING(RUNNER_NAMING(\n"
        "    .ix = \"ix_%(column_0_label)s\",\n"
        "    .uq = \"uq_%(table_name)s_%(column_0_name)s\",\n"
        "    .ck = \"ck_%(table_name)s_%(constraint_name)s\",\n"
        "    .fk = \"fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s\",\n"
        "    .pk = \"pk_%(table_name)s\"),\n"
        "    RUNNER_MODEL_REF(item));\n",
        "c:ck_items_b_positive f:fk_items_owner_id_items ix:ix_items_a ix:ix_items_b "
        "ix:pk_items ix:uq_items_c p:pk_items u:uq_items_c");
}

#define STAMPS(def)                                                                     \
    "RUNNER_MODEL(stamp, .table = \"stamps\",\n"                                       \
    "    .columns = RUNNER_MODEL_COLUMNS(\n"                                            \
    "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"         \
    "        { .name = \"label\", .type = RUNNER_T_VARCHAR(20), .server_default = \"'x'\" },\n" \
    "        { .name = \"at\", .type = RUNNER_T_DATETIME, .server_default = \"" def "\" }));\n" \
    "RUNNER_MODELS(RUNNER_MODEL_REF(stamp));\n"

#define SA_STAMPS(def)                                                               \
    "sa.Table('stamps', m, sa.Column('id', sa.Integer, primary_key=True),\n"          \
    "    sa.Column('at', sa.DateTime, server_default=sa.text('" def "')))\n"

/* 13.7: now() to now()::date on a timestamp column changes the value and
 * is detected; the same default spelt otherwise is not a change. */
static void test_server_default_cast_change_is_detected(void)
{
    struct proj p;

    if (proj_open(&p, "default") < 0) {
        CU_FAIL("cannot set up the project");
        proj_close(&p);
        return;
    }
    /* Alembic 1.8 (compare_server_default) sees the same */
    alembic_detects(&p, "def_same", SA_STAMPS("now()"), SA_STAMPS("CURRENT_TIMESTAMP"), "[]\n");
    alembic_detects(&p, "def_cast", SA_STAMPS("now()"), SA_STAMPS("now()::date"),
                    "['modify_default']\n");

    CU_ASSERT_EQUAL_FATAL(models(&p, STAMPS("now()")), 0);
    free(autogen(&p, "stamps", "Detected added table 'stamps'\n"));
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);

    /* spelt otherwise, same value: no change */
    CU_ASSERT_EQUAL_FATAL(models(&p,
        "RUNNER_MODEL(stamp, .table = \"stamps\",\n"
        "    .columns = RUNNER_MODEL_COLUMNS(\n"
        "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
        "        { .name = \"label\", .type = RUNNER_T_VARCHAR(20),"
        " .server_default = \"'x'::character varying\" },\n"
        "        { .name = \"at\", .type = RUNNER_T_DATETIME, .server_default = \"CURRENT_TIMESTAMP\" }));\n"
        "RUNNER_MODELS(RUNNER_MODEL_REF(stamp));\n"), 0);
    free(autogen(&p, "nothing", NULL));

    /* the cast truncates to midnight: a change */
    CU_ASSERT_EQUAL_FATAL(models(&p, STAMPS("now()::date")), 0);
    free(autogen(&p, "midnight", "Detected server default on column 'stamps.at'\n"));
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    query_is(&p, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef"
                 " WHERE adrelid = 'stamps'::regclass AND adnum = 3", "(now())::date");
    check_clean(&p);
    /* and back, beside a default the server cannot render yet (its type
     * is new): that one probe fails alone, the others still render */
    CU_ASSERT_EQUAL_FATAL(models(&p,
        "RUNNER_MODEL(stamp, .table = \"stamps\",\n"
        "    .columns = RUNNER_MODEL_COLUMNS(\n"
        "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
        "        { .name = \"label\", .type = RUNNER_T_ENUM(\"kind\", \"x\", \"y\"),"
        " .server_default = \"'x'\" },\n"
        "        { .name = \"at\", .type = RUNNER_T_DATETIME, .server_default = \"now()\" }));\n"
        "RUNNER_MODELS(RUNNER_MODEL_REF(stamp));\n"), 0);
    free(autogen(&p, "not midnight",
                 "Detected added enum type 'kind'\n"
                 "Detected type change from 'character varying(20)' to 'kind' on 'stamps.label'\n"
                 "Detected server default on column 'stamps.at'\n"));
    proj_close(&p);
}

/* 13.8: RUNNER_MODELS() compiles and is an empty model set; an unnamed
 * check is named by PostgreSQL's rule; a column-level foreign key takes
 * .foreign_key_name. */
static void test_empty_models_unnamed_check_named_fk(void)
{
    struct proj p;
    char *src;

    if (proj_open(&p, "empty") < 0) {
        CU_FAIL("cannot set up the project");
        proj_close(&p);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(models(&p, "RUNNER_MODELS();\n"), 0);
    free(autogen(&p, "nothing", NULL));
    check_clean(&p);

    CU_ASSERT_EQUAL_FATAL(models(&p,
        "RUNNER_MODEL(account, .table = \"accounts\",\n"
        "    .columns = RUNNER_MODEL_COLUMNS(\n"
        "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 },\n"
        "        { .name = \"age\", .type = RUNNER_T_INTEGER },\n"
        "        { .name = \"lo\", .type = RUNNER_T_INTEGER },\n"
        "        { .name = \"hi\", .type = RUNNER_T_INTEGER },\n"
        "        { .name = \"parent_id\", .type = RUNNER_T_INTEGER, .foreign_key = \"accounts.id\",\n"
        "          .foreign_key_name = \"fk_accounts_parent\" }),\n"
        "    .constraints = RUNNER_CONSTRAINTS(\n"
        "        { .kind = RUNNER_CHECK, .check = \"age >= 0\" },\n"
        "        { .kind = RUNNER_CHECK, .check = \"\\\"age\\\" < 200\" },\n"
        "        { .kind = RUNNER_CHECK, .check = \"lo <= hi AND length('age') > 0\" }));\n"
        "RUNNER_MODELS(RUNNER_MODEL_REF(account));\n"), 0);
    src = autogen(&p, "accounts", "Detected added table 'accounts'\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    CU_ASSERT_PTR_NOT_NULL(strstr(src, ".name = \"accounts_age_check\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, ".name = \"accounts_age_check1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, ".name = \"accounts_check\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(src, ".name = \"fk_accounts_parent\""));
    free(src);
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    check_clean(&p);

    /* PostgreSQL names the same unnamed checks the same way */
    CU_ASSERT_EQUAL_FATAL(it_exec(p.url, "CREATE TABLE pg_named (id int, age int, lo int, hi int,"
                                  " CHECK (age >= 0), CHECK (\"age\" < 200),"
                                  " CHECK (lo <= hi AND length('age') > 0))"), 0);
    query_is(&p, "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint"
                 " WHERE conrelid = 'pg_named'::regclass",
             "pg_named_age_check pg_named_age_check1 pg_named_check");
    CU_ASSERT_EQUAL_FATAL(it_exec(p.url, "DROP TABLE pg_named"), 0);

    /* the empty set again: every table goes, as with an empty MetaData() */
    CU_ASSERT_EQUAL_FATAL(models(&p, "RUNNER_MODELS();\n"), 0);
    free(autogen(&p, "drop all", "Detected removed table 'accounts'\n"));
    CU_ASSERT_EQUAL_FATAL(compile_revisions(&p), 0);
    CU_ASSERT_EQUAL_FATAL(upgrade(&p, "head"), 0);
    CU_ASSERT_EQUAL(it_tables(p.url, "accounts"), 0);
    check_clean(&p);
    proj_close(&p);
}

CU_TestInfo autogen_fidelity_tests[] = {
    { "enum labels added removed renamed", test_enum_labels_added_removed_renamed },
    { "sqlalchemy default names compare clean", test_sqlalchemy_default_names_compare_clean },
    { "naming convention matches sqlalchemy", test_naming_convention_matches_sqlalchemy },
    { "server default cast change is detected", test_server_default_cast_change_is_detected },
    { "empty models unnamed check named fk", test_empty_models_unnamed_check_named_fk },
    CU_TEST_INFO_NULL,
};
