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
    int failed;
    int unsafe_key;     /* allow_unsafe_plugins was set: reported with its line */
};

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
    struct { const char *key; char **slot; } keys[] = {
        { "dir", &c->dir },
        { "plugins", &c->dir },
        { "sources", &c->sources },
        { "url", &c->url },
        { "sqlalchemy.url", &c->url },  /* an alembic.ini's [alembic] key */
        { "version_table", &c->version_table },
        { "version_table_schema", &c->version_schema },
        { "version_schema", &c->version_schema },
        { "history_table", &c->history_table },
        { "models", &c->models },
        { "cc", &c->cc },
        { "cflags", &c->cflags },
    };

    if (st->failed)
        return 0;
    if (strcmp(section, "runner") != 0 && strcmp(section, "alembic") != 0)
        return 1;       /* other sections belong to other tools (logging, ...) */
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(name, keys[i].key) == 0) {
            if (set_default(keys[i].slot, value) < 0) {
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
    st->failed = 1;
    err_set(st->e, ERR_USAGE, "%s: unknown key '%s' in section [%s]", st->path, name, section);
    return 0;
}

/* Parse the open f (closed here). */
static int config_parse(struct config *c, FILE *f, const char *path, struct err *e)
{
    struct ini_state st = { c, e, path, 0, 0 };
    int rc;

    rc = ini_parse_file(f, on_key, &st);
    fclose(f);
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

    if (set_default(&c->dir, "plugins") < 0 || set_default(&c->sources, "revisions") < 0 ||
        set_default(&c->version_table, "alembic_version") < 0 ||
        set_default(&c->history_table, "runner_history") < 0 ||
        set_default(&c->cc, env_cc && *env_cc ? env_cc : "cc") < 0)
        goto oom;
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
    free(c->cc);
    free(c->cflags);
    config_init(c);
}
