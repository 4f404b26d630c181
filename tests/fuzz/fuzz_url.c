/* fuzz_url.c -- url.c on arbitrary strings: no crash, and a password
 * (as libpq parses it) that occurs once in the url never shows in the
 * masked form (at any buffer size, and truncation only cuts).
 *
 * Input: the url (up to the first '\n'). */
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);

    if (!len)
        return 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* The password libpq reads from url, or NULL: caller frees. */
static char *url_password(const char *url)
{
    struct err e = ERR_INIT;
    char *norm = url ? url_normalize(url, &e) : NULL;
    PQconninfoOption *opts = norm && *norm ? PQconninfoParse(norm, NULL) : NULL;
    char *pw = NULL;

    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            pw = strdup(o->val);
    if (opts)
        PQconninfoFree(opts);
    free(norm);
    return pw;
}

/* In a URI, the password as written (percent-encoded, maybe) between the
 * user's ':' and the '@' that ends the userinfo (libpq's parser: the
 * first '@' before any '/'), into a new string; NULL when there is none. */
static char *uri_written_password(const char *url)
{
    const char *p = strstr(url, "://"), *at, *colon;

    if (!p || !url_is_uri(url))
        return NULL;
    p += 3;
    at = p + strcspn(p, "@/");
    if (*at != '@')
        return NULL;
    colon = memchr(p, ':', (size_t)(at - p));
    if (!colon)
        return NULL;
    return strndup(colon + 1, (size_t)(at - colon - 1));
}

static void check_url(const char *url)
{
    static const size_t sizes[] = { 1, 2, 7, 19, 64, 4096 };
    char full[8192];
    char *pw = url_password(url);
    char *norm;
    struct err e = ERR_INIT;

    url_mask(url, full, sizeof(full));
    FUZZ_CHECK(strlen(full) < sizeof(full), "unterminated mask");
    /* a password written with backslash escapes, or percent-encoded in a
     * URI, occurs decoded nowhere in the url: a literal occurrence
     * elsewhere (the database name "to u:p@ss" beside u:p%40ss@) would be
     * something else.  Then neither the password as written nor (when it
     * occurs nowhere in the url) decoded may show. */
    if (url && pw && strlen(url) < sizeof(full) / 2 && !strchr(url, '\\')) {
        char *written = uri_written_password(url);

        if (written && strcmp(written, pw) != 0) {
            if (strlen(written) >= 4 && count(url, written) == 1)
                FUZZ_CHECK(!strstr(full, written), "password '%s' (as written) shown in '%s'",
                           written, full);
            /* decoded, it can still come from another field that spells
             * it with '%' too, or be spelled by the separators the mask
             * adds ("p" "@" "ss"): checked only when neither can be */
            if (strlen(pw) >= 4 && count(url, pw) == 0 && count(url, "%") == count(written, "%") &&
                !strpbrk(pw, "@:/"))
                FUZZ_CHECK(!strstr(full, pw), "password '%s' (decoded) shown in '%s'", pw,
                           full);
        } else if (strlen(pw) >= 4 && count(url, pw) == 1) {
            FUZZ_CHECK(!strstr(full, pw), "password '%s' shown in '%s'", pw, full);
        }
        free(written);
    }
    if (!url)
        return;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char small[4096];

        memset(small, 'x', sizeof(small));
        url_mask(url, small, sizes[i]);
        FUZZ_CHECK(memchr(small, '\0', sizes[i]) != NULL, "no NUL within %zu", sizes[i]);
        if (strlen(url) < sizeof(full) / 2)
            FUZZ_CHECK(strncmp(small, full, strlen(small)) == 0,
                       "size %zu: '%s' is not a prefix of '%s'", sizes[i], small, full);
        FUZZ_CHECK(small[sizes[i] - 1] == '\0' || strlen(small) < sizes[i], "overrun");
    }
    norm = url_normalize(url, &e);
    if (norm && strncmp(url, "postgresql+", 11) == 0 && url_is_uri(url))
        FUZZ_CHECK(strncmp(norm, "postgresql://", 13) == 0, "'%s' normalised to '%s'", url,
                   norm);
    FUZZ_CHECK(norm || e.code != ERR_OK, "url_normalize failed without an error");
    (void)url_is_uri(url);
    free(norm);
    free(pw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    char *nl;

    if (!s)
        return 0;
    nl = strchr(s, '\n');
    if (nl)
        *nl = '\0';
    check_url(s);
    check_url(NULL);
    free(s);
    return 0;
}
