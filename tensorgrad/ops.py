"""Every primitive op, defined once: forward, one vector-Jacobian product per operand, and its formula.

An op's backward is written for the *broadcast* shape of its output; the engine reduces each
gradient back to its operand's shape in one place (`unbroadcast`), so no rule repeats that work.
In the vjps `g` is the upstream gradient dL/d(out), `out` the op's output, and `a`, `b` its inputs.
The formulas are data, read by `backward_steps()`, the graph drawing and the stepper widget.
"""
import math
import operator

import numpy as np


class Op:
    """A primitive: `forward(*inputs, **attrs)`, and for operand i `vjps[i](g, out, *inputs, **attrs)`.

    Ops with any number of operands (stack, concatenate) give one vjp taking the operand's index first
    (their `arity` is None). A `commutative` op's two vjps agree when both operands are one Value (`p * p`),
    so backward computes that gradient once and passes it on twice.
    """
    __slots__ = ("name", "forward", "vjps", "formulas", "arity", "commutative")

    def __init__(self, name, forward, vjps, formulas, commutative=False):
        self.name, self.forward, self.vjps, self.formulas = name, forward, vjps, formulas
        self.arity, self.commutative = (len(vjps) if isinstance(vjps, tuple) else None), commutative

    def formula(self, i):
        """The rule for operand i, as `grad_i = ...` in terms of g, out and the inputs."""
        return self.formulas if isinstance(self.formulas, str) else self.formulas[i]

    def label(self, attrs):
        """How the graph drawing names this node: `sum(axis=0)`, `**3`, `[0, 1:]`."""
        if not attrs:
            return self.name
        if self.name == "**":
            return f"**{attrs['p']:g}"
        if self.name == "getitem":
            return f"[{_format_index(attrs['index'])}]"
        shown = ", ".join(f"{k}={v[0] if isinstance(v, tuple) and len(v) == 1 else v}"
                          for k, v in attrs.items() if k != "cond" and v is not None and v is not False)
        return f"{self.name}({shown})" if shown else self.name

    def __repr__(self):
        return f"Op({self.name!r})"


