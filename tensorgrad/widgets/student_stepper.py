"""Step through the backward pass of a graph another engine built, running its own `_backward` closures.

`StudentStepper` is a `stepper.Stepper` (`nodes`, `num_steps`, `step`, `current`, `goto`,
`next/prev/reset/finish`, `computed`, `contributions_to`, `grad_of`), so `BackwardStepper` shows it the
same way; it takes only the navigation from there and holds its own state. Step k runs the closure of
the k-th op node in the order micrograd's `backward()` runs them, the output seeded with 1. The
closures change the student's objects, so the stepper keeps every node's gradient after each step and
puts them back when going back (or forward again).
"""
import html

import numpy as np

from .. import describe as words
from ..foreign import describe, grads, graph_of, order, run_step, set_grads
from .stepper import Stepper


class StudentStepper(Stepper):
    """A backward pass in progress over a micrograd-style graph: `step` of `num_steps` closures run.

    Creating it sets every node's grad to 0, so that stepping to the end gives what the student's
    `backward()` gives on a fresh graph (when that backward is right).
    """

    def __init__(self, root, grad=None):
        if grad is not None:
            raise ValueError("BackwardStepper: a micrograd-style backward() seeds its output with 1; "
                             "grad= is for tensorgrad Values only")
        self.root = graph_of(root, "BackwardStepper")
        self.nodes, self._order = order(self.root)
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self.num_steps = len(self._order)
        self.steps = []  # StudentSteps run so far
        self._after = [[0.0] * len(self.nodes)]  # _after[k]: every node's grad after k steps
        self._reached = [frozenset()]  # _reached[k]: the nodes the pass has reached after k steps
        set_grads(self.nodes, self._after[0])
        self.step = 0

    def goto(self, k):
        """Make the student's gradients what they are after k closures (k is clipped to 0..num_steps)."""
        k = max(0, min(int(k), self.num_steps))
        while len(self.steps) < k:  # new ground: run the next closure on the gradients after the last one
            start = list(self._after[-1])
            if not self.steps:
                start[self._index[self.root]] = 1.0  # the seed, dL/dL = 1, as micrograd's backward sets it
            set_grads(self.nodes, start)
            step = run_step(self._order[len(self.steps)], self.nodes)
            self.steps.append(step)
            self._after.append(grads(self.nodes))
            self._reached.append(self._reached[-1] | {self.root, *step.node._prev, *(n for n, _, _ in step.changes)})
        set_grads(self.nodes, self._after[k])
        self.step = k

    @property
    def computed(self):
        """Nodes the pass has reached: the output once started, each stepped node's children, all it changed."""
        return set(self._reached[self.step])

    def grad_of(self, node):
        """`node`'s gradient after the current step, or None if the pass has not reached it."""
        return np.asarray(self._after[self.step][self._index[node]]) if node in self._reached[self.step] else None


def _number(x):
    return f"{x:.4g}"


def explain(stepper):
    """HTML for the panel: whose closure ran, the out.grad it saw, each gradient before and after."""
    step = stepper.current
    if step is None:
        return (f"<p><b>Step 0 of {stepper.num_steps}.</b> Every grad is 0. Press <i>next</i>: your backward "
                "sets the output's grad to 1, then runs each node's <code>_backward</code>, output first.</p>")
    esc = html.escape
    rows = [f"<p class=\"tg-step-words\">{esc(words.step(stepper))}</p>",  # what the live region says
            f"<p>your <code>_backward</code> of <code>{esc(step.op or '(no _op)')}</code> producing "
            f"{esc(describe(step.node))}; out.grad when it ran: <code>{_number(step.grad)}</code></p>"]
    if step.error:
        rows.append(f"<p><b>it raised {esc(step.error[0])}</b>: {esc(step.error[1])}</p>")
    changed = {n: (before, after) for n, before, after in step.changes}
    cell = 'style="text-align:right; padding:0 8px"'
    rows.append(f'<table class="tg-student-step"><tr><th></th><th {cell}>grad before</th><th {cell}>after</th>'
                f"<th {cell}>added</th></tr>")
    others = [n for n in changed if n not in step.node._prev]
    for node in dict.fromkeys((*step.node._prev, *others)):  # each child once, in _prev order, then the rest
        before, after = changed.get(node, (None, None))
        if before is None:
            before = after = float(stepper.grad_of(node))
        role = "" if node in step.node._prev else " (not its child!)"
        rows.append(f"<tr><td>{esc(describe(node))}{role}</td><td {cell}>{_number(before)}</td>"
                    f"<td {cell}>{_number(after)}</td><td {cell}>{_number(after - before)}</td></tr>")
    rows.append("</table>")
    if not step.changes and not step.error:
        rows.append("<p><i>it changed no gradient</i></p>")
    return "".join(rows)
