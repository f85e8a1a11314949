"""The training loop (`fit`, callbacks, accuracy) and the demo command, run with few steps."""
import random
import subprocess
import sys

import numpy as np
import pytest

from tensorgrad import Value, datasets
from tensorgrad.demo import main
from tensorgrad.losses import l2_penalty, svm
from tensorgrad.nn import MLP
from tensorgrad.optim import Adam
from tensorgrad.train import TrainState, accuracy, fit

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def moons_model(seed=1337):
    random.seed(seed)
    X, y = datasets.moons(n_samples=40, noise=0.1, seed=seed)
    return MLP(2, [8, 8, 1]), X, y


# ---- fit -----------------------------------------------------------------------------------------

def test_fit_records_every_step_and_learns():
    model, X, y = moons_model()
    history = fit(model, X, y, steps=30)
    assert history.steps == list(range(1, 31))
    assert len(history.loss) == len(history.accuracy) == 30
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.accuracy[-1] > 0.8


def test_callbacks_see_the_state_and_can_stop_training():
    model, X, y = moons_model()
    seen = []

    def stop_at_five(state):
        seen.append(state)
        state.stop = state.step == 5

    history = fit(model, X, y, steps=50, callbacks=[stop_at_five, lambda state: seen.append("second")])
    assert len(history.loss) == 5 and len(seen) == 10  # both callbacks ran at every step, then it stopped
    last = seen[-2]
    assert isinstance(last, TrainState)
    assert (last.step, last.steps, last.loss, last.accuracy) == (5, 50, history.loss[-1], history.accuracy[-1])
    assert last.model is model and last.history is history
    np.testing.assert_array_equal(last.X, X)
    np.testing.assert_array_equal(last.y, y)


def test_default_optimizer_is_sgd_with_lr_0_1_and_l2_adds_to_the_loss():
    model, X, y = moons_model()
    before = [p.data.copy() for p in model.parameters()]
    expected = svm(model(X), y) + 1e-3 * l2_penalty(model.parameters())
    expected.backward()
    history = fit(model, X, y, steps=1, l2=1e-3)
    assert history.loss == [pytest.approx(expected.item(), rel=1e-14)]
    for p, b in zip(model.parameters(), before):
        np.testing.assert_allclose(p.data, b - 0.1 * p.grad, rtol=1e-14)


@pytest.mark.parametrize("loss, labels, nout", [("bce", "01", 1), ("mse", "pm1", 1), ("mse", "01", 1),
                                                ("cross_entropy", "int", 2)])
def test_every_named_loss_trains(loss, labels, nout):
    random.seed(0)
    X, y = datasets.moons(n_samples=40, noise=0.1, seed=0, labels=labels)
    model = MLP(2, [8, nout])
    history = fit(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=0.05), steps=40)
    assert history.loss[-1] < history.loss[0] and history.accuracy[-1] > 0.75


def test_a_loss_function_and_minibatches():
    model, X, y = moons_model()
    calls = []

    def loss(scores, yb):
        calls.append(len(yb))
        return ((scores.reshape(-1) - yb) ** 2).mean()

    first = fit(model, X, y, loss=loss, steps=5, batch_size=8, seed=0)
    assert calls == [8] * 5
    again, _, _ = moons_model()
    assert fit(again, X, y, loss=loss, steps=5, batch_size=8, seed=0).loss == first.loss  # seeded batches


def test_fit_explains_bad_arguments():
    model, X, y = moons_model()
    with pytest.raises(ValueError, match="loss must be one of"):
        fit(model, X, y, loss="hinge")
    with pytest.raises(ValueError, match=r"X of shape \(N, features\).*X \(40, 2\) and y \(39,\)"):
        fit(model, X, y[:-1])
    with pytest.raises(ValueError, match="batch_size must be between 1 and 40"):
        fit(model, X, y, batch_size=41)


def test_accuracy_by_sign_threshold_and_argmax():
    assert accuracy(Value([[0.5], [-2.0], [0.0]]), np.array([1, -1, 1])) == pytest.approx(2 / 3)
    assert accuracy(np.array([0.7, 0.2]), np.array([1, 0]), threshold=0.5) == 1.0
    assert accuracy(np.array([[0.1, 0.9], [2.0, 1.0], [0.0, 3.0]]), np.array([1, 0, 0])) == pytest.approx(2 / 3)


# ---- the demo command ------------------------------------------------------------------------------

def assert_valid_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 1000
    from matplotlib.image import imread
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # a picture, not a blank canvas


@pytest.mark.parametrize("dataset", ["moons", "circles", "spirals", "digits"])
def test_demo_writes_a_png(dataset, tmp_path, capsys):
    out = tmp_path / f"{dataset}.png"
    assert main(["--dataset", dataset, "--steps", "3", "--hidden", "8", "--out", str(out)]) == 0
    assert_valid_png(out)
    printed = capsys.readouterr().out
    assert "accuracy" in printed and str(out) in printed


def test_demo_reproduces_micrographs_result_100_percent_on_moons(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "moons.png")]) == 0
    printed = capsys.readouterr().out
    assert "moons: final accuracy 100.0% after 100 steps (last loss 0.0110)" in printed


def test_demo_rejects_bad_hidden_widths(tmp_path):
    with pytest.raises(SystemExit, match="--hidden wants positive widths"):
        main(["--hidden", "16,x", "--out", str(tmp_path / "x.png")])


def test_demo_runs_as_a_module_and_imports_stay_lazy(tmp_path):
    out = tmp_path / "cli.png"
    subprocess.run([sys.executable, "-m", "tensorgrad.demo", "--steps", "2", "--out", str(out)], check=True,
                   capture_output=True)
    assert_valid_png(out)
    code = ("import sys, tensorgrad.nn, tensorgrad.optim, tensorgrad.losses, tensorgrad.train, "
            "tensorgrad.datasets, tensorgrad.demo; "
            "print(sorted(m for m in ('matplotlib', 'sklearn', 'tqdm', 'torch') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"
