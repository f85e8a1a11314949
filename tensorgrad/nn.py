"""Neural-net building blocks: micrograd's `Neuron`, `Layer` and `MLP`, with tensors for weights.

A micrograd Layer is a list of Neurons, each a list of scalar weights; here a Layer holds one
`(nin, nout)` weight Value and one `(nout,)` bias, so its forward pass is `x @ w + b`, a few numpy calls.
The initial weights are drawn exactly as micrograd draws them (Python's `random.uniform(-1, 1)`,
neuron by neuron, then a zero bias), so after `random.seed(1337)` both libraries start alike.

Every module takes a list of scalar Values (micrograd style; gradients flow back into them), one
sample of shape `(nin,)`, or a batch `(N, nin)`. `Linear`, `Sequential` and the activation modules
are the PyTorch-flavoured extras. Parameters are labelled by name (`L0.w`), for the graph drawing.
"""
import random

import numpy as np

from .engine import Value
from .functional import stack


class Module:
    """Something with parameters that maps an input Value to an output Value."""
    nin = nout = None  # input / output width; None for shape-agnostic modules (activations)
    squeeze_single = False  # micrograd returns one Value, not a list of one, for a single output

    def __call__(self, x):
        x = as_input(x, self.nin, type(self).__name__)
        out = self.forward(x)
        if self.squeeze_single and x.ndim == 1 and out.shape == (1,):
            out = out.reshape(())
        return out

    def forward(self, x):
        raise NotImplementedError

    def named_parameters(self):
        """`(name, Value)` pairs, the names used for labels and in saved files."""
        return []

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def num_parameters(self):
        """How many numbers the parameters hold (micrograd's len(model.parameters()); here that counts tensors)."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def save(self, path):
        return save(self, path)

    def load(self, path):
        return load(self, path)

    def _label_parameters(self):
        for name, p in self.named_parameters():
            p.label = name


def as_input(x, nin, where):
    """The input as a Value of shape (..., nin): Value lists are stacked, raw arrays become data."""
    if isinstance(x, (list, tuple)) and _holds_value(x):
        x = _stack_nested(x)
    elif not isinstance(x, Value):
        x = Value(x, requires_grad=False)
    if nin is not None and (x.ndim == 0 or x.shape[-1] != nin):
        raise ValueError(f"{where} takes {nin} input feature(s): one sample of shape ({nin},) or a batch "
                         f"(N, {nin}); got shape {x.shape}")
    return x


def _holds_value(items):
    return any(isinstance(i, Value) or (isinstance(i, (list, tuple)) and _holds_value(i)) for i in items)


def _stack_nested(items):
    """[[Value, ...], ...] -> one Value through `stack`, so the graph keeps every scalar."""
    return stack([_stack_nested(i) if isinstance(i, (list, tuple)) else i for i in items])


def _micrograd_weights(nin, nout):
    """(nin, nout) weights in micrograd's draw order: neuron by neuron, nin uniforms each."""
    return np.array([[random.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]).T


class _Dense(Module):
    """What Neuron, Layer and Linear share: `x @ w + b`, then a ReLU if `nonlin`."""
    nonlin = False

    def forward(self, x):
        act = x @ self.w
        if self.b is not None:
            act = act + self.b
        return act.relu() if self.nonlin else act

    def named_parameters(self):
        return [("w", self.w)] + ([("b", self.b)] if self.b is not None else [])

    def _neuron_repr(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({self.nin})"


class Neuron(_Dense):
    """One unit, `relu(x @ w + b)` (or without the relu): w has shape (nin,), b is 0-d."""

    def __init__(self, nin, nonlin=True):
        self.nin, self.nonlin = _width(nin, "nin"), nonlin
        self.w = Value(_micrograd_weights(self.nin, 1)[:, 0])
        self.b = Value(0.0)
        self._label_parameters()

    __repr__ = _Dense._neuron_repr


class Layer(_Dense):
    """`nout` neurons side by side: one (nin, nout) weight and one (nout,) bias."""
    squeeze_single = True

    def __init__(self, nin, nout, nonlin=True):
        self.nin, self.nout, self.nonlin = _width(nin, "nin"), _width(nout, "nout"), nonlin
        self.w = Value(_micrograd_weights(self.nin, self.nout))
        self.b = Value(np.zeros(self.nout))
        self._label_parameters()

    def __repr__(self):
        neuron = self._neuron_repr()
        neurons = ", ".join([neuron] * self.nout) if self.nout <= 3 else f"{neuron} x {self.nout}"
        return f"Layer of [{neurons}]"


class Linear(_Dense):
    """PyTorch's `nn.Linear`: `x @ w + b`, with w of shape (nin, nout) (PyTorch stores its transpose).

    Initialised as PyTorch does (Kaiming-uniform with a=sqrt(5)): w and b uniform in
    +-1/sqrt(nin), drawn from a numpy Generator (`rng`), or a fresh one seeded with `seed`.
    """

    def __init__(self, nin, nout, bias=True, seed=None, rng=None):
        if rng is not None and seed is not None:
            raise ValueError("Linear takes a seed or an rng, not both")
        rng = np.random.default_rng(seed) if rng is None else rng
        self.nin, self.nout = _width(nin, "nin"), _width(nout, "nout")
        bound = 1 / np.sqrt(self.nin)
        self.w = Value(rng.uniform(-bound, bound, size=(self.nin, self.nout)))
        self.b = Value(rng.uniform(-bound, bound, size=self.nout)) if bias else None
        self._label_parameters()

    def __repr__(self):
        return f"Linear({self.nin}, {self.nout}{'' if self.b is not None else ', bias=False'})"


class _Activation(Module):
    fn = ""

    def forward(self, x):
        return getattr(x, self.fn)()

    def __repr__(self):
        return f"{type(self).__name__}()"


class ReLU(_Activation):
    fn = "relu"


class Tanh(_Activation):
    fn = "tanh"


class Sigmoid(_Activation):
    fn = "sigmoid"


class Sequential(Module):
    """Modules applied one after the other; parameters are named `L0.w`, `L2.b`, ... by position."""

    def __init__(self, *layers):
        if not layers or not all(isinstance(m, Module) for m in layers):
            raise TypeError("Sequential takes one or more Modules")
        width = None
        for i, m in enumerate(layers):
            if m.nin is not None and width is not None and m.nin != width:
                raise ValueError(f"Sequential: module {i} ({m!r}) takes {m.nin} inputs but receives {width}")
            width = m.nout if m.nout is not None else width
        self.layers = list(layers)
        self.nin = next((m.nin for m in layers if m.nin is not None), None)
        self.nout = width
        self._label_parameters()

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def named_parameters(self):
        return [(f"L{i}.{name}", p) for i, m in enumerate(self.layers) for name, p in m.named_parameters()]

    def __repr__(self):
        return f"Sequential({', '.join(map(repr, self.layers))})"


class MLP(Sequential):
    """micrograd's multi-layer perceptron: ReLU Layers, the last one linear. Any width works, even 1."""
    squeeze_single = True

    def __init__(self, nin, nouts):
        if isinstance(nouts, int) or not nouts:
            raise TypeError(f"MLP(nin, nouts): nouts is a non-empty list of layer widths, got {nouts!r}")
        sizes = [nin] + list(nouts)
        super().__init__(*[Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))])

    def __repr__(self):
        return f"MLP of [{', '.join(map(repr, self.layers))}]"


