"""Grade one submitted notebook: run its cells in a sandboxed kernel, then ask for answers and judge them here.

Every code cell runs in order, errors allowed, each under the per-cell limit and all of them under
the notebook's budget. Right after each exercise cell (so that no later cell can spoil its answers),
the grader sends the kernel one probe cell: the source of answers.py and the hidden test's request
(fresh inputs, drawn from a seed the student never saw); the kernel calls the student's code on them and writes the plain answers to a file;
the grader reads that file (never through a link, never with pickle) and judges the answers itself
(hidden.py). A cell that kills the kernel, or ignores the interrupt at its time limit, is left out
of a fresh kernel that runs the notebook again; it fails only its own exercise.
"""
import json
import pathlib
import secrets
import sys
import time

from .. import recorder
from .._deps import require
from ..feedback import FAILED, NOT_ATTEMPTED
from . import answers
from .hidden import CASES, HIDDEN, judged
from .kernel import Kernel, KernelLost, Limits, Sandbox, Unreadable

OUTPUT_LIMIT = 100_000  # characters a cell may print; beyond that it is dropped and the cell fails
ANSWER_LIMIT = 64 * 2**20  # bytes of answers a probe may write
MAX_RESTARTS = 3  # fresh kernels per notebook after cells that kill (or wedge) the kernel
BUDGET = 600.0  # seconds a notebook may take, all its kernels together
PROBE = """\
_tensorgrad_grader = {{}}, {{}}
exec(compile({source!r}, "<tensorgrad answers>", "exec"), _tensorgrad_grader[0])
exec(compile({tools!r}, "<tensorgrad recorder>", "exec"), _tensorgrad_grader[1])
_tensorgrad_grader[0]["answer"]({request!r}, {path!r}, globals(), _tensorgrad_grader[1])
del _tensorgrad_grader
"""
_ANSWERS_SOURCE = pathlib.Path(answers.__file__).read_text()
_TOOLS_SOURCE = pathlib.Path(recorder.__file__).read_text()  # notebook 10's recorder, sent with each request


def exercise_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id") if "exercise" in cell.metadata.get("tags", []) else None


def exercises_of(notebook):
    """The exercises a submission is graded on: those of every notebook (nbNN) its exercise cells belong to.

    A deleted exercise cell is still graded (as not attempted), as long as one exercise of its notebook remains.
    """
    prefixes = {i.split("-")[0] for i in map(exercise_id, notebook.cells) if i}
    return [i for i in HIDDEN if i.split("-")[0] in prefixes]


class _Lost(Exception):
    """The kernel was lost in the cell (index) or hidden test (exercise id) `key`."""

    def __init__(self, key, why):
        super().__init__(why)
        self.key, self.why = key, why


class _OutOfTime(Exception):
    """The notebook's budget is spent."""


def grade_notebook(path, timeout=60.0, seed=None, cases=CASES, *, budget=BUDGET, limits=None):
    """[{"id", "status", "message"}] for each exercise of the notebook at `path`.

    `limits` (kernel.Limits) overrides `timeout`; `budget` bounds the whole notebook, restarts included.
    """
    if sys.platform == "emscripten":  # the course site: Python in a browser tab starts no processes
        raise RuntimeError("grading runs each notebook in a kernel of its own, which a browser cannot start: "
                           "run python -m tensorgrad.grade on a machine with Python and Jupyter installed")
    notebook = require("nbformat", "teacher").read(path, as_version=4)
    limits = limits or Limits(timeout=timeout)
    seed = secrets.randbelow(2**32) if seed is None else seed
    deadline = time.monotonic() + budget
    results, lost = {}, {}
    sandbox = Sandbox(path)
    try:
        for _ in range(MAX_RESTARTS + 1):
            try:
                _grade_in_kernel(notebook, sandbox, limits, deadline, (seed, cases), results, lost)
                break
            except _Lost as gone:
                lost[gone.key] = gone.why
                _fail_lost(notebook, gone, results)
            except _OutOfTime:
                break
    finally:
        sandbox.close()
    return [{"id": name, **results.get(name, {"status": FAILED, "message": f"the exercise {_why_ungraded(budget, lost)}"})}
            for name in exercises_of(notebook)]


