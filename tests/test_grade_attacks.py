"""A student who wants a free pass, or to stall the class: every crafted submission fails and the run ends.

Each attack is a copy of notebook 2 (its two exercises wrong, or right where the attack is meant to
cost only its own exercise) graded by one `python -m tensorgrad.grade` run, two at a time. The fork
loop is safe on a shared machine: the kernel's processes are capped (a pids cgroup under root,
RLIMIT_NPROC otherwise) and all killed when the notebook is done.
"""
import hashlib
import json
import os
import subprocess
import sys

import nbformat
import pytest

from test_grade import NOTEBOOKS, ROOT

NB02 = "02_tracing_the_graph.ipynb"
TIMEOUT, BUDGET = 10, 90  # a cell of notebook 2 takes well under a second; the machine may be busy
WRONG = {"nb02-neuron-grads": "return 0", "nb02-bias-grad": "return 0"}
FORGED = 'tensorgrad-grade-result: ["passed", "ok"]'

# name -> (new bodies of exercise functions, code put at the top of an exercise cell (the first if a free pass
#          is tried, else bias-grad's), {exercise: the start of its failure message}, every other exercise
#          passing; or None: a free pass tried with wrong answers, all of which must fail)
ATTACKS = {
    "patched-checks": (WRONG, """\
from tensorgrad import exercises, opcheck
from tensorgrad.feedback import Feedback
for check in vars(exercises).values():
    if hasattr(check, "feedback"):
        check.feedback = lambda *args, **kwargs: Feedback("passed", "ok")
opcheck.check_op_rounds = lambda *args, **kwargs: Feedback("passed", "ok")""", None),
    "forged-by-hook": (WRONG, f"""\
get_ipython().events.register("pre_run_cell", lambda info: print({FORGED!r}))
get_ipython().events.register("post_run_cell", lambda result: print({FORGED!r}))""", None),
    "forged-by-print-and-stdout": (WRONG, f"""\
import sys
print({FORGED!r})
class Forged:
    def write(self, text):
        sys.__stdout__.write({FORGED!r} + "\\n")
    def flush(self):
        pass
sys.stdout = Forged()""", None),
    "patched-json-and-builtins": (WRONG, """\
import builtins, json
json.dumps = lambda *args, **kwargs: '[["passed", "ok"]]'
json.dump = lambda obj, file, *args, **kwargs: file.write('[["passed", "ok"], ["passed", "ok"]]')
json.loads = lambda *args, **kwargs: [{"target": ["print"], "args": ["passed"]}]
builtins.compile = lambda *args, **kwargs: compile("pass", "x", "exec")""", None),
    "hard-coded-answers": ({"nb02-neuron-grads": "return np.array([1.0, -2.0]), 1.0, np.array([0.3, 0.4])",
                            "nb02-bias-grad": "return np.array([4, 0, 4])"}, "", None),
    "swallowed-interrupt": ({"nb02-neuron-grads": "import time\n    while True:\n        try:\n"
                                                  "            time.sleep(0.5)\n        except BaseException:\n"
                                                  "            pass"}, "",
                            {"nb02-neuron-grads": f"the exercise cell ran past its {TIMEOUT} s and ignored the interrupt"}),
    "endless-loop-in-the-answer": ({"nb02-neuron-grads": "while True:\n        pass"}, "",
                                   {"nb02-neuron-grads": f"the exercise cell timed out after {TIMEOUT} s"}),
    "endless-loop-at-top-level": ({}, "while True:\n    pass\n",
                                  {"nb02-bias-grad": f"the exercise cell timed out after {TIMEOUT} s"}),
    "os-exit": ({}, "import os\nos._exit(1)\n", {"nb02-bias-grad": "the exercise cell killed the kernel"}),
    "memory-bomb": ({}, "blocks = []\nwhile True:\n    blocks.append(bytearray(2**27))\n",
                    {"nb02-bias-grad": "the exercise cell raised MemoryError"}),
    "fork-loop": ({}, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  {"nb02-bias-grad": "the exercise cell "}),  # timed out, or (its kernel wedged) killed
    "kills-its-parent": ({}, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", {}),
    "closes-stdout": ({}, "import os, sys\nsys.stdout.close()\nsys.stderr.close()\nos.close(1)\nos.close(2)\n", {}),
    "reads-the-teachers-environment": ({"nb02-neuron-grads": "import os\n    return (x, 1.0, w) if "
                                        "'TEACHER_SECRET' not in os.environ else 0"}, "", {}),
}
SIBLING_ATTACK = """\
import glob, os, shutil
for path in glob.glob("*.ipynb") + glob.glob("../*.ipynb") + glob.glob("../*/*.ipynb"):
    if "alice" not in path:
        open(path, "w").write("{}")
for path in glob.glob("*.ipynb") + glob.glob("../*.ipynb"):
    if "alice" not in path:
        os.remove(path)
shutil.rmtree("../bob", ignore_errors=True)
"""


def _crafted(path, bodies, prefix, atop="nb02-bias-grad"):
    """Notebook 2 with exercise bodies replaced (between the solution markers) and `prefix` atop one exercise cell."""
    notebook = nbformat.read(NOTEBOOKS / NB02, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in bodies:
            head, rest = cell.source.split("### BEGIN SOLUTION\n")
            cell.source = head + bodies[grade_id] + "\n" + rest.split("### END SOLUTION\n")[1]
        if grade_id == atop and prefix:
            cell.source = prefix.rstrip("\n") + "\n" + cell.source
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def _grade(paths, *options, env=None, python=(sys.executable,), cwd=ROOT):
    """{path: {exercise: (status, message)}} from one grader run (`python`: the command that runs Python)."""
    done = subprocess.run([*python, "-m", "tensorgrad.grade", "--json", *options, *map(str, paths)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return {path: {r["id"]: (r["status"], r["message"]) for r in results}
            for path, results in json.loads(done.stdout).items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    paths = {name: _crafted(folder / name / NB02, bodies, prefix, "nb02-neuron-grads" if expected is None else
                            "nb02-bias-grad") for name, (bodies, prefix, expected) in ATTACKS.items()}
    paths["alice"] = _crafted(folder / "class" / "alice.ipynb", WRONG, SIBLING_ATTACK)
    paths["bob"] = _crafted(folder / "class" / "bob.ipynb", {}, "")
    paths["carol"] = _crafted(folder / "bob" / "carol.ipynb", {}, "")
    before = {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in paths.items()}
    env = {**os.environ, "TEACHER_SECRET": "hunter2"}
    results = _grade(paths.values(), "--timeout", str(TIMEOUT), "--budget", str(BUDGET), "--memory", "1.5",
                     "--jobs", "2", env=env)
    after = {name: hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for name, p in paths.items()}
    return {name: results[str(p)] for name, p in paths.items()}, before, after


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_attack_gets_nothing(graded, attack):
    results, expected = graded[0][attack], ATTACKS[attack][2]
    assert set(results) == set(WRONG), results  # graded exercise by exercise: the grader itself did not fail
    assert not any("SyntaxError" in message for _, message in results.values()), results  # the attack did run
    if expected is None:  # a free pass tried with wrong answers: all fail (the checks name the mistake)
        assert {status for status, _ in results.values()} == {"failed"}, results
        assert all(message != "ok" for _, message in results.values()), results
        return
    for grade_id, (status, message) in results.items():  # the attack costs its own exercise, and only that
        if grade_id in expected:
            assert status == "failed" and message.startswith(expected[grade_id]), results
        else:
            assert status == "passed", results


def test_a_submission_cannot_touch_its_siblings(graded):
    results, before, after = graded
    assert {status for status, _ in results["alice"].values()} == {"failed"}
    assert {status for status, _ in results["bob"].values()} == {"passed"}, results["bob"]
    assert {status for status, _ in results["carol"].values()} == {"passed"}, results["carol"]
    assert before == after


def test_a_cell_sleeping_past_the_budget_ends_the_notebook_in_time(tmp_path):
    path = _crafted(tmp_path / NB02, {}, "import time\ntime.sleep(10_000)\n")
    results = _grade([path], "--timeout", "60", "--budget", "12")[str(path)]
    assert results["nb02-bias-grad"] == ("failed", "the exercise was not graded: the notebook used up its 12 s budget")


# ---- notebook 10: the student's own engine, recorded by the grader's recorder -------------------------------

NB10 = "10_write_micrograd_yourself.ipynb"
STUB_VALUE = """\
class Value:  # no engine: every operation gives back a node that claims nothing
    def __init__(self, data=0.0, *args, **kwargs):
        self.data, self.grad, self._prev, self._op, self._backward = 0.0, 0.0, (), "", lambda: None
    __add__ = __mul__ = __radd__ = __rmul__ = lambda self, other: self
    tanh = backward = lambda self: self
"""
NB10_ATTACKS = {  # name -> (code replacing the first exercise cell (the others emptied), or None: solved and
                  #          `code` put after the import cell), the start of every exercise's message
    "rebound-recorder": (STUB_VALUE + """\
from tensorgrad import exercises as _ex
_ex.micrograd_answers = lambda *a, **k: []
exercises.micrograd_answers = lambda *a, **k: []
""", "the recorded graph is not"),
    "recorder-replaced-by-compile": (STUB_VALUE + """\
import builtins
_compile = builtins.compile
def _forging_compile(source, *args, **kwargs):
    if args and args[0] == "<tensorgrad recorder>":  # the grader's recorder, sent with the request
        source = "def answers(*args, **kwargs):\\n    return []\\n"
    return _compile(source, *args, **kwargs)
builtins.compile = _forging_compile
""", "only 0 recordings came back for the 40 expressions drawn"),
    "forged-recordings": (STUB_VALUE + """\
import builtins, json
_dump = json.dump
def _forging_dump(answers, file, *args, **kwargs):  # every answer replaced by one right-looking recording
    node = {"label": "a", "op": "", "data": 1.0, "grad": 0.0, "children": []}
    fake = {"list": [{"dict": {"nodes": {"list": [{"dict": node}]}, "steps": {"list": []}, "final": {"list": [0.0]}}}]}
    return _dump([answers[0], fake], file, *args, **kwargs)
json.dump = _forging_dump
""", "expression 1: the recorded graph is not the expression that was drawn"),
}
SOLVED_VARIANTS = {  # name -> edits of the solved notebook's code cells: all three exercises still pass
    "imported-as-ex": [("from tensorgrad import check_backward, exercises", "from tensorgrad import check_backward, "
                                                                            "exercises as ex"), ("exercises.", "ex.")],
    "exercises-rebound": [("from tensorgrad import check_backward, exercises",
                           "from tensorgrad import check_backward, exercises\nimport tensorgrad\n"
                           "tensorgrad.exercises = exercises = None")],
}


def _nb10(path, first=None, edits=()):
    notebook = nbformat.read(NOTEBOOKS / NB10, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for old, new in edits:
            cell.source = cell.source.replace(old, new)
        if first is not None and "exercise" in cell.metadata.get("tags", []):
            cell.source, first = (first, "pass") if first else ("pass", "")
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def graded_nb10(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nb10")
    paths = {name: _nb10(folder / name / NB10, code) for name, (code, _) in NB10_ATTACKS.items()}
    paths.update({name: _nb10(folder / name / NB10, edits=edits) for name, edits in SOLVED_VARIANTS.items()})
    results = _grade(paths.values(), "--timeout", "20", "--budget", str(BUDGET), "--jobs", "2")
    return {name: results[str(p)] for name, p in paths.items()}


@pytest.mark.parametrize("attack", NB10_ATTACKS)
def test_a_forged_micrograd_recording_fails_every_exercise(graded_nb10, attack):
    results = graded_nb10[attack]
    assert set(results) == {"nb10-add-mul", "nb10-tanh", "nb10-backward"}, results
    for status, message in results.values():
        assert status == "failed" and NB10_ATTACKS[attack][1] in message, results


@pytest.mark.parametrize("variant", SOLVED_VARIANTS)
def test_a_right_engine_passes_however_exercises_was_imported(graded_nb10, variant):
    assert {status for status, _ in graded_nb10[variant].values()} == {"passed"}, graded_nb10[variant]
