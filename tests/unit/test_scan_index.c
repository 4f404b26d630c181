/* test_scan_index.c -- the scan index (runner/plugin/scan_index.c): a
 * matching entry saves reading the plugin, and everything that does not
 * match (a rebuilt plugin, a racily clean entry, an unsafe or corrupt
 * index, a plugin added or removed since) is read from the files as
 * without an index.
 *
 * Whether the index was used is seen through a plugin overwritten in
 * place with zeros, its size and mtime kept: read from the file it is
 * "not an ELF file", taken from the index it lists as before. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "graph.h"
#include "loader.h"
#include "scan_index.h"

#define GOOD_DIR TEST_PLUGIN_DIR "/loader/good"
#define T0 1600000000               /* an mtime well before any index is written */

#define FMT(buf, ...) CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static int make_tmpdir(char buf[PATH_MAX])
{
    snprintf(buf, PATH_MAX, "/tmp/runner-test-scan-index-XXXXXX");
    return mkdtemp(buf) ? 0 : -1;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];

    if (!d)
        return;
    chmod(dir, 0700);
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        FMT(path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int set_mtime(const char *path, time_t sec)
{
    struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

    return utimensat(AT_FDCWD, path, ts, 0);
}

/* Copy src to dir/name, mode 0644, mtime `sec` (0: that of src). */
static int copy_as(const char *src, const char *dir, const char *name, time_t sec)
{
    char dst[PATH_MAX], buf[65536];
    struct stat st;
    int in, out, ret = -1;
    ssize_t r;

    if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
        return -1;
    in = open(src, O_RDONLY);
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || fstat(in, &st) < 0) {
        close(in);
        if (out >= 0)
            close(out);
        return -1;
    }
    while ((r = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)r) != r)
            goto out;
    if (r == 0 && fchmod(out, 0644) == 0) {
        struct timespec ts[2] = { st.st_mtim, st.st_mtim };

        if (sec) {
            ts[0].tv_sec = ts[1].tv_sec = sec;
            ts[0].tv_nsec = ts[1].tv_nsec = 0;
        }
        ret = futimens(out, ts);
    }
out:
    close(in);
    close(out);
    return ret;
}

/* Overwrite the file with zeros, keeping its size and mtime: only the
 * index can still say what it was. */
static int zero_in_place(const char *path)
{
    char zeros[4096] = { 0 };
    struct stat st;
    off_t done = 0;
    int fd = open(path, O_WRONLY), ret = -1;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0)
        goto out;
    while (done < st.st_size) {
        size_t n = st.st_size - done < (off_t)sizeof(zeros) ? (size_t)(st.st_size - done)
                                                            : sizeof(zeros);

        if (write(fd, zeros, n) != (ssize_t)n)
            goto out;
        done += (off_t)n;
    }
    {
        struct timespec ts[2] = { st.st_atim, st.st_mtim };

        ret = futimens(fd, ts);
    }
out:
    close(fd);
    return ret;
}

/* a.so, b.so, c.so: the three good plugins, a chain, mtime T0. */
static int make_chain(char dir[PATH_MAX])
{
    if (make_tmpdir(dir) < 0 || copy_as(GOOD_DIR "/good_base.so", dir, "a.so", T0) < 0 ||
        copy_as(GOOD_DIR "/good_child.so", dir, "b.so", T0) < 0 ||
        copy_as(GOOD_DIR "/good_ctor.so", dir, "c.so", T0) < 0)
        return -1;
    return 0;
}

/* loader_scan(dir) into a new graph: its count, or -1 with *e filled. */
static long scan(const char *dir, int allow_unsafe, struct graph **g, struct err *e)
{
    struct loader_opts o = { allow_unsafe };

    *g = graph_new();
    if (!*g)
        return -1;
    if (loader_scan(dir, &o, *g, e) < 0)
        return -1;
    return (long)graph_count(*g);
}

