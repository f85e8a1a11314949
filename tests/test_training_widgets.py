"""Live training plots and the playground: frames drawn, PNGs, Stop, Reset, driven without a browser."""
import io
import math
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tensorgrad import datasets, losses  # noqa: E402
from tensorgrad.nn import Linear, Sequential, Tanh  # noqa: E402
from tensorgrad.optim import SGD  # noqa: E402
from tensorgrad.train import accuracy, fit  # noqa: E402
from tensorgrad.widgets.playground import PlaygroundModel, parse_hidden  # noqa: E402
from tensorgrad.widgets.training import TrainingPlot, auto_every  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_net(seed=0, hidden=6):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(2, hidden, rng=rng), Tanh(), Linear(hidden, 1, rng=rng))


@pytest.fixture(scope="module")
def moons():
    return datasets.moons(60, noise=0.1, seed=3)  # labels -1/+1


def frame_steps(plot):
    """Record the step of every frame the plot draws from now on."""
    drawn = []
    plot.listeners.append(lambda p: drawn.append(p.history["step"][-1]))
    return drawn


def decode(png):
    """The PNG's pixels (rows, columns, channels), read back by matplotlib: the bytes are a real image."""
    import matplotlib.image
    assert png[:8] == PNG_MAGIC
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def test_encode_png_is_lossless():
    from tensorgrad.widgets.drawing import encode_png
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    rgb[2:5] = 200  # flat rows too
    decoded = decode(encode_png(rgb))
    assert decoded.shape == (7, 5, 3) and np.array_equal(np.round(decoded * 255).astype(np.uint8), rgb)


# ---- when frames are drawn ---------------------------------------------------------------------

def test_auto_every_aims_at_about_25_frames():
    assert [auto_every(n) for n in (1, 10, 25, 26, 100, 1000)] == [1, 1, 1, 2, 4, 40]


@pytest.mark.parametrize("steps, every", [(30, 7), (20, 5), (9, 1), (12, 50)])
def test_fit_draws_every_nth_step_and_always_the_last(moons, steps, every):
    X, y = moons
    plot = TrainingPlot(every=every, min_interval=0, resolution=20)
    drawn = frame_steps(plot)
    history = fit(small_net(), X, y, steps=steps, callbacks=[plot])
    expected = sorted({*range(every, steps + 1, every), steps})
    assert drawn == expected
    assert plot.frames == math.ceil(steps / every) == len(expected)
    assert plot.history["step"] == history.steps and plot.history["loss"] == history.loss
    assert plot.history["accuracy"] == history.accuracy


def test_every_is_chosen_from_the_run_length(moons):
    X, y = moons
    plot = TrainingPlot(min_interval=0, resolution=10, figsize=(4, 1.5), dpi=30)  # small: 25 frames to draw
    fit(small_net(), X, y, steps=100, callbacks=[plot])
    assert plot.frames == 25


def test_min_interval_throttles_to_the_final_frame(moons):
    X, y = moons
    plot = TrainingPlot(every=1, min_interval=1e9, resolution=20)
    drawn = frame_steps(plot)
    fit(small_net(), X, y, steps=15, callbacks=[plot])
    assert drawn == [15]


def test_a_second_fit_continues_the_curves(moons):
    X, y = moons
    plot = TrainingPlot(every=4, min_interval=0, resolution=20)
    drawn = frame_steps(plot)
    net = small_net()
    fit(net, X, y, steps=10, callbacks=[plot])
    fit(net, X, y, steps=10, callbacks=[plot])
    assert plot.history["step"] == list(range(1, 21))
    assert drawn == [4, 8, 10, 14, 18, 20]


# ---- what is drawn --------------------------------------------------------------------------------

