"""The training studio: train a 2-D classifier, pause at step k and walk through that step's backward pass.

`StudioModel` is plain Python (the engine and a `TrainingPlot`, no ipywidgets): network, data,
optimiser, loss, step counter and curves. `step()` runs one training step and keeps it as a
`StepRecord`: its batch, its loss graph and the weights before and after the update. The update
writes into the parameters in place, and a graph's backward reads its parameters' data, so
`paused_loss()` sets the weights backward saw back into the parameters (the updated ones are held
aside until training continues): a stepper opened on it replays exactly what `backward()` did.
Data points can be added and removed between steps; `reset()` restores the original data, weights
and optimiser state. `TrainingStudio` is the ipywidgets view around it.
"""
import copy
import html
import time
from dataclasses import dataclass

import numpy as np

from ..engine import Value
from ..optim import SGD, Adam
from ..train import accuracy, accuracy_threshold, check_batch_size, forward_backward, loss_function
from .._deps import require
from .access import Announcer, accessible
from .clickimage import click_image
from .training import TrainingPlot, describe_progress, start, summary_html

WRAP = {"flex_flow": "row wrap", "align_items": "center"}  # rows that wrap, not clip, at 200% zoom
OPENED = "Its backward pass is open in the stepper below."
PICK_RADIUS = 0.03  # a click this close to a point (as a fraction of the picture's width) is on the point


@dataclass
class StepRecord:
    """One training step as it ran: the batch, the loss graph, and each parameter's weights and gradient."""
    step: int
    X: np.ndarray
    y: np.ndarray
    loss: Value
    before: list  # the weights backward saw
    after: list  # the weights after the update (the arrays the parameters hold while training)
    grads: list  # this step's gradients (None for a parameter that took no part)


