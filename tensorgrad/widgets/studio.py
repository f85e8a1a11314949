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
from dataclasses import dataclass

import numpy as np

from ..engine import Value
from ..optim import SGD, Adam
from ..train import accuracy, accuracy_threshold, forward_backward, loss_function
from .._deps import require
from .training import TrainingPlot, start

PICK_RADIUS = 0.03  # a click this close to a point (as a fraction of the picture's width) is on the point


@dataclass
class StepRecord:
    """One training step as it ran: the batch, the loss graph, and each parameter's weights and gradient."""
    step: int
    X: np.ndarray
    y: np.ndarray
    scores: Value
    loss: Value
    before: list  # the weights backward saw
    after: list  # the weights after the update (the arrays the parameters hold while training)
    grads: list  # this step's gradients (None for a parameter that took no part)


class StudioModel:
    """Training you can pause and open: see the module docstring.

    model: a network taking (N, 2) inputs; X (N, 2) and labels y in the convention `loss` wants
    ("svm": -1/+1, "bce": 0/1, "cross_entropy": 0..C-1). optimizer: default SGD with lr 0.1.
    steps: the length of a run started by Train. batch_size: None for the full batch, else a random
    subset each step drawn from `seed`. Further keyword options go to the `TrainingPlot`.
    """

    def __init__(self, model, X, y, loss="svm", optimizer=None, *, steps=1000, batch_size=None, l2=0.0, seed=0,
                 **plot_options):
        X = np.array(X.data if isinstance(X, Value) else X, dtype=np.float64)
        y = np.array(y.data if isinstance(y, Value) else y)
        if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y) or y.ndim != 1:
            raise ValueError(f"the studio trains on 2-D points: X of shape (N, 2) and N labels; got X {X.shape} "
                             f"and y {y.shape}")
        if batch_size is not None and not 1 <= batch_size <= len(X):
            raise ValueError(f"batch_size must be between 1 and {len(X)} (the number of samples), got {batch_size!r}")
        self.net, self.loss, self.loss_fn = model, loss, loss_function(loss)
        self.optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1)
        self.named_parameters = (model.named_parameters() if hasattr(model, "named_parameters")
                                 else [(p.label or f"p{i}", p) for i, p in enumerate(model.parameters())])
        self.steps, self.batch_size, self.l2, self.seed = steps, batch_size, l2, seed
        self.classes = tuple(np.unique(y).tolist())
        self.threshold = accuracy_threshold(loss, y)
        self._original = (X, y, [p.data.copy() for _, p in self.named_parameters], self._optimizer_state())
        self.plot = TrainingPlot(**({"figsize": (11, 3.6), "dpi": 80, "min_interval": 0.2} | plot_options))
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
        self.last = StepRecord(k, X, y, scores, loss, before, [p.data for p in params], grads)
        self.plot.update(k, loss.item(), accuracy(scores, y, self.threshold), model=self.net, X=self._data[0],
                         y=self._data[1], steps=max(self.target, k))
        return self.last

    def run(self, steps=None):
        """Train until step `target` (set to `steps` more when the last run is done), one step per next().

        A generator, for `training.start` to drive: in a thread, in slices on the event loop, or at
        once. It ends early, after the step in progress, once `pause()` was called.
        """
        if self.step_count >= self.target:
            self.target = self.step_count + (steps or self.steps)
        self.pause_requested = False
        while self.step_count < self.target and not self.pause_requested:
            self.step()
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


def table_html(rows):
    """The optimiser table as a small HTML table (norms with 3 significant digits)."""
    if not rows:
        return "<p><i>optimiser table: after the first step</i></p>"
    cells = lambda row, tag: "".join(f"<{tag} style='padding:1px 6px;text-align:right'>{html.escape(str(v))}"
                                     f"</{tag}>" for v in row)
    head = f"<tr>{cells(rows[0].keys(), 'th')}</tr>"
    body = "".join(f"<tr>{cells([_number(v) for v in row.values()], 'td')}</tr>" for row in rows)
    return f"<table style='font-size:12px;border-collapse:collapse'>{head}{body}</table>"


def _number(value):
    if isinstance(value, float | np.floating):
        return "-" if np.isnan(value) else f"{value:.3g}"
    return "x".join(map(str, value)) if isinstance(value, tuple) else value
