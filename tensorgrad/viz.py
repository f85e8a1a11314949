"""Seeing the graph: micrograd's `trace` and `draw_dot` for tensors, and the notebook table of a Value.

As in micrograd, each Value is a record (label, shape, dtype, data, grad) and each op a small node
between its inputs and its output. Edges carry shapes, and an edge where the op broadcast its input is
marked with the axes backward will sum over, so students see where `unbroadcast` acts before it runs.
graphviz is imported only when drawing. Without Graphviz's `dot` program a drawing still builds (its
`.source` is there); only rendering fails, with one message saying how to install Graphviz.
"""
import functools
import html
import re
from contextlib import contextmanager

import numpy as np

from . import ops
from .engine import Value, topological_order
from ._deps import require

DONE = "#c7e9c0"       # fill: gradient already computed
PENDING = "#eeeeee"    # fill: gradient not computed yet
HIGHLIGHT = "#d62728"  # outline of highlighted nodes (the stepper's current node)
BROADCAST = "#e6550d"  # edges along which backward sums over broadcast axes

MISSING_DOT = ("Rendering the graph needs Graphviz's `dot` program, which was not found on the PATH. "
               "Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
               "or `conda install -c conda-forge graphviz python-graphviz` (conda); "
               "restart the kernel if it is still not found. "
               "The drawing itself was built: its DOT text is in `.source`.")

# ops whose operands broadcast against each other elementwise (matmul's batch axes are handled apart)
_ELEMENTWISE = (ops.add, ops.sub, ops.mul, ops.div, ops.power, ops.maximum, ops.where)


def trace(root):
    """The Values of the graph ending in `root`, and its `(parent, child)` edges (one per operand).

    Nodes come parents first, root last, following each node's `_prev` in order: the same order on
    every run, unlike one based on id(). Inputs that need no gradient are included: they are part of
    the picture. Iterative, so graphs of any depth work.
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace() takes a Value, got {type(root).__name__}")
    nodes = topological_order(root, needing_grad=False)
    return nodes, [(parent, node) for node in nodes for parent in node._prev]


def operand_broadcast_axes(node, i):
    """The axes backward sums over for operand i of `node`, worked out from shapes alone (no backward)."""
    if node._fn in _ELEMENTWISE:
        grown = node.shape
    elif node._fn is ops.matmul:  # the batch axes broadcast; the matrix (or vector) axes are the operand's own
        a, b = node._prev
        grown = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + node._prev[i].shape[-2:]
    else:
        return ()
    return ops.broadcast_axes(node._prev[i].shape, grown)


def draw_dot(root, rankdir="LR", *, max_elements=16, highlight=None, computed=None, show_grad=True,
             max_nodes=400):
    """Draw the graph ending in `root` as a `graphviz.Digraph` (shown inline by Jupyter).

    Tensors with at most `max_elements` elements show every number, bigger ones a summary.
    `highlight`: Values (or one Value) drawn emphasised. `computed`: if given, the Values whose gradient
    is already computed; they are coloured "done" and the others show "grad: pending".
    Graphs of more than `max_nodes` Values give a note instead of a drawing nobody can read.
    """
    nodes, graphviz, dot = _start(root, rankdir, max_nodes)
    if dot.body:  # too big: a note instead
        return dot
    highlight, computed = _values_set(highlight, "highlight"), _values_set(computed, "computed", none=None)
    return _draw(dot, nodes, graphviz, lambda v: _record(v, max_elements, _grad_text(v, max_elements, show_grad, computed)),
                 lambda v: {**_fill(v, computed), **({"color": HIGHLIGHT, "penwidth": "3"} if v in highlight else {})})


def _start(root, rankdir, max_nodes):
    """The graph's Values, the graphviz module and an empty Digraph (or one holding the too-big note)."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    nodes, _ = trace(root)
    graphviz = require("graphviz", extra="viz")
    dot = _digraph_class(graphviz)(format="svg", graph_attr={"rankdir": rankdir})
    if len(nodes) > max_nodes:
        ops_count = sum(1 for v in nodes if v._prev)
        dot.node("too_big", f"This graph has {len(nodes)} values and {ops_count} ops: too big to draw readably.\\n"
                            f"To draw it anyway: draw_dot(root, max_nodes={len(nodes)})", shape="note")
    return nodes, graphviz, dot


def _draw(dot, nodes, graphviz, record, style):
    """Add each Value as a record, each op as a small node between its inputs and its output."""
    names = {v: f"n{i}" for i, v in enumerate(nodes)}
    for v in nodes:
        dot.node(names[v], record(v), shape="record", fontname="Courier", **style(v))
        if v._prev:
            op = names[v] + "_op"
            dot.node(op, graphviz.escape(v._op), **{k: x for k, x in style(v).items() if k in ("color", "penwidth")})
            dot.edge(op, names[v])
            for i, parent in enumerate(v._prev):
                dot.edge(names[parent], op, **_operand_edge(v, i))
    return dot


