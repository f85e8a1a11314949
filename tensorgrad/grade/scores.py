"""Points per exercise, for the gradebooks that want a score (Gradescope, Canvas) rather than passed/failed.

An exercise is worth the nbgrader `points` of its exercise cell in the *teacher's* notebook (1 where
the cell gives none, as today's notebooks do; a submission's own metadata is never trusted) and earns
them all when passed, none otherwise. Its title is the heading of the markdown cell that introduces it
("### Exercise: predict the gradients"), else its grade_id.
"""
import re

from .._deps import require
from ..feedback import PASSED
from .notebook import exercise_id

_HEADING = re.compile(r"^#+\s*(.+?)\s*$", re.MULTILINE)


def exercises_info(path):
    """{grade_id: [title, points]} of the exercise cells in the teacher's notebook at `path`."""
    notebook = require("nbformat", "teacher").read(path, as_version=4)
    info, title = {}, None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            title = (_HEADING.findall(cell.source) or [title])[-1]
        elif exercise_id(cell):
            points = cell.metadata.get("nbgrader", {}).get("points", 1)
            info[exercise_id(cell)] = [title or exercise_id(cell), float(points) if isinstance(points, (int, float)) else 1.0]
    return info


def scored(results, info=None):
    """[(result, title, points earned, points possible)] for each result; `info` as from exercises_info."""
    info = info or {}
    rows = []
    for result in results:
        title, points = info.get(result["id"], (result["id"], 1.0))
        rows.append((result, title, points if result["status"] == PASSED else 0.0, points))
    return rows
