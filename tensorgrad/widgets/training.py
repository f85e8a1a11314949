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
import io
import math
import sys
import threading
import time

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


class TrainingPlot:
    """Records loss and accuracy per step and renders boundary, loss and accuracy into `png` now and then.

    model, X, y: the classifier and its 2-D training data (given here, or with each update / by `fit`).
    steps: the run's length if known (`fit` tells it); it sets the automatic `every` and the final step.
    every: draw every this many steps (default: about 25 frames per run, or every step when the
    length is unknown); min_interval: seconds between frames at least (the final frame always draws).
    `frames` counts the renders; `listeners` are called with the plot after each one.
    """

    def __init__(self, model=None, X=None, y=None, *, steps=None, every=None, min_interval=0.5, resolution=60,
                 figsize=(10.5, 3.3), dpi=72):
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
        self._boundary_artists = []
        self.model, self.X, self.y = model, X, y
        self.steps, self.every, self.min_interval, self.resolution = steps, every, min_interval, resolution
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
        self._draw_curves()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        self.png = buffer.getvalue()
        self.frames += 1
        self._drawn_step = self.history["step"][-1] if self.history["step"] else None
        self._last_draw = time.perf_counter()
        self.seconds_drawing += self._last_draw - began
        for listener in self.listeners:
            listener(self)

    def _draw_boundary(self):
        ax, X, y = self.ax_boundary, self.X, self.y
        for artist in self._boundary_artists:
            artist.remove()
        self._boundary_artists = []
        if self.model is None or X is None or X.ndim != 2 or X.shape[1] != 2:
            self.captions[0].set_text("decision boundary: needs a model and 2-D X")
            return
        xx, yy, points = grid_over(X, self.resolution)
        scores = evaluate(self.model, points)
        if scores.ndim == 2 and scores.shape[1] > 1:  # several outputs: the winning class, lines between
            field = scores.argmax(axis=1).reshape(xx.shape)
            shade, levels, style = field, np.arange(scores.shape[1] - 1) + 0.5, dict(cmap="tab10", vmin=0, vmax=9)
            point_colours, point_style = y, style
        else:  # one score: its sign is the class; tanh keeps the shading's scale fixed from frame to frame
            field = scores.reshape(xx.shape)
            shade, levels, style = np.tanh(field), [0.0], dict(cmap="RdBu", vmin=-1, vmax=1)
            point_colours = None if y is None else np.where(y > 0, 1.0, -1.0)
            point_style = dict(cmap="RdBu", vmin=-1.6, vmax=1.6)  # lighter than the shading's extremes
        extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
        self._boundary_artists = [
            ax.imshow(shade, origin="lower", extent=extent, aspect="auto", alpha=0.55, interpolation="bilinear",
                      **style),
            ax.contour(xx, yy, field, levels=levels, colors="k", linewidths=1.2),
            ax.scatter(X[:, 0], X[:, 1], s=18, edgecolors="k", linewidths=0.5,
                       **(dict(c=point_colours, **point_style) if point_colours is not None else dict(c="k"))),
        ]
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        step = self.history["step"][-1] if self.history["step"] else 0
        self.captions[0].set_text(f"decision boundary, step {step}")

    def _draw_curves(self):
        steps, loss, acc = self.history["step"], self.history["loss"], self.history["accuracy"]
        self._loss_line.set_data(steps, loss)
        self._accuracy_line.set_data(steps, acc)
        for ax in (self.ax_loss, self.ax_accuracy):
            ax.relim()
            ax.autoscale_view(scaley=ax is self.ax_loss)
        if not steps:  # autoscaling keeps the old limits when there is no data: after `clear`, start afresh
            self.ax_loss.set_xlim(0, 1, auto=True)  # auto=True: a later relim() rescales again
            self.ax_accuracy.set_xlim(0, 1, auto=True)
            self.ax_loss.set_ylim(0, 1, auto=True)
        self.captions[1].set_text(f"loss {loss[-1]:.4f}" if loss else "loss")
        self.captions[2].set_text(f"accuracy {acc[-1]:.1%}" if acc and not math.isnan(acc[-1]) else "accuracy")

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
    long training with `start(lambda: fit(...))`, which uses a background thread inside a kernel
    (interrupting the kernel also stops a plain `fit`).
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


def start(fn, background=None):
    """Run `fn()`: in a daemon thread when `background` (default: inside a kernel), else right here.

    In a kernel, a thread leaves the kernel free to hear the Stop button (Voila has no interrupt);
    without one (scripts, tests) running synchronously is simpler and deterministic. Returns the
    thread, or None when `fn` has already run.
    """
    if not (in_kernel() if background is None else background):
        fn()
        return None
    thread = threading.Thread(target=fn, daemon=True, name="tensorgrad-training")
    thread.start()
    return thread
