"""Live training plots: the decision boundary, loss and accuracy, redrawn in place while a model trains.

`TrainingPlot` is the model (plain Python and matplotlib): it records every step, decides when a
redraw is worth its cost (every `every`-th step, at most once per `min_interval` seconds, and always
the final step), and renders one reused Agg `Figure` into PNG bytes. A redraw costs tens of
milliseconds, so drawing every step would slow a small net's training several times over.
`LivePlot` is its thin ipywidgets view: an `Image` whose `.value` is replaced by each new PNG (kernel-side
state, so nothing piles up under nbval or in plain pytest) and a Stop button. Headless (scripts, CI,
stored notebooks) the final frame is `plot.finish()`, `plot.save(path)` or `plot.show_final()`.

Both are `fit` callbacks and work in a hand-written loop:

    plot = LivePlot(model, X, y, steps=100)
    for k in range(1, 101):
        ...  # forward, backward, update
        if plot.update(k, loss, acc):  # True once Stop was pressed
            break
"""
import asyncio
import contextlib
import math
import struct
import sys
import threading
import time
import zlib
from collections import deque

import numpy as np

from ..engine import Value, no_grad
from .._deps import require

FRAMES = 25  # frames per run when `every` is chosen automatically


def auto_every(steps, frames=FRAMES):
    """Draw every this many steps so that a run of `steps` steps shows about `frames` frames."""
    return max(1, math.ceil(steps / frames))