def _format_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    def one(p):
        if isinstance(p, slice):
            return ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":") or ":"
        if p is None:
            return "None"
        if p is Ellipsis:
            return "..."
        return np.array2string(np.asarray(p), separator=",") if np.ndim(p) else str(p)
    return ", ".join(one(p) for p in parts)


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing numpy broadcasting; also return the summed axes.

    Broadcasting copies an operand along new leading axes and along axes where it has size 1, so
    by the chain rule its gradient is the sum of the upstream gradient over exactly those axes.
    """
    if grad.shape == shape:
        return grad, ()
    axes = broadcast_axes(shape, grad.shape)
    summed = grad.sum(axis=axes)
    # reshaped only where size-1 axes must come back: a reshape is a view, which the engine would copy
    return (summed if summed.shape == shape else summed.reshape(shape)), axes


def broadcast_axes(shape, grown):
    """The axes of `grown` that broadcasting `shape` to it added: new leading axes, and size-1 axes that grew."""
    lead = len(grown) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grown[lead + i] != 1)


# ---- elementwise arithmetic -------------------------------------------------------------------
# Python's operators, not the ufuncs: on arrays `a * b` is np.multiply, and on numpy scalars (0-d Values)
# it takes numpy's scalar fast path instead of a ufunc call (~0.1 us against ~1 us).

add = Op("+", operator.add, (lambda g, out, a, b: g, lambda g, out, a, b: g), ("g", "g"), commutative=True)
sub = Op("-", operator.sub, (lambda g, out, a, b: g, lambda g, out, a, b: -g), ("g", "-g"))
mul = Op("*", operator.mul, (lambda g, out, a, b: g * b, lambda g, out, a, b: g * a), ("g * b", "g * a"),
         commutative=True)
div = Op("/", operator.truediv, (lambda g, out, a, b: g / b, lambda g, out, a, b: -g * out / b),
         ("g / b", "-g * a / b**2"))
neg = Op("neg", operator.neg, (lambda g, out, a: -g,), ("-g",))


def _pow_vjp_base(g, out, a, b):
    # where the exponent is 0 the derivative is 0, even at a == 0 (PyTorch agrees)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, 0.0, g * b * a ** (b - 1))


def _pow_vjp_exponent(g, out, a, b):
    # d(a**b)/db = a**b * log(a); at a == 0 with b >= 0 PyTorch takes the limit 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((a == 0) & (b >= 0), 0.0, g * out * np.log(a))


def _pow_forward(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(a, b)


power = Op("pow", _pow_forward, (_pow_vjp_base, _pow_vjp_exponent), ("g * b * a**(b-1)", "g * a**b * log(a)"))


def _whole(e):
    """a**e for a whole e >= 0 never divides by zero nor makes a NaN: no np.errstate needed (it costs ~1 us)."""
    return e >= 0 and float(e).is_integer()


def _powc_forward(a, p):
    if _whole(p):
        return a ** p
    with np.errstate(divide="ignore", invalid="ignore"):
        return a ** p


def _powc_vjp(g, out, a, p):
    if p == 0:
        return np.zeros_like(g * a)
    if _whole(p - 1):
        return g * p * a ** (p - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * p * a ** (p - 1)


# a number as exponent is an attribute of the op, as in micrograd: `x**3` has one operand
pow_const = Op("**", _powc_forward, (_powc_vjp,), ("g * p * a**(p-1)",))


def _maximum_vjp(g, out, a, b):
    # ties split the gradient in half, as PyTorch does
    return g * (a > b) + g * (a == b) * 0.5


maximum = Op("maximum", np.maximum, (_maximum_vjp, lambda g, out, a, b: _maximum_vjp(g, out, b, a)),
             ("g * ([a > b] + [a == b] / 2)", "g * ([b > a] + [a == b] / 2)"), commutative=True)
where = Op("where", lambda a, b, cond: np.where(cond, a, b),
           (lambda g, out, a, b, cond: np.where(cond, g, 0.0), lambda g, out, a, b, cond: np.where(cond, 0.0, g)),
           ("g where cond, else 0", "g where not cond, else 0"))

# ---- elementwise functions ------------------------------------------------------------------


def _sigmoid(a):
    # exp(-logaddexp(0, -a)) = 1 / (1 + exp(-a)) without overflow for large negative a
    return np.exp(-np.logaddexp(0, -a))


def _relu_vjp(g, out, a):
    # [a > 0] as floats. On a small tensor sign(out) computes it (out = max(a, 0) is 0 or positive) at half
    # the cost of a comparison and its bool-to-float cast (8.5 k instructions against 15 k on (2, 2)); from
    # ~500 elements sign's per-element work costs more, and on one number the comparison is cheapest.
    if 1 < out.size < 512:
        return g * np.sign(out)
    return g * (a > 0.0)


# 0.0 rather than 0: numpy converts a Python float more cheaply than an int (~1.3 k instructions a call)
relu = Op("relu", lambda a: np.maximum(a, 0.0), (_relu_vjp,), ("g * [a > 0]",))
tanh = Op("tanh", np.tanh, (lambda g, out, a: g * (1 - out * out),), ("g * (1 - out**2)",))
sigmoid = Op("sigmoid", _sigmoid, (lambda g, out, a: g * out * (1 - out),), ("g * out * (1 - out)",))
exp = Op("exp", np.exp, (lambda g, out, a: g * out,), ("g * out",))
log = Op("log", np.log, (lambda g, out, a: g / a,), ("g / a",))
sqrt = Op("sqrt", np.sqrt, (lambda g, out, a: g / (2 * out),), ("g / (2 * out)",))
abs_ = Op("abs", np.abs, (lambda g, out, a: g * np.sign(a),), ("g * sign(a)",))

# ---- reductions (axis is None or a tuple of non-negative ints, normalised by the engine) --------


def _expand(g, a, axis, keepdims):
    """Put back the reduced axes of g (as size 1) so it broadcasts against a."""
    if keepdims:
        return g
    if axis is None:
        return g.reshape((1,) * a.ndim)
    return g.reshape([1 if i in axis else n for i, n in enumerate(a.shape)])


def _count(a, axis):
    return a.size if axis is None else math.prod(a.shape[i] for i in axis)


def _extreme_vjp(g, out, a, axis, keepdims):
    # ties share the gradient equally, as PyTorch's amax/amin do
    hit = a == _expand(out, a, axis, keepdims)
    return _expand(g, a, axis, keepdims) * hit / hit.sum(axis=axis, keepdims=True, dtype=a.dtype)


def _sum_vjp(g, out, a, axis, keepdims):
    """g copied along the summed axes, into a fresh array (np.broadcast_to's Python overhead costs more)."""
    grad = np.empty_like(a)  # in a's dtype, which its gradient takes
    if axis is None and not keepdims:
        grad.fill(g)  # g is one number: the cheapest copy of all
    else:
        grad[...] = _expand(g, a, axis, keepdims)
    return grad


# np.add.reduce is what np.sum and np.mean run, minus their Python-level dispatch (a few us a call)
sum_ = Op("sum", lambda a, axis, keepdims: np.add.reduce(a, axis, None, None, keepdims), (_sum_vjp,),
          ("g copied along the summed axes",))
mean = Op("mean", lambda a, axis, keepdims: np.add.reduce(a, axis, None, None, keepdims) / _count(a, axis),
          (lambda g, out, a, axis, keepdims: _sum_vjp(g / _count(a, axis), out, a, axis, keepdims),),
          ("g / n copied along the averaged axes",))
max_ = Op("max", lambda a, axis, keepdims: np.max(a, axis=axis, keepdims=keepdims), (_extreme_vjp,),
          ("g to the maxima (split among ties), 0 elsewhere",))
min_ = Op("min", lambda a, axis, keepdims: np.min(a, axis=axis, keepdims=keepdims), (_extreme_vjp,),
          ("g to the minima (split among ties), 0 elsewhere",))


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(a, axis):
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


softmax = Op("softmax", _softmax,
             (lambda g, out, a, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)),),
             ("out * (g - sum(g * out))",))
