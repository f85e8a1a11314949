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
import sys
import threading
import time
from collections import deque

import numpy as np

from ..engine import Value
from .._deps import require
from .drawing import Boundary, Frames, grid_over, nice_ceiling, zero_line_segments

FRAMES = 25  # frames per run when `every` is chosen automatically


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
