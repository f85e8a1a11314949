"""Ops on several Values at once: `stack`, `concatenate`, `sum_squares`, `where`, `maximum`.

Their maths is in `ops.py` like every other op's; here the operands are checked and turned into Values.
"""
import numpy as np

from . import ops
from .engine import Value, apply, elementwise, normalize_axis, _lift


def _lifted(*operands):
    """The operands as Values; numbers and arrays take the dtype (and tracking) of the first Value among them."""
    like = next((v for v in operands if isinstance(v, Value)), None)
    like = Value(operands[0]) if like is None else like
    return tuple(_lift(v, like) for v in operands)


def _values(values, where):
    if isinstance(values, Value) or not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{where} takes a non-empty list of Values or arrays")
    return _lifted(*values)


def stack(values, axis=0):
    """Join same-shaped Values along a new axis."""
    values = _values(values, "stack")
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise ValueError(f"stack: all Values need the same shape; got {[v.shape for v in values]}")
    axis = normalize_axis(axis, values[0].ndim, "stack", extra=1)
    return apply(ops.stack, values, {"axis": axis})


def concatenate(values, axis=0):
    """Join Values along an existing axis; the other axes must agree."""
    values = _values(values, "concatenate")
    if any(v.ndim == 0 for v in values):
        raise ValueError("concatenate: 0-d Values have no axis to join along; use stack")
    axis = normalize_axis(axis, values[0].ndim, "concatenate")
    rest = {v.shape[:axis] + v.shape[axis + 1:] if v.ndim == values[0].ndim else None for v in values}
    if len(rest) > 1:
        raise ValueError(f"concatenate: shapes {[v.shape for v in values]} differ off axis {axis}")
    return apply(ops.concatenate, values, {"axis": axis})


def sum_squares(values):
    """sum(v * v) over every element of every Value, as one node (an L2 penalty's graph stays one node)."""
    return apply(ops.sum_squares, _values(values, "sum_squares"))


def where(cond, a, b):
    """`a` where `cond` is true, else `b` (broadcasting); the condition itself gets no gradient."""
    cond = np.asarray(cond.data if isinstance(cond, Value) else cond).astype(bool)
    a, b = _lifted(a, b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape} (cond), {a.shape} and {b.shape} cannot be broadcast "
                         "together") from None
    return apply(ops.where, (a, b), {"cond": cond})


def maximum(a, b):
    """Elementwise maximum; where a == b each side gets half the gradient (as in PyTorch)."""
    return elementwise(ops.maximum, *_lifted(a, b))
