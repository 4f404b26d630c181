/* json.h -- just enough JSON writing for --json output. */
#ifndef RUNNER_JSON_H
#define RUNNER_JSON_H

#include <stdio.h>

/* Write s as a JSON string literal (null for NULL), escaping quotes,
 * backslashes and control characters; well-formed UTF-8 passes through,
 * each byte that is not part of it becomes \ufffd (U+FFFD), so the output
 * is valid UTF-8 whatever s holds. */
void json_str(FILE *out, const char *s);

#endif
