"""Re-execute every notebook in notebooks/ in place, top to bottom, to refresh the stored outputs.

Widget state is not stored in the notebooks' metadata (it is large, random and useless without a
kernel); nbval compares the outputs that remain. Usage: `python scripts/run_notebooks.py [NAME ...]`.
"""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def run(path):
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    names = sys.argv[1:]
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        if not names or path.stem in names or path.name in names:
            run(path)
