/* lint.h -- static migration-safety rules on the SQL one revision emits.
 *
 * The SQL is parsed with PostgreSQL's own parser (libpg_query) and every
 * statement is checked against the rules of lint_rules(): each has a
 * stable name, a level, a one-line reason and the safe alternative.  The
 * advice follows the server version given (PostgreSQL 11 adds a column
 * with a non-volatile default without a rewrite; 12 allows ALTER TYPE ...
 * ADD VALUE in a transaction block and lets SET NOT NULL use a validated
 * CHECK).  Pure code: no database, no plugins.  Rendering a revision's SQL
 * and naming its file are lint_run.c's; printing is the CLI's. */
#ifndef RUNNER_LINT_H
#define RUNNER_LINT_H

#include <stddef.h>

#include "err.h"
#include "strbuf.h"

/* The server version lint assumes when neither a database nor
 * --pg-version says otherwise (the parser's own major version). */
#define LINT_DEFAULT_PG_VERSION 150000

enum lint_level {
    LINT_WARNING = 1,   /* reported; the exit status stays 0 */
    LINT_ERROR,         /* reported; `runner lint` exits 1 unless silenced */
};

struct lint_rule {
    const char *name;           /* stable: used in lint_allow and comments */
    enum lint_level level;
    const char *reason;         /* one line: what goes wrong in production */
    const char *instead;        /* one line: the safe alternative */
};

/* The rule table, in a fixed order; borrowed, static. */
const struct lint_rule *lint_rules(size_t *n);

/* The rule named `name`, or NULL. */
const struct lint_rule *lint_rule_find(const char *name);

const char *lint_level_name(enum lint_level level);

struct lint_finding {
    const struct lint_rule *rule;   /* borrowed from the table */
    unsigned line;              /* 1-based line of the statement in the SQL */
    char *detail;               /* owned: what this statement does, with its subject */
    char *statement;            /* owned: the statement's text (first 200 bytes) */
    const char *silenced_by;    /* NULL, "metadata" (lint_allow) or "comment" */
};

struct lint_result {
    struct lint_finding *items; /* owned, in statement order */
    size_t n, alloc;
};

#define LINT_RESULT_INIT { NULL, 0, 0 }

/* What the revisions linted so far leave for the next one, in upgrade
 * order: the CHECK (col IS NOT NULL) constraints added NOT VALID and those
 * validated.  Making a column NOT NULL safely takes three revisions (add
 * the check NOT VALID, validate it, SET NOT NULL), so the third is judged
 * by what the first two did.  Opaque; lint_carry_new(), lint_carry_free(). */
struct lint_carry;

struct lint_carry *lint_carry_new(void);
void lint_carry_free(struct lint_carry *c);

struct lint_input {
    const char *sql;            /* the revision's statements */
    int in_transaction;         /* they run inside a transaction block */
    int pg_version;             /* server_version_num, 150000 for 15.0 */
    int run_lock_timeout;       /* the run sets lock_timeout itself (--lock-timeout) */
    const char *allow_meta;     /* the metadata's lint_allow; NULL: none */
    const char *allow_comment;  /* rule names from "runner-lint: allow" comments; NULL: none */
    struct lint_carry *carry;   /* borrowed, optional: read, then updated on success */
};

/* Lint in->sql and append the findings to *r (LINT_RESULT_INIT first;
 * caller releases with lint_result_release()).  SQL the parser refuses
 * is an error naming the line and the parser's message.  Findings a
 * revision allows are kept, with silenced_by set. */
int lint_sql(const struct lint_input *in, struct lint_result *r, struct err *e);

void lint_result_release(struct lint_result *r);

/* Append to *out, space-separated, the rule names of every
 * "runner-lint: allow name[, name...]" in text (a comment in a revision's
 * source or its SQL). */
void lint_allow_from_text(const char *text, struct strbuf *out);

/* 1 when `name` is in `list` (names separated by spaces or commas). */
int lint_list_has(const char *list, const char *name);

#endif
