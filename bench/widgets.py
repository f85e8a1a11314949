"""widgets: what the teaching tools cost — a backward-stepper step, and a live plot during training.

The stepper is timed on a ~300-node graph (60 blocks of tanh(x * w + b) on (2, 2) tensors): the model's
step alone, and a step of the ipywidgets view, which redraws the graph (draw_dot, Graphviz's `dot` to
SVG) and the explanation panel — what a student waits for after pressing "next".
The live plot is timed as `fit` with and without it on the classroom workload, run by run interleaved.
"""
import importlib
import statistics
import time

import numpy as np

from .harness import Contender, Section, compare, median_ratio, seconds, time_text

BLOCKS = 60
STEPPER_TARGET, LIVE_PLOT_TARGET = 0.050, 0.10
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


def _per_step(stepper, count):
    times = []
    for _ in range(count):
        began = time.perf_counter()
        stepper.next()
        times.append(time.perf_counter() - began)
    return times


def _spread(times):
    return f"{seconds(statistics.median(times))} ({seconds(min(times))}-{seconds(max(times))})"


def stepper_section(quick):
    module, why = available("tensorgrad.widgets.stepper")
    section = Section("widgets: backward stepper, time per step", ["what", "per step: median (min-max)", "steps timed"])
    if module is None:
        section.notes.append(f"stepper: not available ({why})")
        return section
    from tensorgrad.viz import trace
    root = stepper_graph()
    model = module.Stepper(root)
    times = _per_step(model, model.num_steps)
    section.rows.append(["Stepper model alone (next)", _spread(times), str(len(times))])
    section.notes.append(f"graph: {len(trace(root)[0])} nodes, {model.num_steps} backward steps")
    try:
        view = module.BackwardStepper(root)
        view_times = _per_step(view, 3 if quick else 15)
    except (ImportError, RuntimeError) as error:  # no ipywidgets / graphviz / `dot`
        section.notes.append(f"stepper view: not available ({error})")
        return section
    section.rows.append(["BackwardStepper view (next: model, SVG restyled, panel)", _spread(view_times),
                         str(len(view_times))])
    median = statistics.median(view_times)
    section.target("stepper", f"< {seconds(STEPPER_TARGET)} per step, re-render included", seconds(median),
                   median < STEPPER_TARGET)
    section.notes.append(_render_breakdown(root, model))
    return section


def _render_breakdown(root, model):
    """Where a view's time goes: the one Graphviz layout when it opens, then per step the SVG and the panel."""
    from tensorgrad.viz import SteppingDrawing
    from tensorgrad.widgets.stepper import explain
    began = time.perf_counter()
    drawing = SteppingDrawing(root)
    laid_out = time.perf_counter()
    drawing.svg(highlight={model.current.node}, computed=model.computed)
    restyled = time.perf_counter()
    explain(model)
    done = time.perf_counter()
    return (f"opening the view: one layout {seconds(laid_out - began)}; each step: SVG restyled "
            f"{seconds(restyled - laid_out)}, explain panel {seconds(done - restyled)}")


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
        section.target(f"live plot, {steps} steps", f"overhead < {LIVE_PLOT_TARGET:.0%}", f"{overhead:+.1%}",
                       overhead < LIVE_PLOT_TARGET)
    section.notes.append(f"the plot: {name} with its defaults; a frame costs "
                         f"about {seconds(plots[-1].seconds_drawing / plots[-1].frames)}, and the final frame always draws")
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
