"""micrograd's demo, batched on tensorgrad: `python -m tensorgrad.demo` (or `tensorgrad-demo`).

For moons this is micrograd's demo.ipynb step for step: seeds 1337, make_moons(100, noise=0.1) with
labels -1/+1, MLP(2, [16, 16, 1]), SVM loss + 1e-4 * sum(p*p), SGD with lr 1.0 - 0.9*k/100, 100
full-batch steps, and it ends at 100% accuracy. It writes the decision boundary as a PNG. circles
and spirals train the same way; digits trains a Linear/ReLU net with Adam on scikit-learn's 8x8
digits and draws test images with their predicted labels.
"""
import argparse
import random

import numpy as np

from . import datasets
from .engine import no_grad
from .nn import MLP, Linear, ReLU, Sequential
from .optim import SGD, Adam
from .train import accuracy, fit
from ._deps import require

POINT_SETS = {  # 2-D datasets with two classes, labels -1/+1
    "moons": lambda: datasets.moons(n_samples=100, noise=0.1),
    "circles": lambda: datasets.circles(n_samples=100, noise=0.1, factor=0.5),
    "spirals": lambda: datasets.spirals(n_samples=200, noise=0.1),
}
DEFAULT_HIDDEN = {"moons": "16,16", "circles": "16,16", "spirals": "32,32", "digits": "32"}


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    hidden = _widths(args.hidden or DEFAULT_HIDDEN[args.dataset])
    out = args.out or f"{args.dataset}.png"
    random.seed(args.seed)
    np.random.seed(args.seed)
    if args.dataset == "digits":
        _digits(hidden, args.steps, args.seed, out)
    else:
        _points(args.dataset, hidden, args.steps, out)
    print(f"picture written to {out}")
    return 0


def _parser():
    parser = argparse.ArgumentParser(prog="tensorgrad-demo", description="Train a small network on a toy dataset "
                                     "(micrograd's demo, batched on tensorgrad) and save a picture of the result.")
    parser.add_argument("--dataset", choices=[*POINT_SETS, "digits"], default="moons")
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument("--hidden", help="hidden layer widths, e.g. 16,16 (default depends on the dataset)")
    parser.add_argument("--seed", type=int, default=1337, help="seed for random and numpy (default 1337)")
    parser.add_argument("--out", help="PNG file to write (default <dataset>.png)")
    return parser


def _widths(text):
    try:
        widths = [int(w) for w in text.split(",")]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise SystemExit(f"--hidden wants positive widths separated by commas, like 16,16; got {text!r}")
    return widths


def _points(name, hidden, steps, out):
    X, y = POINT_SETS[name]()
    model = MLP(2, hidden + [1])
    optimizer = SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / steps)
    history = fit(model, X, y, loss="svm", optimizer=optimizer, steps=steps, l2=1e-4,
                  callbacks=[_progress_bar(steps, name)])
    with no_grad():
        acc = accuracy(model(X), y)
    print(f"{name}: final accuracy {acc:.1%} after {len(history.steps)} steps (last loss {history.loss[-1]:.4f})")
    title = f"{name}: MLP(2, {hidden + [1]}), {len(history.steps)} steps, accuracy {acc:.0%}"
    _save(_boundary_figure(model, X, y, title), out)


def _digits(hidden, steps, seed, out):
    X_train, y_train, X_test, y_test = datasets.split(*datasets.digits(), test_fraction=0.25, seed=seed)
    rng = np.random.default_rng(seed)
    sizes = [64] + hidden + [10]
    layers = []
    for i in range(len(sizes) - 1):
        layers += [Linear(sizes[i], sizes[i + 1], rng=rng), ReLU()]
    model = Sequential(*layers[:-1])
    history = fit(model, X_train, y_train, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.01),
                  steps=steps, callbacks=[_progress_bar(steps, "digits")])
    with no_grad():
        train_acc, test_scores = accuracy(model(X_train), y_train), model(X_test).data
    print(f"digits: train accuracy {train_acc:.1%}, test accuracy {accuracy(test_scores, y_test):.1%} "
          f"after {len(history.steps)} steps")
    _save(_digits_figure(X_test, y_test, test_scores.argmax(axis=1)), out)


def _progress_bar(steps, name):
    bar = require("tqdm", "demo").tqdm(total=steps, desc=name, unit="step")

    def update(state):
        bar.set_postfix(loss=f"{state.loss:.4f}", accuracy=f"{state.accuracy:.0%}", refresh=False)
        bar.update()
        if state.step == state.steps or state.stop:
            bar.close()
    return update


def _boundary_figure(model, X, y, title):
    """The plane coloured by the model's decision, with the data on top (micrograd's final plot)."""
    figure = require("matplotlib.figure", "demo").Figure(figsize=(6, 5))
    ax = figure.subplots()
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 250), np.linspace(lo[1], hi[1], 250))
    with no_grad():
        scores = model(np.c_[xx.ravel(), yy.ravel()]).data.reshape(xx.shape)
    ax.contourf(xx, yy, scores > 0, levels=[-0.5, 0.5, 1.5], cmap="Spectral", alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap="Spectral", edgecolors="k")
    ax.set_title(title, fontsize=10)
    return figure


def _digits_figure(X, y, predicted, rows=4, cols=8):
    """Test images titled with the predicted digit; red titles are mistakes."""
    figure = require("matplotlib.figure", "demo").Figure(figsize=(cols * 1.1, rows * 1.3))
    for ax, image, label, guess in zip(figure.subplots(rows, cols).ravel(), X, y, predicted):
        ax.imshow(image.reshape(8, 8), cmap="gray_r")
        ax.set_title(f"pred {guess}", color="black" if guess == label else "red", fontsize=9)
        ax.axis("off")
    return figure


def _save(figure, path):
    figure.tight_layout()
    figure.savefig(path, dpi=100)


if __name__ == "__main__":
    raise SystemExit(main())
