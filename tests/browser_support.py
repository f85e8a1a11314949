"""What the browser tests need: Debian's Chromium under Playwright, and Voila / JupyterLab servers.

Servers listen on 127.0.0.1 on a free port, without a token, and are stopped whatever happens. They
run with no Graphviz `dot` on their PATH: drawings are laid out in the browser.
Playwright's own browser downloads are never used: it drives /usr/bin/chromium.
"""
import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path():
    """The browser, or a skip naming the one install command (a failure under CI, where it must exist)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's Chromium is not installed: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (under CI a missing browser is a failure: .ci/run installs it)")
        pytest.skip(message)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_dot():
    """The environment with no Graphviz `dot` on the PATH: servers show that the widgets need none."""
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not shutil.which("dot", path=d)]
    return {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable), *path])}


def _wait_until_ready(url, process, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def server(args, ready_path, log_name):
    """Start a Jupyter server command on a free port; yield its base URL; always stop it."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"{log_name}.log", "w")
    env = without_dot()  # kernels import this checkout's packages (tensorgrad, and bench for the benchmark)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    process = subprocess.Popen([sys.executable, "-m", *args, f"--port={port}"], stdout=log,
                               stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base + ready_path, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def voila(notebook):
    """Serve one notebook as an app, as a teacher would with `voila notebooks/NAME.ipynb`."""
    return server(["voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1"], "/", "voila-" + notebook.stem)


def jupyterlab(root_dir, app="jupyterlab"):
    """JupyterLab (or app="notebook": Notebook 7) on `root_dir`, no token, the app object exposed to tests."""
    return server([app, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
                   "--IdentityProvider.token=", "--ServerApp.password=", "--expose-app-in-browser",
                   f"--ServerApp.root_dir={root_dir}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                   "jupyterlab.NeverCheckForUpdate"], "/api", app)


def keep_screenshot(page, name):
    """A picture of the whole page as a test artefact (test-artifacts/NAME.png), if the page still answers."""
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.suppress(Exception):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@contextlib.contextmanager
def screenshot_on_failure(page, name):
    """Keep a picture of the page when a check inside the block fails (a fixture hears no failure: see test_browser's page)."""
    try:
        yield
    except BaseException:
        keep_screenshot(page, name)
        raise


@contextlib.contextmanager
def notebook_of(*cells):
    """A temporary notebook of these code cells; its kernel can import the tests' example_graphs."""
    import nbformat
    with tempfile.TemporaryDirectory() as tmp:
        notebook = pathlib.Path(tmp) / "graph.ipynb"
        prelude = f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (prelude, *cells)]),
                       notebook)
        yield notebook


@contextlib.contextmanager
def graph_page(code, timeout=180_000):
    """A one-cell notebook of `code` served by Voila, open in headless Chromium (1400x1000) once its graph is drawn.

    For scripts that look at a widget (README pictures, the benchmark) rather than test it.
    """
    from playwright.sync_api import sync_playwright
    with notebook_of(code) as notebook:
        with voila(notebook) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(base + "/")
                page.locator(".tg-graphview[data-drawn]").first.wait_for(timeout=timeout)
                yield page
            finally:
                browser.close()
