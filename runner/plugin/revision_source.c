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

#include "c_escape.h"
#include "rev_id.h"
#include "strbuf.h"

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

/* The one C escaper (c_escape.h), onto a FILE. */
static void put_literal(FILE *f, const char *s)
{
    struct strbuf sb = STRBUF_INIT;

    c_escape_literal(&sb, s);
    fputs(strbuf_str(&sb), f);
    strbuf_release(&sb);
}

static void put_comment(FILE *f, const char *s, enum c_comment_mode mode)
{
    struct strbuf sb = STRBUF_INIT;

    c_escape_comment(&sb, s, mode);
    fputs(strbuf_str(&sb), f);
    strbuf_release(&sb);
}

static void rev_list(FILE *f, const char *field, const char *const *ids, size_t n)
{
    if (!n)
        return;
    fprintf(f, "    .%s = RUNNER_REVS(", field);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        put_literal(f, ids[i]);
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

    /* every id and the date go through the escaper too: the down
     * revisions come from the command line or the graph, and no text may
     * end the comment or fake a line of it */
    fputs("/* ", f);
    put_comment(f, *msg ? msg : "empty message", C_COMMENT_LINES);
    fputs("\n *\n * Revision ID: ", f);
    put_comment(f, id, C_COMMENT_ONE_LINE);
    fputs("\n * Revises: ", f);
    for (size_t i = 0; i < s->n_down; i++) {
        if (i)
            fputs(", ", f);
        put_comment(f, s->down[i], C_COMMENT_ONE_LINE);
    }
    fputs("\n * Create Date: ", f);
    put_comment(f, date, C_COMMENT_ONE_LINE);
    fputs("\n */\n#include <runner/plugin.h>\n\n", f);
    fputs("RUNNER_REVISION(\n", f);
    fputs("    .revision = ", f);
    put_literal(f, id);
    fputs(",\n", f);
    rev_list(f, "down_revision", s->down, s->n_down);
    rev_list(f, "branch_labels", s->labels, s->n_labels);
    rev_list(f, "depends_on", s->deps, s->n_deps);
    if (s->no_transaction)
        fputs("    .flags = RUNNER_NO_TRANSACTION,\n", f);
    fputs("    .message = ", f);
    put_literal(f, msg);
    fputs(",\n    .create_date = ", f);
    put_literal(f, date);
    fputs(");\n\n", f);
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