class SteppingDrawing:
    """One Graphviz layout, redrawn for many states of a backward pass: what the stepper shows.

    A layout takes Graphviz tens of milliseconds per hundred nodes, too slow to redo at every step.
    So every gradient is laid out once as a placeholder of fixed size (numbers always take
    `_FIXED_WIDTH` characters of Courier, a monospace font, so a box never changes size), and `svg()`
    then only writes the current gradients, fills and highlight into that one SVG.
    """
    _TOKEN = re.compile(r">(grad )?Q@G(\d+)L(\d+)@Q*</text>")  # a whole text line, marked unlike any label

    def __init__(self, root, rankdir="LR", *, max_elements=16, max_nodes=400):
        self.max_elements = max_elements
        nodes, graphviz, dot = _start(root, rankdir, max_nodes)
        if not dot.body:
            names = {v: i for i, v in enumerate(nodes)}
            _draw(dot, nodes, graphviz, lambda v: _record(v, max_elements, self._slot(v, names[v])),
                  lambda v: _fill(v, ()))
        self.nodes = nodes
        # the SVG cut at each node's group, so that a state only rewrites the groups
        svg = render_svg(dot)
        self._pieces = re.split(r'(<g id="node\d+" class="node">\s*<title>[^<]*</title>.*?</g>)', svg, flags=re.S)

    def _slot(self, v, i):
        if not v.requires_grad:
            return "grad: not tracked"
        lines = _fixed_lines(np.zeros_like(v.data), self.max_elements)
        return _named("grad", "\n".join(f"Q@G{i}L{k}@".ljust(len(line), "Q") for k, line in enumerate(lines)))

    def svg(self, highlight=(), computed=()):
        """The drawing with `computed` Values showing their gradients (others pending) and `highlight` outlined."""
        highlight = {f"n{i}" for i, v in enumerate(self.nodes) if v in highlight}
        highlight |= {name + "_op" for name in highlight}
        done = [v in computed for v in self.nodes]
        lines = [None if not d else _fixed_lines(v.grad, self.max_elements) for v, d in zip(self.nodes, done)]

        def text(match):
            prefix, i, k = match.group(1) or "", int(match.group(2)), int(match.group(3))
            width = len(match.group()) - len(prefix) - len("></text>")
            shown = ("pending" if k == 0 else "") if lines[i] is None else lines[i][k]
            return f">{prefix}{html.escape(shown.ljust(width)).replace(' ', '&#160;')}</text>"

        def restyle(group):
            name = re.search(r"<title>([^<]*)</title>", group).group(1)
            if name in highlight:
                group = group.replace('stroke="black"', f'stroke="{HIGHLIGHT}" stroke-width="3"')
            if name[1:].isdigit() and done[int(name[1:])]:
                group = group.replace(f'fill="{PENDING}"', f'fill="{DONE}"', 1)
            return self._TOKEN.sub(text, group)

        return "".join(restyle(p) if p.startswith("<g id=") else p for p in self._pieces)


_FIXED_WIDTH = 10  # "-9999.9999" or "-2.054e+06": the widest a number gets


def _fixed_lines(array, max_elements):
    """A gradient as text lines whose lengths depend on its shape only, never on its values."""
    def number(x):  # four decimals like the rest of the drawing, scientific where they would mislead
        return (f"{x:.4f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.3e}").rjust(_FIXED_WIDTH)
    if array.size > max_elements or array.ndim > 2:
        return [f"norm {number(np.linalg.norm(array))}"]
    if array.ndim == 0:
        return [number(array[()])]
    rows = [" ".join(map(number, row)) for row in np.atleast_2d(array)]
    if array.ndim == 1:
        return [f"[{rows[0]}]"]
    return [("[[" if k == 0 else " [") + row + ("]]" if k == len(rows) - 1 else "]") for k, row in enumerate(rows)]


def render_svg(dot):
    """The drawing as SVG text (what widgets show), or the how-to-install-Graphviz error."""
    with _dot_needed():
        return dot.pipe(format="svg", encoding="utf-8")


@contextmanager
def _dot_needed():
    graphviz = require("graphviz", extra="viz")
    try:
        yield
    except graphviz.ExecutableNotFound:
        raise RuntimeError(MISSING_DOT) from None


@functools.cache
def _digraph_class(graphviz):
    class Digraph(graphviz.Digraph):
        """A `graphviz.Digraph` whose rendering explains how to install Graphviz when `dot` is missing."""

        def pipe(self, *args, **kwargs):  # notebook display (_repr_mimebundle_) renders through here
            with _dot_needed():
                return super().pipe(*args, **kwargs)

        def render(self, *args, **kwargs):  # .render() and .view()
            with _dot_needed():
                return super().render(*args, **kwargs)

    return Digraph


