/* junit.h -- a JUnit XML report (the format CI systems read: one
 * <testsuite> of <testcase>s, with <failure> or <skipped>).  Only writing;
 * what the cases are is the caller's. */
#ifndef RUNNER_JUNIT_H
#define RUNNER_JUNIT_H

#include <stddef.h>

#include "err.h"

enum junit_status { JUNIT_PASS = 0, JUNIT_FAIL, JUNIT_SKIP };

struct junit_case {
    const char *classname;      /* "runner.test.revision" */
    const char *name;           /* "1975ea83b712 Add users table" */
    enum junit_status status;
    const char *message;        /* failure or skip text; may be NULL */
    double seconds;
};

/* Write the report to `path` (replaced).  -1 with *e naming the file when
 * it cannot be written. */
int junit_write(const char *path, const char *suite, const struct junit_case *cases,
                size_t n, double seconds, struct err *e);

#endif
