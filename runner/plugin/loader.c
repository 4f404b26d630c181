/* loader.c -- finds revision plugins, reads their metadata from the ELF
 * section RUNNER_SECTION without running them, and dlopen()s one only to
 * run it.  See loader.h.
 *
 * Reading metadata is a handful of system calls per file (openat, fstat,
 * three preads, close): the ELF header, the section header table together
 * with the bytes just before it (where GNU ld puts .shstrtab), and the
 * metadata section itself; a large directory is read on a few threads.
 * Every offset and size in the file is untrusted and checked against the
 * file size before use.  The graph (graph.c) links
 * and validates what this file reads; this file validates each plugin on
 * its own (bytes, strings, permissions). */
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "radix.h"

/* The runner only loads objects of its own class, byte order and machine. */
#if UINTPTR_MAX > 0xffffffffu
#define LOADER_CLASS ELFCLASS64
#define LOADER_BITS 64
typedef Elf64_Ehdr ehdr_t;
typedef Elf64_Shdr shdr_t;
#else
#define LOADER_CLASS ELFCLASS32
#define LOADER_BITS 32
typedef Elf32_Ehdr ehdr_t;
typedef Elf32_Shdr shdr_t;
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LOADER_DATA ELFDATA2LSB
#else
#define LOADER_DATA ELFDATA2MSB
#endif

#if defined(__x86_64__)
#define LOADER_MACHINE EM_X86_64
#elif defined(__i386__)
#define LOADER_MACHINE EM_386
#elif defined(__aarch64__)
#define LOADER_MACHINE EM_AARCH64
#elif defined(__arm__)
#define LOADER_MACHINE EM_ARM
#elif defined(__riscv)
#define LOADER_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define LOADER_MACHINE EM_PPC64
#elif defined(__powerpc__)
#define LOADER_MACHINE EM_PPC
#elif defined(__s390__)
#define LOADER_MACHINE EM_S390
#elif defined(__mips__)
#define LOADER_MACHINE EM_MIPS
#else
#define LOADER_MACHINE EM_NONE  /* unknown host: the machine is not checked */
#endif

/* Bytes read just before the section header table in the same pread(), so
 * that .shstrtab (which GNU ld and lld place there) needs no read of its own. */
#define LOADER_TAIL_SLACK 512
/* Section header tables up to this size are read into a stack buffer. */
#define LOADER_STACK_BUF 8192

static const char *machine_name(unsigned m, char *buf, size_t n)
{
    switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "risc-v";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    case EM_SPARCV9: return "sparc64";
    default:
        snprintf(buf, n, "e_machine %u", m);
        return buf;
    }
}

static const char *type_name(unsigned t, char *buf, size_t n)
{
    switch (t) {
    case ET_NONE: return "no file type";
    case ET_REL: return "relocatable object";
    case ET_EXEC: return "executable";
    case ET_CORE: return "core file";
    default:
        snprintf(buf, n, "e_type %u", t);
        return buf;
    }
}

/* pread() all of n bytes unless the file ends first; returns the count read
 * or -1 with errno set. */
static ssize_t read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* Read exactly n bytes at off, or fill *e: a short read is a truncated file. */
static int read_exact(int fd, const char *path, void *buf, size_t n, uint64_t off,
                      uint64_t size, struct err *e)
{
    ssize_t r;

    if (off > size || n > size - off)
        return err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
    r = read_at(fd, buf, n, off);
    if (r < 0)
        return err_set(e, ERR_FAIL, "plugin '%s': cannot read: %s", path, strerror(errno));
    if ((size_t)r < n)
        return err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
    return 0;
}

