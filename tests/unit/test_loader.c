/* test_loader.c -- the loader reads metadata without running plugins, says
 * exactly what is wrong with each bad one, refuses unsafe plugin
 * directories, and opens and closes plugins cleanly.
 *
 * The plugins come from tests/plugins/loader (built into TEST_PLUGIN_DIR
 * "/loader/{good,bad}"); files that cannot be built (text files, truncated
 * copies, crafted ELF headers) are made here, in temporary directories. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "graph.h"
#include "loader.h"

#define GOOD_DIR TEST_PLUGIN_DIR "/loader/good"
#define BAD_DIR TEST_PLUGIN_DIR "/loader/bad"

/* ---- helpers ---------------------------------------------------------- */

/* snprintf into an array, failing the test when it does not fit. */
#define FMT(buf, ...) CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* A fresh 0700 directory; *buf holds its path. */
static int make_tmpdir(char buf[PATH_MAX])
{
    snprintf(buf, PATH_MAX, "/tmp/runner-test-loader-XXXXXX");
    return mkdtemp(buf) ? 0 : -1;
}

/* rm -r of a directory made by make_tmpdir (one level of subdirectories). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];
    struct stat st;

    if (!d)
        return;
    chmod(dir, 0700);
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        FMT(path, "%s/%s", dir, de->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Copy at most `limit` bytes (all when limit is 0) of src to dst, mode 0644. */
static int copy_file(const char *src, const char *dst, size_t limit)
{
    char buf[65536];
    size_t total = 0;
    int in, out, ret = -1;

    in = open(src, O_RDONLY);
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    for (;;) {
        size_t want = sizeof(buf);
        ssize_t r;

        if (limit && limit - total < want)
            want = limit - total;
        if (want == 0)
            break;
        r = read(in, buf, want);
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        if (write(out, buf, (size_t)r) != r)
            goto out;
        total += (size_t)r;
    }
    ret = fchmod(out, 0644);
out:
    close(in);
    close(out);
    return ret;
}

