/* snapshot.h -- an exact picture of a database's schema, to tell whether a
 * downgrade restored what was there before its upgrade (`runner test`).
 *
 * A snapshot is a sorted list of facts (object, attribute, value):
 *
 *     ("column users.display_name", "",         "")                 it exists
 *     ("column users.display_name", "type",     "varchar(50)")
 *     ("index ix_users_email",      "definition", "CREATE INDEX ...")
 *
 * Tables, columns (type, nullability, default, identity, comment),
 * constraints and indexes (their definitions) and enum types come from
 * introspect.c, the reading autogenerate uses; schemas, extensions,
 * sequences, views, functions, triggers, domains and the comments on them
 * from one more catalog query here.  Every schema but pg_* and
 * information_schema is read; objects that belong to an extension are
 * left out (the extension stands for them), and so are the excluded
 * tables (the version and history tables) and the sequences they own.
 * Column order is not compared.  Names are shown bare when they need no
 * quotes, schema-qualified outside "public".  Data, privileges, policies
 * and rules are not part of it.  Running migrations is the caller's. */
#ifndef RUNNER_SNAPSHOT_H
#define RUNNER_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "strbuf.h"

struct pg;

struct snapshot_fact {
    char *object;       /* "column users.display_name" */
    char *attr;         /* "" for the object's existence, else "type", "definition", ... */
    char *value;        /* never NULL ("" for existence) */
    uint64_t owner;     /* the top-level object the fact belongs to (a table, view,
                         * sequence, type, function, schema, extension): its catalog
                         * in the high 32 bits, its oid in the low ones */
    uint64_t self;      /* the same for the fact's own object where it can be dropped
                         * alone (an index, constraint, trigger, column default); else
                         * equal to owner */
};

/* Owned facts, sorted by (object, attr). */
struct snapshot {
    struct snapshot_fact *facts;
    size_t n_facts;
    size_t alloc;
    char *settings;     /* owned: the session settings names are rendered under */
    int ambiguous;      /* some name exists in two schemas: visibility may change */
};

#define SNAPSHOT_INIT { NULL, 0, 0, NULL, 0 }

struct snapshot_opts {
    const char *const *exclude;     /* table names left out, in any schema */
    size_t n_exclude;
    int prepared;                   /* an earlier snapshot_take() with these options on
                                     * this session succeeded: its reads are prepared */
    int tracked;                    /* snapshot_track() succeeded on this session */
};

/* Read the schema of db into *out (SNAPSHOT_INIT first; released by the
 * caller with snapshot_release()).  Plain SELECTs (and, when tracked,
 * emptying the change log); -1 with *e filled when one fails. */
int snapshot_take(struct pg *db, const struct snapshot_opts *o, struct snapshot *out,
                  struct err *e);
void snapshot_release(struct snapshot *s);

/* ---- incremental snapshots ----
 *
 * A full snapshot reads every object, so a walk over N revisions costs
 * N^2.  snapshot_track() installs, for this session only, an event
 * trigger that logs every object a DDL command creates, alters or drops
 * (pg_event_trigger_ddl_commands(), pg_event_trigger_dropped_objects())
 * into a temporary table; the function and table live in pg_temp, so
 * they vanish with the session, and other sessions' DDL is not logged.
 * snapshot_refresh() then reads only the owners whose facts may differ:
 * the logged objects, everything that depends on them (pg_depend,
 * recursively: a renamed table changes the views, foreign keys and
 * triggers that name it), and their owners (an index's table).  Dropped
 * sub-objects find their owner through the base snapshot.
 *
 * It reads everything again instead (exactly what snapshot_take() does)
 * when it cannot be sure: the session is not tracked (CREATE EVENT
 * TRIGGER needs a superuser), the trigger or its log is gone or disabled,
 * the settings names are rendered under changed (search_path, the
 * current user, quote_all_identifiers, DateStyle, ...), a name exists in
 * two schemas (then creating or dropping one can change how another is
 * qualified), a logged object is of a class outside the snapshot's
 * (extensions, operators, collations, casts, ...: their effects on
 * visibility and membership are not followed), or the caller asks. */
struct snapshot_changes {
    int full;           /* facts is a whole snapshot (owners unused) */
    int lost;           /* tracking was lost: the caller clears opts->tracked */
    uint64_t *owners;   /* sorted: the owners whose facts were read again */
    size_t n_owners;
    struct snapshot facts;      /* their facts now (or every fact, when full) */
};

#define SNAPSHOT_CHANGES_INIT { 0, 0, NULL, 0, SNAPSHOT_INIT }

/* Install the change log, and turn JIT off for the session (the reads
 * are small, their estimates not: compiling them costs seconds).  1 when
 * the session is now tracked, 0 when the role may not create event
 * triggers (no log: every refresh is a full read), -1 with *e on another
 * error. */
int snapshot_track(struct pg *db, struct err *e);

/* What changed since `base` was taken or last refreshed (everything
 * logged since then is consumed).  `full`: read everything.  *out is
 * SNAPSHOT_CHANGES_INIT first; release it with snapshot_changes_release()
 * (or hand it to snapshot_apply()). */
int snapshot_refresh(struct pg *db, const struct snapshot_opts *o, const struct snapshot *base,
                     int full, struct snapshot_changes *out, struct err *e);
/* Make *s the snapshot *c describes; takes c's facts (c is released). */
int snapshot_apply(struct snapshot *s, struct snapshot_changes *c, struct err *e);
void snapshot_changes_release(struct snapshot_changes *c);

/* Append to *out one line per difference between what was `expected` and
 * what is there (`got`), each "<what> left index ix_a" (there, not
 * expected), "<what> did not restore column t.c" (expected, not there) or
 * "<what> left column t.c type varchar(100), expected varchar(50)", joined
 * with "; ", at most `max` of them (then "; and N more").  Returns the
 * number of differences. */
size_t snapshot_diff(const struct snapshot *expected, const struct snapshot *got,
                     const char *what, size_t max, struct strbuf *out);

/* The same between `expected` and the state `got` describes: only the
 * owners it read again are compared (the others are the same by
 * construction). */
size_t snapshot_diff_changes(const struct snapshot *expected,
                             const struct snapshot_changes *got, const char *what, size_t max,
                             struct strbuf *out);

#endif
