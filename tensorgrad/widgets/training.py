"""Live training plots: the decision boundary, loss and accuracy, redrawn in place while a model trains.

`TrainingPlot` is the model (plain Python and matplotlib): it records every step, decides when a
redraw is worth its cost (every `every`-th step, at most once per `min_interval` seconds, and always
the final step), and renders one reused Agg `Figure` into PNG bytes. A redraw costs tens of
milliseconds, so drawing every step would slow a small net's training several times over.
`LivePlot` is its thin ipywidgets view: an `Image` whose `.value` is replaced by each new PNG (kernel-side
state, so nothing piles up under nbval or in plain pytest) and a Stop button. Headless (scripts, CI,
stored notebooks) the final frame is `plot.finish()`, `plot.save(path)` or `plot.show_final()`.

What a picture cannot say to a screen reader, the plot says in words, written from its data (not
from the picture): `describe_boundary` (the dataset, the accuracy, which class the model predicts
where, from its predictions on the picture's grid) is the picture's alt text, `describe_curves` (the
loss and accuracy, first, last and best) its summary, `describe_colours` its legend. Each frame
renews `alt`, `summary` and `legend`. Points are told apart by shape as well as colour.

Both are `fit` callbacks and work in a hand-written loop:

    plot = LivePlot(model, X, y, steps=100)
    for k in range(1, 101):
        ...  # forward, backward, update
        if plot.update(k, loss, acc):  # True once Stop was pressed
            break
"""
import asyncio
import contextlib
import functools
import html
import math
import sys
import threading
import time
from collections import deque

import numpy as np

from ..engine import Value
from .._deps import require
from .drawing import CLASS_COLOURS, CLASSES_CMAP, Boundary, Frames, grid_over, nice_ceiling, zero_line_segments

FRAMES = 25  # frames per run when `every` is chosen automatically
AREAS = (("bottom left", "bottom", "bottom right"), ("left", "centre", "right"), ("top left", "top", "top right"))
OWNED = 0.8  # a ninth of the picture belongs to a class when the model predicts it on this share of the ninth
MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*", "h", "p")  # point shapes by class index
COLOUR_NAMES = {"RdBu": ("red", "blue"),  # the boundary's colour maps, in the order of the class index
                CLASSES_CMAP: tuple(name for name, _ in CLASS_COLOURS)}
SHAPE_NAMES = ("circles", "triangles", "squares", "diamonds", "down triangles", "plus signs", "crosses", "stars",
               "hexagons", "pentagons")


def spoken(x):
    """A number as a screen reader should say it: 4 significant digits."""
    return f"{x:.4g}"


def _label(c):
    return f"{c:g}" if isinstance(c, float | int | np.number) else str(c)


def describe_boundary(predicted, X=None, y=None, *, accuracy=None, step=0, name="the data"):
    """In words, what the decision-boundary picture shows: the data, the accuracy, which class the model predicts
    in which part of the plane, and where the boundary runs.

    predicted: the class the model predicts at each point of the picture's grid, (rows, columns), row 0 at the
    bottom. The picture is cut into ninths (top left ... bottom right): a ninth where one class is predicted on
    at least 80% of it is that class's, the others are where the boundary runs.
    """
    predicted = np.asarray(predicted)
    when = f"after step {step}" if step else "before training"
    parts = [f"Decision boundary of {name} {when}"]
    if X is not None and y is not None and len(y):
        labels, counts = np.unique(np.asarray(y), return_counts=True)
        parts.append(f"{len(y)} points: " + ", ".join(f"{n} of class {_label(c)}" for c, n in zip(labels, counts)))
    if accuracy is not None and math.isfinite(accuracy):
        parts.append(f"accuracy {accuracy:.1%}")
    text = ", ".join(parts) + "."
    classes, counts = np.unique(predicted, return_counts=True)
    if len(classes) == 1:
        return text + f" The model predicts class {_label(classes[0])} everywhere: there is no boundary yet."
    rows, cols = (np.array_split(np.arange(n), 3) for n in predicted.shape)
    owner = {}
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ninth = predicted[np.ix_(r, c)]
            values, n = np.unique(ninth, return_counts=True)
            owner[AREAS[i][j]] = values[n.argmax()] if n.max() >= OWNED * ninth.size else None
    order = [area for row in reversed(AREAS) for area in row]  # read from the top left
    for c, n in sorted(zip(classes, counts), key=lambda cn: -cn[1]):
        regions = _regions(predicted == c)
        areas = [a for a in order if owner[a] is not None and owner[a] == c]
        where = f" covering the {_and(areas)}" if areas else ", most of no ninth of the picture"
        pieces = "one region" if regions == 1 else f"{regions} separate regions"
        text += f" Class {_label(c)} is predicted on {n / predicted.size:.0%} of the plane, in {pieces}{where}."
    mixed = [a for a in order if owner[a] is None]
    if mixed:
        text += f" The boundary runs through the {_and(mixed)}."
    return text


