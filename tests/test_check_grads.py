"""check_grads on an MLP's graph (matmul, broadcast +, tanh, log_softmax, indexing, mean): each mistake at its tensor."""
import subprocess
import sys

import numpy as np
import pytest

from tensorgrad import Value, check_grads, losses
from tensorgrad.feedback import FAILED, NOT_ATTEMPTED

N, D, H, C = 5, 4, 3, 6  # all different: a shape names the axis it came from


def _net(seed=0):
    rng = np.random.default_rng(seed)
    X = Value(rng.normal(size=(N, D)), label="X", requires_grad=False)
    W1, b1 = Value(rng.normal(size=(D, H)), label="W1"), Value(rng.normal(size=H), label="b1")
    W2, b2 = Value(rng.normal(size=(H, C)), label="W2"), Value(rng.normal(size=C), label="b2")
    pre = X @ W1 + b1
    h = pre.tanh()
    logits = h @ W2 + b2
    loss = losses.cross_entropy(logits, rng.integers(0, C, size=N))
    for name, v in (("pre", pre), ("h", h), ("logits", logits), ("loss", loss)):
        v.label = name
    net = dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2, pre=pre, h=h, logits=logits, loss=loss)
    loss.backward()
    right = {name: net[name].grad.copy() for name in ("logits", "W2", "b2", "h", "pre", "W1", "b1")}
    for v in net.values():
        v.grad = None
    return net, right


def test_right_answers_pass_and_leave_the_graphs_gradients_alone():
    net, right = _net()
    net["W1"].grad = np.ones((D, H))
    report = check_grads(net["loss"], {net[k]: a for k, a in right.items()})
    assert report.ok and report.node is None
    assert str(report) == "✓ the gradients of all 7 tensors agree with tensorgrad's backward"
    assert np.array_equal(net["W1"].grad, np.ones((D, H))) and net["W2"]._grad is None
    assert "✓" in report._repr_html_()


def _one_sample_W2(net, right):
    dlogits = right["logits"]
    return np.outer(net["h"].data[2], dlogits[2]) * N  # sample 2's own loss, alone


