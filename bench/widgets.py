"""widgets: what the teaching tools cost — a backward-stepper step, and a live plot during training.

The stepper is timed on a ~300-node graph (60 blocks of tanh(x * w + b) on (2, 2) tensors): the model's
step alone; a step of the widget view on the Python side (model, the small JSON state message for the
browser, the explanation panel) and the bytes that message takes; and, in full runs, the same stepper
served by Voila in headless Chromium: the front end's time to patch the SVG it laid out once, and the
whole press-to-picture time with the kernel round trip (performance.now() in the page).
The live plot is timed as `fit` with and without it on the classroom workload, run by run interleaved.
"""
import importlib
import json
import statistics

import numpy as np

from .harness import Contender, Section, compare, median_ratio, seconds, spread, time_text, timed

BLOCKS = 60
STEPPER_TARGET = 0.050
LIVE_PLOT_TARGET, LIVE_PLOT_TARGET_STEPS, FRAME_TARGET = 0.05, 1000, 0.015  # overhead on a 1,000-step run; one frame
LIVE_PLOT_STEPS = (100, 1000)


def available(module):
    """The module, or None with the reason, when it (or what it imports) cannot be imported."""
    try:
        return importlib.import_module(module), ""
    except ImportError as error:
        return None, str(error)


def stepper_graph():
    from tensorgrad import Value
    rng = np.random.default_rng(1337)
    x = Value(rng.standard_normal((2, 2)), label="x")
    for i in range(BLOCKS):
        w = Value(rng.standard_normal((2, 2)), label=f"w{i}")
        b = Value(rng.standard_normal(2), label=f"b{i}")
        x = (x * w + b).tanh()
    return x.sum()


def stepper_section(quick):
    module, why = available("tensorgrad.widgets.stepper")
    section = Section("widgets: backward stepper, time per step", ["what", "per step: median (min-max)", "steps timed"])
    if module is None:
        section.notes.append(f"stepper: not available ({why})")
        return section
    from tensorgrad.viz import trace
    root = stepper_graph()
    model = module.Stepper(root)
    times = timed(model.next, model.num_steps)
    section.rows.append(["Stepper model alone (next)", spread(times), str(len(times))])
    section.notes.append(f"graph: {len(trace(root)[0])} nodes, {model.num_steps} backward steps")
    try:
        view = module.BackwardStepper(root)
    except ImportError as error:  # no ipywidgets / anywidget
        section.notes.append(f"stepper view: not available ({error})")
        return section
    sent = []
    view.graph.send = lambda message: sent.append(len(json.dumps(message)))  # what the browser would receive
    view_times = timed(view.next, 15 if quick else model.num_steps)
    section.rows.append(["BackwardStepper view, Python side (next: model, state message, panel)", spread(view_times),
                         str(len(view_times))])
    section.rows.append(["bytes sent to the browser per step (JSON state message)",
                         f"{statistics.median(sent):.0f} B ({min(sent)}-{max(sent)} B)", str(len(sent))])
    median = statistics.median(view_times)
    section.target("stepper", f"< {seconds(STEPPER_TARGET)} per step (Python side)", seconds(median),
                   median < STEPPER_TARGET)
    if quick:
        section.notes.append("in-browser time per step: measured in full runs only (Voila + headless Chromium)")
    else:
        _browser_rows(section)
    return section


BROWSER_STEP = """async () => {  // press next; resolve when the graph shows the new current node
    const root = document.querySelector('.tensorgrad-stepper');
    const graph = root.querySelector('.tg-graphview');
    const before = graph.querySelector('[data-node].tg-current')?.dataset.node;
    const began = performance.now();
    [...root.querySelectorAll('button')].find(b => b.textContent === 'next').click();
    await new Promise(resolve => { const check = () => {
        const now = graph.querySelector('[data-node].tg-current')?.dataset.node;
        if (now && now !== before) resolve(); else requestAnimationFrame(check); }; check(); });
    return [performance.now() - began, parseFloat(graph.dataset.patchMs)];
}"""