static int has_control_char(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* alembic: Revision.__init__ refuses these characters in an id
 * (_revision_illegal_chars in script/revision.py). */
static int check_id_chars(const char *path, const char *what, const char *id, int is_revision,
                          struct err *e)
{
    char bad[8];
    size_t n_bad = 0;

    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return err_set(e, ERR_FAIL, "plugin '%s': %s contains a control character", path,
                           what);
    if (!is_revision)
        return 0;
    /* sorted, as alembic lists them */
    if (strchr(id, '+'))
        bad[n_bad++] = '+';
    if (strchr(id, '-'))
        bad[n_bad++] = '-';
    if (strchr(id, '@'))
        bad[n_bad++] = '@';
    if (n_bad) {
        char list[16] = "";
        size_t len = 0;

        for (size_t i = 0; i < n_bad; i++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%c", i ? ", " : "",
                                    bad[i]);
        return err_set(e, ERR_FAIL,
                       "plugin '%s': character(s) '%s' not allowed in revision identifier '%s'",
                       path, list, id);
    }
    return 0;
}

/* A list of RUNNER_MAX_REFS ids (down_revision, branch_labels, depends_on):
 * each entry terminated and at most 32 characters; the used entries come
 * first, then only empty ones. */
static int check_refs(const char *path, const char *field,
                      const char (*refs)[RUNNER_ID_SIZE], struct err *e)
{
    int seen_empty = 0;

    /* the entry's name is formatted only for a message: this runs for
     * every entry of every plugin of a scan */
    for (size_t i = 0; i < RUNNER_MAX_REFS; i++) {
        char what[64];

        if (!memchr(refs[i], '\0', RUNNER_ID_SIZE))
            return err_set(e, ERR_FAIL,
                           "plugin '%s': %s entry %zu is unterminated or longer than %d characters",
                           path, field, i + 1, RUNNER_ID_SIZE - 1);
        if (refs[i][0] == '\0') {
            seen_empty = 1;
            continue;
        }
        if (seen_empty)
            return err_set(e, ERR_FAIL, "plugin '%s': %s entry %zu follows an empty entry", path,
                           field, i + 1);
        if (has_control_char(refs[i])) {
            snprintf(what, sizeof(what), "%s entry %zu", field, i + 1);
            return check_id_chars(path, what, refs[i], 0, e);
        }
    }
    return 0;
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Everything in the struct, after its bytes were read as they are. */
static int check_meta(const char *path, const struct runner_revision *m, struct err *e)
{
    size_t sha_len;

    if (!memchr(m->revision, '\0', sizeof(m->revision)))
        return err_set(e, ERR_FAIL,
                       "plugin '%s': revision id is unterminated or longer than %d characters",
                       path, RUNNER_ID_SIZE - 1);
    if (m->revision[0] == '\0')
        return err_set(e, ERR_FAIL, "plugin '%s': empty revision id", path);
    if (check_id_chars(path, "revision id", m->revision, 1, e) < 0)
        return -1;
    if (check_refs(path, "down_revision", m->down_revision, e) < 0 ||
        check_refs(path, "branch_labels", m->branch_labels, e) < 0 ||
        check_refs(path, "depends_on", m->depends_on, e) < 0)
        return -1;
    if (!memchr(m->message, '\0', sizeof(m->message)))
        return err_set(e, ERR_FAIL, "plugin '%s': unterminated message", path);
    if (!memchr(m->create_date, '\0', sizeof(m->create_date)))
        return err_set(e, ERR_FAIL, "plugin '%s': unterminated create_date", path);
    if (!memchr(m->source_sha256, '\0', sizeof(m->source_sha256)))
        return err_set(e, ERR_FAIL, "plugin '%s': unterminated source checksum", path);
    sha_len = strlen(m->source_sha256);
    if (sha_len != 0 && (sha_len != 64 || !is_lower_hex(m->source_sha256, sha_len)))
        return err_set(e, ERR_FAIL,
                       "plugin '%s': source checksum is not 64 lowercase hex digits", path);
    if (m->flags & ~(uint32_t)RUNNER_NO_TRANSACTION)
        return err_set(e, ERR_FAIL, "plugin '%s': unknown metadata flags 0x%x", path,
                       (unsigned)m->flags);
    return 0;
}

/* The fixed head of the struct: magic, ABI version and size, in that order,
 * so that the message names the first thing that is wrong. */
static int check_head(const char *path, uint32_t magic, uint32_t abi, uint32_t size,
                      struct err *e)
{
    if (magic != RUNNER_MAGIC)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong magic 0x%08x (expected 0x%08x)", path,
                       (unsigned)magic, (unsigned)RUNNER_MAGIC);
    if (abi != RUNNER_ABI_VERSION)
        return err_set(e, ERR_FAIL, "plugin '%s': ABI version %u, this runner supports %u",
                       path, (unsigned)abi, (unsigned)RUNNER_ABI_VERSION);
    if (size != sizeof(struct runner_revision))
        return err_set(e, ERR_FAIL, "plugin '%s': metadata size %u, expected %zu", path,
                       (unsigned)size, sizeof(struct runner_revision));
    return 0;
}

/* The ELF header: ours, a shared object. */
static int check_ehdr(const char *path, const unsigned char *buf, size_t got, uint64_t size,
                      ehdr_t *eh, struct err *e)
{
    char tmp[32], tmp2[32];

    if (got < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return err_set(e, ERR_FAIL, "plugin '%s': not an ELF file", path);
    if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
        return err_set(e, ERR_FAIL, "plugin '%s': not an ELF file (bad class %u)", path,
                       buf[EI_CLASS]);
    if (buf[EI_CLASS] != LOADER_CLASS)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong ELF class: %d-bit object, runner is %d-bit",
                       path, buf[EI_CLASS] == ELFCLASS32 ? 32 : 64, LOADER_BITS);
    if (buf[EI_DATA] != LOADER_DATA)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong byte order: %s object, runner is %s",
                       path, buf[EI_DATA] == ELFDATA2MSB ? "big-endian" :
                             buf[EI_DATA] == ELFDATA2LSB ? "little-endian" : "unknown-endian",
                       LOADER_DATA == ELFDATA2LSB ? "little-endian" : "big-endian");
    if (got < sizeof(*eh) || size < sizeof(*eh))
        return err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
    memcpy(eh, buf, sizeof(*eh));
    if (eh->e_type != ET_DYN)
        return err_set(e, ERR_FAIL, "plugin '%s': not a shared object (%s)", path,
                       type_name(eh->e_type, tmp, sizeof(tmp)));
    if (LOADER_MACHINE != EM_NONE && eh->e_machine != LOADER_MACHINE)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong architecture: %s, runner is %s", path,
                       machine_name(eh->e_machine, tmp, sizeof(tmp)),
                       machine_name(LOADER_MACHINE, tmp2, sizeof(tmp2)));
    return 0;
}

