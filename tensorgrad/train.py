"""A small training loop, `fit`, and the callback hook the live plots use.

Each step is micrograd's demo loop: scores = model(X); loss; zero_grad; backward; optimizer step.
The backward runs lean (`keep_intermediate=False`): nothing reads the intermediate gradients here.
After every step each callback receives a `TrainState`; setting `state.stop = True` ends training.
Loss and accuracy are those of the step's batch, measured before its update (as micrograd reports them).
"""
from dataclasses import dataclass, field

import numpy as np

from . import losses
from .engine import Value
from .optim import SGD

LOSSES = {"svm": losses.svm, "mse": losses.mse, "bce": losses.bce_with_logits,
          "cross_entropy": losses.cross_entropy}


@dataclass
class History:
    """Per step: the step number (1-based), the loss and the accuracy."""
    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)


@dataclass
class TrainState:
    """What a callback sees after each step. X and y are the whole training set, as numpy arrays."""
    step: int
    steps: int
    loss: float
    accuracy: float
    model: object
    history: History
    X: np.ndarray
    y: np.ndarray
    stop: bool = False


def accuracy(scores, y, threshold=0.0):
    """Fraction of correct predictions: argmax for several outputs, else score > threshold vs y > threshold.

    With labels -1/+1 (svm) or 0/1 (logits for bce) the threshold 0 is micrograd's
    `(yi > 0) == (scorei.data > 0)`; targets 0/1 fitted by mse want threshold 0.5.
    """
    s = np.asarray(scores.data if isinstance(scores, Value) else scores)
    y = np.asarray(y.data if isinstance(y, Value) else y)
    if s.ndim == 2 and s.shape[1] > 1:
        return float(np.mean(s.argmax(axis=1) == y))
    return float(np.mean((s.reshape(y.shape) > threshold) == (y > threshold)))


def loss_function(loss):
    """The loss as a function (scores, y) -> 0-d Value: one of LOSSES by name, or a function given."""
    loss_fn = LOSSES.get(loss, loss) if isinstance(loss, str) else loss
    if not callable(loss_fn):
        raise ValueError(f"loss must be one of {sorted(LOSSES)} or a function (scores, y) -> Value; got {loss!r}")
    return loss_fn


def accuracy_threshold(loss, y):
    """0.5 for 0/1 targets fitted by mse, else 0 (see `accuracy`)."""
    return 0.5 if loss == "mse" and np.isin(y, (0, 1)).all() else 0.0


def check_batch_size(batch_size, samples):
    """None (the full batch) or a whole number of samples from 1 to `samples`."""
    if batch_size is not None and not 1 <= batch_size <= samples:
        raise ValueError(f"batch_size must be between 1 and {samples} (the number of samples), got {batch_size!r}")


def forward_backward(model, xb, yb, loss_fn, optimizer, l2=0.0, keep_intermediate=True):
    """One step up to its update: scores = model(xb), the loss (plus l2 penalty), zero_grad, backward.

    Returns (scores, loss); the caller then runs `optimizer.step()` (and may look at the graph first).
    `keep_intermediate=False` (what `fit` uses) is backward's lean mode: only the parameters keep gradients.
    """
    scores = model(xb)
    total = loss_fn(scores, yb)
    if l2:
        total = total + l2 * losses.l2_penalty(model.parameters())
    optimizer.zero_grad()
    total.backward(keep_intermediate=keep_intermediate)
    return scores, total


def fit(model, X, y, loss="svm", optimizer=None, steps=100, batch_size=None, l2=0.0, callbacks=(), seed=None):
    """Train `model` on (X, y) for `steps` steps; return the `History`.

    loss: "svm", "mse", "bce", "cross_entropy" or a function (scores, y) -> 0-d Value.
    optimizer: defaults to SGD with lr 0.1. batch_size: None for the full batch, else a random
    subset of that size each step (drawn with `seed`). l2: adds l2 * sum(p * p) to the loss.
    """
    state = None
    for state in fit_iter(model, X, y, loss, optimizer, steps, batch_size, l2, callbacks, seed):
        pass
    return state.history if state is not None else History()


def fit_iter(model, X, y, loss="svm", optimizer=None, steps=100, batch_size=None, l2=0.0, callbacks=(), seed=None):
    """`fit`, one step at a time: a generator that trains one step per `next()` and yields its `TrainState`.

    Who drives it decides when the steps run: `widgets.training.start` runs them in a thread, or in
    slices on the event loop where there are no threads (Pyodide). The arguments are checked at once.
    """
    loss_fn = loss_function(loss)
    X = np.asarray(X.data if isinstance(X, Value) else X, dtype=np.float64)
    y = np.asarray(y.data if isinstance(y, Value) else y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"fit wants X of shape (N, features) and N labels; got X {X.shape} and y {y.shape}")
    check_batch_size(batch_size, len(X))
    optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1)
    return _steps(model, X, y, loss_fn, optimizer, steps, batch_size, l2, callbacks, np.random.default_rng(seed),
                  accuracy_threshold(loss, y))


def _steps(model, X, y, loss_fn, optimizer, steps, batch_size, l2, callbacks, rng, threshold):
    data = Value(X, requires_grad=False)
    history = History()
    for step in range(1, steps + 1):
        xb, yb = data, y
        if batch_size is not None:
            rows = rng.choice(len(X), size=batch_size, replace=False)
            xb, yb = Value(X[rows], requires_grad=False), y[rows]
        scores, total = forward_backward(model, xb, yb, loss_fn, optimizer, l2, keep_intermediate=False)
        optimizer.step()
        history.steps.append(step)
        history.loss.append(total.item())
        history.accuracy.append(accuracy(scores, yb, threshold))
        state = TrainState(step, steps, history.loss[-1], history.accuracy[-1], model, history, X, y)
        for callback in callbacks:
            callback(state)
        yield state
        if state.stop:
            break
