"""Name the mistake in an answer without giving the answer away: the diagnosis behind every exercise check.

A student's answer is compared with the expected array; when they differ, `diagnose` looks for the
classic slips in order (not attempted, a transpose, a broadcast not undone, a sum over the wrong axes,
a flipped sign, a factor of N) and says which one, in words and shapes only: no message ever holds a
number of the expected array, so printing feedback never prints the solution.
"""
import itertools

import numpy as np

from .ops import broadcast_axes

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"


class Feedback:
    """The outcome of one check: `status` (passed / failed / not attempted) and a one-line `message`."""
    __slots__ = ("status", "message")

    def __init__(self, status, message):
        self.status, self.message = status, message

    @property
    def passed(self):
        return self.status == PASSED

    def __str__(self):
        mark = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "…"}[self.status]
        return f"{mark} {self.message}"

    def __repr__(self):
        return f"Feedback({self.status!r}, {self.message!r})"


class Mistake(Exception):
    """Raised inside a check to report what is wrong; caught by `check` and turned into Feedback."""


class NotAttempted(Exception):
    """The answer is still the placeholder (`...`) or the stub raised NotImplementedError."""


def is_placeholder(answer):
    return answer is Ellipsis or answer is None


def as_answer_array(answer, what):
    """The answer as a float array, or a Mistake saying what type was expected."""
    if is_placeholder(answer):
        raise NotAttempted
    try:
        array = np.asarray(answer.data if hasattr(answer, "backward") else answer, dtype=float)
    except (TypeError, ValueError):
        raise Mistake(f"{what} should be numbers (a numpy array or a float), got {type(answer).__name__}") from None
    return array


def diagnose(answer, expected, what, *, unreduced=None, mistakes=(), batch=None):
    """Raise Mistake naming what is wrong with `answer` (an array) against `expected`; return if right.

    `unreduced` is the array before the reduction the exercise asks for (summing it over the right axes
    gives `expected`): with it, a sum over the wrong axes and an unreduced answer are recognised.
    `mistakes` are (array, message) pairs: answers known to come from one particular slip.
    `batch` is the batch size where axis 0 runs over the samples (of `unreduced`, or of `expected`
    itself): a factor or an axis of that size is then named as the batch's, and an answer right for
    one sample only is recognised.
    """
    answer = as_answer_array(answer, what)
    expected = np.asarray(expected, dtype=float)
    if answer.shape == expected.shape and _close(answer, expected):
        return
    for wrong, message in mistakes:
        wrong = np.asarray(wrong, dtype=float)
        if wrong.shape == answer.shape and _close(answer, wrong):
            raise Mistake(f"{what}: {message}")
    if answer.shape != expected.shape:
        raise Mistake(f"{what}: {_shape_mistake(answer, expected, unreduced, batch)}")
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and _close(answer, expected.T):
        raise Mistake(f"{what}: transposed: rows and columns are swapped")
    if _close(answer, -expected):
        raise Mistake(f"{what}: sign flipped: check which way each term pulls")
    if unreduced is not None and (axes := _reduced_over(answer, np.asarray(unreduced, float), expected)):
        raise Mistake(f"{what}: {axes}")
    if batch and batch > 1 and (one := _one_sample(answer, expected, unreduced, batch)):
        raise Mistake(f"{what}: {one}")
    factor = _factor(answer, expected)
    if factor:
        whose = " (the batch size)" if factor == batch else ""
        raise Mistake(f"{what}: off by a factor of {factor}{whose}: a mean where a sum belongs, or the other way round?")
    raise Mistake(f"{what}: right shape {expected.shape}, wrong values")


def _close(a, b):
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-8))


def _shape_mistake(answer, expected, unreduced, batch):
    if answer.ndim == 2 and answer.shape == expected.shape[::-1] and _close(answer.T, expected):
        return f"transposed: expected shape {expected.shape}, got {answer.shape}"
    if unreduced is not None:
        unreduced = np.asarray(unreduced, dtype=float)
        if answer.shape == unreduced.shape:
            return _not_undone(answer, expected, batch)
        if wrong := _reduced_over(answer, unreduced, expected):
            return f"{wrong}; expected shape {expected.shape}"
    try:
        if np.broadcast_shapes(expected.shape, answer.shape) == answer.shape and answer.size > expected.size:
            return _not_undone(answer, expected, batch)
    except ValueError:
        pass
    return f"wrong shape: expected shape {expected.shape}, got {answer.shape}"


