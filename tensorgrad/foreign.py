"""Read a graph built by another micrograd-style engine: micrograd's own `Value`, or the one a student wrote.

micrograd's protocol: `data` (a number), `grad`, `_prev` (the children), `_op` (a string, maybe empty),
`_backward` (a closure that adds to the children's `grad`) and, when present, `label`. Nothing is
converted: `graph_of(root)` wraps each object in a `Node` that the drawings, GraphView and the stepper
read like a 0-d tensorgrad Value, while data and gradients stay on the student's objects and `run_step`
runs the student's own closure. The order is the one micrograd's `backward()` builds (a depth-first
topological sort over `_prev` as it iterates), so stepping here is stepping there.
"""
import numpy as np

from .engine import Value, topological_order

PROTOCOL = ("data", "grad", "_prev", "_op", "_backward")


def _number(x):
    """A gradient as a float; nan for anything that is not one number (a student's grad can be anything)."""
    if type(x) is float or type(x) is int:
        return float(x)
    return float(x) if _is_number(x) else float("nan")


class Node:
    """One of another engine's values seen as a 0-d Value; `obj` is the student's object itself.

    `_fn` is the object's `_backward` at an op node (None at a leaf): the drawings only ask whether a
    node was made by an op; the stepper calls the closure through `run_step`.
    """
    __slots__ = ("obj", "_prev")
    requires_grad = True
    shape, ndim, size, dtype = (), 0, 1, np.dtype(np.float64)

    def __init__(self, obj):
        self.obj, self._prev = obj, ()

    data = property(lambda self: np.asarray(float(self.obj.data)))
    grad = property(lambda self: np.asarray(_number(self.obj.grad)))
    label = property(lambda self: str(getattr(self.obj, "label", "") or ""))
    _op = property(lambda self: str(self.obj._op or ""))
    _fn = property(lambda self: self.obj._backward if self._prev else None)

    def __repr__(self):
        return f"Node({describe(self)} of a {type(self.obj).__name__} graph)"


def describe(node):
    """How messages and panels name a node: its label, else its op and data."""
    return node_name(node.label, node._op, float(node.obj.data), bool(node._prev))


def node_name(label, op, data, made_by_op):
    if label:
        return f"'{label}'"
    return f"the `{op}` node (data {data:.4g})" if made_by_op else f"a leaf (data {data:.4g})"


def _missing(obj):
    return [name for name in PROTOCOL if not hasattr(obj, name)]


def graph_of(root, where="trace"):
    """`root` wrapped, with every node below it, as `Node`s (a Value or a Node is returned as it is).

    Each object gets one Node however often it is used, and `_prev` keeps the order the object's own
    `_prev` iterates in. A TypeError names what is missing when an object lacks the protocol.
    """
    if isinstance(root, (Value, Node)):
        return root
    if _missing(root):
        raise TypeError(f"{where} takes a tensorgrad Value or a micrograd-style value (with {', '.join(PROTOCOL)}); "
                        f"this {type(root).__name__} has no {', '.join(_missing(root))}")
    nodes, stack = {id(root): Node(root)}, [root]
    while stack:
        obj = stack.pop()
        node = nodes[id(obj)]
        _check_numbers(node, where)
        try:
            children = tuple(obj._prev)
        except TypeError:
            raise TypeError(f"{where}: _prev of {describe(node)} must hold its children, "
                            f"got {type(obj._prev).__name__}") from None
        for i, child in enumerate(children):
            if id(child) not in nodes:
                if _missing(child):
                    raise TypeError(f"{where}: child {i} of {describe(node)} is a {type(child).__name__}, not a "
                                    f"micrograd-style value: it has no {', '.join(_missing(child))}")
                nodes[id(child)] = Node(child)
                stack.append(child)
        node._prev = tuple(nodes[id(c)] for c in children)
    return nodes[id(root)]


def _is_number(x):
    if isinstance(x, (str, bytes)) or np.ndim(x) != 0:
        return False
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def _check_numbers(node, where):
    data = node.obj.data
    if not _is_number(data):
        raise TypeError(f"{where}: data must be one number, got {type(data).__name__} "
                        f"(in a {type(node.obj).__name__} with _op {node.obj._op!r})")
    if not callable(node.obj._backward):
        raise TypeError(f"{where}: _backward of {describe(node)} must be a function, "
                        f"got {type(node.obj._backward).__name__}")


def order(root):
    """Every node, children first (micrograd's topological sort), and the op nodes in the order backward runs them."""
    nodes = topological_order(root, needing_grad=False)
    return nodes, [n for n in reversed(nodes) if n._prev]


def grads(nodes):
    return [_number(n.obj.grad) for n in nodes]


def set_grads(nodes, values):
    for node, value in zip(nodes, values):
        node.obj.grad = value


class StudentStep:
    """One run of a student's closure: the `node`, its out.grad `grad` when it ran, what it changed, its error.

    `changes` lists (node, grad before, grad after) for every node of the graph whose gradient moved;
    `error` is (exception name, message) if the closure raised.
    """
    __slots__ = ("node", "grad", "changes", "error")

    def __init__(self, node, grad, changes, error):
        self.node, self.grad, self.changes, self.error = node, grad, changes, error

    @property
    def op(self):
        return self.node._op

    @property
    def contributions(self):
        """(node, what the closure added to its gradient), for every node it changed."""
        return [(node, after - before) for node, before, after in self.changes]


def run_step(node, nodes):
    """Run `node`'s own `_backward` once on the gradients as they are; record what it changed in `nodes`.

    Every node is looked at, since a slipped closure can write anywhere; the raw grads are compared
    and only those that moved are converted, which keeps a step cheap on graphs of thousands of nodes.
    """
    before = [n.obj.grad for n in nodes]
    grad = _number(node.obj.grad)
    error = None
    try:
        node.obj._backward()
    except Exception as exception:  # the student's code: its crash is something to show, not to propagate
        error = (type(exception).__name__, str(exception))
    changes = [(n, _number(b), _number(a)) for n, b, a in zip(nodes, before, [n.obj.grad for n in nodes])
               if _moved(b, a)]
    return StudentStep(node, grad, changes, error)


def _moved(before, after):
    if before is after:
        return False
    try:
        return bool(before != after)
    except (TypeError, ValueError):  # a grad that is no number (an array, say): count it as moved
        return True
