"""The three graphs the stepper is tried on (issue 20): small, micrograd-shaped and batched.

Shared by the Python tests and the browser tests (whose notebook cells import this module).
"""
import random

import numpy as np

from tensorgrad import Value, datasets, losses
from tensorgrad.nn import MLP


def neuron():
    """The lecture's neuron on scalars: tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def micrograd_mlp():
    """micrograd's MLP(3, [4, 4, 1]) called on lists of scalar Values, three samples, squared-error loss."""
    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0]]
    ys = [1.0, -1.0, -1.0]
    scores = [model([Value(x) for x in row]) for row in xs]
    loss = sum((s - y) ** 2 for s, y in zip(scores, ys))
    loss.label = "loss"
    return loss


def batched_mlp():
    """MLP 2-16-16-1 on 8 moons samples: SVM loss plus an L2 term, as micrograd's demo trains it."""
    random.seed(1337)
    np.random.seed(1337)
    X, y = datasets.moons(n_samples=8, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1])
    scores = model(Value(X, requires_grad=False, label="X"))
    loss = losses.svm(scores, Value(y, requires_grad=False, label="y")) + 1e-4 * losses.l2_penalty(model.parameters())
    loss.label = "loss"
    return loss


GRAPHS = {"neuron": neuron, "micrograd_mlp": micrograd_mlp, "batched_mlp": batched_mlp}
