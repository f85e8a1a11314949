"""Every stored notebook is clean: run in order, no errors, python3 kernel, small outputs, no widget state.

nbval (part of the test command) re-runs each notebook and compares outputs; this checks what nbval
does not: that what is stored is what a top-to-bottom run produces and fits in a repository.
"""
import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
MAX_OUTPUT_BYTES = 400_000  # per notebook: pictures should be small PNG/SVG, never megabyte images


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_clean(path):
    notebook = json.loads(path.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not executed top to bottom once: {counts}"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name}: stored error output {errors[0].get('ename')}"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in notebook["metadata"], f"{path.name}: widget state stored in metadata"
    size = sum(len(json.dumps(c.get("outputs", []))) for c in code)
    assert size < MAX_OUTPUT_BYTES, f"{path.name}: {size} bytes of stored output"


def test_there_is_a_curriculum():
    assert len(NOTEBOOKS) >= 7, [p.name for p in NOTEBOOKS]
