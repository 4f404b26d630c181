/* config.c -- settings from the command line, environment and runner.ini.
 * The INI parsing itself is inih's; this file only maps keys to fields. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    int failed;
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
        c->allow_unsafe_plugins |= strcmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
                                   strcmp(value, "yes") == 0;
        return 1;
    }
    if (strcmp(section, "alembic") == 0)
        return 1;       /* alembic.ini carries keys we have no use for */
    st->failed = 1;
    err_set(st->e, ERR_USAGE, "%s: unknown key '%s' in section [%s]", st->path, name, section);
    return 0;
}

int config_read_file(struct config *c, const char *path, struct err *e)
{
    struct ini_state st = { c, e, path, 0 };
    FILE *f = fopen(path, "r");
    int rc;

    struct stat sb;
    int read_errno;

    if (!f)
        return err_set(e, ERR_FAIL, "cannot open config file '%s': %s", path, strerror(errno));
    /* fopen() opens a directory, and ini_parse_file() takes its read error
     * for the end of the file: it would read as an empty config */
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return err_set(e, ERR_FAIL, "cannot read config file '%s': %s", path, strerror(EISDIR));
    }
    errno = 0;
    rc = ini_parse_file(f, on_key, &st);
    read_errno = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (read_errno)
        return err_set(e, ERR_FAIL, "cannot read config file '%s': %s", path,
                       strerror(read_errno));
    if (st.failed)
        return -1;
    if (rc != 0)
        return err_set(e, ERR_USAGE, "%s:%d: syntax error", path, rc);
    return 0;
}

int config_from_env(struct config *c, struct err *e)
{
    const char *env_url = getenv("DATABASE_URL");

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
    free(c->cc);
    free(c->cflags);
    config_init(c);
}
