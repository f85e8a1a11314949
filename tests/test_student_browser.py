"""Notebook 10 served by Voila: the stepper walks the student's own engine (with a slipped tanh) in Chromium."""
import re

from browser_support import ARTIFACTS, voila
from test_browser import NOTEBOOKS, browser, page  # noqa: F401  (the shared Chromium and page fixtures)


def test_the_stepper_walks_a_students_engine_with_a_slip(page):
    page.set_viewport_size({"width": 1280, "height": 800})
    with voila(NOTEBOOKS / "10_write_micrograd_yourself.ipynb") as base:
        page.goto(base + "/")
        slip = page.locator(".tensorgrad-stepper").nth(1)  # report.stepper(), after the neuron's own stepper
        slip.locator(".tg-graphview[data-drawn]").wait_for()
        panel = slip.locator(".tensorgrad-stepper-panel")
        panel.filter(has_text="Step 1 of 5").wait_for()  # opened right after the slipped node's step
        slip.scroll_into_view_if_needed()
        text = panel.inner_text()
        assert "your _backward of tanh producing 'o'" in text and "out.grad when it ran: 1" in text
        row = re.search(r"'n'\s+(\S+)\s+(\S+)\s+(\S+)", text)  # n's grad before, after, and what the slip added
        assert row and float(row[1]) == 0 and float(row[2]) == float(row[3]) != 0, text
        current = slip.locator("[data-node].tg-current")
        assert current.count() == 1 and "o" in current.text_content()
        page.screenshot(path=str(ARTIFACTS / "student-stepper-step1.png"))

        for k in range(2, 6):  # the student's + and * closures, in their backward's order
            slip.get_by_role("button", name="next").click()
            panel.filter(has_text=f"Step {k} of 5").wait_for()
            assert "your _backward of" in panel.inner_text()
            if k == 3:
                page.screenshot(path=str(ARTIFACTS / "student-stepper-step3.png"))
        assert slip.locator("text", has_text="pending").count() == 0  # every node reached

        x1 = slip.locator("[data-node]").filter(has=page.locator("text", has_text=re.compile(r"^x1$")))
        x1.click()
        slip.locator(".tensorgrad-stepper-panel .tg-contributions li").first.wait_for()
        assert "Selected: x1" in panel.inner_text() and "1 contribution so far" in panel.inner_text()
        page.screenshot(path=str(ARTIFACTS / "student-stepper-last.png"))

        slip.get_by_role("button", name="first").click()
        panel.filter(has_text="Step 0 of 5").wait_for()
        assert slip.locator("text", has_text="pending").count() > 0
