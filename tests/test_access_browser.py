"""The training widgets by keyboard and screen reader (WCAG 2.2 AA), served by Voila in headless Chromium:
axe finds no violation, the studio is operated with no mouse event, the pictures' alt texts follow training,
and the live region says what happened.

The studio's stepper and live graph (its `.tensorgrad-studio-graph` area) are the stepper's and GraphView's
own, with tests of their own: axe is run here over the rest of the studio."""
import re

from axe_support import axe_violations
from browser_support import voila
from test_browser import NOTEBOOKS, browser, page  # noqa: F401  (the shared Chromium and page fixtures)

NO_MOUSE = """() => { window.mouseEvents = 0;
    for (const kind of ["mousedown", "mouseup", "pointerdown", "pointerup"])
        document.addEventListener(kind, () => window.mouseEvents++, true); }"""


def live_text(widget):
    """The widget's own live region: the first in its tree (a studio's stepper below it has one of its own)."""
    return widget.locator("[role=status]").first.inner_text()


def wait_for_live(page, root, pattern):
    page.locator(f"{root} [role=status]", has_text=re.compile(pattern)).first.wait_for(state="attached")


def tab_to(page, name, limit=60):
    """Press Tab until the button called `name` has the focus (a failure if it never does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.innerText.trim()") == name:
            return
    raise AssertionError(f"{limit} presses of Tab never reached the {name} button")


def press(page, name):
    """Tab to the button `name` from where the focus is (Shift+Tab if it lies behind), and press Enter."""
    names = page.evaluate("() => [...document.querySelectorAll('.tensorgrad-studio button')]"
                          ".map(b => b.innerText.trim())")
    here = page.evaluate("() => document.activeElement.innerText.trim()")
    key = "Tab" if names.index(name) > names.index(here) else "Shift+Tab"
    while page.evaluate("() => document.activeElement.innerText.trim()") != name:
        page.keyboard.press(key)
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                         "return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert ring[0] == "solid" and ring[1] >= 2, f"the focused {name} button shows no focus ring: {ring}"
    page.keyboard.press("Enter")


def test_studio_by_keyboard_alone_with_its_alt_text_and_announcements(page):
    with voila(NOTEBOOKS / "09_training_studio.ipynb") as base:
        page.goto(base + "/")
        studio = page.locator(".tensorgrad-studio").first
        picture = studio.locator(".tensorgrad-studio-boundary img")
        picture.wait_for(state="visible")
        page.evaluate(NO_MOUSE)
        untrained = picture.get_attribute("alt")
        assert untrained.startswith("Decision boundary of the data before training, 100 points: 50 of class -1")
        assert axe_violations(page, {"include": [".tensorgrad-studio"], "exclude": [".tensorgrad-studio-graph"]}) == []

        tab_to(page, "Train")
        press(page, "Train")
        wait_for_live(page, ".tensorgrad-studio", r"Training from step 0 to step 1000\.")
        press(page, "Pause")
        wait_for_live(page, ".tensorgrad-studio", r"Paused at step \d+: loss [\d.]+, accuracy [\d.]+%\. Its backward")
        paused = int(re.search(r"Paused at step (\d+)", live_text(studio)).group(1))
        alt = picture.get_attribute("alt")
        assert alt != untrained and f"after step {paused}, 100 points" in alt and "accuracy" in alt
        assert re.search(r"Class (-1|1) is predicted on \d+% of the plane", alt)
        summary = studio.locator(".tensorgrad-studio-summary").inner_text()
        assert re.search(rf"Loss: first [\d.]+ at step 1, last [\d.]+ at step {paused}, best", summary)

        press(page, "Step")
        wait_for_live(page, ".tensorgrad-studio", rf"One step: step {paused + 1}: loss")
        page.wait_for_function("k => document.querySelector('.tensorgrad-studio-boundary img').alt"
                               ".includes(`after step ${k},`)", arg=paused + 1)
        table = studio.locator(".tensorgrad-studio-table table")
        assert table.locator("caption").inner_text() == f"what the optimiser did at step {paused + 1}"
        assert table.locator("th[scope=col]").first.inner_text() == "parameter"
        assert table.locator("th[scope=row]").count() >= 2

        press(page, "Resume")
        wait_for_live(page, ".tensorgrad-studio", rf"Training from step {paused + 1} to step 1000\.")
        press(page, "Pause")
        wait_for_live(page, ".tensorgrad-studio", r"Paused at step")

        # the data edited by keyboard: a point added at x, y = 0, 0, traced, removed
        press(page, "Add point")
        wait_for_live(page, ".tensorgrad-studio", r"Added a point of class 1: 101 points\.")
        press(page, "Trace nearest")
        wait_for_live(page, ".tensorgrad-studio", r"Traced sample 100: 101 points\.")
        press(page, "Remove nearest")
        wait_for_live(page, ".tensorgrad-studio", r"Removed point 100: 100 points\.")
        assert page.evaluate("() => window.mouseEvents") == 0
        assert axe_violations(page, {"include": [".tensorgrad-studio"], "exclude": [".tensorgrad-studio-graph"]}) == []


def test_playground_named_controls_alt_texts_and_announcements(page):
    with voila(NOTEBOOKS / "07_playground.ipynb") as base:
        page.goto(base + "/")
        playground = page.locator(".tensorgrad-playground").first
        picture = playground.locator(".tensorgrad-playground-boundary img")
        picture.wait_for(state="visible")
        page.locator(".tensorgrad-playground [role=slider][aria-label]").nth(2).wait_for(state="attached")
        names = playground.locator("[role=slider]").evaluate_all("hs => hs.map(h => h.getAttribute('aria-label'))")
        assert names == ["noise", "learning rate", "steps"]
        assert axe_violations(page, ".tensorgrad-playground") == []
        untrained = picture.get_attribute("alt")
        assert untrained.startswith("Decision boundary of moons before training, 200 points: 100 of class 0")
        neurons = playground.locator(".tensorgrad-playground-neurons img").get_attribute("alt")
        assert neurons.startswith("First hidden layer: 8 tanh units, 8 shown") and "Unit 8: from " in neurons

        page.evaluate(NO_MOUSE)
        playground.get_by_role("button", name="Train").focus()
        page.keyboard.press("Enter")
        wait_for_live(page, ".tensorgrad-playground", r"Training finished at step 300: loss [\d.]+, accuracy")
        page.wait_for_function("() => document.querySelector('.tensorgrad-playground-boundary img').alt"
                               ".includes('after step 300,')")
        assert "accuracy" in picture.get_attribute("alt")
        assert playground.locator(".tensorgrad-playground-neurons img").get_attribute("alt") != neurons
        assert page.evaluate("() => window.mouseEvents") == 0
        assert axe_violations(page, ".tensorgrad-playground") == []


def test_live_plot_is_described_and_has_no_axe_violation(page):
    with voila(NOTEBOOKS / "05_training_moons.ipynb") as base:
        page.goto(base + "/")
        plot = page.locator(".tensorgrad-liveplot").first
        plot.locator("img").wait_for(state="visible")
        page.wait_for_function("() => document.querySelector('.tensorgrad-liveplot img').alt"
                               ".includes('after step 100,')")
        assert re.search(r"Loss: first [\d.]+ at step 1, last [\d.]+ at step 100, best", plot.inner_text())
        assert "Legend: red shading and circles: class -1; blue shading and triangles: class 1." in plot.inner_text()
        assert re.search(r"Training finished at step 100: loss", live_text(plot))
        assert axe_violations(page, ".tensorgrad-liveplot") == []


def landing_page_html():
    """The course site's landing page as scripts/build_site.py writes it (the page alone: no site build)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("build_site", NOTEBOOKS.parent / "scripts" / "build_site.py")
    build_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_site)
    return build_site.landing_page(sorted(NOTEBOOKS.glob("*.ipynb")))


def test_landing_page_has_one_h1_named_links_and_no_axe_violation(page):
    page.set_content(landing_page_html())
    assert page.evaluate("() => document.documentElement.lang") == "en"
    levels = page.locator("h1, h2, h3, h4, h5, h6").evaluate_all("hs => hs.map(h => +h.tagName[1])")
    assert levels.count(1) == 1 and levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    names = page.get_by_role("link").evaluate_all("links => links.map(a => a.textContent.trim())")
    assert "open in JupyterLab: 3. Stepping through backward" in names
    assert len(set(names)) == len(names), "two links of the same name lead to different places"
    assert axe_violations(page) == []
