"""Grade submitted notebooks: `python -m tensorgrad.grade NOTEBOOK... [--json] [--timeout S] [--jobs N] ...`.

Verdicts are made in the grader's own process: each notebook runs in a kernel of its own (a fresh
temporary copy of its folder, a clean environment, hard limits on time, memory, processes and
output), the kernel is asked only for the student's answers to inputs drawn from a fresh seed, as
plain data, and the grader computes the expected values and the verdict with its own tensorgrad.
Nothing a student's code prints, patches or registers can change a verdict. Offline: it needs only
the local Jupyter kernel. Exit status 0 once everything is graded.

Modules: notebook.py grades one notebook; hidden.py holds the hidden tests (HIDDEN, one entry per
exercise, and how to add one); answers.py is the only grader code run in the kernel; kernel.py and
sandbox.py the kernel's folder, environment and limits; classroom.py a class at a time (--jobs,
--out, --csv); gradescope.py and autograder.py Gradescope's results and zip; canvas.py Canvas's
import CSV; sheets.py the CSV writer (formulas escaped).
"""
from .hidden import CASES, HIDDEN, ROUNDS
from .notebook import BUDGET, exercises_of, grade_notebook
from .classroom import main, table

__all__ = ["BUDGET", "CASES", "HIDDEN", "ROUNDS", "exercises_of", "grade_notebook", "main", "table"]
