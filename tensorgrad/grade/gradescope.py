"""Gradescope: grade `ROOT/submission/` into `ROOT/results/results.json` (`--gradescope ROOT`).

Gradescope unpacks the autograder zip (autograder.py) into /autograder/source, runs its `setup.sh`
once, then `run_autograder` per submission, which calls `python -m tensorgrad.grade --gradescope /autograder`.
Each exercise of the teacher's notebook is one test: its title and nbgrader points (source/assignment.json,
written into the zip, so the submission's own metadata is never trusted), passed or failed, and the
grader's feedback, which names the mistake and never holds an expected number, so it is shown to the
student at once. A notebook that could not run at all gets a top-level `output` saying why.
"""
import json
import pathlib

from ..feedback import NOT_ATTEMPTED, PASSED

ASSIGNMENT = "assignment.json"  # in the zip (so in ROOT/source): the teacher notebook's name and exercises


def _chosen(graded):
    """{exercise id: result} over the submission's notebooks (the first attempted one wins), and what broke."""
    chosen, broken = {}, []
    for notebook, results in graded.items():
        for result in results:
            if result["id"] == "notebook":  # could not be graded at all: said at the top
                broken.append(f"{pathlib.Path(notebook).name} {result['message']}")
            elif result["id"] not in chosen or chosen[result["id"]]["status"] == NOT_ATTEMPTED:
                chosen[result["id"]] = result
    return chosen, broken


def results_json(graded, assignment):
    """Gradescope's {score, tests[, output]} for {notebook: results}; a test per exercise of `assignment`."""
    chosen, broken = _chosen(graded)
    missing = "not graded: the notebook could not be run" if broken else "the exercise cell is not in the submission"
    if not graded:
        broken.append(f"no notebook (.ipynb) was found in the submission: upload {assignment['notebook']}")
    elif not broken and not set(chosen) & {e["id"] for e in assignment["exercises"]}:
        broken.append(f"the submission holds none of this assignment's exercises: upload {assignment['notebook']}")
    tests = []
    for exercise in assignment["exercises"]:
        result = chosen.get(exercise["id"], {"status": "failed", "message": missing})
        passed = result["status"] == PASSED
        tests.append({"name": exercise["title"], "score": exercise["points"] if passed else 0.0,
                      "max_score": exercise["points"], "status": "passed" if passed else "failed",
                      "output": result["message"], "visibility": "visible"})
    out = {"score": sum(t["score"] for t in tests), "tests": tests}
    if broken:
        out["output"] = "\n".join(broken)
    return out


def grade_submission(root, grade):
    """Grade every notebook in ROOT/submission with `grade(paths)` -> {path: results}; write the results file."""
    root = pathlib.Path(root)
    source = root / "source" / ASSIGNMENT
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: the autograder zip carries it "
                                f"(make autograder NOTEBOOK=...), with the teacher's exercise titles and points")
    assignment = json.loads(source.read_text(encoding="utf-8"))
    paths = sorted(p for p in (root / "submission").rglob("*.ipynb")
                   if not any(part.startswith((".", "__MACOSX")) for part in p.relative_to(root).parts))
    results = results_json(grade(paths) if paths else {}, assignment)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return results