static int write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok;

    if (fd < 0)
        return -1;
    ok = write(fd, data, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

/* A tmp dir holding copies of the good plugins. */
static int make_good_copy(char dir[PATH_MAX])
{
    static const char *const names[] = { "good_base.so", "good_child.so", "good_ctor.so" };
    char src[PATH_MAX], dst[PATH_MAX];

    if (make_tmpdir(dir) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        FMT(src, "%s/%s", GOOD_DIR, names[i]);
        FMT(dst, "%s/%s", dir, names[i]);
        if (copy_file(src, dst, 0) < 0)
            return -1;
    }
    return 0;
}

/* loader_read_meta on `path` fails with "plugin '<path>': <what>". */
static void expect_meta_error(const char *path, const char *what)
{
    struct runner_revision m;
    struct err e = ERR_INIT;
    char want[ERR_MSG_SIZE];

    FMT(want, "plugin '%s': %s", path, what);
    CU_ASSERT_EQUAL(loader_read_meta(path, &m, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    CU_ASSERT_EQUAL(e.code, ERR_FAIL);
    if (strcmp(e.msg, want) != 0)
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", e.msg, want);
}

static void expect_bad(const char *name, const char *what)
{
    char path[PATH_MAX];

    FMT(path, "%s/%s", BAD_DIR, name);
    expect_meta_error(path, what);
}

/* plugin_open on a bad plugin fails with "plugin '<path>': <what>" and
 * leaves *p zeroed. */
static void expect_open_error(const char *name, const char *expect_id, const char *what)
{
    struct plugin p;
    struct err e = ERR_INIT;
    char path[PATH_MAX], want[ERR_MSG_SIZE];

    FMT(path, "%s/%s", BAD_DIR, name);
    FMT(want, "plugin '%s': %s", path, what);
    CU_ASSERT_EQUAL(plugin_open(&p, path, expect_id, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    if (strcmp(e.msg, want) != 0)
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", e.msg, want);
    CU_ASSERT_PTR_NULL(p.handle);
    CU_ASSERT_PTR_NULL(p.upgrade);
    plugin_close(&p);   /* harmless on a zeroed plugin */
}

/* An ELF header of the given class, byte order, type and machine. */
static void write_ehdr(const char *path, int cls, int data, unsigned type, unsigned machine)
{
    unsigned char buf[sizeof(Elf64_Ehdr)];
    unsigned n;

    memset(buf, 0, sizeof(buf));
    memcpy(buf, ELFMAG, SELFMAG);
    buf[EI_CLASS] = (unsigned char)cls;
    buf[EI_DATA] = (unsigned char)data;
    buf[EI_VERSION] = EV_CURRENT;
    if (cls == ELFCLASS32) {
        Elf32_Ehdr h;

        memcpy(&h, buf, sizeof(h));
        h.e_type = (Elf32_Half)type;
        h.e_machine = (Elf32_Half)machine;
        h.e_ehsize = sizeof(h);
        memcpy(buf, &h, sizeof(h));
        n = sizeof(h);
    } else {
        Elf64_Ehdr h;

        memcpy(&h, buf, sizeof(h));
        h.e_type = (Elf64_Half)type;
        h.e_machine = (Elf64_Half)machine;
        h.e_ehsize = sizeof(h);
        memcpy(buf, &h, sizeof(h));
        n = sizeof(h);
    }
    CU_ASSERT_EQUAL_FATAL(write_file(path, buf, n), 0);
}

/* ---- reading metadata --------------------------------------------------- */

static void test_loader_reads_good_metadata_and_checksum(void)
{
    struct runner_revision m;
    struct err e = ERR_INIT;
    char sum[CHECKSUM_HEX_SIZE];

    CU_ASSERT_EQUAL_FATAL(loader_read_meta(GOOD_DIR "/good_child.so", &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.revision, "bbbb00000002");
    CU_ASSERT_STRING_EQUAL(m.down_revision[0], "aaaa00000001");
    CU_ASSERT_STRING_EQUAL(m.down_revision[1], "");
    CU_ASSERT_STRING_EQUAL(m.depends_on[0], "aaaa00000001");
    CU_ASSERT_STRING_EQUAL(m.message, "Loader test child");
    CU_ASSERT_STRING_EQUAL(m.create_date, "2026-11-26 12:01:00");
    CU_ASSERT_EQUAL(m.flags, RUNNER_NO_TRANSACTION);

    /* runner_add_revision embedded the same checksum checksum.c computes */
    CU_ASSERT_EQUAL_FATAL(checksum_file(TEST_SOURCE_DIR "/plugins/loader/good/good_child.c", sum, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, sum);

    CU_ASSERT_EQUAL_FATAL(loader_read_meta(GOOD_DIR "/good_base.so", &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.revision, "aaaa00000001");
    CU_ASSERT_STRING_EQUAL(m.branch_labels[0], "loadertest");
    CU_ASSERT_STRING_EQUAL(m.down_revision[0], "");

    /* the helper normalised CRLF like checksum.c: a CRLF copy of
     * good_base.c carries the checksum of the LF original */
    CU_ASSERT_EQUAL_FATAL(checksum_file(TEST_SOURCE_DIR "/plugins/loader/good/good_base.c", sum, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, sum);
    CU_ASSERT_EQUAL_FATAL(loader_read_meta(TEST_PLUGIN_DIR "/loader/crlf/crlf_base.so", &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, sum);
    CU_ASSERT_EQUAL(strlen(sum), 64);
}

static void test_loader_bad_metadata_each_has_its_error(void)
{
    char what[128];

    expect_bad("bad_no_section.so", "no metadata section '.runner_rev'");
    FMT(what, "metadata section too small (8 bytes, expected %zu)", (size_t)RUNNER_META_SIZE_V1);
    expect_bad("bad_small_section.so", what);
    expect_bad("bad_magic.so", "wrong magic 0xdeadbeef (expected 0x524e5252)");
    expect_bad("bad_abi_version.so", "ABI version 99, this runner supports 1");
    FMT(what, "metadata size 100, expected %zu or %zu", (size_t)RUNNER_META_SIZE_V1,
        sizeof(struct runner_revision));
    expect_bad("bad_size.so", what);
    expect_bad("bad_empty_id.so", "empty revision id");
    expect_bad("bad_long_id.so", "revision id is unterminated or longer than 32 characters");
    expect_bad("bad_long_down.so",
               "down_revision entry 2 is unterminated or longer than 32 characters");
    expect_bad("bad_long_label.so",
               "branch_labels entry 1 is unterminated or longer than 32 characters");
    expect_bad("bad_long_depends.so",
               "depends_on entry 1 is unterminated or longer than 32 characters");
    expect_bad("bad_empty_down_entry.so", "down_revision entry 2 follows an empty entry");
    expect_bad("bad_illegal_char.so",
               "character(s) '-, @' not allowed in revision identifier 'bad-0000@0c'");
    expect_bad("bad_unterminated_message.so", "unterminated message");
    expect_bad("bad_unterminated_date.so", "unterminated create_date");
}

/* The ABI 1 layout is pinned: members are only appended (plugin.h), so
 * ABI 1's first 1452 bytes stay where they were; a change there must bump
 * RUNNER_ABI_VERSION, and then these numbers. */
static void test_loader_abi_1_layout_is_pinned(void)
{
    CU_ASSERT_EQUAL(RUNNER_ABI_VERSION, 1);
    CU_ASSERT_EQUAL(RUNNER_META_SIZE_V1, 1452);
    CU_ASSERT_EQUAL(offsetof(struct runner_revision, lint_allow), 1452);
    CU_ASSERT_EQUAL(sizeof(struct runner_revision), 1452 + RUNNER_LINT_ALLOW_SIZE);
    CU_ASSERT_EQUAL(offsetof(struct runner_revision, revision), 16);
    CU_ASSERT_EQUAL(offsetof(struct runner_revision, message), 16 + 25 * 33);
}

static void test_loader_refuses_non_shared_objects(void)
{
    char path[PATH_MAX];

    expect_bad("bad_executable.so", "not a shared object (executable)");
    expect_bad("bad_object.so", "not a shared object (relocatable object)");
    FMT(path, "%s/bad_32bit.so", BAD_DIR);
    if (access(path, F_OK) == 0)
        expect_bad("bad_32bit.so", "wrong ELF class: 32-bit object, runner is 64-bit");
}

static void test_loader_refuses_generated_bad_files(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct stat st;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);

    FMT(path, "%s/text.so", dir);
    CU_ASSERT_EQUAL(write_file(path, "#!/bin/sh\necho hello\n", 21), 0);
    expect_meta_error(path, "not an ELF file");

    FMT(path, "%s/empty.so", dir);
    CU_ASSERT_EQUAL(write_file(path, "", 0), 0);
    expect_meta_error(path, "not an ELF file");

    FMT(path, "%s/short.so", dir);
    CU_ASSERT_EQUAL(write_file(path, ELFMAG "\2\1\1", 7), 0);
    expect_meta_error(path, "not an ELF file");

    /* header complete, everything it points to cut off */
    FMT(path, "%s/trunc_head.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", path, 200), 0);
    expect_meta_error(path, "truncated file");

    /* the section header table cut in half */
    CU_ASSERT_EQUAL_FATAL(stat(GOOD_DIR "/good_base.so", &st), 0);
    FMT(path, "%s/trunc_tail.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", path, (size_t)st.st_size - 300), 0);
    expect_meta_error(path, "truncated file");

    /* ELF header cut inside */
    FMT(path, "%s/trunc_ehdr.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", path, 40), 0);
    expect_meta_error(path, "truncated file");

#if defined(__x86_64__)
    FMT(path, "%s/elf32.so", dir);
    write_ehdr(path, ELFCLASS32, ELFDATA2LSB, ET_DYN, EM_386);
    expect_meta_error(path, "wrong ELF class: 32-bit object, runner is 64-bit");

    FMT(path, "%s/arm64.so", dir);
    write_ehdr(path, ELFCLASS64, ELFDATA2LSB, ET_DYN, EM_AARCH64);
    expect_meta_error(path, "wrong architecture: aarch64, runner is x86-64");

    FMT(path, "%s/big.so", dir);
    write_ehdr(path, ELFCLASS64, ELFDATA2MSB, ET_DYN, EM_X86_64);
    expect_meta_error(path, "wrong byte order: big-endian object, runner is little-endian");

    FMT(path, "%s/core.so", dir);
    write_ehdr(path, ELFCLASS64, ELFDATA2LSB, ET_CORE, EM_X86_64);
    expect_meta_error(path, "not a shared object (core file)");

    /* a header with no section headers at all */
    FMT(path, "%s/nosh.so", dir);
    write_ehdr(path, ELFCLASS64, ELFDATA2LSB, ET_DYN, EM_X86_64);
    expect_meta_error(path, "no metadata section '.runner_rev' (no section headers)");
#endif

    FMT(path, "%s/missing.so", dir);
    expect_meta_error(path, "cannot open: No such file or directory");

    CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
    expect_meta_error(path, "not a regular file");

    remove_tree(dir);
}

/* ---- scanning ----------------------------------------------------------- */

static void test_loader_scan_lists_in_order_without_running_plugins(void)
{
    char dir[PATH_MAX], marker[PATH_MAX], path[PATH_MAX];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();
    struct plugin p;

    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL_FATAL(make_good_copy(dir), 0);
    FMT(marker, "%s/constructor-ran", dir);
    setenv("RUNNER_TEST_MARKER", marker, 1);

    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    CU_ASSERT_EQUAL_FATAL(graph_count(g), 3);
    /* name order: good_base, good_child, good_ctor */
    CU_ASSERT_STRING_EQUAL(graph_at(g, 0)->id, "aaaa00000001");
    CU_ASSERT_STRING_EQUAL(graph_at(g, 1)->id, "bbbb00000002");
    CU_ASSERT_STRING_EQUAL(graph_at(g, 2)->id, "cccc00000003");
    FMT(path, "%s/good_ctor.so", dir);
    CU_ASSERT_STRING_EQUAL(graph_at(g, 2)->path, path);
    CU_ASSERT_EQUAL(access(marker, F_OK), -1);     /* no plugin code ran */

    /* opening runs the constructor, and only then */
    CU_ASSERT_EQUAL_FATAL(plugin_open(&p, path, "cccc00000003", &e), 0);
    CU_ASSERT_EQUAL(access(marker, F_OK), 0);
    CU_ASSERT_EQUAL(p.upgrade(NULL), 31);
    CU_ASSERT_EQUAL(p.downgrade(NULL), 32);
    CU_ASSERT_STRING_EQUAL(p.meta->revision, "cccc00000003");
    plugin_close(&p);
    CU_ASSERT_PTR_NULL(p.handle);

    unsetenv("RUNNER_TEST_MARKER");
    graph_free(g);
    remove_tree(dir);
}

static void test_loader_scan_ignores_other_files_and_vanished_ones(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);
    FMT(path, "%s/good_base.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", path, 0), 0);
    /* not *.so, hidden, a directory: not plugins */
    FMT(path, "%s/README", dir);
    CU_ASSERT_EQUAL(write_file(path, "x", 1), 0);
    FMT(path, "%s/.hidden.so", dir);
    CU_ASSERT_EQUAL(write_file(path, "x", 1), 0);
    FMT(path, "%s/x.so.tmp", dir);
    CU_ASSERT_EQUAL(write_file(path, "x", 1), 0);
    FMT(path, "%s/sub.so", dir);
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
    /* what a file deleted between readdir() and open() looks like */
    FMT(path, "%s/zz_gone.so", dir);
    CU_ASSERT_EQUAL(symlink("/nonexistent/runner-test.so", path), 0);

    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    CU_ASSERT_EQUAL(graph_count(g), 1);
    graph_free(g);
    remove_tree(dir);
}

static void test_loader_scan_missing_directory_is_error(void)
{
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL(loader_scan("/nonexistent/runner-plugins", &o, g, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg,
        "cannot read plugin directory '/nonexistent/runner-plugins': No such file or directory");
    graph_free(g);
}

static void test_loader_scan_stops_at_bad_plugin_naming_it(void)
{
    char dir[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_good_copy(dir), 0);
    FMT(path, "%s/notes.so", dir);
    CU_ASSERT_EQUAL(write_file(path, "plain text\n", 11), 0);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want, "plugin '%s': not an ELF file", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);
    remove_tree(dir);
}

static void test_loader_scan_duplicate_ids_name_both_files(void)
{
    char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);
    FMT(a, "%s/one.so", dir);
    FMT(b, "%s/two.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", a, 0), 0);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", b, 0), 0);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "aaaa00000001"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, a));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, b));
    graph_free(g);
    remove_tree(dir);
}

/* Copies of good_base.so with the revision id (and down_revision) patched
 * in the metadata section: a linear chain of n revisions t00000000000 ...,
 * named p0000.so ... so that name order is chain order. */
static int make_chain(const char *dir, size_t n)
{
    static const unsigned char head[8] = { 'R', 'R', 'N', 'R', 1, 0, 0, 0 };
    unsigned char *data = NULL;
    size_t size = 0, cap = 0, off;
    unsigned char *hit;
    char path[PATH_MAX];
    FILE *f = fopen(GOOD_DIR "/good_base.so", "rb");
    int ret = -1;

    if (!f)
        return -1;
    for (;;) {
        if (size == cap) {
            unsigned char *p = realloc(data, cap = cap ? cap * 2 : 65536);

            if (!p)
                goto out;
            data = p;
        }
        size_t r = fread(data + size, 1, cap - size, f);

        if (r == 0)
            break;
        size += r;
    }
    /* RUNNER_MAGIC in little-endian, then ABI 1: the start of the struct */
    hit = memmem(data, size, head, sizeof(head));
    if (!hit)
        goto out;
    off = (size_t)(hit - data);
    for (size_t i = 0; i < n; i++) {
        struct runner_revision m;
        int fd;

        memcpy(&m, data + off, sizeof(m));
        memset(m.revision, 0, sizeof(m.revision));
        memset(m.down_revision[0], 0, sizeof(m.down_revision[0]));
        memset(m.branch_labels[0], 0, sizeof(m.branch_labels[0]));
        snprintf(m.revision, sizeof(m.revision), "t%011zu", i);
        if (i)
            snprintf(m.down_revision[0], sizeof(m.down_revision[0]), "t%011zu", i - 1);
        memcpy(data + off, &m, sizeof(m));
        if (snprintf(path, sizeof(path), "%s/p%04zu.so", dir, i) >= (int)sizeof(path))
            goto out;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            goto out;
        if (write(fd, data, size) != (ssize_t)size) {
            close(fd);
            goto out;
        }
        close(fd);
    }
    ret = 0;
out:
    fclose(f);
    free(data);
    return ret;
}

/* Files deleted while a scan runs, for real (not a dangling symlink): a
 * thread unlinks the chain from its tip down while loader_scan() lists and
 * reads it.  A file that vanished after the listing is skipped; the rest
 * must build, or fail only because a surviving revision lost its down
 * revision.  Never a crash, never an error about the vanished file. */
struct vanisher {
    const char *dir;
    size_t n;
};

static void *vanish_run(void *arg)
{
    const struct vanisher *v = arg;
    char path[PATH_MAX];

    for (size_t i = v->n; i-- > 0;) {
        snprintf(path, sizeof(path), "%s/p%04zu.so", v->dir, i);
        unlink(path);
    }
    return NULL;
}

static void test_loader_scan_survives_files_vanishing_during_the_scan(void)
{
    char dir[PATH_MAX], id[32];
    struct loader_opts o = { 0 };
    const size_t n = 1500;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);
    for (int round = 0; round < 4; round++) {
        struct vanisher v = { dir, n };
        struct err e = ERR_INIT;
        struct graph *g = graph_new();
        pthread_t t;
        int r;

        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_EQUAL_FATAL(make_chain(dir, n), 0);
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, vanish_run, &v), 0);
        r = loader_scan(dir, &o, g, &e);
        pthread_join(t, NULL);
        if (r == 0) {
            size_t ok = 1;

            CU_ASSERT(graph_count(g) <= n);
            for (size_t i = 0; i < graph_count(g); i++) {
                snprintf(id, sizeof(id), "t%011zu", i);
                ok &= strcmp(graph_at(g, i)->id, id) == 0;
            }
            CU_ASSERT(ok);
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "Can't locate revision identified by 't"));
            if (!strstr(e.msg, "Can't locate revision identified by"))
                fprintf(stderr, "\nround %d: %s\n", round, e.msg);
        }
        graph_free(g);
    }
    remove_tree(dir);
}

