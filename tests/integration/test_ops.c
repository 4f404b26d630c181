/* test_ops.c -- every op_* helper really runs on PostgreSQL (ops.c), and the
 * offline script (ops_sql.c) builds exactly the same schema.
 *
 * Exports CU_TestInfo ops_tests[] for the integration harness.  The
 * database: $RUNNER_TEST_URL, else $DATABASE_URL, else libpq's PG*
 * environment (the harness's private cluster).  Each test works in a schema
 * of its own with a hostile name and drops it at the end. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ops.h"
#include "pg.h"

struct conn {
    uv_loop_t loop;
    struct pg db;
    char schema[64];        /* this test's schema, unquoted */
    char qschema[160];      /* the same, quoted */
};

static const char *test_url(void)
{
    const char *url = getenv("RUNNER_TEST_URL");

    return url ? url : getenv("DATABASE_URL");
}

/* Connect and create a fresh schema named after `tag`. */
static int conn_open(struct conn *c, const char *tag)
{
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;
    int ret = -1;

    memset(c, 0, sizeof(*c));
    c->db = (struct pg)PG_INIT;
    if (uv_loop_init(&c->loop) != 0)
        return -1;
    if (pg_open(&c->db, &c->loop, test_url(), &e) < 0) {
        fprintf(stderr, "\ntest_ops: cannot connect: %s\n", e.msg);
        goto out;
    }
    snprintf(c->schema, sizeof(c->schema), "ops\"%s;\\ %ld", tag, (long)getpid());
    if (ops_render_ident(&sb, c->schema, "schema name", &e) < 0)
        goto out;
    snprintf(c->qschema, sizeof(c->qschema), "%s", strbuf_str(&sb));
    strbuf_reset(&sb);
    strbuf_addf(&sb, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", c->qschema,
                c->qschema);
    if (pg_exec(&c->db, strbuf_str(&sb), &e) < 0) {
        fprintf(stderr, "\ntest_ops: %s\n", e.msg);
        goto out;
    }
    ret = 0;
out:
    strbuf_release(&sb);
    return ret;
}

static void conn_close(struct conn *c)
{
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;

    if (pg_conn(&c->db)) {
        strbuf_addf(&sb, "DROP SCHEMA IF EXISTS %s CASCADE", c->qschema);
        pg_exec(&c->db, strbuf_str(&sb), &e);
        strbuf_release(&sb);
    }
    pg_close(&c->db);
    uv_loop_close(&c->loop);
}

/* The first cell of a one-row query with $1 = the schema; caller frees. */
static char *query_one(struct conn *c, const char *sql)
{
    struct pg_rows rows = PG_ROWS_INIT;
    struct err e = ERR_INIT;
    const char *params[] = { c->schema };
    char *v = NULL;

    if (pg_query(&c->db, sql, 1, params, &rows, NULL, &e) < 0) {
        fprintf(stderr, "\ntest_ops: %s\n", e.msg);
        return NULL;
    }
    if (rows.n_rows == 1 && rows.n_cols >= 1 && pg_rows_get(&rows, 0, 0))
        v = strdup(pg_rows_get(&rows, 0, 0));
    pg_rows_release(&rows);
    return v;
}

/* Everything the schema holds, as text: columns with types, nullability and
 * defaults; constraints; indexes; comments; and the rows of every table. */
static char *fingerprint(struct conn *c)
{
    return query_one(c,
        "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
        " SELECT format('col %s.%s %s %s %s', c.relname, a.attname,"
        "   format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) AS x"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'"
        " UNION ALL"
        " SELECT format('con %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))"
        " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1"
        " UNION ALL"
        " SELECT format('idx %s', pg_get_indexdef(i.indexrelid))"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1"
        " UNION ALL"
        " SELECT format('comment %s.%s %s', c.relname, a.attname,"
        "   col_description(c.oid, a.attnum))"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL"
        " UNION ALL"
        " SELECT format('comment %s %s', c.relname, obj_description(c.oid, 'pg_class'))"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND obj_description(c.oid, 'pg_class') IS NOT NULL"
        " UNION ALL"
        " SELECT format('rows %s %s', c.relname,"
        "   (xpath('/row/c/text()', query_to_xml(format('SELECT string_agg(t::text, %L ORDER BY t::text)"
        " AS c FROM %I.%I t', '|', n.nspname, c.relname), false, true, '')))[1]::text)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND c.relkind = 'r'"
        ") s");
}