/* Read and check the metadata of the open regular file fd of `size` bytes. */
static int read_meta_fd(int fd, const char *path, uint64_t size, struct runner_revision *out,
                        struct err *e)
{
    unsigned char head[sizeof(ehdr_t)];
    unsigned char stackbuf[LOADER_STACK_BUF];
    unsigned char *buf = stackbuf;      /* [base, base + len) of the file; ours when != stackbuf */
    uint64_t base, len, shnum, shstrndx, table;
    shdr_t meta_sh;
    int found = 0;
    const char *strtab = NULL;
    unsigned char *strbuf = NULL;       /* .shstrtab when it was not in buf: ours */
    uint64_t strsize = 0;
    ehdr_t eh;
    shdr_t sh0, strsh;
    ssize_t got;
    int ret = -1;

    memset(&eh, 0, sizeof(eh));
    got = read_at(fd, head, sizeof(head), 0);
    if (got < 0) {
        err_set(e, ERR_FAIL, "plugin '%s': cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (check_ehdr(path, head, (size_t)got, size, &eh, e) < 0)
        goto out;

    /* The section header table, with extended numbering (more than
     * SHN_LORESERVE sections) as the ELF spec describes it. */
    if (eh.e_shoff == 0) {
        err_set(e, ERR_FAIL, "plugin '%s': no metadata section '%s' (no section headers)", path,
                RUNNER_SECTION);
        goto out;
    }
    if (eh.e_shentsize != sizeof(shdr_t)) {
        err_set(e, ERR_FAIL, "plugin '%s': corrupt ELF file (section header size %u)", path,
                (unsigned)eh.e_shentsize);
        goto out;
    }
    shnum = eh.e_shnum;
    shstrndx = eh.e_shstrndx;
    if (shnum == 0 || shstrndx == SHN_XINDEX) {
        if (read_exact(fd, path, &sh0, sizeof(sh0), eh.e_shoff, size, e) < 0)
            goto out;
        if (shnum == 0)
            shnum = sh0.sh_size;
        if (shstrndx == SHN_XINDEX)
            shstrndx = sh0.sh_link;
    }
    if (shnum == 0 || eh.e_shoff > size || shnum > (size - eh.e_shoff) / sizeof(shdr_t)) {
        err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
        goto out;
    }
    if (shstrndx == SHN_UNDEF || shstrndx >= shnum) {
        err_set(e, ERR_FAIL, "plugin '%s': corrupt ELF file (no section name table)", path);
        goto out;
    }
    table = shnum * sizeof(shdr_t);
    base = eh.e_shoff > LOADER_TAIL_SLACK ? eh.e_shoff - LOADER_TAIL_SLACK : 0;
    len = eh.e_shoff - base + table;
    if (len > sizeof(stackbuf)) {
        buf = malloc(len);
        if (!buf) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    if (read_exact(fd, path, buf, len, base, size, e) < 0)
        goto out;

    /* The section-name string table: in buf when it lies there, else read. */
    memcpy(&strsh, buf + (eh.e_shoff - base) + shstrndx * sizeof(shdr_t), sizeof(strsh));
    strsize = strsh.sh_size;
    if (strsh.sh_type == SHT_NOBITS || strsize == 0 || strsh.sh_offset > size ||
        strsize > size - strsh.sh_offset) {
        err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
        goto out;
    }
    if (strsh.sh_offset >= base && strsh.sh_offset + strsize <= base + len) {
        strtab = (const char *)buf + (strsh.sh_offset - base);
    } else {
        strbuf = malloc(strsize);
        if (!strbuf) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if (read_exact(fd, path, strbuf, strsize, strsh.sh_offset, size, e) < 0)
            goto out;
        strtab = (const char *)strbuf;
    }

    for (uint64_t i = 1; i < shnum && !found; i++) {
        uint64_t name;

        /* copied out: e_shoff in a hostile file need not be aligned */
        memcpy(&meta_sh, buf + (eh.e_shoff - base) + i * sizeof(shdr_t), sizeof(meta_sh));
        name = meta_sh.sh_name;
        /* the name must lie inside the table, terminated inside it */
        found = name < strsize && strsize - name > sizeof(RUNNER_SECTION) - 1 &&
                memcmp(strtab + name, RUNNER_SECTION, sizeof(RUNNER_SECTION)) == 0;
    }
    if (!found) {
        err_set(e, ERR_FAIL, "plugin '%s': no metadata section '%s'", path, RUNNER_SECTION);
        goto out;
    }
    {
        uint64_t ssize = meta_sh.sh_type == SHT_NOBITS ? 0 : meta_sh.sh_size;
        uint64_t soff = meta_sh.sh_offset;
        uint32_t fixed[3];

        /* The section is copied as is: the struct holds no pointers. */
        if (ssize < sizeof(fixed)) {
            err_set(e, ERR_FAIL, "plugin '%s': metadata section too small (%llu bytes, expected %zu)",
                    path, (unsigned long long)ssize, sizeof(*out));
            goto out;
        }
        if (ssize >= sizeof(*out)) {
            if (read_exact(fd, path, out, sizeof(*out), soff, size, e) < 0)
                goto out;
            memcpy(fixed, out, sizeof(fixed));
        } else if (read_exact(fd, path, fixed, sizeof(fixed), soff, size, e) < 0) {
            goto out;
        }
        if (check_head(path, fixed[0], fixed[1], fixed[2], e) < 0)
            goto out;
        if (ssize < sizeof(*out)) {
            err_set(e, ERR_FAIL, "plugin '%s': metadata section too small (%llu bytes, expected %zu)",
                    path, (unsigned long long)ssize, sizeof(*out));
            goto out;
        }
    }
    if (check_meta(path, out, e) < 0)
        goto out;
    ret = 0;
out:
    if (buf != stackbuf)
        free(buf);
    free(strbuf);
    return ret;
}

int loader_read_meta(const char *path, struct runner_revision *out, struct err *e)
{
    struct stat st;
    int fd, ret = -1;

    /* O_NONBLOCK: a FIFO named x.so must not hang the scan. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "plugin '%s': cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        err_set(e, ERR_FAIL, "plugin '%s': cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(e, ERR_FAIL, "plugin '%s': not a regular file", path);
        goto out;
    }
    ret = read_meta_fd(fd, path, (uint64_t)st.st_size, out, e);
out:
    close(fd);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Plugin-directory safety, as sshd's StrictModes: whoever can write the
 * directory or a plugin can run code as the runner's user. */

/* "" when st is safe, else the reason (a static string or buf). */
static const char *unsafe_reason(const struct stat *st, uid_t me, char *buf, size_t n)
{

    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return "writable by group or others; fix with chmod go-w";
    if (st->st_uid != me && st->st_uid != 0) {
        snprintf(buf, n, "owned by uid %lu, not by uid %lu or root; fix with chown",
                 (unsigned long)st->st_uid, (unsigned long)me);
        return buf;
    }
    return "";
}

/* Refuse (or with allow_unsafe warn about) an unsafe `st` of `path` (which
 * resolves to `real`, NULL when not a symlink). */
static int check_safe(const char *kind, const char *path, const char *real, const struct stat *st,
                      uid_t me, const struct loader_opts *o, struct err *e)
{
    char buf[128], via[PATH_MAX + 32];
    const char *why = unsafe_reason(st, me, buf, sizeof(buf));

    if (!*why)
        return 0;
    via[0] = '\0';
    if (real && strcmp(real, path) != 0)
        snprintf(via, sizeof(via), "resolves to '%s', ", real);
    if (o && o->allow_unsafe) {
        fprintf(stderr, "runner: warning: unsafe plugin %s '%s' (%smode %04o): %s\n", kind, path,
                via, (unsigned)(st->st_mode & 07777), why);
        return 0;
    }
    return err_set(e, ERR_FAIL,
                   "unsafe plugin %s '%s' (%smode %04o): %s or pass --allow-unsafe-plugins",
                   kind, path, via, (unsigned)(st->st_mode & 07777), why);
}

/* sshd's StrictModes walks up the path too: whoever may write a parent
 * may rename the plugin directory away and put another in its place.  So
 * every ancestor of the resolved directory must be safe as well, except a
 * sticky directory owned by root (/tmp): there nobody may rename what
 * another user owns, and the directory below is checked itself. */
static int check_ancestors(const char *dir, uid_t me, const struct loader_opts *o,
                           struct err *e)
{
    char *real = realpath(dir, NULL);
    char buf[128];
    struct stat st;
    int ret = 0;

    if (!real)
        return 0;   /* opened and checked already; nothing more to learn */
    for (;;) {
        char *slash = strrchr(real, '/');
        const char *why;

        if (!slash || (slash == real && !real[1]))
            break;
        if (slash == real)
            real[1] = '\0';
        else
            *slash = '\0';
        if (stat(real, &st) < 0)
            break;
        if ((st.st_mode & S_ISVTX) && st.st_uid == 0)
            continue;
        why = unsafe_reason(&st, me, buf, sizeof(buf));
        if (!*why)
            continue;
        if (o && o->allow_unsafe) {
            fprintf(stderr, "runner: warning: unsafe plugin directory '%s': its parent '%s' "
                    "(mode %04o) is %s\n", dir, real, (unsigned)(st.st_mode & 07777), why);
            continue;
        }
        ret = err_set(e, ERR_FAIL,
                      "unsafe plugin directory '%s': its parent '%s' (mode %04o) is %s or "
                      "pass --allow-unsafe-plugins",
                      dir, real, (unsigned)(st.st_mode & 07777), why);
        break;
    }
    free(real);
    return ret;
}

/* A plugin that is a symlink: the file it resolves to (fstat of the open
 * fd) and the directory holding it must be as safe as the plugin directory.
 * Returns 0, 1 (dangling since the open: skip) or -1. */
static int check_link(const char *path, const struct stat *st, uid_t me,
                      const struct loader_opts *o, struct err *e)
{
    char *real = realpath(path, NULL);
    struct stat dst;
    char *slash;
    int ret = -1;

    if (!real) {
        if (errno == ENOENT)
            return 1;
        return err_set(e, ERR_FAIL, "plugin '%s': cannot resolve: %s", path, strerror(errno));
    }
    if (check_safe("file", path, real, st, me, o, e) < 0)
        goto out;
    slash = strrchr(real, '/');
    if (slash == real)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    if (stat(real, &dst) < 0) {
        err_set(e, ERR_FAIL, "plugin '%s': cannot stat '%s': %s", path, real, strerror(errno));
        goto out;
    }
    ret = check_safe("directory", path, real, &dst, me, o, e);
out:
    free(real);
    return ret;
}

/* Names of the *.so entries of a directory, sorted by strcmp (byte order,
 * not the locale's, so the order is the same everywhere).  Each arena entry
 * is the d_type byte followed by the NUL-terminated name, so the type
 * travels with the name through the sort: type = name[-1]. */
struct names {
    char *arena;            /* [d_type][name]\0 ... */
    size_t used, cap;
    size_t *offs;           /* start of each name (after its type byte) in arena */
    size_t n, n_cap;
    char **sorted;          /* pointers into arena, after names_sort() */
};

static void names_release(struct names *nm)
{
    free(nm->arena);
    free(nm->offs);
    free(nm->sorted);
}

static int names_add(struct names *nm, const char *name, size_t len, unsigned char type)
{
    if (nm->used + len + 2 > nm->cap) {
        size_t cap = nm->cap ? nm->cap * 2 : 16384;
        char *p;

        while (cap < nm->used + len + 2)
            cap *= 2;
        p = realloc(nm->arena, cap);
        if (!p)
            return -1;
        nm->arena = p;
        nm->cap = cap;
    }
    if (nm->n == nm->n_cap) {
        size_t cap = nm->n_cap ? nm->n_cap * 2 : 256;
        size_t *o = realloc(nm->offs, cap * sizeof(*o));

        if (!o)
            return -1;
        nm->offs = o;
        nm->n_cap = cap;
    }
    nm->arena[nm->used] = (char)type;
    memcpy(nm->arena + nm->used + 1, name, len + 1);
    nm->offs[nm->n++] = nm->used + 1;
    nm->used += len + 2;
    return 0;
}

/* Sorting compares the bytes after the prefix every name shares, eight at
 * a time first: big-endian, so that the numbers order as strcmp() does,
 * without a trip through the strings for most comparisons. */
struct sort_key {
    uint64_t v;             /* bytes [skip, skip + 8) of s, zero past its end */
    const char *s;          /* the name + skip */
    char *name;
};

static int cmp_key(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;

    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return strcmp(x->s, y->s);
}

/* Pointers into the arena are taken only now: realloc may have moved it. */
static int names_sort(struct names *nm)
{
    struct sort_key *keys;
    size_t skip;

    if (!nm->n)
        return 0;
    nm->sorted = malloc(nm->n * sizeof(*nm->sorted));
    keys = malloc(nm->n * sizeof(*keys));
    if (!nm->sorted || !keys) {
        free(keys);
        return -1;
    }
    /* the longest prefix of the first name that all names share */
    skip = strlen(nm->arena + nm->offs[0]);
    for (size_t i = 1; i < nm->n && skip; i++) {
        const char *a = nm->arena + nm->offs[0], *b = nm->arena + nm->offs[i];
        size_t k = 0;

        while (k < skip && a[k] == b[k])
            k++;
        skip = k;
    }
    for (size_t i = 0; i < nm->n; i++) {
        const unsigned char *p = (const unsigned char *)nm->arena + nm->offs[i] + skip;
        uint64_t v = 0;
        int k = 0;

        for (; k < 8 && p[k]; k++)
            v = v << 8 | p[k];
        keys[i].v = k ? v << (8 * (8 - k)) : 0;
        keys[i].s = (const char *)p;
        keys[i].name = nm->arena + nm->offs[i];
    }
    if (radix_sort_u64(keys, nm->n, sizeof(struct sort_key), offsetof(struct sort_key, v),
                       cmp_key) < 0) {
        free(keys);
        return -1;
    }
    for (size_t i = 0; i < nm->n; i++)
        nm->sorted[i] = keys[i].name;
    free(keys);
    return 0;
}

static int wanted(const char *name, size_t len)
{
    return len > 3 && name[0] != '.' && memcmp(name + len - 3, ".so", 3) == 0;
}

static int list_dir(DIR *d, const char *dir, struct names *nm, struct err *e)
{
    struct dirent *de;

    for (;;) {
        size_t len;

        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno)
                return err_set(e, ERR_FAIL, "cannot read plugin directory '%s': %s", dir,
                               strerror(errno));
            return 0;
        }
        len = strlen(de->d_name);
        if (!wanted(de->d_name, len) || de->d_type == DT_DIR)
            continue;
        if (names_add(nm, de->d_name, len, de->d_type) < 0)
            return err_set(e, ERR_FAIL, "out of memory");
    }
}

/* Open, check and read one entry.  Returns 0 (read, *meta filled), 1 (gone
 * since readdir: skip) or -1. */
static int scan_one(int dfd, const char *path, const char *name, unsigned char type, uid_t me,
                    const struct loader_opts *o, struct runner_revision *meta, struct err *e)
{
    struct stat st, lst;
    int fd, ret = -1;

    fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;   /* race: removed (or a dangling symlink) since readdir */
        return err_set(e, ERR_FAIL, "plugin '%s': cannot open: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) < 0) {
        err_set(e, ERR_FAIL, "plugin '%s': cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(e, ERR_FAIL, "plugin '%s': not a regular file", path);
        goto out;
    }
    /* fstat saw the file we read, through any symlink.  For a symlink,
     * name what it resolves to and check the target's directory too;
     * lstat only when readdir did not say (DT_UNKNOWN), to keep the scan
     * cheap. */
    if (type == DT_LNK ||
        (type == DT_UNKNOWN && fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISLNK(lst.st_mode))) {
        int r = check_link(path, &st, me, o, e);

        if (r != 0) {
            ret = r;
            goto out;
        }
    } else if (check_safe("file", path, NULL, &st, me, o, e) < 0) {
        goto out;
    }
    ret = read_meta_fd(fd, path, (uint64_t)st.st_size, meta, e);
out:
    close(fd);
    return ret;
}

/* Does `path` resolve to `real` only through a symlink?  Without symlinks,
 * the absolute form of path with ".", ".." and repeated slashes removed
 * lexically is exactly what realpath() returns. */
static int went_through_symlink(const char *path, const char *real)
{
    char abs[PATH_MAX * 2], norm[PATH_MAX * 2];
    size_t n = 0;
    const char *p;

    if (path[0] == '/') {
        snprintf(abs, sizeof(abs), "%s", path);
    } else {
        char cwd[PATH_MAX];

        if (!getcwd(cwd, sizeof(cwd)))
            return 1;
        snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
    }
    for (p = abs; *p; ) {
        size_t len;

        while (*p == '/')
            p++;
        len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && norm[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            norm[n++] = '/';
            memcpy(norm + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        norm[n++] = '/';
    norm[n] = '\0';
    return strcmp(norm, real) != 0;
}

/* What every file of one scan shares; read-only while workers run. */
struct scan {
    int dfd;                        /* the open plugin directory */
    const char *dir;                /* as the caller named it, for messages and graph paths */
    size_t dlen;                    /* strlen(dir) without trailing slashes */
    uid_t euid;
    const struct loader_opts *o;
    char *const *names;             /* sorted; names[i][-1] is the d_type */
};

static int scan_path(const struct scan *s, const char *name, char path[PATH_MAX], struct err *e)
{
    size_t nlen = strlen(name);

    if (s->dlen + 1 + nlen + 1 > PATH_MAX)
        return err_set(e, ERR_FAIL, "plugin path too long: '%.*s/%s'", (int)s->dlen, s->dir,
                       name);
    memcpy(path, s->dir, s->dlen);
    path[s->dlen] = '/';
    memcpy(path + s->dlen + 1, name, nlen + 1);
    return 0;
}

/* Reading is parallel (the syscalls dominate: open, fstat, three preads,
 * close per file) and overlaps graph_add(), which stays on the calling
 * thread, serial and in name order, so the result and the first error are
 * those of a plain loop.  Whichever thread is free claims the next chunk
 * of LOADER_CHUNK names, the caller too when the next file to add is not
 * read yet.  Metadata passes through a ring of slots (file i in slot
 * i % ring_n): a chunk is claimed only when the caller has added what its
 * slots held before, so memory stays small and warm. */
#define LOADER_CHUNK 16
#define LOADER_RING 256             /* slots; a multiple of LOADER_CHUNK */
#define LOADER_MAX_THREADS 8
#define LOADER_MIN_PARALLEL 256     /* fewer files: no threads */

enum { SLOT_PENDING, SLOT_READ, SLOT_GONE, SLOT_FAILED };

struct reader {
    struct pipe *p;
    size_t failed;                  /* the index it failed at, or SIZE_MAX */
    struct err err;                 /* why */
};

/* Shared by the caller and the reader threads of one scan. */
struct pipe {
    const struct scan *s;
    size_t n;                       /* names */
    struct runner_revision *ring;   /* ring_n slots: ours */
    size_t ring_n;
    _Atomic unsigned char *state;   /* n SLOT_* entries: ours; set once by the reader */
    pthread_mutex_t mu;             /* guards the three below */
    pthread_cond_t cv;              /* a chunk was read, slots were freed, or stop moved */
    size_t next;                    /* first unclaimed index (a multiple of LOADER_CHUNK) */
    size_t added;                   /* the caller is done with [0, added) */
    size_t stop;                    /* claim nothing at or after this (a failure, or the end) */
};

/* Under p->mu: may [p->next, p->next + LOADER_CHUNK) be claimed now? */
static int pipe_can_claim(const struct pipe *p)
{
    return p->next < p->stop && p->next + LOADER_CHUNK <= p->added + p->ring_n;
}

/* Read the chunk at `first` (claimed by the caller).  A reader stops at its
 * first failure: what follows comes later in name order, so the scan
 * reports this one (or an earlier one) either way. */
static int pipe_read_chunk(struct reader *rd, size_t first)
{
    struct pipe *p = rd->p;
    const struct scan *s = p->s;
    size_t end = first + LOADER_CHUNK < p->n ? first + LOADER_CHUNK : p->n;
    char path[PATH_MAX];
    int ret = 0;

    for (size_t i = first; i < end; i++) {
        const char *name = s->names[i];
        int r = scan_path(s, name, path, &rd->err);

        if (r == 0)
            r = scan_one(s->dfd, path, name, (unsigned char)name[-1], s->euid, s->o,
                         &p->ring[i % p->ring_n], &rd->err);
        if (r < 0) {
            rd->failed = i;
            atomic_store_explicit(&p->state[i], SLOT_FAILED, memory_order_release);
            ret = -1;
            break;
        }
        atomic_store_explicit(&p->state[i], r > 0 ? SLOT_GONE : SLOT_READ,
                              memory_order_release);
    }
    pthread_mutex_lock(&p->mu);
    if (ret < 0 && rd->failed < p->stop)
        p->stop = rd->failed;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return ret;
}

static void *reader_run(void *arg)
{
    struct reader *rd = arg;
    struct pipe *p = rd->p;

    for (;;) {
        size_t first;

        pthread_mutex_lock(&p->mu);
        while (p->next < p->stop && !pipe_can_claim(p))
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->next >= p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        first = p->next;
        p->next += LOADER_CHUNK;
        pthread_mutex_unlock(&p->mu);
        if (pipe_read_chunk(rd, first) < 0)
            return NULL;
    }
}

static int scan_all(const struct scan *s, size_t n, struct graph *g, struct err *e)
{
    struct reader readers[LOADER_MAX_THREADS];     /* [0] is the caller */
    pthread_t tids[LOADER_MAX_THREADS];
    size_t n_threads = 0;                           /* started, besides the caller */
    size_t want = 1;
    struct pipe p;
    char path[PATH_MAX];
    int ret = -1;

    if (n == 0)
        return 0;
    if (n >= LOADER_MIN_PARALLEL) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        want = cpus < 1 ? 1 : cpus > LOADER_MAX_THREADS ? LOADER_MAX_THREADS : (size_t)cpus;
    }
    memset(&p, 0, sizeof(p));
    p.s = s;
    p.n = n;
    p.stop = n;
    p.ring_n = (n + LOADER_CHUNK - 1) / LOADER_CHUNK * LOADER_CHUNK;
    if (p.ring_n > LOADER_RING)
        p.ring_n = LOADER_RING;
    p.ring = malloc(p.ring_n * sizeof(*p.ring));
    p.state = calloc(n, sizeof(*p.state));
    if (!p.ring || !p.state) {
        free(p.ring);
        free((void *)p.state);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    for (size_t t = 0; t < want; t++) {
        readers[t].p = &p;
        readers[t].failed = SIZE_MAX;
        err_clear(&readers[t].err);
    }
    /* a thread that cannot be started leaves more for the others */
    for (size_t t = 1; t < want; t++)
        if (pthread_create(&tids[n_threads], NULL, reader_run, &readers[n_threads + 1]) == 0)
            n_threads++;
    for (size_t i = 0; i < n; i++) {
        unsigned st = atomic_load_explicit(&p.state[i], memory_order_acquire);

        if (st == SLOT_PENDING) {
            pthread_mutex_lock(&p.mu);
            while ((st = atomic_load_explicit(&p.state[i], memory_order_acquire)) ==
                   SLOT_PENDING) {
                size_t first;

                /* never reached for an index past a failure: i is claimed */
                if (!pipe_can_claim(&p)) {
                    pthread_cond_wait(&p.cv, &p.mu);
                    continue;
                }
                first = p.next;
                p.next += LOADER_CHUNK;
                pthread_mutex_unlock(&p.mu);
                pipe_read_chunk(&readers[0], first);
                pthread_mutex_lock(&p.mu);
            }
            pthread_mutex_unlock(&p.mu);
        }
        if (st == SLOT_FAILED) {
            for (size_t t = 0; t <= n_threads; t++)
                if (readers[t].failed == i && e)
                    *e = readers[t].err;
            goto out;
        }
        if (st == SLOT_READ &&
            (scan_path(s, s->names[i], path, e) < 0 ||
             graph_add(g, &p.ring[i % p.ring_n], path, e) < 0))
            goto out;
        if ((i + 1) % LOADER_CHUNK == 0) {
            pthread_mutex_lock(&p.mu);
            p.added = i + 1;
            pthread_cond_broadcast(&p.cv);
            pthread_mutex_unlock(&p.mu);
        }
    }
    ret = 0;
out:
    pthread_mutex_lock(&p.mu);
    p.stop = 0;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (size_t t = 0; t < n_threads; t++)
        pthread_join(tids[t], NULL);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    free(p.ring);
    free((void *)p.state);
    return ret;
}

int loader_scan(const char *dir, const struct loader_opts *o, struct graph *g, struct err *e)
{
    struct names nm = { 0 };
    struct scan s;
    char *real = NULL;
    struct stat st;
    DIR *d = NULL;
    int ret = -1;

    d = opendir(dir);
    if (!d) {
        err_set(e, ERR_FAIL, "cannot read plugin directory '%s': %s", dir, strerror(errno));
        goto out;
    }
    if (fstat(dirfd(d), &st) < 0) {
        err_set(e, ERR_FAIL, "cannot stat plugin directory '%s': %s", dir, strerror(errno));
        goto out;
    }
    s.dfd = dirfd(d);
    s.dir = dir;
    s.dlen = strlen(dir);
    while (s.dlen > 1 && dir[s.dlen - 1] == '/')
        s.dlen--;
    s.euid = geteuid();
    s.o = o;
    /* fstat of the open directory is its resolved target; name it when the
     * path went through a symlink. */
    real = realpath(dir, NULL);
    if (real && !went_through_symlink(dir, real)) {
        free(real);
        real = NULL;
    }
    if (check_safe("directory", dir, real, &st, s.euid, o, e) < 0)
        goto out;
    if (check_ancestors(dir, s.euid, o, e) < 0)
        goto out;
    if (list_dir(d, dir, &nm, e) < 0)
        goto out;
    if (names_sort(&nm) < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    s.names = nm.sorted;
    if (scan_all(&s, nm.n, g, e) < 0)
        goto out;
    if (graph_build(g, e) < 0)
        goto out;
    ret = 0;
out:
    free(real);
    names_release(&nm);
    if (d)
        closedir(d);
    return ret;
}

/* ------------------------------------------------------------------ */

int plugin_open(struct plugin *p, const char *path, const char *expect_id, struct err *e)
{
    char local[PATH_MAX];
    const char *dlpath = path;
    const struct runner_revision *m;
    void *h;
    const char *msg;

    memset(p, 0, sizeof(*p));
    /* Without a slash dlopen() would search the library path instead. */
    if (!strchr(path, '/')) {
        if ((size_t)snprintf(local, sizeof(local), "./%s", path) >= sizeof(local))
            return err_set(e, ERR_FAIL, "plugin path too long: '%s'", path);
        dlpath = local;
    }
    dlerror();
    h = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        msg = dlerror();
        return err_set(e, ERR_FAIL, "plugin '%s': cannot load: %s", path,
                       msg ? msg : "unknown dlopen error");
    }
    p->handle = h;
    /* A function pointer from void *: POSIX guarantees the conversion. */
    p->upgrade = (int (*)(runner_op *))dlsym(h, "upgrade");
    if (!p->upgrade) {
        err_set(e, ERR_FAIL, "plugin '%s': missing symbol 'upgrade'", path);
        goto fail;
    }
    p->downgrade = (int (*)(runner_op *))dlsym(h, "downgrade");
    if (!p->downgrade) {
        err_set(e, ERR_FAIL, "plugin '%s': missing symbol 'downgrade'", path);
        goto fail;
    }
    m = dlsym(h, RUNNER_META_SYMBOL);
    if (!m) {
        err_set(e, ERR_FAIL, "plugin '%s': missing symbol '%s'", path, RUNNER_META_SYMBOL);
        goto fail;
    }
    if (check_head(path, m->magic, m->abi_version, m->size, e) < 0)
        goto fail;
    if (!memchr(m->revision, '\0', sizeof(m->revision))) {
        err_set(e, ERR_FAIL,
                "plugin '%s': revision id is unterminated or longer than %d characters", path,
                RUNNER_ID_SIZE - 1);
        goto fail;
    }
    if (expect_id && strcmp(m->revision, expect_id) != 0) {
        err_set(e, ERR_FAIL,
                "plugin '%s': revision '%s' where '%s' was listed (file changed since the scan?)",
                path, m->revision, expect_id);
        goto fail;
    }
    p->meta = m;
    return 0;
fail:
    plugin_close(p);
    return -1;
}

void plugin_close(struct plugin *p)
{
    if (!p)
        return;
    if (p->handle)
        dlclose(p->handle);
    memset(p, 0, sizeof(*p));
}
