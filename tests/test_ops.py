"""Every op and method against PyTorch float64, forward and gradients, one table of cases per op.

`CASES` maps each `Op` in `tensorgrad.ops` to its cases; a test fails if an op has none (or no formula),
and every case checks that the op it is filed under really is in the graph it built.
"""
import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad import ops
from torch_ref import Const, check

_rng = np.random.default_rng(0)
NUMBER = None  # in a shape table: the operand is a plain Python number


def data(shape, kind="any"):
    """Random inputs: `any` normal, `pos` in [0.5, 2], `away` from zero (either sign)."""
    if shape is NUMBER:
        return {"any": -1.3, "pos": 1.7, "away": -1.6}[kind]
    if kind == "any":
        return np.asarray(_rng.standard_normal(shape))
    magnitude = np.asarray(_rng.uniform(0.5, 2.0, shape))
    return magnitude if kind == "pos" else np.asarray(magnitude * _rng.choice([-1.0, 1.0], shape))


def ops_in_graph(out):
    seen, stack, found = set(), [out], set()
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            found.add(node._fn)
            stack.extend(node._prev)
    return found


CASES = {op: [] for op in vars(ops).values() if isinstance(op, ops.Op)}


def case(op, name, fn, *inputs, torch_fn=None, **tolerances):
    CASES[op].append(pytest.param(op, fn, inputs, torch_fn, tolerances, id=f"{op.name}-{name}"))


def shape_id(shape):
    return "num" if shape is NUMBER else "x".join(map(str, shape)) or "0d"


# ---- broadcasting binary ops over a table of shape pairs, both orders -----------------------------

