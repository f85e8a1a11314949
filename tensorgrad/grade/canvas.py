"""Canvas: recognise the files of a bulk download of submissions, and write the gradebook import CSV.

Canvas names each downloaded file `{sortablename}[_LATE]_{user_id}_{attachment_id}_{filename}` (the
sortable name lowercased with its punctuation dropped, e.g. `doejane`; parsed here up to the first
`_digits_digits_`, so a name holding an underscore or digits is still read right). The import CSV
starts with the five columns Canvas matches students by (`Student, ID, SIS User ID, SIS Login ID,
Section`), then one column per assignment titled `Name (assignment_id)`; Canvas would read any other
column as a new assignment, so lateness and the user ID are kept in the grader's own results (--out).

`--canvas gradebook.csv --assignment "Homework 2 (4567)"` reads the gradebook the teacher exported
from Canvas (before grading: a missing column or a file Canvas did not name stops the run at once),
then rewrites that file as the import CSV: the five columns and the assignment's, one row per Canvas
user ID in the export, with the points of each student who submitted (a passed exercise, one point)
and the export's own value, so nothing changes, for everyone else.
"""
import csv
import pathlib
import re

from .sheets import write_csv

STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
_NAME = re.compile(r"(?P<sortable_name>.+?)(?P<late>_LATE)?_(?P<user_id>\d+)_(?P<attachment_id>\d+)_(?P<filename>.+)")


def submitter(path):
    """{sortable_name, late, user_id, attachment_id, filename} if `path` is named as Canvas names it, else None."""
    found = _NAME.fullmatch(pathlib.Path(path).name)
    return {**found.groupdict(), "late": bool(found["late"])} if found else None


def noted(path):
    """{"canvas": submitter(path)} for a Canvas-named file, else {}: what --out records beside its results."""
    who = submitter(path)
    return {"canvas": who} if who else {}


def read_gradebook(path, assignment):
    """{Canvas user ID: row} of the teacher's exported gradebook; ValueError naming what is missing."""
    path = pathlib.Path(path)
    with open(path, newline="", encoding="utf-8-sig") as file:  # Canvas's export may start with a BOM
        reader = csv.DictReader(file)
        header, rows = reader.fieldnames or [], list(reader)
    lacking = [c for c in STUDENT_COLUMNS if c not in header]
    if lacking:
        raise ValueError(f"{path} is not a gradebook exported from Canvas: it has no column {', '.join(lacking)}")
    if assignment not in header:
        known = [c for c in header if re.search(r"\(\d+\)$", c)]
        rewritten = len(header) == len(STUDENT_COLUMNS) + 1  # an import CSV an earlier --canvas run wrote
        raise ValueError(f"{path} has no column {assignment!r} (its assignments: {', '.join(known) or 'none'}); "
                         + ("this file is the import an earlier --canvas run wrote: export the gradebook again"
                            if rewritten else "give --assignment as Canvas titles the column, e.g. \"Homework 2 (4567)\""))
    return {r["ID"].strip(): r for r in rows if (r["ID"] or "").strip().isdigit()}  # not the "Points Possible" row


def check_submissions(paths, gradebook, where):
    """ValueError naming every file not named as Canvas names downloads, or whose user ID `where` lacks."""
    foreign = [str(p) for p in paths if submitter(p) is None]
    if foreign:
        raise ValueError("not named as Canvas names its downloads ({sortablename}[_LATE]_{user_id}_{attachment_id}_"
                         f"{{filename}}): {', '.join(foreign)}")
    strangers = [str(p) for p in paths if submitter(p)["user_id"] not in gradebook]
    if strangers:
        raise ValueError(f"no student of {where} has the user ID these files carry: {', '.join(strangers)}")


def newest(graded):
    """{user ID: (path, results)}: a student's notebook with the highest attachment ID (their latest upload)."""
    chosen = {}
    for notebook, results in graded.items():
        who = submitter(notebook)
        held = chosen.get(who["user_id"])
        if held is None or int(who["attachment_id"]) > int(submitter(held[0])["attachment_id"]):
            chosen[who["user_id"]] = notebook, results
    return chosen


def write_import(path, assignment, gradebook, points):
    """Write Canvas's import CSV to `path`: a row per user ID of `gradebook`, points from {user ID: points}."""
    rows = [[*(row[c] or "" for c in STUDENT_COLUMNS), f"{points[user]:g}" if user in points else row[assignment] or ""]
            for user, row in gradebook.items()]
    write_csv(path, [*STUDENT_COLUMNS, assignment], rows)
