"""A class at a time: grade many notebooks in parallel, keep results as they come, write a gradebook.

`--jobs N` notebooks are graded at once (threads: the work is in the kernels); a submission that
cannot be graded at all gets one failed row and the run goes on. With `--out results.jsonl` each
notebook's results are appended as soon as they are known, and a rerun with the same file skips the
notebooks already in it with the same content (a resubmission at the same path is graded again).
`--csv gradebook.csv` writes one row per submission (the student named by nbgrader's
`submitted/<student>/<assignment>/` layout, or else by the file's name), one column per exercise
(1 passed, 0 not) and a total. `--gradescope ROOT` grades one Gradescope submission
(gradescope.py); `--canvas` writes Canvas's import CSV (canvas.py).
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import signal
import sys
import time

from ..feedback import FAILED, PASSED
from . import canvas, gradescope
from .hidden import HIDDEN
from .kernel import Limits, close_all
from .notebook import BUDGET, grade_notebook
from .scores import earned
from .sheets import write_csv


def table(graded):
    """graded: {notebook name: results}; the human-readable report."""
    lines = []
    for name, results in graded.items():
        passed = sum(r["status"] == PASSED for r in results)
        lines.append(f"{name}: {passed}/{len(results)} passed")
        width = max((len(r["id"]) for r in results), default=0)
        lines += [f"  {r['id']:{width}}  {r['status']:13}  {r['message']}" for r in results]
    return "\n".join(lines)


def student_of(path, results):
    """(student, assignment): from .../submitted/<student>/<assignment>/x.ipynb, else the file's name and nbNN."""
    parts = pathlib.Path(path).resolve().parts
    for i in range(len(parts) - 4, -1, -1):
        if parts[i] == "submitted":
            return parts[i + 1], parts[i + 2]
    prefixes = sorted({r["id"].split("-")[0] for r in results if r["id"] in HIDDEN})
    return pathlib.Path(path).stem, ",".join(prefixes)


def _grade_safely(path, **options):
    try:
        return grade_notebook(path, **options)
    except Exception as error:  # one unreadable submission must not stop the class
        return [{"id": "notebook", "status": FAILED, "message": f"could not be graded: {type(error).__name__}: {error}"}]


def _key(path):
    """A submission as a results file knows it: its absolute path and the sha256 of its content (a resubmission
    at the same path is graded again)."""
    return str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest()


def read_results(out):
    """{(absolute path, sha256): results} already in a results file (a line cut short by a crash is skipped)."""
    done = {}
    if out and out.exists():
        for line in out.read_text().splitlines():
            try:
                record = json.loads(line)
                done[record["abspath"], record["sha256"]] = record["results"]
            except (ValueError, KeyError, TypeError):
                continue
    return done


