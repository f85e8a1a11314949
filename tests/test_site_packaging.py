"""What the course site needs from the package: widgets without graphviz, extras micropip can follow, the site cell.

Fast checks, no browser: test_site.py builds and drives the site itself.
"""
import importlib.util
import pathlib
import random
import sys

import nbformat
import pytest

from tensorgrad import Value, nn, viz

tomllib = pytest.importorskip("tomllib")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_graph():
    random.seed(1337)
    x = Value([[1.0, -2.0], [0.5, 3.0]], label="x")
    return (nn.MLP(2, [3, 1])(x) - Value([[1.0], [-1.0]], label='say "y"')).relu().sum()


def test_the_widgets_draw_without_the_graphviz_package(monkeypatch):
    pytest.importorskip("anywidget")
    from tensorgrad.widgets import BackwardStepper
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now raises ImportError
    stepper = BackwardStepper(small_graph())
    assert stepper.model.num_steps > 0 and "digraph {" in stepper.graph.dot


def test_the_widgets_dot_text_is_what_graphviz_writes(monkeypatch):
    graphviz = pytest.importorskip("graphviz")
    ours = viz.widget_dot(small_graph())[1].source
    monkeypatch.setattr(viz, "DotText", viz._digraph_class(graphviz))
    assert ours == viz.widget_dot(small_graph())[1].source
    too_big = viz.widget_dot(small_graph(), max_nodes=3)[1].source
    monkeypatch.undo()
    assert viz.widget_dot(small_graph(), max_nodes=3)[1].source == too_big


def test_the_site_installs_extras_that_name_no_extra_of_their_own():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = script("site_cell").REQUIREMENT.split("[")[1].rstrip("]").split(",")
    for name in wanted:
        assert not [r for r in extras[name] if r.startswith("tensorgrad-classroom")], name  # micropip skips those
    assert not [r for r in extras["widgets"] if r.startswith("graphviz")]  # the widgets never run dot
    needed = {"matplotlib", "scikit-learn", "ipywidgets", "anywidget", "graphviz"}
    assert needed <= {r.split(">")[0].split("=")[0] for name in wanted for r in extras[name]}


def test_every_notebook_starts_with_the_site_cell_which_does_nothing_here():
    site_cell = script("site_cell")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = next(c for c in notebook.cells if c.cell_type == "code")
        assert first.get("id") == site_cell.CELL_ID and first.source == site_cell.SOURCE, (
            f"{path.name}: run `python scripts/site_cell.py`, then re-execute the notebook")
        assert first.outputs == []
        again = site_cell.with_site_cell(nbformat.read(path, as_version=4))
        assert [c.source for c in again.cells] == [c.source for c in notebook.cells]  # idempotent


def test_the_site_ships_exactly_the_lock_packages_the_kernel_and_notebooks_need():
    build_site = script("build_site")
    lock = {"packages": {"a": {"depends": ["b_c"]}, "b-c": {"depends": []}, "d": {"depends": ["a"]}}}
    assert build_site.lock_closure(lock, ["a"]) == ["a", "b-c"]
