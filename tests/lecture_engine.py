"""A scalar engine in the style of micrograd's lecture, written for the tests, with one optional slip.

`engine()` gives a correct `Scalar` class (data, grad, _prev as a set, _op, a `_backward` closure per op,
label, backward() over a topological sort). `engine("overwrite")` and friends give the same class with
the named slip, each one a mistake students make while writing their first autograd:

overwrite: `+` assigns its children's grads (`=`) instead of adding to them
upstream:  `*` forgets to multiply by out.grad
swapped:   `*` gives each factor its own value
tanh-1-t:  tanh's derivative written 1 - t
tanh-forward: tanh's forward value off
sign:      `+` subtracts what it passes on
stray:     `*` also sets its own out.grad to 0 after passing it on
raises:    exp's closure raises
unassigned: `*` never sets out._backward
not-reversed: backward() runs the closures in topological order
no-visited: backward()'s sort has no visited set
"""
import math


def engine(mistake=None):
    class Scalar:
        def __init__(self, data, children=(), op="", label=""):
            self.data, self.grad, self.label = data, 0.0, label
            self._prev, self._op = set(children), op
            self._backward = lambda: None

        def __repr__(self):
            return f"Scalar({self.label or self._op}: data={self.data:.4g}, grad={self.grad:.4g})"

        def __add__(self, other):
            other = other if isinstance(other, Scalar) else Scalar(other)
            out = Scalar(self.data + other.data, (self, other), "+")

            def _backward():
                if mistake == "overwrite":
                    self.grad = out.grad
                    other.grad = out.grad
                else:
                    sign = -1.0 if mistake == "sign" else 1.0
                    self.grad += sign * out.grad
                    other.grad += sign * out.grad
            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, Scalar) else Scalar(other)
            out = Scalar(self.data * other.data, (self, other), "*")

            def _backward():
                upstream = 1.0 if mistake == "upstream" else out.grad
                if mistake == "swapped":
                    self.grad += self.data * upstream
                    other.grad += other.data * upstream
                else:
                    self.grad += other.data * upstream
                    other.grad += self.data * upstream
                if mistake == "stray":
                    out.grad = 0.0
            if mistake != "unassigned":
                out._backward = _backward
            return out

        def __pow__(self, k):
            out = Scalar(self.data ** k, (self,), f"**{k}")

            def _backward():
                self.grad += k * self.data ** (k - 1) * out.grad
            out._backward = _backward
            return out

        def __neg__(self):
            return self * -1

        def __sub__(self, other):
            return self + (-other)

        def __truediv__(self, other):
            return self * other ** -1

        __radd__ = __add__
        __rmul__ = __mul__

        def tanh(self):
            t = math.tanh(self.data) + (0.01 if mistake == "tanh-forward" else 0.0)
            out = Scalar(t, (self,), "tanh")

            def _backward():
                local = 1 - t if mistake == "tanh-1-t" else 1 - t ** 2
                self.grad += local * out.grad
            out._backward = _backward
            return out

        def exp(self):
            out = Scalar(math.exp(self.data), (self,), "exp")

            def _backward():
                if mistake == "raises":
                    raise ZeroDivisionError("a slip in exp's closure")
                self.grad += out.data * out.grad
            out._backward = _backward
            return out

        def backward(self):
            order, seen = [], set()

            def visit(node):
                if mistake == "no-visited" or node not in seen:
                    seen.add(node)
                    for child in node._prev:
                        visit(child)
                    order.append(node)
            visit(self)
            self.grad = 1.0
            for node in (order if mistake == "not-reversed" else reversed(order)):
                node._backward()

    return Scalar


def neuron(Scalar):
    """A tanh neuron on two inputs, then (o + b) * x1: b and x1 are used twice. (L, {label: node})."""
    x1, x2 = Scalar(1.5, label="x1"), Scalar(-0.5, label="x2")
    w1, w2, b = Scalar(-0.8, label="w1"), Scalar(0.6, label="w2"), Scalar(0.3, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    s = o + b
    s.label = "s"
    L = s * x1
    L.label = "L"
    return L, {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, n, o, s, L)}
