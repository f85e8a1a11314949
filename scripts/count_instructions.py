"""Instructions per iteration of a benchmark workload, counted by callgrind: `python scripts/count_instructions.py per-op`.

Time ratios on a shared 2-core machine move by several percent from run to run; instruction counts
do not, so engine changes are judged by them (bench/notes.md quotes them). Each workload runs N and
2N iterations under `valgrind --tool=callgrind` and the difference is divided by N, which cancels
start-up and imports. The cycle collector is frozen and hashing seeded so that counts repeat to
within a few hundred instructions. Needs valgrind (Debian: apt-get install valgrind); not part of CI.
"""
import argparse
import gc
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _classroom(maker):
    def make(n):
        from bench import classroom
        X, y, params = classroom.demo_setup()
        return getattr(classroom, maker)(X, y, params, n)
    return make


def _module(module, maker, *args):
    def make(n):
        import importlib
        mod = importlib.import_module(f"bench.{module}")
        return getattr(mod, maker)(*[arg() for arg in args], n)
    return make


def _per_op_inputs():
    from bench import per_op
    return per_op.inputs()


WORKLOADS = {
    "per-op": _module("per_op", "tensorgrad_", _per_op_inputs),
    "per-op-floor": _module("per_op", "floor", _per_op_inputs),
    "classroom": _classroom("tensorgrad_"),
    "classroom-student": _classroom("tensorgrad_student"),
    "classroom-floor": _classroom("floor"),
    "scalar": _module("scalar", "tensorgrad_"),
    "scalar-micrograd": _module("scalar", "micrograd_"),
}


def count(workload, n, root):
    """Instructions callgrind collects for a whole process running `n` iterations."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable,
                              __file__, "--inner", "--root", str(root), workload, str(n)],
                             env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode or not found:
        sys.exit(f"callgrind failed on {workload}:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="+", metavar="WORKLOAD", help=", ".join(WORKLOADS) + " (then N to run)")
    parser.add_argument("-n", type=int, default=0, help="iterations (default: 200 for per-op and scalar, 30 otherwise)")
    parser.add_argument("--root", default=str(ROOT), help="the checkout to measure (another worktree: before/after)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, args.root)
    if args.inner:  # under callgrind: run the workload once, n iterations
        workload, n = args.workloads
        run = WORKLOADS[workload](int(n))
        gc.collect()
        gc.freeze()
        gc.disable()
        run()
        return
    for workload in args.workloads:
        if workload not in WORKLOADS:
            sys.exit(f"unknown workload {workload!r}: one of {', '.join(WORKLOADS)}")
        n = args.n or (30 if workload.startswith("classroom") else 200)
        per = (count(workload, 2 * n, args.root) - count(workload, n, args.root)) / n
        print(f"{workload}: {per / 1e3:,.1f} k instructions per iteration", flush=True)


if __name__ == "__main__":
    main()
