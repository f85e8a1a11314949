"""The zero-install course site (`make site`): built here, served from 127.0.0.1, used in headless Chromium.

Nothing is installed in the browser but what the site holds: Pyodide runs the notebooks, and every
request to another origin is aborted and counted (the count must be 0). Screenshots land in
test-artifacts/ (site-*.png). The first run of a notebook loads Pyodide and the scientific stack: minutes
on a busy machine, hence one build and one browser per module.
"""
import json
import re
import shutil
import subprocess
import sys

import pytest

from browser_support import ROOT, first_stepper, screenshot_on_failure
from site_support import (LAB_NOTEBOOK, TIMEOUT, offline_browser, run_all_from_the_run_menu,
                          screenshot, serve)

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' installs playwright")


@pytest.fixture(scope="module")
def served(site):
    with serve(site) as (base, missing):
        yield base, missing


@pytest.fixture
def page(served, request):
    base, missing = served
    with playwright.sync_playwright() as p, offline_browser(p, base) as (context, elsewhere):
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        with screenshot_on_failure(page, request.node.name):
            yield page
            assert elsewhere == [], f"requests to other origins: {elsewhere}"
            assert not [m for m in missing if "/static/pyodide/" in m or "/pypi/" in m], missing


def test_site_holds_every_notebook_its_apps_and_a_landing_page(site):
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (site / "files").glob("*.ipynb")) == notebooks
    assert sorted(p.name for p in (site / "files" / "student").glob("*.ipynb")) == notebooks
    landing = (site / "index.html").read_text()
    for name in notebooks:
        assert f'href="lab/index.html?path={name}"' in landing and f"student/{name}" in landing
    for app in ("03_stepping_through_backward", "07_playground", "09_training_studio"):
        assert f'href="voici/render/{app}.html"' in landing and (site / "voici" / "render" / f"{app}.html").exists()
    assert "tensorgrad.grade" in landing  # the one thing a browser cannot do is said, not left to fail
    kernel = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True and kernel["pyodideUrl"].startswith("./static/pyodide/")
    assert list(site.rglob("*.map")) == [] and not list((site / "static" / "pyodide").glob("pandas*"))
    wheels = {p.name.split("-")[0] for p in (site / "pypi").glob("*.whl")}
    assert {"tensorgrad_classroom", "anywidget", "ipywidgets", "jupyterlab_widgets", "comm"} <= wheels
    for page in (site / "voici").rglob("*.html"):  # Voici's own pages ask for nothing from a CDN either
        assert not re.search(r'<link[^>]+href="https?://', page.read_text()), page


def notebook_3_run_all(page, base, ui):
    """Notebook 3 opened in `ui` ("lab" or "notebooks"), run from the Run menu: its first stepper, drawn."""
    page.goto(base + f"/{ui}/index.html?path={LAB_NOTEBOOK}")
    state = run_all_from_the_run_menu(page)
    assert state["errors"] == [] and state["done"] == state["cells"]
    return first_stepper(page)


def wait_for_step(stepper, k):
    stepper.locator(".tensorgrad-stepper-panel", has_text=f"Step {k} of").wait_for()


def test_notebook_3_in_jupyterlab(page, served):
    stepper = notebook_3_run_all(page, served[0], "lab")
    for k in range(1, 6):
        stepper.get_by_role("button", name="next").click()
        wait_for_step(stepper, k)
    screenshot(page, "site-lab-notebook3-mid-pass")


def test_notebook_3_in_the_notebook_ui_with_arrow_keys(page, served):
    stepper = notebook_3_run_all(page, served[0], "notebooks")
    stepper.get_by_role("button", name="next").focus()
    for key, k in (("ArrowRight", 1), ("ArrowRight", 2), ("ArrowLeft", 1)):
        page.keyboard.press(key)
        wait_for_step(stepper, k)
    screenshot(page, "site-notebook-ui-notebook3")


def test_training_studio_as_a_voici_app(page, served):
    page.goto(served[0] + "/voici/render/09_training_studio.html")
    studio = page.locator(".tensorgrad-studio").first
    studio.locator(".tensorgrad-studio-boundary img").wait_for(state="visible")
    studio.get_by_role("button", name="Train").click()
    page.locator(".tensorgrad-studio-status", has_text=re.compile(r"step [1-9]\d* .*training")).first.wait_for()
    studio.get_by_role("button", name="Pause").click()
    studio.locator(".tensorgrad-stepper-panel", has_text=re.compile(r"Step 0 of \d+")).wait_for()
    studio.locator(".tensorgrad-stepper-graph [data-node]").first.wait_for()
    screenshot(page, "site-voici-studio-paused")