/* The scan fails naming `name` as not an ELF file: the file was read. */
static void expect_read_from_file(const char *dir, const char *name, int allow_unsafe)
{
    char want[ERR_MSG_SIZE];
    struct err e = ERR_INIT;
    struct graph *g = NULL;

    CU_ASSERT_EQUAL(scan(dir, allow_unsafe, &g, &e), -1);
    FMT(want, "plugin '%s/%s': not an ELF file", dir, name);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);
}

static void write_index(const char *dir)
{
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(scan_index_write(dir, &e), 0);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
}

static void test_scan_index_matching_entry_is_used_without_reading_the_plugin(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct err e = ERR_INIT;
    struct graph *g = NULL;
    struct stat st;

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    write_index(dir);
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);

    CU_ASSERT_EQUAL(scan(dir, 0, &g, &e), 3);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    if (graph_count(g) == 3) {
        CU_ASSERT_STRING_EQUAL(graph_at(g, 1)->id, "bbbb00000002");
        CU_ASSERT_STRING_EQUAL(graph_at(g, 1)->meta.message, "Loader test child");
        CU_ASSERT_STRING_EQUAL(graph_at(g, 1)->path, path);
        /* the identity plugin_open_rev() checks is the file's, from its stat */
        CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
        CU_ASSERT_EQUAL(graph_at(g, 1)->file_ino, (uint64_t)st.st_ino);
        CU_ASSERT_EQUAL(graph_at(g, 1)->file_dev, (uint64_t)st.st_dev);
    }
    graph_free(g);

    /* and without the index the file is read */
    FMT(path, "%s/%s", dir, SCAN_INDEX_NAME);
    CU_ASSERT_EQUAL(unlink(path), 0);
    expect_read_from_file(dir, "b.so", 0);
    remove_dir(dir);
}

