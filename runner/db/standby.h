/* standby.h -- is the connected server a primary?  The one check every
 * command that writes (upgrade, downgrade, stamp, repair) makes right
 * after connecting, before it runs anything.
 *
 * A standby is a server in recovery (pg_is_in_recovery()).  PostgreSQL 14
 * and later report it at connection start as the in_hot_standby parameter,
 * so the check costs no round trip there; older servers and poolers that
 * do not pass that parameter on are asked with SELECT pg_is_in_recovery().
 * Finding the primary among several hosts is libpq's
 * (target_session_attrs=read-write); connecting is pg.c's. */
#ifndef RUNNER_STANDBY_H
#define RUNNER_STANDBY_H

#include "err.h"

struct pg;

/* 0 when db's server is a primary; -1 when it is a standby, *e then
 * "cannot <command> on a standby: <host, port, database> is in recovery
 * (pg_is_in_recovery())" with a hint naming target_session_attrs, or
 * when asking failed. */
int standby_refuse(struct pg *db, const char *command, struct err *e);

#endif
