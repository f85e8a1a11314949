"""python -m tensorgrad.grade on a solved copy, a student copy, a wrong answer, a hang, a flood and a crash."""
import json
import pathlib
import subprocess
import sys

import nbformat
import pytest

from tensorgrad.grade import HIDDEN, grade_notebook, table

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
AXES, OPS = "04_broadcasting_gradients.ipynb", "08_write_your_own_op.ipynb"


def _copy(tmp_path, name, edits=()):
    """A copy of the teacher notebook with (exercise id, old, new) replacements in its exercise cells."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    for grade_id, old, new in edits:
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert old in cell.source
        cell.source = cell.source.replace(old, new)
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def _by_id(results):
    return {r["id"]: (r["status"], r["message"]) for r in results}


def test_every_exercise_has_a_hidden_test():
    ids = {c.metadata["nbgrader"]["grade_id"] for p in NOTEBOOKS.glob("*.ipynb")
           for c in nbformat.read(p, as_version=4).cells if "exercise" in c.metadata.get("tags", [])}
    assert ids == set(HIDDEN)


def test_solved_copy_passes_everything(tmp_path):
    results = grade_notebook(_copy(tmp_path, AXES), timeout=30, seed=7)
    assert [r["status"] for r in results] == ["passed", "passed"], results


def test_student_copy_is_not_attempted_and_exits_0(tmp_path):
    subprocess.run([sys.executable, "scripts/make_student.py", "--out", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True)
    done = subprocess.run([sys.executable, "-m", "tensorgrad.grade", "--json", "--timeout", "30",
                           str(tmp_path / AXES), str(tmp_path / OPS)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    graded = json.loads(done.stdout)
    statuses = [r["status"] for results in graded.values() for r in results]
    assert statuses == ["not attempted"] * 7, graded


def test_one_wrong_answer_fails_only_that_exercise(tmp_path):
    path = _copy(tmp_path, AXES, [("nb04-broadcast-axes", "(0, 1), (0, 1), (1,)]", "(1,), (0, 1), (1,)]")])
    results = _by_id(grade_notebook(path, timeout=30, seed=7))
    assert results["nb04-broadcast-axes"] == ("failed", "(1, 1) -> (2, 5): a size-1 axis of the operand that "
                                                        "was stretched is missing")
    assert results["nb04-centring-grad"][0] == "passed"
    assert "nb04-broadcast-axes  failed" in table({"x": grade_notebook(path, timeout=30, seed=7)})


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
