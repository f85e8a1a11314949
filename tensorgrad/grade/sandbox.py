"""Start a student's kernel under hard limits: `python -I sandbox.py LIMITS_JSON KERNEL_COMMAND...`.

The grader launches every kernel through this file. It joins the process-count cgroup the grader made
(if any), lowers the resource limits for good (soft and hard alike: address space, processes, file
size, core dumps), makes itself the subreaper of all the kernel starts, then forks: the child becomes
the kernel (exec), the parent stays as its stand-in. So the limits bind the kernel and all it starts,
a process that leaves its session or is orphaned still has the stand-in as an ancestor, and a cell
that kills its parent kills only the stand-in (the grader watches the kernel by its pid, the first
line this prints). The stand-in watches its stdin, a pipe the grader never writes to: when the grader
ends in any way, even SIGKILLed, the pipe reads as closed and the stand-in kills every process below
it (and in its cgroup) before it exits. Where bwrap works, KERNEL_COMMAND is bwrap around the kernel
(bwrap.py), and the pid printed is bwrap's. Standard library only, run with `-I`.
"""
import ctypes
import json
import os
import resource
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def apply_limits(limits):
    """Join limits["cgroups"] (their cgroup.procs files), then set each RLIMIT_<NAME> in limits["rlimits"]."""
    for procs in limits.get("cgroups", []):
        with open(procs, "w") as file:
            file.write(str(os.getpid()))
    for name, value in limits["rlimits"].items():
        kind = getattr(resource, f"RLIMIT_{name}")
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))


def children():
    """{pid: [its children's pids]} of every process, read from /proc."""
    below = {}
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                below.setdefault(int(stat.read().rsplit(")", 1)[1].split()[1]), []).append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    return below


def descendants(root):
    """Every process below `root` (children, theirs, ...), read from /proc."""
    below, found, todo = children(), set(), [root]
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def kill_until_gone(pids, between=lambda: None):
    """SIGKILL the processes pids() lists until it lists none (a fork loop refills as it goes); between() after each round."""
    for _ in range(200):
        found = pids()
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        between()
        time.sleep(0.01)


def _everything_below(cgroups):
    me, found = os.getpid(), descendants(os.getpid())
    for procs in cgroups:
        try:
            with open(procs) as file:
                found |= {int(p) for p in file.read().split()} - {me}
        except OSError:
            pass
    return found


def _reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def main(argv):
    limits = json.loads(argv[0])
    apply_limits(limits)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    pid = os.fork()
    if pid == 0:
        os.execv(argv[1], argv[1:])
    print(pid, flush=True)
    while not select.select([0], [], [], 0.5)[0] or os.read(0, 1):  # until the grader's end of the pipe closes
        _reap()
    kill_until_gone(lambda: _everything_below(limits.get("cgroups", [])), between=_reap)


if __name__ == "__main__":
    main(sys.argv[1:])
