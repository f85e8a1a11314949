"""python -m tensorgrad.grade: every notebook's exercises, wrong answers, a hang, a flood, a crash, a class at a time.

The attacks a student might try are in test_grade_attacks.py.
"""
import ast
import base64
import csv
import io
import json
import os
import pathlib
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from tensorgrad import exercises
from tensorgrad.grade import HIDDEN, grade_notebook, table
from tensorgrad.grade.answers import decode, encode
from tensorgrad.grade.hidden import QUESTIONS, judged
from tensorgrad.grade.notebook import _encoded

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
AXES, OPS = "04_broadcasting_gradients.ipynb", "08_write_your_own_op.ipynb"
GRADED = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")  # the notebooks with exercises
                if any("exercise" in c.metadata.get("tags", []) for c in nbformat.read(p, as_version=4).cells))


def _copy(tmp_path, name, edits=(), to=None):
    """A copy of the teacher notebook with (exercise id, old, new) replacements in its exercise cells."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    for grade_id, old, new in edits:
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert old in cell.source
        cell.source = cell.source.replace(old, new)
    path = tmp_path / (to or name)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def _cli(*args):
    done = subprocess.run([sys.executable, "-m", "tensorgrad.grade", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr
    return done


def _by_id(results):
    return {r["id"]: (r["status"], r["message"]) for r in results}


def test_every_exercise_has_a_hidden_test():
    ids = {c.metadata["nbgrader"]["grade_id"] for p in NOTEBOOKS.glob("*.ipynb")
           for c in nbformat.read(p, as_version=4).cells if "exercise" in c.metadata.get("tags", [])}
    assert ids == set(HIDDEN)


def test_the_grader_asks_notebook_4s_own_questions():
    cell = next(c for c in nbformat.read(NOTEBOOKS / AXES, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "nb04-broadcast-axes")
    assert ast.literal_eval(cell.source.split("\n")[0].split("=", 1)[1].strip()) == QUESTIONS


def test_answers_travel_as_plain_data_never_pickle():
    sent = (np.arange(6.0).reshape(2, 3), 1.0, [np.int64(3), (True, None)], "text", ..., {"nodes": [{"op": "*"}]})
    assert json.loads(json.dumps(encode(sent)))
    back = decode(json.loads(json.dumps(encode(sent))))
    assert np.array_equal(back[0], sent[0]) and back[1:] == (1.0, [3, (True, None)], "text", ..., {"nodes": [{"op": "*"}]})
    assert encode({1: 2}) == {"type": "dict"}  # only string keys travel
    assert encode(object()) == {"type": "object"} and encode(np.array([{}])) == {"type": "ndarray"}
    buffer = io.BytesIO()
    np.save(buffer, np.array([{}], dtype=object), allow_pickle=True)  # an .npy file holding pickled objects
    with pytest.raises(ValueError, match="allow_pickle=False"):
        decode({"npy": base64.b64encode(buffer.getvalue()).decode()})


def _kernel_answers(calls, namespace):
    """What answers.answer() in a kernel would send back for `calls`, run here on `namespace`."""
    from tensorgrad.grade.answers import answer
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        answer(json.dumps([_encoded(c) for c in calls]), f"{folder}/a.json", namespace)
        return [decode(a) for a in json.loads(pathlib.Path(f"{folder}/a.json").read_text())]


@pytest.mark.parametrize("fn, expected", [
    (lambda w, x: (x, 1.0, w), "passed"),
    (lambda w, x: (w, 1.0, x), "dy/dw: the derivative with respect to one factor of a product is the *other* factor"),
    (lambda w, x: 1 / 0, "your function raised ZeroDivisionError on inputs of shapes"),
    (..., "not attempted yet"),
])
def test_the_grader_judges_answers_with_the_checks_own_feedback(fn, expected):
    calls, judge = HIDDEN["nb02-neuron-grads"].ask(seed=11)
    feedback = judged(_kernel_answers(calls, {"neuron_grads": fn}), judge)
    notebook_check = exercises.neuron_grads.feedback(fn, cases=40, seed=11)
    assert (feedback.status, feedback.message) == (notebook_check.status, notebook_check.message)
    assert feedback.status == expected or feedback.message.startswith(expected)


def test_a_missing_answer_is_not_attempted():
    calls, judge = HIDDEN["nb08-mul"].ask(seed=3)
    feedback = judged(_kernel_answers(calls, {}), judge)
    assert (feedback.status, feedback.message) == ("not attempted", "not attempted: NameError: name 'my_mul' is not "
                                                                    "defined")


def test_every_solved_notebook_passes_and_every_student_one_is_not_attempted(tmp_path):
    subprocess.run([sys.executable, "scripts/make_student.py", "--out", str(tmp_path / "student")], cwd=ROOT,
                   check=True, capture_output=True)
    solved = [_copy(tmp_path / "solved", name) for name in GRADED]
    graded = json.loads(_cli("--json", "--jobs", "2", "--timeout", "60", *solved,
                             *(tmp_path / "student" / name for name in GRADED)).stdout)
    expected = {"solved": "passed", "student": "not attempted"}
    wrong = [(path, r) for path, results in graded.items() for r in results
             if r["status"] != expected[pathlib.Path(path).parent.name]]
    assert not wrong
    assert sorted(r["id"] for results in graded.values() for r in results) == sorted(2 * list(HIDDEN))


def test_in_the_course_site_grading_says_it_needs_a_local_machine(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    with pytest.raises(RuntimeError, match="a browser cannot start"):
        grade_notebook(NOTEBOOKS / AXES)


def test_one_wrong_answer_fails_only_that_exercise(tmp_path):
    path = _copy(tmp_path, AXES, [("nb04-broadcast-axes", "(0, 1), (0, 1), (1,)]", "(1,), (0, 1), (1,)]")])
    results = _by_id(grade_notebook(path, timeout=30, seed=7))
    assert results["nb04-broadcast-axes"] == ("failed", "(1, 1) -> (2, 5): a size-1 axis of the operand that "
                                                        "was stretched is missing")
    assert results["nb04-centring-grad"][0] == "passed"
    assert "nb04-broadcast-axes  failed" in table({"x": grade_notebook(path, timeout=30, seed=7)})


def test_a_slip_in_a_students_own_engine_is_named_by_the_grader(tmp_path):
    path = _copy(tmp_path, "10_write_micrograd_yourself.ipynb",
                 [("nb10-tanh", "self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad")])
    results = _by_id(grade_notebook(path, timeout=30, seed=11))
    assert results["nb10-tanh"][0] == "failed" and "wrong local derivative of tanh" in results["nb10-tanh"][1]
    assert results["nb10-add-mul"][0] == "passed"


def test_a_hang_a_flood_and_a_crash_cost_only_their_exercises(tmp_path):
    path = _copy(tmp_path, OPS, [
        ("nb08-sigmoid", "return 1 / (1 + np.exp(-a))", "while True:\n        pass"),
        ("nb08-mean", "def mean_forward", "print('x' * 300_000)\n\n\ndef mean_forward"),
        ("nb08-mul", "def mul_forward", "1 / 0\n\n\ndef mul_forward"),
        ("nb08-softmax", "return out * (g - (g * out).sum(axis=axis, keepdims=True))", "return g * out"),
    ])
    results = _by_id(grade_notebook(path, timeout=3, seed=7))
    assert results["nb08-sigmoid"] == ("failed", "the hidden test timed out after 3 s (an endless loop?)")
    assert results["nb08-mean"] == ("failed", "the exercise cell printed 300 kB, more than the 100 kB allowed")
    assert results["nb08-mul"] == ("failed", "the exercise cell raised ZeroDivisionError: division by zero")
    assert results["nb08-softmax"][0] == "failed" and "the gradient of operand 0" in results["nb08-softmax"][1]
    assert results["nb08-matmul"][0] == "passed"


def test_a_cell_that_kills_the_kernel_costs_only_its_exercise(tmp_path):
    path = _copy(tmp_path, AXES, [("nb04-centring-grad", "my_prediction = ...", "import os\nos._exit(1)")])
    results = _by_id(grade_notebook(path, timeout=30, seed=7))
    assert results == {"nb04-broadcast-axes": ("passed", results["nb04-broadcast-axes"][1]),
                       "nb04-centring-grad": ("failed", "the exercise cell killed the kernel")}


def test_a_class_in_parallel_with_results_kept_a_rerun_and_a_gradebook(tmp_path):
    wrong = [("nb04-broadcast-axes", "(0, 1), (0, 1), (1,)]", "(1,), (0, 1), (1,)]")]
    paths = [_copy(tmp_path, AXES, to="submitted/alice/ps4/axes.ipynb"),
             _copy(tmp_path, AXES, wrong, to="submitted/bob/ps4/axes.ipynb"),
             _copy(tmp_path, AXES, to="carol.ipynb")]
    out, gradebook = tmp_path / "results.jsonl", tmp_path / "gradebook.csv"
    one = json.loads(_cli("--json", "--jobs", "1", "--seed", "5", "--out", out, "--csv", gradebook, *paths).stdout)
    two = json.loads(_cli("--json", "--jobs", "2", "--seed", "5", *paths).stdout)
    assert one == two
    lines = out.read_text().splitlines()
    assert {json.loads(line)["path"]: json.loads(line)["results"] for line in lines} == one
    again = _cli("--json", "--out", out, *paths)
    assert json.loads(again.stdout) == one and out.read_text().splitlines() == lines  # nothing graded twice
    rows = list(csv.DictReader(gradebook.open()))
    assert [(r["student"], r["assignment"], r["nb04-broadcast-axes"], r["nb04-centring-grad"], r["total"])
            for r in rows] == [("alice", "ps4", "1", "1", "2"), ("bob", "ps4", "0", "1", "1"),
                               ("carol", "nb04", "1", "1", "2")]


def _running(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


@pytest.mark.parametrize("cgroup", [True, False], ids=["pids-cgroup", "process-group"])
def test_processes_a_cell_leaves_running_are_killed(tmp_path, monkeypatch, cgroup):
    """With a pids cgroup (root) or by the kernel's process group (a normal user, or no cgroup to be had)."""
    from tensorgrad.grade import kernel
    if not cgroup:
        monkeypatch.setattr(kernel.PidsCgroup, "__init__", lambda self, limit: setattr(self, "path", None))
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "empty.ipynb")
    sandbox = kernel.Sandbox(tmp_path / "empty.ipynb")
    running = kernel.Kernel(sandbox, kernel.Limits())
    try:
        assert cgroup or running.cgroup.path is None
        outcome = running.run("import subprocess\nchild = subprocess.Popen(['sleep', '300'])", 30)
        assert outcome.error is None and not outcome.timed_out
        killed = running.run("assert child.poll() == -9, child.poll()", 30)  # its pid is its sandbox's (bwrap)
        assert killed.error is None, killed
        assert running.run("print('still here')", 30).printed == len("still here\n")  # the kernel itself is spared
    finally:
        running.close()
        sandbox.close()
    assert not _running(running.pid) and not sandbox.root.exists()
