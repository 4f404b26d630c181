/* cmd_revision.c -- `revision` and `merge`: choose the down revisions as
 * alembic's ScriptDirectory.generate_revision() does, then let revision_source.c
 * write the file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autogen.h"
#include "cli.h"
#include "revision_source.h"

static const char *const revision_usage[] = {
    "usage: runner revision -m MESSAGE [--autogenerate [--allow-empty]] [--head H] [--splice]",
    "                       [--branch-label L] [--depends-on R]... [--rev-id ID]",
    "                       [--version-path DIR] [--no-transaction]",
    "",
    "Create a new revision source <id>_<slug>.c in the sources directory.",
    "  -m, --message MSG     the revision message",
    "  --autogenerate        fill upgrade/downgrade from the models vs the database",
    "  --allow-empty         with --autogenerate, write a file even if nothing changed",
    "  --head H              the revision to base it on (default: head; 'base' for a new root)",
    "  --splice              allow --head to name a revision that is not a head",
    "  --branch-label L      a branch label for the new revision (repeatable)",
    "  --depends-on R        a revision or label it depends on (repeatable)",
    "  --rev-id ID           the id instead of 12 random hex characters",
    "  --version-path DIR    where to write it (default: the sources directory)",
    "  --no-transaction      mark it to run outside a transaction",
    NULL,
};

static const char *const merge_usage[] = {
    "usage: runner merge [-m MESSAGE] [--branch-label L] [--rev-id ID] <revisions>...",
    "",
    "Create a merge revision whose down revisions are the given ones (or 'heads').",
    "With only one head there is nothing to merge: it says so and writes nothing.",
    "The message defaults to \"merge <id> and <id>\".",
    NULL,
};

enum {
    OPT_AUTOGEN = 256, OPT_ALLOW_EMPTY, OPT_HEAD, OPT_SPLICE, OPT_LABEL, OPT_DEPENDS,
    OPT_REV_ID, OPT_VERSION_PATH, OPT_NO_TX
};

#define MAX_ARGS RUNNER_MAX_REFS

struct rev_args {
    const char *message;
    const char *head;
    const char *rev_id;
    const char *version_path;
    const char *labels[MAX_ARGS + 1];
    size_t n_labels;
    const char *deps[MAX_ARGS + 1];
    size_t n_deps;
    int splice, autogen, allow_empty, no_tx;
};

static int push(const char **list, size_t *n, const char *v, const char *what,
                struct ctx *ctx)
{
    if (*n >= MAX_ARGS)
        return err_set(&ctx->err, ERR_USAGE, "too many %s (at most %d)", what, MAX_ARGS);
    list[(*n)++] = v;
    return 0;
}

/* Resolve the revisions a new one goes on top of.  The ids are the
 * graph's; *out is ours. */
static int resolve_heads(struct ctx *ctx, const char *const *targets, size_t n_targets,
                         int splice, const char *multiple_msg, const char ***out,
                         size_t *n_out)
{
    const char **ids = NULL;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    for (size_t t = 0; t < n_targets; t++) {
        const struct rev **revs = NULL;
        size_t n_revs = 0;
        const char **grown;

        if (strcmp(targets[t], "head") == 0 && multiple_msg) {
            const struct rev **heads = NULL;
            size_t n_heads = 0;

            if (graph_heads(ctx->graph, &heads, &n_heads, &ctx->err) < 0)
                goto fail;
            free(heads);
            if (n_heads > 1) {
                err_set(&ctx->err, ERR_FAIL, "%s", multiple_msg);
                goto fail;
            }
        }
        if (graph_resolve(ctx->graph, targets[t], NULL, 0, &revs, &n_revs, &ctx->err) < 0)
            goto fail;
        grown = realloc(ids, (n + n_revs + 1) * sizeof(*ids));
        if (!grown) {
            free(revs);
            err_set(&ctx->err, ERR_FAIL, "out of memory");
            goto fail;
        }
        ids = grown;
        for (size_t i = 0; i < n_revs; i++) {
            for (size_t k = 0; k < n; k++) {
                if (strcmp(ids[k], revs[i]->id) == 0) {
                    free(revs);
                    err_set(&ctx->err, ERR_FAIL, "Duplicate head revisions specified");
                    goto fail;
                }
            }
            if (!splice && !rev_is_head(revs[i])) {
                err_set(&ctx->err, ERR_FAIL,
                        "Revision %s is not a head revision; please specify --splice to "
                        "create a new branch from this revision",
                        revs[i]->id);
                free(revs);
                goto fail;
            }
            ids[n++] = revs[i]->id;
        }
        free(revs);
    }
    *out = ids;
    *n_out = n;
    return 0;
fail:
    free(ids);
    return -1;
}

