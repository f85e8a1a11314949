"""The backward stepper: its model against backward(), and its widget view driven through buttons."""
import numpy as np
import pytest

from tensorgrad import Value
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
        np.testing.assert_array_equal(leaf.grad, want)
    for k in [3, 1, len(seen), 0, 2, len(seen) - 1]:  # back and forth, replayed exactly
        stepper.goto(k)
        assert stepper.step == k
        for leaf, want in zip(leaves, seen[k - 1] if k else [np.zeros_like(l.data) for l in leaves]):
            np.testing.assert_array_equal(leaf.grad, want)


def test_goto_zero_shows_all_zero_even_after_an_earlier_backward():
    a, b, g = readme_graph()
    g.backward()
    stepper = Stepper(g)
    assert stepper.step == 0 and stepper.current is None
    assert not a.grad.any() and not b.grad.any() and not g.grad.any()
    stepper.finish()
    a2, b2, g2 = readme_graph()
    g2.backward()
    np.testing.assert_array_equal(a.grad, a2.grad)


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
    np.testing.assert_allclose(sum(g for _, _, g in flows), x.grad)
    np.testing.assert_allclose(x.grad, 3 + np.exp([1.0, 2.0]))
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
    np.testing.assert_array_equal(a.grad, a2.grad)
    view.buttons["first"].click()
    assert view.step == 0 and not a.grad.any()
    view.slider.value = 5
    assert view.step == 5 and view.current is view.model.current
    view.play.value = 7
    assert view.step == 7 and view.slider.value == 7
    view.buttons["prev"].click()
    assert view.step == 6


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
