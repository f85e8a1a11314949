"""The training studio as a student meets it (notebook 9 served by Voila, driven in headless Chromium),
and the playground's layout seen the same way."""
import re

from browser_support import voila
from test_browser import NOTEBOOKS, browser, page  # noqa: F401  (the shared Chromium and page fixtures)

EMPTY_CORNER = (0.04, 0.16)  # fractions of the picture: the boundary's top left, where moons has no point


def status(studio):
    """(step, points) as the status line says them."""
    text = studio.locator(".tensorgrad-studio-status").inner_text()
    return int(re.search(r"step (\d+)", text).group(1)), int(re.search(r"(\d+) points", text).group(1))


def wait_for_status(page, pattern):
    page.locator(".tensorgrad-studio-status", has_text=re.compile(pattern)).first.wait_for()


def resume_until(page, studio, k):
    """Resume, wait for step k, pause again."""
    studio.get_by_role("button", name="Resume").click()
    page.wait_for_function("k => { const m = /step (\\d+)/.exec(document.querySelector("
                           "'.tensorgrad-studio-status').innerText); return m && +m[1] >= k; }", arg=k)
    studio.get_by_role("button", name="Pause").click()
    wait_for_status(page, "paused")


def click_picture(picture, where, **options):
    box = picture.bounding_box()
    picture.click(position={"x": where[0] * box["width"], "y": where[1] * box["height"]}, **options)


def boundary_pixels(page, picture):
    """A screenshot of the decision-boundary part of the picture (its left axes), as PNG bytes."""
    box = picture.bounding_box()
    return page.screenshot(clip={"x": box["x"] + 0.03 * box["width"], "y": box["y"] + 0.14 * box["height"],
                                 "width": 0.26 * box["width"], "height": 0.72 * box["height"]})


def test_studio_pause_step_resume_and_edit_in_voila(page):
    with voila(NOTEBOOKS / "09_training_studio.ipynb") as base:
        page.goto(base + "/")
        studio = page.locator(".tensorgrad-studio").first
        picture = studio.locator(".tensorgrad-studio-boundary img")
        picture.wait_for(state="visible")
        assert status(studio) == (0, 100)

        # pause: the stepper opens on that step's graph at step 0, and next steps through it
        studio.get_by_role("button", name="Train").click()
        wait_for_status(page, r"step [1-9]\d* .*training")
        live = studio.locator(".tensorgrad-studio-graph svg").first  # the batch's graph, drawn while it trains
        live.wait_for()
        numbers = live.evaluate("svg => { svg.dataset.mark = 'first'; return svg.textContent; }")
        page.wait_for_function("text => document.querySelector('.tensorgrad-studio-graph svg').textContent !== text",
                               arg=numbers)  # the next frame's numbers...
        assert live.get_attribute("data-mark") == "first"  # ...written into the same drawing, not laid out anew
        studio.get_by_role("button", name="Pause").click()
        panel = studio.locator(".tensorgrad-stepper-panel")
        panel.filter(has_text=re.compile(r"Step 0 of \d+")).wait_for()
        paused_at, _ = status(studio)
        assert 0 < paused_at < 1000 and "paused" in studio.locator(".tensorgrad-studio-status").inner_text()
        assert f"the backward pass of step {paused_at}," in studio.inner_text()
        studio.locator(".tensorgrad-stepper-graph [data-node]").first.wait_for()
        studio.locator(".tensorgrad-stepper").get_by_role("button", name="next").click()
        panel.filter(has_text="Step 1 of").wait_for()
        assert studio.locator(".tensorgrad-stepper-graph [data-node].tg-current").count() == 1

        # resume: the counter grows past the paused step; pause again to edit
        resume_until(page, studio, paused_at + 20)

        # a click in empty space adds a point; more training moves the boundary
        drawn = picture.get_attribute("src")
        click_picture(picture, EMPTY_CORNER)
        wait_for_status(page, "101 points")
        page.wait_for_function("src => document.querySelector('.tensorgrad-studio-boundary img').src !== src",
                               arg=drawn)
        before = boundary_pixels(page, picture)
        edited_at, _ = status(studio)
        resume_until(page, studio, edited_at + 50)
        page.wait_for_timeout(500)  # the last frame reaches the page
        assert boundary_pixels(page, picture) != before

        # a click on a point (the one just added) opens the stepper on that sample's loss
        click_picture(picture, EMPTY_CORNER)
        studio.get_by_text("the loss of sample 100,").wait_for()
        panel.filter(has_text=re.compile(r"Step 0 of \d+")).wait_for()
        assert status(studio)[1] == 101
        click_picture(picture, EMPTY_CORNER, button="right")  # right-click removes it
        wait_for_status(page, "100 points")


def test_playground_first_layer_panels_keep_their_shape_in_voila(page):
    """Beside the taller controls, the first-layer picture used to be stretched to their height."""
    with voila(NOTEBOOKS / "07_playground.ipynb") as base:
        page.goto(base + "/")
        neurons = page.locator(".tensorgrad-playground-neurons img").first
        neurons.wait_for(state="visible")
        page.wait_for_function("() => document.querySelector('.tensorgrad-playground-neurons img').naturalWidth > 0")
        natural = neurons.evaluate("img => img.naturalWidth / img.naturalHeight")
        box = neurons.bounding_box()
        assert abs(box["width"] / box["height"] - natural) < 0.03 * natural