static void test_scan_index_rebuilt_plugin_is_read_again(void)
{
    char dir[PATH_MAX], path[PATH_MAX], src[PATH_MAX];
    struct err e = ERR_INIT;
    struct graph *g = NULL;
    FILE *f;
    char *bytes = NULL, *hit;
    long len;

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    write_index(dir);
    /* "rebuild" a.so with another message: same size, a later mtime */
    FMT(src, "%s/a.so", dir);
    f = fopen(src, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    bytes = malloc((size_t)len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
    CU_ASSERT_EQUAL(fread(bytes, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    hit = memmem(bytes, (size_t)len, "Loader test base", 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
    memcpy(hit, "Loader test BASE", 16);
    FMT(path, "%s/a.so.new", dir);
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(bytes, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    free(bytes);
    CU_ASSERT_EQUAL(chmod(path, 0644), 0);
    CU_ASSERT_EQUAL(set_mtime(path, T0 + 60), 0);
    CU_ASSERT_EQUAL(rename(path, src), 0);

    CU_ASSERT_EQUAL(scan(dir, 0, &g, &e), 3);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    if (graph_count(g) == 3)
        CU_ASSERT_STRING_EQUAL(graph_at(g, 0)->meta.message, "Loader test BASE");
    graph_free(g);

    /* edited in place, same size, mtime moved on: read too */
    CU_ASSERT_EQUAL(set_mtime(src, T0), 0);
    write_index(dir);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(src), 0);
    CU_ASSERT_EQUAL(set_mtime(src, T0 + 1), 0);
    expect_read_from_file(dir, "a.so", 0);
    remove_dir(dir);
}

static void test_scan_index_entry_as_new_as_the_index_is_read(void)
{
    char dir[PATH_MAX], path[PATH_MAX];

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    /* written in the same tick as the index would be, or later: racy */
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL(set_mtime(path, time(NULL) + 3600), 0);
    write_index(dir);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);
    expect_read_from_file(dir, "b.so", 0);
    remove_dir(dir);
}

static void test_scan_index_unsafe_index_is_ignored(void)
{
    char dir[PATH_MAX], path[PATH_MAX], ix[PATH_MAX], other[PATH_MAX];

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    write_index(dir);
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);
    FMT(ix, "%s/%s", dir, SCAN_INDEX_NAME);

    /* writable by others: ignored, even with --allow-unsafe-plugins */
    CU_ASSERT_EQUAL(chmod(ix, 0666), 0);
    expect_read_from_file(dir, "b.so", 0);
    expect_read_from_file(dir, "b.so", 1);
    CU_ASSERT_EQUAL(chmod(ix, 0664), 0);
    expect_read_from_file(dir, "b.so", 0);
    CU_ASSERT_EQUAL(chmod(ix, 0644), 0);

    /* owned by another user */
    if (geteuid() == 0) {
        CU_ASSERT_EQUAL(chown(ix, 65534, 65534), 0);
        expect_read_from_file(dir, "b.so", 0);
        CU_ASSERT_EQUAL(chown(ix, 0, 0), 0);
    }

    /* a symlink to an index elsewhere */
    FMT(other, "%s/elsewhere", dir);
    CU_ASSERT_EQUAL(rename(ix, other), 0);
    CU_ASSERT_EQUAL(symlink(other, ix), 0);
    expect_read_from_file(dir, "b.so", 0);
    remove_dir(dir);
}

static void test_scan_index_unsafe_plugin_is_still_refused(void)
{
    char dir[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE];
    struct err e = ERR_INIT;
    struct graph *g = NULL;

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    write_index(dir);
    /* chmod keeps size and mtime: the entry matches, the rule does not */
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL(chmod(path, 0664), 0);
    CU_ASSERT_EQUAL(scan(dir, 0, &g, &e), -1);
    FMT(want, "unsafe plugin file '%s' (mode 0664): writable by group or others; fix with "
              "chmod go-w or pass --allow-unsafe-plugins", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    graph_free(g);
    remove_dir(dir);
}

static void test_scan_index_corrupt_index_is_ignored(void)
{
    char dir[PATH_MAX], path[PATH_MAX], ix[PATH_MAX];
    struct stat st;

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    write_index(dir);
    FMT(ix, "%s/%s", dir, SCAN_INDEX_NAME);
    CU_ASSERT_EQUAL_FATAL(stat(ix, &st), 0);
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);
    /* cut short: neither half of it is used */
    CU_ASSERT_EQUAL(truncate(ix, st.st_size - 1), 0);
    expect_read_from_file(dir, "b.so", 0);
    CU_ASSERT_EQUAL(truncate(ix, 10), 0);
    expect_read_from_file(dir, "b.so", 0);
    remove_dir(dir);
}

static void test_scan_index_added_and_removed_plugins_are_seen(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct err e = ERR_INIT;
    struct graph *g = NULL;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(dir), 0);
    CU_ASSERT_EQUAL_FATAL(copy_as(GOOD_DIR "/good_base.so", dir, "a.so", T0), 0);
    write_index(dir);
    /* b.so is not in the index: read */
    CU_ASSERT_EQUAL_FATAL(copy_as(GOOD_DIR "/good_child.so", dir, "b.so", T0), 0);
    CU_ASSERT_EQUAL(scan(dir, 0, &g, &e), 2);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    graph_free(g);

    /* b.so indexed, then removed: not listed */
    write_index(dir);
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL(unlink(path), 0);
    CU_ASSERT_EQUAL(scan(dir, 0, &g, &e), 1);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    if (graph_count(g) == 1)
        CU_ASSERT_STRING_EQUAL(graph_at(g, 0)->id, "aaaa00000001");
    graph_free(g);
    remove_dir(dir);
}

static void test_scan_index_is_used_in_a_read_only_directory(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct err e = ERR_INIT;
    struct graph *g = NULL;

    CU_ASSERT_EQUAL_FATAL(make_chain(dir), 0);
    write_index(dir);
    FMT(path, "%s/b.so", dir);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);
    CU_ASSERT_EQUAL(chmod(dir, 0555), 0);
    CU_ASSERT_EQUAL(scan(dir, 0, &g, &e), 3);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    graph_free(g);
    CU_ASSERT_EQUAL(chmod(dir, 0700), 0);
    remove_dir(dir);
}

static void test_scan_index_survives_a_copy_that_keeps_mtimes(void)
{
    char a[PATH_MAX], b[PATH_MAX], src[PATH_MAX], path[PATH_MAX];
    const char *names[] = { "a.so", "b.so", "c.so", SCAN_INDEX_NAME };
    struct err e = ERR_INIT;
    struct graph *g = NULL;
    struct stat st;

    /* a container image: COPY keeps size and mtime, not inode or ctime */
    CU_ASSERT_EQUAL_FATAL(make_chain(a), 0);
    write_index(a);
    CU_ASSERT_EQUAL_FATAL(make_tmpdir(b), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        FMT(src, "%s/%s", a, names[i]);
        CU_ASSERT_EQUAL(copy_as(src, b, names[i], 0), 0);
    }
    FMT(path, "%s/c.so", b);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);
    CU_ASSERT_EQUAL(scan(b, 0, &g, &e), 3);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    if (graph_count(g) == 3) {
        CU_ASSERT_STRING_EQUAL(graph_at(g, 2)->path, path);
        CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
        CU_ASSERT_EQUAL(graph_at(g, 2)->file_ino, (uint64_t)st.st_ino);
    }
    graph_free(g);
    remove_dir(a);
    remove_dir(b);
}