SHAPE_PAIRS = [
    (NUMBER, (3,)), (NUMBER, ()), (NUMBER, (2, 1, 3)), ((), ()), ((), (3,)), ((), (2, 1, 3)),
    ((3,), (3,)), ((1, 3), (3,)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((2, 1), (1, 3)),
    ((2, 1, 3), (2, 3)), ((2, 1, 3), (1, 3)), ((4, 1, 1), (2, 3)), ((4, 1, 1), (4, 2, 3)), ((1,), (2, 3)),
    ((2, 3), (2, 3)),
]
BINARY = [  # op, expression, kind of data for the left and the right operand
    (ops.add, lambda a, b: a + b, "any", "any"),
    (ops.sub, lambda a, b: a - b, "any", "any"),
    (ops.mul, lambda a, b: a * b, "any", "any"),
    (ops.div, lambda a, b: a / b, "any", "away"),
    (ops.power, lambda a, b: a ** b, "pos", "any"),
]
for op, fn, left, right in BINARY:
    for sa, sb in SHAPE_PAIRS:
        for sa, sb in {(sa, sb), (sb, sa)}:
            if op is ops.power and sb is NUMBER:
                continue  # a number exponent is pow_const, tested below
            case(op, f"{shape_id(sa)}-{shape_id(sb)}", fn, data(sa, left), data(sb, right))

for sa, sb in SHAPE_PAIRS:
    for sa, sb in {(sa, sb), (sb, sa)}:
        if sa is not NUMBER or sb is not NUMBER:
            case(ops.maximum, f"{shape_id(sa)}-{shape_id(sb)}", tg.maximum, data(sa), data(sb),
                 torch_fn=lambda a, b: torch.maximum(torch.as_tensor(a, dtype=torch.float64),
                                                     torch.as_tensor(b, dtype=torch.float64)))
# ties: PyTorch splits the gradient in half
case(ops.maximum, "ties", tg.maximum, np.array([1.0, 2.0, -3.0, 0.0]), np.array([1.0, 1.0, -3.0, 5.0]),
     torch_fn=torch.maximum)

# reflected forms: numbers, numpy scalars and numpy arrays on the left (numpy must defer to Value)
LEFT_OPERANDS = {
    "int": 2, "float": 1.5, "np.float64": Const(np.float64(1.5)), "np.float32": Const(np.float32(1.5)),
    "np.int64": Const(np.int64(2)), "np-0d": Const(np.array(1.5)), "np-array": Const(np.full((2, 3), 1.5)),
    "np-broadcast": Const(np.array([[0.5], [1.5]])),
}
for op, fn, _, right in BINARY:
    for name, left in LEFT_OPERANDS.items():
        case(op, f"reflected-{name}", fn, left, data((2, 3), right))
for name in ("np-array", "np-broadcast"):
    case(ops.add, f"array-on-right-{name}", lambda a, b: a + b, data((2, 3)), LEFT_OPERANDS[name])

# pow with tensor exponents at the edges PyTorch defines: zero base with exponent 0 or positive
case(ops.power, "zero-base", lambda a, b: a ** b, np.array([0.0, 0.0, 1.0, 2.0, 0.5]),
     np.array([0.0, 2.0, 0.0, 1.5, -1.0]))

# ---- where -------------------------------------------------------------------------------------

_mask = np.array([[True, False, True], [False, False, True]])
for sa, sb in [((2, 3), (2, 3)), ((3,), (2, 1)), ((), (2, 3)), (NUMBER, (3,)), ((1, 3), NUMBER)]:
    case(ops.where, f"{shape_id(sa)}-{shape_id(sb)}", tg.where, Const(_mask), data(sa), data(sb),
         torch_fn=lambda c, a, b: torch.where(c, torch.as_tensor(a, dtype=torch.float64),
                                              torch.as_tensor(b, dtype=torch.float64)))
case(ops.where, "cond-broadcasts", tg.where, Const(np.array([True, False, True])), data((2, 1)), data(()),
     torch_fn=torch.where)

# ---- elementwise functions ---------------------------------------------------------------------

UNARY = [  # op, tensorgrad expression, torch expression, kind of data
    (ops.neg, lambda x: -x, None, "any"),
    (ops.relu, lambda x: x.relu(), None, "away"),
    (ops.tanh, lambda x: x.tanh(), None, "any"),
    (ops.sigmoid, lambda x: x.sigmoid(), None, "any"),
    (ops.exp, lambda x: x.exp(), None, "any"),
    (ops.log, lambda x: x.log(), None, "pos"),
    (ops.sqrt, lambda x: x.sqrt(), None, "pos"),
    (ops.abs_, lambda x: x.abs(), None, "away"),
    (ops.abs_, abs, None, "away"),
]
for op, fn, torch_fn, kind in UNARY:
    for shape in [(), (3,), (2, 3), (2, 1, 3)]:
        case(op, shape_id(shape), fn, data(shape, kind), torch_fn=torch_fn)
case(ops.relu, "at-zero", lambda x: x.relu(), np.array([-1.0, 0.0, 2.0]))
case(ops.abs_, "at-zero", lambda x: x.abs(), np.array([-1.0, 0.0, 2.0]))
case(ops.sigmoid, "large", lambda x: x.sigmoid(), np.array([-800.0, -30.0, 0.0, 30.0, 800.0]))
case(ops.tanh, "large", lambda x: x.tanh(), np.array([-500.0, 500.0]))

for p in [3, 2, 0.5, -1, -2.5, 0, np.float64(1.5), np.int64(2)]:
    case(ops.pow_const, f"p={p}", lambda x, p=p: x ** p, data((2, 3), "pos"),
         torch_fn=lambda x, p=p: x ** float(p))
case(ops.pow_const, "0d", lambda x: x ** 3, data((), "any"))
case(ops.pow_const, "p=0-at-zero", lambda x: x ** 0, np.array([0.0, 1.0]))
case(ops.pow_const, "p=2-negative-base", lambda x: x ** 2, np.array([-3.0, 0.0, 2.0]))

# ---- reductions --------------------------------------------------------------------------------

REDUCTIONS = [(ops.sum_, "sum", torch.sum), (ops.mean, "mean", torch.mean),
              (ops.max_, "max", torch.amax), (ops.min_, "min", torch.amin)]


def torch_reduce(reduce, axis, keepdims):
    def fn(x):
        dims = tuple(range(x.ndim)) if axis is None else axis
        return reduce(x, dim=dims, keepdim=keepdims)
    return fn


_with_ties = np.array([[3.0, 1.0, 3.0, -2.0], [-2.0, -2.0, 0.5, 0.5], [7.0, -9.0, 7.0, -9.0]])
for op, name, reduce in REDUCTIONS:
    for axis in [None, 0, 1, -1, 2, -3, (0, 2), (-1, 0), (0, 1, 2)]:
        for keepdims in (False, True):
            case(op, f"axis={axis}-keepdims={keepdims}",
                 lambda x, name=name, axis=axis, keepdims=keepdims: getattr(x, name)(axis=axis, keepdims=keepdims),
                 data((2, 3, 4)), torch_fn=torch_reduce(reduce, axis, keepdims))
    case(op, "0d", lambda x, name=name: getattr(x, name)(), data(()), torch_fn=torch_reduce(reduce, None, False))
    case(op, "positional-axis", lambda x, name=name: getattr(x, name)(1), data((2, 3)),
         torch_fn=torch_reduce(reduce, 1, False))
    for axis in (None, 0, 1):  # for max/min: ties share the gradient as in amax/amin
        case(op, f"ties-axis={axis}", lambda x, name=name, axis=axis: getattr(x, name)(axis=axis), _with_ties,
             torch_fn=torch_reduce(reduce, axis, False))

# ---- softmax and log_softmax -------------------------------------------------------------------

for op, name, torch_name in [(ops.softmax, "softmax", "softmax"), (ops.log_softmax, "log_softmax", "log_softmax")]:
    for shape, axis in [((5,), -1), ((2, 3), -1), ((2, 3), 0), ((2, 3, 4), 1), ((2, 3, 4), -3)]:
        case(op, f"{shape_id(shape)}-axis={axis}", lambda x, name=name, axis=axis: getattr(x, name)(axis=axis),
             data(shape), torch_fn=lambda x, t=torch_name, axis=axis: getattr(torch, t)(x, dim=axis))
    case(op, "default-axis", lambda x, name=name: getattr(x, name)(), data((2, 3)),
         torch_fn=lambda x, t=torch_name: getattr(torch, t)(x, dim=-1))
    case(op, "large-inputs", lambda x, name=name: getattr(x, name)(), 1000 * data((3, 4)),
         torch_fn=lambda x, t=torch_name: getattr(torch, t)(x, dim=-1))

# ---- shape and indexing ------------------------------------------------------------------------

for shape in [(4, 6), (-1,), (2, -1), (3, 2, 4), (24, 1)]:
    case(ops.reshape, f"args-{shape}", lambda x, s=shape: x.reshape(*s), data((2, 3, 4)),
         torch_fn=lambda x, s=shape: x.reshape(s))
case(ops.reshape, "tuple", lambda x: x.reshape((3, 8)), data((2, 3, 4)), torch_fn=lambda x: x.reshape(3, 8))
case(ops.reshape, "0d-to-1", lambda x: x.reshape(1), data(()), torch_fn=lambda x: x.reshape(1))
case(ops.reshape, "1-to-0d", lambda x: x.reshape(()), data((1,)), torch_fn=lambda x: x.reshape(()))

for axes in [(2, 0, 1), (-1, 0, 1), (0, 2, 1), (1, 0, 2)]:
    case(ops.transpose, f"axes-{axes}", lambda x, a=axes: x.transpose(*a), data((2, 3, 4)),
         torch_fn=lambda x, a=axes: x.permute(a))
case(ops.transpose, "tuple", lambda x: x.transpose((1, 2, 0)), data((2, 3, 4)),
     torch_fn=lambda x: x.permute(1, 2, 0))
case(ops.transpose, "default-reverses", lambda x: x.transpose(), data((2, 3, 4)),
     torch_fn=lambda x: x.permute(2, 1, 0))
case(ops.transpose, ".T-2d", lambda x: x.T, data((2, 3)))
case(ops.transpose, ".T-3d", lambda x: x.T, data((2, 3, 4)), torch_fn=lambda x: x.permute(2, 1, 0))
case(ops.transpose, ".T-1d", lambda x: x.T, data((3,)), torch_fn=lambda x: x.permute(0))

_repeat = np.array([0, 2, 0, 0])
_pairs = (np.array([0, 1, 1, 1]), np.array([2, 0, 0, 3]))
_bool_mask = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, True]])
INDEXES = {  # name: (tensorgrad index, torch index)
    "int": (1, 1), "negative-int": (-1, -1), "int-int": ((2, 3), (2, 3)), "slice": (slice(1, None),) * 2,
    "step-slice": ((slice(None), slice(None, None, 2)),) * 2, "negative-step": (slice(None, None, -1), None),
    "ellipsis": ((Ellipsis, 0),) * 2, "new-axis": ((None, slice(1, 3)),) * 2,
    "int-and-slice": ((1, slice(0, 3)),) * 2,
    "int-array-repeated": (_repeat, torch.from_numpy(_repeat)),
    "list-repeated": ([1, 1, 2], [1, 1, 2]),
    "2d-int-array": (np.array([[0, 1], [2, 2]]), torch.tensor([[0, 1], [2, 2]])),
    "paired-arrays-repeated": (_pairs, tuple(map(torch.from_numpy, _pairs))),
    "slice-and-array": ((slice(None), _repeat), (slice(None), torch.from_numpy(_repeat))),
    "bool-mask": (_bool_mask, torch.from_numpy(_bool_mask)),
    "bool-rows": (np.array([True, False, True]), torch.tensor([True, False, True])),
    "value-index": (tg.Value([2, 0, 2]), torch.tensor([2, 0, 2])),
}
for name, (index, torch_index) in INDEXES.items():
    torch_fn = (lambda x: x.flip(0)) if name == "negative-step" else (lambda x, i=torch_index: x[i])
    case(ops.getitem, name, lambda x, i=index: x[i], data((3, 4)), torch_fn=torch_fn)
