"""Walk through a real backward pass one node at a time.

`Stepper` is the model: it replays `root.backward_steps()` (the very steps `backward()` runs) and can go
back, restoring every gradient to what it was after step k. `BackwardStepper` is a thin widget view
around it: the graph drawn in the browser (`GraphView`) with the current node highlighted, a panel
explaining the step (and any node clicked), and first/previous/next/last buttons, a slider and a
play control that all call the model.
"""
import html
import re
import threading
import time
from functools import cached_property

import numpy as np

from .. import describe
from ..engine import Value, operand_names, topological_order
from .._deps import require
from ..viz import full_text, trace


class Stepper:
    """The state of a backward pass in progress: `step` of `num_steps` done, gradients as after `step`.

    A pure observer: the gradients live in the stepper (`grad_of`), never in the Values, so a graph
    looked at holds afterwards exactly what it held before. The steps themselves are the real
    `backward_steps()`: each is run with the stepper's gradients swapped into the graph, and the user's
    are put back before `goto` returns (so step a graph that no other thread is training), and stepping
    to the end gives what `root.backward()` gives on a fresh graph.
    """

    def __init__(self, root, grad=None):
        self.root = root
        self.nodes = topological_order(root)
        self.num_steps = sum(node._fn is not None for node in self.nodes)
        self.steps = []  # the Steps taken from backward_steps() so far, replayed when going back
        self._frontier = dict.fromkeys(self.nodes)  # every node's gradient after all the steps taken
        self._pending = root.backward_steps(grad)  # checks the seed now; runs nothing yet
        self._grads = {}  # node -> gradient after `step` steps (absent: not reached)
        self.step = 0

    def _swapped_in(self, run):
        """Run `run()` with the frontier's gradients in the graph; give the user's back, whatever happens."""
        own = [node._grad for node in self.nodes]
        for node, grad in self._frontier.items():
            node._grad = grad
        try:
            return run()
        finally:
            for node, grad in zip(self.nodes, own):
                self._frontier[node], node._grad = node._grad, grad

    @cached_property
    def names(self):
        """{node: what the words call it}, counted over the whole drawing as the graph's views count it."""
        return describe.names(trace(self.root)[0])

    @property
    def current(self):
        """The last step done (the one to explain), or None before the first."""
        return self.steps[self.step - 1] if self.step else None

    def grad_of(self, node):
        """`node`'s gradient after the current step, or None where no step has reached it yet."""
        return self._grads.get(node)

    def next(self):
        self.goto(self.step + 1)

    def prev(self):
        self.goto(self.step - 1)

    def reset(self):
        self.goto(0)

    def finish(self):
        self.goto(self.num_steps)

    def goto(self, k):
        """Make the gradients what they are after k steps of backward (k is clipped to 0..num_steps)."""
        k = max(0, min(int(k), self.num_steps))
        while len(self.steps) < k:  # new ground: let the real backward pass run one more node
            self.steps.append(self._swapped_in(lambda: next(self._pending)))
        if k < self.step:
            self._grads, self.step = {}, 0
        for step in self.steps[self.step:k]:  # re-add the contributions in order, as backward added them
            if not self._grads:
                self._grads[self.root] = step.grad  # the seed: dL/d(root)
            for parent, grad in step.contributions:
                before = self._grads.get(parent)
                self._grads[parent] = np.asarray(grad if before is None else before + grad, parent.data.dtype)
        self.step = k

    @property
    def computed(self):
        """Nodes that hold some gradient so far (the root once started, and every parent reached)."""
        return set(self._grads)

    def reached(self):
        """{node: every (step number, op, gradient) that has flowed into it so far}: fan-out made visible."""
        flows = {}
        for i, step in enumerate(self.steps[:self.step]):
            for parent, grad in step.contributions:
                flows.setdefault(parent, []).append((i + 1, step.op, np.asarray(grad)))
        return flows

    def contributions_to(self, node):
        return self.reached().get(node, [])


_FILLABLE = {"g", "out", "a", "b", "p", "log", "sign", "sum", "softmax", "T"}


def _fmt(array, limit=6):
    array = np.asarray(array)
    if array.size > limit:
        return f"<{'x'.join(map(str, array.shape))} tensor>"
    if array.ndim == 0:
        return f"{array.item():.4g}"
    return np.array2string(array, precision=4, separator=", ", suppress_small=True).replace("\n", "")


