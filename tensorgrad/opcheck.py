"""Check an `Op` a student wrote against tensorgrad's own op, over random shapes, and show where it breaks.

`check_op(op, reference)` runs the op forward and backward on a list of cases (shapes, axes, keepdims,
broadcasting) chosen by the op's name, from the smallest up. On each case it compares the forward
with `reference` (a function of Values, e.g. `lambda a: a.sigmoid()`), the gradients with the
reference's, and runs `gradcheck` (finite differences). The first failing case is reported as a
snippet to paste, with its shapes and the mistake named; `.stepper()` opens a BackwardStepper on it.
"""
import numpy as np

from .engine import Value, apply
from .feedback import PASSED, Feedback, Mistake, call_student, check, diagnose
from .gradcheck import gradcheck

# op name -> cases: operand shapes as letters (sizes drawn per letter, "1" stays 1) and attributes
CASES = {
    "sigmoid": [(("",), {}), (("n",), {}), (("mn",), {}), (("bmn",), {})],
    "mean": [(("n",), {"axis": None, "keepdims": False}), (("mn",), {"axis": (1,), "keepdims": False}),
             (("mn",), {"axis": (0,), "keepdims": True}), (("mn",), {"axis": None, "keepdims": True}),
             (("bmn",), {"axis": (0, 2), "keepdims": False}), (("bmn",), {"axis": (1,), "keepdims": True})],
    "mul": [(("n", "n"), {}), (("mn", "n"), {}), (("m1", "1n"), {}), (("", "mn"), {}), (("b1n", "mn"), {})],
    "matmul": [(("mk", "kn"), {}), (("bmk", "kn"), {}), (("mk", "bkn"), {}), (("bmk", "bkn"), {}),
               (("b1mk", "bkn"), {})],
    "softmax": [(("n",), {"axis": 0}), (("mn",), {"axis": 1}), (("mn",), {"axis": 0}), (("bmn",), {"axis": 1})],
}
DEFAULT_SIZES = {"b": 2, "m": 2, "k": 3, "n": 4}  # all different, so a transpose never fits by chance


class OpReport:
    """What check_op found: its Feedback, and the first failing expression (None if every case passed)."""

    def __init__(self, feedback, failing=None):
        self.feedback, self.failing = feedback, failing

    def stepper(self):
        """A BackwardStepper over the failing expression, sum(w * op(...)), to watch its backward pass."""
        if self.failing is None and self.feedback.passed:
            raise ValueError("every case passed: there is no failing expression to step through")
        if self.failing is None:  # not attempted, or its forward raises: no graph was recorded
            raise ValueError(f"there is no backward pass to step through: {self.feedback.message.splitlines()[0]}")
        from .widgets import BackwardStepper
        return BackwardStepper(self.failing)

    def __repr__(self):
        return str(self.feedback)


def check_op(op, reference, *, cases=None, seed=0, finite_differences=True):
    """Check `op` against `reference` on the cases for its name (or `cases`, as in CASES); an OpReport.

    seed=0 (the notebook's) keeps the sizes of DEFAULT_SIZES; any other seed (the grader's hidden tests)
    draws fresh sizes for every case. The grader, which replays answers the kernel gave on the drawn
    arrays, skips the finite differences: they would call the op on arrays it never asked about, and
    once the gradients equal the reference's they add nothing.
    """
    if cases is None:
        if op.name not in CASES:
            raise ValueError(f"check_op: no cases for an op named {op.name!r}; name it one of {sorted(CASES)} "
                             "or pass cases=[(shapes, attrs), ...]")
        cases = CASES[op.name]
    failing = []

    def run():
        for number, (arrays, attrs) in enumerate(draws(cases, seed), 1):
            try:
                _one_case(op, reference, arrays, attrs, finite_differences)
            except Mistake as mistake:
                failing.append(_expression(op, arrays, attrs))
                hint = ("report.stepper() steps through backward on this expression" if failing[-1] is not None else
                        "its forward pass raises, so there is no backward pass to step through yet")
                raise Mistake(f"{op.name}: case {number} of {len(cases)} fails: {mistake}\n"
                              f"{_snippet(op, arrays, attrs)}\n  ({hint})") from None

    also = " and with finite differences" if finite_differences else ""
    feedback = check(run, f"{op.name}: forward and backward agree with tensorgrad's {op.name}{also} on {len(cases)} cases")
    return OpReport(feedback, failing[0] if failing else None)


def draws(cases, seed):
    """[(arrays, attrs)] for each case: the operands drawn from `seed` (sizes fixed by DEFAULT_SIZES for seed 0)."""
    rng = np.random.default_rng(seed)
    drawn = []
    for letters, attrs in cases:
        sizes = DEFAULT_SIZES if seed == 0 else {k: int(rng.integers(1, 6)) for k in DEFAULT_SIZES}
        drawn.append(([rng.normal(size=tuple(1 if c == "1" else sizes[c] for c in s)) for s in letters], attrs))
    return drawn


def round_seeds(rounds, seed):
    """The seeds of the grader's `rounds` draws of sizes."""
    return [seed + k + 1 for k in range(rounds)]


def check_op_rounds(op, reference, rounds, seed, finite_differences=True):
    """The grader's hidden test: check_op over `rounds` fresh draws of sizes; the first failure, else a pass."""
    for round_seed in round_seeds(rounds, seed):
        feedback = check_op(op, reference, seed=round_seed, finite_differences=finite_differences).feedback
        if not feedback.passed:
            return feedback
    return Feedback(PASSED, f"{feedback.message}, each with {rounds} fresh draws of sizes")


def upstream(shape):
    """The gradient a case sends into the op's output: fixed random weights of the output's shape."""
    return np.random.default_rng(1).standard_normal(shape)


def _one_case(op, reference, arrays, attrs, finite_differences=True):
    mine = call_student(lambda: apply(op, tuple(Value(a) for a in arrays), attrs), doing="forward")
    expected = reference(*[Value(a) for a in arrays], **attrs)
    diagnose(mine.data, expected.data, "forward")
    weights = upstream(expected.shape)
    values = [Value(a) for a in arrays]
    call_student(lambda: apply(op, tuple(values), attrs).backward(weights), doing="backward")
    reference_values = [Value(a) for a in arrays]
    reference(*reference_values, **attrs).backward(weights)
    for k, (v, r) in enumerate(zip(values, reference_values)):
        diagnose(v.grad, r.grad, f"the gradient of operand {k}")
    if not finite_differences:
        return
    try:
        gradcheck(lambda *vs: apply(op, vs, attrs), *arrays)
    except AssertionError as error:
        raise Mistake(str(error)) from None


def _expression(op, arrays, attrs):
    """sum(w * op(a, b)): the failing case as one scalar to step through; None if its forward fails."""
    try:
        out = apply(op, tuple(Value(a, label=name) for a, name in zip(arrays, "ab")), attrs)
    except Exception:
        return None
    weights = Value(upstream(out.shape), requires_grad=False, label="w")
    return (out * weights).sum()


def _snippet(op, arrays, attrs):
    names = "ab"[:len(arrays)]
    lines = ["    rng = np.random.default_rng(0)"]
    lines += [f"    {n} = Value(rng.normal(size={a.shape}))" for n, a in zip(names, arrays)]
    operands = f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"
    lines.append(f"    out = apply(op, {operands}{f', {attrs}' if attrs else ''})   # op: your Op")
    return "\n".join(lines)

