"""Gradescope: grade `ROOT/submission/` into `ROOT/results/results.json`, and build the autograder zip.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once on its Ubuntu 22.04 image,
then `run_autograder` per submission, which calls `python -m tensorgrad.grade --gradescope /autograder`.
Each exercise is one test: its title, the points of the teacher's notebook (source/exercises.json,
written with the zip), passed or failed, and the grader's feedback, which names the mistake and never
holds an expected number, so it is shown to the student at once. A notebook that could not run at all
gets a top-level `output` saying why.
"""
import json
import pathlib
import stat
import subprocess
import zipfile

from ..feedback import PASSED
from .scores import exercises_info, scored

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu 22.04 image: Python 3.10 and this package with its
# teacher extra (nbgrader, Jupyter's kernel), installed from the source carried in this zip.
set -euo pipefail
apt-get update
apt-get install -y python3 python3-pip
python3 -m pip install --upgrade pip
python3 -m pip install '/autograder/source/tensorgrad-classroom[teacher]'
"""
RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; the grader writes /autograder/results/results.json.
exec python3 -m tensorgrad.grade --gradescope /autograder
"""
PACKAGE = ["pyproject.toml", "README.md", "LICENSE", "tensorgrad"]  # what `pip install` needs from the checkout


def results_json(graded, info):
    """Gradescope's results: {score, tests[, output]} for {notebook: results}."""
    tests, broken = [], []
    for notebook, results in graded.items():
        for result, title, earned, possible in scored(results, info):
            if result["id"] == "notebook":  # could not be graded at all: said at the top, not as a test
                broken.append(f"{pathlib.Path(notebook).name} {result['message']}")
                continue
            tests.append({"name": title, "score": earned, "max_score": possible,
                          "status": "passed" if result["status"] == PASSED else "failed",
                          "output": result["message"], "visibility": "visible"})
    if not graded:
        broken.append("no notebook (.ipynb) was found in the submission")
    out = {"score": sum(t["score"] for t in tests), "tests": tests}
    if broken:
        out["output"] = "\n".join(broken)
    return out


def grade_submission(root, grade):
    """Grade every notebook in ROOT/submission with `grade(paths)` -> {path: results}; write the results file."""
    root = pathlib.Path(root)
    paths = sorted(p for p in (root / "submission").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    info_file = root / "source" / "exercises.json"
    info = json.loads(info_file.read_text()) if info_file.is_file() else {}
    results = results_json(grade(paths) if paths else {}, info)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return results


def _package_files(checkout):
    """The checkout's files `pip install` needs: tracked by git where it is a clone, else all but caches."""
    try:
        listed = subprocess.run(["git", "-C", str(checkout), "ls-files", "-z", *PACKAGE], capture_output=True,
                                check=True, text=True).stdout.split("\0")
        return [checkout / name for name in listed if name and (checkout / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [p for name in PACKAGE for p in ([checkout / name] if (checkout / name).is_file()
                                                 else (checkout / name).rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts]


def _add(archive, name, text, executable=False):
    entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    entry.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, text)


def build_autograder(notebook, checkout, out):
    """Write the autograder zip for the teacher's `notebook`: setup.sh, run_autograder, exercises.json, the package."""
    checkout, out = pathlib.Path(checkout), pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP, executable=True)
        _add(archive, "run_autograder", RUN, executable=True)
        _add(archive, "exercises.json", json.dumps(exercises_info(notebook), indent=1, ensure_ascii=False))
        for path in _package_files(checkout):
            _add(archive, f"tensorgrad-classroom/{path.relative_to(checkout).as_posix()}", path.read_bytes())
    return out


def main(argv=None):
    """`python -m tensorgrad.grade.gradescope NOTEBOOK OUT.zip`: `make autograder` calls this."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m tensorgrad.grade.gradescope", description=main.__doc__)
    parser.add_argument("notebook", type=pathlib.Path, help="the teacher's notebook, e.g. notebooks/02_tracing_the_graph.ipynb")
    parser.add_argument("out", type=pathlib.Path, help="the zip to write")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"no such notebook: {args.notebook}")
    if not exercises_info(args.notebook):
        parser.error(f"{args.notebook} has no exercise cells to grade")
    print(build_autograder(args.notebook, pathlib.Path(__file__).resolve().parents[2], args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
