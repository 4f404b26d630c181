/* url.h -- connection strings: what libpq accepts, and what may be shown.
 *
 * Accepts libpq's two forms: URIs (postgresql://, postgres://, and
 * SQLAlchemy's postgresql+<driver>://, whose "+driver" is dropped) and
 * key=value conninfo strings.  Nothing here connects; pg.c does.
 *
 * No secret is shown, by construction: a connection is only ever named by
 * url_mask(), which builds "user@host:port/dbname" from the options libpq
 * itself parses (PQconninfoParse), so a password, an sslpassword or any
 * option we do not know never reaches the text, however it is spelled
 * (percent-encoded keys, quoting).  No message is searched for secrets. */
#ifndef RUNNER_URL_H
#define RUNNER_URL_H

#include <stddef.h>

#include "err.h"

/* A copy of `url` that libpq understands: "postgresql+psycopg2://..."
 * becomes "postgresql://...", anything else is copied as is.  Refused,
 * with a message that shows none of the url: other schemes ("mysql://",
 * naming the scheme), a string libpq cannot parse (libpq's reason, with
 * the text it quotes left out, since that may be the password), and a
 * dbname that is itself a connection string (libpq would send it to the
 * server as a database name, and the server's "database ... does not
 * exist" would show it), and a host name holding '@' (the tail of a
 * password with a raw '@').  A foreign scheme is ERR_USAGE, the others
 * ERR_FAIL, as a connection that cannot succeed (`wait` gives up at once).
 * NULL or "" gives "".  Caller frees the result. */
char *url_normalize(const char *url, struct err *e);

/* 1 when `url` is a URI (has "scheme://"), 0 for a conninfo string. */
int url_is_uri(const char *url);

/* Write "user@host:port/dbname" of `url` into buf (always NUL-terminated,
 * truncated to size), from its parsed options: the parts it does not set
 * are left out ("h/app", "alice@h"), several hosts are listed
 * ("alice@h1:5432,h2:5433/app"), and a dbname that is itself a connection
 * string is shown as "***".  NULL or "" is shown as "(libpq defaults)", a
 * string libpq cannot parse as "(invalid connection string)".  Returns buf. */
char *url_mask(const char *url, char *buf, size_t size);

/* 1 when `url` sets a password or an sslpassword, else 0 (also for a
 * string libpq cannot parse). */
int url_has_password(const char *url);

#endif
