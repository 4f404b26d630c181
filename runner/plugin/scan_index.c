/* scan_index.c -- the scan index: written by `runner build`, read by the
 * plugin scan.  See scan_index.h.
 *
 * The file is native-endian (it describes plugins of this machine):
 *   header: "RUNNERIX", u32 format, u32 sizeof(struct runner_revision),
 *           u32 RUNNER_ABI_VERSION, u32 count
 *   entry:  u32 name_len, u32 meta_size, u64 size, i64 mtime_sec,
 *           i64 mtime_nsec, u32 packed_len, name, NUL, packed metadata
 * in strcmp order of the names.  The metadata is mostly zero bytes (fixed
 * arrays), so it is packed as runs of (u16 zeros, u16 literals, the
 * literal bytes): ~150 bytes instead of ~1.7 KiB per plugin, which keeps
 * the read of the index small next to the reads it saves. */
#include "scan_index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_meta.h"
#include "trust.h"

#define SCAN_INDEX_MAGIC "RUNNERIX"
#define SCAN_INDEX_FORMAT 1u
#define HEADER_SIZE (8 + 4 * 4)
#define ENTRY_FIXED (4 + 4 + 8 + 8 + 8 + 4)
#define SCAN_INDEX_MAX (64u << 20)  /* bigger than any index of real plugins */

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

void scan_index_release(struct scan_index *ix)
{
    free(ix->buf);
    free(ix->v);
    memset(ix, 0, sizeof(*ix));
}

/* Each entry in bounds, names terminated and strictly increasing. */
static int parse(struct scan_index *ix, size_t len)
{
    const unsigned char *p = ix->buf, *end = ix->buf + len;
    uint32_t count;

    if (len < HEADER_SIZE || memcmp(p, SCAN_INDEX_MAGIC, 8) != 0 ||
        get32(p + 8) != SCAN_INDEX_FORMAT || get32(p + 12) != sizeof(struct runner_revision) ||
        get32(p + 16) != RUNNER_ABI_VERSION)
        return -1;
    count = get32(p + 20);
    if (count > (len - HEADER_SIZE) / ENTRY_FIXED)
        return -1;
    ix->v = calloc(count ? count : 1, sizeof(*ix->v));
    if (!ix->v)
        return -1;
    p += HEADER_SIZE;
    for (uint32_t i = 0; i < count; i++) {
        struct scan_index_entry *en = &ix->v[i];
        uint32_t name_len, packed_len;

        if ((size_t)(end - p) < ENTRY_FIXED)
            return -1;
        name_len = get32(p);
        en->meta_size = get32(p + 4);
        en->size = get64(p + 8);
        en->mtime_sec = (int64_t)get64(p + 16);
        en->mtime_nsec = (int64_t)get64(p + 24);
        packed_len = get32(p + 32);
        p += ENTRY_FIXED;
        if (name_len == 0 || (size_t)(end - p) < (size_t)name_len + 1 ||
            p[name_len] != '\0' || memchr(p, '\0', name_len) ||
            (size_t)(end - p - name_len - 1) < packed_len ||
            en->meta_size > sizeof(struct runner_revision))
            return -1;
        en->name = (const char *)p;
        p += name_len + 1;
        en->packed = p;
        en->packed_len = packed_len;
        p += packed_len;
        if (i > 0 && strcmp(ix->v[i - 1].name, en->name) >= 0)
            return -1;
    }
    if (p != end)
        return -1;
    ix->n = count;
    return 0;
}

int scan_index_load(int dfd, struct scan_index *ix)
{
    char why_buf[128];
    struct stat st;
    ssize_t got;
    int fd;

    memset(ix, 0, sizeof(*ix));
    fd = openat(dfd, SCAN_INDEX_NAME, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    /* trust.c's rule on the descriptor that is then read; never overridden */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        *trust_stat_reason(&st, st.st_uid == 0 ? 0 : geteuid(), why_buf, sizeof(why_buf)) ||
        st.st_size < HEADER_SIZE || (uint64_t)st.st_size > SCAN_INDEX_MAX)
        goto ignore;
    ix->buf = malloc((size_t)st.st_size);
    if (!ix->buf)
        goto ignore;
    got = pread(fd, ix->buf, (size_t)st.st_size, 0);
    if (got != (ssize_t)st.st_size || parse(ix, (size_t)got) < 0)
        goto ignore;
    ix->mtime = st.st_mtim;
    close(fd);
    return 1;
ignore:
    close(fd);
    scan_index_release(ix);
    return 0;
}