def _not_undone(answer, expected, batch):
    """The broadcast-not-undone message, naming the axes to sum (axis 0 as the batch's, where it is)."""
    axes = broadcast_axes(expected.shape, answer.shape)
    if axes == (0,):
        where = "axis 0" + (" (the batch axis)" if answer.shape[0] == batch else "")
    else:
        where = f"axes {axes}" if axes else "the axes that broadcasting added"
    return f"broadcast not undone: expected shape {expected.shape}, got {answer.shape}; sum over {where}"


def _one_sample(answer, expected, unreduced, batch):
    """Words for an answer that is right for one sample of the batch only, or ''.

    Either one sample's share of a summed gradient (as it is, or as that sample's own loss gives it,
    `batch` times larger), or a per-sample gradient right in one row only.
    """
    if unreduced is not None:
        unreduced = np.asarray(unreduced, dtype=float)
        if unreduced.ndim and unreduced.shape[0] == batch and unreduced.shape[1:] == answer.shape:
            for k, share in enumerate(unreduced):
                if _close(answer, share) or _close(answer, batch * share):
                    return (f"that is the gradient of one sample (sample {k}) only: every sample of the batch "
                            "adds its share")
    if expected.ndim and expected.shape[0] == batch:
        right = [k for k in range(batch) if _close(answer[k], expected[k])]
        if len(right) == 1:
            return (f"right for sample {right[0]} only (row {right[0]}): the other {batch - 1} rows are wrong; "
                    "is something done for one sample where it should be done for every row?")
    return ""


def _reduced_over(answer, unreduced, expected):
    """Which wrong reduction of `unreduced` gives `answer`, in words, or '' if none does."""
    for k in range(1, unreduced.ndim + 1):
        for axes in itertools.combinations(range(unreduced.ndim), k):
            for keepdims in (False, True):
                total = unreduced.sum(axis=axes, keepdims=keepdims)
                if total.shape == expected.shape and _close(total, expected):
                    continue  # the right reduction: a mean here is a factor of N, reported as such
                for how, candidate in (("summed", total), ("averaged", unreduced.mean(axis=axes, keepdims=keepdims))):
                    if candidate.shape == answer.shape and _close(answer, candidate):
                        return f"{how} over the wrong axes {axes}"
    return ""


def _factor(answer, expected):
    """N if answer == expected * N or expected / N for a whole N > 1, else 0."""
    nonzero = np.abs(expected) > 1e-12
    if not nonzero.any() or np.any(np.abs(answer[~nonzero]) > 1e-12):
        return 0
    ratios = answer[nonzero] / expected[nonzero]
    if not np.allclose(ratios, ratios.flat[0], rtol=1e-6) or ratios.flat[0] <= 0:
        return 0
    ratio = ratios.flat[0]
    for n in (ratio, 1 / ratio):
        if n > 1.5 and abs(n - round(n)) < 1e-6 * n:
            return int(round(n))
    return 0


def check(run, success):
    """Run a check body; `run()` raises Mistake / NotAttempted or returns. Feedback either way."""
    try:
        run()
    except NotAttempted:
        return Feedback(NOT_ATTEMPTED, "not attempted yet: replace the `raise NotImplementedError` with your answer")
    except Mistake as mistake:
        return Feedback(FAILED, str(mistake))
    return Feedback(PASSED, success)


def call_student(fn, *args, doing="your function"):
    """Call student code; its NotImplementedError means not attempted, other errors are a Mistake.

    `doing` names the call in that Mistake ("forward", say); the inputs' shapes are given with it.
    """
    if is_placeholder(fn):
        raise NotAttempted
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotAttempted from None
    except Exception as error:  # any crash in student code is feedback, never a traceback from the check
        shapes = f" on inputs of shapes {', '.join(str(np.shape(a)) for a in args)}" if args else ""
        raise Mistake(f"{doing} raised {type(error).__name__}{shapes}: {error}") from None
