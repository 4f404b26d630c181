/* config.c -- settings from the command line, environment and runner.ini.
 * The INI parsing itself is inih's; this file only maps keys to fields. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

void config_init(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->jobs = -1;       /* unset: config_finish() picks the default */
    c->keepalive_s = -1;
}

int config_set(char **slot, const char *value)
{
    char *copy = NULL;

    if (value) {
        copy = strdup(value);
        if (!copy)
            return -1;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

struct ini_state {
    struct config *cfg;
    struct err *e;
    const char *path;
    char *here;             /* the file's directory, absolute, for %(here)s */
    size_t here_len;        /* of the directory part of path ("/x.ini": 0) */
    int has_dir;            /* path names a directory: relative paths start there */
    FILE *f;
    int line;               /* of the line inih is parsing, from line_reader() */
    int at_line_start;      /* the last chunk read ended a line */
    int failed;
    int unsafe_key;     /* allow_unsafe_plugins was set: reported with its line */
};

/* inih's fgets-style reader, counting lines: the handler runs while the
 * line just read is parsed, so st->line is the key's line.  (Debian's
 * inih is built without INI_HANDLER_LINENO.)  A line longer than inih's
 * buffer arrives in chunks: only a chunk after a newline starts a line. */
static char *line_reader(char *str, int num, void *stream)
{
    struct ini_state *st = stream;
    char *got = fgets(str, num, st->f);
    size_t len;

    if (!got)
        return NULL;
    if (st->at_line_start)
        st->line++;
    len = strlen(got);
    st->at_line_start = len > 0 && got[len - 1] == '\n';
    return got;
}

/* A path key's value as the file means it: "%(here)s" replaced by the
 * file's directory, and a relative result taken from that directory (as
 * alembic resolves script_location written with %(here)s).  A file named
 * without a directory (./runner.ini, found in the current directory)
 * keeps its relative paths as they are.  Caller frees. */
static char *resolve_path(const struct ini_state *st, const char *value)
{
    static const char here_tok[] = "%(here)s";
    char *out = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&out, &size);
    const char *p = value;

    if (!m)
        return NULL;
    if (value[0] != '/' && strncmp(value, here_tok, sizeof(here_tok) - 1) != 0 && st->has_dir)
        fprintf(m, "%.*s/", (int)st->here_len, st->path);
    for (const char *hit; (hit = strstr(p, here_tok)) != NULL; p = hit + sizeof(here_tok) - 1)
        fprintf(m, "%.*s%s", (int)(hit - p), p, st->here ? st->here : ".");
    fputs(p, m);
    if (fclose(m) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* Only sets a field the command line left unset. */
static int set_default(char **slot, const char *value)
{
    return *slot ? 0 : config_set(slot, value);
}

/* Debian's inih reports no line numbers to the handler, so messages name
 * the section and key instead. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct ini_state *st = user;
    struct config *c = st->cfg;
    struct { const char *key; char **slot; int is_path; } keys[] = {
        { "dir", &c->dir, 1 },
        { "plugins", &c->dir, 1 },
        { "sources", &c->sources, 1 },
        { "url", &c->url, 0 },
        { "sqlalchemy.url", &c->url, 0 },  /* an alembic.ini's [alembic] key */
        { "version_table", &c->version_table, 0 },
        { "version_table_schema", &c->version_schema, 0 },
        { "version_schema", &c->version_schema, 0 },
        { "history_table", &c->history_table, 0 },
        { "models", &c->models, 1 },
        { "models_sources", &c->models_sources, 1 },
        { "cc", &c->cc, 0 },
        { "cflags", &c->cflags, 0 },
    };

    if (st->failed)
        return 0;
    if (strcmp(section, "runner") != 0 && strcmp(section, "alembic") != 0)
        return 1;       /* other sections belong to other tools (logging, ...) */
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(name, keys[i].key) == 0) {
            char *resolved = NULL;
            int rc;

            if (keys[i].is_path && !*keys[i].slot && !(resolved = resolve_path(st, value))) {
                st->failed = 1;
                err_set(st->e, ERR_FAIL, "out of memory");
                return 0;
            }
            rc = set_default(keys[i].slot, resolved ? resolved : value);
            free(resolved);
            if (rc < 0) {
                st->failed = 1;
                err_set(st->e, ERR_FAIL, "out of memory");
                return 0;
            }
            return 1;
        }
    }
    if (strcmp(name, "jobs") == 0) {
        char *end = NULL;
        long v = strtol(value, &end, 10);

        if (!*value || *end || v < 0 || v > 1024) {
            st->failed = 1;
            err_set(st->e, ERR_USAGE, "%s: invalid jobs '%s' in section [%s]", st->path, value,
                    section);
            return 0;
        }
        if (c->jobs < 0)
            c->jobs = (int)v;
        return 1;
    }
    if (strcmp(name, "keepalive") == 0) {
        char *end = NULL;
        double v = strtod(value, &end);

        /* v == v: refuses nan */
        if (!*value || *end || !(v == v) || v < 0 || v > 86400) {
            st->failed = 1;
            err_set(st->e, ERR_USAGE, "%s: invalid keepalive '%s' in section [%s] (seconds, "
                    "0 to 86400)", st->path, value, section);
            return 0;
        }
        if (c->keepalive_s < 0)
            c->keepalive_s = v;
        return 1;
    }
    if (strcmp(name, "allow_unsafe_plugins") == 0) {
        /* issue 10.2: whoever writes the file must not be able to switch
         * off the check of what it names; inih hands us no line, its
         * return value does (config_parse) */
        st->failed = 1;
        st->unsafe_key = 1;
        return 0;
    }
    if (strcmp(section, "alembic") == 0)
        return 1;       /* alembic.ini carries keys we have no use for */
    /* A warning, not an error: alembic (configparser) never rejects an
     * extra key, and a runner.ini that a newer runner understands must
     * still work with this one.  Printed on every run, with the line, so
     * that a typo cannot go unnoticed. */
    fprintf(stderr, "runner: warning: %s:%d: unknown key '%s' in section [%s] (ignored)\n",
            st->path, st->line, name, section);
    return 1;
}

