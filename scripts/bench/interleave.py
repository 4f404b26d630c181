#!/usr/bin/env python3
"""interleave.py RUNS NAME=CMD...: run the commands in turn, RUNS rounds
(after 3 warm-up rounds), and print per command the median wall time and
the median CPU time (user + system of the child, from wait4), and each
less the first command's (the floor).  On a machine shared with other work
the load drifts over a run; hyperfine runs each command's batch in one
stretch, so the drift lands on one command, while interleaving spreads it
over all of them.  Output goes to /dev/null; no shell."""
import os
import shlex
import statistics
import sys
import time


def main():
    runs = int(sys.argv[1])
    named = [a.split("=", 1) for a in sys.argv[2:]]
    cmds = [shlex.split(c) for _, c in named]
    wall = [[] for _ in cmds]
    cpu = [[] for _ in cmds]
    devnull = os.open(os.devnull, os.O_WRONLY)
    for rnd in range(runs + 3):
        for i, argv in enumerate(cmds):
            t = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                os.dup2(devnull, 1)
                os.execv(argv[0], argv)
            _, status, ru = os.wait4(pid, 0)
            w = time.perf_counter() - t
            if status != 0:
                sys.exit("%s: exit status %d" % (named[i][0], status))
            if rnd >= 3:
                wall[i].append(w * 1e3)
                cpu[i].append((ru.ru_utime + ru.ru_stime) * 1e3)
    mw = [statistics.median(v) for v in wall]
    mc = [statistics.median(v) for v in cpu]
    print("| command (%d interleaved rounds) | wall median ms | wall - floor | cpu median ms | cpu - floor |" % runs)
    print("|:---|---:|---:|---:|---:|")
    for i, (name, _) in enumerate(named):
        print("| %s | %.2f | %.2f | %.2f | %.2f |" % (name, mw[i], mw[i] - mw[0], mc[i], mc[i] - mc[0]))


if __name__ == "__main__":
    main()
