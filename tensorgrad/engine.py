"""The `Value`: a numpy array that remembers how it was made, and the backward pass over it.

micrograd's engine, with tensors: `data`, `grad`, `_prev`, `_op` and `backward()` mean what they
mean there. The maths of every op lives in `ops.py`; this file only records the graph and walks it.
`backward()` runs exactly the steps that `backward_steps()` yields, so a stepper shows backward itself.

A single number is held as a numpy scalar (`np.float64(-4.0)`), not a 0-d array: it has the same
`shape`, `dtype`, `item()` and works in every numpy function, but its arithmetic costs a tenth of
a 0-d array's, which is what makes micrograd's scalar lectures fast here. An array handed to
`Value()` is kept as it is, 0-d included, so the caller's array and `.data` stay one object.
"""
import gc
import threading
from contextlib import contextmanager
from operator import attrgetter

import numpy as np

from . import ops


class _GradMode(threading.local):
    enabled = True  # each thread starts recording graphs


_state = _GradMode()
_NO_ATTRS = {}
_WHOLE = {"axis": None, "keepdims": False}  # the attributes of a reduction over every element (shared: never changed)
_EXTREMES = (ops.max_, ops.min_)  # reductions with no value on an empty Value
_NUMBER = (int, float, np.integer, np.floating)  # scalars that take the dtype of the Value they meet
_SCALAR = np.float64  # what a 0-d float64 Value holds (compared by type, on the scalar fast paths)
_ONE = _SCALAR(1)
_ARRAY = np.ndarray  # compared by type on the hot paths (a global, not an attribute of np)
_DATA = (np.ndarray, np.floating)  # what an op's output may already be: an array, or a 0-d result as a scalar
_ZERO_GRAD = np.zeros(())  # `p.grad = 0` stores this marker (compared by identity), never an array of zeros
_ZERO_GRAD.flags.writeable = False
_new_value = object.__new__  # a Value made by an op skips __init__'s checks of user data
_data = attrgetter("data")


def is_grad_enabled():
    return _state.enabled


@contextmanager
def no_grad():
    """Record no graph inside this block (evaluation, parameter updates). Per thread."""
    previous = is_grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous


def _contains_value(data):
    return isinstance(data, Value) or (isinstance(data, (list, tuple)) and any(map(_contains_value, data)))


def as_float_array(data, dtype=None):
    """Check what a user hands over and return it as a floating-point ndarray (ints become float64)."""
    if isinstance(data, Value):
        data = data.data
    elif isinstance(data, (list, tuple)) and _contains_value(data):
        raise TypeError("Value() got a list holding Values; combine Values with tensorgrad.stack(...) "
                        "so that gradients can flow back into them")
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise ValueError(f"Value() needs rectangular numeric data (lists of equal lengths); got {_short(data)}: "
                         f"{error}") from None
    kind = array.dtype.kind
    if kind == "f":
        return array
    if kind in "iub":
        return array.astype(np.float64)
    what = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}.get(kind, str(array.dtype))
    raise TypeError(f"Value() holds real numbers only; got {what}: {_short(data)}")


def _short(obj, limit=60):
    text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "..."


def _lift(other, like):
    """Turn the other operand of an arithmetic op into a Value; numbers (Python or numpy) take `like`'s dtype.

    The new Value is tracked when `like` is (`c + 1` as in micrograd) and not when `like` is data
    (`x / 255` on an input batch stays data, so backward never computes a gradient towards it).
    """
    if isinstance(other, Value):
        return other
    if isinstance(other, _NUMBER):  # a leaf around the number, without __init__'s checks of user data
        data = like.data
        out = _new_value(Value)
        out.data = _SCALAR(other) if type(data) is _SCALAR else data.dtype.type(other)
        out._grad, out._prev, out._fn, out._attrs = None, (), None, None
        out.label, out.requires_grad = "", like.requires_grad
        return out
    return Value(other, requires_grad=like.requires_grad)


def apply(op, parents, attrs=_NO_ATTRS):
    """Run `op` forward on the parents' data and record the node (unless no graph is needed)."""
    return _node(op.forward(*map(_data, parents), **attrs), op, parents, attrs)


