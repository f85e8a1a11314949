"""Loss functions: scores (a Value from the model) and labels in, one 0-d Value out (the batch mean).

Each loss wants its own label convention, checked on every call (it costs little next to a forward pass):
`svm` labels -1/+1 (micrograd's demo), `bce_with_logits` labels 0/1, `cross_entropy` integer classes
0..C-1, `mse` any real targets. Scores of shape (N, 1) are paired with labels of shape (N,).
"""
import numpy as np

from .engine import Value
from .functional import maximum, sum_squares


def svm(scores, y):
    """micrograd's max-margin loss: mean of relu(1 - y * score); zero once every point is 1 past the line."""
    scores, y = _paired(scores, y, "svm")
    _check_labels(y, (-1, 1), "svm", "-1/+1")
    return (1 - y * scores).relu().mean()


def mse(pred, target):
    """Mean squared error."""
    pred, target = _paired(pred, target, "mse")
    return ((pred - target) ** 2).mean()


def bce_with_logits(logits, y):
    """Binary cross-entropy on raw scores: mean of log(1 + exp(x)) - y * x, computed stably.

    Written max(x, 0) - x * y + log(1 + exp(-|x|)), which never exponentiates a large number;
    `maximum` splits its gradient at x = 0, which keeps the gradient exact there (sigmoid(0) - y).
    """
    x, y = _paired(logits, y, "bce_with_logits")
    _check_labels(y, (0, 1), "bce_with_logits", "0/1")
    return (maximum(x, 0.0) - x * y + ((-x.abs()).exp() + 1).log()).mean()


def cross_entropy(logits, labels):
    """Softmax cross-entropy: logits (N, C), integer labels (N,); the mean of -log_softmax[i, label_i]."""
    if not isinstance(logits, Value) or logits.ndim != 2:
        raise ValueError(f"cross_entropy wants logits as a Value of shape (N, C); got "
                         f"{getattr(logits, 'shape', type(logits).__name__)}")
    labels = np.asarray(labels.data if isinstance(labels, Value) else labels)
    n, c = logits.shape
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: logits {logits.shape} need labels of shape ({n},), got {labels.shape}")
    if labels.dtype.kind not in "iu" and not np.array_equal(labels, np.round(labels)):
        raise ValueError(f"cross_entropy wants integer class labels, got {labels.dtype} values like {labels[:5]}")
    labels = labels.astype(np.intp)
    if labels.size and not 0 <= labels.min() <= labels.max() < c:
        raise ValueError(f"cross_entropy: labels must lie in 0..{c - 1} for {c} classes; "
                         f"got {labels.min()}..{labels.max()}")
    return -logits.log_softmax(axis=1)[np.arange(n), labels].mean()


def l2_penalty(parameters):
    """sum(p * p) over all parameters: add `alpha * l2_penalty(model.parameters())` to a loss.

    One `sum_squares` node over all the parameters, whose backward sends 2 * g * p to each: the graph
    (and the backward pass a student steps through) gains one node, not three per parameter.
    """
    return sum_squares(list(parameters))


def _paired(scores, y, where):
    """Scores and labels as Values of one shape; a trailing size-1 axis of the scores is dropped."""
    if not isinstance(scores, Value):
        raise TypeError(f"{where}: scores must be a Value (the model's output), got {type(scores).__name__}")
    if not isinstance(y, Value):
        y = Value(y, requires_grad=False, dtype=scores.dtype)
    if scores.shape == y.shape + (1,):
        scores = scores.reshape(y.shape)
    if scores.shape != y.shape:
        raise ValueError(f"{where}: scores of shape {scores.shape} do not pair with labels of shape {y.shape}")
    return scores, y


def _check_labels(y, allowed, where, convention):
    bad = (y.data != allowed[0]) & (y.data != allowed[1])  # np.isin costs more than the loss itself
    if bad.any():
        raise ValueError(f"{where} wants labels {convention}; got values {np.unique(y.data[bad])[:5]} "
                         f"(the datasets module makes either: labels='pm1' or labels='01')")