/* alembic keeps a branch label as written and resolves partial ids. */
static int resolve_deps(struct ctx *ctx, const struct rev_args *a, const char **out)
{
    for (size_t i = 0; i < a->n_deps; i++) {
        const struct rev *r = NULL;
        int is_label = 0;

        if (graph_lookup(ctx->graph, a->deps[i], &r, &ctx->err) < 0)
            return -1;
        for (size_t k = 0; k < r->n_labels; k++)
            is_label |= strcmp(r->labels[k], a->deps[i]) == 0;
        out[i] = is_label ? a->deps[i] : r->id;
    }
    return 0;
}

static int write_revision(struct ctx *ctx, const struct rev_args *a,
                          const char *const *heads, size_t n_heads)
{
    const char *deps[MAX_ARGS + 1] = { 0 };
    struct revision_spec spec = {
        .id = a->rev_id,
        .message = a->message,
        .down = heads,
        .n_down = n_heads,
        .labels = a->labels,
        .n_labels = a->n_labels,
        .deps = deps,
        .n_deps = a->n_deps,
        .dir = a->version_path ? a->version_path : ctx->cfg.sources,
        .no_transaction = a->no_tx,
    };
    char *up = NULL, *down = NULL, *path = NULL;
    int n_changes = 0, no_tx = 0;
    int ret = 1;

    if (resolve_deps(ctx, a, deps) < 0)
        return 1;
    if (a->rev_id) {
        const struct rev *r = NULL;

        /* a label or a prefix may look like it; only an exact id collides */
        if (graph_lookup(ctx->graph, a->rev_id, &r, NULL) == 0 && strcmp(r->id, a->rev_id) == 0) {
            err_set(&ctx->err, ERR_FAIL, "Revision %s is already present", a->rev_id);
            return 1;
        }
    }
    if (a->autogen) {
        struct autogen_opts ao;

        cli_autogen_opts(ctx, &ao);
        if (autogen_revision_body(&ao, &up, &down, &n_changes, &no_tx, &ctx->err) < 0)
            goto out;
        spec.no_transaction |= no_tx;   /* ALTER TYPE ... ADD VALUE, issue 13.5 */
        if (n_changes == 0 && !a->allow_empty) {
            printf("No changes detected\n");
            ret = 0;
            goto out;
        }
        spec.upgrade_body = up;
        spec.downgrade_body = down;
    }
    if (revision_write(&spec, &path, &ctx->err) < 0)
        goto out;
    if (!ctx->quiet)
        printf("Generating %s ...  done\n", path);
    ret = 0;
out:
    free(path);
    free(up);
    free(down);
    return ret;
}

