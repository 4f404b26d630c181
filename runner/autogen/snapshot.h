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

#include "err.h"
#include "strbuf.h"

struct pg;

struct snapshot_fact {
    char *object;       /* "column users.display_name" */
    char *attr;         /* "" for the object's existence, else "type", "definition", ... */
    char *value;        /* never NULL ("" for existence) */
};

/* Owned facts, sorted by (object, attr). */
struct snapshot {
    struct snapshot_fact *facts;
    size_t n_facts;
    size_t alloc;
};

#define SNAPSHOT_INIT { NULL, 0, 0 }

struct snapshot_opts {
    const char *const *exclude;     /* table names left out, in any schema */
    size_t n_exclude;
    int prepared;                   /* an earlier snapshot_take() with these options on
                                     * this session succeeded: its reads are prepared */
};

/* Read the schema of db into *out (SNAPSHOT_INIT first; released by the
 * caller with snapshot_release()).  Plain SELECTs; -1 with *e filled when
 * one fails. */
int snapshot_take(struct pg *db, const struct snapshot_opts *o, struct snapshot *out,
                  struct err *e);
void snapshot_release(struct snapshot *s);

/* Append to *out one line per difference between what was `expected` and
 * what is there (`got`), each "<what> left index ix_a" (there, not
 * expected), "<what> did not restore column t.c" (expected, not there) or
 * "<what> left column t.c type varchar(100), expected varchar(50)", joined
 * with "; ", at most `max` of them (then "; and N more").  Returns the
 * number of differences. */
size_t snapshot_diff(const struct snapshot *expected, const struct snapshot *got,
                     const char *what, size_t max, struct strbuf *out);

#endif
