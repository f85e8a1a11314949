"""The ways of installing agree: pyproject extras, conda's environment.yml and Binder's copy of it."""
import pathlib
import re

import pytest

tomllib = pytest.importorskip("tomllib")
ROOT = pathlib.Path(__file__).resolve().parent.parent
CONDA_NAMES = {"graphviz": "python-graphviz"}  # the Python binding's name on conda-forge


def conda_packages(path):
    lines = path.read_text().splitlines()
    return {re.split(r"[<>=:\s]", line[4:])[0] for line in lines if line.startswith("  - ")}


def test_distribution_name_is_not_the_unrelated_tensorgrad_on_the_index():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] != "tensorgrad" and project["dependencies"] == ["numpy>=1.23"]
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"pip install\s+(-U\s+)?tensorgrad\b(?![-\w])", readme)


def test_conda_environments_hold_the_notebook_stack():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = {re.split(r"[<>=\[]", req)[0] for name in ("demo", "viz", "widgets", "notebooks")
              for req in extras[name] if not req.startswith("tensorgrad-classroom")}
    for path in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        packages = conda_packages(path)
        missing = {CONDA_NAMES.get(w, w) for w in wanted} - packages
        assert not missing, f"{path.name} lacks {missing}"
        assert "graphviz" in packages  # the dot program: optional, but conda users get static SVG too
    assert conda_packages(ROOT / "binder" / "environment.yml") == conda_packages(ROOT / "environment.yml")
    assert "- -e ." in (ROOT / "environment.yml").read_text()  # local conda users get tensorgrad itself
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()


def test_graphviews_front_end_ships_in_the_wheel_and_its_graphviz_is_the_pinned_one():
    """Everything in tensorgrad/widgets/static is package data (nothing is fetched at run time)."""
    import fnmatch
    import importlib.util
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "tensorgrad.widgets.static" in setuptools["packages"]
    globs = setuptools["package-data"]["tensorgrad.widgets.static"]
    static = ROOT / "tensorgrad" / "widgets" / "static"
    files = [p.name for p in static.iterdir() if p.name != "__pycache__"]
    assert {"viz.js", "graphview.js", "THIRD_PARTY_NOTICES.md"} <= set(files)
    assert all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)
    spec = importlib.util.spec_from_file_location("vendor_viz", ROOT / "scripts" / "vendor_viz.py")
    vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor)
    banner = (static / "viz.js").read_text(encoding="utf-8")[:200]
    assert f"Viz.js {vendor.VERSION}" in banner
    graphview = (ROOT / "tensorgrad" / "widgets" / "graphview.py").read_text()
    assert f'VIZ_VERSION = "{vendor.VERSION}"' in graphview
    assert "https://" not in (static / "graphview.js").read_text() + (static / "viz_loader.js").read_text()


def test_the_grader_ships_as_a_package_with_its_kernel_side_files():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "tensorgrad.grade" in setuptools["packages"]
    assert {p.name for p in (ROOT / "tensorgrad" / "grade").glob("*.py")} >= {"answers.py", "sandbox.py", "__main__.py"}
