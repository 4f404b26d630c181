/* test_signals.c -- the run's signal watcher (runner/migrate/signals.c),
 * in a child process each, since the signals are real. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "pg.h"
#include "signals.h"

static void write_marker(void *arg)
{
    int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd >= 0) {
        (void)!write(fd, "removed\n", 8);
        close(fd);
    }
}

/* The child: watch, set the hook, get two SIGINTs, wait to be ended. */
static void child(const char *marker)
{
    static struct sigwatch s;
    static struct pg db = PG_INIT;
    struct err e = ERR_INIT;
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    uv_loop_t loop;

    if (uv_loop_init(&loop) < 0 || sigwatch_start(&s, &loop, &db, "", &e) < 0)
        _exit(3);
    sigwatch_on_exit(&s, write_marker, (void *)marker);
    kill(getpid(), SIGINT);
    for (int i = 0; i < 100 && !sigwatch_signum(&s); i++)
        nanosleep(&ts, NULL);
    kill(getpid(), SIGINT);
    for (int i = 0; i < 500; i++)
        nanosleep(&ts, NULL);
    _exit(4);           /* the second signal did not end the process */
}

static void test_signals_second_signal_runs_the_exit_hook_first(void)
{
    char marker[64], buf[16] = "";
    pid_t pid;
    int st = 0, fd;

    snprintf(marker, sizeof(marker), "/tmp/runner-sigwatch-%d", (int)getpid());
    unlink(marker);
    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        /* quiet: the watcher says what it does on stderr */
        int null = open("/dev/null", O_WRONLY);

        if (null >= 0)
            dup2(null, 2);
        child(marker);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(st));
    CU_ASSERT_EQUAL(WEXITSTATUS(st), 128 + SIGINT);
    fd = open(marker, O_RDONLY);
    CU_ASSERT_TRUE(fd >= 0);
    if (fd >= 0) {
        CU_ASSERT_EQUAL(read(fd, buf, sizeof(buf) - 1), 8);
        close(fd);
    }
    CU_ASSERT_STRING_EQUAL(buf, "removed\n");
    unlink(marker);
}

CU_TestInfo signals_tests[] = {
    { "signals second signal runs the exit hook first",
      test_signals_second_signal_runs_the_exit_hook_first },
    CU_TEST_INFO_NULL,
};
