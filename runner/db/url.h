/* url.h -- connection strings: what libpq accepts, and what may be shown.
 *
 * Accepts libpq's two forms: URIs (postgresql://, postgres://, and
 * SQLAlchemy's postgresql+<driver>://, whose "+driver" is dropped) and
 * key=value conninfo strings.  Nothing here connects; pg.c does.  Every
 * message that names a connection uses url_mask(), so a password never
 * reaches a terminal or a log. */
#ifndef RUNNER_URL_H
#define RUNNER_URL_H

#include <stddef.h>

#include "err.h"

/* A copy of `url` that libpq understands: "postgresql+psycopg2://..."
 * becomes "postgresql://...", anything else is copied as is.  Other schemes
 * ("mysql://") are an error naming the scheme.  Caller frees the result. */
char *url_normalize(const char *url, struct err *e);

/* 1 when `url` is a URI (has "scheme://"), 0 for a conninfo string. */
int url_is_uri(const char *url);

/* Write `url` into buf (always NUL-terminated, truncated to size) with
 * every password replaced by "***": the userinfo password of a URI, a
 * password= query parameter, a password= conninfo keyword.  NULL or "" is
 * shown as "(libpq defaults)".  Returns buf. */
char *url_mask(const char *url, char *buf, size_t size);

/* The password of `url` exactly as written (URI userinfo, password=
 * query parameter or conninfo keyword, quotes removed), or NULL when there
 * is none.  Caller frees. */
char *url_password(const char *url);

/* Replace each occurrence of `secret` in the NUL-terminated `text` by
 * "***" (a secret shorter than that by as many '*'), in place: the text
 * never grows.  For libpq messages that may echo a part of the
 * connection string. */
void url_scrub(char *text, const char *secret);

#endif
