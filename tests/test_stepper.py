"""The backward stepper: its model against backward(), and its widget view driven through buttons."""
import numpy as np
import pytest

from example_graphs import GRAPHS, batched_mlp
from tensorgrad import Value
from tensorgrad.viz import draw_dot, trace
from torch_ref import readme_example
from tensorgrad.widgets.stepper import Stepper, explain, filled_formula


def readme_graph():
    a = Value([[-4.0, -8.0], [-2.0, -4.0]], label="a")
    b = Value([[2.0, 6.0], [4.0, 8.0]], label="b")
    return a, b, readme_example(a, b)


def mlp_graph():
    rng = np.random.default_rng(0)
    x = Value(rng.standard_normal((5, 3)), requires_grad=False)
    w1, b1 = Value(rng.standard_normal((3, 4)), label="w1"), Value(np.zeros(4), label="b1")
    w2, b2 = Value(rng.standard_normal((4, 1)), label="w2"), Value(np.zeros(1), label="b2")
    loss = ((x @ w1 + b1).relu() @ w2 + b2).tanh().mean()
    return [w1, b1, w2, b2], loss


def readme_leaves_and_root():
    a, b, g = readme_graph()
    return [a, b], g


@pytest.mark.parametrize("split", [readme_leaves_and_root, mlp_graph], ids=["readme", "mlp"])
def test_finish_equals_backward_and_every_step_matches(split):
    leaves, root = split()
    root.backward()
    expected = [leaf.grad.copy() for leaf in leaves]

    leaves, root = split()
    seen = []
    for _ in root.backward_steps():  # the state after each real step, to compare with replays
        seen.append([leaf.grad.copy() for leaf in leaves])
    leaves, root = split()
    stepper = Stepper(root)
    assert stepper.num_steps == len(seen)
    stepper.finish()
    for leaf, want in zip(leaves, expected):
        np.testing.assert_array_equal(stepper.grad_of(leaf), want)
    for k in [3, 1, len(seen), 0, 2, len(seen) - 1]:  # back and forth, replayed exactly
        stepper.goto(k)
        assert stepper.step == k
        for leaf, want in zip(leaves, seen[k - 1] if k else [None] * len(leaves)):
            got = stepper.grad_of(leaf)
            assert (got is None) == (want is None or not want.any()), f"step {k}: {got} against {want}"
            if got is not None:
                np.testing.assert_array_equal(got, want)
    assert all(leaf._grad is None for leaf in leaves)  # the stepper kept every gradient to itself


def test_stepping_after_an_earlier_backward_starts_from_nothing_and_leaves_it_be():
    a, b, g = readme_graph()
    g.backward()
    before = [a.grad.copy(), b.grad.copy()]
    stepper = Stepper(g)
    assert stepper.step == 0 and stepper.current is None and stepper.grad_of(a) is None
    stepper.finish()
    a2, b2, g2 = readme_graph()
    g2.backward()
    np.testing.assert_array_equal(stepper.grad_of(a), a2.grad)  # a fresh pass, not added to the earlier one
    np.testing.assert_array_equal(a.grad, before[0])
    np.testing.assert_array_equal(b.grad, before[1])


def test_navigation_is_clipped_and_current_follows():
    _, _, g = readme_graph()
    stepper = Stepper(g)
    stepper.prev()
    assert stepper.step == 0
    stepper.next()
    assert stepper.current.node is g and stepper.computed >= {g}
    stepper.goto(10_000)
    assert stepper.step == stepper.num_steps
    stepper.reset()
    assert stepper.step == 0 and stepper.computed == set()


def test_fan_out_contributions_are_listed_with_their_running_sum():
    x = Value([1.0, 2.0], label="x")
    y = (x * 3 + x.exp()).sum()
    stepper = Stepper(y)
    stepper.finish()
    flows = stepper.contributions_to(x)
    assert sorted(op for _, op, _ in flows) == ["*", "exp"]
    np.testing.assert_allclose(sum(g for _, _, g in flows), stepper.grad_of(x))
    np.testing.assert_allclose(stepper.grad_of(x), 3 + np.exp([1.0, 2.0]))
    assert "running sum" in explain(stepper)  # the last step adds x's second contribution


def test_panel_explains_broadcasting_and_fills_in_numbers():
    v = Value([1.0, 2.0, 3.0], label="v")
    w = Value([[1.0], [2.0]], label="w")
    y = (v * w).sum()
    stepper = Stepper(y)
    stepper.finish()
    text = explain(stepper)
    assert "summed over axes (0,)" in text and "(2, 3) -&gt; (3,)" in text
    assert "summed over axes (1,)" in text
    assert filled_formula(stepper.current, 0) == "[[1., 1., 1.], [1., 1., 1.]] * [[1.], [2.]]"
    assert "Step 0 of 2" in explain(Stepper((v * w).sum()))


