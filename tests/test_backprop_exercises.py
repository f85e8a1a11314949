"""Notebook 11's checks: a right backward pass passes, a hard-coded one fails, each slip is named at its tensor."""
import numpy as np
import pytest

from tensorgrad import exercises as ex
from tensorgrad.feedback import FAILED, NOT_ATTEMPTED, PASSED


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def dlogits(z, labels):
    p = _softmax(z)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def dlogits_row_0(z, labels):
    p = _softmax(z)
    p[0, labels[0]] -= 1  # the slip: one sample's label, not every row's
    return p / len(labels)


def linear(x, W, dout):
    return x.T @ dout, dout.sum(axis=0), dout @ W.T


def tanh(h, dh):
    return (1 - h**2) * dh


def backward_pass(X, labels, W1, b1, W2, b2):
    h = np.tanh(X @ W1 + b1)
    grads = {"logits": dlogits(h @ W2 + b2, labels)}
    grads["W2"], grads["b2"], grads["h"] = linear(h, W2, grads["logits"])
    grads["pre"] = tanh(h, grads["h"])
    grads["W1"], grads["b1"], _ = linear(X, W1, grads["pre"])
    return grads


def _with(**wrong):
    return lambda *args: {**backward_pass(*args), **{k: f(*args) for k, f in wrong.items()}}


# check: (right answer, hard-coded answer, {slip: words of its message})
CHECKS = {
    "dlogits": (ex.dlogits, dlogits, lambda z, labels: np.zeros((6, 7)), {
        lambda z, y: dlogits(z, y) * len(y): "'logits' (6, 7): off by a factor of 6 (the batch size)",
        lambda z, y: _softmax(z) / len(y): "that is the softmax alone",
        dlogits_row_0: "right for sample 0 only (row 0)",
        lambda z, y: -dlogits(z, y): "sign flipped",
        lambda z, y: _softmax(z.T).T / len(y) + dlogits(z, y) - _softmax(z) / len(y): "softmax over the wrong axis",
    }),
    "linear_backward": (ex.linear_backward, linear, lambda x, W, d: (np.ones((8, 7)), np.ones(7), np.ones((6, 8))), {
        lambda x, W, d: (d.T @ x, d.sum(0), d @ W.T): "'W2' (8, 7): transposed: expected shape (8, 7), got (7, 8)",
        lambda x, W, d: (x.T @ d, d, d @ W.T): "'b2' (7,): broadcast not undone: expected shape (7,), got (6, 7); "
                                               "sum over axis 0 (the batch axis)",
        lambda x, W, d: (x.T @ d, d.mean(0), d @ W.T): "'b2' (7,): off by a factor of 6 (the batch size)",
        lambda x, W, d: (x.T @ d, d.sum(1), d @ W.T): "'b2' (7,): summed over the wrong axes (1,)",
        lambda x, W, d: (np.outer(x[0], d[0]) * len(x), d.sum(0), d @ W.T): "gradient of one sample (sample 0) only",
        lambda x, W, d: (x.T @ d, d.sum(0), -d @ W.T): "'h' (6, 8): sign flipped",
        lambda x, W, d: (x.T @ d, d.sum(0)): "return 3 arrays, in this order: dW, db, dx",
        lambda x, W, d: (x.T @ d, d.sum(0), d @ W): "your function raised ValueError on inputs of shapes",
    }),
    "tanh_backward": (ex.tanh_backward, tanh, lambda h, dh: np.ones((6, 8)), {
        lambda h, dh: (1 - h) * dh: "1 - h is not tanh's slope",
        lambda h, dh: 1 - h**2: "multiplies the local derivative by the upstream gradient dh",
        lambda h, dh: dh: "the local derivative is missing",
        lambda h, dh: (1 - np.arctanh(h)**2) * dh: "1 - pre**2 uses tanh's input",
    }),
    "backward_pass": (ex.backward_pass, backward_pass, lambda *a: {k: 0.0 for k in ex.BACKWARD_PASS_TENSORS}, {
        _with(W2=lambda X, y, W1, b1, W2, b2: np.zeros((8, 7)).T, b1=lambda *a: np.zeros((1, 1))):
            "'W2' (8, 7): wrong shape: expected shape (8, 7), got (7, 8)",
        _with(b1=lambda X, y, W1, b1, W2, b2: backward_pass(X, y, W1, b1, W2, b2)["pre"]):
            "'b1' (8,): broadcast not undone",
        lambda *a: {k: v for k, v in backward_pass(*a).items() if k != "pre"}: "the gradient of 'pre' is missing",
        lambda *a: list(backward_pass(*a).values()): "return a dict of gradients keyed by tensor name",
    }),
}


@pytest.mark.parametrize("name", CHECKS)
def test_right_answer_passes(name):
    check, right, *_ = CHECKS[name]
    feedback = check.feedback(right)
    assert feedback.status == PASSED and "5 random batches)" in feedback.message, feedback


@pytest.mark.parametrize("name", CHECKS)
def test_hard_coded_answer_fails(name):
    check, _, hard_coded, _ = CHECKS[name]
    assert check.feedback(hard_coded).status == FAILED


@pytest.mark.parametrize("name, slip", [(n, s) for n in CHECKS for s in CHECKS[n][3]])
def test_each_slip_is_named(name, slip):
    feedback = CHECKS[name][0].feedback(slip)
    assert feedback.status == FAILED and CHECKS[name][3][slip] in feedback.message, feedback.message


@pytest.mark.parametrize("name", CHECKS)
def test_not_attempted(name):
    def stub(*args):
        raise NotImplementedError("exercise")
    assert CHECKS[name][0].feedback(stub).status == CHECKS[name][0].feedback(...).status == NOT_ATTEMPTED


def test_the_batches_are_fresh_for_every_seed():
    first, second = (ex.backward_pass.inputs(3, seed) for seed in (0, 1))
    assert not any(np.array_equal(a[0], b[0]) for a, b in zip(first, second))
