"""Regenerate the pictures in docs/ that the README shows, with the project's own code.

- docs/moons.png: the demo's decision boundary (`python -m tensorgrad.demo`);
- docs/neuron.svg: `draw_dot` of the README's Neuron example, after backward;
- docs/stepper.png: the backward stepper on a small layer at its bias step, the real widget served by
  Voila and shown by headless Chromium (1400x1000).

Usage: `python scripts/make_readme_images.py` (needs the test extra, Graphviz's dot for neuron.svg, and Chromium).
"""
import pathlib
import random

from tensorgrad import Value, nn
from tensorgrad.demo import main as demo
from tensorgrad.viz import draw_dot

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


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
    import re
    import sys
    sys.path.insert(0, str(DOCS.parent / "tests"))
    from browser_support import graph_page
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

if __name__ == "__main__":
    DOCS.mkdir(exist_ok=True)
    demo(["--out", str(DOCS / "moons.png")])
    neuron_svg()
    stepper_png()
    print("wrote", ", ".join(sorted(p.name for p in DOCS.iterdir())))
