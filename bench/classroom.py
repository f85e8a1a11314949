"""classroom: micrograd's demo, timed whole — what a student waits for after pressing shift-enter.

make_moons (100 samples, noise 0.1, numpy seeded with 1337), an MLP 2-16-16-1 starting from the
weights micrograd draws after `random.seed(1337)`, SVM max-margin loss + 1e-4 * L2, SGD with the
schedule 1.0 - 0.9 * k / 100, 100 full-batch steps. Every contender starts from the same weights and
must end on the floor's loss, so each does exactly the same arithmetic.

tensorgrad runs twice: tuned (`fit`'s way: `l2_penalty`, an optimiser) and as a student writes the loop
by hand (`p.grad = np.zeros_like(p.data)`, `sum((p * p).sum() for p in params)`, `p.data -= lr * p.grad`).
"""
import random

import numpy as np

from . import mlp
from .harness import (FLOOR, TIMING_HEADERS, Contender, Section, ahead_of_peers, compare, median_ratio,
                      timing_rows)

STEPS, ALPHA, HIDDEN = 100, 1e-4, [16, 16, 1]
MICROGRAD_STEPS = 1  # over a second a step: a few single steps are timed and scaled to STEPS
TARGET = 2.5
STUDENT = "tensorgrad, student's loop"


def lr(k):
    return 1.0 - 0.9 * k / STEPS


def demo_setup():
    """micrograd's demo data and initial weights, as float64 arrays (W of shape (nin, nout))."""
    from tensorgrad.datasets import moons
    from tensorgrad.nn import MLP
    np.random.seed(1337)
    random.seed(1337)
    X, y = moons(n_samples=100, noise=0.1)
    return X, y, [p.data.copy() for p in MLP(2, HIDDEN).parameters()]


def floor(X, y, params, steps):
    params = [p.copy() for p in params]

    def run():
        for k in range(steps):
            out, cache = mlp.floor_forward(params, X)
            margin = 1 - y * out[:, 0]
            loss = np.maximum(margin, 0).mean() + ALPHA * sum((p * p).sum() for p in params)
            dout = (-y * (margin > 0) / len(y))[:, None]
            grads = mlp.floor_backward(params, cache, dout)
            mlp.floor_sgd(params, [g + 2 * ALPHA * p for g, p in zip(grads, params)], lr(k))
        return float(loss)
    return run


def tensorgrad_model(params):
    """tensorgrad's micrograd-style MLP holding a copy of the given weights."""
    from tensorgrad import nn
    model = nn.MLP(2, HIDDEN)
    for p, init in zip(model.parameters(), params):
        p.data = init.copy()
    return model


def tensorgrad_(X, y, params, steps):
    from tensorgrad import losses, optim
    model = tensorgrad_model(params)
    ps = model.parameters()
    optimizer = optim.SGD(ps, lr=lr)

    def run():
        for _ in range(steps):
            loss = losses.svm(model(X), y) + ALPHA * losses.l2_penalty(ps)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()
    return run


def tensorgrad_student(X, y, params, steps):
    """The loop a student writes from micrograd's demo, with tensorgrad's batched model and loss."""
    from tensorgrad import losses
    model = tensorgrad_model(params)
    ps = model.parameters()

    def run():
        for k in range(steps):
            loss = losses.svm(model(X), y) + ALPHA * sum((p * p).sum() for p in ps)
            for p in ps:
                p.grad = np.zeros_like(p.data)
            loss.backward()
            for p in ps:
                p.data -= lr(k) * p.grad
        return loss.item()
    return run


def _svm_l2(scores, y, params, relu):
    return relu(1 - y * scores[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)


def torch_(X, y, params, steps):
    import torch
    ps, Xt, yt = mlp.torch_params(params), torch.from_numpy(X), torch.from_numpy(y)

    def run():
        for k in range(steps):
            loss = _svm_l2(mlp.forward(ps, Xt, torch.relu), yt, ps, torch.relu)
            loss.backward()
            mlp.torch_sgd(ps, lr(k))
        return loss.item()
    return run


def mygrad_(X, y, params, steps):
    import mygrad as mg
    ps, Xm, ym = mlp.mygrad_params(params), mg.tensor(X, constant=True), mg.tensor(y, constant=True)

    def run():
        for k in range(steps):
            loss = _svm_l2(mlp.forward(ps, Xm, mg.nnet.relu), ym, ps, mg.nnet.relu)
            loss.backward()
            mlp.mygrad_sgd(ps, lr(k))
        return loss.item()
    return run


def micrograd_(X, y, params, steps):
    """The demo's own loop: one scalar Value per number, inputs rebuilt each step as the demo does."""
    from micrograd.engine import Value
    from micrograd.nn import MLP
    model = MLP(2, HIDDEN)
    for layer, (W, b) in zip(model.layers, zip(params[::2], params[1::2])):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.data = float(W[i, j])
            neuron.b.data = float(b[j])
    rows, labels = X.tolist(), y.tolist()

    def run():
        for k in range(steps):
            scores = [model([Value(v) for v in row]) for row in rows]
            data_loss = sum((1 + -yi * si).relu() for yi, si in zip(labels, scores)) * (1.0 / len(labels))
            loss = data_loss + ALPHA * sum(p * p for p in model.parameters())
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= lr(k) * p.grad
        return loss.data
    return run


def run(quick=False):
    X, y, params = demo_setup()
    makers = [(FLOOR, floor), ("tensorgrad", tensorgrad_), (STUDENT, tensorgrad_student), ("PyTorch", torch_),
              ("MyGrad", mygrad_)]
    contenders = [Contender(name, lambda make=make: make(X, y, params, STEPS)) for name, make in makers]
    contenders.append(Contender(
        "micrograd", lambda: micrograd_(X, y, params, MICROGRAD_STEPS), scale=STEPS / MICROGRAD_STEPS,
        rounds=1 if quick else 3, note=f"{MICROGRAD_STEPS} step per round, x{STEPS // MICROGRAD_STEPS}"))
    timings = compare(contenders, repeats=2 if quick else 9)

    section = Section(f"classroom: micrograd's demo, {STEPS} full-batch steps (time per run)", TIMING_HEADERS,
                      timing_rows(timings))
    references = {steps: floor(X, y, params, steps)() for steps in (STEPS, MICROGRAD_STEPS)}
    for t, c in zip(timings, contenders):
        steps = MICROGRAD_STEPS if c.rounds else STEPS
        got, want = t.results[0], references[steps]
        agrees = abs(got - want) <= 1e-9 * max(1.0, abs(want))
        section.notes.append(f"{t.name}: loss after {steps} step(s) {got:.12g} "
                             f"{'= floor' if agrees else f'!= floor {want:.12g}: MISMATCH'}")
    for name, target in (("tensorgrad", "classroom"), (STUDENT, "classroom, student's loop")):
        ratio = median_ratio(timings, name)
        section.target(target, f"{name} <= {TARGET}x floor", f"{ratio:.2f}x", ratio <= TARGET)
    ahead_of_peers(section, "classroom", timings)
    return section
