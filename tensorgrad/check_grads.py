"""`check_grads(loss, answers)`: a student's gradients of whole tensors, checked at a glance against backward.

`answers` maps Values of the loss's graph (leaves and intermediates) to the student's arrays. tensorgrad's
own backward runs once (the user's gradients are left as they were); the answers are then judged in the
order backward completes them, and the first wrong one is reported with its mistake named by
`tensorgrad.feedback.diagnose` (transposed, a broadcast not undone, a factor such as the batch size,
a sign, one sample only) and the consumer whose upstream gradient to look at. Needs numpy only.
"""
import html

import numpy as np

from . import ops
from .engine import Value, topological_order
from .feedback import FAILED, NOT_ATTEMPTED, PASSED, Mistake, NotAttempted, diagnose


class GradReport:
    """What check_grads found: `ok`, the Value at fault (`node`, None when ok), a one-line `message`.

    `status` is passed / failed / not attempted (as an exercise check's), `step` the backward step
    whose upstream gradient to look at; `stepper()` opens the stepper there. Shows as its line.
    """

    def __init__(self, loss, status, message, node=None, step=0):
        self.loss, self.status, self.message, self.node, self.step = loss, status, message, node, step

    @property
    def ok(self):
        return self.status == PASSED

    def stepper(self):
        """A BackwardStepper on the loss, opened at the step that passes the faulty gradient back."""
        from .widgets.stepper import BackwardStepper
        stepper = BackwardStepper(self.loss)
        stepper.goto(self.step)
        return stepper

    def __str__(self):
        return ("✓ " if self.ok else "✗ " if self.status == FAILED else "… ") + self.message

    __repr__ = __str__

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b42318"  # with the mark and the words, never alone
        return f'<p class="tensorgrad-check-grads" style="color:{colour}">{html.escape(str(self))}</p>'


def check_grads(loss, answers, *, mistakes=None):
    """Judge `answers` ({Value: array}) against tensorgrad's gradients of `loss`: a GradReport.

    `mistakes` ({Value: [(array, message), ...]}) adds answers known to come from one particular slip.
    """
    if not isinstance(loss, Value):
        raise TypeError(f"check_grads: loss must be a Value, got {type(loss).__name__}")
    if not isinstance(answers, dict) or not answers:
        raise ValueError("check_grads: answers is a dict {Value of the graph: your gradient array}, with at least "
                         "one entry")
    steps, grads = _reference(loss)
    _check_keys(loss, answers, grads)
    consumers = {v: [(k, c) for k, s in enumerate(steps, 1) for c in s.contributions if c.parent is v]
                 for v in answers}
    order = sorted(answers, key=lambda v: _completed_at(v, steps, consumers[v]))
    batch = _batch_size(loss)
    mistakes = mistakes or {}
    found = []
    for v in order:
        try:
            diagnose(answers[v], grads[v], _name(v), unreduced=_per_sample(steps, consumers[v], batch),
                     mistakes=mistakes.get(v, ()), batch=batch)
        except NotAttempted:
            found.append((v, NOT_ATTEMPTED, f"{_name(v)}: not attempted yet"))
        except Mistake as mistake:
            found.append((v, FAILED, f"{_sentence(str(mistake))} {_look_at(steps, consumers[v])}"))
    if not found:
        n = len(answers)
        return GradReport(loss, PASSED, f"the gradients of all {n} tensor{'s' * (n != 1)} agree with "
                                        "tensorgrad's backward")
    node, status, message = found[0]
    if len(found) > 1:
        message += f" ({len(found) - 1} later answer{'s' * (len(found) > 2)} wrong or missing too)"
    return GradReport(loss, status, message, node, _completed_at(node, steps, consumers[node])[0])


def _reference(loss):
    """The backward steps and every node's gradient, computed without changing the gradients on the graph."""
    nodes = topological_order(loss)
    saved = [n._grad for n in nodes]
    for n in nodes:
        n._grad = None
    try:
        steps = list(loss.backward_steps())
        grads = {n: np.array(n.grad) for n in nodes}
    finally:
        for n, grad in zip(nodes, saved):
            n._grad = grad
    return steps, grads


def _check_keys(loss, answers, grads):
    every = set(topological_order(loss, needing_grad=False))
    for v in answers:
        if not isinstance(v, Value):
            raise TypeError(f"check_grads: answers are keyed by the Values of the graph, got a key of type "
                            f"{type(v).__name__} ({v!r:.40}): use the Value itself, e.g. {{W1: dW1}}")
        if v not in every:
            raise ValueError(f"check_grads: {_name(v)} is not in the graph of the loss: only the Values the loss "
                             "was computed from have a gradient to check")
        if v not in grads:
            raise ValueError(f"check_grads: {_name(v)} needs no gradient (it is data, requires_grad=False): "
                             "backward computes none for it")


def _completed_at(v, steps, consumers):
    """(step after which v's gradient is complete, its place in that step): backward's order of answers."""
    if not consumers:  # the loss itself
        return 0, 0
    k, _ = consumers[-1]
    return k, [c.parent for c in steps[k - 1].contributions].index(v)


def _batch_size(loss):
    """The leading size of the graph's data (inputs needing no gradient, 2-D or more), if they agree on one."""
    sizes = {n.shape[0] for n in topological_order(loss, needing_grad=False)
             if n._fn is None and not n.requires_grad and n.ndim >= 2}
    return sizes.pop() if len(sizes) == 1 else None


def _per_sample(steps, consumers, batch):
    """The one consumer's contribution before its sum over the batch, axis 0 per sample (or None).

    For `+` and the other elementwise ops that is the upstream-shaped vjp before broadcasting is undone;
    for the weights of `a @ w`, the outer product of each sample's row of a with its row of g.
    """
    if len(consumers) != 1 or not batch:
        return None
    k, contribution = consumers[0]
    step = steps[k - 1]
    node, parents = step.node, step.node._prev
    if parents.count(contribution.parent) != 1:
        return None
    i = parents.index(contribution.parent)
    g, datas = np.asarray(step.grad), [p.data for p in parents]
    if node._fn is ops.matmul and i == 1 and np.ndim(datas[0]) == 2 and g.ndim == 2 and g.shape[0] == batch:
        return datas[0][:, :, None] * g[:, None, :]
    if node._fn.arity == 2 and 0 in contribution.summed_axes and contribution.shape_before[:1] == (batch,):
        return np.broadcast_to(node._fn.vjps[i](g, node.data, *datas, **(node._attrs or {})), contribution.shape_before)
    return None


def _sentence(text):
    return text if text.endswith((".", "?", "!")) else text + "."


def _look_at(steps, consumers):
    if not consumers:
        return "It is the loss itself: backward starts from dloss/dloss = 1"
    if len(consumers) > 1:
        used = ", ".join(f"`{steps[k - 1].op}` (step {k})" for k, _ in consumers)
        return f"It is used {len(consumers)} times, and its gradient adds up what each use passes back: {used}"
    k, _ = consumers[0]
    step = steps[k - 1]
    consumer = f"'{step.node.label}' = `{step.op}`" if step.node.label else f"`{step.op}`"
    return (f"Look at step {k} of backward, its consumer {consumer}, and the upstream gradient g "
            f"{np.shape(step.grad)} it passes back: .stepper() opens that step")


def _name(v):
    what = f"'{v.label}'" if v.label else (f"the output of `{v._op}`" if v._fn is not None else "a leaf")
    return f"{what} {v.shape}"
