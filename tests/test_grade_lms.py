"""Grades where teachers keep them: Gradescope's autograder zip and results.json, Canvas's import CSV, escaped CSV cells.

Grading runs kernels, so the notebooks are made once per module and each grading run is shared by the
checks that read it.
"""
import csv
import json
import os
import pathlib
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from tensorgrad.grade import canvas
from tensorgrad.grade.gradescope import results_json
from tensorgrad.grade.scores import exercises_info
from tensorgrad.grade.sheets import write_csv

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = "02_tracing_the_graph"
TEACHER = ROOT / "notebooks" / f"{NOTEBOOK}.ipynb"
SWAPPED = ("nb02-neuron-grads", "return x, 1.0, w", "return w, 1.0, x")  # dy/dw and dy/dx swapped
TITLES = ["Exercise: predict the gradients", "Exercise: gradients of the bias, with numpy"]


def _grader(*args, check=True):
    done = subprocess.run([sys.executable, "-m", "tensorgrad.grade", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)
    assert not check or done.returncode == 0, done.stderr
    return done


def _notebook(path, edits=()):
    notebook = nbformat.read(TEACHER, as_version=4)
    for grade_id, old, new in edits:
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert old in cell.source
        cell.source = cell.source.replace(old, new)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    out = tmp_path_factory.mktemp("zip") / f"{NOTEBOOK}.zip"
    subprocess.run([sys.executable, "-m", "tensorgrad.grade.autograder", TEACHER, out], cwd=ROOT, check=True,
                   capture_output=True)
    return out


def _gradescope_root(base, autograder, submitted):
    """A folder laid out as Gradescope's /autograder: the zip unpacked (modes kept, as unzip does) in source/."""
    (base / "submission").mkdir(parents=True)
    with zipfile.ZipFile(autograder) as archive:
        for entry in archive.infolist():
            archive.extract(entry, base / "source")
            os.chmod(base / "source" / entry.filename, entry.external_attr >> 16 & 0o777)
    for name, path in submitted.items():
        (base / "submission" / name).write_bytes(path.read_bytes())
    return base


def test_the_autograder_zip_holds_setup_run_autograder_and_the_package(autograder):
    with zipfile.ZipFile(autograder) as archive:
        members = {e.filename: e for e in archive.infolist()}
        text = {name: archive.read(name).decode() for name in ("setup.sh", "run_autograder", "assignment.json")}
    assert {"setup.sh", "run_autograder", "assignment.json", "tensorgrad-classroom/pyproject.toml",
            "tensorgrad-classroom/README.md", "tensorgrad-classroom/LICENSE",
            "tensorgrad-classroom/tensorgrad/grade/answers.py", "tensorgrad-classroom/tensorgrad/grade/sandbox.py",
            "tensorgrad-classroom/tensorgrad/data/digits.npz",
            "tensorgrad-classroom/tensorgrad/widgets/static/viz.js"} <= set(members)
    assert not [m for m in members if "__pycache__" in m or m.endswith((".pyc", ".ipynb"))]  # no notebook: no solution
    for script in ("setup.sh", "run_autograder"):
        assert members[script].external_attr >> 16 & 0o111 == 0o111 and text[script].startswith("#!/usr/bin/env bash")
    assert 'exec python -m tensorgrad.grade --gradescope "${1:-/autograder}"' in text["run_autograder"]
    assert re.search(r"pip install \"\$here/tensorgrad-classroom\[teacher\]\"", text["setup.sh"])
    assert not re.search(r"pip install\s+(-\S+\s+)*['\"]?tensorgrad\b(?![-\w])", text["setup.sh"])
    assert json.loads(text["assignment.json"]) == {"notebook": f"{NOTEBOOK}.ipynb", "exercises": [
        {"id": "nb02-neuron-grads", "title": TITLES[0], "points": 1.0},
        {"id": "nb02-bias-grad", "title": TITLES[1], "points": 1.0}]}
    dry = subprocess.run(["make", "-n", "autograder", f"NOTEBOOK={NOTEBOOK}"], cwd=ROOT, capture_output=True, text=True)
    assert (f"-m tensorgrad.grade.autograder notebooks/{NOTEBOOK}.ipynb autograder/{NOTEBOOK}.zip"
            in dry.stdout), dry.stdout + dry.stderr


def test_exercise_points_come_from_the_teachers_nbgrader_metadata(tmp_path):
    notebook = nbformat.read(TEACHER, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "nb02-bias-grad")
    cell.metadata["nbgrader"]["points"] = 3
    nbformat.write(notebook, tmp_path / "t.ipynb")
    assert [(e["title"], e["points"]) for e in exercises_info(tmp_path / "t.ipynb")] == [(TITLES[0], 1.0),
                                                                                       (TITLES[1], 3.0)]


def test_run_autograder_gives_a_solved_notebook_full_marks(tmp_path, autograder):
    root = _gradescope_root(tmp_path, autograder, {f"{NOTEBOOK}.ipynb": TEACHER})
    env = {**os.environ, "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([root / "source" / "run_autograder", root], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 2.0 and "output" not in results
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["visibility"]) for t in results["tests"]] == [
        (TITLES[0], 1.0, 1.0, "passed", "visible"), (TITLES[1], 1.0, 1.0, "passed", "visible")]


