"""Write the student versions of the notebooks to student/: each answer replaced by a stub, outputs cleared.

The notebooks in notebooks/ are the teacher versions: an exercise cell (tag `exercise`, nbgrader
metadata with a stable `grade_id`) holds its answer between `### BEGIN SOLUTION` and
`### END SOLUTION`. nbgrader's ClearSolutions and ClearOutput preprocessors do the stripping; the only
addition is a stub per exercise, `raise NotImplementedError("<the cell's hint>")`, so a student who runs
an unfinished cell reads a one-line hint. Usage: `python scripts/make_student.py [--out DIR]`.
"""
import argparse
import pathlib

import nbformat
from nbgrader.preprocessors import ClearOutput, ClearSolutions

ROOT = pathlib.Path(__file__).resolve().parent.parent


class ClearSolutionsWithHints(ClearSolutions):
    """nbgrader's ClearSolutions, whose stub raises NotImplementedError with the exercise's own hint."""

    def preprocess_cell(self, cell, resources, index):
        hint = cell.metadata.get("tensorgrad", {}).get("hint", "write your answer here")
        self.code_stub = {"python": f"raise NotImplementedError({'exercise: ' + hint!r})"}
        return super().preprocess_cell(cell, resources, index)


def student_version(path):
    """The student notebook made from the teacher notebook at `path`."""
    notebook = nbformat.read(path, as_version=4)
    resources = {}
    for preprocessor in (ClearSolutionsWithHints(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)  # run timestamps of the teacher's kernel
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "student")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nbformat.write(student_version(path), args.out / path.name)
        print(f"{args.out.name}/{path.name}")


if __name__ == "__main__":
    main()
