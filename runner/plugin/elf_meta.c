/* elf_meta.c -- reads a plugin's metadata from the ELF section
 * RUNNER_SECTION without running it, and checks it on its own (bytes,
 * strings, the id grammar).  See elf_meta.h and loader.h.
 *
 * Reading metadata is two preads per file: the ELF header, then the
 * section header table together with the ELF_META_TAIL_SLACK bytes just
 * before it, where GNU ld puts .shstrtab and, in a small revision plugin,
 * the metadata section too (~5 KiB before the table).  What that read did
 * not get (a bigger plugin) takes a read of its own.  Every offset and
 * size in the file is untrusted and checked against the file size before
 * use.  The graph (graph.c) links and validates what this file reads. */
#include "elf_meta.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "rev_id.h"

/* The runner only loads objects of its own class, byte order and machine. */
#if UINTPTR_MAX > 0xffffffffu
#define ELF_META_CLASS ELFCLASS64
#define ELF_META_BITS 64
typedef Elf64_Ehdr ehdr_t;
typedef Elf64_Shdr shdr_t;
#else
#define ELF_META_CLASS ELFCLASS32
#define ELF_META_BITS 32
typedef Elf32_Ehdr ehdr_t;
typedef Elf32_Shdr shdr_t;
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ELF_META_DATA ELFDATA2LSB
#else
#define ELF_META_DATA ELFDATA2MSB
#endif

#if defined(__x86_64__)
#define ELF_META_MACHINE EM_X86_64
#elif defined(__i386__)
#define ELF_META_MACHINE EM_386
#elif defined(__aarch64__)
#define ELF_META_MACHINE EM_AARCH64
#elif defined(__arm__)
#define ELF_META_MACHINE EM_ARM
#elif defined(__riscv)
#define ELF_META_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define ELF_META_MACHINE EM_PPC64
#elif defined(__powerpc__)
#define ELF_META_MACHINE EM_PPC
#elif defined(__s390__)
#define ELF_META_MACHINE EM_S390
#elif defined(__mips__)
#define ELF_META_MACHINE EM_MIPS
#else
#define ELF_META_MACHINE EM_NONE  /* unknown host: the machine is not checked */
#endif

/* Bytes read just before the section header table in the same pread(), so
 * that .shstrtab (which GNU ld and lld place there) and the metadata of a
 * revision plugin (~5 KiB before the table with GNU ld) need no read of
 * their own. */
#define ELF_META_TAIL_SLACK 8192
/* The slack and section header tables up to this size are read into a
 * stack buffer. */
#define ELF_META_STACK_BUF 16384

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

/* Bytes [base, base + len) of the file, read already. */
struct window {
    const unsigned char *buf;
    uint64_t base, len;
};

/* Read exactly n bytes at off, or fill *e: a short read is a truncated
 * file.  Copied from w when it holds them (w may be NULL). */
static int read_exact(int fd, const struct window *w, const char *path, void *buf, size_t n,
                      uint64_t off, uint64_t size, struct err *e)
{
    ssize_t r;

    if (off > size || n > size - off)
        return err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
    if (w && off >= w->base && off - w->base <= w->len && n <= w->len - (off - w->base)) {
        memcpy(buf, w->buf + (off - w->base), n);
        return 0;
    }
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
 * (_revision_illegal_chars in script/revision.py); beyond that every id
 * follows rev_id.h's grammar (issue 10.8). */
static int check_id_chars(const char *path, const char *what, const char *id, int is_revision,
                          struct err *e)
{
    char bad[8];
    size_t n_bad = 0;

    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return err_set(e, ERR_FAIL, "plugin '%s': %s contains a control character", path,
                           what);
    if (!is_revision) {
        if (rev_id_bad_char(id))
            return err_set(e, ERR_FAIL,
                           "plugin '%s': %s '%s' may hold only letters, digits, '_' and '.'", path,
                           what, id);
        return 0;
    }
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
    /* the grammar of `revision --rev-id`, for every id a plugin declares */
    if (rev_id_bad_char(id))
        return err_set(e, ERR_FAIL,
                       "plugin '%s': %s '%s' may hold only letters, digits, '_' and '.'", path,
                       what, id);
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
        if (has_control_char(refs[i]) || rev_id_bad_char(refs[i])) {
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
    if (!memchr(m->lint_allow, '\0', sizeof(m->lint_allow)))
        return err_set(e, ERR_FAIL, "plugin '%s': unterminated lint_allow", path);
    for (const char *p = m->lint_allow; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-_, ", *p)))
            return err_set(e, ERR_FAIL,
                           "plugin '%s': lint_allow may hold only rule names, spaces and commas",
                           path);
    if (m->flags & ~(uint32_t)RUNNER_NO_TRANSACTION)
        return err_set(e, ERR_FAIL, "plugin '%s': unknown metadata flags 0x%x", path,
                       (unsigned)m->flags);
    return 0;
}

/* The fixed head of the struct: magic, ABI version and size, in that order,
 * so that the message names the first thing that is wrong. */
int elf_meta_check_head(const char *path, uint32_t magic, uint32_t abi, uint32_t size,
                      struct err *e)
{
    if (magic != RUNNER_MAGIC)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong magic 0x%08x (expected 0x%08x)", path,
                       (unsigned)magic, (unsigned)RUNNER_MAGIC);
    if (abi != RUNNER_ABI_VERSION)
        return err_set(e, ERR_FAIL, "plugin '%s': ABI version %u, this runner supports %u",
                       path, (unsigned)abi, (unsigned)RUNNER_ABI_VERSION);
    /* the metadata grows at its end (plugin.h): a plugin built before
     * lint_allow has ABI 1's first size, and lacks only that */
    if (size != sizeof(struct runner_revision) && size != RUNNER_META_SIZE_V1)
        return err_set(e, ERR_FAIL, "plugin '%s': metadata size %u, expected %zu or %zu", path,
                       (unsigned)size, (size_t)RUNNER_META_SIZE_V1,
                       sizeof(struct runner_revision));
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
    if (buf[EI_CLASS] != ELF_META_CLASS)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong ELF class: %d-bit object, runner is %d-bit",
                       path, buf[EI_CLASS] == ELFCLASS32 ? 32 : 64, ELF_META_BITS);
    if (buf[EI_DATA] != ELF_META_DATA)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong byte order: %s object, runner is %s",
                       path, buf[EI_DATA] == ELFDATA2MSB ? "big-endian" :
                             buf[EI_DATA] == ELFDATA2LSB ? "little-endian" : "unknown-endian",
                       ELF_META_DATA == ELFDATA2LSB ? "little-endian" : "big-endian");
    if (got < sizeof(*eh) || size < sizeof(*eh))
        return err_set(e, ERR_FAIL, "plugin '%s': truncated file", path);
    memcpy(eh, buf, sizeof(*eh));
    if (eh->e_type != ET_DYN)
        return err_set(e, ERR_FAIL, "plugin '%s': not a shared object (%s)", path,
                       type_name(eh->e_type, tmp, sizeof(tmp)));
    if (ELF_META_MACHINE != EM_NONE && eh->e_machine != ELF_META_MACHINE)
        return err_set(e, ERR_FAIL, "plugin '%s': wrong architecture: %s, runner is %s", path,
                       machine_name(eh->e_machine, tmp, sizeof(tmp)),
                       machine_name(ELF_META_MACHINE, tmp2, sizeof(tmp2)));
    return 0;
}

