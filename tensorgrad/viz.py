"""Seeing the graph: micrograd's `trace` and `draw_dot` for tensors, and the notebook table of a Value.

As in micrograd, each Value is a record (label, shape, dtype, data, grad) and each op a small node
between its inputs and its output. Edges carry shapes, and an edge where the op broadcast its input is
marked with the axes backward will sum over, so students see where `unbroadcast` acts before it runs.
graphviz is imported only by `draw_dot` (the widgets write their DOT with `dot_text`). Without Graphviz's `dot` program a drawing still builds (its
`.source` is there) and a notebook still shows it, laid out in the browser by GraphView; only
`.render()` and `.pipe()` fail, with one message saying how to install Graphviz.
"""
import functools
import html
import re
import shutil
from contextlib import contextmanager

import numpy as np

from . import describe, ops
from .engine import Value, topological_order
from .foreign import graph_of
from ._deps import require
from .dot_text import DotText

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
    the picture. Iterative, so graphs of any depth work. Another engine's micrograd-style root (micrograd's
    own Value, a student's) gives `foreign.Node`s, each wrapping one of its objects (`.obj`).
    """
    root = graph_of(root, "trace")
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
    nodes, dot = _start(root, rankdir, max_nodes, _digraph_class(require("graphviz", extra="viz")))
    if dot.body:  # too big: a note instead
        return dot
    highlight, computed = _values_set(highlight, "highlight"), _values_set(computed, "computed", none=None)
    dot = _draw(dot, nodes, lambda v: _record(v, max_elements, _grad_text(v, max_elements, show_grad, computed)),
                lambda v: {**_fill(v, computed), **({"color": HIGHLIGHT, "penwidth": "3"} if v in highlight else {})})
    shown = [v.grad if show_grad and v.requires_grad and (computed is None or v in computed) else None for v in nodes]
    called = describe.names(nodes)
    dot.words = (describe.graph(nodes), [describe.node(v, grad, called=called, gradient=show_grad)
                                          for v, grad in zip(nodes, shown)])
    return dot


def _start(root, rankdir, max_nodes, digraph):
    """The graph's Values and an empty `digraph` (or one holding the too-big note)."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    nodes, _ = trace(root)
    dot = digraph(format="svg", graph_attr={"rankdir": rankdir})
    if len(nodes) > max_nodes:
        ops_count = sum(1 for v in nodes if v._prev)
        dot.node("too_big", f"This graph has {len(nodes)} values and {ops_count} ops: too big to draw readably.\\n"
                            f"To draw it anyway: draw_dot(root, max_nodes={len(nodes)})", shape="note")
    return nodes, dot


def _draw(dot, nodes, record, style):
    """Add each Value as a record, each op as a small node between its inputs and its output."""
    names = {v: f"n{i}" for i, v in enumerate(nodes)}
    for v in nodes:
        dot.node(names[v], record(v), shape="record", fontname="Courier", **style(v))
        if v._prev:
            op = names[v] + "_op"
            dot.node(op, dot.escape(v._op), **{k: x for k, x in style(v).items() if k in ("color", "penwidth")})
            dot.edge(op, names[v])
            for i, parent in enumerate(v._prev):
                dot.edge(names[parent], op, **_operand_edge(v, i))
    return dot


def widget_dot(root, rankdir="LR", *, max_elements=8, max_nodes=400):
    """The graph's Values and its DOT with every number left as a fixed-width slot: what GraphView lays out.

    The browser lays a graph out once (tens of milliseconds per hundred nodes) and then only writes
    numbers into it. So each data or grad line is laid out as a placeholder `@<D|G><i>L<k>@QQ..` of
    the width its numbers will always take (`_fixed_lines`: the width depends on the shape, never on
    the values), and a big tensor's heatmap as `@H<D|G><i>L<k>@QQ..` lines (one for a strip, three for a
    grid), so that every big tensor's card has the same compact size. A card stacks its fields (label,
    shape, data, grad) in either direction of layout. The DOT therefore depends
    on the graph's structure only: a new graph of the same shapes reuses the layout. A graph of more
    than `max_nodes` Values gives draw_dot's note and no Values.
    """
    nodes, dot = _start(root, rankdir, max_nodes, DotText)
    if dot.body:  # too big: the note, and no Values to fill in
        return [], dot
    names = {v: i for i, v in enumerate(nodes)}

    def record(v):
        i, fields, heat = names[v], node_fields(v, max_elements), _heat_lines(v.data, max_elements)
        grad = _slots("grad", "G", i, fields["grad"], heat) if v.requires_grad else "grad: not tracked"
        label = _record(v, max_elements, grad, data=_slots("data", "D", i, fields["data"], heat))
        return label[1:-1] if rankdir in ("LR", "RL") else label  # fields stacked: a card, not a long bar

    return nodes, _draw(dot, nodes, record, lambda v: _fill(v, ()))


HEATMAP_WIDTH = 27  # the text width a heatmap takes in a node, in Courier characters (its summary line's)