def _browser_rows(section, steps=25):
    """The stepper on the same graph in Voila (no dot) under headless Chromium, timed with performance.now()."""
    import pathlib
    import shutil
    import sys
    try:
        import nbformat  # noqa: F401  (graph_page writes a notebook)
        import playwright.sync_api  # noqa: F401
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
        from browser_support import graph_page
    except ImportError as error:
        section.notes.append(f"in-browser time: not measured ({error})")
        return
    if not shutil.which("chromium"):
        section.notes.append("in-browser time: not measured (no chromium)")
        return
    code = "from bench.widgets import stepper_graph\nfrom tensorgrad.widgets import BackwardStepper\nBackwardStepper(stepper_graph())"
    with graph_page(code) as page:
        timed = [page.evaluate(BROWSER_STEP) for _ in range(steps)]
    round_trip, patch = [t / 1000 for t, _ in timed], [p / 1000 for _, p in timed]
    section.rows.append(["in the browser: state message -> SVG patched and node in view (performance.now())",
                         spread(patch), str(len(patch))])
    section.rows.append(["in the browser: press next -> new node shown, kernel round trip included",
                         spread(round_trip), str(len(round_trip))])
    section.target("stepper in the browser", "<= 30 ms per step (front end)", seconds(statistics.median(patch)),
                   statistics.median(patch) <= 0.030)


def live_plot_section(quick):
    section = Section("widgets: live training plot overhead (fit on the classroom workload)",
                      ["steps", "fit alone", "fit + live plot", "overhead (pair by pair, min-max)", "frames drawn"])
    module, why = available("tensorgrad.widgets.training")
    if module is None:
        section.notes.append(f"live plot: not available ({why})")
        return section
    if available("ipywidgets")[0] is not None:
        name, new_plot = "LivePlot(show=False)", lambda: module.LivePlot(show=False)  # off a kernel: not displayed
    else:
        name, new_plot = "TrainingPlot (no ipywidgets)", module.TrainingPlot
    plots = []
    for steps in LIVE_PLOT_STEPS[:1] if quick else LIVE_PLOT_STEPS:
        contenders = [Contender("fit alone", lambda steps=steps: _fit(steps, [])),
                      Contender("fit + live plot", lambda steps=steps: _fit(steps, [new_plot()], plots))]
        timings = compare(contenders, repeats=2 if quick else 5)
        ratios = timings[1].ratios
        overhead = median_ratio(timings, "fit + live plot") - 1
        section.rows.append([str(steps), time_text(timings[0]), time_text(timings[1]),
                             f"{overhead:+.1%} ({min(ratios) - 1:+.1%} to {max(ratios) - 1:+.1%})",
                             str(plots[-1].frames)])
        if steps == LIVE_PLOT_TARGET_STEPS:
            section.target(f"live plot, {steps} steps", f"overhead <= {LIVE_PLOT_TARGET:.0%}", f"{overhead:+.1%}",
                           overhead <= LIVE_PLOT_TARGET)
    first = plots[-1].seconds_drawing / plots[-1].frames
    frame = statistics.median(timed(plots[-1].draw, 3 if quick else 15))  # a frame as a long run draws it
    section.target("live plot frame", f"<= {seconds(FRAME_TARGET)} at the default resolution", seconds(frame),
                   frame <= FRAME_TARGET)
    section.notes.append(f"the plot: {name} with its defaults; the final frame always draws; a run's first frame "
                         f"(a full draw of the figure) took {seconds(first)}, later frames {seconds(frame)} (median)")
    return section


def _fit(steps, callbacks, plots=None):
    """A fresh classroom model and optimiser; returns the callable that trains it with `fit`.

    The callbacks are also appended to `plots`, so their frame counts can be read afterwards.
    """
    from tensorgrad import optim
    from tensorgrad.train import fit

    from .classroom import ALPHA, demo_setup, tensorgrad_model
    X, y, params = demo_setup()
    model = tensorgrad_model(params)
    optimizer = optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / steps)
    if plots is not None:
        plots.extend(callbacks)
    return lambda: fit(model, X, y, loss="svm", optimizer=optimizer, steps=steps, l2=ALPHA, callbacks=callbacks)


def run(quick=False):
    return [stepper_section(quick), live_plot_section(quick)]
