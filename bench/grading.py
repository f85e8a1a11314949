"""grading: a class of 100 copies of notebook 2 graded by `python -m tensorgrad.grade --jobs 2`, end to end.

What a teacher waits for: every copy runs in a kernel of its own (sandboxed copy of its folder,
limits, a fresh kernel each), and the grader asks each for its answers to 40 fresh cases per exercise
and judges them in its own process. Timed once, whole (a class is not run twice in a row); every copy
must pass, or the time does not count.
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from .harness import Section

COPIES, QUICK_COPIES, JOBS = 100, 4, 2
NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "02_tracing_the_graph.ipynb"


def run(quick=False):
    copies = QUICK_COPIES if quick else COPIES
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for k in range(copies):
            path = pathlib.Path(folder, "submitted", f"student{k:03}", "ps2", NOTEBOOK.name)
            path.parent.mkdir(parents=True)
            paths.append(str(shutil.copy(NOTEBOOK, path)))
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "tensorgrad.grade", "--json", "--jobs", str(JOBS), *paths],
                              capture_output=True, text=True, cwd=NOTEBOOK.parent.parent, check=True)
        seconds = time.perf_counter() - began
    statuses = [r["status"] for results in json.loads(done.stdout).values() for r in results]
    section = Section(f"grading: {copies} copies of notebook 2, --jobs {JOBS} (the whole class, once)",
                      ["what", "seconds", "per notebook"])
    section.rows.append([f"python -m tensorgrad.grade --jobs {JOBS}, {copies} notebooks", f"{seconds:.0f}",
                         f"{seconds / copies:.1f} s"])
    right = statuses == ["passed"] * (2 * copies)
    section.notes.append(f"grading: {statuses.count('passed')}/{len(statuses)} exercises passed"
                         + ("" if right else ": MISMATCH, every copy is a solved notebook"))
    return section
