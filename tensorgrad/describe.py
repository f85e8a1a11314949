"""What a screen reader hears: a backward step, a node and a graph said in words.

One function per thing described, written from the data (the step record, the node's fields), never
scraped from a picture: the stepper's live region and panel, the graph's node list and tooltip all
read these. Numbers are rounded for speech (4 significant digits); a big tensor is summarised as the
cards summarise it (min, max, mean). Plain strings, no Jupyter imports.

Most nodes have no label, so they are called by the op that made them; where two of them would be called
the same, `names(nodes)` tells them apart by their place in the graph ("the output of the 2nd division"),
and every text about one graph takes that one mapping, so the live region, the panel and the node list agree.
"""
from collections import Counter

import numpy as np

SMALL = 6  # a tensor of at most this many numbers is read out in full

OP_WORDS = {"+": "addition", "-": "subtraction", "*": "multiplication", "/": "division", "neg": "negation",
            "pow": "power", "**": "power", "@": "matrix multiplication", "exp": "exponential",
            "log": "logarithm", "sqrt": "square root", "abs": "absolute value", "getitem": "indexing",
            "concat": "concatenation", "sum_squares": "sum of squares", "log_softmax": "log-softmax"}


def number(x):
    """One number as it is best said: 4 significant digits, no trailing zeros."""
    x = float(x)
    if np.isnan(x):
        return "not a number"
    if np.isinf(x):
        return "infinity" if x > 0 else "minus infinity"
    return f"{x:.4g}".replace("e+", "e").replace("e-0", "e-").replace("e0", "e")


def tensor(array):
    """A tensor's numbers: the number itself, "0.2 in every entry", every number of a small one, else a summary."""
    a = np.asarray(array, dtype=float)
    if a.ndim == 0:
        return number(a)
    if a.size == 0:
        return "no numbers"
    if np.all(a == a.flat[0]):
        return f"{number(a.flat[0])} in every entry"
    if a.size <= SMALL:
        return _nested(a)
    return f"min {number(a.min())}, max {number(a.max())}, mean {number(a.mean())}"


def _nested(a):
    return number(a) if a.ndim == 0 else "[" + ", ".join(_nested(row) for row in a) + "]"


def shape(shape):
    """'a number', 'a (5,) vector', 'a (2, 3) matrix', 'a (2, 3, 4) tensor'."""
    shape = tuple(shape)
    if not shape:
        return "a number"
    return f"a {shape} " + {1: "vector", 2: "matrix"}.get(len(shape), "tensor")


def op(node):
    """The op that made `node`, in words ('subtraction'), with its arguments where it has any ('sum(axis=0)')."""
    name = getattr(node._fn, "name", node._op)  # a foreign node's _op is all there is
    words = OP_WORDS.get(name, name) or "an unnamed op"
    if node._op in (name, ""):
        return words
    return node._op if node._op.startswith(name) and name.isidentifier() else f"{words} {node._op}"


def name(node):
    """How a node is named in a sentence: its label, else the op that made it, else what kind of leaf it is."""
    if node.label:
        return str(node.label)
    if node._fn is not None:
        return f"the output of {op(node)}"
    if not node.shape:
        return f"the {'leaf' if node.requires_grad else 'constant'} {number(node.data)}"
    return "an unlabelled input" if node.requires_grad else "a constant"


def names(nodes):
    """{node: what sentences call it}: `name(node)`, with an ordinal in graph order where two would share one.

    `nodes` is the whole graph in drawing order (`viz.trace`), so every view of one graph counts alike.
    """
    plain = {node: name(node) for node in nodes}
    shared = {said for said, count in Counter(plain.values()).items() if count > 1}
    seen, called = Counter(), {}
    for node in nodes:
        said = plain[node]
        if said in shared:
            seen[said] += 1
            said = _nth(node, ordinal(seen[said]))
        called[node] = said
    return called


def _nth(node, nth):
    """'the output of the 2nd division', 'the 2nd constant', 'the 3rd leaf 2', 'the 2nd w'."""
    if node.label:
        return f"the {nth} {node.label}"
    if node._fn is not None:
        return f"the output of the {nth} {op(node)}"
    return f"the {nth} " + name(node).split(" ", 1)[1]