def _unary_method(op):
    """`Value.relu` and the like: apply() for an op of one operand and no attributes, minus its unpacking."""
    def method(self):
        return _node(op.forward(self.data), op, (self,))
    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = f"{op.name}, elementwise; backward: grad_a = {op.formula(0)}"
    return method


def _node(data, op, parents, attrs=_NO_ATTRS):
    """The op's output as a Value; op and parents are recorded only if a gradient can flow back to a parent."""
    if type(data) is not _ARRAY:
        if type(data) is not _SCALAR:
            data = _as_data(data)
    elif not data.ndim:
        data = data[()]  # a 0-d result (reshape to (), where on numbers) is held as a number too
    out = _new_value(Value)
    out.data = data
    out._grad = None
    out.label = ""
    if _state.enabled:
        for parent in parents:
            if parent.requires_grad:
                out._prev = parents
                out._fn = op
                out._attrs = attrs
                out.requires_grad = True
                return out
    out._prev = ()
    out._fn = out._attrs = None
    out.requires_grad = False
    return out


def _as_data(data):
    """An op's output as a Value holds it: an ndarray of one or more dimensions, or a numpy scalar."""
    if not isinstance(data, _DATA):
        data = np.asarray(data)
    return data[()] if data.ndim == 0 else data


def elementwise(op, a, b):
    """Apply a broadcasting binary op; a number or array on either side becomes a Value (`_lift`); a shape
    mismatch is reported with both shapes."""
    if type(a) is not Value:
        a = _lift(a, b)
    if type(b) is not Value:
        b = _lift(b, a)
    try:
        return _node(op.forward(a.data, b.data), op, (a, b))  # apply(), minus its generic unpacking
    except ValueError:
        _check_broadcast(op, a, b)
        raise


def _operator(op):
    """`Value.__mul__` and the like: elementwise() with the Value on the left, minus one call (every
    arithmetic node a student makes runs one)."""
    forward = op.forward

    def method(self, other):
        if type(other) is not Value:
            other = _lift(other, self)
        try:
            return _node(forward(self.data, other.data), op, (self, other))
        except ValueError:
            _check_broadcast(op, self, other)
            raise
    method.__doc__ = f"a {op.name} b, elementwise with broadcasting; backward: {'; '.join(op.formulas)}"
    return method