def filled_formula(step, i):
    """Operand i's rule with the step's numbers put in for g, out, a, b (for small tensors)."""
    node = step.node
    rule = node._fn.formula(i)
    values = {"g": step.grad, "out": node.data, "p": (node._attrs or {}).get("p", np.nan)}
    values.update(zip(("a", "b"), (p.data for p in node._prev)))
    words = set(re.findall(r"[A-Za-z_]+", rule))
    if not words <= _FILLABLE or any(np.size(values[w]) > 6 for w in words & values.keys()):
        return rule
    return re.sub(r"\b(g|out|a|b|p)\b", lambda m: _fmt(values[m.group(1)]), rule)


def _name(stepper, node):
    return f"{stepper.names[node]} {node.shape}"


def explain(stepper):
    """HTML for the panel: the op, its rule with numbers, upstream grad, each parent's contribution."""
    step = stepper.current
    if step is None:
        return (f"<p><b>Step 0 of {stepper.num_steps}.</b> No gradient computed yet. Press <i>next</i>: "
                "backward starts at the output with dL/d(out) = 1 and walks the graph backwards.</p>")
    # the step in words first (what the live region says), then its rule and numbers as code
    esc = html.escape
    names = operand_names(step.node)
    rows = [f"<p class=\"tg-step-words\">{esc(describe.step(stepper))}</p>",
            f"<p><code>{esc(step.op)}</code> producing {esc(_name(stepper, step.node))}; "
            f"upstream gradient g = dL/d(out): <code>{esc(_fmt(step.grad))}</code></p><ul>"]
    for i, name in enumerate(names):
        rows.append(f"<li>rule: <code>grad_{name} = {esc(filled_formula(step, i))}</code></li>")
    rows.append("</ul>")
    for c in step.contributions:
        rows.append(f"<p>adds <code>{esc(_fmt(c.grad))}</code> to {esc(_name(stepper, c.parent))}")
        if c.note:
            rows.append(f"<br><i>{esc(c.note)}: the value was copied along those axes in the forward pass, "
                        "so its gradient is the sum of the copies' gradients</i>")
        flows = stepper.contributions_to(c.parent)
        if len(flows) > 1:  # fan-out: the chain rule's += made visible
            parts = " + ".join(f"{_fmt(g)} (step {k}, {esc(op)})" for k, op, g in flows)
            rows.append(f"<br>it feeds {len(flows)} ops so far; running sum: {parts} = "
                        f"<code>{esc(_fmt(stepper.grad_of(c.parent)))}</code>")
        rows.append("</p>")
    return "".join(rows)


def node_html(stepper, node):
    """HTML for a clicked node: its full data, its gradient so far and every contribution that reached it."""
    esc = html.escape
    flows = stepper.contributions_to(node)
    grad = stepper.grad_of(node)
    grad = "not tracked" if not node.requires_grad else \
        "pending: no step has reached it yet" if grad is None else f"<pre>{esc(full_text(grad))}</pre>"
    cell = 'style="text-align:left; vertical-align:top; padding-right:12px"'
    rows = [f'<div class="tg-node-details"><p><b>Selected: {esc(_name(stepper, node))}</b> {esc(str(node.dtype))}</p><table>',
            f"<tr><th {cell}>data</th><td><pre>{esc(full_text(node.data))}</pre></td></tr>",
            f"<tr><th {cell}>gradient so far</th><td>{grad}</td></tr></table>"]
    if flows:
        rows.append(f'<p>{len(flows)} contribution{"s" if len(flows) > 1 else ""} so far:</p><ol class="tg-contributions">')
        rows += [f"<li>step {k}, <code>{esc(op)}</code>: <code>{esc(_fmt(g, limit=16))}</code></li>" for k, op, g in flows]
        rows.append("</ol>")
    elif node.requires_grad:
        rows.append("<p>no contribution so far</p>")
    return "".join(rows) + "</div>"