/* More plugins than LOADER_MIN_PARALLEL: read by several threads, added
 * in name order; the first bad file in name order is the one reported. */
static void test_loader_scan_many_plugins_in_order(void)
{
    char dir[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE], id[16];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();
    const size_t n = 2100;     /* three batches */
    size_t ok = 1;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);
    CU_ASSERT_EQUAL_FATAL(make_chain(dir, n), 0);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    CU_ASSERT_EQUAL_FATAL(graph_count(g), n);
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "t%011zu", i);
        ok &= strcmp(graph_at(g, i)->id, id) == 0;
    }
    CU_ASSERT(ok);
    graph_free(g);

    /* a bad file at 1500 and a duplicate id at 1900: 1500 is reported */
    FMT(path, "%s/p1900.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_child.so", path, 0), 0);
    FMT(path, "%s/p1950.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_child.so", path, 0), 0);
    FMT(path, "%s/p1500.so", dir);
    CU_ASSERT_EQUAL(write_file(path, "nope", 4), 0);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want, "plugin '%s': not an ELF file", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    /* without it, the duplicate (two copies of good_child) is */
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", path, 0), 0);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "bbbb00000002"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "p1900.so"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "p1950.so"));
    graph_free(g);
    remove_tree(dir);
}

/* ---- plugin-directory safety -------------------------------------------- */