def test_gradescope_names_the_mistake_of_a_wrong_notebook_and_no_expected_number(tmp_path, autograder):
    wrong = _notebook(tmp_path / "wrong.ipynb", [SWAPPED])
    root = _gradescope_root(tmp_path / "gs", autograder, {"my_homework.ipynb": wrong})
    printed = json.loads(_grader("--gradescope", root, "--json", "--jobs", "1").stdout)
    results = json.loads((root / "results" / "results.json").read_text())
    assert printed == results and results["score"] == 1.0 and "output" not in results
    failed, passed = results["tests"]
    assert (failed["name"], failed["score"], failed["max_score"], failed["status"]) == (TITLES[0], 0.0, 1.0, "failed")
    assert "the derivative with respect to one factor of a product is the *other* factor" in failed["output"]
    assert not re.search(r"\d\.\d|\d[eE]-?\d", failed["output"]), failed["output"]  # no number of an answer
    assert passed["status"] == "passed"


def test_gradescope_says_at_the_top_why_a_notebook_could_not_run(tmp_path, autograder):
    root = _gradescope_root(tmp_path, autograder, {})
    (root / "submission" / "broken.ipynb").write_text("{ not a notebook")
    results = json.loads(_grader("--gradescope", root, "--json").stdout)
    assert results["output"].startswith("broken.ipynb could not be graded: ")
    assert results["score"] == 0.0 and [(t["status"], t["max_score"]) for t in results["tests"]] == [("failed", 1.0)] * 2
    assert all(t["output"] == "not graded: the notebook could not be run" for t in results["tests"])


def test_gradescope_results_for_an_empty_or_foreign_submission_say_which_notebook_to_upload():
    assignment = {"notebook": "02.ipynb", "exercises": [{"id": "nb02-a", "title": "A", "points": 2.0}]}
    empty = results_json({}, assignment)
    assert empty["output"] == "no notebook (.ipynb) was found in the submission: upload 02.ipynb"
    foreign = results_json({"x.ipynb": [{"id": "nb04-b", "status": "passed", "message": "fine"}]}, assignment)
    assert foreign["output"] == "the submission holds none of this assignment's exercises: upload 02.ipynb"
    assert foreign["score"] == 0.0 and foreign["tests"] == [
        {"name": "A", "score": 0.0, "max_score": 2.0, "status": "failed",
         "output": "the exercise cell is not in the submission", "visibility": "visible"}]
    two = results_json({"a.ipynb": [{"id": "nb02-a", "status": "not attempted", "message": "not attempted: x"}],
                        "b.ipynb": [{"id": "nb02-a", "status": "passed", "message": "right"}]}, assignment)
    assert (two["score"], two["tests"][0]["output"]) == (2.0, "right")  # an untouched copy beside the work


@pytest.mark.parametrize("name, expected", [
    ("doejane_101_9001_hw.ipynb", ("doejane", False, "101", "9001", "hw.ipynb")),
    ("doejane_LATE_101_9001_02_tracing_the_graph-1.ipynb",
     ("doejane", True, "101", "9001", "02_tracing_the_graph-1.ipynb")),
    ("o_brien_mary2_103_9003_hw_2_4.ipynb", ("o_brien_mary2", False, "103", "9003", "hw_2_4.ipynb")),
    ("hw.ipynb", None), ("doejane_101_hw.ipynb", None), ("doejane_LATE_x_9001_hw.ipynb", None),
])
def test_canvas_download_names_are_read_up_to_the_first_user_and_attachment_ids(name, expected):
    who = canvas.submitter(pathlib.Path("downloads") / name)
    keys = ("sortable_name", "late", "user_id", "attachment_id", "filename")
    assert (tuple(who[k] for k in keys) if who else None) == expected


EXPORT = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Homework 1 (4566),Homework 2 (4567),Current Score
    Points Possible,,,,,10,2,
