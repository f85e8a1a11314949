"""Record what a student's micrograd-style engine does on expressions drawn by the caller, as plain data.

Notebook 10's checks and the grader use this one recorder. The grader sends this file's source to the
student's kernel with its request (as it sends grade/answers.py), so it needs the standard library only
and nothing of tensorgrad: however the student imported or rebound things, the kernel runs this code,
and whatever the student patches changes only their own recordings, which the grader then checks are
of the expressions it drew (tensorgrad.exercises.judge_micrograd). A recording is check_backward's:
each node's label, `_op`, data, children and grad, then what each closure changed when run one at a
time from zero gradients, the output seeded with 1, in the order micrograd's `backward()` runs them.
"""
import math


def build(Value, spec):
    """The expression `spec` (drawn by tensorgrad.exercises.micrograd_specs) on the class `Value`.

    d and the leaves a, b are used twice, so every slip check_backward names shows on it: a child that
    already holds gradient from another use, upstream gradients other than 1, factors of different values.
    """
    a, b, c = Value(spec["a"]), Value(spec["b"]), Value(spec["c"])
    d = a * b
    e = d + c if spec["d_first"] else c + d
    if spec["tanh"]:
        e = e.tanh()
    f = e * d
    out = (f + a * spec["k"]) + b * b
    for name, v in zip("abcdefL", (a, b, c, d, e, f, out)):
        try:
            v.label = name
        except Exception:  # a class without a label attribute: its nodes are named by op and data
            pass
    return out


def walk(root):
    """Every node below `root`, children first in `_prev` order (micrograd's topological sort); their child indices."""
    nodes, index, stack = [], {}, [(root, iter(_children(root)))]
    seen = {id(root)}
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(_children(child))))
                break
        else:
            stack.pop()
            index[id(node)] = len(nodes)
            nodes.append(node)
    return nodes, [[index[id(c)] for c in _children(n)] for n in nodes]


def _children(node):
    try:
        return tuple(node._prev)
    except Exception:
        raise TypeError(f"_prev of a {type(node).__name__} must hold its children") from None


def _float(x):
    """x as a float; None for anything that is not one number (a student's grad can be anything)."""
    if isinstance(x, (str, bytes)):
        return None
    try:
        return float(x)
    except Exception:
        return None


def _number(x):
    number = _float(x)
    return math.nan if number is None else number


def _moved(before, after):
    if before is after:
        return False
    try:
        return bool(before != after)
    except Exception:  # a grad that is no number (an array, say): count it as moved
        return True


def record(root):
    """Run the closures once, in backward's order from zero gradients: check_backward's plain-data recording."""
    nodes, children = walk(root)
    for node in nodes:
        missing = [name for name in ("data", "grad", "_op", "_backward") if not hasattr(node, name)]
        if missing:
            raise TypeError(f"a {type(node).__name__} in the graph has no {', '.join(missing)}")
        if _float(node.data) is None:
            raise TypeError(f"data must be one number, got {type(node.data).__name__}")
        if not callable(node._backward):
            raise TypeError(f"_backward must be a function, got {type(node._backward).__name__}")
    entry = [_number(n.grad) for n in nodes]
    for n in nodes:
        n.grad = 0.0
    root.grad = 1.0
    steps = []
    try:
        for i in reversed(range(len(nodes))):
            if children[i]:
                steps.append(_step(i, nodes))
        final = [_number(n.grad) for n in nodes]
    finally:
        for n, grad in zip(nodes, entry):
            n.grad = grad
    return {"nodes": [{"label": str(getattr(n, "label", "") or ""), "op": str(n._op or ""), "data": _number(n.data),
                       "grad": grad, "children": kids} for n, grad, kids in zip(nodes, entry, children)],
            "steps": steps, "final": final}


def _step(i, nodes):
    before = [n.grad for n in nodes]
    grad, error = _number(nodes[i].grad), None
    try:
        nodes[i]._backward()
    except Exception as exception:  # the student's crash is something to report, not to propagate
        error = [type(exception).__name__, str(exception)[:300]]
    changes = [[j, _number(b), _number(n.grad)] for j, (n, b) in enumerate(zip(nodes, before)) if _moved(b, n.grad)]
    return {"node": i, "grad": grad, "error": error, "changes": changes}


def answers(Value, specs, run_backward):
    """One recording per spec, built with the student's `Value` (their backward() run first if asked).

    A build (or backward()) that raises ends the list with {"not attempted": True} (NotImplementedError,
    or `Value` still `...`) or {"mistake": what raised}.
    """
    if Value is None or Value is Ellipsis:
        return [{"not attempted": True}]
    recordings = []
    for spec in specs:
        doing = "building an expression"
        try:
            root = build(Value, spec)
            if run_backward:
                doing = "backward()"
                root.backward()
            doing = None  # what record() raises is about the graph, and says so
            recordings.append(record(root))
        except NotImplementedError:
            recordings.append({"not attempted": True})
            break
        except Exception as error:  # the student's crash is their answer
            said = str(error)[:300]
            recordings.append({"mistake": said if doing is None else f"{doing} raised {type(error).__name__}: {said}"})
            break
    return recordings
