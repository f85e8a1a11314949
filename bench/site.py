"""site: the zero-install course site — its size, what takes it up, the bytes a visit costs and the wait for the first graph.

`make site`'s build script builds the site into a temporary folder; it is served from 127.0.0.1 as a static
host serves it (cache headers, every byte counted: tests/site_traffic.py) and opened in headless Chromium
(1280x800, other hosts unreachable) with a fresh profile, as a student opening the link: Voici's stepper app
(notebook 3 run as an app) on an unlimited link and on a 20 Mbit/s one (the server's sending rate capped),
each opened a second time in the same profile; and notebook 3 in JupyterLab after Run ▸ Run All. The time
runs from opening the page to the stepper's graph drawn. Reported, not asserted: it depends on the machine
and on how busy it is. --quick: size only.
"""
import pathlib
import shutil
import sys
import tempfile
import time

from .harness import Section

LAB_URL = "/lab/index.html?path=03_stepping_through_backward.ipynb"
APP_URL = "/voici/render/03_stepping_through_backward.html"
SCHOOL_LINK = 20  # Mbit/s


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
            _visits(section, site, pathlib.Path(tmp))
    return section


def _visits(section, site, tmp):
    app = {}
    for mbit in (None, SCHOOL_LINK):
        link = f"{mbit} Mbit/s link" if mbit else "unlimited link"
        for visit, (seconds, sent, files) in zip(("first", "second"), _app_visits(site, tmp / f"profile-{mbit}", mbit)):
            app[visit, mbit] = seconds, sent
            section.rows.append([f"Voici app (notebook 3), {visit} visit, {link}: first graph",
                                 f"{seconds:.1f} s, {sent / 1e6:.1f} MB in {files} files"])
    lab = _first_graph_in_lab(site)
    section.rows.append(["JupyterLab + Run All (notebook 3), fresh browser: first graph", f"{lab:.1f} s"])
    (first, first_sent), (second, second_sent) = app["first", None], app["second", None]
    section.target("site: app, first visit", "<= 20 MB sent, first graph <= 10 s",
                   f"{first_sent / 1e6:.1f} MB, {first:.1f} s", first_sent <= 20e6 and first <= 10)
    section.target("site: app, second visit", "<= 1 MB sent, first graph <= 5 s",
                   f"{second_sent / 1e6:.2f} MB, {second:.1f} s", second_sent <= 1e6 and second <= 5)
    slow = app["first", SCHOOL_LINK][0]
    section.target(f"site: app, first visit at {SCHOOL_LINK} Mbit/s", "first graph <= 18 s", f"{slow:.1f} s", slow <= 18)
    section.target("site: JupyterLab + Run All", "within 30% of the app", f"{lab:.1f} s against {first:.1f} s",
                   lab <= 1.3 * first)


def _sizes(site):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
    from build_site import sizes
    return sizes(site)


def _graph_drawn(page):
    page.locator(".tg-graphview[data-drawn]").first.wait_for()


def _app_visits(site, profile, mbit):
    """(seconds, bytes sent, files sent) for a first and a second visit to the app in one browser profile."""
    from playwright.sync_api import sync_playwright
    from site_support import TIMEOUT
    from site_traffic import host, visit
    results = []
    with host(site, mbit) as (base, traffic), sync_playwright() as p:
        for _ in range(2):
            traffic.reset()
            seconds, elsewhere = visit(p, base, APP_URL, profile, _graph_drawn, timeout=TIMEOUT)
            if elsewhere:
                raise RuntimeError(f"the site asked other hosts for {elsewhere}")
            results.append((seconds, traffic.sent, len(traffic.full())))
    return results


def _first_graph_in_lab(site):
    """Seconds from opening notebook 3 in JupyterLab, then Run All, to its first stepper drawn."""
    from playwright.sync_api import sync_playwright
    from browser_support import first_stepper
    from site_support import TIMEOUT, offline_browser, serve, start_run_all
    with serve(site) as (base, _), sync_playwright() as p, offline_browser(p, base) as (context, elsewhere):
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        began = time.perf_counter()
        page.goto(base + LAB_URL)
        start_run_all(page)
        first_stepper(page)
        seconds = time.perf_counter() - began
        if elsewhere:
            raise RuntimeError(f"the site asked other origins for {elsewhere}")
        return seconds
