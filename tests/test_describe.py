"""What a screen reader hears: the words for steps, nodes and graphs (tensorgrad.describe)."""
import numpy as np

from example_graphs import neuron
from tensorgrad import Value, describe
from tensorgrad.widgets.stepper import BackwardStepper, Stepper
from tensorgrad.widgets.student_stepper import StudentStepper


def test_numbers_are_rounded_for_speech_and_tensors_summarised():
    assert describe.number(0.123456) == "0.1235"
    assert describe.number(-9449000.0) == "-9.449e6" and describe.number(1.5e-5) == "1.5e-5"
    assert describe.number(float("nan")) == "not a number" and describe.number(-np.inf) == "minus infinity"
    assert describe.tensor(np.full(5, 0.2)) == "0.2 in every entry"
    assert describe.tensor(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert describe.tensor(np.arange(10.0)) == "min 0, max 9, mean 4.5"
    assert describe.shape(()) == "a number" and describe.shape((5,)) == "a (5,) vector"
    assert describe.shape((2, 3)) == "a (2, 3) matrix" and describe.shape((2, 3, 4)) == "a (2, 3, 4) tensor"


def test_a_step_names_its_op_shapes_upstream_gradient_and_each_addition_with_its_broadcast():
    x = Value(np.arange(5.0), label="x")
    c = Value(np.array([1.0]), label="c")
    loss = ((x - c) * 0.2).sum()
    stepper = Stepper(loss)
    assert describe.step(stepper).startswith(f"Step 0 of {stepper.num_steps}: no gradient computed yet")
    stepper.goto(3)  # sum, *, then the subtraction
    assert describe.step(stepper) == (
        f"Step 3 of {stepper.num_steps}: subtraction producing a (5,) vector; upstream gradient 0.2 in every entry; "
        "adds 0.2 to every entry of x's gradient; and -1 to every entry of c's gradient, "
        "summed over axis 0 because it was broadcast.")
    stepper.goto(1)
    assert describe.step(stepper).startswith(f"Step 1 of {stepper.num_steps}: sum producing a number; "
                                             "upstream gradient 1;")


def test_a_node_says_what_made_it_its_numbers_and_what_reached_it():
    o = neuron()
    stepper = Stepper(o)
    n = o._prev[0]
    assert describe.node(n, stepper.grad_of(n), stepper.contributions_to(n)) == (
        "n: a number, made by addition from the output of addition and b; data 0.8814; "
        "gradient pending: no step has reached it yet.")
    stepper.goto(1)
    assert describe.node(n, stepper.grad_of(n), stepper.contributions_to(n)) == (
        "n: a number, made by addition from the output of addition and b; data 0.8814; gradient 0.5; "
        "1 contribution so far: step 1, tanh: 0.5.")
    assert describe.node(Value(3.0, requires_grad=False)).endswith("a constant: no gradient is tracked; data 3.")


def test_the_graph_in_one_paragraph_names_its_size_output_and_inputs():
    assert describe.graph(Stepper(neuron()).nodes) == (
        "A computation graph of 10 values and 5 operations. Output: o, a number. "
        "Inputs: x1 (a number), w1 (a number), x2 (a number), w2 (a number) and b (a number).")


class Scalar:  # the smallest micrograd-style value
    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, set(children), op, label
        self._backward = lambda: None

    def __mul__(self, other):
        out = Scalar(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out


def test_a_student_step_is_said_the_same_way():
    a, b = Scalar(2.0, label="a"), Scalar(3.0, label="b")
    stepper = StudentStepper(a * b)
    stepper.goto(1)
    text = describe.step(stepper)
    assert text.startswith("Step 1 of 1: multiplication producing a number; upstream gradient 1; adds ")
    assert "3 to a's gradient" in text and "2 to b's gradient" in text


def test_two_unlabelled_nodes_of_one_op_are_told_apart_alike_in_the_live_region_panel_and_tooltip():
    f = Value(np.array([1.0, 2.0]), label="f")
    g = f / 2.0 + 10.0 / f  # two unlabelled divisions, as in notebook 3's last line
    g.label = "g"
    stepper = BackwardStepper(g)
    first, second = g._prev  # f / 2.0 comes first in graph order, then 10.0 / f
    stepper.next()
    assert stepper.graph.status == (
        "Step 1 of 3: addition producing g, a (2,) vector; upstream gradient 1 in every entry; "
        "adds 1 to every entry of the output of the 1st division's gradient; "
        "and 1 to every entry of the output of the 2nd division's gradient.")
    stepper.next()
    assert stepper.graph.status.startswith("Step 2 of 3: the 2nd division producing a (2,) vector;")
    stepper.graph.selected = second
    panel = stepper.panel.value
    assert "producing the output of the 2nd division (2,)" in panel
    assert "Selected: the output of the 2nd division (2,)" in panel
    tooltips = {v: info["label"] for v, info in zip(stepper.graph.nodes, stepper.graph.info)}
    assert tooltips[first] == "the output of the 1st division" and tooltips[second] == "the output of the 2nd division"
    words = stepper.graph._state(None, stepper.graph._done_ids(None), full=True)["words"]
    said = {v: words[str(i)] for i, v in enumerate(stepper.graph.nodes)}
    assert said[g].startswith("g: a (2,) vector, made by addition from the output of the 1st division and "
                              "the output of the 2nd division;")
    assert said[second].startswith("the output of the 2nd division: a (2,) vector, made by division from "
                                   "the leaf 10 and f;")


def test_names_count_only_where_two_would_be_called_alike():
    a = Value(np.ones(2), label="a")
    c1, c2 = Value(np.ones(2), requires_grad=False), Value(np.ones(2), requires_grad=False)
    out = (a * c1) * c2 - a  # two unlabelled multiplications, two unlabelled constants, one subtraction
    called = Stepper(out).names  # counted over the whole drawing, constants too
    assert [called[v] for v in (c1, c2)] == ["the 1st constant", "the 2nd constant"]
    assert called[out] == "the output of subtraction" and called[a] == "a"
    assert sorted(called[v] for v in (out._prev[0], out._prev[0]._prev[0])) == [
        "the output of the 1st multiplication", "the output of the 2nd multiplication"]
    assert [describe.ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
