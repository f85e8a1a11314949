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

COUNT_MOUSE = """() => { window.__mouse = 0;  // presses, and clicks a pointer made (a key's click has detail 0)
    for (const kind of ["mousedown", "pointerdown", "click"])
        window.addEventListener(kind, e => { if (kind !== "click" || e.detail !== 0) window.__mouse++; }, true); }"""
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


def walk_to_a_leaf_and_back(page, st):
    """With the focus on the stepper's graph: Enter walks from the current step's node, ArrowLeft through inputs
    to a leaf (said, and outlined in the picture), ArrowRight back the way it came."""
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
        walk_to_a_leaf_and_back(page, st)
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
            summary = view.locator(".tg-summary").inner_text()
            assert summary.startswith("A computation graph of 10 values and 5 operations")
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


SETTLED_VIEW = """async (cell) => {  // the stage's transform once the next two frames have been drawn
    const node = document.querySelector(`[data-test-cell="${cell}"] .tg-graphview[data-drawn] .tg-stage`);
    if (!node) return null;
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return node.style.transform; }"""


@pytest.mark.parametrize("windowing", ["contentVisibility", "full"])
def test_jupyterlab_first_view_out_of_sight_and_first_click_count(page, tmp_path, windowing):
    """After Run All, the batched-MLP stepper (far above the last cell) scrolled to, not made active: its first view
    equals the one it gets drawn in sight, and the first click on next steps it (it did not when the cell was not
    the active one: JupyterLab scrolled between press and release). In JupyterLab's default windowing (off-screen
    cells skip layout) and in its full windowing (off-screen cells are not even in the page)."""
    import shutil
    from browser_support import jupyterlab
    from test_browser import ACTIVE_CELL, run_notebook_in
    pytest.importorskip("jupyterlab")
    name = "03_stepping_through_backward.ipynb"
    shutil.copy(ROOT / "notebooks" / name, tmp_path)
    with jupyterlab(tmp_path, settings={"@jupyterlab/notebook-extension:tracker": {"windowingMode": windowing}}) as base:
        assert run_notebook_in(page, base, "/lab/tree/" + name)["errors"] == []
        assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode") \
            == windowing
        cell = page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
            const cells = nb.widgets.map((c, i) => [c, i]).filter(([c]) => c.model.type === 'code'
                && JSON.stringify(c.model.outputs.toJSON()).includes('BackwardStepper'));
            const [c, i] = cells[cells.length - 1];
            nb.scrollToItem(i, 'start');  // scrolled to, as with the wheel: not made the active cell
            return i; }""")
        page.wait_for_function(f"""() => {{ const c = window.jupyterapp.shell.currentWidget.content.widgets[{cell}];
            c.node.dataset.testCell = "{cell}"; return c.node.querySelector('.tg-graphview[data-drawn]'); }}""")
        first_view = page.evaluate(SETTLED_VIEW, cell)
        st = page.locator(f"[data-test-cell='{cell}'] .tensorgrad-stepper")
        active = page.evaluate(ACTIVE_CELL)
        assert active != cell
        st.get_by_role("button", name="next").click()
        wait_live(st, 1)
        assert page.evaluate(ACTIVE_CELL) == active  # a press in the stepper leaves the notebook's active cell be

        page.evaluate(f"""() => {{ const nb = window.jupyterapp.shell.currentWidget.content;
            nb.activeCellIndex = {cell}; window.jupyterapp.commands.execute('notebook:run-cell'); }}""")
        page.wait_for_function(f"""() => {{ const c = window.jupyterapp.shell.currentWidget.content.widgets[{cell}];
            c.node.dataset.testCell = "{cell}"; const s = c.node.querySelector('.tensorgrad-stepper [role=status]');
            return s && s.textContent.startsWith('Step 0 of')
                && c.node.querySelector('.tg-graphview[data-drawn]'); }}""")
        assert page.evaluate(SETTLED_VIEW, cell) == first_view  # drawn in sight: the same view
        st.screenshot(path=str(ARTIFACTS / "a11y-stepper-jupyterlab.png"))


NOTEBOOK_MODE = """() => { const nb = window.jupyterapp.shell.currentWidget.content;
    return {active: nb.activeCellIndex, mode: nb.mode}; }"""


def test_stepper_in_jupyterlab_by_keys_alone_and_jupyterlab_keeps_its_hands_off(page, tmp_path):
    """Notebook 3 in JupyterLab: keys step the stepper and walk its graph, and none of them is taken by JupyterLab's
    own command-mode shortcuts (Enter: edit the cell; arrows: another cell) while the focus is in the widget.

    The focus is put on the stepper's first button by the test (JupyterLab's way there by Tab crosses each cell's
    editor, where Tab indents); from there on only keys are pressed and no mouse event reaches the page."""
    import shutil
    from browser_support import first_stepper, jupyterlab
    from test_browser import run_notebook_in
    pytest.importorskip("jupyterlab")
    name = "03_stepping_through_backward.ipynb"
    shutil.copy(ROOT / "notebooks" / name, tmp_path)
    with jupyterlab(tmp_path) as base:
        assert run_notebook_in(page, base, "/lab/tree/" + name)["errors"] == []
        st = first_stepper(page)  # its cell made the active one, in command mode
        before = page.evaluate(NOTEBOOK_MODE)
        assert before["mode"] == "command" and live_text(st).startswith("Step 0 of 25")
        page.evaluate(COUNT_MOUSE)
        st.get_by_role("button", name="first").focus()
        tab_to(page, "e => e.closest('.tensorgrad-stepper') && e.textContent.trim() === 'next'", most=5)
        for k in (1, 2):
            page.keyboard.press("Enter")
            wait_live(st, k)
        assert page.evaluate(NOTEBOOK_MODE) == before  # Enter stepped: it did not open the cell's editor
        tab_to(page, "e => e.classList.contains('tg-graphview')", most=15)
        page.keyboard.press("ArrowRight")
        wait_live(st, 3)
        walk_to_a_leaf_and_back(page, st)
        page.keyboard.press("ArrowDown")  # among siblings, then out of the walk
        page.keyboard.press("Escape")
        assert page.evaluate("() => document.activeElement.classList.contains('tg-graphview')")
        page.keyboard.press("ArrowLeft")  # out of the walk the arrows step again
        wait_live(st, 2)
        assert page.evaluate(NOTEBOOK_MODE) == before  # no arrow moved JupyterLab to another cell
        assert page.evaluate("() => window.__mouse") == 0
        page.screenshot(path=str(ARTIFACTS / "a11y-stepper-jupyterlab-keys.png"))