#define H "we\"ird; DROP TABLE x; --\n\\ \xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc"

/* Every op, as a plugin would call them, with hostile names and values.
 * No CONCURRENTLY here: the offline script runs as one simple query, i.e.
 * one implicit transaction. */
static int every_op(runner_op *op, const char *s)
{
    const char *values[] = { "1", "O'Brien \\' ; --\n", "2", NULL, "3", "\\", "4", "a\\'b''c" };
    runner_table t = {
        .schema = s, .name = H,
        .columns = RUNNER_COLUMNS(
            { .name = "id", .type = "integer", .primary_key = 1, .comment = "it's \\ the id" },
            { .name = H, .type = "text", .server_default = "'x'", .unique = 1 },
            { .name = "n", .type = "integer", .not_null = 1, .server_default = "0" }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_CHECK, .name = "ck\"1",
                                            .check = "id > 0" }),
        .comment = "t\\'able",
    };
    runner_table child = {
        .schema = s, .name = "child",
        .columns = RUNNER_COLUMNS({ .name = "id", .type = "integer", .primary_key = 1 },
                                  { .name = "pid", .type = "integer" }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_FOREIGN_KEY, .name = "fk;x",
                                            .columns = RUNNER_NAMES("pid"), .ref_schema = s,
                                            .ref_table = H, .ref_columns = RUNNER_NAMES("id"),
                                            .on_delete = "set null", .on_update = "cascade" }),
    };
    runner_alter retype = { .type = "integer", .using_expr = "coalesce(length(\"a\"\"dd\"), 0)",
                            .nullable = RUNNER_SET_NOT_NULL, .server_default = "7",
                            .new_name = "re\"named" };
    runner_alter relax = { .nullable = RUNNER_SET_NULLABLE, .drop_default = 1 };

    if (op_create_table(op, &t) || op_create_table(op, &child) ||
        op_bulk_insert(op, s, H, RUNNER_NAMES("id", H), values, 4) ||
        op_add_column(op, s, H, &(runner_column){ .name = "a\"dd", .type = "varchar(10)",
                                                  .comment = "c'" }) ||
        op_alter_column(op, s, H, "a\"dd", &retype) ||
        op_alter_column(op, s, H, "n", &relax) ||
        op_create_index(op, &(runner_index){ .schema = s, .table = "child",
                                             .columns = RUNNER_NAMES("pid", "id") }) ||
        op_create_index(op, &(runner_index){ .name = "ix;1", .schema = s, .table = H,
                                             .columns = RUNNER_NAMES("id", H), .unique = 1,
                                             .where = "id > 1" }) ||
        op_create_index(op, &(runner_index){ .name = "ix\"expr", .schema = s, .table = H,
                                             .expressions = RUNNER_NAMES("lower(\"" "we\"\"ird; DROP TABLE x; --\n\\ \xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc" "\")") }) ||
        op_create_constraint(op, s, H, &(runner_constraint){ .kind = RUNNER_UNIQUE, .name = "uq\"x",
                                                             .columns = RUNNER_NAMES("id", "re\"named") }) ||
        op_create_constraint(op, s, "child", &(runner_constraint){ .kind = RUNNER_CHECK,
                                                                   .name = "ck'2",
                                                                   .check = "pid <> 0" }) ||
        op_drop_constraint(op, s, H, "uq\"x") ||
        op_bulk_insert(op, s, "child", RUNNER_NAMES("id", "pid"),
                       RUNNER_NAMES("10", "1", "11", NULL), 2) ||
        op_execute_params(op, "UPDATE \"child\" SET pid = $1::int WHERE id = $2::int", 2,
                          RUNNER_NAMES("4", "11")) ||
        op_drop_index(op, s, "ix\"expr") ||
        op_drop_column(op, s, "child", "id") ||
        op_rename_table(op, s, "child", "ch'ild\\") ||
        op_execute(op, "CREATE TABLE \"gone\" (a int); DROP TABLE \"gone\"") ||
        op_create_table(op, &(runner_table){ .schema = s, .name = "dropped",
                                             .columns = RUNNER_COLUMNS({ .name = "a",
                                                                         .type = "int" }) }) ||
        op_drop_table(op, s, "dropped"))
        return -1;
    return 0;
}