def _check_broadcast(op, a, b):
    """Raise a ValueError naming both shapes if they cannot be broadcast together."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        fix = _SUM_OF_TENSORS_FIX if op is ops.add else ""
        raise ValueError(f"{op.name}: shapes {a.shape} and {b.shape} cannot be broadcast together{fix}") from None


# micrograd's sum(p*p for p in model.parameters()) adds whole tensors of different shapes
_SUM_OF_TENSORS_FIX = ("; to add up the parameters of a model (micrograd's sum(p*p for p in model.parameters())), "
                       "reduce each tensor first: sum((p*p).sum() for p in params), or losses.l2_penalty(params)")


def normalize_axis(axis, ndim, where, *, extra=0):
    """One axis (int) or several (tuple) as non-negative ints, checked against ndim (+extra for stack)."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for ax in axes:
        if isinstance(ax, bool) or not isinstance(ax, (int, np.integer)):
            raise TypeError(f"{where}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -(ndim + extra) <= ax < ndim + extra:
            raise ValueError(f"{where}: axis {ax} is out of range for a Value with {ndim} dimension(s)")
        result.append(int(ax) % (ndim + extra))
    if len(set(result)) != len(result):
        raise ValueError(f"{where}: repeated axis in {axis!r}")
    return tuple(sorted(result)) if isinstance(axis, (tuple, list)) else result[0]


class Value:
    """A tensor of floats with a gradient, and the op and parents that produced it."""
    __slots__ = ("data", "_grad", "_prev", "_fn", "_attrs", "label", "requires_grad")
    __array_ufunc__ = None  # numpy defers to us: np.float64(2) * v calls v.__rmul__ and gives a Value

    def __init__(self, data, label="", requires_grad=True, dtype=None):
        if dtype is None and (type(data) is float or type(data) is np.float64):
            self.data = np.float64(data)  # the common scalar, without as_float_array's checks
        else:
            array = as_float_array(data, dtype)
            self.data = array[()] if array.ndim == 0 and array is not data else array  # numbers become scalars
        self._grad, self._prev, self._fn, self._attrs = None, (), None, None
        self.label, self.requires_grad = label, bool(requires_grad)

    # ---- what it holds ----
    @property
    def grad(self):
        """The gradient, or fresh zeros of data's shape where there is none; reading never stores anything."""
        if self._grad is None or self._grad is _ZERO_GRAD:
            return np.zeros(self.data.shape, self.data.dtype)
        return self._grad

    @grad.setter
    def grad(self, value):
        """`p.grad = 0` (micrograd's zero_grad), or any all-zero array, costs what `p.grad = None` does.

        Both store a marker instead of an array of zeros, so the next backward stores its first
        contribution instead of adding it to zeros; reading `p.grad` still gives zeros of p's shape.
        Unlike None, an assigned zero is a gradient: an optimiser still steps the parameter.
        """
        if type(value) is _ARRAY:  # `p.grad = np.zeros_like(p.data)`, as a student writes it
            array = value
        elif value is None:
            self._grad = None
            return
        elif isinstance(value, (int, float)) and value == 0:
            self._grad = _ZERO_GRAD
            return
        else:
            array = np.asarray(value.data if isinstance(value, Value) else value)
        if array.shape != self.data.shape:  # `p.grad = np.zeros_like(p.data)` skips np.broadcast_to's Python
            try:
                array = np.broadcast_to(array, self.data.shape)
            except ValueError:
                raise ValueError(f"grad of shape {array.shape} does not fit a Value of shape {self.data.shape}: "
                                 "assign a number or an array of that shape") from None
        self._grad = np.array(array, self.data.dtype) if np.count_nonzero(array) else _ZERO_GRAD  # any() costs 4x more

    @property
    def _op(self):
        return self._fn.label(self._attrs) if self._fn is not None else ""

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)
    T = property(lambda self: self.transpose())

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a Value with one element; this one has shape {self.shape}")
        return self.data.item()

    def detach(self):
        """The same data as a new leaf that no gradient flows through."""
        return Value(self.data, requires_grad=False)

    def __array__(self, dtype=None, copy=None):
        return np.array(self.data, dtype=dtype, copy=copy) if copy else np.asarray(self.data, dtype=dtype)

    def __float__(self):
        return float(self.item())

    def __format__(self, spec):  # f"{loss:.4f}" formats the number, as f"{loss.data:.4f}" does
        return format(self.data, spec) if spec else repr(self)

    def __bool__(self):  # a Value is an object, as in micrograd: compare its numbers through .data
        return True

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Value (a single number)")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        if self.data.size > 16:
            d = self.data
            return (f"Value(shape={self.shape}, dtype={self.dtype}, data=[min {d.min():.4g}, mean {d.mean():.4g}, "
                    f"max {d.max():.4g}], grad norm={np.linalg.norm(self.grad):.4g})")
        return f"Value(data={_format(self.data)}, grad={_format(self.grad)})"

    def _repr_html_(self):  # a bare `v` at the end of a notebook cell: a small table of data and grad
        from .viz import value_html
        return value_html(self)

    # ---- arithmetic: numbers and arrays on either side become Values ----
    __add__ = _operator(ops.add)
    def __radd__(self, other): return elementwise(ops.add, other, self)
    __sub__ = _operator(ops.sub)
    def __rsub__(self, other): return elementwise(ops.sub, other, self)
    __mul__ = _operator(ops.mul)
    def __rmul__(self, other): return elementwise(ops.mul, other, self)
    __truediv__ = _operator(ops.div)
    def __rtruediv__(self, other): return elementwise(ops.div, other, self)
    def __rpow__(self, other): return elementwise(ops.power, other, self)
    __neg__ = _unary_method(ops.neg)
    def __abs__(self): return self.abs()

    def __pow__(self, other):
        if isinstance(other, _NUMBER) and not isinstance(other, bool):
            p = other.item() if isinstance(other, np.generic) else other  # float32 stays float32
            return apply(ops.pow_const, (self,), {"p": p})  # a number exponent: micrograd's `x**3`
        return elementwise(ops.power, self, other)

    def __matmul__(self, other):
        return _matmul(self, _lift(other, self))

    def __rmatmul__(self, other):
        return _matmul(_lift(other, self), self)

    # ---- elementwise functions ----
    relu = _unary_method(ops.relu)
    tanh = _unary_method(ops.tanh)
    sigmoid = _unary_method(ops.sigmoid)
    exp = _unary_method(ops.exp)
    log = _unary_method(ops.log)
    sqrt = _unary_method(ops.sqrt)
    abs = _unary_method(ops.abs_)

    # ---- reductions ----
    def sum(self, axis=None, keepdims=False): return self._reduce(ops.sum_, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return self._reduce(ops.mean, axis, keepdims)
    def max(self, axis=None, keepdims=False): return self._reduce(ops.max_, axis, keepdims)
    def min(self, axis=None, keepdims=False): return self._reduce(ops.min_, axis, keepdims)

    def _reduce(self, op, axis, keepdims):
        if op in _EXTREMES and self.data.size == 0:
            raise ValueError(f"{op.name}() of an empty Value of shape {self.shape}")
        if axis is None and not keepdims:  # over every element, as a loss ends: no axes to check
            return _node(op.forward(self.data, None, False), op, (self,), _WHOLE)
        if axis is not None:
            axis = normalize_axis(axis, self.ndim, op.name)
            axis = axis if isinstance(axis, tuple) else (axis,)
        return apply(op, (self,), {"axis": axis, "keepdims": bool(keepdims)})

    def softmax(self, axis=-1):
        return apply(ops.softmax, (self,), {"axis": normalize_axis(axis, self.ndim, "softmax")})

    def log_softmax(self, axis=-1):
        return apply(ops.log_softmax, (self,), {"axis": normalize_axis(axis, self.ndim, "log_softmax")})

    # ---- shape ----
    def reshape(self, *shape):
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            return apply(ops.reshape, (self,), {"shape": shape})
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape a Value of shape {self.shape} ({self.size} elements) "
                             f"into {shape}") from None

    def transpose(self, *axes):
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = axes or tuple(reversed(range(self.ndim)))
        if sorted(normalize_axis(a, self.ndim, "transpose") for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of {self.shape}")
        return apply(ops.transpose, (self,), {"axes": tuple(a % self.ndim for a in axes)})

    def __getitem__(self, index):
        index = _index_data(index)
        try:
            return apply(ops.getitem, (self,), {"index": index})
        except (IndexError, TypeError, ValueError) as error:
            raise IndexError(f"cannot index a Value of shape {self.shape} with {_short(index)}: {error}") from None

    # ---- the backward pass ----
    def backward(self, grad=None, *, keep_intermediate=True):
        """Add d(self)/d(leaf) to every leaf's grad (seeded with ones, or with `grad`).

        It runs `backward_step` on every node, as `backward_steps()` does, but keeps no record of them.
        Every node keeps its gradient, as in micrograd. `keep_intermediate=False` is the lean mode for
        training loops (`fit` uses it): each intermediate node's gradient is dropped as soon as it has
        been passed on, so big batches reuse memory instead of holding a gradient per node; the
        leaves' gradients are the same, and intermediate nodes then read as zero.
        """
        steps = _start(self, self._seed(grad))
        if keep_intermediate:
            for node in steps:
                backward_step(node)
        else:
            for node in steps:
                backward_step(node)
                node._grad = None

    def backward_steps(self, grad=None):
        """Yield one `Step` per non-leaf node, in the order backward runs them, each already applied."""
        return _recorded_steps(self, self._seed(grad))

    def _seed(self, grad):
        """dL/d(self) to start from: ones, or `grad` checked against this Value's shape."""
        if not self.requires_grad:
            raise ValueError("backward() on a Value that needs no gradient: it was made under no_grad() "
                             "or only from requires_grad=False data")
        if grad is None:
            if type(self.data) is _SCALAR:  # a loss: one number (immutable, so one shared 1.0 serves every pass)
                return _ONE
            if not self.data.shape:
                return self.data.dtype.type(1)
            seed = np.empty(self.data.shape, self.data.dtype)
            seed.fill(1)  # np.ones, without its Python-level overhead (it shows on small graphs)
            return seed
        seed = np.asarray(grad.data if isinstance(grad, Value) else grad, dtype=self.dtype)
        if seed.shape != self.shape:
            raise ValueError(f"backward: grad has shape {seed.shape} but the Value has shape {self.shape}")
        return _as_data(seed)


def _format(array):
    if array.ndim == 0:
        return str(array[()])
    return np.array2string(array, separator=", ", precision=6).replace("\n", "")


def _index_data(index):
    """Indices may be Values (e.g. labels); the index itself is data, never differentiated."""
    if isinstance(index, tuple):
        return tuple(_index_data(i) for i in index)
    if isinstance(index, Value):
        index = index.data
        if np.any(index != np.round(index)):
            raise IndexError(f"a Value used as an index must hold whole numbers, got {_short(index)}")
        return index.astype(np.intp)
    if isinstance(index, list):
        array = np.asarray(index)
        return array.astype(np.intp) if array.size == 0 else array  # x[[]] selects nothing
    return index


def _matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: both operands need at least one dimension "
                         "(use * to scale by a number)")
    try:
        return apply(ops.matmul, (a, b))
    except ValueError:
        n, m = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        why = (f"the inner dimensions ({n} and {m}) must match" if n != m else
               f"the batch dimensions {a.shape[:-2]} and {b.shape[:-2]} cannot be broadcast together")
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: {why}") from None


