/* cmd_init.c -- `runner init [DIR]`: scaffold a standalone project, as
 * `alembic init` does: runner.ini, revisions/, plugins/, models/ with one
 * example model and its registry, a CMakeLists.txt using the installed
 * package (find_package(runner), runner_add_revision()) and a .gitignore.
 *
 * Directories are 0755 and files 0644 whatever the umask: the loader's
 * trust check refuses a group- or world-writable plugin directory, models
 * plugin or auto-discovered runner.ini.  A non-empty DIR is refused, as
 * alembic refuses it; --force writes into it but never replaces a file
 * that is already there. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "cli.h"

static const char *const init_usage[] = {
    "usage: runner init [--force] [DIR]",
    "",
    "Create a new project in DIR (default: the current directory): runner.ini,",
    "revisions/ (sources), plugins/ (built revisions), models/ (an example",
    "model and its registry), CMakeLists.txt and .gitignore.  Then:",
    "  cd DIR && runner revision --autogenerate -m \"add users\" && runner upgrade head",
    "  -f, --force   write into a directory that is not empty (existing files",
    "                are kept as they are)",
    NULL,
};

static const char ini_text[] =
    "# runner.ini -- written by `runner init`.  Paths are relative to this\n"
    "# file (%(here)s is its directory), so `runner -c /path/to/runner.ini ...`\n"
    "# works from any directory.  The command line and $DATABASE_URL win.\n"
    "[runner]\n"
    "# compiled revisions: `runner build` (or CMake) puts them here\n"
    "dir = plugins\n"
    "# revision sources: `runner revision` writes here, `runner build` compiles them\n"
    "sources = revisions\n"
    "# the models plugin for `revision --autogenerate` and `check`, and its sources\n"
    "# (`runner build` compiles models/*.c into it)\n"
    "models = build/models.so\n"
    "models_sources = models\n"
    "# url = postgresql://user@localhost/app   (else $DATABASE_URL, else libpq's PG*)\n"
    "# version_table = alembic_version\n"
    "# cflags = -I/usr/include/postgresql     (for data migrations using libpq)\n";

static const char user_text[] =
    "/* user.c -- the users table, declared the way a SQLAlchemy model is:\n"
    " * one file per model, listed once in models.c.  Edit it, then\n"
    " * `runner revision --autogenerate -m \"...\"` writes the revision. */\n"
    "#include <runner/model.h>\n"
    "\n"
    "RUNNER_MODEL(user,\n"
    "    .table = \"users\",\n"
    "    .columns = RUNNER_MODEL_COLUMNS(\n"
    "        { .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },\n"
    "        { .name = \"email\", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },\n"
    "        { .name = \"name\", .type = RUNNER_T_VARCHAR(100) },\n"
    "        { .name = \"created_at\", .type = RUNNER_T_DATETIME, .server_default = \"now()\" }));\n";

static const char models_text[] =
    "/* models.c -- the registry of the project's models (the models/__init__.py\n"
    " * step): declare each model defined in its own file and list it once. */\n"
    "#include <runner/model.h>\n"
    "\n"
    "RUNNER_MODEL_DECLARE(user);     /* user.c */\n"
    "\n"
    "RUNNER_MODELS(RUNNER_MODEL_REF(user));\n";

static const char cmake_text[] =
    "# Builds the revisions (revisions/*.c -> plugins/<name>.so, each with its\n"
    "# source checksum) and the models plugin (models/*.c -> build/models.so)\n"
    "# against the installed runner package; `runner build` does the same.\n"
    "#   cmake -S . -B build && cmake --build build\n"
    "cmake_minimum_required(VERSION 3.18)\n"
    "project(migrations LANGUAGES C)\n"
    "\n"
    "find_package(runner REQUIRED)  # runner_add_revision(), the plugin headers\n"
    "\n"
    "set(RUNNER_PLUGIN_DIR ${CMAKE_CURRENT_SOURCE_DIR}/plugins)\n"
    "file(GLOB revisions CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/revisions/*.c)\n"
    "foreach(src ${revisions})\n"
    "  runner_add_revision(${src})\n"
    "endforeach()\n"
    "\n"
    "file(GLOB models CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/models/*.c)\n"
    "add_library(models MODULE ${models})\n"
    "target_include_directories(models PRIVATE ${RUNNER_PLUGIN_API_INCLUDE_DIR})\n"
    "target_compile_options(models PRIVATE -Wall -Wextra -Werror)\n"
    "set_target_properties(models PROPERTIES PREFIX \"\" C_STANDARD 11\n"
    "  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/build)\n";