def test_hand_written_loop_png_is_valid_and_changes(moons):
    X, y = moons
    net = small_net(seed=1)
    optimizer = SGD(net.parameters(), lr=0.5)
    plot = TrainingPlot(net, X, y, steps=40, every=10, min_interval=0, resolution=30, dpi=50)
    pngs = []
    plot.listeners.append(lambda p: pngs.append(p.png))
    for k in range(1, 41):
        scores = net(X)
        loss = losses.svm(scores, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert plot.update(k, loss, accuracy(scores, y)) is False
    assert plot.frames == 4 and len(pngs) == 4
    image = decode(plot.png)
    width, height = plot.figure.get_size_inches() * 50
    assert image.shape[:2] == (round(height), round(width))
    assert pngs[0] != pngs[-1]
    assert plot.history["loss"][-1] < plot.history["loss"][0]


def test_boundary_follows_the_model_score_sign(moons):
    """The drawn boundary separates where the model scores > 0 from < 0: checked on a model we know."""
    X, y = moons
    plot = TrainingPlot(lambda v: v[:, :1] - 0.5, X, y, min_interval=0, resolution=21)  # boundary x = 0.5
    plot.update(1, 1.0, 0.5)
    plot.draw()
    segments = plot.boundary.lines.get_segments()
    assert segments and plot.boundary.lines in plot.ax_boundary.collections
    xs = np.concatenate([segment[:, 0] for segment in segments])
    ys = np.concatenate([segment[:, 1] for segment in segments])
    np.testing.assert_allclose(xs, 0.5, atol=1e-9)
    assert ys.min() < X[:, 1].min() and ys.max() > X[:, 1].max()  # the line crosses the whole picture


def test_multiclass_and_missing_model_still_draw():
    X, y = datasets.blobs(60, centers=3, seed=0)
    net = Sequential(Linear(2, 3, seed=0))
    plot = TrainingPlot(every=5, min_interval=0, resolution=20)
    fit(net, X, y, loss="cross_entropy", steps=10, callbacks=[plot])
    assert plot.frames == 2 and decode(plot.png).ndim == 3
    bare = TrainingPlot()  # curves only: no model, no data
    bare.update(1, 0.7)
    assert bare.finish()[:8] == PNG_MAGIC and bare.frames == 1


def test_data_that_is_not_2d_is_said_to_draw_only_the_curves():
    X, y = datasets.digits()
    net = Sequential(Linear(64, 10, seed=0))
    plot = TrainingPlot(every=5, min_interval=0, resolution=20)
    fit(net, X[:50], y[:50], loss="cross_entropy", steps=5, callbacks=[plot])
    message = plot.boundary.message.get_text()
    assert "(50, 64)" in message and "only the curves are drawn" in message and "2 features" in message
    assert not plot.boundary.image.get_visible() and plot.captions[1].get_text().startswith("loss ")
    bare = TrainingPlot()
    bare.finish()
    assert "no model and data given: only the curves" in bare.boundary.message.get_text()


# ---- stopping and finishing ------------------------------------------------------------------------

def test_stop_ends_fit_after_the_current_step_and_draws_it(moons):
    X, y = moons
    plot = TrainingPlot(every=50, min_interval=0, resolution=20)
    drawn = frame_steps(plot)

    def press_stop_at_7(state):
        if state.step == 7:
            plot.stop()
    history = fit(small_net(), X, y, steps=100, callbacks=[press_stop_at_7, plot])
    assert history.steps == list(range(1, 8))
    assert drawn == [7]
    assert plot.stop_requested is False  # consumed: the next run is not stopped by it
    fit(small_net(), X, y, steps=3, callbacks=[plot])
    assert plot.history["step"][-1] == 10


def test_finish_draws_a_step_training_ended_on(moons):
    X, y = moons
    plot = TrainingPlot(small_net(), X, y, every=5, min_interval=0, resolution=20)
    drawn = frame_steps(plot)
    for k in range(1, 8):  # an interrupted hand-written loop: the plot never learns the total
        plot.update(k, 1.0 / k, 0.5)
    assert drawn == [5]
    plot.finish()
    plot.finish()  # nothing new to draw
    assert drawn == [5, 7]


# ---- the ipywidgets view --------------------------------------------------------------------------

@pytest.fixture
def live_plot_class():
    pytest.importorskip("ipywidgets")
    from tensorgrad.widgets.training import LivePlot
    return LivePlot


def test_live_plot_updates_its_image_and_stop_button_stops(moons, live_plot_class):
    X, y = moons
    plot = live_plot_class(every=3, min_interval=0, resolution=20)
    assert plot.image.png == b""  # nothing drawn yet
    seen = []

    def watch_and_press_stop(state):
        seen.append(plot.image.png)
        if state.step == 8:
            plot.stop_button.click()
    fit(small_net(), X, y, steps=50, callbacks=[plot, watch_and_press_stop])
    assert plot.history["step"] == list(range(1, 10))  # Stop pressed during step 8 ends the run after step 9
    assert plot.frames == 3 and plot.image.png == plot.png
    assert seen[2] != seen[5] and seen[2][:8] == PNG_MAGIC
    bundle = plot._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_show_final_displays_a_static_png(moons, live_plot_class, monkeypatch):
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    X, y = moons
    plot = live_plot_class(small_net(), X, y, every=100, min_interval=0, resolution=20)
    for k in range(1, 4):
        plot.update(k, 1.0, 0.5)
    assert plot.frames == 0
    plot.show_final()
    (image,) = shown
    assert isinstance(image, IPython.display.Image) and image.data == plot.png and plot.frames == 1


def test_in_a_kernel_the_plot_displays_itself_and_training_goes_to_a_thread(live_plot_class, monkeypatch):
    import IPython
    import IPython.display
    from tensorgrad.widgets.training import in_kernel, start
    assert not in_kernel()
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(kernel=object()))
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    plot = live_plot_class()
    assert in_kernel() and shown == [plot.widget]
    assert live_plot_class(show=False) and len(shown) == 1
    ran = []
    job = start(lambda: ran.append(threading.current_thread()))
    job.wait(5)
    assert ran == [job.thread] and not job.running
    job = start(iter([1, 2]), background=False)
    assert job.thread is None and job.task is None and not job.running