class StudioModel:
    """Training you can pause and open: see the module docstring.

    model: a network taking (N, 2) inputs; X (N, 2) and labels y in the convention `loss` wants
    ("svm": -1/+1, "bce": 0/1, "cross_entropy": 0..C-1). optimizer: default SGD with lr 0.1.
    steps: the length of a run started by Train. batch_size: None for the full batch, else a random
    subset each step drawn from `seed`. pace: at most this many steps per second in `run` (None: as
    fast as it goes), so that a class can watch. Further keyword options go to the `TrainingPlot`.
    """

    def __init__(self, model, X, y, loss="svm", optimizer=None, steps=1000, *, batch_size=None, l2=0.0, seed=0,
                 pace=None, **plot_options):
        X = np.array(X.data if isinstance(X, Value) else X, dtype=np.float64)
        y = np.array(y.data if isinstance(y, Value) else y)
        if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y) or y.ndim != 1:
            raise ValueError(f"the studio trains on 2-D points: X of shape (N, 2) and N labels; got X {X.shape} "
                             f"and y {y.shape}")
        check_batch_size(batch_size, len(X))
        self.net, self.loss, self.loss_fn = model, loss, loss_function(loss)
        self.optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1)
        self.named_parameters = (model.named_parameters() if hasattr(model, "named_parameters")
                                 else [(p.label or f"p{i}", p) for i, p in enumerate(model.parameters())])
        self.steps, self.batch_size, self.l2, self.seed, self.pace = steps, batch_size, l2, seed, pace
        self.classes = tuple(np.unique(y).tolist())
        self.threshold = accuracy_threshold(loss, y)
        self._original = (X, y, [p.data.copy() for _, p in self.named_parameters], self._optimizer_state())
        self.plot = TrainingPlot(**({"figsize": (11, 3.6), "dpi": 80, "min_interval": 0.2, "frame": X}
                                    | plot_options))  # framed on the original data: edits keep it still
        self.pause_requested, self.target, self.last, self._held = False, 0, None, False
        self.reset()

    # ---- data ----
    @property
    def X(self):
        return self._data[0]

    @property
    def y(self):
        return self._data[1]

    def add_point(self, point, label):
        """Add a sample at `point` (x, y) with class `label`; the next step trains on it. Returns its index."""
        if label not in self.classes:
            raise ValueError(f"label {label!r} is not one of this data's classes {self.classes}")
        X, y = self._data
        self._data = (np.vstack([X, np.asarray(point, dtype=np.float64).reshape(1, 2)]),
                      np.append(y, np.asarray(label, dtype=y.dtype)))  # one assignment: a step sees old or new
        return len(X)

    def remove_point(self, i):
        X, y = self._data
        if not 0 <= i < len(X):
            raise IndexError(f"there is no point {i}: the data has {len(X)} points")
        if len(X) == 1:
            raise ValueError("the last point cannot be removed: training needs data")
        self._data = (np.delete(X, i, axis=0), np.delete(y, i))

    def nearest(self, point, within):
        """The index of the sample nearest to `point`, if it lies within distance `within`, else None."""
        distances = np.hypot(*(self.X - np.asarray(point, dtype=np.float64)).T)
        i = int(distances.argmin())
        return i if distances[i] <= within else None

    # ---- training ----
    @property
    def step_count(self):
        return len(self.plot.history["step"])

    def step(self):
        """One training step on the current data (forward, loss, backward, update); returns its `StepRecord`."""
        self._release()
        X, y = self._data
        if self.batch_size is not None:
            rows = self.rng.choice(len(X), size=min(self.batch_size, len(X)), replace=False)
            X, y = X[rows], y[rows]
        params = [p for _, p in self.named_parameters]
        scores, loss = forward_backward(self.net, Value(X, requires_grad=False), y, self.loss_fn, self.optimizer,
                                        self.l2)
        loss.label = "loss"
        before = [p.data.copy() for p in params]
        grads = [None if p._grad is None else p._grad.copy() for p in params]
        self.optimizer.step()
        k = self.step_count + 1
        self.last = StepRecord(k, X, y, loss, before, [p.data for p in params], grads)
        self.plot.update(k, loss.item(), accuracy(scores, y, self.threshold), model=self.net, X=self._data[0],
                         y=self._data[1], steps=self.target if self.target >= k else None)
        return self.last

    def run(self, steps=None):
        """Train until step `target` (set to `steps` more when the last run is done), one step per next().

        Returns an iterator, for `training.start` to drive: in a thread, in slices on the event loop,
        or at once. A Pause pressed before this call is forgotten; one pressed after it ends the run
        after the step in progress.
        """
        if self.step_count >= self.target:
            self.target = self.step_count + (steps or self.steps)
        self.pause_requested = False
        return self._run()

    def _run(self):
        while self.step_count < self.target and not self.pause_requested:
            began = time.perf_counter()
            self.step()
            if self.pace:
                time.sleep(max(0.0, 1 / self.pace - (time.perf_counter() - began)))
            yield self.step_count
        self.plot.finish()

    def pause(self):
        self.pause_requested = True

    @property
    def paused(self):
        """True when a run was paused before its target step (Resume continues it)."""
        return 0 < self.step_count < self.target

    def reset(self):
        """The original data, weights and optimiser state; no steps, empty curves; the untrained model drawn."""
        X, y, weights, optimizer_state = self._original
        self._held = False
        self._data = (X.copy(), y.copy())
        for (_, p), w in zip(self.named_parameters, weights):
            p.data, p.grad = w.copy(), None
        vars(self.optimizer).update(copy.deepcopy(optimizer_state))
        self.rng = np.random.default_rng(self.seed)
        self.target, self.last, self.pause_requested = 0, None, False
        self.plot.clear()
        self.plot.model, self.plot.X, self.plot.y, self.plot.steps = self.net, self.X, self.y, None
        self.plot.draw()

    def redraw(self):
        """Draw a frame now, of the current data and the updated weights (even while a step is open)."""
        held = self._held
        self._release()
        self.plot.X, self.plot.y = self.X, self.y
        self.plot.draw()
        if held:
            self.paused_loss()  # the open step's weights back in place for its stepper

    def _optimizer_state(self):
        return copy.deepcopy({k: v for k, v in vars(self.optimizer).items() if k != "params"})

    # ---- opening a step ----
    def paused_loss(self):
        """The last step's loss graph as `backward()` ran it, to step through.

        The parameters get back the weights backward saw (the updated weights are held aside, and
        come back when training continues or a sample is traced), so the graph's data, and every
        gradient a stepper recomputes from it, are that step's.
        """
        if self.last is None:
            raise ValueError("no training step has run yet: press Train or Step first")
        for (_, p), w in zip(self.named_parameters, self.last.before):
            p.data = w
        self._held = True
        return self.last.loss

    def _release(self):
        """Put the updated weights back after `paused_loss` (a no-op otherwise)."""
        if self._held:
            for (_, p), w in zip(self.named_parameters, self.last.after):
                p.data = w
            self._held = False

    def sample_loss(self, i):
        """Sample i's loss through the current weights: a new one-row graph to step through."""
        self._release()
        x = Value(self.X[i:i + 1], requires_grad=False, label=f"x[{i}]")
        loss = self.loss_fn(self.net(x), self.y[i:i + 1])
        loss.label = f"loss of sample {i}"
        return loss

    # ---- what the last step did ----
    def optimizer_table(self):
        """Per parameter, for the last step: its name and shape, and the norms of the weights (after the
        update), the gradient, for Adam its running means m and sqrt(v), and the update."""
        if self.last is None:
            return []
        index = {id(p): i for i, p in enumerate(self.optimizer.params)}
        adam = isinstance(self.optimizer, Adam)
        rows = []
        for (name, p), before, after, grad in zip(self.named_parameters, self.last.before, self.last.after,
                                                  self.last.grads):
            row = {"parameter": name, "shape": p.shape, "|p|": np.linalg.norm(after),
                   "|grad|": np.nan if grad is None else np.linalg.norm(grad)}
            if adam:
                i = index.get(id(p))
                row["|m|"] = np.nan if i is None else np.linalg.norm(self.optimizer.m[i])
                row["|sqrt(v)|"] = np.nan if i is None else np.linalg.norm(np.sqrt(self.optimizer.v[i]))
            row["|update|"] = np.linalg.norm(after - before)
            rows.append(row)
        return rows