MISTAKES = {  # tensor: (wrong answer from (net, right), the words that name it)
    "W2 transposed": ("W2", lambda net, r: r["W2"].T, "'W2' (3, 6): transposed: expected shape (3, 6), got (6, 3)"),
    "b2 not summed": ("b2", lambda net, r: r["logits"],
                      "'b2' (6,): broadcast not undone: expected shape (6,), got (5, 6); sum over axis 0 (the batch axis)"),
    "b2 summed over the wrong axis": ("b2", lambda net, r: r["logits"].sum(axis=1), "summed over the wrong axes (1,)"),
    "b1 averaged": ("b1", lambda net, r: r["pre"].mean(axis=0), "'b1' (3,): off by a factor of 5 (the batch size)"),
    "W1 off by 2": ("W1", lambda net, r: 2 * r["W1"], "'W1' (4, 3): off by a factor of 2:"),
    "dlogits sign": ("logits", lambda net, r: -r["logits"], "'logits' (5, 6): sign flipped"),
    "W2 one sample": ("W2", _one_sample_W2, "'W2' (3, 6): that is the gradient of one sample (sample 2) only"),
    "W2 per sample": ("W2", lambda net, r: net["h"].data[:, :, None] * r["logits"][:, None, :],
                      "broadcast not undone: expected shape (3, 6), got (5, 3, 6); sum over axis 0 (the batch axis)"),
    "dlogits one row": ("logits", lambda net, r: np.where(np.arange(N)[:, None] == 3, r["logits"], 0.0),
                        "'logits' (5, 6): right for sample 3 only (row 3): the other 4 rows are wrong"),
    "pre wrong shape": ("pre", lambda net, r: r["pre"][:, :1], "wrong shape: expected shape (5, 3), got (5, 1)"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_is_named_at_its_tensor(mistake):
    net, right = _net()
    name, wrong, words = MISTAKES[mistake]
    answers = {net[k]: a for k, a in right.items()}
    answers[net[name]] = wrong(net, right)
    report = check_grads(net["loss"], answers)
    assert not report.ok and report.status == FAILED and report.node is net[name]
    assert words in report.message, report.message
    assert str(report).startswith("✗ ") and "Look at step" in report.message


def test_it_points_at_the_consumers_step_and_upstream_gradient():
    net, right = _net()
    report = check_grads(net["loss"], {net["b2"]: right["logits"]})
    steps = list(net["loss"].backward_steps())
    consumer = steps[report.step - 1]
    assert consumer.node is net["logits"] and any(c.parent is net["b2"] for c in consumer.contributions)
    assert f"step {report.step} of backward, its consumer 'logits' = `+`, and the upstream gradient g (5, 6)" \
        in report.message


def test_the_first_wrong_answer_in_backward_order_is_reported():
    net, right = _net()
    answers = {net["W1"]: 2 * right["W1"], net["pre"]: right["pre"], net["W2"]: right["W2"].T,
               net["b2"]: right["logits"], net["logits"]: right["logits"]}
    report = check_grads(net["loss"], answers)
    assert report.node is net["b2"] and report.message.endswith("(2 later answers wrong or missing too)")
    del answers[net["b2"]]
    assert check_grads(net["loss"], answers).node is net["W2"]
    answers[net["W2"]] = right["W2"]
    assert check_grads(net["loss"], answers).node is net["W1"]


def test_an_unanswered_placeholder_is_not_attempted():
    net, right = _net()
    report = check_grads(net["loss"], {net["W2"]: ..., net["b2"]: right["b2"]})
    assert report.status == NOT_ATTEMPTED and not report.ok and report.node is net["W2"]
    assert str(report) == "… 'W2' (3, 6): not attempted yet"


@pytest.mark.parametrize("key, error, words", [
    ("W2", TypeError, "answers are keyed by the Values of the graph, got a key of type str"),
    ("elsewhere", ValueError, "'W3' (2,) is not in the graph of the loss"),
    ("X", ValueError, "'X' (5, 4) needs no gradient (it is data, requires_grad=False)"),
])
def test_answers_for_tensors_not_in_the_graph_are_rejected(key, error, words):
    net, _ = _net()
    target = {"W2": "W2", "elsewhere": Value(np.zeros(2), label="W3"), "X": net["X"]}[key]
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_grads(net["loss"], {target: np.zeros(2)})
    with pytest.raises(ValueError, match="at least one entry"):
        check_grads(net["loss"], {})


def test_stepper_opens_at_the_consumers_step():
    pytest.importorskip("ipywidgets")
    net, right = _net()
    report = check_grads(net["loss"], {net["W2"]: right["W2"].T})
    stepper = report.stepper()
    assert stepper.step == report.step and stepper.current.node is not None
    assert any(c.parent is net["W2"] for c in stepper.current.contributions)


def test_importing_it_imports_no_widget_library():
    code = ("import sys, tensorgrad; tensorgrad.check_grads; "
            "print(sorted(m for m in ('IPython', 'ipywidgets', 'matplotlib', 'torch') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_micrograds_relu_mlp_with_its_svm_loss_and_l2_penalty():
    import random
    from tensorgrad import nn
    random.seed(1337)
    model = nn.MLP(3, [4, 1])
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(7, 3)), rng.choice([-1.0, 1.0], size=7)
    loss = losses.svm(model(X), y) + 1e-4 * losses.l2_penalty(model.parameters())
    loss.backward()
    right = {p: p.grad.copy() for p in model.parameters()}
    assert check_grads(loss, right).ok
    w0, b0 = model.parameters()[:2]
    report = check_grads(loss, {**right, b0: right[b0] / 7})
    assert report.node is b0 and "off by a factor of 7 (the batch size)" in report.message
    report = check_grads(loss, {**right, w0: right[w0].T})
    assert report.node is w0 and "transposed: expected shape (3, 4), got (4, 3)" in report.message