class Contribution:
    """What one backward step adds to one parent's gradient. Unpacks as `(parent, grad)`."""
    __slots__ = ("parent", "grad", "summed_axes", "shape_before")

    def __init__(self, parent, grad, summed_axes, shape_before):
        self.parent, self.grad, self.summed_axes, self.shape_before = parent, grad, summed_axes, shape_before

    def __iter__(self):
        return iter((self.parent, self.grad))

    @property
    def note(self):
        """Says when broadcasting was undone: which axes of the upstream-shaped gradient were summed."""
        if not self.summed_axes:
            return ""
        return (f"broadcast undone: summed over axes {self.summed_axes}, "
                f"{self.shape_before} -> {self.parent.shape}")


class Step:
    """One node of the backward pass: its upstream `grad` and what it passed to each parent."""
    __slots__ = ("node", "grad", "contributions")

    def __init__(self, node, grad, contributions):
        self.node, self.grad, self.contributions = node, grad, contributions

    @property
    def op(self):
        return self.node._op

    @property
    def formula(self):
        """The local rule for each operand, with g = the gradient arriving at this node."""
        names = operand_names(self.node)
        return "; ".join(f"grad_{n} = {self.node._fn.formula(i)}" for i, n in enumerate(names))

    def __repr__(self):
        return f"Step({self.op!r}, node shape {self.node.shape}, {len(self.contributions)} contribution(s))"


