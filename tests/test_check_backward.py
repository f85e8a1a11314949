"""check_backward on a student's engine: right engines pass, each slip is found at its node and named."""
import json
import math

import pytest
import torch
from micrograd.engine import Value as MicroValue

from lecture_engine import engine, neuron
from tensorgrad import Value, check_backward
from tensorgrad.check_backward import judge, record
from torch_ref import readme_example


def test_a_right_lecture_engine_passes_before_and_after_its_backward():
    L, nodes = neuron(engine())
    report = check_backward(L)
    assert report.ok and report.node is None and report.mistake is None
    assert str(report) == repr(report) == "✓ " + report.message and "\n" not in str(report)
    L.backward()
    grads = {label: v.grad for label, v in nodes.items()}
    report = check_backward(L)
    assert report.ok and "backward() left" in report.message
    assert {label: v.grad for label, v in nodes.items()} == grads  # the check leaves the gradients as it found them


def test_micrograd_passes_on_its_readme_expression_and_its_gradients_match_torch():
    a, b = MicroValue(-4.0), MicroValue(2.0)
    g = readme_example(a, b)
    assert check_backward(g).ok  # before backward: each closure judged on its own
    g.backward()
    assert check_backward(g).ok  # after: what micrograd's backward left is judged too
    ta, tb = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (-4.0, 2.0))
    readme_example(ta, tb).backward()
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12) and b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


MISTAKES = [  # (slip in the lecture engine, mistake reported, the node at fault, words of the message)
    ("overwrite", "overwrite", "n", "overwrote the gradient of 'b' (`=` instead of `+=`)"),
    ("upstream", "upstream", "x1w1 x2w2", "leaves out the upstream gradient out.grad"),  # _prev's set order decides
    ("swapped", "swapped", "L", "each factor of the product its own value instead of the other factor's"),
    ("tanh-1-t", "local", "o", "wrong local derivative of tanh: it looks like 1 - t"),
    ("tanh-forward", "forward", "o", "is not `tanh` of its children (-1.2): wrong forward value"),
    ("sign", "sign", "s", "has the wrong sign"),
    ("stray", "stray", "L", "its _backward changed its own gradient"),
    ("unassigned", "nothing", "L", "its _backward changed no gradient"),
]


