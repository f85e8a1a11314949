"""Grade submitted notebooks: `python -m tensorgrad.grade NOTEBOOK... [--json] [--timeout SECONDS]`.

Each notebook runs top to bottom in a fresh kernel, every cell under a time limit, errors allowed.
Then, for each exercise, a hidden test runs in that kernel: the exercise's check, called with many
more random cases and a seed the student never saw (the tests live here, not in the student files).
A cell that crashes, hangs (it is interrupted) or floods its output costs only its own exercise.
Prints a table per notebook (passed / failed with the check's message / not attempted), or the same
as JSON. Offline: it needs only the local Jupyter kernel. Exit status 0 once everything is graded.
"""
import argparse
import copy
import json
import pathlib
import secrets
import sys
import time

from ._deps import require
from .feedback import FAILED, NOT_ATTEMPTED, PASSED

CASES = 40  # random cases per hidden test of a function exercise (a check cell runs 5)
ROUNDS = 8  # fresh draws of sizes per hidden test of an op (notebook 8 checks one fixed draw)
OUTPUT_LIMIT = 100_000  # characters of output a cell may print; beyond that it is dropped and the cell fails
MARKER = "tensorgrad-grade-result: "
MAX_RESTARTS = 3  # fresh kernels per notebook after cells that kill (or wedge) the kernel
PING_TIMEOUT = 10  # seconds an interrupted kernel gets to answer again
_CIRCLES = "lambda units: train(dataset='circles', hidden=str(units), steps=300).plot.history['accuracy'][-1]"

# exercise id (the cell's nbgrader grade_id) -> the hidden test, an expression giving a Feedback
HIDDEN = {
    "nb02-neuron-grads": "exercises.neuron_grads.feedback(neuron_grads, cases={cases}, seed={seed})",
    "nb02-bias-grad": "exercises.bias_grad.feedback(bias_grad, cases={cases}, seed={seed})",
    "nb03-relu-step": "exercises.relu_step.feedback(relu_contribution, cases={cases}, seed={seed})",
    "nb03-weight-grad": "exercises.weight_grad.feedback(weight_grad, cases={cases}, seed={seed})",
    "nb04-broadcast-axes": "exercises.broadcast_axes_answers.feedback(questions, my_answers)",
    "nb04-centring-grad": "exercises.centring_grad.feedback(my_prediction, A)",
    "nb05-svm-loss": "exercises.svm_loss.feedback(svm_loss, cases={cases}, seed={seed})",
    "nb06-cross-entropy": "exercises.cross_entropy.feedback(cross_entropy, cases={cases}, seed={seed})",
    "nb06-per-digit": "exercises.per_digit_accuracy.feedback(per_digit_accuracy, cases={cases}, seed={seed})",
    "nb07-narrowest-layer": "exercises.narrowest_hidden_layer.feedback(my_hidden, " + _CIRCLES + ")",
    "nb08-sigmoid": "opcheck.check_op_rounds(my_sigmoid, lambda a: a.sigmoid(), {rounds}, {seed})",
    "nb08-mean": "opcheck.check_op_rounds(my_mean, lambda a, **kw: a.mean(**kw), {rounds}, {seed})",
    "nb08-mul": "opcheck.check_op_rounds(my_mul, lambda a, b: a * b, {rounds}, {seed})",
    "nb08-matmul": "opcheck.check_op_rounds(my_matmul, lambda a, b: a @ b, {rounds}, {seed})",
    "nb08-softmax": "opcheck.check_op_rounds(my_softmax, lambda a, axis: a.softmax(axis=axis), {rounds}, {seed})",
}

_PROBE = """\
import json as _json
from tensorgrad import exercises, opcheck
from tensorgrad.feedback import Feedback as _Feedback
try:
    _feedback = {test}
except NameError as _error:
    _feedback = _Feedback("not attempted", f"not attempted: {{_error}}")
except Exception as _error:
    _feedback = _Feedback("failed", f"the hidden test raised {{type(_error).__name__}}: {{_error}}")
print({marker!r} + _json.dumps([_feedback.status, _feedback.message]))
"""


def exercise_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id") if "exercise" in cell.metadata.get("tags", []) else None


def exercises_of(notebook):
    """The exercises a submission is graded on: those of every notebook (nbNN) its exercise cells belong to.

    A deleted exercise cell is still graded (as not attempted), as long as one exercise of its notebook remains.
    """
    prefixes = {i.split("-")[0] for i in map(exercise_id, notebook.cells) if i}
    return [i for i in HIDDEN if i.split("-")[0] in prefixes]


def _client_class():
    NotebookClient = require("nbclient", "teacher").NotebookClient

    class CappedClient(NotebookClient):
        """A NotebookClient that keeps at most OUTPUT_LIMIT characters of each cell's output."""

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg["content"]))
            self.printed[cell_index] = self.printed.get(cell_index, 0) + size
            if self.printed[cell_index] > OUTPUT_LIMIT and MARKER not in msg["content"].get("text", ""):
                return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


class Run:
    """One cell's fate: whether it timed out, how much it printed, the error it raised."""

    def __init__(self, cell, elapsed, timeout, printed):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        self.timed_out = elapsed >= timeout
        self.printed = printed
        self.error = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else None

    def failure(self, timeout):
        if self.timed_out:
            return f"timed out after {timeout:g} s (an endless loop?)"
        if self.printed > OUTPUT_LIMIT:
            return f"printed {self.printed / 1000:.0f} kB, more than the {OUTPUT_LIMIT // 1000} kB allowed"
        return None