static void test_loader_refuses_group_or_world_writable_directory(void)
{
    char dir[PATH_MAX], want[ERR_MSG_SIZE];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_good_copy(dir), 0);
    CU_ASSERT_EQUAL(chmod(dir, 0777), 0);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want,
             "unsafe plugin directory '%s' (mode 0777): writable by group or others; "
             "fix with chmod go-w or pass --allow-unsafe-plugins", dir);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    /* named as given, relative: no symlink, so no "resolves to" */
    {
        int here = open(".", O_RDONLY | O_DIRECTORY);
        const char *base = strrchr(dir, '/') + 1;

        CU_ASSERT_FATAL(here >= 0);
        CU_ASSERT_EQUAL_FATAL(chdir("/tmp"), 0);
        g = graph_new();
        CU_ASSERT_EQUAL(loader_scan(base, &o, g, &e), -1);
        CU_ASSERT_EQUAL(fchdir(here), 0);
        close(here);
        FMT(want,
            "unsafe plugin directory '%s' (mode 0777): writable by group or others; "
            "fix with chmod go-w or pass --allow-unsafe-plugins", base);
        CU_ASSERT_STRING_EQUAL(e.msg, want);
        graph_free(g);
    }

    CU_ASSERT_EQUAL(chmod(dir, 0770), 0);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "(mode 0770): writable by group or others"));
    graph_free(g);

    /* --allow-unsafe-plugins: a warning on stderr, and the scan goes on */
    o.allow_unsafe = 1;
    g = graph_new();
    err_clear(&e);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);
    CU_ASSERT_EQUAL(graph_count(g), 3);
    graph_free(g);
    remove_tree(dir);
}

