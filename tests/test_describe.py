"""What a screen reader hears: the words for steps, nodes and graphs (tensorgrad.describe)."""
import numpy as np

from example_graphs import neuron
from tensorgrad import Value, describe
from tensorgrad.widgets.stepper import Stepper
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