def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _regions(mask, smallest=0.01):
    """How many separate regions (4-connected, each at least `smallest` of the grid) `mask` has."""
    seen = np.zeros_like(mask, dtype=bool)
    rows, cols = mask.shape
    found = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        seen[start], stack, size = True, [start], 0
        while stack:
            i, j = stack.pop()
            size += 1
            for a, b in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if 0 <= a < rows and 0 <= b < cols and mask[a, b] and not seen[a, b]:
                    seen[a, b] = True
                    stack.append((a, b))
        found += size >= smallest * mask.size
    return max(found, 1)


def describe_curves(history):
    """The loss and accuracy curves in words: first, last and best value, each with its step."""
    steps = history["step"]
    if not steps:
        return "Loss and accuracy: no training steps yet."

    def curve(values, best, fmt):
        pairs = [(v, k) for v, k in zip(values, steps) if math.isfinite(v)]
        if not pairs:
            return None
        (first, k0), (last, k1), (top, kb) = pairs[0], pairs[-1], best(pairs)
        return f"first {fmt(first)} at step {k0}, last {fmt(last)} at step {k1}, best {fmt(top)} at step {kb}"
    loss = curve(history["loss"], lambda p: min(p, key=lambda vk: vk[0]), spoken)
    accuracy = curve(history["accuracy"], lambda p: max(p, key=lambda vk: vk[0]), lambda a: f"{a:.1%}")
    text = f"Loss: {loss}." if loss else "Loss: no finite value."
    return text + (f" Accuracy: {accuracy}." if accuracy else "")


def describe_progress(history, target=None):
    """The last step in a few words, for an announcement: "step 250 of 1000: loss 0.3, accuracy 88.5%"."""
    if not history["step"]:
        return "no training steps yet"
    k, loss, acc = history["step"][-1], history["loss"][-1], history["accuracy"][-1]
    text = f"step {k}" + (f" of {target}" if target else "") + f": loss {spoken(loss)}"
    return text + (f", accuracy {acc:.1%}" if math.isfinite(acc) else "")


def describe_colours(classes, cmap):
    """The boundary picture's legend in words: each class's colour (of `cmap`) and point shape."""
    names = COLOUR_NAMES.get(cmap, ())
    if cmap == "RdBu":  # one score: its sign picks the class, the lowest label red, the others blue
        names = ("red",) + ("blue",) * (len(classes) - 1)
    keys = [f"{names[i % len(names)] if names else 'colour ' + str(i)} shading and {SHAPE_NAMES[i % len(SHAPE_NAMES)]}:"
            f" class {_label(c)}" for i, c in enumerate(classes)]
    line = "the black line is the decision boundary."
    line = f"Deeper shading, a more confident prediction; {line}" if cmap == "RdBu" else line.capitalize()  # classes:
    return "Legend: " + "; ".join(keys) + ". " + line  # one flat shade each


def auto_every(steps, frames=FRAMES):
    """Draw every this many steps so that a run of `steps` steps shows about `frames` frames."""
    return max(1, math.ceil(steps / frames))