static void test_loader_refuses_writable_plugin_file(void)
{
    char dir[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_good_copy(dir), 0);
    FMT(path, "%s/good_child.so", dir);
    CU_ASSERT_EQUAL(chmod(path, 0666), 0);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want,
             "unsafe plugin file '%s' (mode 0666): writable by group or others; "
             "fix with chmod go-w or pass --allow-unsafe-plugins", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);
    remove_tree(dir);
}

/* A parent that others may write is refused too (they could swap the
 * plugin directory); a sticky one owned by root, like /tmp, is not. */
static void test_loader_refuses_writable_parent_directory(void)
{
    char top[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE], *real = NULL;
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(top), 0);
    FMT(dir, "%s/plugins", top);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    FMT(path, "%s/good_base.so", dir);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", path, 0), 0);
    real = realpath(top, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(real);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);        /* 0700: fine */
    graph_free(g);

    CU_ASSERT_EQUAL(chmod(top, 0777), 0);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want, "unsafe plugin directory '%s': its parent '%s' (mode 0777) is writable by group "
              "or others; fix with chmod go-w or pass --allow-unsafe-plugins", dir, real);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    o.allow_unsafe = 1;                                     /* a warning instead */
    g = graph_new();
    err_clear(&e);
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);
    CU_ASSERT_EQUAL(graph_count(g), 1);
    graph_free(g);
    o.allow_unsafe = 0;

    CU_ASSERT_EQUAL(chmod(top, 01777), 0);
    g = graph_new();
    if (geteuid() == 0) {
        CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);    /* sticky and root's: like /tmp */
    } else {
        CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);   /* sticky but a user's */
    }
    graph_free(g);
    CU_ASSERT_EQUAL(chmod(top, 0700), 0);
    free(real);
    remove_tree(top);
}