def _slots(name, field, i, lines, heat_lines):
    """The placeholder lines of one field (and of its heatmap, `heat_lines` high) of node i."""
    slots = [f"@{field}{i}L{k}@".ljust(len(line), "Q") for k, line in enumerate(lines)]
    slots += [f"@H{field}{i}L{k}@".ljust(HEATMAP_WIDTH, "Q") for k in range(heat_lines)]
    return _named(name, "\n".join(slots))


def node_fields(v, max_elements=8, grad=None):
    """What GraphView writes into node `v`'s slots: its data and grad lines and, for big tensors, heatmaps.

    `grad` is the gradient to show (None: zeros, laid out as pending); the grad field is None where it is
    not tracked. Heatmaps are grids of integers -9..9 (the value over the largest magnitude), at most 8
    rows by 24 columns (a strip: 1 by 48), averaged over blocks of a bigger tensor.
    """
    fields = {"data": _fixed_lines(v.data, max_elements), "grad": None}
    grad = np.zeros_like(v.data) if grad is None else grad
    if v.requires_grad:
        fields["grad"] = _fixed_lines(grad, max_elements)
    if is_big(v.data, max_elements):
        fields["dheat"] = heatmap(v.data)
        if v.requires_grad:
            fields["gheat"] = heatmap(grad)
    return fields


def heatmap(array, rows=8, cols=24):
    """A tensor as a small grid of integers -9..9: block means of its 2-D view, over the largest magnitude.

    A vector, or a matrix of one row or one column, is a strip: one row of up to 2 * cols cells.
    """
    if _is_strip(array):
        rows, cols, grid = 1, 2 * cols, np.reshape(np.asarray(array, dtype=float), (1, -1))
    else:
        grid = np.asarray(array, dtype=float).reshape(-1, array.shape[-1])
    grid = np.nan_to_num(grid, nan=0.0, posinf=0.0, neginf=0.0)
    for axis, most in ((0, rows), (1, cols)):
        if grid.shape[axis] > most:  # block means: split the axis into `most` nearly equal blocks
            edges = np.linspace(0, grid.shape[axis], most + 1).astype(int)
            grid = np.add.reduceat(grid, edges[:-1], axis=axis) / np.diff(edges).reshape((-1, 1) if axis == 0 else (1, -1))
    scale = np.abs(grid).max()
    return np.rint(grid / scale * 9 if scale else grid).astype(int).tolist()


_FIXED_WIDTH = 10  # "-9999.9999" or "-2.054e+06": the widest a number gets


_LINE_NUMBERS = 4  # more numbers than this in a row (too wide) or a column (too tall): a heatmap instead


def is_big(array, max_elements):
    return array.size > max_elements or array.ndim > 2 or max(array.shape, default=0) > _LINE_NUMBERS


def _is_strip(array):
    return array.ndim <= 1 or (array.ndim == 2 and 1 in array.shape)


def _heat_lines(array, max_elements):
    """How many text lines a tensor's heatmap takes in its card: none (numbers shown), 1 (a strip) or 3 (a grid)."""
    return 0 if not is_big(array, max_elements) else 1 if _is_strip(array) else 3


def _fixed_lines(array, max_elements):
    """A tensor as text lines whose lengths depend on its shape only, never on its values."""
    def number(x):  # four decimals like the rest of the drawing, scientific where they would mislead
        return (f"{x:.4f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.3e}").rjust(_FIXED_WIDTH)
    if is_big(array, max_elements):  # the heatmap's range; the tooltip and the panel give every number
        return [f"min{number(array.min())} max{number(array.max())}"]
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

        escape = staticmethod(graphviz.escape)
        words = None  # draw_dot's (graph, [each node]) in words: what the browser drawing tells a screen reader

        def pipe(self, *args, **kwargs):
            with _dot_needed():
                return super().pipe(*args, **kwargs)

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            """Static SVG where `dot` is installed (readable in any notebook viewer), else drawn in the browser."""
            if shutil.which("dot") or not _browser_can_draw():
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            from .widgets.graphview import GraphView
            data, metadata = GraphView(dot=self.source, words=self.words)._repr_mimebundle_()
            data.pop("text/plain", None)  # Jupyter adds the Digraph's own repr, as it does for the SVG
            return data, metadata

        def render(self, *args, **kwargs):  # .render() and .view()
            with _dot_needed():
                return super().render(*args, **kwargs)

    return Digraph


def _browser_can_draw():
    """Whether GraphView can draw instead of `dot`: anywidget installed and a kernel to talk to."""
    try:
        import anywidget  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


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


def _record(v, max_elements, grad_text, data=None):
    """The record label: label, shape and dtype, data (`data` if given), and `grad_text` (None: no grad field)."""
    fields = [str(v.label)] if v.label else []
    fields.append(f"{v.shape if v.ndim else 'scalar'} {v.dtype}")
    fields.append(data or _named("data", _array_text(v.data, max_elements, "data")))
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


FULL_ELEMENTS = 64  # tensors up to this size are written out in full where a node is looked at closely


def full_text(array):
    """Every number of a tensor of up to FULL_ELEMENTS elements (numpy elides the middle of bigger ones)."""
    return np.array2string(np.asarray(array), precision=4, separator=" ", max_line_width=100,
                           threshold=FULL_ELEMENTS + 1)


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
