"""Regenerate the pictures in docs/ that the README shows, with the project's own code.

- docs/moons.png: the demo's decision boundary (`python -m tensorgrad.demo`);
- docs/neuron.svg: `draw_dot` of the README's Neuron example, after backward;
- docs/stepper.png: the backward stepper on a small layer at its bias step, the real widget served by
  Voila and shown by headless Chromium (1400x1000);
- docs/studio.png: the training studio on moons, paused mid-run with that step's backward pass open,
  the real widget driven by its buttons in Voila and headless Chromium (1400x1000).

Usage: `python scripts/make_readme_images.py` (needs the test extra, Graphviz's dot for neuron.svg, and Chromium).
"""
import pathlib
import random
import re
import sys

from tensorgrad import Value, nn
from tensorgrad.demo import main as demo
from tensorgrad.viz import draw_dot

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS.parent / "tests"))
from browser_support import graph_page  # noqa: E402  (the tests' Voila + Chromium harness)


def neuron_svg():
    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0, label="x1"), Value(-2.0, label="x2")]
    y = n(x)
    y.label = "y"
    y.backward()
    (DOCS / "neuron.svg").write_bytes(draw_dot(y).pipe(format="svg"))


STEPPER_CODE = """\
from tensorgrad import Value
from tensorgrad.widgets import BackwardStepper
x = Value([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]], label="x", requires_grad=False)
w = Value([[0.5, -1.0], [0.25, 0.5], [-0.5, 1.0]], label="w")
b = Value([0.1, -0.2], label="b")
loss = (x @ w + b).tanh().sum()
loss.label = "loss"
BackwardStepper(loss, rankdir="TB", height=480)
"""


def stepper_png():
    """The real widget served by Voila (no dot on its PATH), three steps in, with the bias node clicked."""
    with graph_page(STEPPER_CODE) as page:
        stepper = page.locator(".tensorgrad-stepper")
        for k in (1, 2, 3):  # step 3: the bias, whose broadcast is undone by a sum over the batch axis
            stepper.get_by_role("button", name="next").click()
            stepper.locator(".tensorgrad-stepper-panel", has_text=f"Step {k} of").wait_for()
        bias = stepper.locator("[data-node]").filter(has=page.locator("text", has_text=re.compile(r"^b$")))
        bias.click()
        stepper.locator(".tg-contributions").wait_for()
        page.mouse.move(0, 0)  # no tooltip in the picture
        page.wait_for_timeout(500)  # let the panel's new content paint
        stepper.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=str(DOCS / "stepper.png"))  # 1400x1000, what a student's window shows

STUDIO_CODE = """\
import random
from tensorgrad import datasets
from tensorgrad.nn import MLP
from tensorgrad.optim import Adam
from tensorgrad.widgets import TrainingStudio
X, y = datasets.moons(100, noise=0.1, seed=1337)
random.seed(1337)
net = MLP(2, [16, 16, 1])
studio = TrainingStudio(net, X, y, loss="svm", optimizer=Adam(net.parameters(), lr=0.002), steps=400, pace=100)
studio.step()  # a first step, so that a graph is on the page when it opens
studio
"""


def studio_png():
    """The studio trained by its Train button, paused mid-run, its stepper a few steps into the backward pass."""
    with graph_page(STUDIO_CODE) as page:
        studio = page.locator(".tensorgrad-studio")
        studio.get_by_text("first-layer zero lines").click()
        studio.get_by_role("button", name="Train").click()
        page.wait_for_function("() => /step (\\d+)/.exec(document.querySelector('.tensorgrad-studio-status')"
                               ".innerText)[1] >= 150")
        studio.get_by_role("button", name="Pause").click()
        panel = studio.locator(".tensorgrad-stepper-panel")
        panel.filter(has_text="Step 0 of").wait_for()
        for k in range(1, 6):
            studio.locator(".tensorgrad-stepper").get_by_role("button", name="next").click()
            panel.filter(has_text=f"Step {k} of").wait_for()
        page.mouse.move(0, 0)  # no tooltip in the picture
        page.wait_for_timeout(800)  # the last frame and the panel paint
        studio.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=str(DOCS / "studio.png"))


if __name__ == "__main__":
    DOCS.mkdir(exist_ok=True)
    demo(["--out", str(DOCS / "moons.png")])
    neuron_svg()
    stepper_png()
    studio_png()
    print("wrote", ", ".join(sorted(p.name for p in DOCS.iterdir())))