/* An image layer is a tar archive, which may keep whole seconds only: a
 * copy whose mtimes lost their nanoseconds (plugins and index alike) is
 * still the same build, and the index still answers for it. */
static void test_scan_index_survives_a_copy_that_keeps_whole_seconds(void)
{
    char a[PATH_MAX], b[PATH_MAX], src[PATH_MAX], path[PATH_MAX];
    const char *names[] = { "a.so", "b.so", "c.so", SCAN_INDEX_NAME };
    struct err e = ERR_INIT;
    struct graph *g = NULL;

    CU_ASSERT_EQUAL_FATAL(make_chain(a), 0);
    /* built at T0 + 0.5 s, as a compiler's output has nanoseconds */
    for (size_t i = 0; i < 3; i++) {
        struct timespec ts[2] = { { T0, 500000000 }, { T0, 500000000 } };

        FMT(path, "%s/%s", a, names[i]);
        CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, path, ts, 0), 0);
    }
    write_index(a);
    CU_ASSERT_EQUAL_FATAL(make_tmpdir(b), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct stat st;

        FMT(src, "%s/%s", a, names[i]);
        CU_ASSERT_EQUAL_FATAL(stat(src, &st), 0);
        CU_ASSERT_EQUAL(copy_as(src, b, names[i], st.st_mtim.tv_sec), 0);
    }
    FMT(path, "%s/c.so", b);
    CU_ASSERT_EQUAL_FATAL(zero_in_place(path), 0);
    CU_ASSERT_EQUAL(scan(b, 0, &g, &e), 3);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    graph_free(g);
    /* whole seconds that differ are another build: read */
    CU_ASSERT_EQUAL(set_mtime(path, T0 + 1), 0);
    expect_read_from_file(b, "c.so", 0);
    remove_dir(a);
    remove_dir(b);
}

CU_TestInfo scan_index_tests[] = {
    { "matching entry is used without reading the plugin",
      test_scan_index_matching_entry_is_used_without_reading_the_plugin },
    { "rebuilt plugin is read again", test_scan_index_rebuilt_plugin_is_read_again },
    { "entry as new as the index is read", test_scan_index_entry_as_new_as_the_index_is_read },
    { "unsafe index is ignored", test_scan_index_unsafe_index_is_ignored },
    { "unsafe plugin is still refused", test_scan_index_unsafe_plugin_is_still_refused },
    { "corrupt index is ignored", test_scan_index_corrupt_index_is_ignored },
    { "added and removed plugins are seen", test_scan_index_added_and_removed_plugins_are_seen },
    { "is used in a read-only directory", test_scan_index_is_used_in_a_read_only_directory },
    { "survives a copy that keeps mtimes", test_scan_index_survives_a_copy_that_keeps_mtimes },
    { "survives a copy that keeps whole seconds",
      test_scan_index_survives_a_copy_that_keeps_whole_seconds },
    CU_TEST_INFO_NULL,
};
