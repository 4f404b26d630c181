/* cmd_migrate.h -- private to the CLI's migrating commands (cmd_upgrade.c,
 * cmd_stamp.c): the migrate options every one of them takes from the
 * global options and the config. */
#ifndef RUNNER_CMD_MIGRATE_H
#define RUNNER_CMD_MIGRATE_H

#include "cli.h"
#include "migrate.h"

/* Zero *o, then set kind and what ctx says: the graph, the table names,
 * the url, the keepalive, quiet and verbose, the output streams. */
void cmd_migrate_opts(struct migrate_opts *o, const struct ctx *ctx, enum migrate_kind kind);

#endif