class TrainingPlot:
    """Records loss and accuracy per step and renders boundary, loss and accuracy into `png` now and then.

    model, X, y: the classifier and its 2-D training data (given here, or with each update / by `fit`).
    steps: the run's length if known (`fit` tells it); it sets the automatic `every` and the final step.
    every: draw every this many steps (default: about 25 frames per run, or every step when the
    length is unknown); min_interval: seconds between frames at least (the final frame always draws).
    zero_lines: also draw where each first-layer unit's input is zero (see `zero_line_segments`).
    frame: 2-D points the boundary picture is framed around (default: X at each frame); fixed points
    keep the picture still while points are added or removed.
    name: what the data is called in the descriptions ("moons"). `frames` counts the renders; `listeners`
    are called with the plot after each one; `alt`, `summary` and `legend` describe the last one in words.
    """

    def __init__(self, model=None, X=None, y=None, *, steps=None, every=None, min_interval=0.5, resolution=60,
                 figsize=(10.5, 3.3), dpi=72, zero_lines=False, frame=None, name="the data"):
        mpl_figure = require("matplotlib.figure", "demo")
        require("matplotlib.backends.backend_agg", "demo").FigureCanvasAgg(
            figure := mpl_figure.Figure(figsize=figsize, dpi=dpi))
        self.figure = figure
        # Drawing is the cost: a fixed layout, no ticks on the boundary, and captions as plain texts
        # (axes titles would be re-placed at every draw) make a frame several times cheaper.
        axes = figure.subplots(1, 3, width_ratios=[1, 1, 1])
        self.ax_boundary, self.ax_loss, self.ax_accuracy = axes
        self.ax_boundary.set_xticks([])
        self.ax_boundary.set_yticks([])
        self.captions = [ax.text(0.5, 1.03, "", transform=ax.transAxes, ha="center", fontsize=10) for ax in axes]
        for ax in axes[1:]:
            ax.tick_params(labelsize=8, pad=2)
            ax.locator_params(nbins=4)
            ax.grid(alpha=0.3)
        figure.subplots_adjust(left=0.01, right=0.99, bottom=0.09, top=0.9, wspace=0.16)
        (self._loss_line,) = self.ax_loss.plot([], [], color="tab:red")
        (self._accuracy_line,) = self.ax_accuracy.plot([], [], color="tab:green")
        self.ax_accuracy.set_ylim(-0.02, 1.02)
        self.boundary = Boundary(self.ax_boundary)
        self.frames_renderer = Frames(figure, [*self.boundary.artists, self._loss_line, self._accuracy_line,
                                               *self.captions])
        self.model, self.X, self.y = model, X, y
        self.steps, self.every, self.min_interval, self.resolution = steps, every, min_interval, resolution
        self.zero_lines, self.frame, self.name = zero_lines, frame, name
        self.listeners = []
        self.stop_requested = self.stopped = False
        self.clear()

    def clear(self):
        """Forget the recorded steps and frames (the figure is kept for reuse)."""
        self.history = {"step": [], "loss": [], "accuracy": []}
        self.frames, self.png, self.seconds_drawing = 0, None, 0.0
        self.alt = self.summary = self.legend = ""
        self._run_start, self._drawn_step = 0, None
        self._last_draw = time.perf_counter()  # the first frame waits min_interval too: quick runs draw once

    def stop(self):
        """Ask the training loop to stop after the current step (the Stop button calls this)."""
        self.stop_requested = True

    def __call__(self, state):
        """The `fit` callback. A new run (step 1) continues the curves after the steps recorded so far."""
        if state.step == 1:
            self._run_start = self.history["step"][-1] if self.history["step"] else 0
            self._last_draw = time.perf_counter()
        start = self._run_start
        if self.update(start + state.step, state.loss, state.accuracy, model=state.model, X=state.X, y=state.y,
                       steps=start + state.steps):
            state.stop = True

    def update(self, step, loss, accuracy=None, model=None, X=None, y=None, *, steps=None):
        """Record one step and redraw if due. Returns True when Stop was pressed: end training then.

        loss and accuracy may be numbers or 0-d Values; model, X, y, steps replace those given before.
        """
        self.model = model if model is not None else self.model
        self.X = np.asarray(X.data if isinstance(X, Value) else X) if X is not None else self.X
        self.y = np.asarray(y.data if isinstance(y, Value) else y) if y is not None else self.y
        self.steps = steps if steps is not None else self.steps
        self.history["step"].append(int(step))
        self.history["loss"].append(float(loss))
        self.history["accuracy"].append(math.nan if accuracy is None else float(accuracy))
        stopping, self.stop_requested = self.stop_requested, False
        self.stopped = stopping
        if stopping or self._due(step):
            self.draw()
        return stopping

    def _due(self, step):
        if self.steps is not None and step >= self.steps:
            return True
        every = self.every or (auto_every(self.steps - self._run_start) if self.steps is not None else 1)
        return (step - self._run_start) % every == 0 and time.perf_counter() - self._last_draw >= self.min_interval

    def finish(self):
        """Draw the last recorded step if it has not been drawn (training ended early or was interrupted)."""
        if self.png is None or (self.history["step"] and self._drawn_step != self.history["step"][-1]):
            self.draw()
        return self.png

    def draw(self):
        """Render the figure for the current model and curves into `png`, and tell the listeners."""
        began = time.perf_counter()
        self._draw_boundary()
        limits = self._draw_curves()
        self.png = self.frames_renderer.png((limits, self.ax_boundary.get_xlim(), self.ax_boundary.get_ylim()))
        self.frames += 1
        self._drawn_step = self.history["step"][-1] if self.history["step"] else None
        self.summary = describe_curves(self.history)
        self._last_draw = time.perf_counter()
        self.seconds_drawing += self._last_draw - began
        for listener in self.listeners:
            listener(self)

    def _draw_boundary(self):
        step = self.history["step"][-1] if self.history["step"] else 0
        if self.model is None or self.X is None:
            why = "no model and data given: only the curves are drawn"
        elif self.X.ndim != 2 or self.X.shape[1] != 2:
            why = (f"X has shape {self.X.shape}: only the curves are drawn\n"
                   "(a decision boundary needs data with 2 features)")
        else:
            frame = self.X if self.frame is None else self.frame
            self.boundary.draw(self.model, self.X, self.y, grid_over(frame, self.resolution))
            extent = (*self.ax_boundary.get_xlim(), *self.ax_boundary.get_ylim())
            self.boundary.extra.set_segments(zero_line_segments(self.model, extent) if self.zero_lines else [])
            self.captions[0].set_text(f"decision boundary, step {step}")
            self._describe_boundary(step)
            return
        self.boundary.hide(why)
        self.captions[0].set_text("")
        self.alt, self.legend = "No decision boundary: " + why.replace("\n", " "), ""

    def _describe_boundary(self, step):
        """Shape the points by class, and say in words what the picture shows (from the predictions it shades)."""
        shade, cmap = self.boundary.image.get_array(), self.boundary.image.get_cmap().name
        one_score = cmap == "RdBu"  # one score: its sign is the class; several: the shade is the class index
        labels = np.unique(self.y) if self.y is not None else np.array([0, 1])
        if one_score:
            classes = (labels.min(), labels.max()) if len(labels) > 1 else (0, 1)
            predicted = np.where(np.asarray(shade) > 0, classes[1], classes[0])
            index = None if self.y is None else (self.y > 0).astype(int)  # as the points are coloured
        else:
            classes = tuple(range(int(max(np.max(shade), np.max(labels) if len(labels) else 0)) + 1))
            predicted = np.asarray(shade).astype(int)
            index = None if self.y is None else np.asarray(self.y).astype(int)
        if index is not None:
            self.boundary.points.set_paths([_marker(MARKERS[i % len(MARKERS)]) for i in index.ravel()])
        accuracy = self.history["accuracy"][-1] if self.history["accuracy"] else None
        self.alt = describe_boundary(predicted, self.X, self.y, accuracy=accuracy, step=step, name=self.name)
        self.legend = describe_colours(classes, cmap)

    def _draw_curves(self):
        """Set the curves, on limits that move rarely (each move redraws the axes' text); returns them."""
        steps, loss, acc = self.history["step"], self.history["loss"], self.history["accuracy"]
        self._loss_line.set_data(steps, loss)
        self._accuracy_line.set_data(steps, acc)
        last = steps[-1] if steps else 1
        right = self.steps if self.steps and self.steps >= last else 2 ** math.ceil(math.log2(last))
        finite = [v for v in loss if math.isfinite(v)]
        top = nice_ceiling(max(max(finite, default=1.0), 1e-12))
        bottom = -nice_ceiling(-min(finite)) if finite and min(finite) < 0 else 0.0
        for ax in (self.ax_loss, self.ax_accuracy):
            ax.set_xlim(0, right)
        self.ax_loss.set_ylim(bottom, top)
        self.captions[1].set_text(f"loss {loss[-1]:.4f}" if loss else "loss")
        self.captions[2].set_text(f"accuracy {acc[-1]:.1%}" if acc and not math.isnan(acc[-1]) else "accuracy")
        return right, bottom, top

    def save(self, path):
        """Write the final frame to a PNG file (for scripts and CI)."""
        with open(path, "wb") as file:
            file.write(self.finish())

    def show_final(self):
        """Display the final frame as a static IPython Image: what a stored notebook keeps, stable under nbval."""
        display = require("IPython.display")
        display.display(display.Image(data=self.finish(), format="png"))