static void test_loader_checks_symlink_targets(void)
{
    char dir[PATH_MAX], other[PATH_MAX], target[PATH_MAX], link[PATH_MAX];
    char want[ERR_MSG_SIZE], *real = NULL;
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);
    CU_ASSERT_EQUAL_FATAL(make_tmpdir(other), 0);
    FMT(target, "%s/good_base.so", other);
    CU_ASSERT_EQUAL(copy_file(GOOD_DIR "/good_base.so", target, 0), 0);
    FMT(link, "%s/base.so", dir);
    CU_ASSERT_EQUAL(symlink(target, link), 0);

    /* a safe target through a symlink is fine */
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), 0);
    CU_ASSERT_EQUAL(graph_count(g), 1);
    graph_free(g);

    /* the target file is writable by others: refused, both named */
    CU_ASSERT_EQUAL(chmod(target, 0646), 0);
    real = realpath(target, NULL);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want,
             "unsafe plugin file '%s' (resolves to '%s', mode 0646): writable by group or "
             "others; fix with chmod go-w or pass --allow-unsafe-plugins", link, real);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    /* the target's directory is writable by others: refused, both named */
    CU_ASSERT_EQUAL(chmod(target, 0644), 0);
    CU_ASSERT_EQUAL(chmod(other, 0757), 0);
    free(real);
    real = realpath(other, NULL);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want,
             "unsafe plugin directory '%s' (resolves to '%s', mode 0757): writable by group or "
             "others; fix with chmod go-w or pass --allow-unsafe-plugins", link, real);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    /* the plugin directory itself reached through a symlink */
    CU_ASSERT_EQUAL(chmod(other, 0755), 0);
    CU_ASSERT_EQUAL(chmod(dir, 0775), 0);
    FMT(link, "%s/plugins", other);
    CU_ASSERT_EQUAL(symlink(dir, link), 0);
    free(real);
    real = realpath(dir, NULL);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(link, &o, g, &e), -1);
    FMT(want,
             "unsafe plugin directory '%s' (resolves to '%s', mode 0775): writable by group or "
             "others; fix with chmod go-w or pass --allow-unsafe-plugins", link, real);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    free(real);
    remove_tree(dir);
    remove_tree(other);
}