def test_without_threads_training_runs_in_slices_on_the_event_loop(moons, monkeypatch):
    """Pyodide has no threads: a run becomes an asyncio task, and a Stop pressed between slices is heard."""
    import asyncio
    from tensorgrad.train import fit_iter
    from tensorgrad.widgets import training
    monkeypatch.setattr(training, "threads_available", lambda: False)
    X, y = moons
    plot = TrainingPlot(every=10**6, min_interval=0, resolution=10)
    events = []

    async def kernel():
        job = training.start(fit_iter(small_net(), X, y, steps=10**6, callbacks=[plot]), background=True,
                             slice_seconds=0.01)
        assert job.task is not None and job.running and plot.history["step"] == []  # nothing ran yet
        while len(plot.history["step"]) < 5:
            await asyncio.sleep(0.005)  # the kernel's turn: as when a message arrives between slices
        events.append(len(plot.history["step"]))
        plot.stop()  # the Stop button
        await job.task
        return job
    job = asyncio.run(kernel())
    assert not job.running and len(plot.history["step"]) == events[0] + 1  # the step in progress, then none
    assert plot.history["step"][-1] < 10**6 and plot.frames == 1  # stopped, and the step it stopped on drawn


def test_overhead_of_the_live_plot_is_measured(moons, capsys):
    """Default settings (auto N, at most one frame per 0.5 s): print the cost; timing is not asserted."""
    X, y = moons
    fit(small_net(), X, y, steps=5)  # warm up
    began = time.perf_counter()
    fit(small_net(), X, y, steps=200)
    bare = time.perf_counter() - began
    plot = TrainingPlot()
    began = time.perf_counter()
    fit(small_net(), X, y, steps=200, callbacks=[plot])
    plotted = time.perf_counter() - began
    with capsys.disabled():
        print(f"\n200 steps: {bare:.3f} s bare, {plotted:.3f} s with the live plot "
              f"({plot.frames} frames, {plot.seconds_drawing / plot.frames * 1000:.0f} ms per frame)")
    assert 1 <= plot.frames <= 26


