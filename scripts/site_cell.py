"""Give every notebook the first code cell that makes tensorgrad available in the course site.

In the zero-install site (JupyterLite and Voici, Python compiled to WebAssembly by Pyodide) nothing is
installed until a notebook asks: this cell installs tensorgrad and what that notebook uses, nothing more
(every package is part of a student's wait), from the site's own wheels. In a local kernel `sys.platform` is not "emscripten", so it does nothing and prints
nothing, and strict nbval keeps passing. Idempotent: the cell is found by its id and rewritten, so run
it again whenever notebooks are added or changed, then re-execute them.
Usage: `python scripts/site_cell.py [NOTEBOOK ...]` (default: every notebook in notebooks/).
"""
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
CELL_ID = "tensorgrad-site-install"
# What a notebook's code mentions -> what it needs besides tensorgrad (and its numpy), so that a notebook loads
# only what it runs: the stepper's notebooks need no matplotlib. The site's test runs every notebook there.
NEEDS = (
    (r"\bdraw_dot\b|\btensorgrad\.viz\b", ("graphviz", "ipywidgets", "anywidget")),  # drawn in the browser
    (r"\btensorgrad\.widgets\b", ("ipywidgets", "anywidget")),
    (r"\bmatplotlib\b|\b(LivePlot|TrainingPlot|Playground|TrainingStudio)\b|\bwidgets\.(training|playground|studio)\b",
     ("matplotlib",)),
)
SOURCE = """\
# In the course site (JupyterLite / Voici, no install) this installs tensorgrad from the site itself;
# in a local Jupyter kernel it does nothing.
import sys

if sys.platform == "emscripten":
    import piplite

    await piplite.install({requirements})"""
QUIET_FONTS = """
    import logging

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # not "building the font cache" in an app"""


def requirements(notebook):
    """What the site installs for `notebook`: tensorgrad, then what its code (other than this cell) mentions."""
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code" and c.get("id") != CELL_ID)
    needed = ["tensorgrad-classroom"]
    for pattern, packages in NEEDS:
        if re.search(pattern, code):
            needed += [p for p in packages if p not in needed]
    return needed


def source(notebook):
    """The site cell's source for `notebook`."""
    needed = requirements(notebook)
    return SOURCE.format(requirements=repr(needed).replace("'", '"')) + QUIET_FONTS * ("matplotlib" in needed)


def with_site_cell(notebook):
    """The notebook with the site cell as its first code cell (added, moved or rewritten as needed)."""
    cell = nbformat.v4.new_code_cell(source(notebook), id=CELL_ID, metadata={"tags": ["site-install"]})
    cells = [c for c in notebook.cells if c.get("id") != CELL_ID]
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    notebook.cells = cells[:first_code] + [cell] + cells[first_code:]
    return notebook


def main(paths):
    for path in paths or sorted((ROOT / "notebooks").glob("*.ipynb")):
        path = pathlib.Path(path)
        notebook = nbformat.read(path, as_version=4)
        old = [c.get("id") for c in notebook.cells], [c.source for c in notebook.cells]
        with_site_cell(notebook)
        if ([c.get("id") for c in notebook.cells], [c.source for c in notebook.cells]) != old:
            nbformat.write(notebook, path)
            print(f"{path.name}: site cell written (re-execute it)")


if __name__ == "__main__":
    main(sys.argv[1:])