static void test_loader_refuses_plugin_owned_by_someone_else(void)
{
    char dir[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g;

    if (geteuid() != 0)
        return;     /* only root can give a file away; the mode tests still run */
    CU_ASSERT_EQUAL_FATAL(make_good_copy(dir), 0);
    FMT(path, "%s/good_base.so", dir);
    CU_ASSERT_EQUAL(chown(path, 65534, 65534), 0);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    FMT(want,
             "unsafe plugin file '%s' (mode 0644): owned by uid 65534, not by uid 0 or root; "
             "fix with chown or pass --allow-unsafe-plugins", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);

    CU_ASSERT_EQUAL(chown(path, 0, 0), 0);
    CU_ASSERT_EQUAL(chown(dir, 65534, 65534), 0);
    g = graph_new();
    CU_ASSERT_EQUAL(loader_scan(dir, &o, g, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "unsafe plugin directory"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "owned by uid 65534"));
    graph_free(g);
    remove_tree(dir);
}

/* ---- opening ------------------------------------------------------------ */

static void test_plugin_open_runs_functions_and_closes(void)
{
    struct plugin p;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(plugin_open(&p, GOOD_DIR "/good_base.so", "aaaa00000001", &e), 0);
    CU_ASSERT_PTR_NOT_NULL(p.handle);
    CU_ASSERT_EQUAL(p.upgrade(NULL), 11);
    CU_ASSERT_EQUAL(p.downgrade(NULL), 12);
    CU_ASSERT_STRING_EQUAL(p.meta->revision, "aaaa00000001");
    plugin_close(&p);
    CU_ASSERT_PTR_NULL(p.handle);
    CU_ASSERT_PTR_NULL(p.meta);
    plugin_close(&p);   /* twice is harmless */

    /* a bare file name is the file in the current directory, not a
     * library dlopen() would search for */
    {
        int here = open(".", O_RDONLY | O_DIRECTORY);

        CU_ASSERT_FATAL(here >= 0);
        CU_ASSERT_EQUAL_FATAL(chdir(GOOD_DIR), 0);
        CU_ASSERT_EQUAL(plugin_open(&p, "good_base.so", "aaaa00000001", &e), 0);
        CU_ASSERT_EQUAL(fchdir(here), 0);
        close(here);
        if (p.handle)
            CU_ASSERT_EQUAL(p.upgrade(NULL), 11);
        plugin_close(&p);
    }

    /* open, close, open again: a fresh handle works */
    CU_ASSERT_EQUAL_FATAL(plugin_open(&p, GOOD_DIR "/good_child.so", NULL, &e), 0);
    CU_ASSERT_EQUAL(p.upgrade(NULL), 21);
    plugin_close(&p);
}

static void test_plugin_open_bad_plugins_each_has_its_error(void)
{
    char want[ERR_MSG_SIZE], what[128];

    expect_open_error("bad_missing_upgrade.so", "bad000000001", "missing symbol 'upgrade'");
    expect_open_error("bad_missing_downgrade.so", "bad000000002", "missing symbol 'downgrade'");
    expect_open_error("bad_hidden_meta.so", "bad00000000f",
                      "missing symbol 'runner_revision_meta'");
    expect_open_error("bad_abi_version.so", "bad000000003",
                      "ABI version 99, this runner supports 1");
    expect_open_error("bad_magic.so", "bad000000004", "wrong magic 0xdeadbeef (expected 0x524e5252)");
    FMT(what, "metadata size 100, expected %zu or %zu", (size_t)RUNNER_META_SIZE_V1,
        sizeof(struct runner_revision));
    expect_open_error("bad_size.so", "bad000000005", what);
    expect_open_error("bad_long_id.so", NULL,
                      "revision id is unterminated or longer than 32 characters");
    expect_open_error("bad_no_section.so", NULL, "missing symbol 'runner_revision_meta'");

    {
        struct plugin p;
        struct err e = ERR_INIT;

        /* RTLD_NOW: an unresolved symbol fails the open, not the run */
        FMT(want, "plugin '%s': cannot load: ", BAD_DIR "/bad_undefined_symbol.so");
        CU_ASSERT_EQUAL(plugin_open(&p, BAD_DIR "/bad_undefined_symbol.so", NULL, &e), -1);
        CU_ASSERT_EQUAL(strncmp(e.msg, want, strlen(want)), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "runner_test_no_such_function"));
        CU_ASSERT_PTR_NULL(p.handle);

        CU_ASSERT_EQUAL(plugin_open(&p, BAD_DIR "/bad_object.so", NULL, &e), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "cannot load: "));
    }
}

