/* rev_id.c -- the revision id grammar; see rev_id.h. */
#include "rev_id.h"

#include <stddef.h>

int rev_id_char_ok(char c)
{
    /* ASCII only: isalnum() would follow the locale */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.';
}

const char *rev_id_bad_char(const char *s)
{
    for (; *s; s++)
        if (!rev_id_char_ok(*s))
            return s;
    return NULL;
}