def grid_over(X, resolution):
    """A `resolution` x `resolution` grid over the 2-D data X with a margin: (xx, yy, points (G, 2))."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (hi - lo) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0] - margin[0], hi[0] + margin[0], resolution),
                         np.linspace(lo[1] - margin[1], hi[1] + margin[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def evaluate(fn, points):
    """`fn` applied to all grid points in one batched forward pass, recording no graph: a numpy array."""
    with no_grad():
        out = fn(Value(points, requires_grad=False))
    return np.asarray(out.data if isinstance(out, Value) else out)


def png_bytes(figure):
    """The figure as PNG bytes, drawn by Agg (savefig's path costs several times as much)."""
    figure.canvas.draw()
    return _encode(figure)


def _encode(figure):
    return encode_png(np.asarray(figure.canvas.buffer_rgba())[..., :3])


def encode_png(rgb):
    """An RGB array (height, width, 3) of uint8 as PNG bytes: rows unfiltered, deflated at level 1.

    PNG's per-row filters cost more than the deflating itself, and these pictures (flat areas, lines)
    compress about as well without them: this takes a third of the time of a general encoder.
    """
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row starts with its filter type: 0, none
    rows[:, 1:] = rgb.reshape(height, -1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlacing
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


class Frames:
    """Renders a figure again and again where only some artists change: the rest is drawn once (blitting).

    Text, tick labels above all, is most of a matplotlib frame's cost. The axes, ticks and labels are
    drawn only when `key` (what they depend on: limits, sizes) changes; other frames restore that
    background and draw only the changing `artists` on it, in order.
    """

    def __init__(self, figure, artists):
        self.figure, self.artists = figure, list(artists)
        for artist in self.artists:
            artist.set_animated(True)  # a full draw leaves them out of the background
        self._key = self._background = None

    def png(self, key=None):
        canvas = self.figure.canvas
        if self._background is None or key != self._key:
            canvas.draw()
            self._background, self._key = canvas.copy_from_bbox(self.figure.bbox), key
        else:
            canvas.restore_region(self._background)
        for artist in self.artists:
            self.figure.draw_artist(artist)
        return _encode(self.figure)


def nice_ceiling(x):
    """The smallest of 1, 2, 5 times a power of ten that is >= x (x > 0): axis limits that rarely move."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-12))


def first_layer(model):
    """The (2, units) weight and (units,) bias of the model's first layer, if it is a dense layer on 2-D input."""
    for module in getattr(model, "layers", [model]):
        w = getattr(module, "w", None)
        if isinstance(w, Value):
            if w.shape[0] != 2:
                return None
            b = getattr(module, "b", None)
            weights = w.data.reshape(2, -1)
            return weights, (b.data.reshape(-1) if isinstance(b, Value) else np.zeros(weights.shape[1]))
        if getattr(module, "nin", None) is not None:  # a module with weights of another kind comes first
            return None
    return None


def zero_line_segments(model, extent):
    """Each first-layer unit's line w[0] x + w[1] y + b = 0 across `extent` (x0, x1, y0, y1), as segments.

    A unit of the first layer is a straight soft edge; the network's boundary is built from these
    edges, so seeing them explains its shape. No first layer on 2-D input: no lines.
    """
    layer = first_layer(model)
    if layer is None:
        return []
    x0, x1, y0, y1 = extent
    segments = []
    for (a, c), b in zip(layer[0].T, layer[1]):
        if abs(c) >= abs(a) and c:  # closer to horizontal: y at the left and right edges
            segments.append([(x0, -(a * x0 + b) / c), (x1, -(a * x1 + b) / c)])
        elif a:
            segments.append([(-(c * y0 + b) / a, y0), (-(c * y1 + b) / a, y1)])
    return segments


class Boundary:
    """A classifier's decision regions, boundary line and data points on one matplotlib axes.

    The artists are made once and updated in place each frame (image data, line segments from
    contourpy, point offsets and colours): re-creating them, contouring above all, cost more than the
    rest of a frame. `extra` is a LineCollection callers may fill (the studio draws zero lines there).
    """

    def __init__(self, ax):
        collections = require("matplotlib.collections", "demo")
        self.ax = ax
        self.image = ax.imshow(np.zeros((2, 2)), origin="lower", aspect="auto", alpha=0.55, interpolation="bilinear")
        self.lines = ax.add_collection(collections.LineCollection([], colors="k", linewidths=1.2))
        self.extra = ax.add_collection(collections.LineCollection([], colors="0.25", linewidths=0.8,
                                                                  linestyles="--"))
        self.points = ax.scatter(np.zeros(0), np.zeros(0), s=18, edgecolors="k", linewidths=0.5)
        self.message = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                               wrap=True)
        self.artists = (self.image, self.lines, self.extra, self.points, self.message)  # in drawing order

    def draw(self, model, X, y, grid):
        """Draw `model`'s regions over `grid` (xx, yy, points from `grid_over`) and the points X coloured by y."""
        contour_generator = require("contourpy", "demo").contour_generator
        xx, yy, points = grid
        scores = evaluate(model, points)
        if scores.ndim == 2 and scores.shape[1] > 1:  # several outputs: the winning class, lines between
            field = scores.argmax(axis=1).reshape(xx.shape).astype(float)
            shade, levels, cmap, limits = field, np.arange(scores.shape[1] - 1) + 0.5, "tab10", (0, 9)
            colours, point_limits = y, limits
        else:  # one score: its sign is the class; tanh keeps the shading's scale fixed from frame to frame
            field = scores.reshape(xx.shape)
            shade, levels, cmap, limits = np.tanh(field), [0.0], "RdBu", (-1, 1)
            colours = None if y is None else np.where(y > 0, 1.0, -1.0)
            point_limits = (-1.6, 1.6)  # lighter than the shading's extremes
        extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
        self.image.set(data=shade, extent=extent, cmap=cmap, clim=limits, visible=True)
        contours = contour_generator(xx, yy, field)
        self.lines.set_segments([line for level in levels for line in contours.lines(level)])
        self.points.set_offsets(X.reshape(-1, 2))
        if colours is None:
            self.points.set(array=None, facecolor="k")
        else:
            self.points.set(array=np.asarray(colours, dtype=float), cmap=cmap, clim=point_limits)
        self.points.set_visible(True)
        self.message.set_text("")
        self.ax.set_xlim(extent[:2])
        self.ax.set_ylim(extent[2:])
        return field

    def hide(self, message):
        """Nothing to draw: show `message` in the axes instead."""
        for artist in (self.image, self.points):
            artist.set_visible(False)
        self.lines.set_segments([])
        self.extra.set_segments([])
        self.message.set_text(message)


class TrainingPlot:
    """Records loss and accuracy per step and renders boundary, loss and accuracy into `png` now and then.

    model, X, y: the classifier and its 2-D training data (given here, or with each update / by `fit`).
    steps: the run's length if known (`fit` tells it); it sets the automatic `every` and the final step.
    every: draw every this many steps (default: about 25 frames per run, or every step when the
    length is unknown); min_interval: seconds between frames at least (the final frame always draws).
    zero_lines: also draw where each first-layer unit's input is zero (see `zero_line_segments`).
    frame: 2-D points the boundary picture is framed around (default: X at each frame); fixed points
    keep the picture still while points are added or removed.
    `frames` counts the renders; `listeners` are called with the plot after each one.
    """

    def __init__(self, model=None, X=None, y=None, *, steps=None, every=None, min_interval=0.5, resolution=60,
                 figsize=(10.5, 3.3), dpi=72, zero_lines=False, frame=None):
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
        self.zero_lines, self.frame = zero_lines, frame
        self.listeners = []
        self.stop_requested = False
        self.clear()

    def clear(self):
        """Forget the recorded steps and frames (the figure is kept for reuse)."""
        self.history = {"step": [], "loss": [], "accuracy": []}
        self.frames, self.png, self.seconds_drawing = 0, None, 0.0
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
            return
        self.boundary.hide(why)
        self.captions[0].set_text("")

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


class LivePlot(TrainingPlot):
    """A `TrainingPlot` that shows itself in the notebook: an Image replaced at each frame, and a Stop button.

    Created in a notebook it displays itself (`show=False` to place `.widget` yourself), so
    `fit(..., callbacks=[LivePlot()])` just works. Stop is heard only while the kernel is free: run
    long training with `start(fit_iter(..., callbacks=[plot]))`, which trains in a background thread
    inside a kernel, or in slices on the event loop where there are no threads (interrupting the
    kernel also stops a plain `fit`).
    """

    def __init__(self, model=None, X=None, y=None, *, show=True, **options):
        widgets = require("ipywidgets")
        super().__init__(model, X, y, **options)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.stop_button = widgets.Button(description="Stop", icon="stop", tooltip="stop after this step")
        self.stop_button.on_click(lambda _button: self.stop())
        self.listeners.append(self._show)
        self.widget = widgets.VBox([self.stop_button, self.image])
        self.widget.add_class("tensorgrad-liveplot")
        self.image.add_class("tensorgrad-liveplot-image")
        if show and in_kernel():
            require("IPython.display").display(self.widget)

    def _show(self, plot):
        self.image.value = plot.png

    def _repr_mimebundle_(self, **kwargs):  # displaying the plot displays its widget
        return self.widget._repr_mimebundle_(**kwargs)


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