@functools.cache
def _marker(symbol):
    """A matplotlib marker as the unit path a scatter draws."""
    style = require("matplotlib.markers", "demo").MarkerStyle(symbol)
    return style.get_path().transformed(style.get_transform())


class LivePlot(TrainingPlot):
    """A `TrainingPlot` that shows itself in the notebook: a picture replaced at each frame, and a Stop button.

    Created in a notebook it displays itself (`show=False` to place `.widget` yourself), so
    `fit(..., callbacks=[LivePlot()])` just works. Stop is heard only while the kernel is free: run
    long training with `start(fit_iter(..., callbacks=[plot]))`, which trains in a background thread
    inside a kernel, or in slices on the event loop where there are no threads (interrupting the
    kernel also stops a plain `fit`). The picture's alt text, the curves' summary and the legend below
    it are the plot's descriptions; a live region says each quarter of the run and its end.
    """

    def __init__(self, model=None, X=None, y=None, *, show=True, **options):
        widgets = require("ipywidgets")
        from .access import Announcer, accessible
        from .clickimage import picture
        super().__init__(model, X, y, **options)
        self.image = picture(stretch=True)
        self.text = widgets.HTML()
        self.stop_button = widgets.Button(description="Stop", icon="stop", tooltip="stop after this step")
        self.stop_button.on_click(lambda _button: self.stop())
        self.announcer = Announcer()
        self.listeners.append(self._show)
        self.widget = accessible(widgets.VBox([self.stop_button, self.announcer.region, self.image, self.text]))
        self.widget.add_class("tensorgrad-liveplot")
        self.image.add_class("tensorgrad-liveplot-image")
        if show and in_kernel():
            require("IPython.display").display(self.widget)

    def _show(self, plot):
        self.image.png, self.image.alt = plot.png, plot.alt
        self.text.value = summary_html(plot)
        self._announce(plot)

    def _announce(self, plot):
        steps = plot.history["step"]
        if not steps:
            return
        if self.announcer._run is None or self.announcer._run[0] != plot._run_start:
            self.announcer.start(plot._run_start, plot.steps or steps[-1])
        if plot.steps is not None and steps[-1] >= plot.steps:
            self.announcer.say(f"Training finished at {describe_progress(plot.history)}.")
        elif plot.stopped:
            self.announcer.say(f"Stopped at {describe_progress(plot.history)}.")
        else:
            self.announcer.progress(plot.history)

    def _repr_mimebundle_(self, **kwargs):  # displaying the plot displays its widget
        return self.widget._repr_mimebundle_(**kwargs)


