/* test_checksum.c -- SHA-256 of revision sources: the standard vectors,
 * and line endings normalised (CRLF, lone CR and LF sources hash alike),
 * also across checksum_file()'s read chunks. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"

static void hash(const char *s, char out[CHECKSUM_HEX_SIZE])
{
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(checksum_buf(s, strlen(s), out, &e), 0);
}

static void test_checksum_known_vectors(void)
{
    char out[CHECKSUM_HEX_SIZE];

    hash("", out);
    CU_ASSERT_STRING_EQUAL(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash("abc", out);
    CU_ASSERT_STRING_EQUAL(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", out);
    CU_ASSERT_STRING_EQUAL(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* LF-only text is hashed as it is: sha256("a\nb\n") */
    hash("a\nb\n", out);
    CU_ASSERT_STRING_EQUAL(out, "911169ddaaf146aff539f58c26c489af3b892dff0fe283c1c264c65ae5aa59a2");
}

static void test_checksum_crlf_and_cr_hash_like_lf(void)
{
    char lf[CHECKSUM_HEX_SIZE], crlf[CHECKSUM_HEX_SIZE], cr[CHECKSUM_HEX_SIZE];
    char mixed[CHECKSUM_HEX_SIZE], other[CHECKSUM_HEX_SIZE];

    hash("int x;\nint y;\n\nint z;\n", lf);
    hash("int x;\r\nint y;\r\n\r\nint z;\r\n", crlf);
    hash("int x;\rint y;\r\rint z;\r", cr);
    hash("int x;\r\nint y;\r\nint z;\n", other);   /* one blank line fewer */
    hash("int x;\r\nint y;\r\rint z;\n", mixed);
    CU_ASSERT_STRING_EQUAL(crlf, lf);
    CU_ASSERT_STRING_EQUAL(cr, lf);
    CU_ASSERT_STRING_EQUAL(mixed, lf);
    CU_ASSERT_STRING_NOT_EQUAL(other, lf);
    /* LF then CR is two line endings, not one */
    hash("a\n\rb", other);
    hash("a\n\nb", cr);
    CU_ASSERT_STRING_EQUAL(other, cr);
    hash("a\nb", cr);
    CU_ASSERT_STRING_NOT_EQUAL(other, cr);
}

/* A file whose CRLF straddles the 64 KiB read chunk hashes as with LF. */
static void test_checksum_file_crlf_across_chunks(void)
{
    char path[] = "/tmp/runner-test-checksum-XXXXXX";
    size_t n = 65536 + 100;
    char *buf = malloc(n), *lfbuf = malloc(n);
    char from_file[CHECKSUM_HEX_SIZE], from_buf[CHECKSUM_HEX_SIZE];
    struct err e = ERR_INIT;
    size_t m = 0;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lfbuf);
    memset(buf, 'x', n);
    buf[65535] = '\r';      /* last byte of the first chunk */
    buf[65536] = '\n';      /* first byte of the second */
    buf[n - 2] = '\r';
    buf[n - 1] = '\r';      /* a lone CR at the very end */
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n')
            continue;
        lfbuf[m++] = buf[i] == '\r' ? '\n' : buf[i];
    }
    fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, buf, n), (ssize_t)n);
    close(fd);
    CU_ASSERT_EQUAL(checksum_file(path, from_file, &e), 0);
    CU_ASSERT_EQUAL(checksum_buf(lfbuf, m, from_buf, &e), 0);
    CU_ASSERT_STRING_EQUAL(from_file, from_buf);
    CU_ASSERT_EQUAL(strlen(from_file), 64);
    unlink(path);

    CU_ASSERT_EQUAL(checksum_file(path, from_file, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "No such file or directory"));
    free(buf);
    free(lfbuf);
}

CU_TestInfo checksum_tests[] = {
    { "known SHA-256 vectors", test_checksum_known_vectors },
    { "CRLF and CR sources hash like LF", test_checksum_crlf_and_cr_hash_like_lf },
    { "file: CRLF across read chunks", test_checksum_file_crlf_across_chunks },
    CU_TEST_INFO_NULL,
};
