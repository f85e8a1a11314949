"""`check_backward(root)`: which `_backward` closure of a student's micrograd-style engine is wrong, and how.

`record(root)` runs the student's code and writes down, as plain data, the graph (each node's label,
`_op`, data, children and the grad it held) and what each of their closures changes when run one at a
time from zero gradients, the output seeded with 1, in the order micrograd's `backward()` runs them.
`judge(recording)` runs no student code: it rebuilds each node from its `_op` and its children's data
with tensorgrad's own ops (tested against PyTorch), checks the forward values, then what each closure
added to each child against the local derivative times the out.grad that closure saw, and last the
gradients the student's own `backward()` had left on the graph. Splitting the two lets a grader record
in the student's kernel and judge in its own process. Needs numpy only.
"""
import operator

import numpy as np

from . import foreign
from .engine import Value

RTOL, ATOL = 1e-6, 1e-9
READABLE = "+, *, **k, -, /, tanh, exp, log, relu, sigmoid"
_UNARY = {"tanh": Value.tanh, "exp": Value.exp, "log": Value.log, "relu": Value.relu, "ReLU": Value.relu,
          "sigmoid": Value.sigmoid}
_BINARY = {"+": operator.add, "*": operator.mul, "-": operator.sub, "/": operator.truediv}
_MAX_REPEATS = 100_000  # steps a topological sort without a visited set may take before we stop simulating it


class BackwardReport:
    """What check_backward found: `ok`, the student's `node` at fault (None when ok), a one-line `message`.

    `mistake` names the kind of slip (None when ok) and `step` the stepper step of that node's closure.
    In a notebook it shows as its one line, like an exercise check.
    """

    def __init__(self, root, verdict, nodes):
        self.root, self.ok, self.mistake = root, verdict["ok"], verdict["mistake"]
        self.message, self.step = verdict["message"], verdict["step"]
        self.node = None if verdict["node"] is None else nodes[verdict["node"]].obj

    def stepper(self):
        """A BackwardStepper running the student's closures, opened after the step of the node at fault."""
        from .widgets.stepper import BackwardStepper
        stepper = BackwardStepper(self.root)
        stepper.goto(self.step or 0)
        return stepper

    def __str__(self):
        return ("✓ " if self.ok else "✗ ") + self.message

    __repr__ = __str__


def check_backward(root):
    """Check a micrograd-style graph ending in `root` node by node against tensorgrad: a BackwardReport.

    The student's gradients are left as they were found; gradients already on the graph (from their own
    `backward()`) are judged too, when there are any.
    """
    recording, nodes = record(root)
    return BackwardReport(root, judge(recording), nodes)


def record(root):
    """Run the student's closures once, in backward's order from zero gradients; (plain-data recording, Nodes)."""
    if isinstance(root, Value):
        raise TypeError("check_backward checks another engine's graph (micrograd-style: data, grad, _prev, _op, "
                        "_backward); a tensorgrad Value runs tensorgrad's own backward: check your functions of "
                        "Values with tensorgrad.gradcheck")
    top = foreign.graph_of(root, "check_backward")
    nodes, order = foreign.order(top)
    index = {node: i for i, node in enumerate(nodes)}
    entry = foreign.grads(nodes)
    start = [0.0] * len(nodes)
    start[index[top]] = 1.0
    steps = []
    foreign.set_grads(nodes, start)
    try:
        for node in order:
            step = foreign.run_step(node, nodes)
            steps.append({"node": index[node], "grad": step.grad, "error": list(step.error) if step.error else None,
                          "changes": [[index[n], before, after] for n, before, after in step.changes]})
        final = foreign.grads(nodes)
    finally:
        foreign.set_grads(nodes, entry)
    return {"nodes": [{"label": n.label, "op": n._op, "data": float(n.obj.data), "grad": grad,
                       "children": [index[c] for c in n._prev]} for n, grad in zip(nodes, entry)],
            "steps": steps, "final": final}, nodes


def judge(recording):
    """The verdict on a recording: {"ok", "node" (an index or None), "mistake", "message", "step"}."""
    return _Judge(recording).verdict()


def _close(a, b):
    return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _readings(op, children):
    """The ways `op` over `children` can be read: (function of Values, operand indices) pairs; [] if none."""
    if op in _UNARY and len(children) == 1:
        return [(_UNARY[op], children)]
    if op.startswith("**") and len(children) == 1:
        try:
            k = float(op[2:])
        except ValueError:
            return []
        return [(lambda a: a ** k, children)]
    if op in _BINARY and len(children) == 2:
        a, b = children  # _prev may be a set: for - and /, whichever order fits the data
        return [(_BINARY[op], [a, b])] + ([(_BINARY[op], [b, a])] if op in "-/" else [])
    if op in _BINARY and len(children) == 1:  # micrograd keeps _prev in a set: a + a has one child
        return ([(operator.neg, children)] if op == "-" else []) + [(_BINARY[op], children * 2)]
    return []


