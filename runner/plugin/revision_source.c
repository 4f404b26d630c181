/* revision_source.c -- the revision source template; see revision_source.h. */
#include "revision_source.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <runner/plugin.h>

#include "rev_id.h"

#define SLUG_MAX 40     /* alembic's truncate_slug_length default */

int revision_check_id(const char *id, struct err *e)
{
    if (!*id)
        return err_set(e, ERR_USAGE, "revision identifier must not be empty");
    if (strlen(id) >= RUNNER_ID_SIZE)
        return err_set(e, ERR_USAGE,
                       "revision identifier '%.40s...' is longer than %d characters", id,
                       RUNNER_ID_SIZE - 1);
    /* alembic: _revision_illegal_chars; quotes and controls would break
     * the generated C and the file name. */
    for (const char *p = id; *p; p++) {
        if (*p == '@' || *p == '-' || *p == '+')
            return err_set(e, ERR_USAGE, "Revision identifier '%s' cannot contain '%c'", id,
                           *p);
        if (!rev_id_char_ok(*p))
            return err_set(e, ERR_USAGE,
                           "revision identifier '%s' may hold only letters, digits, '_' and '.'",
                           id);
    }
    return 0;
}

char *revision_slug(const char *message)
{
    size_t len = message ? strlen(message) : 0;
    char *slug = malloc(len + 1);
    size_t n = 0;

    if (!slug)
        return NULL;
    for (size_t i = 0; i < len;) {
        /* a word: ASCII letters, digits, underscore */
        size_t start = i;

        while (i < len && (isalnum((unsigned char)message[i]) || message[i] == '_'))
            i++;
        if (i > start) {
            if (n)
                slug[n++] = '_';
            for (size_t k = start; k < i; k++)
                slug[n++] = (char)tolower((unsigned char)message[k]);
        } else {
            i++;
        }
    }
    slug[n] = '\0';
    if (n > SLUG_MAX) {
        /* alembic: cut at the last word boundary and end with '_' */
        char *cut;

        slug[SLUG_MAX] = '\0';
        cut = strrchr(slug, '_');
        if (cut)
            cut[1] = '\0';
    }
    return slug;
}

int revision_new_id(char buf[13], struct err *e)
{
    unsigned char bytes[6];
    ssize_t got = getrandom(bytes, sizeof(bytes), 0);

    if (got != (ssize_t)sizeof(bytes))
        return err_set(e, ERR_FAIL, "cannot read random bytes: %s", strerror(errno));
    for (size_t i = 0; i < sizeof(bytes); i++)
        snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

/* U+202A..U+202E and U+2066..U+2069: bidirectional controls, which GCC
 * refuses unpaired (-Wbidi-chars, an error under -Werror).  Returns the
 * code point when p starts with one, else 0. */
static unsigned bidi_control(const unsigned char *p)
{
    if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
        return 0x2000u + (p[2] - 0x80u);
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
        return 0x2040u + (p[2] - 0x80u);
    return 0;
}

void revision_c_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned bidi = bidi_control(p);

        if (bidi) {
            fprintf(f, "\\u%04X", bidi);   /* a UCN: the same bytes, no warning */
            p += 2;
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '?': fputs("\\?", f); break;      /* no trigraphs */
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\%03o", *p);
            else
                fputc(*p, f);   /* UTF-8 bytes pass through: sources are UTF-8 */
        }
    }
}

/* The message inside a block comment: no "*" "/" may end it early, and
 * nothing may draw a -Werror warning: "/" "*" (-Wcomment), a trigraph
 * (-Wtrigraphs: "??/" before a newline splices lines) or an unpaired
 * bidirectional control (-Wbidi-chars, shown as <U+XXXX>). */
static void comment_text(FILE *f, const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned bidi = bidi_control((const unsigned char *)p);

        if (bidi) {
            fprintf(f, "<U+%04X>", bidi);
            p += 2;
        } else if (*p == '\n') {
            fputs("\n *", f);
            if (p[1] && p[1] != '\n')
                fputc(' ', f);
        } else if (*p == '*' && p[1] == '/') {
            fputs("* ", f);
        } else if (*p == '/' && p[1] == '*') {
            fputs("/ ", f);
        } else if (*p == '?' && p[1] == '?' && p[2] && strchr("=/'()!<>-", p[2])) {
            fputs("? ", f);
        } else if (*p != '\r') {
            fputc(*p, f);
        }
    }
}

static void rev_list(FILE *f, const char *field, const char *const *ids, size_t n)
{
    if (!n)
        return;
    fprintf(f, "    .%s = RUNNER_REVS(", field);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", \"" : "\"", f);
        revision_c_escape(f, ids[i]);
        fputc('"', f);
    }
    fputs("),\n", f);
}