/* search_path: the unqualified names in every_op's raw SQL. */
static int set_search_path(struct conn *c)
{
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;
    int ret;

    strbuf_addf(&sb, "SET search_path = %s", c->qschema);
    ret = pg_exec(&c->db, strbuf_str(&sb), &e);
    strbuf_release(&sb);
    return ret;
}

static void test_ops_every_op_runs_online_and_offline_script_builds_the_same(void)
{
    struct conn c;
    struct op_state st;
    struct err e = ERR_INIT;
    char *online = NULL, *offline = NULL, *script = NULL;
    size_t len = 0;
    FILE *f;

    CU_ASSERT_FATAL(conn_open(&c, "every") == 0);
    CU_ASSERT_FATAL(set_search_path(&c) == 0);
    ops_init(&st, &c.db, "ae1027a6acf", "plugins/ae1027a6acf_every.so");
    CU_ASSERT_EQUAL(op_is_offline(&st.head), 0);
    CU_ASSERT_PTR_EQUAL(op_pgconn(&st.head), pg_conn(&c.db));
    CU_ASSERT_EQUAL(every_op(&st.head, c.schema), 0);
    if (st.err.code != ERR_OK)
        fprintf(stderr, "\ntest_ops: %s\n", st.err.msg);
    online = fingerprint(&c);
    CU_ASSERT_PTR_NOT_NULL(online);
    /* the data went in and came back intact */
    CU_ASSERT_PTR_NOT_NULL(online ? strstr(online, "(1,\"O'Brien \\\\' ; --\n\",") : NULL);
    CU_ASSERT_PTR_NOT_NULL(online ? strstr(online, "idx CREATE UNIQUE INDEX \"ix;1\"") : NULL);

    /* the same ops offline, then the script run as one simple query */
    f = open_memstream(&script, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ops_sql_init(&st, f, "ae1027a6acf", "plugins/ae1027a6acf_every.so");
    CU_ASSERT_EQUAL(every_op(&st.head, c.schema), 0);
    fclose(f);
    conn_close(&c);
    CU_ASSERT_FATAL(conn_open(&c, "every") == 0);
    CU_ASSERT_FATAL(set_search_path(&c) == 0);
    CU_ASSERT_EQUAL(pg_exec(&c.db, script, &e), 0);
    if (e.code != ERR_OK)
        fprintf(stderr, "\ntest_ops: %s\n", e.msg);
    offline = fingerprint(&c);
    CU_ASSERT_PTR_NOT_NULL(offline);
    if (online && offline) {
        CU_ASSERT_STRING_EQUAL(online, offline);
        if (strcmp(online, offline) != 0)
            fprintf(stderr, "\n--- online:\n%s\n--- offline:\n%s\n", online, offline);
    }
    free(online);
    free(offline);
    free(script);
    conn_close(&c);
}

/* Values are parameters: hostile text and NULL come back byte for byte, and
 * more rows than one statement may carry go in chunks. */
static void test_ops_bulk_insert_sends_values_as_parameters(void)
{
    enum { ROWS = 2500 };
    char (*ids)[8] = calloc(ROWS, sizeof(*ids));
    const char **values = calloc(2 * ROWS, sizeof(*values));
    struct conn c;
    struct op_state st;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CU_ASSERT_PTR_NOT_NULL_FATAL(values);
    CU_ASSERT_FATAL(conn_open(&c, "bulk") == 0);
    ops_init(&st, &c.db, "r1", "r1.so");
    CU_ASSERT_EQUAL(op_create_table(&st.head, &(runner_table){
        .schema = c.schema, .name = "t",
        .columns = RUNNER_COLUMNS({ .name = "id", .type = "integer" },
                                  { .name = "v", .type = "text" }) }), 0);
    for (int i = 0; i < ROWS; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%d", i);
        values[2 * i] = ids[i];
        values[2 * i + 1] = i % 3 == 0 ? "'); DROP TABLE t; --\\" : i % 3 == 1 ? NULL : "$1";
    }
    CU_ASSERT_EQUAL(op_bulk_insert(&st.head, c.schema, "t", RUNNER_NAMES("id", "v"), values,
                                   ROWS), 0);
    CU_ASSERT_EQUAL(op_bulk_insert(&st.head, c.schema, "t", RUNNER_NAMES("id", "v"), NULL, 0), 0);
    CU_ASSERT_EQUAL(st.err.code, ERR_OK);
    {
        struct strbuf sb = STRBUF_INIT;
        struct pg_rows rows = PG_ROWS_INIT;
        struct err e = ERR_INIT;

        strbuf_addf(&sb, "SELECT count(*), count(v),"
                         " count(*) FILTER (WHERE v = '''); DROP TABLE t; --\\'),"
                         " count(*) FILTER (WHERE v = '$1'), sum(id) FROM %s.\"t\"", c.qschema);
        CU_ASSERT_EQUAL(pg_query(&c.db, strbuf_str(&sb), 0, NULL, &rows, NULL, &e), 0);
        CU_ASSERT_STRING_EQUAL(pg_rows_get(&rows, 0, 0), "2500");
        CU_ASSERT_STRING_EQUAL(pg_rows_get(&rows, 0, 1), "1667");
        CU_ASSERT_STRING_EQUAL(pg_rows_get(&rows, 0, 2), "834");
        CU_ASSERT_STRING_EQUAL(pg_rows_get(&rows, 0, 3), "833");
        CU_ASSERT_STRING_EQUAL(pg_rows_get(&rows, 0, 4), "3123750");
        pg_rows_release(&rows);
        strbuf_release(&sb);
    }
    free(values);
    free(ids);
    conn_close(&c);
}

/* A server error keeps the first failure with its SQLSTATE and the
 * revision, and later ops do not run. */
static void test_ops_server_error_keeps_first_failure(void)
{
    struct conn c;
    struct op_state st;
    const char *prefix = "revision r1 (plugins/r1.so): op_drop_table: table \"nope\" does not exist";
    char *got;

    CU_ASSERT_FATAL(conn_open(&c, "err") == 0);
    ops_init(&st, &c.db, "r1", "plugins/r1.so");
    CU_ASSERT_EQUAL(op_drop_table(&st.head, c.schema, "nope"), -1);
    CU_ASSERT_EQUAL(st.err.code, ERR_FAIL);
    CU_ASSERT_STRING_EQUAL(st.err.sqlstate, "42P01");
    CU_ASSERT(strncmp(st.err.msg, prefix, strlen(prefix)) == 0);
    if (strncmp(st.err.msg, prefix, strlen(prefix)) != 0)
        fprintf(stderr, "\ntest_ops: got: %s\n", st.err.msg);
    CU_ASSERT_PTR_NULL(strchr(st.err.msg, '\n'));
    /* the next op is refused without touching the database */
    CU_ASSERT_EQUAL(op_create_table(&st.head, &(runner_table){
        .schema = c.schema, .name = "later",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }) }), -1);
    CU_ASSERT(strncmp(st.err.msg, prefix, strlen(prefix)) == 0);
    got = query_one(&c, "SELECT count(*)::text FROM pg_tables WHERE schemaname = $1");
    CU_ASSERT_STRING_EQUAL(got ? got : "", "0");
    free(got);
    conn_close(&c);
}

