/* json.h -- just enough JSON writing for --json output. */
#ifndef RUNNER_JSON_H
#define RUNNER_JSON_H

#include <stdio.h>

/* Write s as a JSON string literal (null for NULL), escaping quotes,
 * backslashes and control characters; UTF-8 passes through. */
void json_str(FILE *out, const char *s);

#endif