static void body(FILE *f, const char *text)
{
    if (text && *text) {
        fputs(text, f);
        if (text[strlen(text) - 1] != '\n')
            fputc('\n', f);
        return;
    }
    fputs("    (void)op;\n    return 0;\n", f);
}

static void render(FILE *f, const struct revision_spec *s, const char *id, const char *date)
{
    const char *msg = s->message ? s->message : "";

    fputs("/* ", f);
    comment_text(f, *msg ? msg : "empty message");
    fprintf(f, "\n *\n * Revision ID: %s\n * Revises: ", id);
    for (size_t i = 0; i < s->n_down; i++)
        fprintf(f, "%s%s", i ? ", " : "", s->down[i]);
    fprintf(f, "\n * Create Date: %s\n */\n#include <runner/plugin.h>\n\n", date);
    fputs("RUNNER_REVISION(\n", f);
    fputs("    .revision = \"", f);
    revision_c_escape(f, id);
    fputs("\",\n", f);
    rev_list(f, "down_revision", s->down, s->n_down);
    rev_list(f, "branch_labels", s->labels, s->n_labels);
    rev_list(f, "depends_on", s->deps, s->n_deps);
    if (s->no_transaction)
        fputs("    .flags = RUNNER_NO_TRANSACTION,\n", f);
    fputs("    .message = \"", f);
    revision_c_escape(f, msg);
    fprintf(f, "\",\n    .create_date = \"%s\");\n\n", date);
    fputs("int upgrade(runner_op *op)\n{\n", f);
    body(f, s->upgrade_body);
    fputs("}\n\nint downgrade(runner_op *op)\n{\n", f);
    body(f, s->downgrade_body);
    fputs("}\n", f);
}

static int check_lists(const struct revision_spec *s, struct err *e)
{
    const char *const *lists[] = { s->down, s->labels, s->deps };
    const size_t counts[] = { s->n_down, s->n_labels, s->n_deps };
    const char *names[] = { "down revisions", "branch labels", "depends_on entries" };

    for (size_t k = 0; k < 3; k++) {
        if (counts[k] > RUNNER_MAX_REFS)
            return err_set(e, ERR_USAGE, "too many %s: %zu (at most %d)", names[k], counts[k],
                           RUNNER_MAX_REFS);
        for (size_t i = 0; i < counts[k]; i++)
            if (strlen(lists[k][i]) >= RUNNER_ID_SIZE)
                return err_set(e, ERR_USAGE, "'%.40s' is longer than %d characters",
                               lists[k][i], RUNNER_ID_SIZE - 1);
    }
    return 0;
}

int revision_write(const struct revision_spec *s, char **path_out, struct err *e)
{
    char id_buf[13];
    const char *id = s->id;
    char date[RUNNER_DATE_SIZE];
    char *slug = NULL, *path = NULL, *tmp = NULL;
    FILE *f = NULL;
    struct timespec ts;
    struct tm tm;
    int fd = -1;
    int ret = -1;

    *path_out = NULL;
    if (!id) {
        if (revision_new_id(id_buf, e) < 0)
            return -1;
        id = id_buf;
    } else if (revision_check_id(id, e) < 0) {
        return -1;
    }
    if (s->message && strlen(s->message) >= RUNNER_MESSAGE_SIZE)
        return err_set(e, ERR_USAGE, "message is %zu bytes long; at most %d fit",
                       strlen(s->message), RUNNER_MESSAGE_SIZE - 1);
    if (check_lists(s, e) < 0)
        return -1;
    /* alembic's create_date: local time with microseconds */
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(date + strlen(date), sizeof(date) - strlen(date), ".%06ld", ts.tv_nsec / 1000);

    slug = revision_slug(s->message);
    if (!slug || asprintf(&path, "%s/%s%s%s.c", s->dir, id, *slug ? "_" : "", slug) < 0 ||
        asprintf(&tmp, "%s/.%s.tmp.XXXXXX", s->dir, id) < 0) {
        path = NULL;
        tmp = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (access(path, F_OK) == 0) {
        err_set(e, ERR_FAIL, "revision file '%s' already exists", path);
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        err_set(e, ERR_FAIL, "cannot create a file in '%s': %s", s->dir, strerror(errno));
        goto out;
    }
    fchmod(fd, 0644);
    f = fdopen(fd, "w");
    if (!f) {
        err_set(e, ERR_FAIL, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    render(f, s, id, date);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
        err_set(e, ERR_FAIL, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        err_set(e, ERR_FAIL, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        err_set(e, ERR_FAIL, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        goto out;
    }
    *path_out = path;
    path = NULL;
    ret = 0;
out:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (ret < 0 && tmp)
        unlink(tmp);
    free(tmp);
    free(path);
    free(slug);
    return ret;
}