def test_view_buttons_slider_and_play_drive_the_model():
    pytest.importorskip("anywidget")
    from tensorgrad.widgets.stepper import BackwardStepper
    a, b, g = readme_graph()
    view = BackwardStepper(g)
    assert view.step == 0 and view.graph.dot.startswith("digraph") and "Step 0 of" in view.panel.value
    for _ in range(3):
        view.buttons["next"].click()
    assert view.step == 3 and view.slider.value == 3 and view.play.value == 3
    assert f"Step 3 of {view.num_steps}" in view.panel.value
    view.buttons["last"].click()
    assert view.step == view.num_steps
    a2, b2, g2 = readme_graph()
    g2.backward()
    np.testing.assert_array_equal(view.model.grad_of(a), a2.grad)
    view.buttons["first"].click()
    assert view.step == 0 and view.model.grad_of(a) is None and a._grad is None
    view.slider.value = 5
    assert view.step == 5 and view.current is view.model.current
    view.play.value = 7
    assert view.step == 7 and view.slider.value == 7
    view.buttons["prev"].click()
    assert view.step == 6


def test_buttons_and_keys_heard_on_two_threads_lose_no_step():
    """ipykernel 7 runs a comm's messages on the subshell its frontend last used: in JupyterLab and Notebook 7
    the buttons are heard on the main shell and the arrow keys on a subshell, both at once (BackwardStepper._move)."""
    pytest.importorskip("anywidget")
    import sys
    import threading
    from tensorgrad.widgets.stepper import BackwardStepper
    view = BackwardStepper(readme_graph()[2])
    per_thread = view.num_steps // 2
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so that a race shows in (nearly) every run
    try:
        for _ in range(10):
            view.reset()
            threads = [threading.Thread(target=lambda: [view.next() for _ in range(per_thread)]) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert view.step == 2 * per_thread and view.slider.value == view.step
            assert f"Step {view.step} of" in view.panel.value
    finally:
        sys.setswitchinterval(interval)


def test_view_highlights_the_current_node():
    pytest.importorskip("anywidget")
    from tensorgrad.widgets.stepper import BackwardStepper
    x = Value([1.0, -2.0], label="x")
    y = (x * x).relu().sum()
    y.label = "y"
    view = BackwardStepper(y)
    sent = []
    view.graph.send = sent.append  # what the browser would receive
    view.next()
    assert sent[-1]["current"] == f"n{view.graph.nodes.index(y)}"  # the highlight moved onto the output node
    assert view.current.node is y


def widgets():
    pytest.importorskip("anywidget")
    from tensorgrad.widgets import BackwardStepper, GraphView
    return BackwardStepper, GraphView


def full_state(v):
    """Everything a Value holds, compared by content (arrays) and identity (the zero-gradient marker, parents)."""
    grad = v._grad
    return (v.data.tobytes(), v.data.shape, v.data.dtype, v.label, v.requires_grad, v._fn, v._attrs,
            tuple(map(id, v._prev)), None if grad is None else (id(grad) if not grad.shape else 0, grad.tobytes()))


def graph_states(root):
    return [full_state(v) for v in trace(root)[0]]


def look_at_everything(root):
    """Every view of a graph: draw_dot, a GraphView (as the studio's live graph: set_root again), a stepper
    stepped forward, back and clicked, and the panel for every node."""
    BackwardStepper, GraphView = widgets()
    draw_dot(root).source
    graph = GraphView(root)
    graph.set_root(root)
    view = BackwardStepper(root)
    for action in (view.next, view.next, view.finish, view.prev, view.reset, view.finish):
        action()
        for node in view.graph.nodes:
            view.graph.selected = node  # a click: the panel lists the node's gradient so far
    repr(root), root._repr_html_()


@pytest.mark.parametrize("make", list(GRAPHS.values()), ids=list(GRAPHS))
@pytest.mark.parametrize("before", ["fresh", "after backward", "after p.grad = 0", "after p.grad = None"])
def test_looking_changes_no_value(make, before):
    root = make()
    nodes = trace(root)[0]
    if before != "fresh":
        root.backward()
    leaves = [v for v in nodes if v.requires_grad and not v._prev]
    if before == "after p.grad = 0":
        for p in leaves:
            p.grad = 0
    elif before == "after p.grad = None":
        for p in leaves:
            p.grad = None
    states = graph_states(root)
    look_at_everything(root)
    assert graph_states(root) == states
    for v in nodes:  # reading grad gives zeros where there is none, and stores nothing
        assert v.grad.shape == v.shape and graph_states(root) == states


def test_the_view_shows_the_steppers_gradients():
    root = batched_mlp()
    view = widgets()[0](root)
    view.finish()
    reference = batched_mlp()
    reference.backward()
    for mine, theirs in zip(trace(root)[0], trace(reference)[0]):
        if mine.requires_grad:
            np.testing.assert_array_equal(view.model.grad_of(mine), theirs.grad)
            assert mine._grad is None