# ---- optional libraries -----------------------------------------------------------------------------

def hide(monkeypatch, package):
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)


def test_without_matplotlib_the_error_names_the_demo_extra(monkeypatch):
    hide(monkeypatch, "matplotlib")
    with pytest.raises(ImportError, match=r"pip install -e '\.\[demo\]'"):
        TrainingPlot()
    with pytest.raises(ImportError, match=r"\.\[demo\]"):
        PlaygroundModel()


def test_without_ipywidgets_the_error_names_the_widgets_extra(monkeypatch):
    from tensorgrad.widgets.playground import Playground
    from tensorgrad.widgets.training import LivePlot
    hide(monkeypatch, "ipywidgets")
    for make in (LivePlot, Playground):
        with pytest.raises(ImportError, match=r"pip install -e '\.\[widgets\]'"):
            make()


def test_importing_the_widget_modules_imports_no_optional_library():
    code = ("import sys, tensorgrad.widgets.training, tensorgrad.widgets.playground, tensorgrad.widgets.studio\n"
            "print([m for m in ('matplotlib', 'ipywidgets', 'IPython', 'sklearn', 'anywidget') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---- the playground model ---------------------------------------------------------------------------

def small_playground(**settings):
    options = dict(samples=80, steps=20, hidden="4", every=5, min_interval=0, resolution=16)
    return PlaygroundModel(**(options | settings))


def test_parse_hidden():
    assert parse_hidden("16, 16") == (16, 16)
    assert parse_hidden("") == ()
    assert parse_hidden([3]) == (3,)
    for bad in ("16,x", "0", "-3", "1.5", [0]):
        with pytest.raises(ValueError, match="hidden"):
            parse_hidden(bad)


@pytest.mark.parametrize("dataset", ["moons", "circles", "spirals", "blobs"])
def test_playground_datasets_are_standardised_binary(dataset):
    model = small_playground(dataset=dataset, steps=3)
    assert model.X.shape == (80, 2) and set(np.unique(model.y)) == {0.0, 1.0}
    np.testing.assert_allclose(model.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(model.X.std(axis=0), 1)
    model.train()
    assert model.step == 3


def test_playground_trains_draws_and_resets_to_its_initial_state():
    model = small_playground()
    assert model.plot.frames == 1  # the untrained net is drawn at once
    first_png, first_neurons = model.plot.png, model.neurons_png
    first_weights = [p.data.copy() for p in model.net.parameters()]
    history = model.train()
    assert model.step == 20 and model.plot.frames == 1 + 4
    # the curves rescale after the empty first frame (a fixed 0..1 axis would hide them)
    assert model.plot.ax_loss.get_xlim()[1] >= 20 and model.plot.ax_loss.get_ylim()[1] >= max(history.loss)
    assert history.loss[-1] < history.loss[0]
    assert model.plot.png != first_png and model.neurons_png != first_neurons
    model.train(steps=5)
    assert model.step == 25
    model.reset()
    assert model.step == 0 and model.plot.history["step"] == []
    assert all(np.array_equal(p.data, w) for p, w in zip(model.net.parameters(), first_weights))
    assert model.plot.png == first_png and model.neurons_png == first_neurons


def test_neuron_maps_are_the_first_layer_activations_over_the_grid():
    model = small_playground(hidden="3,2", activation="tanh")
    first = model.net.layers[0]
    maps = model.neuron_maps()
    assert maps.shape == (3, 16, 16)
    lo, hi = model.X.min(axis=0), model.X.max(axis=0)
    # the grid's corner (lower left) and the point at row 5, column 9, computed by hand with numpy
    margin = 0.1 * (hi - lo) + 0.1
    xs = np.linspace(lo[0] - margin[0], hi[0] + margin[0], 16)
    ys = np.linspace(lo[1] - margin[1], hi[1] + margin[1], 16)
    for row, col in ((0, 0), (5, 9)):
        expected = np.tanh(np.array([xs[col], ys[row]]) @ first.w.data + first.b.data)
        np.testing.assert_allclose(maps[:, row, col], expected)
    assert small_playground(hidden="").neuron_maps().shape == (0, 16, 16)


def test_playground_configure_rebuilds_only_when_needed():
    model = small_playground()
    net = model.net
    model.configure(lr=0.05, steps=7)
    assert model.net is net and model.optimizer.lr == 0.05 and model.steps == 7
    model.configure(hidden="5,3", activation="relu")
    assert model.net is not net and [p.shape for p in model.net.parameters()] == [(2, 5), (5,), (5, 3), (3,), (3, 1),
                                                                                  (1,)]
    for bad in (dict(dataset="swirls"), dict(noise=-1), dict(lr=0), dict(steps=0), dict(hidden="a")):
        with pytest.raises(ValueError):
            model.configure(**bad)
    with pytest.raises(TypeError, match="unknown playground setting"):
        model.configure(colour="red")
    assert model.hidden == (5, 3) and model.steps == 7  # a rejected change leaves everything as it was


# ---- the playground view ------------------------------------------------------------------------------

@pytest.fixture
def playground():
    pytest.importorskip("ipywidgets")
    from tensorgrad.widgets.playground import Playground
    return Playground(small_playground(), background=False)


def test_playground_buttons_train_stop_and_reset(playground):
    start_png = playground.image.png
    assert start_png[:8] == PNG_MAGIC and playground.neurons.png[:8] == PNG_MAGIC
    playground.buttons["Train"].click()
    assert playground.model.step == 20 and playground.image.png != start_png
    assert "step 20" in playground.status.value and not playground.buttons["Train"].disabled

    stop_at = []

    def press_stop(plot):
        if not stop_at:
            stop_at.append(playground.model.step)
            playground.buttons["Stop"].click()
    playground.model.plot.listeners.append(press_stop)
    playground.controls["steps"].value = 100
    playground.buttons["Train"].click()
    assert playground.model.step == stop_at[0] + 1 < 120  # stopped one step after the first frame
    playground.model.plot.listeners.remove(press_stop)

    playground.buttons["Reset"].click()
    assert playground.model.step == 0 and playground.image.png == start_png
    assert "untrained" in playground.status.value


def test_playground_controls_configure_the_model(playground):
    playground.controls["hidden"].value = "3,3"
    assert playground.model.hidden == (3, 3) and playground.model.neuron_maps().shape[0] == 3
    playground.controls["dataset"].value = "circles"
    playground.controls["activation"].value = "sigmoid"
    playground.controls["noise"].value = 0.05
    playground.controls["lr"].value = 0.01
    model = playground.model
    assert (model.dataset, model.activation, model.noise, model.optimizer.lr) == ("circles", "sigmoid", 0.05, 0.01)
    playground.controls["hidden"].value = "3,x"
    assert "hidden sizes" in playground.status.value and model.hidden == (3, 3)
    with pytest.raises(TypeError, match="not both"):
        type(playground)(model, steps=5)


def test_playground_trains_in_a_thread_and_stop_interrupts_it():
    pytest.importorskip("ipywidgets")
    from tensorgrad.widgets.playground import Playground
    view = Playground(small_playground(steps=3000), background=True)
    view.buttons["Train"].click()
    deadline = time.monotonic() + 20
    while view.model.step < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert view.running
    view.buttons["Train"].click()  # ignored while training
    view.buttons["Stop"].click()
    view.wait(timeout=20)
    assert not view.running and 3 <= view.model.step < 3000
    assert view.image.png == view.model.plot.png  # the step it stopped on is drawn
    view.buttons["Train"].click()
    view.buttons["Reset"].click()  # halts the new run first
    assert not view.running and view.model.step == 0
