"""The ReLU MLP every contender trains, written once per kind of library.

Parameters are a flat list [W0, b0, W1, b1, ...] with W of shape (nin, nout), as tensorgrad's Layer
holds them. The numpy floor keeps what its hand-written backward needs; PyTorch and MyGrad share one
forward (their arrays both support `@`, `+` and a relu function) and differ only in how they update.
"""
import numpy as np


def floor_forward(params, X):
    """Forward pass in plain numpy: the output and the layer inputs / pre-activations backward needs."""
    cache, h, last = [], X, len(params) // 2 - 1
    for i in range(0, len(params), 2):
        z = h @ params[i] + params[i + 1]
        cache.append((h, z))
        h = z if i // 2 == last else np.maximum(z, 0)
    return h, cache


def floor_backward(params, cache, dout):
    """Gradients of every parameter, by hand, from dL/d(output)."""
    grads = [None] * len(params)
    g = dout
    for i in reversed(range(0, len(params), 2)):
        h, z = cache[i // 2]
        if i // 2 != len(cache) - 1:
            g = g * (z > 0)
        grads[i], grads[i + 1] = h.T @ g, g.sum(axis=0)
        if i:
            g = g @ params[i].T
    return grads


def floor_sgd(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g


def forward(params, x, relu):
    """The same MLP for any array library with `@`, `+` and the given relu (PyTorch, MyGrad)."""
    last = len(params) - 2
    for i in range(0, len(params), 2):
        x = x @ params[i] + params[i + 1]
        if i != last:
            x = relu(x)
    return x


def torch_sgd(params, lr):
    import torch
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def mygrad_sgd(params, lr):
    for p in params:
        p.data -= lr * p.grad
        p.null_grad()


def torch_params(params):
    import torch
    return [torch.tensor(p, requires_grad=True) for p in params]


def mygrad_params(params):
    import mygrad
    return [mygrad.tensor(p) for p in params]  # copies
