"""The Gradescope autograder zip: `make autograder NOTEBOOK=02_tracing_the_graph` -> autograder/02_tracing_the_graph.zip.

Gradescope has no access to this repository, so the zip carries the package's source (installed by
setup.sh with its teacher extra, in a virtual environment, on Gradescope's Ubuntu 22.04 image), the
titles and nbgrader points of the teacher notebook's exercises (assignment.json: no solution leaves
with it), and `run_autograder`, which grades each submission (gradescope.py).
"""
import json
import pathlib
import stat
import zipfile

from .gradescope import ASSIGNMENT
from .scores import exercises_info

PACKAGE = "tensorgrad-classroom"  # the folder in the zip that holds the package's source
VENV = "/opt/tensorgrad"
SETUP = f"""\
#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu 22.04 image: Python 3.10 (with venv), Graphviz for the
# notebooks' drawings, bubblewrap for the grader's sandbox, and this package with its teacher extra
# in a virtual environment, installed from the source carried in this zip.
set -euo pipefail
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv graphviz bubblewrap
python3 -m venv {VENV}
{VENV}/bin/pip install --upgrade pip
{VENV}/bin/pip install "$here/{PACKAGE}[teacher]"
"""
RUN = f"""\
#!/usr/bin/env bash
# Gradescope runs this for every submission; the grader writes /autograder/results/results.json.
# An argument stands for /autograder (to try the autograder on a folder laid out the same way).
set -euo pipefail
export PATH="{VENV}/bin:$PATH"
exec python -m tensorgrad.grade --gradescope "${{1:-/autograder}}"
"""


def _package_files(checkout):
    """What `pip install` needs from the checkout: pyproject.toml, README, LICENSE, the package (no caches)."""
    files = [checkout / name for name in ("pyproject.toml", "README.md", "LICENSE")]
    files += [p for p in sorted((checkout / "tensorgrad").rglob("*"))
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


def _add(archive, name, data, executable=False):
    entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # a fixed date: the same zip for the same files
    entry.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, data)


def build_autograder(notebook, checkout, out):
    """Write the autograder zip for the teacher's `notebook`: setup.sh, run_autograder, assignment.json, the package."""
    notebook, checkout, out = pathlib.Path(notebook), pathlib.Path(checkout), pathlib.Path(out)
    exercises = exercises_info(notebook)
    if not exercises:
        raise ValueError(f"{notebook} has no exercise cells (tagged `exercise`) to grade")
    if 'name = "tensorgrad-classroom"' not in (checkout / "pyproject.toml").read_text(encoding="utf-8"):
        raise ValueError(f"{checkout} is not a checkout of tensorgrad-classroom (its pyproject.toml names another project)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP, executable=True)
        _add(archive, "run_autograder", RUN, executable=True)
        _add(archive, ASSIGNMENT, json.dumps({"notebook": notebook.name, "exercises": exercises}, indent=1,
                                             ensure_ascii=False))
        for path in _package_files(checkout):
            _add(archive, f"{PACKAGE}/{path.relative_to(checkout).as_posix()}", path.read_bytes())
    return out


def main(argv=None):
    """`python -m tensorgrad.grade.autograder NOTEBOOK OUT.zip` (what `make autograder` runs)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m tensorgrad.grade.autograder",
                                     description="Build the Gradescope autograder zip for a teacher's notebook.")
    parser.add_argument("notebook", type=pathlib.Path, help="the teacher's notebook, e.g. notebooks/02_tracing_the_graph.ipynb")
    parser.add_argument("out", type=pathlib.Path, help="the zip to write, e.g. autograder/02_tracing_the_graph.zip")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"no such notebook: {args.notebook}")
    try:
        print(build_autograder(args.notebook, pathlib.Path(__file__).resolve().parents[2], args.out))
    except (OSError, ValueError) as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
