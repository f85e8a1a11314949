"""The training studio's model: pausing opens the very backward pass training ran; edits and resets."""
import copy

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tensorgrad import Value, datasets, losses  # noqa: E402
from tensorgrad.nn import Sequential  # noqa: E402
from tensorgrad.optim import SGD, Adam  # noqa: E402
from tensorgrad.widgets.stepper import Stepper  # noqa: E402
from tensorgrad.widgets.studio import StudioModel, table_html  # noqa: E402
from tensorgrad.widgets.drawing import zero_line_segments  # noqa: E402
from test_training_widgets import small_net  # noqa: E402

PLOT = dict(min_interval=0, every=1000, resolution=12, figsize=(4, 1.5), dpi=30)  # cheap frames


def net():
    return small_net(hidden=5)  # Linear(2, 5), Tanh, Linear(5, 1)


@pytest.fixture(scope="module")
def moons():
    return datasets.moons(40, noise=0.1, seed=3)  # labels -1/+1


def studio(data, optimizer="sgd", **options):
    model = net()
    opt = Adam(model.parameters(), lr=0.05) if optimizer == "adam" else SGD(model.parameters(), lr=0.3)
    return StudioModel(model, *data, loss="svm", optimizer=opt, **(PLOT | options))


def weights(s):
    return [p.data.copy() for _, p in s.named_parameters]


def test_a_paused_step_opens_exactly_the_backward_pass_training_ran(moons):
    s = studio(moons, l2=1e-3)
    for _ in range(5):
        s.step()
    record = s.last
    stepper = Stepper(s.paused_loss())
    stepper.finish()
    # a fresh graph on the same batch with the same weights (those before the update), run by backward()
    fresh = copy.deepcopy(s.net)  # copied while the paused weights are in place
    fresh.zero_grad()
    assert all(np.array_equal(p.data, w) for p, w in zip(fresh.parameters(), record.before))
    total = losses.svm(fresh(Value(record.X, requires_grad=False)), record.y)
    total = total + 1e-3 * losses.l2_penalty(fresh.parameters())
    fresh_steps = list(total.backward_steps())
    assert total.data == record.loss.data
    assert [step.op for step in stepper.steps] == [step.op for step in fresh_steps]
    for ours, theirs in zip(stepper.steps, fresh_steps):
        assert np.array_equal(ours.grad, theirs.grad)
        assert [c.grad.tolist() for c in ours.contributions] == [c.grad.tolist() for c in theirs.contributions]
    for (_, p), q, grad in zip(s.named_parameters, fresh.parameters(), record.grads):
        assert np.array_equal(p.grad, q.grad) and np.array_equal(p.grad, grad)  # the grads the update used
    stepper.goto(0)
    assert stepper.num_steps == len(fresh_steps) and s.step_count == 5


def test_the_weights_shown_paused_are_those_before_the_update_and_come_back(moons):
    s = studio(moons)
    s.step()
    after = weights(s)
    s.paused_loss()
    assert all(np.array_equal(w, b) for w, b in zip(weights(s), s.last.before))
    assert not np.array_equal(after[0], s.last.before[0])  # the update moved the first layer's weights
    s.sample_loss(0)  # tracing a sample uses the current weights
    assert all(np.array_equal(w, a) for w, a in zip(weights(s), after))


@pytest.mark.parametrize("optimizer, batch_size", [("sgd", None), ("adam", 16)])
def test_pausing_and_stepping_through_changes_nothing(moons, optimizer, batch_size):
    straight = studio(moons, optimizer, batch_size=batch_size)
    assert list(straight.run(10)) == list(range(1, 11))
    paused = studio(moons, optimizer, batch_size=batch_size)
    for k in paused.run(10):
        if k == 4:
            paused.pause()
    assert paused.step_count == 4 and paused.paused
    stepper = Stepper(paused.paused_loss())
    stepper.finish()
    stepper.goto(3)
    assert list(paused.run()) == list(range(5, 11))  # Resume: on to the same target
    assert not paused.paused
    assert all(np.array_equal(a, b) for a, b in zip(weights(straight), weights(paused)))
    assert paused.plot.history == straight.plot.history