@pytest.mark.parametrize("slip, mistake, label, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_closure_mistake_is_found_at_its_node_and_named(slip, mistake, label, words):
    L, nodes = neuron(engine(slip))
    report = check_backward(L)
    assert not report.ok and report.mistake == mistake
    assert report.node in [nodes[name] for name in label.split()]  # the student's own object
    assert report.message.startswith(f"'{report.node.label}': ") and words in report.message, report.message
    assert str(report).startswith("✗ ") and "\n" not in str(report)


def test_backward_run_twice_without_zeroing_is_named():
    L, nodes = neuron(engine())
    L.backward()
    L.backward()
    report = check_backward(L)
    assert report.mistake == "not zeroed" and "what 2 passes add up to" in report.message
    L2 = (nodes["x1"] * nodes["w1"] + nodes["b"]).tanh()  # a new graph on leaves whose grads were not zeroed
    L2.backward()
    report = check_backward(L2)
    assert report.mistake == "not zeroed" and "still holds gradient from an earlier one" in report.message
    assert report.node in (nodes["x1"], nodes["w1"], nodes["b"])


def shared_middle(Scalar):
    """o is reached along two paths: a sort without a visited set runs its closure (and those below) twice."""
    x, w = Scalar(0.7, label="x"), Scalar(-1.3, label="w")
    o = (x * w).tanh()
    o.label = "o"
    return o * x + (o + w)


@pytest.mark.parametrize("slip, mistake, words", [
    ("not-reversed", "order", "in topological order, not reversed"),
    ("no-visited", "visited twice", "more than once"),
])
def test_a_wrong_backward_order_is_named(slip, mistake, words):
    L = shared_middle(engine(slip))
    assert check_backward(L).ok  # the closures are right...
    L.backward()
    report = check_backward(L)  # ...but backward() ran them wrongly
    assert report.mistake == mistake and words in report.message, report.message


def test_a_value_used_twice_in_one_op_is_one_child_of_a_set():
    Scalar = engine()
    a = Scalar(1.5, label="a")
    assert check_backward(a * a + a).ok
    L = engine("overwrite")(1.5, label="a")
    report = check_backward((L + L) * 3.0)
    assert report.mistake == "overwrite" and report.node is not L


def test_a_closure_that_raises_is_named_and_not_implemented_means_not_attempted():
    Scalar = engine("raises")
    x = Scalar(0.5, label="x")
    report = check_backward(x.exp() * x)
    assert report.mistake == "raised" and "raised ZeroDivisionError: a slip in exp's closure" in report.message
    y = Scalar(0.5)
    z = y * 2.0

    def _backward():
        raise NotImplementedError("exercise: write the chain rule")
    z._backward = _backward
    assert check_backward(z).mistake == "not attempted"


def test_an_op_it_cannot_read_is_named_not_guessed():
    Scalar = engine()
    x = Scalar(1.2, label="x")
    cube = Scalar(x.data ** 3, (x,), "cube")
    cube.label = "c"
    report = check_backward(cube * 2.0 + x)
    assert not report.ok and report.mistake == "unknown op" and report.node is cube
    assert "'c'" in report.message and "not 'cube' with 1 child" in report.message
    Broken = engine("swapped")
    broken = Broken(1.2)
    other = Broken(0.0, (broken,), "cube")  # an unknown op does not hide a wrong closure elsewhere
    assert check_backward(broken * 3.0 + other).mistake == "swapped"


def test_the_report_steps_to_the_node_at_fault():
    pytest.importorskip("anywidget")
    L, nodes = neuron(engine("tanh-1-t"))
    report = check_backward(L)
    stepper = report.stepper()
    assert stepper.step == report.step == 3 and stepper.current.node.obj is nodes["o"]
    assert "<code>tanh</code>" in stepper.panel.value


def test_judging_needs_only_the_plain_data_recorded():
    L, _ = neuron(engine("overwrite"))
    recording, nodes = record(L)
    copied = json.loads(json.dumps(recording))  # what a grader's kernel would send back
    verdict = judge(copied)
    assert verdict["mistake"] == "overwrite" and nodes[verdict["node"]].obj.label == "n" and verdict["step"] == 4
    copied["nodes"][3]["children"] = [5]  # a child after its parent: not a topological order
    with pytest.raises(ValueError, match="topological order"):
        judge(copied)


def test_an_object_without_the_protocol_is_told_what_it_lacks():
    with pytest.raises(TypeError, match=r"this float has no data, grad, _prev, _op, _backward"):
        check_backward(3.0)
    with pytest.raises(TypeError, match="tensorgrad.gradcheck"):
        check_backward(Value(1.0) * 2)
    Scalar = engine()
    x = Scalar(1.0)
    x._prev = {x.data}
    with pytest.raises(TypeError, match="child 0 of a leaf .* is a float, not a micrograd-style value"):
        check_backward(x)
    with pytest.raises(TypeError, match="data must be one number, got list"):
        check_backward(Scalar([1.0, 2.0]))
    with pytest.raises(TypeError, match="data must be one number, got Scalar"):
        check_backward(Scalar(Scalar(1.0)))


def test_the_notebook_checks_pass_a_right_engine_and_name_each_slip():
    from tensorgrad import exercises
    checks = (exercises.micrograd_add_mul, exercises.micrograd_tanh, exercises.micrograd_backward)
    for check in checks:
        feedback = check.feedback(engine(), seed=3)
        assert feedback.passed, feedback
    for slip, check, words in [("overwrite", exercises.micrograd_add_mul, "(`=` instead of `+=`)"),
                               ("swapped", exercises.micrograd_add_mul, "its own value instead of the other"),
                               ("upstream", exercises.micrograd_add_mul, "leaves out the upstream gradient"),
                               ("tanh-1-t", exercises.micrograd_tanh, "it looks like 1 - t"),
                               ("not-reversed", exercises.micrograd_backward, "in topological order, not reversed"),
                               ("no-visited", exercises.micrograd_backward, "more than once")]:
        feedback = check.feedback(engine(slip), seed=3)
        assert feedback.status == "failed" and words in feedback.message, (slip, feedback)


def test_an_unwritten_closure_or_method_is_not_attempted():
    from tensorgrad import exercises
    Scalar = engine()

    def unwritten(self):
        raise NotImplementedError("exercise: tanh")
    Scalar.tanh = unwritten
    assert exercises.micrograd_add_mul.feedback(Scalar).passed
    assert exercises.micrograd_tanh.feedback(Scalar).status == "not attempted"
    assert exercises.micrograd_add_mul.feedback(...).status == "not attempted"
    L, _ = neuron(engine())
    L._backward = unwritten.__get__(L)
    report = check_backward(L)
    assert report.mistake == "not attempted" and "is not written yet" in report.message


def test_a_grader_can_record_in_the_kernel_and_judge_elsewhere():
    from tensorgrad import exercises
    answers = exercises.micrograd_answers(engine("tanh-1-t"), "backward", cases=3, seed=11)
    sent = json.loads(json.dumps(answers))  # plain data, as a kernel would print it
    feedback = exercises.judge_micrograd("backward", sent, 3, 11)
    assert feedback.status == "failed" and "it looks like 1 - t" in feedback.message
    assert exercises.judge_micrograd("backward", exercises.micrograd_answers(engine(), "backward", 3, 11), 3, 11).passed
    assert exercises.micrograd_answers(..., "tanh") == [{"not attempted": True}]
    crash = exercises.micrograd_answers(type("Broken", (), {}), "add_mul")  # Value(x) takes no argument
    assert len(crash) == 1 and "building an expression raised TypeError" in crash[0]["mistake"]


@pytest.mark.parametrize("forge, words", [
    (lambda right: [], "only 0 recordings came back for the 3 expressions drawn"),
    (lambda right: right[:2], "only 2 recordings came back for the 3 expressions drawn"),
    (lambda right: right + right[:1], "4 recordings came back for the 3 expressions drawn"),
    (lambda right: [right[0]] * 3, "expression 2: the recorded graph is not the expression that was drawn"),
    (lambda right: "passed", "did not come back as data"),
])
def test_a_recording_that_is_not_of_the_expressions_drawn_fails(forge, words):
    """Only the recordings of the very expressions drawn from the seed pass: nothing made up, cut or reused."""
    from tensorgrad import exercises
    right = exercises.micrograd_answers(engine(), "add_mul", 3, 11)
    assert exercises.judge_micrograd("add_mul", right, 3, 11).passed
    feedback = exercises.judge_micrograd("add_mul", forge(right), 3, 11)
    assert feedback.status == "failed" and words in feedback.message, feedback
    other_seed = exercises.micrograd_answers(engine(), "add_mul", 3, 12)
    assert "expression 1: the recorded graph is not" in exercises.judge_micrograd("add_mul", other_seed, 3, 11).message


def test_a_graph_of_the_right_shape_but_other_operations_fails():
    """+ where * was drawn (right closures for the op it names): its forward values betray it."""
    from tensorgrad import exercises
    Scalar = engine()
    Scalar.__mul__ = Scalar.__add__
    feedback = exercises.micrograd_add_mul.feedback(Scalar, cases=3, seed=11)
    assert feedback.status == "failed" and "forward values are not those of the expression drawn" in feedback.message


class Hand:
    """A node made by hand: data, children in a set, an op, and a closure adding `local(child) * out.grad`."""

    def __init__(self, data, children=(), op="", local=None):
        self.data, self.grad, self._prev, self._op = data, 0.0, set(children), op
        self._backward = lambda: None
        if local:
            def _backward():
                for child in self._prev:
                    child.grad += local(child) * self.grad
            self._backward = _backward


X, Y = 0.7, -1.6
sigmoid = 1 / (1 + math.exp(-X))
OPS = [  # (op, data, {child: local derivative} for leaves x and y, or x alone)
    ("-", X - Y, {"x": 1.0, "y": -1.0}), ("/", X / Y, {"x": 1 / Y, "y": -X / Y**2}),
    ("-", Y - X, {"x": -1.0, "y": 1.0}), ("/", Y / X, {"x": -Y / X**2, "y": 1 / X}),  # the set hides the order
    ("exp", math.exp(X), {"x": math.exp(X)}), ("log", math.log(X), {"x": 1 / X}),
    ("relu", X, {"x": 1.0}), ("ReLU", X, {"x": 1.0}), ("sigmoid", sigmoid, {"x": sigmoid * (1 - sigmoid)}),
    ("**3", X**3, {"x": 3 * X**2}), ("**-1", 1 / X, {"x": -1 / X**2}),
    ("-", -X, {"x": -1.0}), ("+", X + X, {"x": 2.0}), ("*", X * X, {"x": 2 * X}),  # one child: -x, x + x, x * x
]


@pytest.mark.parametrize("op, data, local", OPS, ids=[f"{op}{len(local)}:{data:.3g}" for op, data, local in OPS])
def test_every_op_it_reads_is_rebuilt_and_its_derivative_checked(op, data, local):
    x, y = Hand(X), Hand(Y)
    leaves = {"x": x, "y": y}
    children = [leaves[name] for name in local]
    by_child = {id(leaves[name]): d for name, d in local.items()}
    right = Hand(data, children, op, lambda child: by_child[id(child)])
    assert check_backward(right).ok, check_backward(right)
    wrong = Hand(data, children, op, lambda child: by_child[id(child)] * 1.1)
    report = check_backward(wrong)
    assert report.mistake == "local" and report.node is wrong, report
    assert check_backward(Hand(data + 0.1, children, op, lambda child: 0.0)).mistake == "forward"


def test_x_minus_y_with_equal_data_is_read_the_way_the_closure_took_it():
    for first, second in [(1.0, -1.0), (-1.0, 1.0)]:
        x, y = Hand(0.5), Hand(0.5)
        local = {id(x): first, id(y): second}
        out = Hand(0.0, (x, y), "-", lambda child: local[id(child)])
        assert check_backward(out).ok