case(ops.getitem, "0d-from-1d", lambda x: x[1], data((3,)))
case(ops.getitem, "iterate", lambda x: tg.stack(list(x)[::-1]), data((3, 2)), torch_fn=lambda x: x.flip(0))

# ---- stack and concatenate ---------------------------------------------------------------------

for axis in (0, 1, -1, 2):
    case(ops.stack, f"axis={axis}", lambda a, b, c, axis=axis: tg.stack([a, b, c], axis=axis),
         data((2, 3)), data((2, 3)), data((2, 3)),
         torch_fn=lambda a, b, c, axis=axis: torch.stack([a, b, c], dim=axis))
case(ops.stack, "0d", lambda a, b: tg.stack([a, b]), data(()), data(()), torch_fn=lambda a, b: torch.stack([a, b]))
case(ops.stack, "one-value", lambda a: tg.stack([a]), data((3,)), torch_fn=lambda a: torch.stack([a]))
case(ops.stack, "with-array", lambda a, b: tg.stack([a, b]), data((3,)), Const(np.arange(3.0)),
     torch_fn=lambda a, b: torch.stack([a, b.double()]))
case(ops.stack, "same-value-twice", lambda a: tg.stack([a, a * 2, a], axis=1), data((3,)),
     torch_fn=lambda a: torch.stack([a, a * 2, a], dim=1))