int cmd_revision(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "message", required_argument, NULL, 'm' },
        { "autogenerate", no_argument, NULL, OPT_AUTOGEN },
        { "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
        { "head", required_argument, NULL, OPT_HEAD },
        { "splice", no_argument, NULL, OPT_SPLICE },
        { "branch-label", required_argument, NULL, OPT_LABEL },
        { "depends-on", required_argument, NULL, OPT_DEPENDS },
        { "rev-id", required_argument, NULL, OPT_REV_ID },
        { "version-path", required_argument, NULL, OPT_VERSION_PATH },
        { "no-transaction", no_argument, NULL, OPT_NO_TX },
        { NULL, 0, NULL, 0 },
    };
    struct rev_args a = { .head = "head" };
    const char **heads = NULL;
    size_t n_heads = 0;
    int ret;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hm:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(revision_usage, 0);
        case 'm': a.message = optarg; break;
        case OPT_AUTOGEN: a.autogen = 1; break;
        case OPT_ALLOW_EMPTY: a.allow_empty = 1; break;
        case OPT_HEAD: a.head = optarg; break;
        case OPT_SPLICE: a.splice = 1; break;
        case OPT_LABEL:
            if (push(a.labels, &a.n_labels, optarg, "branch labels", ctx) < 0)
                return 2;
            break;
        case OPT_DEPENDS:
            if (push(a.deps, &a.n_deps, optarg, "dependencies", ctx) < 0)
                return 2;
            break;
        case OPT_REV_ID: a.rev_id = optarg; break;
        case OPT_VERSION_PATH: a.version_path = optarg; break;
        case OPT_NO_TX: a.no_tx = 1; break;
        default:
            return cli_bad_option(ctx, revision_usage, argc, argv, before, "hm:");
        }
    }
    if (optind < argc)
        return cli_unexpected(ctx, revision_usage, argv[optind]);
    if (strcmp(a.head, "base") == 0) {
        heads = NULL;   /* a new root */
    } else if (resolve_heads(ctx, &a.head, 1, a.splice,
                             "Multiple heads are present; please specify the head revision on "
                             "which the new revision should be based, or perform a merge.",
                             &heads, &n_heads) < 0) {
        return 1;
    }
    ret = write_revision(ctx, &a, heads, n_heads);
    free(heads);
    return ret;
}

int cmd_merge(int argc, char **argv, struct ctx *ctx)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "message", required_argument, NULL, 'm' },
        { "branch-label", required_argument, NULL, OPT_LABEL },
        { "rev-id", required_argument, NULL, OPT_REV_ID },
        { NULL, 0, NULL, 0 },
    };
    struct rev_args a = { 0 };
    const char **heads = NULL;
    size_t n_heads = 0;
    char default_message[RUNNER_MESSAGE_SIZE];
    int ret;
    int c, before;

    optind = 0;
    opterr = 0;
    while ((before = optind, c = getopt_long(argc, argv, "hm:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_usage(merge_usage, 0);
        case 'm': a.message = optarg; break;
        case OPT_LABEL:
            if (push(a.labels, &a.n_labels, optarg, "branch labels", ctx) < 0)
                return 2;
            break;
        case OPT_REV_ID: a.rev_id = optarg; break;
        default:
            return cli_bad_option(ctx, merge_usage, argc, argv, before, "hm:");
        }
    }
    if (optind >= argc)
        return cli_usage_error(ctx, merge_usage, "merge needs the revisions to merge");
    if (resolve_heads(ctx, (const char *const *)argv + optind, (size_t)(argc - optind), 0,
                      NULL, &heads, &n_heads) < 0)
        return 1;
    if (n_heads < 2) {
        /* a "merge" of one revision would only add an empty child */
        printf("nothing to merge: %s resolves to %s%s\n", argv[optind],
               n_heads ? "the single head " : "no revision", n_heads ? heads[0] : "");
        free(heads);
        return 0;
    }
    if (!a.message) {
        /* alembic leaves it empty; the file name and history read better
         * with the merged ids */
        size_t len = 0;

        for (size_t i = 0; i < n_heads && len < sizeof(default_message); i++)
            len += (size_t)snprintf(default_message + len, sizeof(default_message) - len,
                                    "%s%s", i ? " and " : "merge ", heads[i]);
        a.message = default_message;
    }
    ret = write_revision(ctx, &a, heads, n_heads);
    free(heads);
    return ret;
}
