"""Regenerate the pictures in docs/ that the README shows, with the project's own code.

- docs/moons.png: the demo's decision boundary (`python -m tensorgrad.demo`);
- docs/neuron.svg: `draw_dot` of the README's Neuron example, after backward;
- docs/stepper.png: the backward stepper on a small layer at its bias step, as Chromium shows it.

Usage: `python scripts/make_readme_images.py` (needs the test extra, Graphviz's dot and Chromium).
"""
import pathlib
import random
import shutil
import tempfile

from tensorgrad import Value, nn
from tensorgrad.demo import main as demo
from tensorgrad.viz import draw_dot
from tensorgrad.widgets.stepper import Stepper, explain

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def neuron_svg():
    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0, label="x1"), Value(-2.0, label="x2")]
    y = n(x)
    y.label = "y"
    y.backward()
    (DOCS / "neuron.svg").write_bytes(draw_dot(y).pipe(format="svg"))


def stepper_png():
    from playwright.sync_api import sync_playwright
    from tensorgrad.viz import SteppingDrawing
    x = Value([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]], label="x", requires_grad=False)
    w = Value([[0.5, -1.0], [0.25, 0.5], [-0.5, 1.0]], label="w")
    b = Value([0.1, -0.2], label="b")
    g = (x @ w + b).tanh().sum()
    g.label = "loss"
    stepper = Stepper(g)
    stepper.goto(3)  # the bias step: broadcasting undone by a sum over the batch axis
    current = stepper.current.node
    drawing = SteppingDrawing(g, "TB").svg(highlight={current}, computed=stepper.computed)  # as the widget shows it
    page_html = (f"<html><head><style>svg {{max-width: 900px; height: auto}}</style></head><body style='font-family:sans-serif;margin:8px;width:900px'>"
                 f"<div style='width:900px'>{drawing}</div>"
                 f"<div style='font-size:13px'>{explain(stepper)}</div></body></html>")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = pathlib.Path(tmp) / "stepper.html"
        page_file.write_text(page_html)
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 920, "height": 400})
        page.goto(page_file.as_uri())
        page.screenshot(path=str(DOCS / "stepper.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    DOCS.mkdir(exist_ok=True)
    demo(["--out", str(DOCS / "moons.png")])
    neuron_svg()
    stepper_png()
    print("wrote", ", ".join(sorted(p.name for p in DOCS.iterdir())))