def _forward(reading, data):
    fn, operands = reading
    with np.errstate(all="ignore"):
        return float(fn(*[Value(data[i]) for i in operands]).data)


def _local_derivatives(reading, data):
    """d(node)/d(child) per child (summed over the operands it fills), and per operand."""
    fn, operands = reading
    xs = [Value(data[i]) for i in operands]
    with np.errstate(all="ignore"):
        fn(*xs).backward()
    per_operand = [float(x.grad) for x in xs]
    local = {}
    for i, d in zip(operands, per_operand):
        local[i] = local.get(i, 0.0) + d
    return local, per_operand


class _Judge:
    def __init__(self, recording):
        self.nodes, self.steps = recording["nodes"], recording["steps"]
        self.final = recording["final"]
        self._validate()
        self.data = [float(n["data"]) for n in self.nodes]
        self.entry = [float(n["grad"]) for n in self.nodes]
        self.step_of = {s["node"]: k for k, s in enumerate(self.steps, 1)}
        self.readings, self.local, self.unknown = {}, {}, []

    def _validate(self):
        n = len(self.nodes)
        if not n or len(self.final) != n:
            raise ValueError("check_backward: a recording holds at least one node and a final grad per node")
        for i, node in enumerate(self.nodes):
            if any(not 0 <= c < i for c in node["children"]):
                raise ValueError(f"check_backward: node {i}'s children must come before it (topological order)")
        for step in self.steps:
            if not 0 <= step["node"] < n or any(not 0 <= c[0] < n for c in step["changes"]):
                raise ValueError("check_backward: a step names a node the recording does not hold")

    def name(self, i):
        node = self.nodes[i]
        return foreign.node_name(node["label"], node["op"], self.data[i], bool(node["children"]))

    def verdict(self):
        return (self._forward() or self._closures() or self._unknown() or self._whole_pass()
                or self._left_by_backward() or self._result(None, None, self._success()))

    def _result(self, i, mistake, message):
        return {"ok": mistake is None, "node": i, "mistake": mistake, "message": message,
                "step": self.step_of.get(i)}

    def _forward(self):
        """Read every op node; the first (children first) whose data is not its op of its children's data."""
        for i, node in enumerate(self.nodes):
            if not node["children"]:
                continue
            options = _readings(node["op"], node["children"])
            if not options:
                self.unknown.append(i)
                continue
            fitting = [o for o in options if _close(self.data[i], _forward(o, self.data))]
            if not fitting:
                children = ", ".join(f"{self.data[c]:.4g}" for c in node["children"])
                return self._result(i, "forward", f"{self.name(i)}: its data {self.data[i]:.4g} is not "
                                                  f"`{node['op']}` of its children ({children}): wrong forward value")
            self.readings[i] = fitting  # x - y with x == y fits both ways: the closure then tells which it is
            self.local[i] = [_local_derivatives(reading, self.data) for reading in fitting]
        return None

    def _closures(self):
        """The first closure, in backward's order, that raised or added a wrong amount to some gradient."""
        for step in self.steps:
            i = step["node"]
            if step["error"]:
                name, text = step["error"]
                if name == "NotImplementedError":
                    return self._result(i, "not attempted", f"{self.name(i)}: its _backward is not written yet "
                                                            f"(NotImplementedError: {text})")
                return self._result(i, "raised", f"{self.name(i)}: its _backward raised {name}: {text}")
            changes = {c: (before, after) for c, before, after in step["changes"]}
            children = self.nodes[i]["children"]
            stray = [c for c in changes if c not in children]
            if stray:
                whose = "its own gradient" if stray[0] == i else f"the gradient of {self.name(stray[0])}, which is " \
                                                                  "not one of its children"
                return self._result(i, "stray", f"{self.name(i)}: its _backward changed {whose}")
            if i in self.readings:
                found = [self._closure_mistake(i, k, step["grad"], changes) for k in range(len(self.readings[i]))]
                if None not in found:
                    return self._result(i, *found[0])
                right = found.index(None)  # keep the reading the closure agrees with
                self.readings[i], self.local[i] = [self.readings[i][right]], [self.local[i][right]]
        return None

    def _closure_mistake(self, i, k, g, changes):
        """(kind, message) for what node i's closure did wrong (on its k-th reading), given the out.grad g it saw."""
        local, per_operand = self.local[i][k]
        operands = self.readings[i][k][1]
        added = {c: changes[c][1] - changes[c][0] if c in changes else 0.0 for c in local}
        if all(_close(added[c], local[c] * g) for c in local):
            return None
        who, op = self.name(i), self.nodes[i]["op"]
        if not changes:
            return "nothing", f"{who}: its _backward changed no gradient (is it the one set as out._backward?)"
        for c in local:
            right, child = local[c] * g, self.name(c)
            if _close(added[c], right):
                continue
            if c not in changes:
                return "missing", f"{who}: its _backward added nothing to {child}"
            before, after = changes[c]
            alone = [d * g for d, o in zip(per_operand, operands) if o == c]
            if (not _close(before, 0) and _close(after, right)) or (len(alone) > 1 and any(
                    _close(added[c], a) or _close(after, a) for a in alone)):
                return "overwrite", (f"{who}: its _backward overwrote the gradient of {child} (`=` instead of `+=`): "
                                     f"{child} is used twice, and what its other use added was lost")
            if not _close(g, 1) and _close(added[c], local[c]):
                return "upstream", (f"{who}: its _backward leaves out the upstream gradient out.grad ({g:.4g} here): "
                                    "the chain rule multiplies the local derivative by it")
            if op == "*" and len(set(operands)) == 2 and _close(added[c], self.data[c] * g) \
                    and not _close(local[c], self.data[c]):
                return "swapped", (f"{who}: its _backward gives each factor of the product its own value instead of "
                                   "the other factor's")
            if _close(added[c], -right):
                return "sign", f"{who}: what its _backward adds to {child} has the wrong sign"
            if op == "tanh" and _close(added[c], (1 - self.data[i]) * g):
                return "local", f"{who}: wrong local derivative of tanh: it looks like 1 - t (t = the tanh's output)"
            return "local", (f"{who}: wrong local derivative for {child}: its _backward added {added[c]:.4g} "
                             f"with out.grad = {g:.4g}")
        return None

    def _unknown(self):
        if not self.unknown:
            return None
        i = self.unknown[0]
        op, n = self.nodes[i]["op"], len(self.nodes[i]["children"])
        children = f"{n} child{'ren' if n != 1 else ''}"
        return self._result(i, "unknown op", f"cannot check {self.name(i)}: check_backward reads {READABLE}, not "
                                             f"{op!r} with {children} (every other node agrees)")

    def _whole_pass(self):
        """The whole graph rebuilt in tensorgrad, backward run once: the stepped gradients must agree."""
        values = []
        for i, node in enumerate(self.nodes):
            if node["children"]:
                fn, operands = self.readings[i][0]
                with np.errstate(all="ignore"):
                    values.append(fn(*[values[c] for c in operands]))
            else:
                values.append(Value(self.data[i]))
        with np.errstate(all="ignore"):
            values[-1].backward()
        for i in reversed(range(len(values))):
            if not _close(self.final[i], float(values[i].grad)):
                return self._result(i, "mismatch", f"{self.name(i)}: its gradient after the whole pass differs from "
                                                   "tensorgrad's")
        return None

    def _simulate(self, sequence, passes=1):
        """The gradients right closures give when run in `sequence`, `passes` times, the output set to 1 each time."""
        grads = [0.0] * len(self.nodes)
        for _ in range(passes):
            grads[-1] = 1.0
            for i in sequence:
                for c, d in self.local[i][0][0].items():
                    grads[c] += d * grads[i]
        return grads

    def _left_by_backward(self):
        """Judge the gradients found on the graph, if any: what the student's own backward() left there."""
        entry, final = self.entry, self.final
        if not any(entry) or _close(entry, final):
            return None
        first = next(i for i in reversed(range(len(entry))) if not _close(entry[i], final[i]))
        at = f"first at {self.name(first)}"
        backward = [s["node"] for s in self.steps]
        for k in (2, 3, 4):
            if _close(entry, self._simulate(backward, k)):
                return self._result(first, "not zeroed", f"gradients not zeroed between backward passes: the grads "
                                                         f"on the graph are what {k} passes add up to ({at})")
        if _close(entry, self._simulate(backward[::-1])):
            return self._result(first, "order", f"backward() ran the closures in topological order, not reversed: "
                                                f"a node's _backward ran before its out.grad was complete ({at})")
        repeats = self._repeating_order()
        if repeats is not None and _close(entry, self._simulate(repeats)):
            return self._result(first, "visited twice", "backward() ran some nodes' _backward more than once: its "
                                                        f"topological sort lists a node once per path to it ({at})")
        inner = [i for i, n in enumerate(self.nodes) if n["children"]]
        if _close([entry[i] for i in inner], [final[i] for i in inner]):
            return self._result(first, "not zeroed", "gradients not zeroed between backward passes: "
                                                     f"{self.name(first)} still holds gradient from an earlier one")
        return self._result(first, "backward", "the grads backward() left differ from one pass of your closures in "
                                               f"reverse topological order, output seeded with 1 ({at})")

    def _repeating_order(self):
        """Backward's order had its topological sort no visited set (None if that order grows too long)."""
        order, stack = [], [(len(self.nodes) - 1, 0)]
        while stack:
            i, k = stack.pop()
            children = self.nodes[i]["children"]
            if k < len(children):
                stack += [(i, k + 1), (children[k], 0)]
            else:
                order.append(i)
                if len(order) > _MAX_REPEATS:
                    return None
        return [i for i in reversed(order) if self.nodes[i]["children"]]

    def _success(self):
        judged = ", and so do the grads backward() left on the graph" if any(self.entry) else ""
        return (f"forward values and all {len(self.steps)} _backward closures agree with tensorgrad "
                f"({len(self.nodes)} nodes){judged}")