def _values_set(values, what, none=frozenset()):
    if values is None:
        return none
    values = {values} if isinstance(values, Value) else set(values)
    if not all(isinstance(v, Value) for v in values):
        raise TypeError(f"draw_dot: {what} takes a Value or a collection of Values")
    return values


def _fill(v, computed):
    if computed is None or not v.requires_grad:
        return {}
    return {"style": "filled", "fillcolor": DONE if v in computed else PENDING}


def _grad_text(v, max_elements, show_grad, computed):
    if not show_grad:
        return None
    if not v.requires_grad:
        return "grad: not tracked"
    if computed is not None and v not in computed:
        return "grad: pending"
    return _named("grad", _array_text(v.grad, max_elements, "grad"))


def _record(v, max_elements, grad_text):
    """The record label: label, shape and dtype, data, and `grad_text` (None: no grad field)."""
    fields = [str(v.label)] if v.label else []
    fields.append(f"{v.shape if v.ndim else 'scalar'} {v.dtype}")
    fields.append(_named("data", _array_text(v.data, max_elements, "data")))
    if grad_text is not None:
        fields.append(grad_text)
    return "{ " + " | ".join(map(_record_field, fields)) + " }"


def _named(name, text):
    return f"{name}\n{text}" if "\n" in text else f"{name} {text}"


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _record_line(line):
    """Escape a record label's special characters; keep runs of spaces (records collapse them)."""
    line = _RECORD_SPECIAL.sub(r"\\\1", line)
    return re.sub(r"^ +| {2,}", lambda m: "\\ " * len(m.group()), line)


def _record_field(text):
    lines = text.split("\n")
    if len(lines) == 1:
        return _record_line(text)
    return "".join(_record_line(line) + "\\l" for line in lines)  # left-justified rows of a matrix


def _operand_edge(node, i):
    parent = node._prev[i]
    shape = str(parent.shape)
    axes = operand_broadcast_axes(node, i)
    if not axes:
        return {"label": shape} if parent.ndim else {}
    summed = f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))
    return {"label": f"{shape}\\nbroadcast: sum over {summed}", "style": "dashed", "color": BROADCAST,
            "fontcolor": BROADCAST}


def _number_format(array):
    """Fixed point like micrograd (`0.8814`), or scientific for the whole array where that would hide a number."""
    magnitudes = np.abs(array[np.isfinite(array) & (array != 0)])
    if magnitudes.size and (magnitudes.min() < 1e-3 or magnitudes.max() >= 1e5):
        return "{:.3e}".format
    return "{:.4f}".format


def _summary(array, kind):
    if kind == "grad":
        stats = {"norm": np.linalg.norm(array)}
    else:
        stats = {"min": array.min(), "mean": array.mean(), "max": array.max()}
    number = _number_format(np.array(list(stats.values()), dtype=float))
    return " ".join(f"{name} {number(x)}" for name, x in stats.items())


def _array_text(array, max_elements, kind):
    """Every number of a small tensor (aligned rows), or a summary of a big one."""
    if array.size > max_elements:
        return _summary(array, kind)
    number = _number_format(array)
    if array.ndim == 0:
        return number(array[()])
    width = max((len(number(x)) for x in array.flat), default=0)
    return np.array2string(array, separator=" ", max_line_width=10**9, threshold=array.size + 1,
                           formatter={"float_kind": lambda x: number(x).rjust(width)})


def value_html(v, max_elements=16):
    """A compact HTML table of a Value's data and grad (`Value._repr_html_`); a summary for big tensors."""
    header = " ".join(filter(None, [f"<b>{html.escape(str(v.label))}</b>" if v.label else "",
                                    f"shape {v.shape}", str(v.dtype)]))
    grad = _html_array(v.grad, max_elements, "grad") if v.requires_grad else "not tracked"
    return ('<table style="border-collapse:collapse">'
            f'<tr><th colspan="2" style="text-align:left">{header}</th></tr>'
            f'<tr><th>data</th><td>{_html_array(v.data, max_elements, "data")}</td></tr>'
            f'<tr><th>grad</th><td>{grad}</td></tr></table>')


def _html_array(array, max_elements, kind):
    if array.size > max_elements:
        return html.escape(_summary(array, kind))
    if array.ndim > 2:
        return f"<pre>{html.escape(_array_text(array, max_elements, kind))}</pre>"
    number = _number_format(array)
    cells = "".join("<tr>" + "".join(f"<td>{number(x)}</td>" for x in row) + "</tr>" for row in np.atleast_2d(array))
    return f'<table style="font-family:monospace">{cells}</table>'
