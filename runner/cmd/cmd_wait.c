/* cmd_wait.c -- `wait`: block until the database accepts connections.
 * The retrying is wait.c's; this file parses options and owns the loop. */
#include <getopt.h>
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

/* A number of seconds (cli_parse_seconds); 2 with the usage error in
 * ctx->err when it is not one. */
static int parse_seconds(struct ctx *ctx, const char *opt, const char *s, int zero_ok,
                         double *out)
{
    char q[ERR_QUOTE_SIZE];

    if (cli_parse_seconds(s, zero_ok, out) == 0)
        return 0;
    return cli_usage_error(ctx, wait_usage, "invalid %s '%s' (expected a number of seconds%s)",
                           opt, err_quote(q, sizeof(q), s), zero_ok ? "" : " above 0");
}

int cmd_wait(int argc, char **argv, struct ctx *ctx)
{
    struct wait_opts o = WAIT_OPTS_INIT;
    uv_loop_t loop;
    int c, before;
    int rc;
    int ret = 1;

    o.quiet = ctx->quiet;
    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "h", wait_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            return cli_usage(wait_usage, 0);
        case OPT_TIMEOUT:
            if (parse_seconds(ctx, "--timeout", optarg, 1, &o.timeout_s) != 0)
                return 2;
            break;
        case OPT_INTERVAL_MAX:
            if (parse_seconds(ctx, "--interval-max", optarg, 0, &o.interval_max_s) != 0)
                return 2;
            break;
        default:
            return cli_bad_option(ctx, wait_usage, argc, argv, before, "h");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, wait_usage, argv[optind]);
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
