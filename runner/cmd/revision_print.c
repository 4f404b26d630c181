/* revision_print.c -- printing revisions as alembic does; see revision_print.h. */
#include "revision_print.h"

#include <string.h>

#include "json.h"
#include "strbuf.h"

static void comma_list(FILE *out, struct rev *const *revs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? ", " : "", revs[i]->id);
}

static void comma_strings(FILE *out, const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? ", " : "", s[i]);
}

/* Python's str.strip() set, for the ASCII range. */
static int py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           (c >= 0x1c && c <= 0x1f);
}

/* alembic prints a revision's module docstring, which its script.py.mako
 * template writes as "<message>\n\nRevision ID: <id>\nRevises: <downs>\n
 * Create Date: <date>\n\n", and reads back stripped (Script.longdoc).  So
 * an empty message leaves "Revision ID: ..." first, and an empty date
 * leaves "Create Date:" with no trailing blank.  The result is sb's. */
static void longdoc(struct strbuf *sb, const struct rev *r)
{
    size_t start = 0, end;

    strbuf_adds(sb, r->meta.message);
    strbuf_addf(sb, "\n\nRevision ID: %s\nRevises: ", r->id);
    for (size_t i = 0; i < r->n_down; i++)
        strbuf_addf(sb, "%s%s", i ? ", " : "", r->down[i]->id);
    strbuf_addf(sb, "\nCreate Date: %s\n\n", r->meta.create_date);
    if (strbuf_failed(sb))
        return;
    end = sb->len;
    while (start < end && py_space(sb->buf[start]))
        start++;
    while (end > start && py_space(sb->buf[end - 1]))
        end--;
    memmove(sb->buf, sb->buf + start, end - start);
    sb->len = end - start;
    sb->buf[sb->len] = '\0';
}

/* Script.doc: the docstring's first paragraph (re.split("\n\n", ...)[0]). */
static void print_doc(FILE *out, const struct rev *r)
{
    struct strbuf sb = STRBUF_INIT;
    const char *doc, *para;

    longdoc(&sb, r);
    doc = strbuf_failed(&sb) ? r->meta.message : strbuf_str(&sb);
    para = strstr(doc, "\n\n");
    fprintf(out, "%.*s", para ? (int)(para - doc) : (int)strlen(doc), doc);
    strbuf_release(&sb);
}

void revfmt_down(FILE *out, const struct rev *r)
{
    if (r->n_down == 0)
        fputs("<base>", out);
    else
        comma_list(out, r->down, r->n_down);
}

void revfmt_line(FILE *out, const struct rev *r, unsigned flags, int is_current)
{
    if (flags & REVFMT_PARENTS) {
        revfmt_down(out, r);
        if (r->n_deps) {
            fputs(" (", out);
            comma_list(out, r->deps, r->n_deps);
            fputc(')', out);
        }
        fputs(" -> ", out);
    }
    fputs(r->id, out);
    if ((flags & REVFMT_BRANCHES) && r->n_labels) {
        fputs(" (", out);
        comma_strings(out, r->labels, r->n_labels);
        fputc(')', out);
    }
    if (flags & (REVFMT_HEADS | REVFMT_TREE)) {
        if (rev_is_real_head(r))
            fputs(" (head)", out);
        else if (rev_is_head(r))
            fputs(" (effective head)", out);
        if (is_current)
            fputs(" (current)", out);
    }
    if (flags & REVFMT_TREE) {
        if (rev_is_branchpoint(r))
            fputs(" (branchpoint)", out);
        if (rev_is_mergepoint(r))
            fputs(" (mergepoint)", out);
    }
    if (flags & REVFMT_DOC) {
        fputs(", ", out);
        print_doc(out, r);
    }
}

void revfmt_entry(FILE *out, const struct rev *r, int is_current)
{
    fprintf(out, "Rev: %s%s%s%s%s\n", r->id, rev_is_head(r) ? " (head)" : "",
            rev_is_branchpoint(r) ? " (branchpoint)" : "",
            rev_is_mergepoint(r) ? " (mergepoint)" : "", is_current ? " (current)" : "");
    fputs(rev_is_mergepoint(r) ? "Merges: " : "Parent: ", out);
    revfmt_down(out, r);
    fputc('\n', out);
    if (r->n_deps) {
        fputs("Also depends on: ", out);
        comma_list(out, r->deps, r->n_deps);
        fputc('\n', out);
    }
    if (rev_is_branchpoint(r)) {
        fputs("Branches into: ", out);
        comma_list(out, r->next, r->n_next);
        fputc('\n', out);
    }
    if (r->n_labels) {
        fputs("Branch names: ", out);
        comma_strings(out, r->labels, r->n_labels);
        fputc('\n', out);
    }
    fprintf(out, "Path: %s\n\n", r->path ? r->path : "");
    /* "\n".join("    %s" % line for line in longdoc.splitlines()) */
    {
        struct strbuf sb = STRBUF_INIT;
        const char *p;

        longdoc(&sb, r);
        p = strbuf_str(&sb);
        while (*p) {
            size_t len = strcspn(p, "\r\n");

            fprintf(out, "    %.*s\n", (int)len, p);
            p += len;
            if (p[0] == '\r' && p[1] == '\n')
                p++;
            if (*p)
                p++;
        }
        strbuf_release(&sb);
    }
    fputc('\n', out);
}

static void json_revs(FILE *out, struct rev *const *revs, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        json_str(out, revs[i]->id);
    }
    fputc(']', out);
}

void revfmt_json(FILE *out, const struct rev *r, int is_current)
{
    fputs("{\"revision\":", out);
    json_str(out, r->id);
    fputs(",\"down_revisions\":", out);
    json_revs(out, r->down, r->n_down);
    fputs(",\"depends_on\":", out);
    json_revs(out, r->deps, r->n_deps);
    fputs(",\"next_revisions\":", out);
    json_revs(out, r->next, r->n_next);
    fputs(",\"branch_labels\":[", out);
    for (size_t i = 0; i < r->n_labels; i++) {
        if (i)
            fputc(',', out);
        json_str(out, r->labels[i]);
    }
    fputs("],\"message\":", out);
    json_str(out, r->meta.message);
    fputs(",\"create_date\":", out);
    json_str(out, r->meta.create_date);
    fputs(",\"path\":", out);
    json_str(out, r->path);
    fputs(",\"source_sha256\":", out);
    json_str(out, r->meta.source_sha256[0] ? r->meta.source_sha256 : NULL);
    fprintf(out, ",\"transactional\":%s,\"is_head\":%s,\"is_real_head\":%s,\"is_base\":%s,"
                 "\"is_branch_point\":%s,\"is_merge_point\":%s,\"is_current\":%s}",
            (r->meta.flags & RUNNER_NO_TRANSACTION) ? "false" : "true",
            rev_is_head(r) ? "true" : "false", rev_is_real_head(r) ? "true" : "false",
            rev_is_base(r) ? "true" : "false", rev_is_branchpoint(r) ? "true" : "false",
            rev_is_mergepoint(r) ? "true" : "false", is_current ? "true" : "false");
}

int revfmt_in(const struct rev *r, const char *const *current, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(current[i], r->id) == 0)
            return 1;
    return 0;
}