/* Parse the open f (closed here). */
static int config_parse(struct config *c, FILE *f, const char *path, struct err *e)
{
    struct ini_state st = { .cfg = c, .e = e, .path = path, .f = f, .at_line_start = 1 };
    const char *slash = strrchr(path, '/');
    struct stat sb;
    int read_errno;
    int rc;

    /* fopen() opens a directory, and ini_parse_stream() takes its read
     * error for the end of the file: it would read as an empty config */
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return err_set(e, ERR_FAIL, "cannot read config file '%s': %s", path, strerror(EISDIR));
    }
    if (slash) {
        char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));

        st.here_len = (size_t)(slash - path);
        st.has_dir = 1;
        st.here = dir ? realpath(dir, NULL) : NULL;
        free(dir);
    } else {
        st.here = realpath(".", NULL);
    }
    errno = 0;
    rc = ini_parse_stream(line_reader, &st, on_key, &st);
    read_errno = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    free(st.here);
    if (read_errno)
        return err_set(e, ERR_FAIL, "cannot read config file '%s': %s", path,
                       strerror(read_errno));
    if (st.unsafe_key)
        return err_set(e, ERR_USAGE,
                       "%s:%d: allow_unsafe_plugins is not read from a config file; pass "
                       "--allow-unsafe-plugins or set RUNNER_ALLOW_UNSAFE_PLUGINS=1",
                       path, rc);
    if (st.failed)
        return -1;
    if (rc != 0)
        return err_set(e, ERR_USAGE, "%s:%d: syntax error", path, rc);
    return 0;
}

int config_read_file(struct config *c, const char *path, struct err *e)
{
    FILE *f = fopen(path, "r");

    if (!f)
        return err_set(e, ERR_FAIL, "cannot open config file '%s': %s", path, strerror(errno));
    return config_parse(c, f, path, e);
}

int config_read_trusted(struct config *c, const char *path, struct err *e)
{
    struct trust_opts to = { c->allow_unsafe_plugins };
    struct stat st;
    FILE *f;
    int fd, r;

    /* a config names the compiler, the plugins and the models plugin: it
     * decides what code runs, so trust.c's rule applies to it and to
     * every directory above it (git's safe.directory answer) */
    r = trust_open(AT_FDCWD, path, path, "config", 0, &to, &fd, &st, e);
    if (r > 0)
        return err_set(e, ERR_FAIL, "cannot open config file '%s': %s", path, strerror(ENOENT));
    if (r < 0)
        return -1;
    f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return err_set(e, ERR_FAIL, "cannot open config file '%s': %s", path, strerror(errno));
    }
    return config_parse(c, f, path, e);
}

int config_from_env(struct config *c, struct err *e)
{
    const char *env_url = getenv("DATABASE_URL");
    const char *unsafe = getenv("RUNNER_ALLOW_UNSAFE_PLUGINS");

    if (unsafe && strcmp(unsafe, "1") == 0)
        c->allow_unsafe_plugins = 1;

    if (!c->url && env_url && *env_url && config_set(&c->url, env_url) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    return 0;
}

int config_finish(struct config *c, struct err *e)
{
    const char *env_cc = getenv("CC");

    /* Stale sources are built before an authoring command only when the
     * project names them: not for the bare default "revisions" of the
     * current directory, and not for a --dir of the command line paired
     * with the config file's sources (the plugins of another project or a
     * test fixture must not receive these sources). */
    c->authoring = c->sources && (!c->dir_on_cli || c->sources_on_cli);
    if (set_default(&c->dir, "plugins") < 0 || set_default(&c->sources, "revisions") < 0 ||
        set_default(&c->version_table, "alembic_version") < 0 ||
        set_default(&c->history_table, "runner_history") < 0 ||
        set_default(&c->cc, env_cc && *env_cc ? env_cc : "cc") < 0)
        goto oom;
    if (c->keepalive_s < 0)
        c->keepalive_s = CONFIG_KEEPALIVE_DEFAULT;
    if (c->jobs <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        c->jobs = n > 0 ? (int)n : 1;
    }
    return 0;
oom:
    return err_set(e, ERR_FAIL, "out of memory");
}

void config_release(struct config *c)
{
    free(c->file);
    free(c->dir);
    free(c->sources);
    free(c->url);
    for (size_t i = 0; i < c->n_urls; i++)
        free(c->urls[i]);
    free(c->urls);
    free(c->version_table);
    free(c->version_schema);
    free(c->history_table);
    free(c->models);
    free(c->models_sources);
    free(c->cc);
    free(c->cflags);
    config_init(c);
}
