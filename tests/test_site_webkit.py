"""The course site's stepper in WebKit, Safari's engine: Debian's WebKitWebDriver and MiniBrowser, driven by Selenium.

MiniBrowser needs a display: the test starts Xvfb on a free display number and stops it after. Drawing is in
software on a busy machine (~50 s to the first graph on 2 cores), so every wait is on a stable selector.
TENSORGRAD_TEST_SITE=DIR uses a site already built there (by `make site`) instead of building one.
"""
import contextlib
import os
import shutil
import subprocess
import time

import pytest

from browser_support import ARTIFACTS
from site_support import serve

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install -e '.[test]' installs selenium")
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
DRIVER = "/usr/bin/WebKitWebDriver"
APP = "/voici/render/03_stepping_through_backward.html"
WAIT = 600  # s: Pyodide, numpy and the widgets, in software rendering


def _needed(*paths):
    missing = [p for p in paths if not (os.path.exists(p) or shutil.which(p))]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install webkit2gtk-driver xvfb"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (.ci/run installs them)")
        pytest.skip(message)


@contextlib.contextmanager
def virtual_display():
    """Xvfb on the first free display number from 90; yields its DISPLAY."""
    for number in range(90, 120):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # the socket appears once the server listens
            if os.path.exists(f"/tmp/.X11-unix/X{number}") or process.poll() is not None:
                break
            time.sleep(0.1)
        assert process.poll() is None, f"Xvfb :{number} exited with {process.returncode}"
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_stepper_app_steps_in_webkit(site):
    _needed(MINIBROWSER, DRIVER, "Xvfb")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait
    with serve(site) as (base, missing), virtual_display() as display:
        options = webdriver.WebKitGTKOptions()
        options.binary_location = MINIBROWSER
        options.add_argument("--automation")
        service = webdriver.WebKitGTKService(executable_path=DRIVER, env={**os.environ, "DISPLAY": display})
        browser = webdriver.WebKitGTK(options=options, service=service)
        try:
            browser.get(base + APP)
            wait = WebDriverWait(browser, WAIT)
            graph = ".tensorgrad-stepper .tg-graphview[data-drawn]"
            wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, graph)))
            stepper = browser.find_element(By.CSS_SELECTOR, ".tensorgrad-stepper")
            panel = stepper.find_element(By.CSS_SELECTOR, ".tensorgrad-stepper-panel")
            assert "Step 0 of" in panel.text
            next_button = stepper.find_element(By.XPATH, ".//button[@aria-label='next' or normalize-space()='next' "
                                                         "or @title='next']")
            next_button.click()
            wait.until(lambda _: "Step 1 of" in panel.text)
            live = stepper.find_element(By.CSS_SELECTOR, "[role=status][aria-live=polite]")
            said = [live.get_attribute("textContent")]
            browser.execute_script("arguments[0].focus()", stepper.find_element(By.CSS_SELECTOR, ".tg-graphview"))
            for key, k in ((Keys.ARROW_RIGHT, 2), (Keys.ARROW_LEFT, 1)):  # keys on the graph step, and say so
                ActionChains(browser).send_keys(key).perform()
                wait.until(lambda _, k=k: live.get_attribute("textContent").startswith(f"Step {k} of"))
                said.append(live.get_attribute("textContent"))
            assert said[0].startswith("Step 1 of") and said[1].startswith("Step 2 of") and said[2] == said[0], said
            ARTIFACTS.mkdir(exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "site-webkit-stepper.png"))
        except BaseException:
            with contextlib.suppress(Exception):
                browser.save_screenshot(str(ARTIFACTS / "site-webkit-stepper-failed.png"))
            raise
        finally:
            browser.quit()
        assert not [m for m in missing if "/static/pyodide/" in m or "/pypi/" in m], missing
