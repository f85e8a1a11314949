"""Another engine's graph in trace, draw_dot, GraphView and the stepper: read as it is, stepped by its own closures."""
import numpy as np
import pytest
from micrograd.engine import Value as MicroValue

from lecture_engine import engine, neuron
from tensorgrad.foreign import Node
from tensorgrad.viz import draw_dot, trace
from tensorgrad.widgets.student_stepper import StudentStepper, explain
from torch_ref import readme_example


def log_closures(root):
    """Wrap every node's closure so that running it logs the node; the log (a list) is returned."""
    nodes, seen, ran = [root], {id(root)}, []
    for node in nodes:
        nodes += [c for c in node._prev if id(c) not in seen and not seen.add(id(c))]
        node._backward = lambda node=node, closure=node._backward: (ran.append(node), closure())[1]
    return ran


@pytest.mark.parametrize("build", [lambda: neuron(engine())[0],
                                   lambda: readme_example(MicroValue(-4.0), MicroValue(2.0))],
                         ids=["lecture-style", "micrograd"])
def test_stepping_runs_the_engines_own_closures_in_its_backward_order(build):
    root = build()
    ran = log_closures(root)
    root.backward()  # the engine's own backward: its order and its gradients
    order = [node for node in ran if node._prev]
    grads = {id(n.obj): n.obj.grad for n in trace(root)[0]}
    ran.clear()
    model = StudentStepper(root)
    assert model.num_steps == len(order) and model.grad_of(model.root) is None
    model.finish()
    assert [s.node.obj for s in model.steps] == order == ran  # each closure run once, in backward's order
    for node in model.nodes:
        assert node.obj.grad == pytest.approx(grads[id(node.obj)], rel=1e-12)
        assert float(model.grad_of(node)) == node.obj.grad
    assert float(model.grad_of(model.root)) == 1.0


def test_each_step_shows_the_gradients_before_and_after_and_going_back_restores_them():
    L, nodes = neuron(engine())
    model = StudentStepper(L)
    model.goto(2)  # L = s * x1, then s = o + b
    step = model.current
    assert step.node.obj is nodes["s"] and step.grad == pytest.approx(nodes["x1"].data)
    assert {n.obj.label: (before, after) for n, before, after in step.changes} == {
        "o": (0.0, pytest.approx(1.5)), "b": (0.0, pytest.approx(1.5))}
    after_two = {label: v.grad for label, v in nodes.items()}
    model.finish()
    assert nodes["b"].grad != after_two["b"]  # b is used again further down: its gradient grew
    flows = model.contributions_to(next(n for n in model.nodes if n.obj is nodes["b"]))
    assert [(k, op) for k, op, _ in flows] == [(2, "+"), (4, "+")]
    model.goto(2)
    assert {label: v.grad for label, v in nodes.items()} == after_two  # the student's objects, as after step 2
    x2 = next(n for n in model.nodes if n.obj is nodes["x2"])
    assert model.grad_of(x2) is None and x2 not in model.computed  # not reached yet
    model.reset()
    assert all(v.grad == 0 for v in nodes.values()) and model.current is None


def test_the_panel_says_what_the_students_closure_did():
    L, nodes = neuron(engine("overwrite"))
    model = StudentStepper(L)
    assert "Step 0 of 7" in explain(model)
    model.goto(4)  # n = (x1w1 + x2w2) + b overwrites b's gradient
    html = explain(model)
    assert "Step 4 of 7: addition producing n, a number" in html
    assert "your <code>_backward</code> of <code>+</code> producing &#x27;n&#x27;" in html
    assert "<td>&#x27;b&#x27;</td><td style=\"text-align:right; padding:0 8px\">1.5</td>" in html  # before: 1.5
    model.goto(1)
    nodes["L"]._backward = lambda: setattr(nodes["x2"], "grad", 7.0)  # a closure that touches a stranger
    fresh = StudentStepper(L)
    fresh.goto(1)
    assert "(not its child!)" in explain(fresh)


def test_draw_dot_and_trace_read_the_students_graph():
    L, nodes = neuron(engine())
    found, edges = trace(L)
    assert all(isinstance(n, Node) for n in found) and found[-1].obj is L
    assert set(nodes.values()) < {n.obj for n in found} and len(found) == len(nodes) + 1  # + the unlabelled x1w1 + x2w2
    assert len(edges) == sum(len(n.obj._prev) for n in found)
    source = draw_dot(L).source
    for label in nodes:
        assert f"{{ {label} | scalar float64 |" in source
    assert 'label=tanh' in source and 'label="*"' in source
    L.backward()
    assert "grad 1.0000" in draw_dot(L).source
    note = draw_dot(L, max_nodes=5).source
    assert "too big to draw readably" in note and "max_nodes=12" in note


def test_the_widget_steps_the_students_engine_and_keeps_todays_note_for_big_graphs():
    pytest.importorskip("anywidget")
    from tensorgrad.widgets import BackwardStepper
    from tensorgrad.widgets.graphview import GraphView
    L, nodes = neuron(engine("tanh-1-t"))
    view = BackwardStepper(L)
    assert all(isinstance(n, Node) for n in view.graph.nodes) and view.graph.nodes == view.model.nodes
    sent = []
    view.graph.send = sent.append
    for _ in range(3):
        view.buttons["next"].click()
    assert view.current.node.obj is nodes["o"]
    assert sent[-1]["current"] == f"n{view.graph.nodes.index(view.current.node)}"  # highlighted in the browser
    assert "your <code>_backward</code> of <code>tanh</code>" in view.panel.value
    view.graph.selected = view.current.node._prev[0]  # a click on n lists what reached it
    assert "1 contribution so far" in view.panel.value
    view.buttons["first"].click()
    assert all(v.grad == 0 for v in nodes.values())
    with pytest.raises(ValueError, match="seeds its output with 1"):
        BackwardStepper(L, grad=2.0)
    big = BackwardStepper(L, max_nodes=5)
    assert "too big to draw readably" in big.graph.dot and big.graph.nodes == []
    big.finish()
    assert big.step == 7
    drawn = GraphView(L)
    assert [n.obj for n in drawn.nodes] == [n.obj for n in view.model.nodes] and "tanh" in drawn.dot
    with pytest.raises(TypeError, match="GraphView takes a tensorgrad Value or a micrograd-style value"):
        GraphView(3.0)
    with pytest.raises(TypeError, match="has no _backward"):
        BackwardStepper(type("Half", (), {"data": 1.0, "grad": 0, "_prev": (), "_op": ""})())
