"""site: the zero-install course site — its size, what takes it up, and the wait for the first graph in a fresh browser.

`make site`'s build script builds the site into a temporary folder; it is served from 127.0.0.1 and
opened in headless Chromium (1280x800, every other-origin request aborted), once per front end, each
time in a fresh browser, as a student opening the link: Voici's stepper app (notebook 3 run as an app),
and notebook 3 in JupyterLab after Run ▸ Run All. The time runs from opening the page to the stepper's
graph drawn. Reported, not asserted: it depends on the machine and on how busy it is. --quick: size only.
"""
import pathlib
import shutil
import sys
import tempfile
import time

from .harness import Section

LAB_URL = "/lab/index.html?path=03_stepping_through_backward.ipynb"
APP_URL = "/voici/render/03_stepping_through_backward.html"


def run(quick):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
    from site_support import build_site
    section = Section("site: the zero-install course site (make site)", ["what", "size or time"])
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        site = build_site(pathlib.Path(tmp))
        section.notes.append(f"build: {time.perf_counter() - began:.0f} s with the download cache warm")
        total, parts = _sizes(site)
        section.rows.append(["whole site", f"{total / 1e6:.0f} MB"])
        section.rows += [[name, f"{size / 1e6:.1f} MB"] for name, size in parts]
        if quick:
            section.notes.append("first graph: not measured (--quick)")
        elif not shutil.which("chromium"):
            section.notes.append("first graph: not measured (no chromium)")
        else:
            for what, url, run_all in (("Voici app (notebook 3)", APP_URL, False),
                                       ("JupyterLab, Run All (notebook 3)", LAB_URL, True)):
                section.rows.append([f"first graph drawn, fresh browser: {what}", f"{_first_graph(site, url, run_all):.0f} s"])
    return section


def _sizes(site):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
    from build_site import sizes
    return sizes(site)


def _first_graph(site, url, run_all):
    """Seconds from opening `url` to the first `.tg-graphview[data-drawn]`."""
    from playwright.sync_api import sync_playwright
    from browser_support import first_stepper
    from site_support import TIMEOUT, offline_browser, serve, start_run_all
    with serve(site) as (base, _), sync_playwright() as p, offline_browser(p, base) as (context, elsewhere):
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        began = time.perf_counter()
        page.goto(base + url)
        if run_all:  # JupyterLab draws a cell's widgets once it is scrolled to
            start_run_all(page)
            first_stepper(page)
        else:
            page.locator(".tg-graphview[data-drawn]").first.wait_for()
        seconds = time.perf_counter() - began
        if elsewhere:
            raise RuntimeError(f"the site asked other origins for {elsewhere}")
        return seconds
