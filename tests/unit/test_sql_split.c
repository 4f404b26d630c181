/* test_sql_split.c -- sql_split() cuts a script at its top-level ';' only. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "sql_split.h"

/* Split script and compare with want (NULL-terminated). */
static void check(const char *script, const char *const *want)
{
    struct sql_split s = SQL_SPLIT_INIT;
    size_t n = 0;

    while (want[n])
        n++;
    CU_ASSERT_EQUAL_FATAL(sql_split(script, &s), 0);
    CU_ASSERT_EQUAL(s.n, n);
    if (s.n != n)
        fprintf(stderr, "\nsql_split(%s): %zu pieces, want %zu\n", script, s.n, n);
    for (size_t i = 0; i < s.n && i < n; i++) {
        CU_ASSERT_STRING_EQUAL(s.stmts[i], want[i]);
        if (strcmp(s.stmts[i], want[i]) != 0)
            fprintf(stderr, "\npiece %zu: got [%s], want [%s]\n", i, s.stmts[i], want[i]);
    }
    sql_split_release(&s);
}

static void test_sql_split_plain_statements(void)
{
    check("CREATE TABLE a (id int); ALTER TABLE a ADD b int;\n",
          (const char *[]){ "CREATE TABLE a (id int)", "ALTER TABLE a ADD b int", NULL });
}

static void test_sql_split_one_statement_without_semicolon(void)
{
    check("  SELECT 1  ", (const char *[]){ "SELECT 1", NULL });
}

static void test_sql_split_semicolons_in_literals_and_identifiers_stay(void)
{
    check("INSERT INTO t VALUES ('a;b', 'it''s;'); CREATE TABLE \"x;\"\"y\" (id int)",
          (const char *[]){ "INSERT INTO t VALUES ('a;b', 'it''s;')",
                            "CREATE TABLE \"x;\"\"y\" (id int)", NULL });
}

static void test_sql_split_escape_string_backslash_quote(void)
{
    check("SELECT E'a\\';b'; SELECT 2",
          (const char *[]){ "SELECT E'a\\';b'", "SELECT 2", NULL });
}

static void test_sql_split_dollar_quoted_body_stays_whole(void)
{
    check("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;"
          "DO $$BEGIN PERFORM 1; END$$",
          (const char *[]){ "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$",
                            "DO $$BEGIN PERFORM 1; END$$", NULL });
}

static void test_sql_split_parameter_is_not_a_dollar_quote(void)
{
    check("SELECT $1; SELECT 2", (const char *[]){ "SELECT $1", "SELECT 2", NULL });
}

static void test_sql_split_comments_hide_semicolons_and_empty_pieces_drop(void)
{
    check("-- a; b\nSELECT 1 /* x; /* nested; */ y; */; ;  -- only a comment;\n",
          (const char *[]){ "-- a; b\nSELECT 1 /* x; /* nested; */ y; */", NULL });
}

CU_TestInfo sql_split_tests[] = {
    { "plain statements", test_sql_split_plain_statements },
    { "one statement without semicolon", test_sql_split_one_statement_without_semicolon },
    { "semicolons in literals and identifiers stay",
      test_sql_split_semicolons_in_literals_and_identifiers_stay },
    { "escape string backslash quote", test_sql_split_escape_string_backslash_quote },
    { "dollar-quoted body stays whole", test_sql_split_dollar_quoted_body_stays_whole },
    { "parameter is not a dollar quote", test_sql_split_parameter_is_not_a_dollar_quote },
    { "comments hide semicolons, empty pieces drop",
      test_sql_split_comments_hide_semicolons_and_empty_pieces_drop },
    CU_TEST_INFO_NULL,
};