for axis, shapes in [(0, [(1, 3), (2, 3), (4, 3)]), (1, [(2, 1), (2, 3), (2, 2)]), (-1, [(2, 2, 1), (2, 2, 3)]),
                     (0, [(3,), (2,)])]:
    case(ops.concatenate, f"axis={axis}-{len(shapes)}", lambda *xs, axis=axis: tg.concatenate(list(xs), axis=axis),
         *[data(s) for s in shapes], torch_fn=lambda *xs, axis=axis: torch.cat(xs, dim=axis))
case(ops.sum_squares, "shapes", lambda *xs: tg.functional.sum_squares(list(xs)), data((2, 3)), data(()), data((4,)),
     torch_fn=lambda *xs: sum((x * x).sum() for x in xs))
case(ops.sum_squares, "same-value-twice", lambda a: tg.functional.sum_squares([a, a * 2, a]), data((3,)),
     torch_fn=lambda a: 2 * (a * a).sum() + (4 * a * a).sum())
case(ops.concatenate, "same-value-twice", lambda a: tg.concatenate([a, a]), data((2,)),
     torch_fn=lambda a: torch.cat([a, a]))

# ---- matmul ------------------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((1, 3), (3, 1)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 5)),
                 ((5, 1, 3), (1, 3, 2)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4))]
for sa, sb in MATMUL_SHAPES:
    case(ops.matmul, f"{shape_id(sa)}@{shape_id(sb)}", lambda a, b: a @ b, data(sa), data(sb))
case(ops.matmul, "numpy-on-left", lambda a, b: a @ b, Const(np.arange(6.0).reshape(2, 3)), data((3, 2)),
     torch_fn=lambda a, b: a.double() @ b)
case(ops.matmul, "numpy-on-right", lambda a, b: a @ b, data((2, 3)), Const(np.arange(6.0).reshape(3, 2)),
     torch_fn=lambda a, b: a @ b.double())

# ---- compositions the README and the nn code rely on -------------------------------------------

case(ops.log_softmax, "cross-entropy", lambda x, w: -(x @ w).log_softmax()[np.arange(4), [0, 2, 1, 2]].mean(),
     data((4, 5)), data((5, 3)),
     torch_fn=lambda x, w: torch.nn.functional.cross_entropy(x @ w, torch.tensor([0, 2, 1, 2])))


ALL_CASES = [param for params in CASES.values() for param in params]


def test_every_op_has_cases_and_a_formula():
    assert len(CASES) >= 25, "introspection found too few ops"
    missing = [op.name for op, params in CASES.items() if not params]
    assert not missing, f"ops without a test case: {missing}"
    for op in CASES:
        operands = 1 if callable(op.vjps) else len(op.vjps)
        formulas = [op.formula(i) for i in range(operands)]
        assert all(isinstance(f, str) and f.strip() for f in formulas), f"{op.name} lacks a formula"
        assert callable(op.vjps) or len(op.formulas) == len(op.vjps), f"{op.name}: one formula per operand"


@pytest.mark.parametrize("op, fn, inputs, torch_fn, tolerances", ALL_CASES)
def test_op_matches_torch(op, fn, inputs, torch_fn, tolerances):
    out, _ = check(fn, *inputs, torch_fn=torch_fn, **tolerances)
    assert op in ops_in_graph(out), f"the case filed under {op.name} never ran it"
