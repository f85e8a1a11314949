"""The course site's stepper in Firefox ESR (Debian's firefox-esr), driven over WebDriver BiDi by puppeteer-core.

puppeteer-core comes from the npm registry, pinned, installed once into test-artifacts/ with no browser download
(PUPPETEER_SKIP_DOWNLOAD), like axe-core (tests/axe_support.py); tests/js/firefox_stepper.mjs drives the page.
TENSORGRAD_TEST_SITE=DIR uses a site already built there (by `make site`) instead of building one.
"""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from browser_support import ARTIFACTS
from site_support import serve

PUPPETEER_VERSION = "24.31.0"
PREFIX = ARTIFACTS / f"puppeteer-core-{PUPPETEER_VERSION}"
SCRIPT = pathlib.Path(__file__).resolve().parent / "js" / "firefox_stepper.mjs"
FIREFOX = "/usr/bin/firefox-esr"
APP = "/voici/render/03_stepping_through_backward.html"


def _unavailable(message):
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (under CI it must be there: .ci/run installs firefox-esr)")
    pytest.skip(message)


def puppeteer_modules():
    """The node_modules folder holding puppeteer-core, installed the first time (no browser is downloaded)."""
    modules = PREFIX / "node_modules"
    if (modules / "puppeteer-core" / "package.json").exists():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is needed to fetch puppeteer-core for the Firefox test")
    PREFIX.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(PREFIX),
                    f"puppeteer-core@{PUPPETEER_VERSION}"], check=True, timeout=600,
                   env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"})
    return modules


def test_the_stepper_app_steps_in_firefox(site, tmp_path):
    if not os.path.exists(FIREFOX):
        _unavailable("Debian's Firefox ESR is not installed: apt-get install firefox-esr")
    modules = puppeteer_modules()
    script = tmp_path / SCRIPT.name  # beside its node_modules: an ES module resolves imports from its own folder
    shutil.copy2(SCRIPT, script)
    (tmp_path / "node_modules").symlink_to(modules)
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(site) as (base, missing):
        run = subprocess.run(["node", str(script), base + APP, str(ARTIFACTS / "site-firefox-stepper.png")],
                             capture_output=True, text=True, timeout=900, env={**os.environ, "FIREFOX": FIREFOX,
                                                                                "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    panels = json.loads(run.stdout.strip().splitlines()[-1])
    assert panels["before"].startswith("Step 0 of") and panels["after"].startswith("Step 1 of"), panels
    first, second, back = panels["live"]  # the live region after next, then ArrowRight and ArrowLeft on the graph
    assert first.startswith("Step 1 of") and second.startswith("Step 2 of") and back == first, panels
    assert not [m for m in missing if "/static/pyodide/" in m or "/pypi/" in m], missing