SPOKEN_HEADERS = {"|p|": "norm of the weights", "|grad|": "norm of the gradient", "|m|": "norm of Adam's m",
                  "|sqrt(v)|": "norm of the square root of Adam's v", "|update|": "norm of the update"}


def table_html(rows, step=None):
    """The optimiser table as a small HTML table (norms with 3 significant digits): a caption, a header cell
    per column and one per row (the parameter's name), so a screen reader names the cell it reads."""
    if not rows:
        return "<p><i>optimiser table: after the first step</i></p>"
    def cell(value, tag, scope=None, spoken=None):
        said = f" aria-label='{html.escape(spoken)}'" if spoken else ""
        return (f"<{tag}{f' scope={scope}' if scope else ''}{said} style='padding:1px 6px;text-align:right'>"
                f"{html.escape(str(value))}</{tag}>")
    head = "<tr>" + "".join(cell(key, "th", "col", SPOKEN_HEADERS.get(key)) for key in rows[0]) + "</tr>"
    body = "".join("<tr>" + "".join(cell(_number(v), "th" if i == 0 else "td", "row" if i == 0 else None)
                                    for i, v in enumerate(row.values())) + "</tr>" for row in rows)
    caption = f"what the optimiser did at step {step}" if step else "what the optimiser did"
    return (f"<table style='font-size:12px;border-collapse:collapse'><caption>{caption}</caption>"
            f"<thead>{head}</thead><tbody>{body}</tbody></table>")


def _number(value):
    if isinstance(value, float | np.floating):
        return "-" if np.isnan(value) else f"{value:.3g}"
    return "x".join(map(str, value)) if isinstance(value, tuple) else value


# ---- the view ------------------------------------------------------------------------------------