/* The packed runs back into out[0, size); -1 unless they fill it exactly. */
static int unpack(const unsigned char *p, size_t len, size_t size, unsigned char *out)
{
    size_t pos = 0;

    while (len > 0) {
        uint16_t zeros, lits;

        if (len < 4)
            return -1;
        memcpy(&zeros, p, 2);
        memcpy(&lits, p + 2, 2);
        p += 4;
        len -= 4;
        if (zeros > size - pos || lits > size - pos - zeros || lits > len)
            return -1;
        memset(out + pos, 0, zeros);
        pos += zeros;
        memcpy(out + pos, p, lits);
        pos += lits;
        p += lits;
        len -= lits;
    }
    return pos == size ? 0 : -1;
}

int scan_index_lookup(struct scan_index *ix, const char *name, const struct stat *st,
                      struct runner_revision *out)
{
    const struct scan_index_entry *en;
    int c = 1;

    while (ix->cursor < ix->n && (c = strcmp(ix->v[ix->cursor].name, name)) < 0)
        ix->cursor++;
    if (ix->cursor >= ix->n || c != 0)
        return 0;
    en = &ix->v[ix->cursor++];
    /* a file whose nanoseconds are 0 went through a copy that keeps whole
     * seconds (a container image's layers are tar archives): its seconds
     * must match */
    if (!S_ISREG(st->st_mode) || (uint64_t)st->st_size != en->size ||
        (int64_t)st->st_mtim.tv_sec != en->mtime_sec ||
        ((int64_t)st->st_mtim.tv_nsec != en->mtime_nsec && st->st_mtim.tv_nsec != 0))
        return 0;
    /* git's racily clean entry: a file changed in the same tick as the
     * index was written would show the indexed mtime */
    if (st->st_mtim.tv_sec > ix->mtime.tv_sec ||
        (st->st_mtim.tv_sec == ix->mtime.tv_sec && st->st_mtim.tv_nsec >= ix->mtime.tv_nsec))
        return 0;
    memset(out, 0, sizeof(*out));
    /* the bytes stored are the plugin's own struct, as its size says */
    return unpack(en->packed, en->packed_len, en->meta_size, (unsigned char *)out) == 0 &&
           out->size == en->meta_size;
}

/* ---- writing ------------------------------------------------------------ */

struct outbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
};

