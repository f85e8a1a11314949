"""Points per exercise, for the gradebooks that want a score (Gradescope, Canvas) rather than passed/failed.

An exercise is worth the nbgrader `points` of its exercise cell in the *teacher's* notebook (1 where
the cell gives none, as today's notebooks do; a submission's own metadata is never trusted) and earns
them all when passed, none otherwise. Its title is the last heading above it ("Exercise: predict the
gradients"), else its grade_id.
"""
import re

from .._deps import require
from ..feedback import PASSED
from .notebook import exercise_id

_HEADING = re.compile(r"^#+\s*(.+?)\s*$", re.MULTILINE)


def exercises_info(path):
    """[{"id", "title", "points"}] of the exercise cells in the teacher's notebook at `path`, in order."""
    notebook = require("nbformat", "teacher").read(path, as_version=4)
    info, title = [], None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            title = (_HEADING.findall(cell.source) or [title])[-1]
        elif exercise_id(cell):
            points = cell.metadata.get("nbgrader", {}).get("points", 1)
            points = float(points) if isinstance(points, (int, float)) and not isinstance(points, bool) else 1.0
            info.append({"id": exercise_id(cell), "title": title or exercise_id(cell), "points": points})
    return info


def earned(results):
    """Points a submission earned, one per exercise passed (a class graded without a teacher's notebook)."""
    return float(sum(r["status"] == PASSED for r in results if r["id"] != "notebook"))
