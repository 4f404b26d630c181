/* itrust.c -- helpers of the trust suites; see itrust.h. */
#include "itrust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int it_project_new(struct it_project *p)
{
    snprintf(p->root, sizeof(p->root), "%s/trust-XXXXXX", it_tmpdir());
    if (!mkdtemp(p->root)) {
        fprintf(stderr, "mkdtemp %s: %s\n", p->root, strerror(errno));
        return -1;
    }
    snprintf(p->sources, sizeof(p->sources), "%s/revisions", p->root);
    snprintf(p->plugins, sizeof(p->plugins), "%s/plugins", p->root);
    if (mkdir(p->sources, 0755) < 0 || mkdir(p->plugins, 0755) < 0) {
        fprintf(stderr, "mkdir in %s: %s\n", p->root, strerror(errno));
        return -1;
    }
    return 0;
}

void it_project_remove(const struct it_project *p)
{
    pid_t pid;
    int st;

    if (!p->root[0] || strstr(p->root, "/trust-") == NULL)
        return;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", "--", p->root, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, &st, 0);
}

int it_project_write(const struct it_project *p, const char *name, const char *text)
{
    char path[1024];
    FILE *f;
    int ret = 0;

    snprintf(path, sizeof(path), "%s/%s", p->sources, name);
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fputs(text, f) == EOF)
        ret = -1;
    if (fclose(f) != 0)
        ret = -1;
    return ret;
}

int it_project_rev(const struct it_project *p, const char *id, const char *down,
                   const char *upgrade_body)
{
    char text[4096], name[64], downs[128] = "";
    char body[1024];

    if (down)
        snprintf(downs, sizeof(downs), ", .down_revision = RUNNER_REVS(\"%s\")", down);
    if (upgrade_body)
        snprintf(body, sizeof(body), "%s", upgrade_body);
    else
        snprintf(body, sizeof(body),
                 "    return op_execute(op, \"CREATE TABLE trust_%s (id integer)\");\n", id);
    snprintf(text, sizeof(text),
             "#include <signal.h>\n"
             "#include <stdlib.h>\n"
             "#include <runner/plugin.h>\n\n"
             "RUNNER_REVISION(.revision = \"%s\"%s, .message = \"Trust %s\");\n\n"
             "int upgrade(runner_op *op)\n{\n%s}\n\n"
             "int downgrade(runner_op *op)\n{\n"
             "    return op_execute(op, \"DROP TABLE IF EXISTS trust_%s\");\n}\n",
             id, downs, id, body, id);
    snprintf(name, sizeof(name), "%s.c", id);
    return it_project_write(p, name, text);
}

int it_project_run(struct it_run *r, const struct it_project *p, const char *url,
                   const char *const *argv)
{
    const char *args[IT_RUN_MAX_ARGS + 1];
    int n = 0;

    args[n++] = "--dir";
    args[n++] = p->plugins;
    args[n++] = "--sources";
    args[n++] = p->sources;
    if (url) {
        args[n++] = "--url";
        args[n++] = url;
    }
    for (size_t i = 0; argv[i] && n < IT_RUN_MAX_ARGS; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    return it_run(r, args, 0);
}