log_softmax = Op("log_softmax", _log_softmax,
                 (lambda g, out, a, axis: g - np.exp(out) * g.sum(axis=axis, keepdims=True),),
                 ("g - softmax(a) * sum(g)",))

# ---- shape and indexing ---------------------------------------------------------------------

# ndarray methods rather than np.reshape & co: the same operation without numpy's Python-level dispatch
reshape = Op("reshape", lambda a, shape: a.reshape(shape),
             (lambda g, out, a, shape: g.reshape(a.shape),), ("g reshaped back to a.shape",))
transpose = Op("transpose", lambda a, axes: a.transpose(axes),
               (lambda g, out, a, axes: g.transpose(sorted(range(len(axes)), key=axes.__getitem__)),),
               ("g with the axes permuted back",))


def _getitem_vjp(g, out, a, index):
    grad = np.zeros_like(a, dtype=np.result_type(a, g))
    np.add.at(grad, index, g)  # add.at, not assignment: a repeated index collects every gradient
    return grad


getitem = Op("getitem", lambda a, index: a[index], (_getitem_vjp,), ("g scatter-added into zeros at the index",))


def _concat_vjp(i, g, out, *inputs, axis):
    start = sum(x.shape[axis] for x in inputs[:i])
    return g[(slice(None),) * axis + (slice(start, start + inputs[i].shape[axis]),)]


stack = Op("stack", lambda *inputs, axis: np.stack(inputs, axis=axis),
           lambda i, g, out, *inputs, axis: g[(slice(None),) * axis + (i,)], "g[i] along the stacked axis")
concatenate = Op("concat", lambda *inputs, axis: np.concatenate(inputs, axis=axis), _concat_vjp,
                 "g's slice for operand i along the joined axis")
# sum(x * x) over every element of every operand, in one node: what an L2 penalty over a model's parameters is
sum_squares = Op("sum_squares", lambda *inputs: sum(np.vdot(x, x) for x in inputs),
                 lambda i, g, out, *inputs: 2 * g * inputs[i], "2 * g * x_i")

# ---- linear algebra -------------------------------------------------------------------------


def _as_matrices(g, a, b):
    """Lift 1-D operands to matrices as np.matmul does, so both vjps are plain matrix products."""
    if b.ndim == 1:
        g, b = g[..., None], b[:, None]
    if a.ndim == 1:
        g, a = g[..., None, :], a[None, :]
    return g, a, b


def _matmul_vjp_a(g, out, a, b):
    g, a2, b2 = _as_matrices(g, a, b)
    grad = g @ b2.swapaxes(-1, -2)
    return grad[..., 0, :] if a.ndim == 1 else grad


def _matmul_vjp_b(g, out, a, b):
    g, a2, b2 = _as_matrices(g, a, b)
    grad = a2.swapaxes(-1, -2) @ g
    return grad[..., 0] if b.ndim == 1 else grad


matmul = Op("@", np.matmul, (_matmul_vjp_a, _matmul_vjp_b), ("g @ b.T", "a.T @ g"))
