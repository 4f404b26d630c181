/* validate.h -- checksums of applied revisions: what `runner validate`
 * reports, what `upgrade` checks first, what `runner repair` records.
 *
 * An applied revision is one in the current version path: a row of the
 * version table or an ancestor of one (down revisions and depends_on).
 * When a row names a revision without a plugin, its ancestors cannot be
 * walked; then the revisions whose latest successful history row is an
 * upgrade or repair count as applied too.
 * Its recorded checksum is the one of its latest successful 'upgrade' or
 * 'repair' row in the history table (a later downgrade and re-upgrade
 * records the source that ran then).  It is compared with the
 * source_sha256 embedded in the plugin now in the directory:
 *
 *   ok           the same
 *   edited       both known and different: the source changed after it ran
 *   missing      a version-table row names no plugin in the directory (a
 *                missing ancestor is already the loader's error: the graph
 *                does not build without it)
 *   unrecorded   applied without a checksum: stamped, applied by alembic
 *                or by a runner older than the history table's checksums
 *   no checksum  the plugin was built without -DRUNNER_SOURCE_SHA256
 *
 * Only edited and missing are failures; the last two are reported and
 * accepted.  Repair appends one history row per applied revision whose
 * recorded checksum differs from (or lacks) the embedded one: direction
 * 'repair', success true, the new checksum, duration 0.  Rows are only
 * ever appended, so the history keeps both the original and the repair.
 *
 * Connection, tables and graph are the caller's (pg.c, versions.c,
 * graph.c), and so is printing (cmd_validate.c); this file only reads the
 * history table and appends to it. */
#ifndef RUNNER_VALIDATE_H
#define RUNNER_VALIDATE_H

#include <stddef.h>
#include <stdio.h>

#include "checksum.h"
#include "err.h"
#include "graph.h"

struct pg;
struct pg_rows;
struct versions;

enum validate_state {
    VALIDATE_OK,
    VALIDATE_EDITED,
    VALIDATE_MISSING,
    VALIDATE_UNRECORDED,
    VALIDATE_NO_CHECKSUM,
};

struct validate_item {
    char id[RUNNER_ID_SIZE];
    enum validate_state state;
    char recorded[CHECKSUM_HEX_SIZE];   /* "" when none */
    char now[CHECKSUM_HEX_SIZE];        /* the plugin's; "" when none or missing */
    const char *path;                   /* the plugin file (graph's); NULL when missing */
};

/* Applied revisions in version-path order (bases first), one item each.
 * validate_report_release() frees the items. */
struct validate_report {
    struct validate_item *items;
    size_t n;
    size_t count[VALIDATE_NO_CHECKSUM + 1];     /* items per state */
};

#define VALIDATE_REPORT_INIT { NULL, 0, { 0 } }

/* Fill *out for the current heads (the version table's rows) of db.  A
 * missing history table means every applied revision is unrecorded. */
int validate_collect(struct pg *db, const struct versions *v, const struct graph *g,
                     char *const *heads, size_t n_heads, struct validate_report *out,
                     struct err *e);
void validate_report_release(struct validate_report *r);

/* The item's plugin file for messages; "(no file)" when missing. */
const char *validate_item_file(const struct validate_item *it);

/* upgrade's check: -1 naming the first edited revision (and how many
 * more), with what to do about it; 0 when none is edited. */
int validate_refuse_edited(const struct validate_report *r, struct err *e);

/* upgrade's check before it runs anything: validate_collect() then
 * validate_refuse_edited(), on history rows read already (the first read,
 * versions_load.h: HISTORY_APPLIED_SQL's columns), which it takes over
 * and releases; NULL: no history table. */
int validate_before_upgrade_rows(const struct graph *g, char *const *heads, size_t n_heads,
                                 struct pg_rows *history, struct err *e);

/* Append a 'repair' row for every edited or unrecorded item whose plugin
 * has a checksum, in one transaction (the history table is created when
 * missing).  *n_recorded gets the number of rows written.  `repair`
 * takes the migration lock first (the caller's, with mlock.h). */
int validate_repair(struct pg *db, const struct versions *v, const struct validate_report *r,
                    size_t *n_recorded, struct err *e);

#endif