class KernelLost(Exception):
    """The kernel died in, or could not be interrupted out of, the cell `key`: grade again without it."""

    def __init__(self, key, why):
        super().__init__(why)
        self.key, self.why = key, why


def grade_notebook(path, timeout=60.0, seed=None, cases=CASES):
    """[{"id", "status", "message"}] for each exercise of the notebook at `path`.

    If a cell kills the kernel (or hangs past an interrupt), the notebook is run again in a fresh kernel
    without that cell, which fails its own exercise; at most MAX_RESTARTS times.
    """
    nbformat = require("nbformat", "teacher")
    path = pathlib.Path(path)
    original = nbformat.read(path, as_version=4)
    seed = secrets.randbelow(2**32) if seed is None else seed
    lost = {}
    for _ in range(MAX_RESTARTS + 1):
        try:
            return _grade_in_kernel(copy.deepcopy(original), path.parent, timeout, seed, cases, lost)
        except KernelLost as gone:
            lost[gone.key] = gone.why
    raise RuntimeError(f"{path}: the kernel was lost {MAX_RESTARTS + 1} times; grade this notebook by hand")


def _grade_in_kernel(notebook, folder, timeout, seed, cases, lost):
    nbformat = require("nbformat", "teacher")
    client = _client_class()(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                             interrupt_on_timeout=True, store_widget_state=False,
                             resources={"metadata": {"path": str(folder.resolve())}})
    client.printed = {}
    runs, results = {}, []
    with client.setup_kernel():
        for index, cell in enumerate(list(notebook.cells)):
            name = exercise_id(cell)
            if cell.cell_type == "code" and index not in lost:
                run = _execute(client, cell, index, timeout)
                if name:
                    runs[name] = run
        for name in exercises_of(notebook):
            cell_index = next((i for i, c in enumerate(notebook.cells) if exercise_id(c) == name), None)
            if cell_index in lost:
                results.append({"id": name, "status": FAILED, "message": f"the exercise cell {lost[cell_index]}"})
                continue
            if name in lost:
                results.append({"id": name, "status": FAILED, "message": f"the hidden test {lost[name]}"})
                continue
            test = HIDDEN[name].format(cases=cases, rounds=ROUNDS, seed=seed)
            probe = nbformat.v4.new_code_cell(_PROBE.format(test=test, marker=MARKER))
            notebook.cells.append(probe)  # nbclient stores each executed cell back into the notebook
            run = _execute(client, probe, len(notebook.cells) - 1, timeout, key=name)
            results.append({"id": name, **_verdict(runs.get(name), run, probe, timeout)})
    return results


def _verdict(cell_run, probe_run, probe, timeout):
    if cell_run and cell_run.failure(timeout):
        return {"status": FAILED, "message": "the exercise cell " + cell_run.failure(timeout)}
    if probe_run.failure(timeout):
        return {"status": FAILED, "message": "the hidden test " + probe_run.failure(timeout)}
    status, message = _probe_result(probe)
    crash = cell_run.error if cell_run else None
    if status == NOT_ATTEMPTED and crash and not crash.startswith("NotImplementedError"):
        status, message = FAILED, f"the exercise cell raised {crash}"
    return {"status": status, "message": message}


def _execute(client, cell, index, timeout, key=None):
    """Run one cell; KernelLost (keyed by `key`, else the cell's index) if the kernel dies or stays stuck."""
    key = index if key is None else key
    started = time.monotonic()
    try:
        client.execute_cell(cell, index)
    except require("nbclient.exceptions", "teacher").DeadKernelError:
        raise KernelLost(key, "killed the kernel") from None
    run = Run(cell, time.monotonic() - started, timeout, client.printed.get(index, 0))
    if run.timed_out and not _responds(client, index):
        raise KernelLost(key, f"hung for {timeout:g} s and ignored the interrupt")
    return run


def _responds(client, index):
    """After an interrupt: does the kernel run a trivial cell within PING_TIMEOUT seconds?"""
    saved, client.timeout = client.timeout, PING_TIMEOUT
    started = time.monotonic()
    try:
        client.execute_cell(require("nbformat", "teacher").v4.new_code_cell("pass"), index)
    except require("nbclient.exceptions", "teacher").DeadKernelError:
        return False
    finally:
        client.timeout = saved
    return time.monotonic() - started < PING_TIMEOUT


def _probe_result(probe):
    for output in probe.get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(MARKER):
                return tuple(json.loads(line[len(MARKER):]))
    return FAILED, "the hidden test gave no result (did the kernel die?)"


def table(graded):
    """graded: {notebook name: results}; the human-readable report."""
    lines = []
    for name, results in graded.items():
        passed = sum(r["status"] == PASSED for r in results)
        lines.append(f"{name}: {passed}/{len(results)} passed")
        width = max((len(r["id"]) for r in results), default=0)
        lines += [f"  {r['id']:{width}}  {r['status']:13}  {r['message']}" for r in results]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tensorgrad.grade", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds each cell may run (default 60)")
    parser.add_argument("--seed", type=int, help="seed of the hidden tests' random cases (default: a fresh one)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    graded = {str(p): grade_notebook(p, args.timeout, args.seed) for p in args.notebooks}
    print(json.dumps(graded, indent=1, ensure_ascii=False) if args.json else table(graded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