/* Read and check the metadata of the open regular file fd of `size` bytes. */
int elf_meta_read_fd(int fd, const char *path, uint64_t size, struct runner_revision *out,
                        struct err *e)
{
    unsigned char head[sizeof(ehdr_t)];
    unsigned char stackbuf[ELF_META_STACK_BUF];
    unsigned char *buf = stackbuf;      /* [base, base + len) of the file; ours when != stackbuf */
    uint64_t base, len, shnum, shstrndx, table;
    struct window win = { NULL, 0, 0 };    /* what buf holds, once read */
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
        if (read_exact(fd, NULL, path, &sh0, sizeof(sh0), eh.e_shoff, size, e) < 0)
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
    base = eh.e_shoff > ELF_META_TAIL_SLACK ? eh.e_shoff - ELF_META_TAIL_SLACK : 0;
    len = eh.e_shoff - base + table;
    if (len > sizeof(stackbuf)) {
        buf = malloc(len);
        if (!buf) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    if (read_exact(fd, NULL, path, buf, len, base, size, e) < 0)
        goto out;
    win.buf = buf;
    win.base = base;
    win.len = len;

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
        if (read_exact(fd, NULL, path, strbuf, strsize, strsh.sh_offset, size, e) < 0)
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

        /* The section is copied as is: the struct holds no pointers.  An
         * older plugin's shorter struct leaves the members after it zero. */
        size_t want = ssize >= sizeof(*out) ? sizeof(*out) : (size_t)ssize;

        memset(out, 0, sizeof(*out));
        if (ssize < sizeof(fixed)) {
            err_set(e, ERR_FAIL, "plugin '%s': metadata section too small (%llu bytes, expected %zu)",
                    path, (unsigned long long)ssize, (size_t)RUNNER_META_SIZE_V1);
            goto out;
        }
        if (ssize >= RUNNER_META_SIZE_V1) {
            if (read_exact(fd, &win, path, out, want, soff, size, e) < 0)
                goto out;
            memcpy(fixed, out, sizeof(fixed));
        } else if (read_exact(fd, &win, path, fixed, sizeof(fixed), soff, size, e) < 0) {
            goto out;
        }
        if (elf_meta_check_head(path, fixed[0], fixed[1], fixed[2], e) < 0)
            goto out;
        if (ssize < fixed[2]) {
            err_set(e, ERR_FAIL, "plugin '%s': metadata section too small (%llu bytes, expected %zu)",
                    path, (unsigned long long)ssize, (size_t)fixed[2]);
            goto out;
        }
        /* bytes past the plugin's own struct (its section may be padded) are not its */
        if (fixed[2] < sizeof(*out))
            memset((char *)out + fixed[2], 0, sizeof(*out) - fixed[2]);
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

int elf_meta_check(const char *path, const struct runner_revision *m, struct err *e)
{
    if (elf_meta_check_head(path, m->magic, m->abi_version, m->size, e) < 0)
        return -1;
    return check_meta(path, m, e);
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
    ret = elf_meta_read_fd(fd, path, (uint64_t)st.st_size, out, e);
out:
    close(fd);
    return ret;
}