def ordinal(k):
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def axes(summed):
    return f"axis {summed[0]}" if len(summed) == 1 else "axes " + " and ".join(map(str, summed))


def _addition(parent, grad, summed, called):
    """What one contribution adds, said: '0.2 to every entry of b's gradient, summed over axis 0 because ...'."""
    g = np.asarray(grad, dtype=float)
    uniform = g.ndim and g.size and np.all(g == g.flat[0])
    amount = f"{number(g.flat[0])} to every entry of" if uniform else f"{tensor(g)} to"
    text = f"{amount} {called(parent)}'s gradient"
    if summed:
        text += f", summed over {axes(summed)} because it was broadcast"
    return text


def step(stepper):
    """The step just done, as the live region says it: 'Step 3 of 10: subtraction producing a (5,) vector; ...'.

    The node it produced is named where it has a label ('producing f, a number') or shares its op with
    another unlabelled node ('the 2nd division producing ...'), by `stepper.names` (see `names`).
    """
    done = stepper.current
    if done is None:
        return (f"Step 0 of {stepper.num_steps}: no gradient computed yet; the first step starts at the output "
                "with gradient 1.")
    node, called = done.node, stepper.names.get
    said = called(node)
    doer = said.removeprefix("the output of ") if said.startswith("the output of the ") else op(node)
    made = f"{said}, {shape(node.shape)}" if node.label else shape(node.shape)
    parts = [f"Step {stepper.step} of {stepper.num_steps}: {doer} producing {made}",
             f"upstream gradient {tensor(done.grad)}"]
    error = getattr(done, "error", None)  # a student's closure may raise
    if error:
        parts.append(f"it raised {error[0]}: {error[1]}")
    adds = []
    for contribution in done.contributions:  # a Contribution, or a student step's (node, amount)
        parent, grad = contribution
        adds.append(_addition(parent, grad, getattr(contribution, "summed_axes", ()), called))
    if adds:
        parts.append("adds " + "; and ".join(adds))
    elif not error:
        parts.append("no input needs a gradient: it adds nothing")
    return "; ".join(parts) + "."


def node(node, grad=None, flows=(), called=None, gradient=True):
    """One node read out: name, op, shape, data, gradient so far (`grad`, None: pending) and what reached it.

    `flows` are the (step number, op, gradient) contributions that have reached it, as a stepper lists them.
    `called` is the graph's `names` (without it, nodes are called by `name` alone). `gradient=False`: a
    drawing that shows no gradients, so the words say nothing of them either.
    """
    said = name if called is None else called.get
    made = f"made by {op(node)} from {_listed([said(p) for p in node._prev])}" if node._fn is not None else \
        "an input" if node.requires_grad else "a constant: no gradient is tracked" if gradient else "a constant"
    parts = [f"{said(node)}: {shape(node.shape)}, {made}", f"data {tensor(node.data)}"]
    if node.requires_grad and gradient:
        parts.append("gradient pending: no step has reached it yet" if grad is None else f"gradient {tensor(grad)}")
    if flows:
        reached = "; ".join(f"step {k}, {OP_WORDS.get(o, o)}: {tensor(g)}" for k, o, g in flows)
        parts.append(f"{len(flows)} contribution{'s' if len(flows) > 1 else ''} so far: {reached}")
    return "; ".join(parts) + "."


def graph(nodes, most=8):
    """The whole graph in one paragraph: how many values and ops, the output, the inputs (the first `most`)."""
    if not nodes:
        return "An empty graph."
    ops_count, called = sum(n._fn is not None for n in nodes), names(nodes)
    leaves = [n for n in nodes if n._fn is None]
    inputs = [f"{called[n]} ({shape(n.shape)})" for n in leaves[:most]]
    if len(leaves) > most:
        inputs.append(f"{len(leaves) - most} more")
    root = nodes[-1]
    return (f"A computation graph of {len(nodes)} values and {ops_count} operations. Output: {called[root]}, "
            f"{shape(root.shape)}. Inputs: {_listed(inputs) if inputs else 'none'}.")


def _listed(items):
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) < 2 else ", ".join(items[:-1]) + " and " + items[-1]