/* Rendered statements go through the extended protocol: a fragment that
 * tries to add a statement fails and nothing of it runs. */
static void test_ops_fragment_cannot_add_a_statement(void)
{
    struct conn c;
    struct op_state st;
    char *got;

    CU_ASSERT_FATAL(conn_open(&c, "frag") == 0);
    ops_init(&st, &c.db, "r1", NULL);
    CU_ASSERT_EQUAL(op_create_table(&st.head, &(runner_table){
        .schema = c.schema, .name = "keep",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }) }), 0);
    CU_ASSERT_EQUAL(op_add_column(&st.head, c.schema, "keep", &(runner_column){
        .name = "b", .type = "int; DROP TABLE keep" }), -1);
    CU_ASSERT_STRING_EQUAL(st.err.sqlstate, "42601");
    got = query_one(&c, "SELECT string_agg(tablename, ',')::text FROM pg_tables WHERE schemaname = $1");
    CU_ASSERT_STRING_EQUAL(got ? got : "", "keep");
    free(got);
    conn_close(&c);
}

/* CREATE INDEX CONCURRENTLY runs when no transaction is open (a
 * RUNNER_NO_TRANSACTION revision), and the raw connection is usable. */
static void test_ops_create_index_concurrently_outside_transaction(void)
{
    struct conn c;
    struct op_state st;
    char *got;

    CU_ASSERT_FATAL(conn_open(&c, "cic") == 0);
    ops_init(&st, &c.db, "r1", NULL);
    CU_ASSERT_EQUAL(op_create_table(&st.head, &(runner_table){
        .schema = c.schema, .name = "users",
        .columns = RUNNER_COLUMNS({ .name = "email", .type = "text" }) }), 0);
    CU_ASSERT_EQUAL(op_create_index(&st.head, &(runner_index){
        .schema = c.schema, .table = "users", .columns = RUNNER_NAMES("email"),
        .unique = 1, .concurrently = 1 }), 0);
    CU_ASSERT_EQUAL(st.err.code, ERR_OK);
    got = query_one(&c, "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1");
    CU_ASSERT_STRING_EQUAL(got ? got : "", "ix_users_email");
    free(got);
    CU_ASSERT_PTR_NOT_NULL(op_pgconn(&st.head));
    conn_close(&c);
}

