"""make student: the student notebooks hold no line of any answer, no output, and run with only exercises raising."""
import json
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEACHER = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """make student from a clean clone (committed files only): student/ appears there and git ignores it."""
    clone = tmp_path_factory.mktemp("clone") / "tensorgrad"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run([sys.executable, "scripts/make_student.py"], cwd=clone, check=True, capture_output=True)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == "", status.stdout
    return clone / "student"


def _strings(node):
    """Every string anywhere in a notebook: sources, outputs, metadata."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _exercise_cells(notebook):
    return [c for c in notebook["cells"] if "exercise" in c["metadata"].get("tags", [])]


def test_every_exercise_has_markers_an_id_and_a_hint():
    ids = []
    for path in TEACHER:
        for cell in _exercise_cells(json.loads(path.read_text())):
            source = "".join(cell["source"])
            assert SOLUTION.search(source), f"{path.name}: exercise cell without solution markers"
            ids.append(cell["metadata"]["nbgrader"]["grade_id"])
            assert cell["metadata"]["nbgrader"]["solution"] and cell["metadata"]["tensorgrad"]["hint"]
    assert len(ids) == len(set(ids)) >= 15, ids


@pytest.mark.parametrize("path", TEACHER, ids=[p.name for p in TEACHER])
def test_no_solution_line_leaks(student, path):
    teacher = json.loads(path.read_text())
    text = "\n".join(_strings(json.loads((student / path.name).read_text())))
    lines = {line.strip() for cell in _exercise_cells(teacher)
             for block in SOLUTION.findall("".join(cell["source"])) for line in block.splitlines()}
    leaked = [line for line in lines if line and line in text]
    assert not leaked, f"{path.name}: {leaked}"


@pytest.mark.parametrize("path", TEACHER, ids=[p.name for p in TEACHER])
def test_student_version_is_clean_and_stubbed(student, path):
    notebook = json.loads((student / path.name).read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    for cell in _exercise_cells(notebook):
        source = "".join(cell["source"])
        assert re.search(r"raise NotImplementedError\(['\"]exercise: ", source) and "SOLUTION" not in source, source


@pytest.mark.parametrize("path", TEACHER, ids=[p.name for p in TEACHER])
def test_student_notebook_runs_and_only_exercises_raise(student, path):
    notebook = nbformat.read(student / path.name, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(student)}}).execute()
    for cell in notebook.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if "exercise" in cell.metadata.get("tags", []):
            assert all(e.ename == "NotImplementedError" for e in errors), errors
        else:
            assert not errors, f"{path.name}: a non-exercise cell raised {errors[0].ename}: {cell.source[:80]}"
        if "check" in cell.metadata.get("tags", []):
            shown = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            assert shown.startswith("… not attempted yet"), shown
