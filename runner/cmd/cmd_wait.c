/* cmd_wait.c -- `wait`: block until the database accepts connections.
 * The retrying is wait.c's; this file parses options and owns the loop. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "cli.h"
#include "wait.h"

static const char *const wait_usage[] = {
    "usage: runner wait [--timeout S] [--interval-max S]",
    "",
    "Wait until the database (--url, $DATABASE_URL, the config, libpq's PG*)",
    "accepts connections and answers SELECT 1, retrying with exponential",
    "backoff and jitter; one progress line per failed attempt on stderr.",
    "Exit 0 when ready, 1 on timeout or when retrying cannot help",
    "(authentication failed, unknown database, malformed url).",
    "  --timeout S       give up after S seconds (default 60, 0: never)",
    "  --interval-max S  longest pause between attempts (default 2)",
    NULL,
};

enum { OPT_TIMEOUT = 256, OPT_INTERVAL_MAX };

static const struct option wait_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "interval-max", required_argument, NULL, OPT_INTERVAL_MAX },
    { NULL, 0, NULL, 0 },
};

/* A number of seconds: finite, >= 0 (> 0 when !zero_ok). */
static int parse_seconds(const char *opt, const char *s, int zero_ok, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);

    if (!*s || *end || !isfinite(v) || v < 0 || (!zero_ok && v == 0) || v > 1e7) {
        fprintf(stderr, "runner: error: invalid %s '%s' (expected a number of seconds%s)\n", opt,
                s, zero_ok ? "" : " above 0");
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_wait(int argc, char **argv, struct ctx *ctx)
{
    struct wait_opts o = WAIT_OPTS_INIT;
    uv_loop_t loop;
    int c;
    int rc;
    int ret = 1;

    o.quiet = ctx->quiet;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", wait_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            return cli_usage(wait_usage, 0);
        case OPT_TIMEOUT:
            if (parse_seconds("--timeout", optarg, 1, &o.timeout_s) < 0)
                return cli_usage(wait_usage, 1);
            break;
        case OPT_INTERVAL_MAX:
            if (parse_seconds("--interval-max", optarg, 0, &o.interval_max_s) < 0)
                return cli_usage(wait_usage, 1);
            break;
        default:
            if (optopt >= OPT_TIMEOUT)
                fprintf(stderr, "runner: error: option '%s' requires a value\n",
                        argv[optind - 1]);
            else
                fprintf(stderr, "runner: error: unknown option '%s'\n", argv[optind - 1]);
            return cli_usage(wait_usage, 1);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "runner: error: unexpected argument '%s'\n", argv[optind]);
        return cli_usage(wait_usage, 1);
    }
    rc = uv_loop_init(&loop);
    if (rc < 0) {
        err_set(&ctx->err, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
        return 1;
    }
    if (wait_db(&loop, ctx->cfg.url, &o, &ctx->err) == 0)
        ret = 0;
    uv_loop_close(&loop);
    return ret;
}