def _width(n, name):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return int(n)


# ---- saving and loading weights (.npz, no pickle) ----------------------------------------------

def save(module, path):
    """Write the module's parameters to an .npz file, one array per parameter name (numpy adds .npz to
    a path without it)."""
    np.savez(path, **{name: p.data for name, p in module.named_parameters()})


def load(module, path):
    """Copy weights saved by `save` into `module`, in place; names and shapes must match exactly."""
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError:  # neither .npz nor .npy: numpy takes any other file for a pickle, and refuses it
        raise ValueError(f"load: {path} is not a weights file written by tensorgrad.nn.save "
                         "(those are .npz archives of named arrays)") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} holds a single array, not an .npz file written by tensorgrad.nn.save")
    try:
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:  # e.g. object arrays, which would need pickle
        raise ValueError(f"load: {path} is not a weights file written by tensorgrad.nn.save: {error}") from None
    params = dict(module.named_parameters())
    problems = []
    if missing := [n for n in params if n not in arrays]:
        problems.append(f"missing {missing}")
    if unexpected := [n for n in arrays if n not in params]:
        problems.append(f"unexpected {unexpected}")
    problems += [f"{n}: file has shape {arrays[n].shape}, model has {p.shape}"
                 for n, p in params.items() if n in arrays and arrays[n].shape != p.shape]
    if problems:
        raise ValueError(f"load: {path} does not fit {type(module).__name__}: " + "; ".join(problems))
    for name, p in params.items():
        if isinstance(p.data, np.ndarray):
            p.data[...] = arrays[name]
        else:  # a single number is held as a numpy scalar, which cannot be written into
            p.data = arrays[name].astype(p.dtype)[()]
    return module
