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
    if str(ROOT / "scripts") not in sys.path:  # build_site imports its neighbours
        sys.path.insert(0, str(ROOT / "scripts"))
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


def test_each_notebook_installs_what_its_code_uses_and_the_stepper_no_matplotlib():
    site_cell = script("site_cell")
    stepper = nbformat.read(ROOT / "notebooks" / "03_stepping_through_backward.ipynb", as_version=4)
    assert site_cell.requirements(stepper) == ["tensorgrad-classroom", "graphviz", "ipywidgets", "anywidget"]
    plots = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import matplotlib.pyplot as plt")])
    assert site_cell.requirements(plots) == ["tensorgrad-classroom", "matplotlib"]
    assert "matplotlib" in site_cell.source(plots) and "matplotlib" not in site_cell.source(stepper)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name in ("demo", "widgets"):  # the data sets are numpy's: no scikit-learn (and its scipy) for anyone
        assert not [r for r in extras[name] if r.startswith(("scikit-learn", "scipy"))], name
    assert not [r for r in extras["widgets"] if r.startswith("graphviz")]  # the widgets never run dot


def test_every_notebook_starts_with_the_site_cell_which_does_nothing_here():
    site_cell = script("site_cell")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = next(c for c in notebook.cells if c.cell_type == "code")
        assert first.get("id") == site_cell.CELL_ID and first.source == site_cell.source(notebook), (
            f"{path.name}: run `python scripts/site_cell.py`, then re-execute the notebook")
        assert first.outputs == []
        again = site_cell.with_site_cell(nbformat.read(path, as_version=4))
        assert [c.source for c in again.cells] == [c.source for c in notebook.cells]  # idempotent


def test_the_site_ships_exactly_the_lock_packages_the_kernel_and_notebooks_need():
    build_site = script("build_site")
    lock = {"packages": {"a": {"depends": ["b_c"]}, "b-c": {"depends": []}, "d": {"depends": ["a"]}}}
    assert build_site.lock_closure(lock, ["a"]) == ["a", "b-c"]


def test_the_site_s_own_wheels_join_its_lock_with_their_dependencies(tmp_path, monkeypatch):
    import json
    import zipfile
    site_preload = script("site_preload")
    (tmp_path / "static").mkdir()
    lock_path = tmp_path / "static" / "pyodide-lock.json"
    lock_path.write_text(json.dumps({"packages": {"numpy": {"name": "numpy", "depends": []}}}))
    wheel = tmp_path / "pypi" / "tensorgrad_classroom-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("tensorgrad/__init__.py", "")
        archive.writestr("tensorgrad_classroom-0.1.0.dist-info/METADATA",
                         "Name: tensorgrad-classroom\nVersion: 0.1.0\nRequires-Dist: numpy>=1.23\n"
                         "Requires-Dist: scikit-learn; extra == 'demo'\nRequires-Dist: not-in-the-lock\n")
    monkeypatch.setattr(site_preload, "PRELOAD", ("tensorgrad_classroom",))
    assert site_preload.add_site_wheels(lock_path, [wheel]) == ["tensorgrad-classroom"]
    entry = json.loads(lock_path.read_text())["packages"]["tensorgrad-classroom"]
    assert entry["file_name"] == "../pypi/tensorgrad_classroom-0.1.0-py3-none-any.whl"  # resolved from the lock's folder
    assert entry["depends"] == ["numpy"] and entry["imports"] == ["tensorgrad"]  # no extra, nothing the lock lacks
    assert entry["sha256"] == script("build_site").sha256(wheel)
    monkeypatch.setattr(site_preload, "PRELOAD", ("ipywidgets",))
    with pytest.raises(ValueError, match="ipywidgets"):
        site_preload.add_site_wheels(lock_path, [wheel])
    settings = site_preload.preload({"loadPyodideOptions": {"packages": ["numpy"]}})
    assert site_preload.preload(settings)["loadPyodideOptions"]["packages"] == ["numpy", "ipywidgets"]  # idempotent


def test_pyodide_starts_without_run_until_complete_which_safari_cannot_run():
    options = script("site_preload").preload({})["loadPyodideOptions"]
    assert options["enableRunUntilComplete"] is False


SW_PROBE = """
const vm = require("vm"), fs = require("fs");
const sandbox = {self: {addEventListener() {}}, location: new URL(process.argv[3]), URL,
                 BroadcastChannel: class {}, caches: {}, console};
vm.runInNewContext(fs.readFileSync(process.argv[2], "utf8") + `;
  const answer = (path) => {
    const url = new URL(path, location.origin), request = {method: "GET", url: url.href};
    return shouldBroadcast(url) ? "worker" : shouldDrop(request, url) ? "browser" : "relayed";
  };
  console.log(JSON.stringify(Object.fromEntries(JSON.parse(paths).map((p) => [p, answer(p)]))));`,
  {...sandbox, paths: process.argv[4]});
"""


def test_the_service_worker_leaves_the_site_s_files_to_the_browser_s_caches(site, tmp_path):
    """The kernel's drive stays the worker's; Pyodide's files come from the HTTP cache, where compiled wasm is kept."""
    import json
    import shutil
    import subprocess
    if not shutil.which("node"):
        pytest.skip("no node to run the service worker's code")
    probe = tmp_path / "probe.js"
    probe.write_text(SW_PROBE)
    paths = ["/static/pyodide/pyodide.asm.wasm", "/static/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl",
             "/voici/render/03_stepping_through_backward.html", "/api/drive.v1", "/api/stdin/kernel"]
    out = subprocess.run(["node", probe, site / "service-worker.js", "http://127.0.0.1:8000/service-worker.js",
                          json.dumps(paths)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {**{p: "browser" for p in paths[:3]}, "/api/drive.v1": "worker", "/api/stdin/kernel": "worker"}