def _why_ungraded(budget, lost):
    if not lost:
        return f"was not graded: the notebook used up its {budget:g} s budget"
    return f"was not graded: the kernel was lost {len(lost)} times (last: {list(lost.values())[-1]})"


def _fail_lost(notebook, gone, results):
    if isinstance(gone.key, int):
        name = exercise_id(notebook.cells[gone.key])
        if name:
            results[name] = {"status": FAILED, "message": f"the exercise cell {gone.why}"}
    else:
        results[gone.key] = {"status": FAILED, "message": f"the hidden test {gone.why}"}


def _grade_in_kernel(notebook, sandbox, limits, deadline, test_seed, results, lost):
    try:
        kernel = Kernel(sandbox, limits)
    except KernelLost as gone:
        raise _Lost("startup", gone.why) from None
    try:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code" and index not in lost:
                outcome = _run(kernel, cell.source, index, limits, deadline)
                name = exercise_id(cell)
                if name in HIDDEN and name not in results:  # asked at once: later cells cannot spoil its answers
                    results[name] = _hidden_test(kernel, sandbox, name, outcome, limits, deadline, test_seed)
        for name in exercises_of(notebook):  # exercises whose cell was deleted
            if name not in results:
                results[name] = _hidden_test(kernel, sandbox, name, None, limits, deadline, test_seed)
    finally:
        kernel.close()


def _run(kernel, code, key, limits, deadline):
    """kernel.run under the smaller of the cell's limit and what is left of the budget."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _OutOfTime
    cut = left < limits.timeout
    try:
        outcome = kernel.run(code, min(left, limits.timeout))
    except KernelLost as gone:
        raise _OutOfTime if cut else _Lost(key, gone.why) from None
    if cut and outcome.timed_out:
        raise _OutOfTime
    return outcome


def _cell_failure(outcome, timeout):
    if outcome.timed_out:
        return f"timed out after {timeout:g} s (an endless loop?)"
    if outcome.printed > OUTPUT_LIMIT:
        return f"printed {outcome.printed / 1000:.0f} kB, more than the {OUTPUT_LIMIT // 1000} kB allowed"
    return None


def _hidden_test(kernel, sandbox, name, cell, limits, deadline, test_seed):
    if cell and _cell_failure(cell, limits.timeout):
        return {"status": FAILED, "message": "the exercise cell " + _cell_failure(cell, limits.timeout)}
    calls, judge = HIDDEN[name].ask(*test_seed)
    path = sandbox.new_path("answers")
    request = json.dumps([_encoded(c) for c in calls])
    code = PROBE.format(source=_ANSWERS_SOURCE, tools=_TOOLS_SOURCE, request=request, path=str(path))
    probe = _run(kernel, code, name, limits, deadline)
    if _cell_failure(probe, limits.timeout):
        return {"status": FAILED, "message": "the hidden test " + _cell_failure(probe, limits.timeout)}
    try:
        text = sandbox.read(path, ANSWER_LIMIT)
    except Unreadable as why:
        return {"status": FAILED, "message": f"the hidden test's answers file {why} (did the notebook replace it?)"}
    feedback = _judge(text, len(calls), judge)
    status, message = feedback.status, feedback.message
    if status == NOT_ATTEMPTED and cell and cell.error and not cell.error.startswith("NotImplementedError"):
        status, message = FAILED, f"the exercise cell raised {cell.error}"
    return {"status": status, "message": message}


def _encoded(call):
    """A call with its arguments made plain (references to earlier calls stay as they are)."""
    plain = lambda x: x if isinstance(x, dict) else answers.encode(x)  # noqa: E731
    return {**call, "args": [plain(a) for a in call.get("args", [])],
            "kwargs": {k: plain(v) for k, v in call.get("kwargs", {}).items()}}


def _judge(text, expected, judge):
    from ..feedback import Feedback
    if text is None:
        return Feedback(FAILED, "the hidden test got no answers back (did the notebook break the grader's probe?)")
    try:
        given = [answers.decode(a) for a in json.loads(text)]
    except Exception as error:  # whatever the kernel wrote, it is only data that failed to parse
        return Feedback(FAILED, f"the hidden test could not read the answers ({type(error).__name__})")
    if len(given) != expected:
        return Feedback(FAILED, f"the hidden test got {len(given)} answers for {expected} questions")
    return judged(given, judge)
