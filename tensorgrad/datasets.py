"""Small classification datasets, with labels in the convention each loss wants. Nothing is downloaded.

Every function returns `(X, y)`: X a float64 array (N, features), y the labels, chosen by `labels`:
"pm1" (-1.0/+1.0, for `svm`), "01" (0.0/1.0, for `bce_with_logits`) or "int" (0..C-1 ints, for
`cross_entropy`); the default is "pm1" for two classes and "int" for more. `seed=None` draws from
numpy's global generator, so `np.random.seed(1337); moons()` is micrograd's demo data.
Moons, circles, blobs and digits come from scikit-learn (`pip install -e '.[demo]'`).
"""
import numpy as np

from ._deps import require

LABELS = ("pm1", "01", "int")


def moons(n_samples=100, noise=0.1, seed=None, labels=None):
    """Two interleaving half-circles (micrograd's demo data)."""
    X, y = require("sklearn.datasets", "demo").make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.astype(np.float64), relabel(y, labels)


def circles(n_samples=100, noise=0.1, factor=0.5, seed=None, labels=None):
    """A small circle inside a big one: no straight line separates them."""
    X, y = require("sklearn.datasets", "demo").make_circles(n_samples=n_samples, noise=noise, factor=factor,
                                                          random_state=seed)
    return X.astype(np.float64), relabel(y, labels)


def blobs(n_samples=100, centers=3, cluster_std=1.0, seed=None, labels=None):
    """Gaussian clusters in 2-D, one class each."""
    X, y = require("sklearn.datasets", "demo").make_blobs(n_samples=n_samples, centers=centers,
                                                        cluster_std=cluster_std, random_state=seed)
    return X.astype(np.float64), relabel(y, labels)


def spirals(n_samples=100, n_classes=2, noise=0.2, turns=1.0, seed=None, labels=None):
    """Interleaved spiral arms, one per class (`n_samples` points in all), made here with numpy.

    Each arm runs from the centre outwards, its angle jittered by `noise` radians.
    """
    rng = np.random.default_rng(seed) if seed is not None else np.random  # the global generator
    y = np.arange(n_samples) % n_classes
    radius = np.linspace(0.05, 1.0, n_samples)
    angle = (2 * np.pi * turns * radius + 2 * np.pi * y / n_classes
             + noise * rng.standard_normal(n_samples))
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X, relabel(y, labels)


def digits(labels="int"):
    """scikit-learn's bundled 8x8 handwritten digits (1797 images): X (1797, 64) scaled to [0, 1], y 0..9.

    `X[i].reshape(8, 8)` is the image.
    """
    data = require("sklearn.datasets", "demo").load_digits()
    return data.data.astype(np.float64) / 16.0, relabel(data.target, labels)


def relabel(y, labels=None):
    """Class indices 0..C-1 in the requested convention (see the module docstring)."""
    y = np.asarray(y).astype(np.intp)
    n_classes = int(y.max()) + 1 if y.size else 0
    labels = labels or ("pm1" if n_classes <= 2 else "int")
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {LABELS}, got {labels!r}")
    if labels == "int":
        return y
    if n_classes > 2:
        raise ValueError(f"labels={labels!r} is for two classes; this data has {n_classes}: use labels='int'")
    return y * 2.0 - 1.0 if labels == "pm1" else y.astype(np.float64)


def split(X, y, test_fraction=0.25, seed=0):
    """Shuffle and split into (X_train, y_train, X_test, y_test)."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = max(1, int(round(len(X) * test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]
