"""The stepper and the graph by keyboard and screen reader, in headless Chromium (issue 27).

axe-core's WCAG 2.2 A/AA rules over the stepper and GraphView; a keyboard-only walk (no mouse event reaches
the page) that steps the stepper and walks the graph to a leaf and back; the live region's words after
steps forward and back; the graph's name, description and node list. The live region's texts of notebook 3
are kept in test-artifacts/live-region-notebook3.txt, screenshots in test-artifacts/a11y-*.png.
"""
import re

import pytest

from axe_support import axe_violations
from browser_support import ARTIFACTS, ROOT, notebook_of, voila
from test_browser import TIMEOUT, browser, page  # noqa: F401  (fixtures)

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' installs playwright")

COUNT_MOUSE = """() => { window.__mouse = 0;
    for (const kind of ["mousedown", "mouseup", "click", "pointerdown"])
        window.addEventListener(kind, e => { if (e.isTrusted && e.detail !== 0 || e.pointerType) window.__mouse++; }, true); }"""
FOCUSED = "() => { const e = document.activeElement; return {tag: e.tagName, walk: e.dataset.walk || null, " \
          "text: (e.textContent || '').trim(), name: e.getAttribute('aria-label') || (e.textContent || '').trim()}; }"


def tab_to(page, test, most=60):
    """Press Tab until the focused element passes `test` (a JS predicate of it); fail after `most` presses."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({test})(document.activeElement)"):
            return
    pytest.fail(f"{most} Tabs never reached {test}; focus is on {page.evaluate(FOCUSED)}")


def live_text(st):
    return st.locator("[role=status][aria-live=polite]").inner_text().strip()


def wait_live(st, k):
    st.locator("[role=status][aria-live=polite]", has_text=re.compile(rf"^Step {k} of \d+")).wait_for(state="attached")
    return live_text(st)


def test_stepper_in_voila_by_keyboard_alone(page):
    """Notebook 3: no axe violation, then from the top of the page by keys alone: step, back, walk the graph."""
    with voila(ROOT / "notebooks" / "03_stepping_through_backward.ipynb") as base:
        page.goto(base + "/")
        st = page.locator(".tensorgrad-stepper").first
        st.locator(".tg-graphview[data-drawn]").wait_for()
        assert axe_violations(page, ".tensorgrad-stepper") == []
        graph = st.locator(".tg-graphview")
        assert graph.get_attribute("role") == "group" and graph.get_attribute("aria-label")
        summary = st.locator(".tg-summary").inner_text()
        assert re.search(r"computation graph of \d+ values and 25 operations\. Output: .+\. Inputs: a \(", summary)
        assert live_text(st).startswith("Step 0 of 25")
        page.evaluate(COUNT_MOUSE)

        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        tab_to(page, "e => e.closest('.tensorgrad-stepper') && e.textContent.trim() === 'next'")
        said = []
        for k in (1, 2, 3, 4):
            page.keyboard.press("Enter")
            said.append(wait_live(st, k))
        page.keyboard.press("Shift+Tab")  # to prev
        assert page.evaluate(FOCUSED)["name"] == "prev"
        page.keyboard.press("Enter")
        said.append(wait_live(st, 3))
        assert said[4] == said[2]  # back to step 3 says step 3 again
        for k, text in zip((1, 2, 3, 4, 3), said):
            assert re.match(rf"Step {k} of 25: \w", text), text
            assert "upstream gradient" in text and re.search(r"adds .*\d.* gradient", text), text
        (ARTIFACTS / "live-region-notebook3.txt").write_text("\n".join(said) + "\n")

        tab_to(page, "e => e.classList.contains('tg-graphview')")
        page.keyboard.press("ArrowRight")  # on the graph the arrows still step
        wait_live(st, 4)
        page.keyboard.press("Enter")  # into the walk, at the current step's node
        start = page.evaluate(FOCUSED)
        current = st.locator("[data-node].tg-current").get_attribute("data-node")
        assert start["tag"] == "LI" and start["walk"] == current and "made by" in start["text"]
        path = [start["walk"]]
        for _ in range(40):  # left: to an input, until a leaf
            page.keyboard.press("ArrowLeft")
            here = page.evaluate(FOCUSED)["walk"]
            if here == path[-1]:
                break
            path.append(here)
        leaf = page.evaluate(FOCUSED)
        assert len(path) > 1 and ("an input" in leaf["text"] or "a constant" in leaf["text"]), leaf
        assert "nothing feeds it" in live_text(st)
        assert st.locator(f"[data-node='{path[-1]}'].tg-walk").count() == 1  # outlined in the picture too
        for expected in reversed(path[:-1]):  # and back, the way it came
            page.keyboard.press("ArrowRight")
            assert page.evaluate(FOCUSED)["walk"] == expected
        page.keyboard.press("Escape")
        assert page.evaluate("() => document.activeElement.classList.contains('tg-graphview')")
        assert page.evaluate("() => window.__mouse") == 0
        page.keyboard.press("ArrowLeft")  # out of the walk the arrows step again
        wait_live(st, 3)
        st.screenshot(path=str(ARTIFACTS / "a11y-stepper-voila.png"))


GRAPH_CELLS = ["import example_graphs\nfrom tensorgrad.widgets import GraphView\nGraphView(example_graphs.neuron())",
               "from tensorgrad.viz import draw_dot\ndraw_dot(example_graphs.neuron())"]


def test_graphview_and_draw_dot_are_named_described_and_walkable(page):
    with notebook_of(*GRAPH_CELLS) as notebook, voila(notebook) as base:
        page.goto(base + "/")
        views = page.locator(".tg-graphview[data-drawn]")
        views.nth(1).wait_for()
        assert axe_violations(page, ".tg-graphview") == []  # both
        for i in range(2):
            view = views.nth(i)
            assert view.get_attribute("role") == "group" and view.get_attribute("aria-label") == "computation graph"
            assert view.locator(".tg-summary").inner_text().startswith("A computation graph of 10 values and 5 operations")
            items = view.locator("li[data-walk]")
            assert items.count() == 10
            assert items.first.inner_text().startswith("o: a number, made by tanh from n; data 0.7071")
            view.focus()
            page.keyboard.press("Enter")
            assert page.evaluate(FOCUSED)["walk"] == items.first.get_attribute("data-walk")
            page.keyboard.press("ArrowLeft")  # o's input: n
            assert page.evaluate(FOCUSED)["text"].startswith("n: a number, made by addition")
            page.keyboard.press("ArrowLeft")  # n = x1w1x2w2 + b: its first input
            first = page.evaluate(FOCUSED)["text"]
            page.keyboard.press("ArrowDown")  # its sibling, b
            assert page.evaluate(FOCUSED)["text"].startswith("b: a number, an input"), first
            page.keyboard.press("ArrowDown")
            assert "last of 2 inputs" in view.locator("[role=status]").inner_text()
            page.keyboard.press("Escape")
        views.first.screenshot(path=str(ARTIFACTS / "a11y-graphview.png"))
