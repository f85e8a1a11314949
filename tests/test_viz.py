"""The graph drawing (`trace`, `draw_dot`, `render_svg`) and the notebook table (`value_html`).

Expected counts come from counting the ops of each expression by hand (the count is written next to the
expression); shown numbers are read back out of the drawing and compared with PyTorch or micrograd;
broadcast marks are compared with what the engine's backward actually summed.
Rendering static SVG needs Graphviz's `dot`, which is optional: without it those tests skip.
"""
import random
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad import Value
from tensorgrad.viz import (BROADCAST, DONE, HIGHLIGHT, PENDING, draw_dot, operand_broadcast_axes, render_svg,
                            trace, value_html)

INSTALL_DOT = "apt-get install graphviz"


@pytest.fixture
def dot_program():
    """Tests of static SVG files need Graphviz's `dot`; it is optional (notebooks draw in the browser)."""
    if not shutil.which("dot"):
        pytest.skip(f"these check the static SVG Graphviz's dot program makes; it is not installed ({INSTALL_DOT})")


# ---- reading a drawing back -------------------------------------------------------------------

def parse(dot):
    """({node name: (label, other attributes)}, [(tail, head, attributes)]) from a drawing's DOT body."""
    nodes, edges = {}, []
    for line in dot.body:
        line = line.strip()
        if m := re.fullmatch(r'(\w+) -> (\w+)(?: \[(.*)\])?', line):
            edges.append((m[1], m[2], m[3] or ""))
        elif m := re.fullmatch(r'(\w+) \[label=("(?:[^"\\]|\\.)*"|[^ \]]+)(.*)\]', line):
            nodes[m[1]] = (m[2][1:-1] if m[2].startswith('"') else m[2], m[3])
    return nodes, edges


def fields(record_label):
    """The fields of a record label `{ a | b | c }`, split at unescaped bars."""
    return [f.strip() for f in re.split(r"(?<!\\)\|", record_label.strip()[1:-1])]


def field(record_label, name):
    """The `data ...` or `grad ...` field of a record."""
    return next(f for f in fields(record_label) if f.startswith(name))


NUMBER = re.compile(r"-?\d+\.\d+(?:e[+-]\d+)?")


def numbers(text):
    return np.array([float(x) for x in NUMBER.findall(text)])


def records(dot):
    nodes, _ = parse(dot)
    return {name: label for name, (label, _) in nodes.items() if not name.endswith("_op")}


def names(root):
    """Node names are documented as n0, n1, ... in trace order."""
    return {v: f"n{i}" for i, v in enumerate(trace(root)[0])}


def edge_axes(attrs):
    """The axes a broadcast edge says backward sums over, or () for an unmarked edge."""
    m = re.search(r"broadcast: sum over ax[ie]s ([\d, ]+)", attrs)
    return tuple(int(a) for a in m[1].split(",")) if m else ()


# ---- known graphs -----------------------------------------------------------------------------

