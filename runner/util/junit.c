/* junit.c -- JUnit XML (see junit.h). */
#include "junit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Text for an attribute or element: the five XML entities escaped; control
 * characters other than tab and newline, which XML 1.0 forbids, dropped. */
static void xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n')
                fputc(*p, f);
            break;
        }
    }
}

int junit_write(const char *path, const char *suite, const struct junit_case *cases,
                size_t n, double seconds, struct err *e)
{
    FILE *f = fopen(path, "w");
    size_t failures = 0, skipped = 0;

    if (!f)
        return err_set(e, ERR_FAIL, "cannot write '%s': %s", path, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        failures += cases[i].status == JUNIT_FAIL;
        skipped += cases[i].status == JUNIT_SKIP;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"", f);
    xml_text(f, suite);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
            n, failures, skipped, seconds);
    for (size_t i = 0; i < n; i++) {
        const struct junit_case *c = &cases[i];

        fputs("    <testcase classname=\"", f);
        xml_text(f, c->classname);
        fputs("\" name=\"", f);
        xml_text(f, c->name);
        fprintf(f, "\" time=\"%.3f\"", c->seconds);
        if (c->status == JUNIT_PASS) {
            fputs("/>\n", f);
            continue;
        }
        fputs(c->status == JUNIT_FAIL ? ">\n      <failure message=\"" : ">\n      <skipped message=\"", f);
        xml_text(f, c->message);
        if (c->status == JUNIT_FAIL) {
            fputs("\">", f);
            xml_text(f, c->message);
            fputs("</failure>\n", f);
        } else {
            fputs("\"/>\n", f);
        }
        fputs("    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    if (ferror(f) | (fclose(f) != 0))
        return err_set(e, ERR_FAIL, "cannot write '%s'", path);
    return 0;
}