"Doe, Jane",101,S101,jdoe,Section A,9,,90
"Smith, John",102,S102,jsmith,Section A,8,,80
"=HYPERLINK(""http://x"",""y"")",104,S104,evil,Section B,7,,70
"Lee, Ann",105,S105,alee,Section B,10,1.5,100
"""


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("canvas")
    wrong = [SWAPPED]
    paths = [_notebook(base / "downloads" / "doejane_101_9001_02_tracing_the_graph.ipynb", wrong),
             _notebook(base / "downloads" / "doejane_101_9007_02_tracing_the_graph-1.ipynb"),  # her resubmission
             _notebook(base / "downloads" / "smithjohn_LATE_102_9002_02_tracing_the_graph.ipynb", wrong),
             _notebook(base / "downloads" / "=2+5_104_9005_hw.ipynb")]
    (base / "gradebook.csv").write_text(EXPORT, encoding="utf-8")
    done = _grader("--canvas", base / "gradebook.csv", "--assignment", "Homework 2 (4567)", "--out",
                   base / "results.jsonl", "--csv", base / "local.csv", "--jobs", "2", "--json", *paths)
    return base, paths, done


def test_canvas_import_csv_has_the_five_columns_and_the_assignments_points_per_user_id(canvas_class):
    base, _, done = canvas_class
    rows = list(csv.reader((base / "gradebook.csv").open(encoding="utf-8")))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 2 (4567)"],
        ["Doe, Jane", "101", "S101", "jdoe", "Section A", "2"],  # her newest upload (attachment 9007)
        ["Smith, John", "102", "S102", "jsmith", "Section A", "1"],
        ["'=HYPERLINK(\"http://x\",\"y\")", "104", "S104", "evil", "Section B", "2"],
        ["Lee, Ann", "105", "S105", "alee", "Section B", "1.5"],  # no submission: the export's value, unchanged
    ]
    assert "Canvas's import CSV, 3 of 4 students graded" in done.stderr


def test_canvas_lateness_and_user_id_go_into_the_graders_own_results(canvas_class):
    base, paths, done = canvas_class
    records = {pathlib.Path(r["path"]).name: r for r in map(json.loads, (base / "results.jsonl").read_text().splitlines())}
    late = records["smithjohn_LATE_102_9002_02_tracing_the_graph.ipynb"]["canvas"]
    assert (late["sortable_name"], late["late"], late["user_id"], late["attachment_id"]) == ("smithjohn", True, "102",
                                                                                             "9002")
    assert records["doejane_101_9007_02_tracing_the_graph-1.ipynb"]["canvas"]["late"] is False
    assert set(json.loads(done.stdout)) == {str(p) for p in paths}  # --json prints what it always printed


def test_every_csv_the_grader_writes_escapes_cells_that_would_start_a_formula(canvas_class, tmp_path):
    base, _, _ = canvas_class
    students = [row["student"] for row in csv.DictReader((base / "local.csv").open(encoding="utf-8"))]
    assert "'=2+5_104_9005_hw" in students
    write_csv(tmp_path / "x.csv", ["h"], [["=1+2", "+x", "-x", "@x", "\tx", "\rx", "a=b", -1, 2.5]])
    assert list(csv.reader((tmp_path / "x.csv").open(newline="", encoding="utf-8"))) == [
        ["h"], ["'=1+2", "'+x", "'-x", "'@x", "'\tx", "'\rx", "a=b", "-1", "2.5"]]


@pytest.mark.parametrize("assignment, files, message", [
    ("Homework 3 (4568)", ["doejane_101_9001_hw.ipynb"],
     "has no column 'Homework 3 (4568)' (its assignments: Homework 1 (4566), Homework 2 (4567))"),
    ("Homework 2 (4567)", ["doejane_101_9001_hw.ipynb", "jane.ipynb"],
     "not named as Canvas names its downloads ({sortablename}[_LATE]_{user_id}_{attachment_id}_{filename}): "),
    ("Homework 2 (4567)", ["nobody_999_9001_hw.ipynb"], "no student of "),
])
def test_canvas_mistakes_stop_the_run_before_grading_and_name_the_file_or_column(tmp_path, assignment, files, message):
    (tmp_path / "gradebook.csv").write_text(EXPORT, encoding="utf-8")
    for name in files:
        (tmp_path / name).write_text("{}")
    done = _grader("--canvas", tmp_path / "gradebook.csv", "--assignment", assignment, *(tmp_path / f for f in files),
                   check=False)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert files[-1] in done.stderr or "column" in message
    assert (tmp_path / "gradebook.csv").read_text(encoding="utf-8") == EXPORT  # the export is left as it was