static const char gitignore_text[] =
    "# built by `runner build` or CMake from revisions/ and models/\n"
    "/build/\n"
    "/plugins/*.so\n";

struct init_file {
    const char *path;           /* relative to DIR */
    const char *text;           /* NULL: a directory */
};

static const struct init_file files[] = {
    { "revisions", NULL },
    { "plugins", NULL },
    { "plugins/.gitkeep", "" },     /* a clone has the directory the authoring build fills */
    { "models", NULL },
    { "runner.ini", ini_text },
    { "models/user.c", user_text },
    { "models/models.c", models_text },
    { "CMakeLists.txt", cmake_text },
    { ".gitignore", gitignore_text },
};

/* 1 empty (or missing), 0 not empty, -1 unreadable. */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int empty = 1;

    if (!d)
        return errno == ENOENT ? 1 : -1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

/* mkdir with exactly 0755 (the umask may have taken bits away, or a
 * directory we create may inherit nothing); an existing one is left. */
static int make_dir(const char *path, int quiet, struct err *e)
{
    if (mkdir(path, 0755) < 0) {
        if (errno == EEXIST)
            return 0;
        return err_set(e, ERR_FAIL, "cannot create directory '%s': %s", path, strerror(errno));
    }
    if (chmod(path, 0755) < 0)
        return err_set(e, ERR_FAIL, "cannot set the mode of '%s': %s", path, strerror(errno));
    if (!quiet)
        printf("Creating directory %s ...  done\n", path);
    return 0;
}

/* Write text to a new file (never replaces one), mode 0644. */
static int make_file(const char *path, const char *text, int quiet, struct err *e)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ssize_t n;

    if (fd < 0) {
        if (errno == EEXIST) {
            if (!quiet)
                printf("Keeping existing %s\n", path);
            return 0;
        }
        return err_set(e, ERR_FAIL, "cannot create '%s': %s", path, strerror(errno));
    }
    n = write(fd, text, len);
    if (n != (ssize_t)len || fchmod(fd, 0644) < 0) {
        err_set(e, ERR_FAIL, "cannot write '%s': %s", path,
                n >= 0 && n != (ssize_t)len ? "short write" : strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    if (close(fd) < 0)
        return err_set(e, ERR_FAIL, "cannot write '%s': %s", path, strerror(errno));
    if (!quiet)
        printf("Generating %s ...  done\n", path);
    return 0;
}

int cmd_init(int argc, char **argv, struct ctx *ctx)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "force", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = ".";
    char path[PATH_MAX];
    int force = 0, c, empty;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hf", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            return cli_usage(init_usage, 0);
        case 'f':
            force = 1;
            break;
        default:
            fprintf(stderr, "runner: error: unknown option '%s'\n", argv[optind - 1]);
            return cli_usage(init_usage, 1);
        }
    }
    if (optind < argc)
        dir = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "runner: error: unexpected argument '%s'\n", argv[optind]);
        return cli_usage(init_usage, 1);
    }
    empty = dir_is_empty(dir);
    if (empty < 0) {
        err_set(&ctx->err, ERR_FAIL, "cannot read directory '%s': %s", dir, strerror(errno));
        return 1;
    }
    if (!empty && !force) {
        err_set(&ctx->err, ERR_FAIL,
                "directory '%s' already exists and is not empty (--force writes into it, "
                "keeping its files)",
                dir);
        return 1;
    }
    if (make_dir(dir, ctx->quiet, &ctx->err) < 0)
        return 1;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        int rc;

        if (snprintf(path, sizeof(path), "%s/%s", dir, files[i].path) >= (int)sizeof(path)) {
            err_set(&ctx->err, ERR_FAIL, "path too long '%s/%s'", dir, files[i].path);
            return 1;
        }
        rc = files[i].text ? make_file(path, files[i].text, ctx->quiet, &ctx->err)
                           : make_dir(path, ctx->quiet, &ctx->err);
        if (rc < 0)
            return 1;
    }
    if (!ctx->quiet)
        printf("Set the database URL in %s/runner.ini (url =) or $DATABASE_URL, then:\n"
               "  cd %s && runner revision --autogenerate -m \"add users\"\n",
               dir, dir);
    return 0;
}