def test_added_and_removed_points_are_the_next_steps_data(moons):
    s = studio(moons)
    n = len(s.X)
    s.step()
    i = s.add_point((0.25, 2.0), 1.0)
    assert i == n and len(s.X) == n + 1
    record = s.step()
    assert np.array_equal(record.X[-1], [0.25, 2.0]) and record.y[-1] == 1.0 and len(record.y) == n + 1
    by_hand = losses.svm(Sequential(*s.net.layers)(Value(record.X)), record.y)  # the same net, weights swapped back
    s.paused_loss()
    assert by_hand.data != record.loss.data  # (the updated weights give another loss)
    assert losses.svm(s.net(Value(record.X)), record.y).data == record.loss.data
    s.remove_point(0)
    record = s.step()
    assert len(record.X) == n and np.array_equal(record.X[0], moons[0][1])
    assert s.nearest((0.25, 2.0), within=1e-9) == n - 1 and s.nearest((9, 9), within=0.5) is None
    with pytest.raises(ValueError, match="classes"):
        s.add_point((0, 0), 3.0)
    with pytest.raises(IndexError, match="no point"):
        s.remove_point(n)


def test_reset_restores_data_weights_and_optimiser(moons):
    s = studio(moons, "adam", batch_size=10)
    start = weights(s)
    first = [s.step().loss.item() for _ in range(5)]
    s.add_point((0, 0), -1.0)
    s.remove_point(3)
    s.paused_loss()
    s.reset()
    assert np.array_equal(s.X, moons[0]) and np.array_equal(s.y, moons[1])
    assert all(np.array_equal(a, b) for a, b in zip(start, weights(s)))
    assert s.step_count == 0 and s.last is None and s.plot.history["step"] == []
    assert [s.step().loss.item() for _ in range(5)] == first  # Adam's moments and the batches start afresh


def test_a_sample_loss_is_that_sample_through_the_current_weights(moons):
    s = studio(moons)
    s.step()
    loss = s.sample_loss(7)
    assert loss.data == losses.svm(s.net(Value(moons[0][7:8])), moons[1][7:8]).data
    assert Stepper(loss).num_steps > 3


def test_optimizer_table_for_sgd_and_adam(moons):
    s = studio(moons)
    assert s.optimizer_table() == [] and "after the first step" in table_html([])
    s.step()
    rows = s.optimizer_table()
    assert [r["parameter"] for r in rows] == ["L0.w", "L0.b", "L2.w", "L2.b"]
    for row in rows:
        assert row["|update|"] == pytest.approx(0.3 * row["|grad|"])  # plain SGD: the update is lr * grad
    a = studio(moons, "adam")
    a.step()
    signs_checked = 0
    for row, grad in zip(a.optimizer_table(), a.last.grads):  # after one step: m = 0.1 g, v = 0.001 g^2
        assert row["|m|"] == pytest.approx(0.1 * np.linalg.norm(grad))
        assert row["|sqrt(v)|"] == pytest.approx(np.sqrt(0.001) * np.linalg.norm(grad))
        if np.abs(grad).min() > 1e-6:  # (the output bias's grad is 0 on balanced classes: eps decides there)
            assert row["|update|"] == pytest.approx(0.05 * np.sqrt(grad.size), rel=1e-4)  # lr * sign(g) each
            signs_checked += 1
    assert signs_checked >= 2
    page = table_html(a.optimizer_table())
    assert page.count("<tr>") == 5 and "sqrt(v)" in page and "2x5" in page


def test_zero_lines_are_where_each_first_unit_is_zero(moons):
    model = net()
    w, b = model.layers[0].w.data, model.layers[0].b.data
    segments = zero_line_segments(model, (-2, 3, -1, 2))
    assert len(segments) == 5
    for (a, c), bias, segment in zip(w.T, b, segments):
        for x, y in segment:
            assert a * x + c * y + bias == pytest.approx(0, abs=1e-9)
    assert zero_line_segments(lambda v: v, (0, 1, 0, 1)) == []
    s = studio(moons, zero_lines=True)
    assert len(s.plot.boundary.extra.get_segments()) == 5


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\)"):
        StudioModel(net(), np.zeros((4, 3)), np.ones(4), **PLOT)


# ---- the view, driven by its buttons and by clicks as the browser reports them ----------------------

@pytest.fixture
def view(moons):
    pytest.importorskip("anywidget")
    from tensorgrad.widgets import TrainingStudio
    model = net()
    return TrainingStudio(model, *moons, optimizer=SGD(model.parameters(), lr=0.3), steps=12, background=False,
                          **PLOT)


