"""check_op: tensorgrad's own ops pass, a wrong vjp is caught on its smallest failing case, with a stepper on it."""
import numpy as np
import pytest

from tensorgrad import ops
from tensorgrad.opcheck import CASES, check_op, check_op_rounds
from tensorgrad.ops import Op

REFERENCES = {
    "sigmoid": (ops.sigmoid, lambda a: a.sigmoid()),
    "mean": (ops.mean, lambda a, axis, keepdims: a.mean(axis=axis, keepdims=keepdims)),
    "mul": (ops.mul, lambda a, b: a * b),
    "matmul": (ops.matmul, lambda a, b: a @ b),
    "softmax": (ops.softmax, lambda a, axis: a.softmax(axis=axis)),
}


def _renamed(op, name, vjps=None):
    return Op(name, op.forward, op.vjps if vjps is None else vjps, op.formulas)


@pytest.mark.parametrize("name", CASES)
def test_tensorgrads_own_ops_pass(name):
    op, reference = REFERENCES[name]
    report = check_op(_renamed(op, name), reference)
    assert report.feedback.passed and report.failing is None, report
    assert check_op_rounds(_renamed(op, name), reference, rounds=3, seed=11).passed


def test_a_wrong_vjp_is_reported_on_its_first_case_as_a_snippet():
    mean_without_n = _renamed(ops.mean, "mean", (lambda g, out, a, axis, keepdims: ops.sum_.vjps[0](g, out, a, axis,
                                                                                                    keepdims),))
    report = check_op(mean_without_n, REFERENCES["mean"][1])
    text = repr(report)
    assert text.startswith("✗ mean: case 1 of 6 fails: the gradient of operand 0: off by a factor of 4")
    assert "a = Value(rng.normal(size=(4,)))" in text and "{'axis': None, 'keepdims': False}" in text
    assert report.failing.shape == () and report.failing._prev  # sum(w * op(a)), ready to step through


def test_the_stepper_opens_on_the_failing_expression():
    pytest.importorskip("ipywidgets")
    from tensorgrad.widgets.stepper import BackwardStepper
    report = check_op(_renamed(ops.tanh, "tanh", (lambda g, out, a: g * (1 - out),)), lambda a: a.tanh(),
                      cases=CASES["sigmoid"])
    assert not report.feedback.passed
    assert isinstance(report.stepper(), BackwardStepper)


def test_a_wrong_forward_and_a_crash_are_named():
    flipped = Op("sigmoid", lambda a: -ops.sigmoid.forward(a), ops.sigmoid.vjps, "")
    assert "forward: sign flipped" in check_op(flipped, REFERENCES["sigmoid"][1]).feedback.message
    transposed_grad = _renamed(ops.matmul, "matmul", (lambda g, out, a, b: (g @ np.swapaxes(b, -1, -2)),
                                                      lambda g, out, a, b: 1 / 0))
    message = check_op(transposed_grad, REFERENCES["matmul"][1]).feedback.message
    assert "backward raised ZeroDivisionError" in message and "size=(2, 3)" in message and "size=(3, 4)" in message


def test_after_a_forward_crash_the_stepper_says_why_there_is_nothing_to_step():
    report = check_op(Op("sigmoid", lambda a: 1 / 0, ops.sigmoid.vjps, ""), REFERENCES["sigmoid"][1])
    assert "forward raised ZeroDivisionError" in report.feedback.message
    assert "no backward pass to step through" in report.feedback.message
    assert "report.stepper() steps" not in report.feedback.message
    with pytest.raises(ValueError, match="no backward pass to step through: sigmoid: case 1 of 4 fails: forward raised"):
        report.stepper()


def test_not_attempted_and_unknown_names():
    def stub(*args, **kwargs):
        raise NotImplementedError("exercise: write me")
    assert check_op(Op("softmax", stub, (stub,), ""), REFERENCES["softmax"][1]).feedback.status == "not attempted"
    with pytest.raises(ValueError, match="no cases for an op named 'cube'"):
        check_op(Op("cube", np.cbrt, (stub,), ""), lambda a: a)
    with pytest.raises(ValueError, match="every case passed"):
        check_op(_renamed(ops.mul, "mul"), REFERENCES["mul"][1]).stepper()
