"""Start a student's kernel under hard limits: `python -I sandbox.py LIMITS_JSON KERNEL_COMMAND...`.

The grader launches every kernel through this file. It joins the process-count cgroup the grader made
(if any), lowers the resource limits for good (soft and hard alike: address space, processes, file
size, core dumps), then forks: the child becomes the kernel (exec), the parent waits for it. So the
limits bind the kernel and all it starts, and the kernel's parent is this stand-in, not the grader: a
cell that kills its parent kills only the stand-in (the grader watches the kernel by its pid, which
is the first line this prints). Standard library only, run with `-I`.
"""
import json
import os
import resource
import sys


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


def main(argv):
    apply_limits(json.loads(argv[0]))
    pid = os.fork()
    if pid == 0:
        os.execv(argv[1], argv[1:])
    print(pid, flush=True)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main(sys.argv[1:])
