/* c_escape.c -- C string literals and comment text; see c_escape.h. */
#include "c_escape.h"

#include <string.h>

void c_escape_literal(struct strbuf *sb, const char *s)
{
    if (!s) {
        strbuf_adds(sb, "NULL");
        return;
    }
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': strbuf_adds(sb, "\\\""); break;
        case '\\': strbuf_adds(sb, "\\\\"); break;
        case '\n': strbuf_adds(sb, "\\n"); break;
        case '\t': strbuf_adds(sb, "\\t"); break;
        case '\r': strbuf_adds(sb, "\\r"); break;
        case '?':
            /* "??=" would be a trigraph under -std=c11 (replaced before
             * escapes are read): no two '?' may touch in the output */
            strbuf_adds(sb, p > (const unsigned char *)s && p[-1] == '?' ? "\\?" : "?");
            break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                strbuf_addf(sb, "\\%03o", *p);     /* always 3 digits: never merges */
            else
                strbuf_addch(sb, (char)*p);
        }
    }
    strbuf_addch(sb, '"');
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

/* Nothing may end the comment early ("*" "/") or draw a -Werror warning:
 * "/" "*" (-Wcomment), a trigraph (-Wtrigraphs: "??/" before a newline
 * splices lines) or an unpaired bidirectional control (-Wbidi-chars). */
void c_escape_comment(struct strbuf *sb, const char *s, enum c_comment_mode mode)
{
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        unsigned bidi = bidi_control((const unsigned char *)p);

        if (bidi) {
            strbuf_addf(sb, "<U+%04X>", bidi);
            p += 2;
        } else if (mode == C_COMMENT_LINES && c == '\n') {
            strbuf_adds(sb, "\n *");
            if (p[1] && p[1] != '\n')
                strbuf_addch(sb, ' ');
        } else if (mode == C_COMMENT_LINES && c == '\r') {
            continue;
        } else if (mode == C_COMMENT_ONE_LINE && c == '\n') {
            strbuf_adds(sb, "\\n");
        } else if (mode == C_COMMENT_ONE_LINE && (c < 0x20 || c == 0x7f)) {
            strbuf_addf(sb, "\\x%02x", c);
        } else if (c == '*' && p[1] == '/') {
            strbuf_adds(sb, "* ");
        } else if (c == '/' && p[1] == '*') {
            strbuf_adds(sb, "/ ");
        } else if (c == '?' && p[1] == '?' && p[2] && strchr("=/'()!<>-", p[2])) {
            strbuf_adds(sb, "? ");
        } else {
            strbuf_addch(sb, (char)c);
        }
    }
}