class Progress:
    """`graded 3/40 [####......] 12 s` on stderr: redrawn in place on a terminal, a line each otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream, self.started = total, 0, stream, time.monotonic()

    def step(self, path):
        self.done += 1
        bar = "#" * (20 * self.done // max(self.total, 1))
        text = f"graded {self.done}/{self.total} [{bar:20}] {time.monotonic() - self.started:.0f} s"
        if self.stream.isatty():
            self.stream.write("\r" + text + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(f"{text}  {path}\n")
        self.stream.flush()


def grade_class(paths, jobs=None, out=None, **options):
    """{path: results} for every notebook, `jobs` at a time; with `out`, appended there as they come and reused."""
    done, keys = read_results(out), {p: _key(p) for p in paths}
    todo = [p for p in paths if keys[p] not in done]
    progress = Progress(len(todo))
    pool = concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count() or 1)
    try:
        futures = {pool.submit(_grade_safely, p, **options): p for p in todo}
        for future in concurrent.futures.as_completed(futures):
            path = futures[future]
            done[keys[path]] = future.result()
            if out:
                with out.open("a") as file:
                    file.write(json.dumps({"path": str(path), "abspath": keys[path][0], "sha256": keys[path][1],
                                           "results": done[keys[path]], **canvas.noted(path)},
                                          ensure_ascii=False) + "\n")
            progress.step(path)
    except BaseException:  # Ctrl-C (or SIGTERM): no kernel may outlive the grader, no queued notebook may start
        pool.shutdown(wait=False, cancel_futures=True)
        close_all()
        raise
    pool.shutdown()
    return {str(p): done[keys[p]] for p in paths}


def write_gradebook(path, graded):
    """One row per submission: student, assignment, notebook, 1/0 per exercise, total passed."""
    ids = [i for i in [*HIDDEN, "notebook"] if any(r["id"] == i for rs in graded.values() for r in rs)]
    rows = []
    for notebook, results in graded.items():
        passed = {r["id"]: int(r["status"] == PASSED) for r in results}
        rows.append([*student_of(notebook, results), notebook, *(passed.get(i, "") for i in ids), sum(passed.values())])
    write_csv(path, ["student", "assignment", "notebook", *ids, "total"], rows)


def _interrupted(number, frame):
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tensorgrad.grade", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds each cell may run (default 60)")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help=f"seconds a whole notebook may take, restarts included (default {BUDGET:g})")
    parser.add_argument("--memory", type=float, default=Limits.memory / 2**30,
                        help=f"GB of address space a kernel process may use, and as root all of a kernel's processes "
                             f"together, where a memory cgroup can be made (default {Limits.memory / 2**30:g})")
    parser.add_argument("--processes", type=int, default=Limits.processes,
                        help=f"processes and threads a kernel may run (default {Limits.processes})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="notebooks graded at once (default: CPUs)")
    parser.add_argument("--out", type=pathlib.Path, help="append each notebook's results to this JSON-lines file "
                                                         "as they come; notebooks already in it, unchanged, are skipped")
    parser.add_argument("--csv", type=pathlib.Path, help="write a gradebook: a row per submission, a column per exercise")
    parser.add_argument("--seed", type=int, help="seed of the hidden tests' inputs (default: a fresh one per notebook)")
    parser.add_argument("--gradescope", type=pathlib.Path, metavar="ROOT",
                        help="grade ROOT/submission/*.ipynb into ROOT/results/results.json (Gradescope's layout; "
                             "ROOT/source: the zip that make autograder builds, unpacked)")
    parser.add_argument("--canvas", type=pathlib.Path, metavar="GRADEBOOK",
                        help="the gradebook exported from Canvas, rewritten as its import CSV; needs --assignment "
                             "and notebooks named as Canvas's bulk download names them")
    parser.add_argument("--assignment", help='the Canvas assignment\'s column, e.g. "Homework 2 (4567)"')
    args = parser.parse_args(argv)
    if bool(args.notebooks) == bool(args.gradescope):
        parser.error("give the notebooks to grade, or --gradescope ROOT (not both)")
    if args.gradescope and (args.out or args.csv or args.canvas):
        parser.error("--gradescope grades one submission: --out, --csv and --canvas are for a class")
    if bool(args.canvas) != bool(args.assignment):
        parser.error("--canvas and --assignment go together")
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.jobs < 1 or args.timeout <= 0 or args.budget <= 0 or args.memory <= 0 or args.processes < 1:
        parser.error("--jobs, --timeout, --budget, --memory and --processes must be positive")
    if args.canvas:  # checked before any grading: a wrong column or file name should not cost a class's run
        try:
            gradebook = canvas.read_gradebook(args.canvas, args.assignment)
            canvas.check_submissions(args.notebooks, gradebook, args.canvas)
        except (OSError, ValueError) as error:
            parser.error(str(error))
    limits = Limits(timeout=args.timeout, memory=int(args.memory * 2**30), processes=args.processes)
    options = dict(seed=args.seed, budget=args.budget, limits=limits)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        if args.gradescope:
            try:
                results = gradescope.grade_submission(args.gradescope,
                                                      lambda paths: grade_class(paths, args.jobs, **options))
            except FileNotFoundError as error:
                parser.error(str(error))
            print(json.dumps(results, indent=1, ensure_ascii=False) if args.json else f"score {results['score']:g}")
            return 0
        graded = grade_class(args.notebooks, args.jobs, args.out, **options)
    except KeyboardInterrupt:
        print("grading interrupted: every kernel stopped" + (f"; finished notebooks are in {args.out}" if args.out
                                                             else ""), file=sys.stderr)
        return 130
    if args.csv:
        write_gradebook(args.csv, graded)
    if args.canvas:
        chosen = canvas.newest(graded)
        canvas.write_import(args.canvas, args.assignment, gradebook,
                            {user: earned(results) for user, (_, results) in chosen.items()})
        print(f"{args.canvas}: Canvas's import CSV, {len(chosen)} of {len(gradebook)} students graded", file=sys.stderr)
    print(json.dumps(graded, indent=1, ensure_ascii=False) if args.json else table(graded))
    return 0