def status_of(view):
    return view.status.value


def test_studio_buttons_train_pause_step_resume_reset(view):
    assert "step 0 · 40 points" in status_of(view) and view.boundary.png[:4] == b"\x89PNG"
    assert view.graph_area.children == ()  # no step yet: no graph
    view.buttons["Train"].click()
    assert view.model.step_count == 12 and "step 12 · 40 points" in status_of(view) and "ready" in status_of(view)
    assert view.stepper is None and view.graph_area.children == (view.live_graph,)
    assert len(view.live_graph.nodes) > 10 and view.live_graph.nodes[-1] is view.model.last.loss  # this step's graph
    assert "L0.w" in view.table.value

    view.buttons["Step"].click()  # one step, then its backward pass
    assert view.model.step_count == 13 and view.stepper.step == 0
    assert view.graph_area.children == (view.stepper.widget,) and "backward pass of step 13," in view.graph_title.value
    assert view.stepper.model.root is view.model.last.loss
    view.stepper.buttons["next"].click()
    assert view.stepper.step == 1

    take_step = view.model.step

    def step_then_press_pause():  # as if Pause were pressed while step 16 runs
        record = take_step()
        if record.step == 16:
            view.buttons["Pause"].click()
        return record
    view.model.step = step_then_press_pause
    view.buttons["Train"].click()  # a new run of 12 steps, to step 25
    assert view.model.step_count == 16 and view.model.paused and view.stepper.step == 0
    assert "paused" in status_of(view) and "backward pass of step 16," in view.graph_title.value
    graph = view.live_graph
    view.buttons["Resume"].click()
    assert view.model.step_count == 25 and not view.model.paused and view.stepper is None
    assert view.live_graph is graph and graph.nodes[-1] is view.model.last.loss  # one view, the newest graph

    view.buttons["Reset"].click()
    assert view.model.step_count == 0 and "step 0 · 40 points" in status_of(view) and view.graph_area.children == ()


def test_studio_clicks_add_trace_and_remove_points(view):
    """Clicks arrive as fractions of the picture (as the browser sends them) and land in data coordinates."""
    ax = view.model.plot.ax_boundary
    box = ax.get_position()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()

    def click(point, n, **keys):  # the fractions of the picture where `point` is drawn
        u, v = (point[0] - x0) / (x1 - x0), (point[1] - y0) / (y1 - y0)
        view.boundary.click = {"x": box.x0 + u * box.width, "y": 1 - (box.y0 + v * box.height), "n": n,
                               "shift": False, "button": 0} | keys

    corner = (x0 + 0.05 * (x1 - x0), y1 - 0.05 * (y1 - y0))
    click(corner, 1)
    assert len(view.model.X) == 41 and np.allclose(view.model.X[-1], corner) and view.model.y[-1] == 1.0
    click((corner[0] + 0.3, corner[1]), 2, shift=True)  # the other class
    assert len(view.model.X) == 42 and view.model.y[-1] == -1.0
    click(corner, 3)  # on a point: its own loss in the stepper
    assert len(view.model.X) == 42 and "the loss of sample 40," in view.graph_title.value
    assert view.stepper.model.root.shape == () and view.stepper.num_steps > 3
    click(corner, 4, button=2)  # right-click removes it
    assert len(view.model.X) == 41 and not np.isclose(view.model.X, corner).all(axis=1).any()
    view.boundary.click = {"x": 0.9, "y": 0.5, "n": 5, "shift": False, "button": 0}  # on the loss curve: nothing
    assert len(view.model.X) == 41
    assert view.click((9.0, 9.0), right=True) == "nothing"


def test_a_studio_on_a_model_of_its_own(view, moons):
    from tensorgrad.widgets import TrainingStudio
    again = TrainingStudio(view.model, background=False)
    assert again.model is view.model and again.boundary is not view.boundary
    with pytest.raises(TypeError, match="not both"):
        TrainingStudio(view.model, *moons)


def test_studio_zero_lines_toggle(view):
    assert view.model.plot.boundary.extra.get_segments() == []
    view.zero_lines.value = True
    assert len(view.model.plot.boundary.extra.get_segments()) == 5 and view.boundary.png == view.model.plot.png


