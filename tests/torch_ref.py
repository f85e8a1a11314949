"""Run one expression in tensorgrad and in PyTorch float64; compare the result and every input's gradient.

`check(fn, *inputs)` turns each numpy array in `inputs` into a differentiable input (a `Value` on one
side, a float64 tensor with requires_grad on the other), passes Python numbers through unchanged and
hands a `Const` over as is to tensorgrad and as a constant tensor to torch. Both outputs are pulled back
with the same random upstream gradient (not ones, which would hide a transposed or misrouted gradient).
"""
import numpy as np
import torch

from tensorgrad import Value


class Const:
    """Data that is not differentiated: numpy scalars and arrays on the left of an operator, masks, conditions."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Const({self.value!r})"


def _tensorgrad_arg(x):
    if isinstance(x, np.ndarray):
        return Value(x.copy())
    return x.value if isinstance(x, Const) else x


def _torch_arg(x):
    if isinstance(x, np.ndarray):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)
    return torch.as_tensor(np.asarray(x.value)) if isinstance(x, Const) else x


def check(fn, *inputs, torch_fn=None, rtol=1e-10, atol=1e-12, seed=0):
    """Assert `fn` (or `torch_fn` on the torch side) agrees in forward value and in every input's gradient.

    `seed=None` calls `backward()` with no upstream gradient (ones) instead of a random one.

    Returns the tensorgrad output and the input Values, so a test can look further into the graph.
    """
    ours = [_tensorgrad_arg(x) for x in inputs]
    theirs = [_torch_arg(x) for x in inputs]
    out, expected = fn(*ours), (torch_fn or fn)(*theirs)
    assert isinstance(out, Value), f"expected a Value, got {type(out).__name__}"
    assert out.shape == tuple(expected.shape), f"shape {out.shape}, torch gives {tuple(expected.shape)}"
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")

    if seed is None:  # backward() with no argument: seeded with ones, whatever the output's shape
        out.backward()
        expected.backward(torch.ones_like(expected))
    else:
        upstream = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
    leaves = [(v, t) for v, t in zip(ours, theirs) if isinstance(v, Value)]
    for k, (v, t) in enumerate(leaves):
        want = np.zeros(v.shape) if t.grad is None else t.grad.numpy()
        assert v.grad.shape == v.shape, f"input {k}: grad shape {v.grad.shape} != data shape {v.shape}"
        np.testing.assert_allclose(v.grad, want, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}")
    return out, [v for v, _ in leaves]


def readme_example(a, b):
    """The original README's expression (micrograd's test_more_ops): runs on Values and on torch tensors."""
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g
