/* test_hostile_input.c -- hostile messages and identifiers through the
 * real command line (`runner revision -m ...`): quotes, backslashes,
 * newlines, comment and trigraph sequences, unicode, control characters
 * and 10 kB strings.  Each one either gives a file that `runner build`
 * compiles (-Wall -Wextra -Werror) and whose message the loader reads
 * back unchanged, or a clean one-line error and no file. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"

#define OUT_SIZE 65536

struct hrun {
    int status;
    char out[OUT_SIZE];
    char err[OUT_SIZE];
};

static struct hrun run;     /* big buffers: static */

static void slurp_fd(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);

    buf[n > 0 ? n : 0] = '\0';
}

/* RUNNER_BIN --dir <root>/plugins --sources <root>/revisions argv... */
static int runner(const char *root, const char *const *argv)
{
    char plugins[512], sources[512];
    const char *args[32];
    FILE *fo = tmpfile(), *fe = tmpfile();
    int n = 0, st;
    pid_t pid;

    run.status = -1;
    run.out[0] = run.err[0] = '\0';
    if (!fo || !fe)
        goto out;
    snprintf(plugins, sizeof(plugins), "%s/plugins", root);
    snprintf(sources, sizeof(sources), "%s/revisions", root);
    args[n++] = RUNNER_BIN;
    args[n++] = "--dir";
    args[n++] = plugins;
    args[n++] = "--sources";
    args[n++] = sources;
    for (size_t i = 0; argv[i] && n < 30; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        dup2(fileno(fo), 1);
        dup2(fileno(fe), 2);
        execv(RUNNER_BIN, (char *const *)args);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        run.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    slurp_fd(fileno(fo), run.out, sizeof(run.out));
    slurp_fd(fileno(fe), run.err, sizeof(run.err));
out:
    if (fo)
        fclose(fo);
    if (fe)
        fclose(fe);
    return run.status;
}

#define RUNNER(root, ...) runner((root), (const char *const[]){ __VA_ARGS__, NULL })

static int make_project(char root[64])
{
    char path[128];

    snprintf(root, 64, "/tmp/runner-test-hostile-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(path, sizeof(path), "%s/plugins", root);
    if (mkdir(path, 0755) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/revisions", root);
    return mkdir(path, 0755);
}

static void remove_project(const char *root)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (!d)
        return 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* stderr is "runner: error: <one line>\n", maybe followed by the usage
 * line and hint of a usage error */
static int one_line_error(const char *err)
{
    const char *nl;

    if (strncmp(err, "runner: error: ", 15) != 0)
        return 0;
    for (nl = strchr(err, '\n'); nl && nl[1]; nl = strchr(nl + 1, '\n'))
        if (strncmp(nl + 1, "usage: ", 7) != 0 && strncmp(nl + 1, "Try 'runner", 11) != 0)
            return 0;
    return nl != NULL;
}

/* The plugin of revision `id` carries `message` exactly. */
static int message_round_trips(const char *root, const char *id, const char *message)
{
    char dir[128], path[512];
    DIR *d;
    struct dirent *de;
    int found = 0;

    snprintf(dir, sizeof(dir), "%s/plugins", root);
    d = opendir(dir);
    if (!d)
        return 0;
    while (!found && (de = readdir(d))) {
        struct runner_revision m;
        struct err e = ERR_INIT;

        if (strncmp(de->d_name, id, strlen(id)) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (loader_read_meta(path, &m, &e) == 0 && strcmp(m.revision, id) == 0) {
            found = strcmp(m.message, message) == 0 ? 1 : -1;
            if (found < 0)
                fprintf(stderr, "\nmessage of %s: got '%s', want '%s'\n", id, m.message,
                        message);
        }
    }
    closedir(d);
    return found == 1;
}

/* One message through `revision -m`, then `build`. */
static void message_case(const char *message, int want_ok)
{
    static int seq;
    char root[64], id[32], sources[128];

    CU_ASSERT_FATAL(make_project(root) == 0);
    snprintf(sources, sizeof(sources), "%s/revisions", root);
    snprintf(id, sizeof(id), "h%03d", ++seq);
    RUNNER(root, "revision", "--rev-id", id, "-m", message);
    if (!want_ok) {
        CU_ASSERT_NOT_EQUAL(run.status, 0);
        CU_ASSERT(one_line_error(run.err));
        CU_ASSERT_EQUAL(count_files(sources), 0);   /* no half-written file */
        if (run.status == 0 || !one_line_error(run.err))
            fprintf(stderr, "\ncase %s: exit %d, stderr '%.300s'\n", id, run.status, run.err);
        remove_project(root);
        return;
    }
    CU_ASSERT_EQUAL(run.status, 0);
    if (run.status != 0)
        fprintf(stderr, "\ncase %s: revision exited %d: %.500s\n", id, run.status, run.err);
    CU_ASSERT_EQUAL(RUNNER(root, "build"), 0);
    if (run.status != 0)
        fprintf(stderr, "\ncase %s: build exited %d: %.2000s\n", id, run.status, run.err);
    CU_ASSERT(message_round_trips(root, id, message));
    /* and the listing commands print it without trouble */
    CU_ASSERT_EQUAL(RUNNER(root, "history"), 0);
    remove_project(root);
}

static void test_messages_with_quotes_and_escapes(void)
{
    message_case("say \"hello\" and 'bye'", 1);
    message_case("back\\slash, trailing backslash\\", 1);
    message_case("\\n is not a newline; \\\" neither; \\x41 \\101 \\u00e9", 1);
    message_case("%s %n %d %% printf directives", 1);
}

static void test_messages_with_newlines_and_controls(void)
{
    message_case("first line\nsecond line\n\nafter a blank line\n", 1);
    message_case("carriage\r\nreturn", 1);
    message_case("tab\there, bell\a, escape\x1b[31mred\x1b[0m, delete\x7f", 1);
    message_case("\n", 1);
}

static void test_messages_with_comment_and_trigraph_sequences(void)
{
    message_case("ends the comment */ early? int x = 1; /*", 1);
    message_case("a nested /* comment opener", 1);
    message_case("// a line comment and a splice \\\nstill here", 1);
    message_case("trigraphs ?\?= ?\?/ ?\?' ?\?( ?\?) ?\?! ?\?< ?\?> ?\?-", 1);
    message_case("a trigraph splice ?\?/\nnext line", 1);
    message_case("*/", 1);
    message_case("*", 1);
    message_case("/", 1);
}

static void test_messages_with_unicode(void)
{
    message_case("Ünïcödé ✓ 日本語 🚀 \xe2\x80\xae right-to-left override", 1);
    message_case("\xff\xfe invalid utf-8 \xc3", 1);
    message_case("isolates \xe2\x81\xa6 \xe2\x81\xa9 \xe2\x81\xa8 embedding \xe2\x80\xaa "
                 "override \xe2\x80\xad", 1);
    message_case("日本語だけ", 1);        /* an empty slug */
}

static void test_long_messages(void)
{
    static char msg[10 * 1024 + 1];

    memset(msg, 'm', 511);
    msg[511] = '\0';
    message_case(msg, 1);                   /* exactly what fits */
    msg[511] = 'm';
    msg[512] = '\0';
    message_case(msg, 0);                   /* one too many */
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    message_case(msg, 0);                   /* 10 kB */
    for (size_t i = 0; i + 1 < sizeof(msg); i++)
        msg[i] = "\"\\\n*/?\xc3\xa9"[i % 8];
    message_case(msg, 0);                   /* 10 kB of hostile bytes */
}

/* Identifiers: --rev-id, --branch-label, --head, --depends-on. */
static void test_hostile_identifiers(void)
{
    static char big[10 * 1024 + 1];
    const char *bad_ids[] = { "a\"b", "a\\b", "a\nb", "a/b", "../x", "a b", "é", "a@b", "",
                              "a'b", "a*/b", "a?\?/b", NULL };
    char root[64], sources[128];

    memset(big, 'i', sizeof(big) - 1);
    CU_ASSERT_FATAL(make_project(root) == 0);
    snprintf(sources, sizeof(sources), "%s/revisions", root);
    for (size_t i = 0; bad_ids[i]; i++) {
        CU_ASSERT_EQUAL(RUNNER(root, "revision", "-m", "x", "--rev-id", bad_ids[i]), 2);
        CU_ASSERT(one_line_error(run.err));
    }
    CU_ASSERT_EQUAL(RUNNER(root, "revision", "-m", "x", "--rev-id", big), 2);
    CU_ASSERT(one_line_error(run.err));
    CU_ASSERT(strlen(run.err) < 300);       /* the message names it, shortened */
    const char *labels[] = { "lab\"el", "lab\\el", "lab\nel", "ünï", "*/", big, NULL };
    for (size_t i = 0; labels[i]; i++) {
        int st = RUNNER(root, "revision", "-m", "x", "--rev-id", "lab1", "--branch-label",
                        labels[i]);

        CU_ASSERT(st == 0 || one_line_error(run.err));
        if (st == 0) {
            CU_ASSERT_EQUAL(RUNNER(root, "build"), 0);
            if (run.status != 0)
                fprintf(stderr, "\nlabel %zu: build: %.1000s\n", i, run.err);
            remove_project(root);
            CU_ASSERT_FATAL(make_project(root) == 0);
        }
    }
    const char *heads[] = { "nope\"", "x\ny", big, "@", "+1", "-1", "base@", NULL };
    for (size_t i = 0; heads[i]; i++) {
        CU_ASSERT_NOT_EQUAL(RUNNER(root, "revision", "-m", "x", "--head", heads[i]), 0);
        CU_ASSERT(one_line_error(run.err));
        CU_ASSERT_NOT_EQUAL(RUNNER(root, "revision", "-m", "x", "--depends-on", heads[i]), 0);
        CU_ASSERT(one_line_error(run.err));
        CU_ASSERT_NOT_EQUAL(RUNNER(root, "show", heads[i]), 0);
        CU_ASSERT(one_line_error(run.err));
    }
    CU_ASSERT_EQUAL(count_files(sources), 0);
    remove_project(root);
}

CU_TestInfo hostile_input_tests[] = {
    { "messages with quotes and escapes", test_messages_with_quotes_and_escapes },
    { "messages with newlines and control characters", test_messages_with_newlines_and_controls },
    { "messages with comment and trigraph sequences",
      test_messages_with_comment_and_trigraph_sequences },
    { "messages with unicode", test_messages_with_unicode },
    { "511-byte, 512-byte and 10 kB messages", test_long_messages },
    { "hostile identifiers", test_hostile_identifiers },
    CU_TEST_INFO_NULL,
};