def test_the_stepper_app_passes_axe_and_steps_by_keys_saying_each_step(page, served):
    """Notebook 3 as the site serves it (Pyodide, the graph drawn in the browser): axe's WCAG 2.2 A/AA rules over
    the whole page, then Tab to next and Enter: the live region says each step, and ArrowLeft on the graph goes back."""
    from axe_support import axe_violations
    page.goto(served[0] + APP_3)
    page.locator(".tensorgrad-stepper .tg-graphview[data-drawn]").nth(1).wait_for()  # both steppers drawn
    assert axe_violations(page) == []
    stepper = page.locator(".tensorgrad-stepper").first
    live = stepper.locator("[role=status][aria-live=polite]")
    next_button = stepper.get_by_role("button", name="next")
    for _ in range(60):  # from the top of the page, as a keyboard user goes
        page.keyboard.press("Tab")
        if next_button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("60 Tabs never reached the stepper's next button")
    said = []
    for k in (1, 2):
        page.keyboard.press("Enter")
        live.filter(has_text=re.compile(rf"^Step {k} of 25: ")).wait_for(state="attached")
        said.append(live.inner_text())
    stepper.locator(".tg-graphview").focus()
    page.keyboard.press("ArrowLeft")
    live.filter(has_text=re.compile(r"^Step 1 of 25: ")).wait_for(state="attached")
    assert live.inner_text() == said[0] and "the output of the 1st division" in said[0], said
    screenshot(page, "site-voici-notebook3-keys")


def test_every_other_notebook_runs_in_jupyterlab(page, served):
    """LivePlot, the playground, check_op, the digits, the studio...: each notebook's Run All, under Pyodide."""
    failures = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if path.name != LAB_NOTEBOOK:
            page.goto(served[0] + f"/lab/index.html?path={path.name}")
            state = run_all_from_the_run_menu(page)
            if state["errors"] or state["done"] != state["cells"]:
                failures[path.name] = state
    assert failures == {}


def test_build_fails_naming_a_wheel_that_does_not_match_the_lock(site, tmp_path):
    """A Pyodide wheel whose bytes differ from the official lock's sha256 stops the build, named."""
    source = tmp_path / "pyodide-packages"
    shutil.copytree(site / "static" / "pyodide", source)
    for stand_in in [*source.glob("typing_extensions-*"), *source.glob("tqdm-*")]:  # the index's, not Pyodide's
        stand_in.unlink()
    (source / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl").write_bytes(b"not the official numpy")
    build = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--out", str(tmp_path / "out"),
                            "--student", str(site.parent / "student"), "--pyodide-packages", str(source)],
                           capture_output=True, text=True)
    assert build.returncode != 0
    assert "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl: sha256" in build.stderr
    assert "does not match the official pyodide-lock.json" in build.stderr
    assert not (tmp_path / "out").exists()


# --- what a class's Wi-Fi carries (tests/site_traffic.py: a static host's cache headers, every byte counted) ---

APP_3 = "/voici/render/03_stepping_through_backward.html"


def _graph_drawn(page):
    page.locator(".tg-graphview[data-drawn]").first.wait_for()


def test_the_stepper_app_loads_no_scientific_stack_and_a_second_visit_comes_from_the_cache(site, tmp_path):
    """Notebook 3 as an app asks for no scikit-learn, scipy, OpenBLAS or matplotlib, nor what an app never uses
    (jedi, ssl's openssl, the terminal's prompt_toolkit), and gets the runtime gzipped; opened again in the same
    browser profile, the server sends it (almost) nothing: the browser's cache serves the site."""
    from site_traffic import host, visit
    with host(site) as (base, traffic), playwright.sync_playwright() as p:
        seconds, elsewhere = visit(p, base, APP_3, tmp_path / "profile", _graph_drawn, timeout=TIMEOUT)
        first = traffic.full()
        traffic.reset()
        _, elsewhere_again = visit(p, base, APP_3, tmp_path / "profile", _graph_drawn, timeout=TIMEOUT)
        second = traffic.sent
    assert elsewhere == elsewhere_again == []
    wheels = [path.rsplit("/", 1)[1] for path, _ in first if path.endswith((".whl", ".zip"))]
    assert any(w.startswith("numpy-") for w in wheels) and any(w.startswith("tensorgrad_classroom-") for w in wheels)
    assert [w for w in wheels if w.startswith(("scikit_learn-", "scipy-", "openblas-", "matplotlib-"))] == []
    assert [w for w in wheels if w.startswith(("jedi-", "parso-", "openssl-", "prompt_toolkit-", "wcwidth-"))] == []
    runtime = [path.rsplit("/", 1)[1] for path, _ in first if "/static/pyodide/pyodide.asm." in path]
    assert sorted(runtime) == ["pyodide.asm.js.gz", "pyodide.asm.wasm.gz"]
    assert second < 1_000_000, f"second visit: {second} bytes sent"