class BackwardStepper:
    """A widget view of a `Stepper`: display it in a notebook and press next, or call `.next()`.

    The graph is a `GraphView` laid out once in the browser; each step sends it only what changed.
    Clicking a node lists, in the panel, its data, its gradient so far and every contribution to it;
    the arrow keys step while the widget has focus. Each step is said in words (`describe.step`) in a polite
    live region, and Enter on the graph walks it node by node (see `GraphView`). `root` may also be another
    engine's micrograd-style value: then each step runs that engine's own `_backward` closure (`student_stepper`).
    """

    def __init__(self, root, grad=None, *, max_nodes=400, max_elements=8, rankdir="LR", height=0):
        widgets = require("ipywidgets")
        require("anywidget")
        from .graphview import GraphView
        if isinstance(root, Value):
            self.model, self._explain = Stepper(root, grad), explain
        else:  # another engine's micrograd-style graph, stepped by its own closures
            from .student_stepper import StudentStepper, explain as explain_student
            self.model, self._explain = StudentStepper(root, grad), explain_student
        self.graph = GraphView(self.model.root, rankdir=rankdir, max_nodes=max_nodes, max_elements=max_elements,
                               height=height, grad_of=self.model.grad_of, reached=self.model.reached)
        self._said = None  # when the live region last spoke during this play (None: not yet; see _announce)
        self._lock = threading.RLock()  # see _move
        buttons = {name: widgets.Button(description=name, layout=widgets.Layout(width="70px"))
                   for name in ("first", "prev", "next", "last")}
        for name, action in (("first", self.reset), ("prev", self.prev), ("next", self.next), ("last", self.finish)):
            buttons[name].on_click(lambda _button, action=action: action())
        self.buttons = buttons
        self.slider = widgets.IntSlider(value=0, min=0, max=self.model.num_steps, description="step",
                                        continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=self.model.num_steps, interval=700, description="play")
        self.speed = widgets.IntSlider(value=700, min=100, max=2000, step=100, description="ms/step")
        widgets.jslink((self.speed, "value"), (self.play, "interval"))
        self.slider.observe(lambda change: self.goto(change["new"]), names="value")
        self.play.observe(lambda change: self.goto(change["new"]), names="value")
        self.play.observe(self._playing, names="playing")
        self.graph.observe(lambda _change: self._refresh_panel(), names="selected")
        self.graph.on_key(lambda key: self.next() if key == "ArrowRight" else self.prev())
        self.panel = widgets.HTML()
        controls = widgets.HBox([*buttons.values(), self.play, self.slider, self.speed])
        self.widget = widgets.VBox([controls, self.graph, self.panel])
        for part, name in ((self.widget, ""), (self.graph, "-graph"), (self.panel, "-panel")):
            part.add_class("tensorgrad-stepper" + name)  # names for styling and for the browser tests
        self._refresh()

    # the programmatic face: the buttons call exactly these
    step = property(lambda self: self.model.step)
    num_steps = property(lambda self: self.model.num_steps)
    current = property(lambda self: self.model.current)

    def next(self): self._move(lambda step: step + 1)
    def prev(self): self._move(lambda step: step - 1)
    def reset(self): self.goto(0)
    def finish(self): self.goto(self.model.num_steps)

    def goto(self, k):
        self._move(lambda _step: k)

    def _move(self, target):
        """Go to step target(current step) and redraw, as one action.

        A kernel may handle the widget's messages on two threads at once: ipykernel 7 runs a comm's
        messages on the subshell of the message it was handling when it last published on that comm, so
        in JupyterLab and Notebook 7 the buttons are heard on the main shell and the graph's keys and node
        clicks on a comm subshell.
        Unlocked, two such actions read the same step (one is lost) or redraw out of order (the panel
        shows an older step than the model holds). Reentrant: the slider's observer runs inside.
        """
        with self._lock:
            k = target(self.model.step)
            if k != self.model.step:
                self.model.goto(k)
                self._refresh()

    def _refresh(self):
        model = self.model
        self.graph.show(current=model.current.node if model.current else None, done=model.computed)
        self._refresh_panel()
        self.slider.value = self.play.value = model.step  # their observers see an unchanged step: no loop
        self._announce()

    PLAY_SAYS_EVERY = 5.0  # s: while playing, the live region speaks at most this often (and when play stops)

    def _playing(self, change):
        """Play started: its first frame is said; play stopped: where it stopped is said."""
        self._said = None
        if not change["new"]:
            self._announce()

    def _announce(self):
        """Put the step in words in the live region: each step, but while playing not one per frame."""
        with self._lock:
            now = time.monotonic()
            playing = self.play.playing and self.model.step < self.model.num_steps
            if playing and self._said is not None and now - self._said < self.PLAY_SAYS_EVERY:
                return
            self._said = now if self.play.playing else None
            self.graph.status = describe.step(self.model)

    def _refresh_panel(self):
        with self._lock:  # a node clicked in the graph is heard on another thread than the buttons (see _move)
            selected = self.graph.selected
            self.panel.value = self._explain(self.model) + (node_html(self.model, selected) if selected is not None else "")

    def _repr_mimebundle_(self, **kwargs):  # displaying the stepper displays its widget
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (f"BackwardStepper: {self.num_steps} backward steps on a graph of "
                                f"{len(self.graph.nodes)} values (run the notebook to step through it)")
        return bundle