def seed_example(lib=tg):
    """The original README's example, in tensorgrad or (lib=torch) in PyTorch float64."""
    if lib is torch:
        a = torch.tensor([[-4.0, -8.0], [-2.0, -4.0]], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([[2.0, 6.0], [4.0, 8.0]], dtype=torch.float64, requires_grad=True)
    else:
        a, b = Value([[-4.0, -8.0], [-2.0, -4.0]], label="a"), Value([[2.0, 6.0], [4.0, 8.0]], label="b")
    c = a + b                                    # +
    d = a * b + b**3                             # *, **3, +
    c += c + 1                                   # const, +, +
    c += 1 + c + (-a)                            # const, +, neg, +, +
    d += d * 2 + (b + a).relu()                  # const, *, +, relu, +, +
    d += 3 * d + (b - a).relu()                  # const, *, -, relu, +, +
    e = c - d                                    # -
    f = e**2                                     # **2
    g = f / 2.0                                  # const, /
    g += 10.0 / f                                # const, /, +
    return a, b, g


# 25 ops (13 +, 3 *, 2 -, 2 /, 2 relu, neg, **3, **2), 20 of them binary; a, b and 6 lifted constants.
SEED_OPS = Counter({"+": 13, "*": 3, "-": 2, "/": 2, "relu": 2, "neg": 1, "**3": 1, "**2": 1})
SEED_VALUES = 25 + 2 + 6
SEED_EDGES = 20 * 2 + 5


def test_trace_of_the_seed_example_counts_every_value_and_operand():
    a, b, g = seed_example()
    nodes, edges = trace(g)
    assert len(nodes) == SEED_VALUES and len(set(nodes)) == SEED_VALUES
    assert len(edges) == SEED_EDGES
    assert Counter(v._op for v in nodes if v._prev) == SEED_OPS
    assert nodes[-1] is g and a in nodes and b in nodes
    position = {v: i for i, v in enumerate(nodes)}
    assert all(position[parent] < position[child] for parent, child in edges)  # parents come first
    assert Counter(child for _, child in edges) == Counter({v: len(v._prev) for v in nodes if v._prev})


def test_draw_dot_of_the_seed_example_shows_pytorchs_numbers():
    a, b, g = seed_example()
    g.backward()
    ta, tb, tg_ = seed_example(torch)
    tg_.sum().backward()
    dot = draw_dot(g)
    nodes, edges = parse(dot)
    ops_ = [label for name, (label, _) in nodes.items() if name.endswith("_op")]
    assert Counter(ops_) == SEED_OPS
    assert len(nodes) == SEED_VALUES + 25 and len(edges) == SEED_EDGES + 25
    shown = records(dot)
    name = names(g)
    for value, reference in [(a, ta), (b, tb)]:
        assert fields(shown[name[value]])[:2] == [value.label, "(2, 2) float64"]
        np.testing.assert_allclose(numbers(field(shown[name[value]], "data")), reference.detach().numpy().ravel())
        np.testing.assert_allclose(numbers(field(shown[name[value]], "grad")), reference.grad.numpy().ravel(),
                                   rtol=5e-4)  # four significant digits
    np.testing.assert_allclose(numbers(field(shown[name[g]], "data")), tg_.detach().numpy().ravel(), rtol=5e-4)


def test_drawing_is_the_same_on_every_run():
    assert draw_dot(seed_example()[2]).source == draw_dot(seed_example()[2]).source


def hand_neuron(lib):
    """micrograd's lecture neuron, `relu(x1*w1 + x2*w2 + b)`, with every Value labelled."""
    def labelled(v, label):
        v.label = label  # set afterwards: micrograd's packaged Value takes no label argument
        return v
    x1, x2 = labelled(lib.Value(2.0), "x1"), labelled(lib.Value(0.0), "x2")
    w1, w2 = labelled(lib.Value(-3.0), "w1"), labelled(lib.Value(1.0), "w2")
    b = labelled(lib.Value(6.8813735870195432), "b")
    x1w1, x2w2 = labelled(x1 * w1, "x1*w1"), labelled(x2 * w2, "x2*w2")
    n = labelled(labelled(x1w1 + x2w2, "x1*w1 + x2*w2") + b, "n")
    o = labelled(n.relu(), "o")
    o.backward()
    return o


def test_hand_built_neuron_matches_micrograd():
    import micrograd.engine
    o, reference = hand_neuron(tg), hand_neuron(micrograd.engine)
    dot = draw_dot(o)
    nodes, edges = parse(dot)
    # 10 Values (5 inputs, 5 results), 5 ops (*, *, +, +, relu) with 9 operands, plus 5 op -> result edges
    assert len(records(dot)) == 10 and len(nodes) == 15 and len(edges) == 14
    assert sorted(label for name, (label, _) in nodes.items() if name.endswith("_op")) == ["*", "*", "+", "+", "relu"]
    expected, stack = {}, [reference]
    while stack:
        v = stack.pop()
        expected[v.label] = v
        stack.extend(v._prev)
    shown = {fields(label)[0]: label for label in records(dot).values()}
    assert set(shown) == set(expected)
    for label, ref in expected.items():
        assert fields(shown[label])[1] == "scalar float64"
        assert field(shown[label], "data") == f"data {ref.data:.4f}"
        assert field(shown[label], "grad") == f"grad {ref.grad:.4f}"


def test_trace_includes_input_data_and_handles_deep_graphs():
    x = Value(np.ones((3, 2)), label="x", requires_grad=False)
    w = Value(np.ones((2, 1)), label="w")
    nodes, edges = trace((x @ w).sum())
    assert nodes[:2] == [x, w] and (x, nodes[2]) in edges
    assert fields(records(draw_dot((x @ w).sum()))["n0"])[-1] == "grad: not tracked"
    y = Value(1.0)
    for _ in range(100_000):
        y = -y
    nodes, edges = trace(y)
    assert len(nodes) == 100_001 and len(edges) == 100_000


# ---- tensorgrad.nn (skipped until that module exists) -------------------------------------------

def test_readme_neuron_tracing_example():
    nn = pytest.importorskip("tensorgrad.nn")
    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    dot = draw_dot(y)
    nodes, _ = trace(y)
    assert len(nodes) <= 10 and all(v in nodes for v in x + n.parameters())
    shown, name = records(dot), names(y)
    for p in n.parameters():
        assert p.label and fields(shown[name[p]])[0] == p.label
        np.testing.assert_allclose(numbers(field(shown[name[p]], "data")), p.data.ravel(), atol=5e-5)


def test_batched_mlp_drawing_stays_small_and_labelled(rng):
    nn = pytest.importorskip("tensorgrad.nn")
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    x = Value(rng.normal(size=(100, 2)), requires_grad=False)
    out = model(x)
    out.backward()
    nodes, _ = trace(out)
    assert len(nodes) <= 1 + 5 * len(model.parameters())  # one input, a handful of values per parameter
    dot = draw_dot(out)
    shown, name = records(dot), names(out)
    assert len(shown) == len(nodes)  # drawn in full, not the too-big note
    labels = [p.label for p in model.parameters()]
    assert all(labels) and len(set(labels)) == len(labels)
    _, edges = parse(dot)
    for p in model.parameters():
        assert fields(shown[name[p]])[0] == p.label
        if p.size > 16:
            assert field(shown[name[p]], "data").startswith("data min ")
        if p.ndim == 1:  # a bias added to a batch of 100 rows: backward sums over the batch axis
            assert [edge_axes(attrs) for tail, _, attrs in edges if tail == name[p]] == [(0,)]
    assert fields(shown[name[x]])[-1] == "grad: not tracked"


# ---- broadcasting marks -------------------------------------------------------------------------

def pos(*shape):
    return Value(np.random.default_rng(0).uniform(0.5, 2.0, shape))


BROADCAST_CASES = [  # operands, expression, axes backward sums over for each operand
    ((3, 1), (4,), lambda a, b: a + b, [(1,), (0,)]),
    ((2, 3), (), lambda a, b: a * b, [(), (0, 1)]),
    ((2, 3), (2, 1), lambda a, b: a - b, [(), (1,)]),
    ((1, 3), (2, 1), lambda a, b: a / b, [(0,), (1,)]),
    ((2, 3), (3,), lambda a, b: a ** b, [(), (0,)]),
    ((3, 1), (1, 4), tg.maximum, [(1,), (0,)]),
    ((3, 1), (1, 4), lambda a, b: tg.where(np.eye(3, 4) > 0, a, b), [(1,), (0,)]),
    ((2, 3), (2, 3), lambda a, b: a * b, [(), ()]),
    ((3, 4), (4, 5), lambda a, b: a @ b, [(), ()]),
    ((3, 1), (1, 4), lambda a, b: a @ b, [(), ()]),  # an outer product: the size-1 axes are matrix axes
    ((2, 1, 1, 4), (3, 4, 5), lambda a, b: a @ b, [(1,), (0,)]),
    ((2, 3, 4), (4, 5), lambda a, b: a @ b, [(), (0,)]),
    ((4,), (2, 4, 5), lambda a, b: a @ b, [(0,), ()]),
    ((2, 3, 4), (4,), lambda a, b: a @ b, [(), (0,)]),
    ((5, 1, 3, 4), (2, 4, 6), lambda a, b: a @ b, [(1,), (0,)]),
    # shapes change, but these ops do not broadcast: nothing to mark
    ((2, 3), None, lambda a: a.sum(axis=0), [()]),
    ((2, 3), None, lambda a: a.max(axis=1, keepdims=True), [()]),
    ((2, 3), None, lambda a: a.reshape(6), [()]),
    ((2, 3), None, lambda a: a[0], [()]),
    ((2, 3), None, lambda a: a.T, [()]),
    ((2, 3), (2, 3), lambda a, b: tg.stack([a, b]), [(), ()]),
]


@pytest.mark.parametrize("shape_a, shape_b, fn, expected", BROADCAST_CASES)
def test_broadcast_edges_are_marked_with_the_axes_backward_sums(shape_a, shape_b, fn, expected):
    inputs = [pos(*shape_a)] + ([] if shape_b is None else [pos(*shape_b)])
    out = fn(*inputs)
    step = next(out.backward_steps())  # what the engine really summed for each operand
    assert [c.summed_axes for c in step.contributions] == expected
    assert [operand_broadcast_axes(out, i) for i in range(len(inputs))] == expected
    _, edges = parse(draw_dot(out))
    name = names(out)
    for value, axes in zip(inputs, expected):
        (attrs,) = [attrs for tail, head, attrs in edges if tail == name[value] and head == name[out] + "_op"]
        assert edge_axes(attrs) == axes
        assert ("style=dashed" in attrs and BROADCAST in attrs) == bool(axes)
        if value.ndim:
            assert f'label="{value.shape}' in attrs  # edges carry the operand's shape


def test_broadcast_marks_agree_with_backward_across_the_seed_example():
    g = seed_example()[2]
    _, edges = parse(draw_dot(g))
    marked = 0
    for step in g.backward_steps():
        for i, contribution in enumerate(step.contributions):
            assert operand_broadcast_axes(step.node, i) == contribution.summed_axes
            marked += bool(contribution.summed_axes)
    assert marked == 6  # each lifted constant (a 0-d number) is broadcast to (2, 2)
    assert sum(edge_axes(attrs) == (0, 1) for *_, attrs in edges) == 6
    assert sum(bool(edge_axes(attrs)) for *_, attrs in edges) == 6


# ---- highlight, computed, show_grad, summaries --------------------------------------------------

def test_highlight_and_computed_follow_a_backward_stepper():
    a, b = Value([1.0, 2.0], label="a"), Value(3.0, label="b")
    x = Value([5.0, 6.0], label="x", requires_grad=False)
    c = a * b * x; c.label = "c"
    d = c.sum(); d.label = "d"
    steps = d.backward_steps()
    first = next(steps)  # the sum: d's gradient is seeded and c's is now known
    computed = {first.node} | {contribution.parent for contribution in first.contributions}
    dot = draw_dot(d, highlight=first.node, computed=computed)
    nodes, _ = parse(dot)
    by_label = {fields(label)[0]: (name, label, attrs) for name, (label, attrs) in nodes.items()
                if not name.endswith("_op")}
    for label in "cd":
        name, record, attrs = by_label[label]
        assert f'fillcolor="{DONE}"' in attrs and field(record, "grad").startswith("grad ")
    for label in "ab":
        name, record, attrs = by_label[label]
        assert f'fillcolor="{PENDING}"' in attrs and fields(record)[-1] == "grad: pending"
    assert "fillcolor" not in by_label["x"][2] and fields(by_label["x"][1])[-1] == "grad: not tracked"
    highlighted = {name for name, (_, attrs) in nodes.items() if HIGHLIGHT in attrs}
    assert highlighted == {by_label["d"][0], by_label["d"][0] + "_op"}
    for _ in steps:
        pass
    done = draw_dot(d, highlight=[a, b], computed=trace(d)[0])
    nodes, _ = parse(done)
    assert "grad: pending" not in done.source and f'fillcolor="{PENDING}"' not in done.source
    assert numbers(field(records(done)[names(d)[a]], "grad")).tolist() == [15.0, 18.0]  # b * x
    assert sum(HIGHLIGHT in attrs for _, attrs in nodes.values()) == 2


def test_show_grad_false_hides_gradients():
    g = seed_example()[2]
    g.backward()
    dot = draw_dot(g, show_grad=False)
    assert all("grad" not in label for label in records(dot).values())
    summary, said = dot.words  # what a screen reader is given says no more than the picture shows
    assert len(said) == len(trace(g)[0]) and not any("gradient" in words for words in [summary, *said]), said
    assert any("gradient" in words for words in draw_dot(g).words[1])  # shown, they are said


def test_big_tensors_are_summarised_past_max_elements():
    big = Value(np.arange(20.0).reshape(4, 5), label="big")
    (big * 2.0).sum().backward()
    y = big * 1.0
    record = records(draw_dot(y))[names(y)[big]]
    assert field(record, "data") == "data min 0.0000 mean 9.5000 max 19.0000"
    np.testing.assert_allclose(numbers(field(record, "grad")), [np.linalg.norm(np.full(20, 2.0))], rtol=1e-4)
    record = records(draw_dot(y, max_elements=20))[names(y)[big]]
    np.testing.assert_array_equal(numbers(field(record, "data")), np.arange(20.0))
    np.testing.assert_array_equal(numbers(field(record, "grad")), np.full(20, 2.0))
    sixteen, seventeen = Value(np.ones((4, 4))), Value(np.ones(17))
    assert len(numbers(field(records(draw_dot(sixteen))["n0"], "data"))) == 16
    assert field(records(draw_dot(seventeen))["n0"], "data").startswith("data min ")


def test_small_matrices_are_drawn_row_by_row_and_dtype_is_shown():
    m = Value(np.array([[1.5, -20.25], [3.0, 4.0]], dtype=np.float32))
    record = records(draw_dot(m))["n0"]
    assert fields(record)[0] == "(2, 2) float32"
    rows = field(record, "data").split("\\l")[1:3]  # `data`, then one left-justified line per row
    assert [numbers(r).tolist() for r in rows] == [[1.5, -20.25], [3.0, 4.0]]


def test_too_many_nodes_gives_a_note_saying_how_to_draw_anyway():
    y = Value(1.0)
    for _ in range(500):
        y = -y
    nodes, edges = parse(draw_dot(y))
    assert len(nodes) == 1 and not edges
    (label, attrs), = nodes.values()
    assert "501 values" in label and "500 ops" in label and "max_nodes=501" in label and "shape=note" in attrs
    assert len(records(draw_dot(y, max_nodes=501))) == 501


def test_record_special_characters_are_escaped():
    v = Value(1.0, label='w{0}|<in> "q" \\ end  two')
    label = records(draw_dot(v))["n0"]
    assert fields(label)[0] == r'w\{0\}\|\<in\> \"q\" \\ end\ \ two'


def test_bad_arguments():
    with pytest.raises(TypeError, match="Value"):
        trace(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(Value(1.0), rankdir="sideways")
    with pytest.raises(TypeError, match="highlight"):
        draw_dot(Value(1.0), highlight=[1.0])
    assert "rankdir=TB" in draw_dot(Value(1.0), rankdir="TB").source


# ---- rendering -----------------------------------------------------------------------------------

def test_svg_rendering(dot_program):
    g = seed_example()[2]
    g.backward()
    dot = draw_dot(g, highlight=g)
    svg = render_svg(dot)
    assert svg.lstrip().startswith("<?xml") and svg.count('class="node"') == SEED_VALUES + 25
    assert svg.count('class="edge"') == SEED_EDGES + 25
    assert dot._repr_mimebundle_()["image/svg+xml"] == svg


def test_escaped_labels_render_as_written(dot_program):
    label = 'w{0}|<in> "q"'
    svg = render_svg(draw_dot(Value(1.0, label=label)))
    texts = [t.text for t in ET.fromstring(svg.encode()).iter("{http://www.w3.org/2000/svg}text")]
    assert label in texts


def test_missing_dot_program_gives_one_clear_error(monkeypatch, tmp_path):
    import graphviz
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    dot = draw_dot(seed_example()[2])
    assert dot.source.startswith("digraph")
    attempts = [dot.pipe, dot._repr_mimebundle_, lambda: render_svg(dot),
                lambda: dot.render(directory=tmp_path), lambda: render_svg(graphviz.Digraph())]
    for attempt in attempts:
        with pytest.raises(RuntimeError) as error:
            attempt()
        assert type(error.value) is RuntimeError and error.value.__suppress_context__
        for how in ["apt-get install graphviz", "brew install graphviz",
                    "conda install -c conda-forge graphviz python-graphviz"]:
            assert how in str(error.value)


def test_missing_graphviz_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now raises ImportError
    for attempt in [lambda: draw_dot(Value(1.0)), lambda: render_svg(None)]:
        with pytest.raises(ImportError, match=re.escape("pip install -e '.[viz]'")):
            attempt()


def test_importing_viz_leaves_graphviz_unimported():
    code = "import sys, tensorgrad.viz; assert 'graphviz' not in sys.modules, 'graphviz imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- value_html ---------------------------------------------------------------------------------

def html_numbers(html, row):
    """Numbers in the data (row='data') or grad cell of a value_html table."""
    table = ET.fromstring(html)
    cell = next(tr for tr in table.iter("tr") if tr.findtext("th") == row).find("td")
    text = " ".join(cell.itertext())
    return numbers(text), text


def test_value_html_shows_small_tensors_in_full():
    def build():
        w = Value([[1.0, -2.0], [0.5, 4.0]], label="<w> & co")
        (w * w).sum().backward()
        return w
    w = build()
    html = value_html(w)
    assert html == w._repr_html_() == value_html(build())  # deterministic: nothing depends on id()
    header = ET.fromstring(html).find("tr")
    assert "".join(header.itertext()) == "<w> & co shape (2, 2) float64"  # parsed, so it was escaped
    assert html_numbers(html, "data")[0].tolist() == [1.0, -2.0, 0.5, 4.0]
    assert html_numbers(html, "grad")[0].tolist() == [2.0, -4.0, 1.0, 8.0]
    assert "0x" not in html


def test_value_html_summarises_big_tensors_and_untracked_grads():
    big = Value(np.arange(100.0), requires_grad=False)
    html = value_html(big)
    assert html_numbers(html, "data")[1] == "min 0.0000 mean 49.5000 max 99.0000"
    assert html_numbers(html, "grad")[1] == "not tracked"
    cube = value_html(Value(np.arange(8.0).reshape(2, 2, 2)))
    assert html_numbers(cube, "data")[0].tolist() == list(range(8)) and "<pre>" in cube


# ---- the widget's drawing: numbers in fixed-width slots ------------------------------------

def test_fixed_lines_depend_on_the_shape_only():
    from tensorgrad.viz import _fixed_lines
    rng = np.random.default_rng(0)
    for shape in [(), (3,), (2, 2), (1, 4), (5, 5), (2, 2, 2)]:
        lengths = {tuple(map(len, _fixed_lines(rng.standard_normal(shape) * scale, 16)))
                   for scale in (1e-9, 1e-2, 1, 1e3, 1e4, -1e12)}
        assert len(lengths) == 1, shape
