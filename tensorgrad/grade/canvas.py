"""Canvas: recognise the files of a bulk download of submissions, and write the gradebook import CSV.

Canvas names each downloaded file `{sortablename}[_LATE]_{user_id}_{attachment_id}_{filename}`. The
import CSV starts with the five columns Canvas matches students by (`Student, ID, SIS User ID, SIS
Login ID, Section`), then one column per assignment titled `Name (assignment_id)`; any other column
would be read as a new assignment, so lateness is kept in the grader's own results (--out), not here.

`--canvas FILE` reads FILE first when it exists and is the gradebook the teacher exported from Canvas
(its five columns are the students' own, SIS IDs and sections included), then writes the import CSV
to FILE: the five columns and the assignment's, one row per Canvas user ID that submitted. Without an
export, the five columns come from the file names (the sortable name and the user ID).
"""
import csv
import pathlib
import re

from .scores import scored
from .sheets import write_csv

STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
_NAME = re.compile(r"(?P<sortable_name>[^_]+?)(?P<late>_LATE)?_(?P<user_id>\d+)_(?P<attachment_id>\d+)_(?P<filename>.+)")


def submitter(path):
    """{sortable_name, late, user_id, attachment_id, filename} if `path` is named as Canvas names it, else None."""
    found = _NAME.fullmatch(pathlib.Path(path).name)
    if not found:
        return None
    return {**found.groupdict(), "late": bool(found["late"])}


def _exported(path):
    """{Canvas user ID: the five student columns} from the teacher's exported gradebook, {} if there is none."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    if not rows or any(c not in rows[0] for c in STUDENT_COLUMNS):
        raise ValueError(f"{path} exists but is not a Canvas gradebook export: its header lacks "
                         f"{', '.join(c for c in STUDENT_COLUMNS if not rows or c not in rows[0])}")
    return {r["ID"].strip(): [r[c] for c in STUDENT_COLUMNS] for r in rows if r["ID"].strip().isdigit()}


def write_import(path, assignment, graded):
    """Write the import CSV for `assignment` ("Homework 2 (4567)") from {notebook path: results}.

    A student with several notebooks (a resubmission) is given the newest one's points (the highest
    attachment ID); a notebook not named as Canvas names it is skipped (returned, to be reported).
    """
    path = pathlib.Path(path)
    students, newest, skipped = _exported(path), {}, []
    for notebook, results in graded.items():
        who = submitter(notebook)
        if who is None:
            skipped.append(notebook)
        elif who["user_id"] not in newest or int(who["attachment_id"]) > int(newest[who["user_id"]][0]["attachment_id"]):
            newest[who["user_id"]] = who, sum(earned for _, _, earned, _ in scored(results))
    rows = [[*students.get(user, [who["sortable_name"], user, "", "", ""]), f"{points:g}"]
            for user, (who, points) in sorted(newest.items(), key=lambda item: int(item[0]))]
    write_csv(path, [*STUDENT_COLUMNS, assignment], rows)
    return skipped
