/* rev_id.h -- the grammar of a revision id and of the names that refer to
 * one (down_revision, depends_on, branch labels): letters, digits, '_' and
 * '.', as `revision --rev-id` has always enforced.  Used by the id check
 * of new revisions (revision_source.c) and by the plugin loader
 * (elf_meta.c) on what plugins declare.  Length and alembic's own
 * refusals ('@', '-', '+', with its wording) are the callers'. */
#ifndef RUNNER_REV_ID_H
#define RUNNER_REV_ID_H

/* Is c one of the grammar's characters? */
int rev_id_char_ok(char c);

/* The first character of s outside the grammar, or NULL when there is
 * none (the empty string included). */
const char *rev_id_bad_char(const char *s);

#endif