static void put(struct outbuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        unsigned char *p;

        while (cap < b->len + n)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put32(struct outbuf *b, uint32_t v)
{
    put(b, &v, sizeof(v));
}

static void put64(struct outbuf *b, uint64_t v)
{
    put(b, &v, sizeof(v));
}

/* Runs of (zeros, literals); a literal run ends at 4 zero bytes in a row. */
static void pack(struct outbuf *b, const unsigned char *m, size_t size)
{
    size_t pos = 0;

    while (pos < size) {
        size_t z = 0, l = 0;
        uint16_t zeros, lits;

        while (pos + z < size && m[pos + z] == 0 && z < UINT16_MAX)
            z++;
        while (pos + z + l < size && l + 4 < UINT16_MAX) {
            size_t k = 0;

            while (k < 4 && pos + z + l + k < size && m[pos + z + l + k] == 0)
                k++;
            if (k == 4 || (k > 0 && pos + z + l + k == size))
                break;
            l += k ? k : 1;
        }
        zeros = (uint16_t)z;
        lits = (uint16_t)l;
        put(b, &zeros, 2);
        put(b, &lits, 2);
        put(b, m + pos + z, l);
        pos += z + l;
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int wanted(const char *name)
{
    size_t len = strlen(name);

    return len > 3 && name[0] != '.' && memcmp(name + len - 3, ".so", 3) == 0;
}

/* One entry for `name`, or nothing when it is not a plugin the scan would
 * accept as it is (the scan then reads it, and reports what is wrong). */
static void add_entry(struct outbuf *b, int dfd, const char *dir, const char *name,
                      uint32_t *count)
{
    char path[PATH_MAX], why_buf[128];
    struct runner_revision meta;
    struct err scratch = ERR_INIT;
    struct stat st;
    int fd;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return;
    fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        !*trust_stat_reason(&st, st.st_uid == 0 ? 0 : geteuid(), why_buf, sizeof(why_buf)) &&
        elf_meta_read_fd(fd, path, (uint64_t)st.st_size, &meta, &scratch) == 0) {
        size_t nlen = strlen(name);
        size_t at;
        uint32_t packed_len;

        put32(b, (uint32_t)nlen);
        put32(b, meta.size);
        put64(b, (uint64_t)st.st_size);
        put64(b, (uint64_t)(int64_t)st.st_mtim.tv_sec);
        put64(b, (uint64_t)(int64_t)st.st_mtim.tv_nsec);
        at = b->len;
        put32(b, 0);                    /* packed_len, filled below */
        put(b, name, nlen + 1);
        packed_len = (uint32_t)b->len;
        pack(b, (const unsigned char *)&meta, meta.size);
        if (!b->oom) {
            packed_len = (uint32_t)b->len - packed_len;
            memcpy(b->p + at, &packed_len, sizeof(packed_len));
            (*count)++;
        }
    }
    close(fd);
}

int scan_index_write(const char *dir, struct err *e)
{
    struct outbuf b = { 0 };
    char **names = NULL;
    size_t n = 0, cap = 0;
    char final[PATH_MAX], tmp[PATH_MAX], tmp_name[64];
    struct dirent *de;
    uint32_t count = 0;
    DIR *d = NULL;
    int fd = -1, ret = -1;

    if ((size_t)snprintf(final, sizeof(final), "%s/%s", dir, SCAN_INDEX_NAME) >= sizeof(final))
        return err_set(e, ERR_FAIL, "cannot write scan index in '%s': path too long", dir);
    snprintf(tmp_name, sizeof(tmp_name), "%s.%ld.tmp", SCAN_INDEX_NAME, (long)getpid());
    snprintf(tmp, sizeof(tmp), "%s/%s", dir, tmp_name);
    d = opendir(dir);
    if (!d) {
        err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final, strerror(errno));
        goto out;
    }
    /* first: a directory we may not write fails before any plugin is read */
    fd = openat(dirfd(d), tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        tmp[0] = '\0';                  /* not ours to remove */
        err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final, strerror(errno));
        goto out;
    }
    /* the umask may have made it group-writable: then no scan would use it */
    if (fchmod(fd, 0644) < 0) {
        err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final, strerror(errno));
        goto out;
    }
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de)
            break;
        if (!wanted(de->d_name) || de->d_type == DT_DIR || de->d_type == DT_LNK)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            char **v = realloc(names, ncap * sizeof(*v));

            if (!v)
                goto oom;
            names = v;
            cap = ncap;
        }
        names[n] = strdup(de->d_name);
        if (!names[n])
            goto oom;
        n++;
    }
    if (errno) {
        err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final, strerror(errno));
        goto out;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_name);

    put(&b, SCAN_INDEX_MAGIC, 8);
    put32(&b, SCAN_INDEX_FORMAT);
    put32(&b, (uint32_t)sizeof(struct runner_revision));
    put32(&b, RUNNER_ABI_VERSION);
    put32(&b, 0);                       /* count, filled below */
    for (size_t i = 0; i < n; i++)
        add_entry(&b, dirfd(d), dir, names[i], &count);
    if (b.oom)
        goto oom;
    memcpy(b.p + 20, &count, sizeof(count));

    for (size_t done = 0; done < b.len;) {
        ssize_t w = write(fd, b.p + done, b.len - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final,
                    w < 0 ? strerror(errno) : "short write");
            goto out;
        }
        done += (size_t)w;
    }
    if (close(fd) < 0) {
        fd = -1;
        err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final, strerror(errno));
        goto out;
    }
    fd = -1;
    if (renameat(dirfd(d), tmp_name, dirfd(d), SCAN_INDEX_NAME) < 0) {
        err_set(e, ERR_FAIL, "cannot write scan index '%s': %s", final, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';                      /* renamed: nothing to remove */
    ret = 0;
    goto out;
oom:
    err_set(e, ERR_FAIL, "out of memory");
out:
    if (fd >= 0)
        close(fd);
    if (ret < 0 && tmp[0] && d)
        unlinkat(dirfd(d), tmp_name, 0);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(b.p);
    if (d)
        closedir(d);
    return ret;
}