static void test_plugin_open_refuses_changed_revision(void)
{
    struct plugin p;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(plugin_open(&p, GOOD_DIR "/good_base.so", "bbbb00000002", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg,
        "plugin '" GOOD_DIR "/good_base.so': revision 'aaaa00000001' where 'bbbb00000002' "
        "was listed (file changed since the scan?)");
    CU_ASSERT_PTR_NULL(p.handle);
}

CU_TestInfo loader_tests[] = {
    { "good metadata and its checksum are read", test_loader_reads_good_metadata_and_checksum },
    { "each bad metadata has its own error", test_loader_bad_metadata_each_has_its_error },
    { "ABI 1 layout is pinned", test_loader_abi_1_layout_is_pinned },
    { "executables, objects and 32-bit files are refused", test_loader_refuses_non_shared_objects },
    { "generated bad files are refused", test_loader_refuses_generated_bad_files },
    { "scan lists in name order without running plugin code",
      test_loader_scan_lists_in_order_without_running_plugins },
    { "scan ignores other files and vanished ones",
      test_loader_scan_ignores_other_files_and_vanished_ones },
    { "scan of a missing directory is an error", test_loader_scan_missing_directory_is_error },
    { "scan stops at a bad plugin, naming it", test_loader_scan_stops_at_bad_plugin_naming_it },
    { "duplicate ids name both files", test_loader_scan_duplicate_ids_name_both_files },
    { "many plugins: read in parallel, added in order", test_loader_scan_many_plugins_in_order },
    { "files vanishing during a scan", test_loader_scan_survives_files_vanishing_during_the_scan },
    { "group/world-writable directory is refused",
      test_loader_refuses_group_or_world_writable_directory },
    { "writable plugin file is refused", test_loader_refuses_writable_plugin_file },
    { "group/world-writable parent directory is refused",
      test_loader_refuses_writable_parent_directory },
    { "symlink targets are checked", test_loader_checks_symlink_targets },
    { "plugin owned by someone else is refused", test_loader_refuses_plugin_owned_by_someone_else },
    { "plugin_open runs functions and closes", test_plugin_open_runs_functions_and_closes },
    { "plugin_open: each bad plugin has its error", test_plugin_open_bad_plugins_each_has_its_error },
    { "plugin_open refuses a changed revision", test_plugin_open_refuses_changed_revision },
    CU_TEST_INFO_NULL,
};