class TrainingStudio:
    """Train a 2-D classifier, pause it and open the paused step's backward pass, edit its data by clicking.

    `TrainingStudio(model, X, y, loss="svm", optimizer=None, steps=1000, ...)`: the arguments of
    `StudioModel` (or `model=StudioModel(...)` alone). Buttons: Train (a run of `steps` steps), Pause
    (stop after the step in progress and open its backward pass in a stepper), Step (one step, then
    its stepper), Resume (continue the run), Reset (original data and weights). On the boundary
    picture: click to add a point of the selected class, shift-click for the other class, right-click
    a point to remove it, click a point to step through its own loss; by keyboard, type x and y and press
    Add point, Remove nearest or Trace nearest (`edit`). `graph=True` shows the current
    batch's graph live while training (each frame sends only the numbers that changed).
    `background`: as for `training.start` (default: inside a kernel).
    """

    def __init__(self, model, X=None, y=None, loss="svm", optimizer=None, steps=1000, *, graph=True,
                 background=None, **options):
        widgets = require("ipywidgets")
        if isinstance(model, StudioModel) and (X is not None or y is not None or options):
            raise TypeError("TrainingStudio takes a StudioModel, or a network and its data for a new one, not both")
        self.model = model if isinstance(model, StudioModel) else StudioModel(model, X, y, loss, optimizer, steps,
                                                                               **options)
        self.background, self.job, self.show_graph = background, None, graph
        self._open_when_paused, self.training = True, False
        m = self.model
        self.buttons = {name: widgets.Button(description=name, icon=icon, layout=widgets.Layout(width="auto"))
                        for name, icon in (("Train", "play"), ("Pause", "pause"), ("Step", "step-forward"),
                                           ("Resume", "forward"), ("Reset", "refresh"))}
        for name, action in (("Train", self.train), ("Pause", self.pause), ("Step", self.step),
                             ("Resume", self.resume), ("Reset", self.reset)):
            self.buttons[name].on_click(lambda _button, action=action: action())
        # radio buttons, not toggle buttons: ipywidgets' toggles tell a screen reader (and forced colours) nothing
        # of which one is on
        self.label = widgets.RadioButtons(options=[(f"class {c:g}", c) for c in m.classes], value=m.classes[-1],
                                          layout=widgets.Layout(width="auto"))
        self.label.add_class("tg-row")
        self.zero_lines = widgets.Checkbox(value=m.plot.zero_lines, description="first-layer zero lines", indent=False)
        self.zero_lines.observe(lambda change: self._set_zero_lines(change["new"]), names="value")
        self.status = widgets.HTML()
        self.announcer = Announcer()
        self.summary = widgets.HTML()
        self.boundary = click_image()
        self.boundary.layout.flex = "0 0 auto"  # full size, to click on
        self.boundary.observe(lambda change: self._clicked(change["new"]), names="click")
        self.table = widgets.HTML()
        # the keyboard's way to edit the data: a point typed in, and buttons
        self.point_x, self.point_y = (widgets.FloatText(value=0.0, step=0.1, description=axis,
                                                        layout=widgets.Layout(width="130px"),
                                                        style={"description_width": "20px"}) for axis in "xy")
        self.edit_buttons = {name: widgets.Button(description=name, tooltip=tip, layout=widgets.Layout(width="auto"))
                             for name, tip in (("Add point", "add a point of the selected class at x, y"),
                                               ("Remove nearest", "remove the sample nearest to x, y"),
                                               ("Trace nearest", "step through the loss of the sample nearest "
                                                                 "to x, y"))}
        for name, action in (("Add point", "add"), ("Remove nearest", "remove"), ("Trace nearest", "trace")):
            self.edit_buttons[name].on_click(lambda _button, action=action: self._edit_by_keys(action))
        self.graph_title = widgets.HTML()
        self.graph_area = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.live_graph = None
        m.plot.listeners.append(self._show)
        self.widget = accessible(widgets.VBox([
            widgets.HBox([*self.buttons.values(), self.status], layout=WRAP), self.announcer.region,
            widgets.HBox([widgets.Label("a click on the picture adds a point of",
                                        layout=widgets.Layout(width="auto", margin="0 1em 0 0")),
                          self.label, self.zero_lines], layout=WRAP),
            widgets.HBox([widgets.Label("or at", layout=widgets.Layout(width="auto", margin="0 1em 0 0")),
                          self.point_x, self.point_y, *self.edit_buttons.values()], layout=WRAP),
            widgets.HBox([widgets.VBox([self.boundary, self.summary]), self.table],  # the table wraps below,
                         layout=widgets.Layout(flex_flow="row wrap")),  # if narrow
            self.graph_title, self.graph_area]))
        for part, name in ((self.widget, ""), (self.boundary, "-boundary"), (self.status, "-status"),
                           (self.table, "-table"), (self.graph_area, "-graph"), (self.summary, "-summary")):
            part.add_class("tensorgrad-studio" + name)  # names for styling and for the browser tests
        self.stepper = None
        self._show()

    # ---- the buttons ----
    @property
    def running(self):
        return self.training or (self.job is not None and self.job.running)

    def train(self, steps=None):
        """Start a run of `steps` (default: the studio's `steps`) more steps, or continue a paused one."""
        if not self.running:
            self._close_stepper()
            self._open_when_paused = True
            self._announce_start(steps)
            self.job = start(self._run(self.model.run(steps)), self.background)  # a Pause from now on is heard

    def resume(self):
        if self.model.paused:
            self.train()

    def pause(self):
        """Stop after the step in progress; the run's end opens that step's backward pass."""
        if self.running:
            self.model.pause()

    def step(self):
        """One training step, then its backward pass in the stepper."""
        if not self.running:
            self.model.step()
            self.model.plot.finish()  # draws the step unless it was due and drawn already
            self._open_step()
            self.announcer.say(f"One step: {describe_progress(self.model.plot.history)}. {OPENED}")

    def reset(self):
        self._halt()
        self._close_stepper()
        self.model.reset()  # its first frame reaches the picture through the plot's listener
        self.announcer.say(f"Reset: the original {len(self.model.X)} points and weights, step 0.")

    def _announce_start(self, steps):
        m = self.model
        first = m.step_count
        last = m.target if m.paused else first + (steps or m.steps)
        self.announcer.start(first, last)
        self.announcer.say(f"Training from step {first} to step {last}.")

    def _run(self, steps):
        self.training = True
        self._say(None)
        try:
            yield from steps
        except Exception as error:  # in a thread nobody would see it: show it in the widget too
            self._say(f"training failed: {type(error).__name__}: {error}", error=True)
            self.announcer.say(f"Training failed: {type(error).__name__}: {error}")
            raise
        finally:
            self.training = False
        history = self.model.plot.history
        if self.model.paused and self._open_when_paused:
            self._open_step()
            self.announcer.say(f"Paused at {describe_progress(history)}. {OPENED}")
        else:
            self._say(None)
            if not self.model.paused and history["step"]:
                self.announcer.say(f"Training finished at {describe_progress(history)}.")

    def _halt(self):
        """Pause a run in progress and wait for it, opening nothing (before the data or the weights change)."""
        if self.running:
            self._open_when_paused = False
            self.model.pause()
            self.job.wait()

    # ---- the picture ----
    def click(self, point, shift=False, right=False):
        """What a click at data coordinates `point` does (see the class docstring); returns what it did."""
        m = self.model
        x0, x1 = m.plot.ax_boundary.get_xlim()
        near = m.nearest(point, within=PICK_RADIUS * (x1 - x0))
        if right:
            return "nothing" if near is None else self.edit("remove", near)
        if near is not None and not shift:
            return self.edit("trace", near)
        classes = m.classes
        label = classes[(classes.index(self.label.value) + 1) % len(classes)] if shift else self.label.value
        return self.edit("add", point, label)

    def edit(self, action, where, label=None):
        """"add" a point at `where` (x, y) of class `label` (default: the one selected), or "remove" or "trace"
        sample `where` (an index); returns what it did. Clicks on the picture and the keyboard's row both edit."""
        m = self.model
        if action == "trace":
            self._halt()
            self._open(m.sample_loss(where), f"the loss of sample {where}, through the current weights")
            return f"traced sample {where}"
        if action == "remove":
            if len(m.X) == 1:
                return "nothing"
            m.remove_point(where)
            done = f"removed point {where}"
        else:
            label = self.label.value if label is None else label
            m.add_point(where, label)
            done = f"added a point of class {label:g}"
        if not self.running:  # (a run draws the edit in its next frame)
            m.redraw()
        return done

    def _edit_by_keys(self, action):
        """The keyboard's way to edit: at the point typed in x and y, or at the sample nearest to it."""
        point = (self.point_x.value, self.point_y.value)
        self._did(self.edit(action, point if action == "add" else self.model.nearest(point, within=np.inf)))

    def _did(self, done):
        self._say(done)
        self.announcer.say(f"{done[0].upper()}{done[1:]}: {len(self.model.X)} points.")

    def _clicked(self, click):
        """A click in the browser, at fractions of the image: to data coordinates on the boundary, if on it."""
        ax = self.model.plot.ax_boundary
        box = ax.get_position()  # in figure fractions from the bottom left
        u = (click.get("x", -1) - box.x0) / box.width
        v = (1 - click.get("y", -1) - box.y0) / box.height
        if 0 <= u <= 1 and 0 <= v <= 1:
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            self._did(self.click((x0 + u * (x1 - x0), y0 + v * (y1 - y0)), click.get("shift", False),
                                 click.get("button") == 2))

    def _set_zero_lines(self, on):
        self.model.plot.zero_lines = on
        if not self.running:
            self.model.redraw()

    # ---- showing ----
    def _show(self, _plot=None):
        m = self.model
        self.boundary.png, self.boundary.alt = m.plot.png, m.plot.alt
        self.summary.value = summary_html(m.plot)
        self.table.value = table_html(m.optimizer_table(), m.last.step if m.last else None)
        if self.training:
            self.announcer.progress(m.plot.history)
        if self.stepper is None:
            self._show_live_graph()
        self._say(None)

    def _show_live_graph(self):
        if not self.show_graph or self.model.last is None:
            self.graph_title.value = ""
            self.graph_area.children = ()
            return
        record = self.model.last
        if self.live_graph is None:
            from .graphview import GraphView
            self.live_graph = GraphView(record.loss, height=380)
            self.live_graph.layout.width = "100%"
        else:  # the same structure keeps its layout and gets only its changed numbers (edited data: a new one)
            self.live_graph.set_root(record.loss)
        self.graph_title.value = (f"<b>the graph of step {record.step}</b> (this batch's loss; gradients as "
                                  "backward left them, weights after the update). Pause to step through it.")
        self.graph_area.children = (self.live_graph,)

    def _open_step(self):
        k = self.model.step_count
        self._open(self.model.paused_loss(), f"the backward pass of step {k}, exactly as training ran it "
                                             "(the weights before its update)")

    def _open(self, root, title):
        from .stepper import BackwardStepper
        self.stepper = BackwardStepper(root, height=420)
        self.graph_title.value = f"<b>{html.escape(title)}</b>: press <i>next</i> to step through it"
        self.graph_area.children = (self.stepper.widget,)
        self._say(None)

    def _close_stepper(self):
        self.stepper = None
        self._show_live_graph()

    def _say(self, message=None, error=False):
        m = self.model
        history = m.plot.history
        state = ("training" if self.training else "paused" if m.paused else "ready") if message is None else message
        text = f"step {m.step_count} · {len(m.X)} points"
        if history["step"]:
            text += f" · loss {history['loss'][-1]:.4f} · accuracy {history['accuracy'][-1]:.1%}"
        self.status.value = f"<span class='{'tg-error' if error else ''}'>{html.escape(text)} — {html.escape(state)}</span>"

    def _repr_mimebundle_(self, **kwargs):  # displaying the studio displays its widget
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (f"TrainingStudio: {len(self.model.X)} points, runs of {self.model.steps} steps "
                                "(run the notebook to use it)")
        return bundle