def summary_html(plot):
    """The curves' summary and the picture's legend as two short paragraphs (text, not only a picture)."""
    return "".join(f"<p class='tg-summary'>{html.escape(text)}</p>" for text in (plot.summary, plot.legend) if text)


def in_kernel():
    """True inside a running Jupyter kernel (where button clicks arrive only while the kernel is free)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def threads_available():
    """False where Python has no threads (Pyodide in JupyterLite, WASI)."""
    return sys.platform not in ("emscripten", "wasi")


class Job:
    """A run handed to `start`: in a thread, as an asyncio task, or already finished."""

    def __init__(self, thread=None, task=None):
        self.thread, self.task = thread, task

    @property
    def running(self):
        if self.thread is not None:
            return self.thread.is_alive()
        return self.task is not None and not self.task.done()

    def wait(self, timeout=None):
        """Wait for a thread to end. (A task runs on this thread's event loop: await `job.task` instead.)"""
        if self.thread is not None:
            self.thread.join(timeout)


def start(work, background=None, slice_seconds=0.05):
    """Run `work`, a function or an iterable whose items are pieces of it (`fit_iter(...)`, a studio run).

    Inside a kernel (default; or `background=True`) it runs in a daemon thread, which leaves the kernel
    free to hear Stop and Pause (Voila has no interrupt). Where Python has no threads (Pyodide) an
    iterable runs instead as an asyncio task on the kernel's event loop, in slices of about
    `slice_seconds`, and the buttons are heard between slices; a function runs at once there.
    Elsewhere (scripts, tests) it runs here and now, which is simpler and deterministic.
    Returns a `Job`.
    """
    run = work if callable(work) else lambda: deque(work, maxlen=0)
    if not (in_kernel() if background is None else background):
        run()
        return Job()
    if threads_available():
        with contextlib.suppress(RuntimeError):  # "can't start new thread": fall through to the event loop
            thread = threading.Thread(target=run, daemon=True, name="tensorgrad-training")
            thread.start()
            return Job(thread=thread)
    if callable(work):
        run()
        return Job()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # Pyodide's browser loop schedules tasks without running in this call
        loop = asyncio.get_event_loop()
    return Job(task=loop.create_task(_in_slices(iter(work), slice_seconds)))


async def _in_slices(pieces, seconds):
    """Drain `pieces`, handing control back to the event loop every `seconds`."""
    while True:
        deadline = time.perf_counter() + seconds
        for _ in pieces:
            if time.perf_counter() >= deadline:
                break
        else:
            return
        await asyncio.sleep(0)
