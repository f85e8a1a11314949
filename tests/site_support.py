"""What the site tests and the benchmark share: build the course site, serve it, open it in a browser that may not leave it.

The site is built into a temporary folder (the student versions too) by the same script as `make site`,
served read-only from 127.0.0.1, and opened in headless Chromium where every request to another origin
is aborted and counted: the site must need none.
"""
import contextlib
import functools
import http.server
import pathlib
import re
import subprocess
import sys
import threading

from browser_support import ARTIFACTS, CHROMIUM_ARGS, ROOT, chromium_path
from test_browser import NOTEBOOK_STATE

LAB_NOTEBOOK = "03_stepping_through_backward.ipynb"
TIMEOUT = 300_000  # ms: Pyodide, numpy, scipy and matplotlib load into a fresh browser on a busy 2-core machine


def build_site(folder):
    """Build the site into `folder`/_site (student versions from `make student` into `folder`/student)."""
    student, site = folder / "student", folder / "_site"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_student.py"), "--out", str(student)],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--out", str(site),
                    "--student", str(student)], check=True)
    return site


class _Handler(http.server.SimpleHTTPRequestHandler):
    missing = None  # the paths answered 404, per server

    def log_message(self, *args):
        pass

    def send_error(self, code, *args, **kwargs):
        if code == 404:
            self.missing.append(self.path)
        super().send_error(code, *args, **kwargs)


@contextlib.contextmanager
def serve(site):
    """Serve `site` as any static host would; yield (base URL, list of the paths that were missing)."""
    missing = []
    handler = type("Handler", (_Handler,), {"missing": missing})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", missing
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def offline_browser(playwright, base):
    """A Chromium context at 1280x800 in which every request leaving `base`'s origin is aborted and counted.

    Yields (context, elsewhere): `elsewhere` lists the other-origin URLs asked for (it must stay empty).
    """
    elsewhere = []
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        own = base + "/"

        def abort(route):
            elsewhere.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!" + re.escape(own) + r")[a-z]+://"), abort)
        context.on("request", lambda request: request.url.startswith(("data:", "blob:", own))
                   or request.url in elsewhere or elsewhere.append(request.url))
        yield context, elsewhere
    finally:
        browser.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def start_run_all(page):
    """Once the kernel is up: clear the stored outputs, then Run ▸ Run All Cells, as a student would."""
    page.wait_for_function(f"() => {{ const s = ({NOTEBOOK_STATE})(); return s && s.kernel === 'idle'; }}")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def run_all_from_the_run_menu(page):
    """Run every cell from the Run menu; the notebook's state once done or at its first error."""
    start_run_all(page)
    page.wait_for_function(f"""() => {{ const s = ({NOTEBOOK_STATE})();
        return s && (s.errors.length || (s.kernel === 'idle' && s.done === s.cells)); }}""")
    return page.evaluate(f"({NOTEBOOK_STATE})()")