/* A data migration's raw connection may drop the session's prepared
 * statements (DEALLOCATE ALL): the statement pg_query_reused() prepared
 * before still runs after it (prepared again), and the session is marked
 * disturbed, for the step's check of the migration lock. */
static void test_ops_pgconn_deallocate_all_then_reused_statement_runs(void)
{
    struct conn c;
    struct op_state st;
    struct err e = ERR_INIT;
    PGconn *raw;
    PGresult *res;

    CU_ASSERT_FATAL(conn_open(&c, "dealloc") == 0);
    c.db.reuse_plans = 1;
    CU_ASSERT_EQUAL(pg_query_reused(&c.db, "SELECT 1", 0, NULL, NULL, NULL, &e), 0);
    CU_ASSERT_EQUAL(pg_query_reused(&c.db, "SELECT 1", 0, NULL, NULL, NULL, &e), 0);
    ops_init(&st, &c.db, "r1", NULL);
    raw = op_pgconn(&st.head);
    CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
    CU_ASSERT_EQUAL(c.db.disturbed, 1);     /* the step checks the lock after it */
    res = PQexec(raw, "DEALLOCATE ALL");
    CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    CU_ASSERT_EQUAL(pg_query_reused(&c.db, "SELECT 1", 0, NULL, NULL, NULL, &e), 0);
    if (e.code != ERR_OK)
        fprintf(stderr, "\ntest_ops: %s\n", e.msg);
    conn_close(&c);
}

CU_TestInfo ops_tests[] = {
    { "op_pgconn: DEALLOCATE ALL, then a reused statement runs",
      test_ops_pgconn_deallocate_all_then_reused_statement_runs },
    { "every op runs online; the offline script builds the same schema",
      test_ops_every_op_runs_online_and_offline_script_builds_the_same },
    { "bulk insert sends values as parameters", test_ops_bulk_insert_sends_values_as_parameters },
    { "server error keeps the first failure", test_ops_server_error_keeps_first_failure },
    { "a fragment cannot add a statement", test_ops_fragment_cannot_add_a_statement },
    { "create index concurrently outside a transaction",
      test_ops_create_index_concurrently_outside_transaction },
    CU_TEST_INFO_NULL,
};
