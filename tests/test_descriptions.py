"""What a screen reader hears from the training widgets: the description functions, written from the data (the
predictions on the picture's grid, the training history), and the live region's messages during a run."""
import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tensorgrad import datasets  # noqa: E402
from tensorgrad.widgets.training import (TrainingPlot, describe_boundary, describe_colours,  # noqa: E402
                                         describe_curves, describe_progress, spoken)
from test_training_widgets import small_net  # noqa: E402


def halves(n=30):
    """A grid predicting class 0 on its left half and class 1 on its right half."""
    return np.where(np.arange(n)[None, :] >= n // 2, 1, 0).repeat(n, axis=0)


def test_a_boundary_down_the_middle_is_said_to_run_through_the_middle_column():
    text = describe_boundary(halves(), np.zeros((4, 2)), np.array([0, 0, 1, 1]), accuracy=0.75, step=12,
                             name="moons")
    assert text.startswith("Decision boundary of moons after step 12, 4 points: 2 of class 0, 2 of class 1, "
                           "accuracy 75.0%.")
    assert "Class 0 is predicted on 50% of the plane, in one region covering the top left, left and bottom left." \
        in text
    assert "Class 1 is predicted on 50% of the plane, in one region covering the top right, right and bottom right." \
        in text
    assert text.endswith("The boundary runs through the top, centre and bottom.")


def test_separate_regions_are_counted_and_rows_run_from_the_top():
    grid = np.zeros((30, 30), int)
    grid[:10, :10] = grid[20:, 20:] = 1  # row 0 is the bottom: class 1 at the bottom left and the top right
    text = describe_boundary(grid)
    assert "Class 1 is predicted on 22% of the plane, in 2 separate regions covering the top right and bottom left." \
        in text
    assert "Class 0 is predicted on 78% of the plane, in one region" in text
    assert "before training" in text


def test_one_class_everywhere_is_no_boundary():
    assert describe_boundary(np.ones((5, 5))).endswith("The model predicts class 1 everywhere: there is no "
                                                       "boundary yet.")


def test_curves_give_first_last_and_best_with_their_steps_rounded_for_speech():
    history = {"step": [1, 2, 3], "loss": [0.693147, 0.41234567, 0.5], "accuracy": [0.5, 0.875, 0.8]}
    assert describe_curves(history) == ("Loss: first 0.6931 at step 1, last 0.5 at step 3, best 0.4123 at step 2. "
                                        "Accuracy: first 50.0% at step 1, last 80.0% at step 3, best 87.5% at step 2.")
    assert describe_curves({"step": [], "loss": [], "accuracy": []}) == "Loss and accuracy: no training steps yet."
    assert describe_progress(history, 10) == "step 3 of 10: loss 0.5, accuracy 80.0%"
    assert spoken(1234.5678) == "1235" and spoken(0.000123456) == "0.0001235"


def test_the_legend_names_each_class_by_colour_and_shape():
    assert describe_colours((-1, 1), "RdBu").startswith("Legend: red shading and circles: class -1; blue shading and "
                                                        "triangles: class 1.")
    assert "bluish green shading and squares: class 2" in describe_colours((0, 1, 2), "tensorgrad-classes")


def test_the_plot_describes_what_it_draws_and_shapes_points_by_class():
    X, y = datasets.moons(40, noise=0.1, seed=3)  # labels -1/+1
    plot = TrainingPlot(lambda v: v[:, :1] - 0.5, X, y, min_interval=0, resolution=21, name="moons")  # x = 0.5
    plot.update(1, 0.9, 0.6)
    plot.draw()
    left, right = X[:, 0] < 0.5, X[:, 0] > 0.5
    assert plot.alt.startswith(f"Decision boundary of moons after step 1, 40 points: {(y < 0).sum()} of class -1, "
                               f"{(y > 0).sum()} of class 1, accuracy 60.0%.")
    assert "Class 1 is predicted on" in plot.alt and "Class -1 is predicted on" in plot.alt
    assert left.any() and right.any()
    assert plot.summary.startswith("Loss: first 0.9 at step 1")
    paths = plot.boundary.points.get_paths()
    assert len(paths) == len(y) and len({len(paths[i].vertices) for i in (np.argmax(y < 0), np.argmax(y > 0))}) == 2


def test_the_alt_text_changes_as_training_goes():
    from tensorgrad.optim import SGD
    from tensorgrad.train import fit
    X, y = datasets.moons(60, noise=0.1, seed=1, labels="01")
    net = small_net(seed=2)
    plot = TrainingPlot(net, X, y, min_interval=0, every=30, resolution=20)
    alts = []
    plot.listeners.append(lambda p: alts.append(p.alt))
    fit(net, X, y, loss="bce", optimizer=SGD(net.parameters(), lr=0.5), steps=60, callbacks=[plot])
    assert len(alts) == 2 and "after step 30," in alts[0] and "after step 60," in alts[1] and alts[0] != alts[1]


def messages(announcer):
    """The live region's messages from now on, in order."""
    said = []
    announcer.region.observe(lambda change: said.append(change["new"]["text"]), names="message")
    return said


def test_the_studio_announces_start_quarters_end_step_and_reset():
    pytest.importorskip("ipywidgets")
    from tensorgrad.widgets.studio import TrainingStudio
    X, y = datasets.moons(40, noise=0.1, seed=3)
    view = TrainingStudio(small_net(hidden=5), X, y, steps=8, graph=False, background=False, min_interval=0,
                          every=1, resolution=10, figsize=(4, 1.5), dpi=30)
    said = messages(view.announcer)
    view.train()
    assert said[0] == "Training from step 0 to step 8."
    assert [m.split(":")[0] for m in said[1:4]] == ["step 2 of 8", "step 4 of 8", "step 6 of 8"]  # quarters only
    assert said[4].startswith("Training finished at step 8: loss ") and len(said) == 5
    view.step()
    assert said[-1].startswith("One step: step 9: loss ") and said[-1].endswith("open in the stepper below.")
    assert 'th scope=col' in view.table.value and "<caption>what the optimiser did at step 9</caption>" in \
        view.table.value
    assert view.boundary.alt.startswith("Decision boundary of the data after step 9, 40 points")
    view.point_x.value, view.point_y.value = 5.0, 5.0  # the keyboard's edits: far from every point
    view.edit_buttons["Add point"].click()
    assert said[-1] == "Added a point of class 1: 41 points." and np.allclose(view.model.X[-1], (5, 5))
    view.edit_buttons["Trace nearest"].click()
    assert said[-1] == "Traced sample 40: 41 points." and "the loss of sample 40," in view.graph_title.value
    view.edit_buttons["Remove nearest"].click()
    assert said[-1] == "Removed point 40: 40 points." and not np.isclose(view.model.X, 5).all(axis=1).any()
    view.reset()
    assert said[-1] == "Reset: the original 40 points and weights, step 0."
    assert "before training" in view.boundary.alt


def test_the_playground_and_live_plot_announce_their_runs():
    pytest.importorskip("ipywidgets")
    from tensorgrad.widgets import LivePlot, Playground
    playground = Playground(steps=20, samples=40, hidden="3", background=False, min_interval=0, resolution=12)
    assert playground.neurons.alt.startswith("First hidden layer: 3 tanh units, 3 shown")
    said = messages(playground.announcer)
    playground.train()
    assert said[0] == "Training 20 steps from step 0." and said[-1].startswith("Training finished at step 20: loss ")
    assert "after step 20," in playground.image.alt and playground.image.alt.startswith("Decision boundary of moons")
    playground.controls["dataset"].value = "circles"
    assert said[-1] == "data circles: new data and network, step 0."

    X, y = datasets.moons(30, noise=0.1, seed=0)
    plot = LivePlot(small_net(), X, y, steps=8, every=1, min_interval=0, resolution=10, show=False)
    said = messages(plot.announcer)
    for k in range(1, 9):
        plot.update(k, 1.0 / k, 0.5)
    assert said[-1] == "Training finished at step 8: loss 0.125, accuracy 50.0%." and len(said) == 4
    assert plot.image.alt == plot.alt and "Loss: first 1 at step 1" in plot.text.value
