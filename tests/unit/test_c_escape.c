/* test_c_escape.c -- the one C escaper (util/c_escape.c) and the SQL that
 * autogenerate writes into C: hostile ids and messages cannot end a
 * comment or a string early, and SQL literals mean the same under either
 * standard_conforming_strings. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_escape.h"
#include "codegen.h"
#include "diff.h"
#include "revision_source.h"
#include "schema.h"
#include "strbuf.h"

static void test_c_escape_comment_cannot_end_early(void)
{
    struct strbuf sb = STRBUF_INIT;

    c_escape_comment(&sb, "a*/b/*c?\?/\n", C_COMMENT_ONE_LINE);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "a* /b/ *c? ?/\\n");
    strbuf_reset(&sb);
    c_escape_comment(&sb, "x\x1b[2J\r\n * Revision ID: fake", C_COMMENT_ONE_LINE);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "x\\x1b[2J\\x0d\\n * Revision ID: fake");
    strbuf_reset(&sb);
    c_escape_comment(&sb, "one\ntwo */", C_COMMENT_LINES);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "one\n * two * /");
    strbuf_reset(&sb);
    c_escape_comment(&sb, "rlo \xe2\x80\xae!", C_COMMENT_LINES);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "rlo <U+202E>!");
    strbuf_release(&sb);
}

static void test_c_escape_literal_cannot_end_early(void)
{
    struct strbuf sb = STRBUF_INIT;

    c_escape_literal(&sb, "\"); system(\"x\"); (\"\\");
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "\"\\\"); system(\\\"x\\\"); (\\\"\\\\\"");
    strbuf_release(&sb);
}

/* The first comment end of the file must be the header's own. */
static void test_revision_header_ids_go_through_the_escaper(void)
{
    char dir[] = "/tmp/runner-test-c-escape-XXXXXX";
    const char *down[] = { "x*/ int evil; /*", "y\n * Revision ID: fake" };
    struct revision_spec s = { 0 };
    struct err e = ERR_INIT;
    char *path = NULL;
    char text[8192], cmd[2048];
    size_t n;
    FILE *f;
    int status;

    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    s.id = "abc";
    s.message = "hostile */ message\n#include <stdlib.h>";
    s.down = down;
    s.n_down = 2;
    s.dir = dir;
    CU_ASSERT_EQUAL_FATAL(revision_write(&s, &path, &e), 0);
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, " * Revises: x* / int evil; / *, y\\n * Revision ID: fake\n"));
    CU_ASSERT_PTR_EQUAL(strstr(text, "*/"), strstr(text, " */\n#include <runner/plugin.h>") + 1);
    /* only one Revision ID line */
    CU_ASSERT_PTR_NULL(strstr(strstr(text, "\n * Revision ID: ") + 1, "\n * Revision ID: "));
    snprintf(cmd, sizeof(cmd),
             "cc -std=c11 -Wall -Wextra -Werror -pedantic -shared -fPIC -I %s/../plugin-api/include "
             "%s -o %s/rev.so 2>&1", TEST_SOURCE_DIR, path, dir);
    status = system(cmd);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    free(path);
}

/* Under standard_conforming_strings=off, 'x\' never ends: the value ending
 * in a backslash must be written E'x\\'. */
static void test_codegen_sql_literals_survive_either_string_setting(void)
{
    char *labels[] = { "a'b", "ends in a backslash\\" };
    struct schema_table t = { .schema = "public", .name = "t", .comment = "c:\\dir\\" };
    struct schema_table before = { .schema = "public", .name = "t" };
    struct schema_enum en = { .schema = "public", .name = "mood", .labels = labels, .n_labels = 2 };
    struct diff_op ops[] = {
        { .kind = DIFF_TABLE_COMMENT, .table = &t, .from_table = &before },
        { .kind = DIFF_ADD_ENUM, .enum_type = &en },
    };
    struct diff d = { ops, 2 };
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;

    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    /* the C text of: COMMENT ON TABLE "t" IS E'c:\\dir\\' */
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "COMMENT ON TABLE \\\"t\\\" IS E'c:\\\\\\\\dir\\\\\\\\'"));
    /* ... AS ENUM ('a''b', E'ends in a backslash\\') */
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "AS ENUM ('a''b', E'ends in a backslash\\\\\\\\')"));
    if (!strstr(up, "IS E'"))
        fprintf(stderr, "\n%s\n", up);
    free(up);
    free(down);
}

CU_TestInfo c_escape_tests[] = {
    { "a comment cannot end early", test_c_escape_comment_cannot_end_early },
    { "a literal cannot end early", test_c_escape_literal_cannot_end_early },
    { "revision header ids go through the escaper",
      test_revision_header_ids_go_through_the_escaper },
    { "codegen SQL literals survive either string setting",
      test_codegen_sql_literals_survive_either_string_setting },
    CU_TEST_INFO_NULL,
};