def test_studio_trains_in_the_background_and_pause_is_heard(moons):
    """In a kernel a run is a thread: Pause ends it after the step in progress and opens the stepper."""
    pytest.importorskip("anywidget")
    import time
    from tensorgrad.widgets import TrainingStudio
    view = TrainingStudio(net(), *moons, steps=10**6, background=True, **PLOT)
    view.buttons["Train"].click()
    deadline = time.monotonic() + 30
    while view.model.step_count < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert view.running
    view.buttons["Pause"].click()
    view.job.wait(30)
    assert not view.running and view.model.paused and view.stepper is not None
    assert view.stepper.model.root is view.model.last.loss
    paused_at = view.model.step_count
    view.buttons["Resume"].click()
    while view.model.step_count < paused_at + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert view.click(moons[0][5]) == "traced sample 5"  # while training: the run stops first, then the trace
    assert not view.running and view.model.paused and "the loss of sample 5," in view.graph_title.value
    before = view.model.step_count
    view.buttons["Resume"].click()
    view.buttons["Pause"].click()  # at once: never lost, even if the thread has not taken a step yet
    view.job.wait(30)
    assert not view.running and view.model.step_count < before + 10**4  # (a lost Pause: a million steps)


def test_the_studio_bench_runs(capsys):
    pytest.importorskip("anywidget")
    from bench.__main__ import main
    assert main(["--quick", "--only", "studio"]) == 0
    out = capsys.readouterr().out
    assert "| one training step" in out and "live graph: bytes of state sent per frame" in out
    assert "| frame (boundary, curves, PNG) | <= 15 ms |" in out  # reported, whatever the verdict


def test_a_redraw_while_a_step_is_open_shows_the_updated_weights(moons):
    s = studio(moons, zero_lines=True)
    s.step()
    s.plot.draw()
    drawn = s.plot.png
    s.paused_loss()
    s.redraw()
    assert s.plot.png == drawn  # not the weights from before the update
    assert all(np.array_equal(w, b) for w, b in zip(weights(s), s.last.before))  # the open step keeps its own


def test_without_anywidget_the_studio_names_the_widgets_extra(moons, monkeypatch):
    from test_training_widgets import hide
    from tensorgrad.widgets import TrainingStudio
    hide(monkeypatch, "anywidget")
    with pytest.raises(ImportError, match=r"pip install -e '\.\[widgets\]'"):
        TrainingStudio(net(), *moons, **PLOT)


def test_without_threads_the_studio_trains_on_the_event_loop_and_pause_is_heard(moons, monkeypatch):
    """Pyodide has no threads: a run is an asyncio task in slices, and Pause, pressed between slices, ends it."""
    pytest.importorskip("anywidget")
    import asyncio
    from tensorgrad.widgets import TrainingStudio, training
    monkeypatch.setattr(training, "threads_available", lambda: False)
    view = TrainingStudio(net(), *moons, steps=10**6, background=True, **PLOT)

    async def kernel():
        view.buttons["Train"].click()
        assert view.job.task is not None and view.model.step_count == 0  # nothing ran yet: it is a task
        while view.model.step_count < 3:
            await asyncio.sleep(0.005)  # the kernel's turn, as when a button message arrives
        view.buttons["Pause"].click()
        pressed_at = view.model.step_count
        await view.job.task
        return pressed_at
    pressed_at = asyncio.run(kernel())
    assert view.model.step_count == pressed_at and view.model.paused  # no step began after the press
    assert view.stepper is not None and view.stepper.model.root is view.model.last.loss


def test_the_studio_on_three_classes_with_cross_entropy():
    pytest.importorskip("anywidget")
    from tensorgrad.nn import Linear, Tanh
    from tensorgrad.widgets import TrainingStudio
    X, y = datasets.blobs(45, centers=3, seed=0)  # labels 0, 1, 2
    rng = np.random.default_rng(0)
    view = TrainingStudio(Sequential(Linear(2, 6, rng=rng), Tanh(), Linear(6, 3, rng=rng)), X, y,
                          loss="cross_entropy", steps=5, background=False, **PLOT)
    assert [value for _, value in view.label.options] == [0, 1, 2] and view.label.value == 2
    view.buttons["Train"].click()
    assert view.click((50.0, 50.0), shift=True) == "added a point of class 0"  # shift: the next class, round
    view.buttons["Step"].click()
    assert view.model.last.y[-1] == 0 and len(view.model.last.X) == 46 and view.stepper.num_steps > 5