def operand_names(node):
    """a, b for ordinary ops; x0, x1, ... for stack and concatenate."""
    n = len(node._prev)
    return ("a", "b")[:n] if node._fn.arity is not None else tuple(f"x{i}" for i in range(n))


def topological_order(root, needing_grad=True, leaves=True):
    """The graph's nodes, each after all its parents, in `_prev` order (the same on every run).

    Backward wants only the nodes that need a gradient, and steps through no leaf (`leaves=False`);
    a drawing wants them all. Iterative, so any depth works.
    """
    # Python's cycle collector is paused (if on) for the sort. On a deep graph the stack below holds a
    # tuple and an iterator per node, all alive at once; they are acyclic and freed as the stack
    # unwinds, but they would make the collector rescan the whole graph many times over (a
    # 200,000-node chain sorted 3-5x slower).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _depth_first(root, needing_grad, leaves)
    finally:
        if collecting:
            gc.enable()


def _depth_first(root, needing_grad, leaves):
    order, seen, stack = [], {root}, [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent._prev:
                if parent not in seen and (parent.requires_grad or not needing_grad):
                    seen.add(parent)
                    stack.append((parent, iter(parent._prev)))
                    break
            elif leaves and parent not in seen and (parent.requires_grad or not needing_grad):
                seen.add(parent)
                order.append(parent)  # a leaf has nothing to visit first
        else:
            stack.pop()
            order.append(node)
    return order


def _backward_order(root):
    """The nodes backward steps through: topological_order(root) without its leaves, reversed.

    Recursive: on a classroom graph that takes 40% less time than the iterative walk, which a graph
    deeper than Python's recursion limit falls back on.
    """
    order = []
    try:
        _visit(root, {root}, order)
    except RecursionError:
        order = topological_order(root, leaves=False)
    order.reverse()
    return order


def _visit(node, seen, order):
    for parent in node._prev:
        if parent._prev and parent not in seen and parent.requires_grad:
            seen.add(parent)
            _visit(parent, seen, order)
    order.append(node)


def _start(root, seed):
    """Begin a backward pass: the nodes to step through, in order, with the root's gradient seeded.

    Intermediate nodes start every pass from zero; leaves accumulate across passes.
    """
    if root._fn is None:  # a leaf: nothing to step through, and its gradient accumulates
        total = root._grad
        root._grad = seed if total is None or total is _ZERO_GRAD else total + seed
        return []
    steps = _backward_order(root)
    for node in steps:
        node._grad = None
    root._grad = seed  # _seed made it for the root alone, in the root's dtype
    return steps


def backward_step(node, contributions=None):
    """The chain rule at one node: pass its gradient on to each parent that needs one.

    Each such parent gets the op's vjp of the node's gradient, summed back to the parent's shape
    (`unbroadcast`) and added to its grad. Both `backward()` and `backward_steps()` run this; given a
    list, each addition is also recorded there as a `Contribution`, for the Step a stepper shows.
    """
    op, g, out, attrs, parents = node._fn, node._grad, node.data, node._attrs, node._prev
    vjps, arity = op.vjps, op.arity
    if arity == 1:  # unary ops and reductions; direct calls, which cost less than a call with *args
        a = parents[0]
        pairs = ((a, vjps[0](g, out, a.data, **attrs) if attrs else vjps[0](g, out, a.data)),)
    elif arity == 2:
        (a, b), pairs = parents, []  # a parent that needs no gradient (input data, labels) costs nothing
        da, db = a.data, b.data
        if a.requires_grad:
            pairs.append((a, vjps[0](g, out, da, db, **attrs) if attrs else vjps[0](g, out, da, db)))
        if b.requires_grad:
            pairs.append((b, pairs[0][1] if b is a and op.commutative else  # p * p: the same rule twice
                          vjps[1](g, out, da, db, **attrs) if attrs else vjps[1](g, out, da, db)))
    else:  # one rule for any number of operands (stack, concatenate) takes the index first
        inputs = [*map(_data, parents)]
        pairs = [(p, vjps(i, g, out, *inputs, **attrs)) for i, p in enumerate(parents) if p.requires_grad]
    for parent, grad in pairs:
        data, total = parent.data, parent._grad
        if type(grad) is _SCALAR and type(data) is _SCALAR:
            # a number for a number: no broadcasting to undo, and nobody can change a scalar in place
            parent._grad = grad if total is None or total is _ZERO_GRAD else total + grad
            shape_before = axes = ()
        else:
            if type(grad) is not _ARRAY:
                grad = _as_data(grad)
            shape_before, axes = grad.shape, ()
            if shape_before != data.shape:
                grad, axes = ops.unbroadcast(grad, data.shape)
            if grad.dtype is not data.dtype and grad.dtype != data.dtype:  # mixed precision: a gradient
                grad = _as_data(grad.astype(data.dtype))  # takes its Value's dtype
            # the chain rule's +=, out of place: a contribution may be shared (with the Steps a stepper
            # keeps, or with another node: an add passes its gradient straight on). A first contribution is
            # kept as it is where it is an intermediate node's or was made for this parent alone; a leaf
            # otherwise gets a copy of its own, which users and optimisers may change.
            if total is not None and total is not _ZERO_GRAD:
                parent._grad = total + grad
            elif parent._fn is not None or (grad is not g and grad.base is None):
                parent._grad = grad
            else:
                parent._grad = grad.copy()
        if contributions is not None:
            contributions.append(Contribution(parent, grad, axes, shape_before))


def _recorded_steps(root, seed):
    for node in _start(root, seed):
        g, contributions = node._grad, []
        backward_step(node, contributions)
        yield Step(node, g, contributions)
