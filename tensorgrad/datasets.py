"""Small classification datasets, with labels in the convention each loss wants. Nothing is downloaded.

Every function returns `(X, y)`: X a float64 array (N, features), y the labels, chosen by `labels`:
"pm1" (-1.0/+1.0, for `svm`), "01" (0.0/1.0, for `bce_with_logits`) or "int" (0..C-1 ints, for
`cross_entropy`); the default is "pm1" for two classes and "int" for more. `seed=None` draws from
numpy's global generator, so `np.random.seed(1337); moons()` is micrograd's demo data.
Made with numpy alone, so the zero-install site loads no scikit-learn: moons, circles and blobs draw
the very samples scikit-learn's make_moons / make_circles / make_blobs draw for the same seed (the same
random numbers asked of the same numpy RandomState in the same order; tests compare them bit for bit),
and the digits are a copy of the 8x8 images scikit-learn ships (see tensorgrad/data/README.md).
"""
import pathlib

import numpy as np

LABELS = ("pm1", "01", "int")
DIGITS = pathlib.Path(__file__).with_name("data") / "digits.npz"


def moons(n_samples=100, noise=0.1, seed=None, labels=None):
    """Two interleaving half-circles (micrograd's demo data)."""
    upper, lower = n_samples // 2, n_samples - n_samples // 2
    top, bottom = np.linspace(0, np.pi, upper), np.linspace(0, np.pi, lower)
    X = np.stack([np.append(np.cos(top), 1 - np.cos(bottom)), np.append(np.sin(top), 1 - np.sin(bottom) - 0.5)], axis=1)
    return _shuffled_with_noise(X, _two_classes(upper, lower), noise, seed, labels)


def circles(n_samples=100, noise=0.1, factor=0.5, seed=None, labels=None):
    """A small circle inside a big one: no straight line separates them."""
    outer, inner = n_samples // 2, n_samples - n_samples // 2
    big, small = (np.linspace(0, 2 * np.pi, n, endpoint=False) for n in (outer, inner))
    X = np.stack([np.append(np.cos(big), np.cos(small) * factor), np.append(np.sin(big), np.sin(small) * factor)],
                 axis=1)
    return _shuffled_with_noise(X, _two_classes(outer, inner), noise, seed, labels)


def blobs(n_samples=100, centers=3, cluster_std=1.0, seed=None, labels=None):
    """Gaussian clusters in 2-D, one class each, their centres drawn uniformly in [-10, 10]^2."""
    random = _random_state(seed)
    middles = random.uniform(-10.0, 10.0, size=(centers, 2))
    counts = [n_samples // centers + (i < n_samples % centers) for i in range(centers)]
    X = np.concatenate([random.normal(loc=middle, scale=cluster_std, size=(n, 2)) for middle, n in zip(middles, counts)])
    order = _order(len(X), random)
    return X[order], relabel(np.repeat(np.arange(centers), counts)[order], labels)


def spirals(n_samples=100, n_classes=2, noise=0.2, turns=1.0, seed=None, labels=None):
    """Interleaved spiral arms, one per class (`n_samples` points in all).

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
    """The 8x8 handwritten digits (1797 images, UCI optdigits' test set as scikit-learn ships it):
    X (1797, 64) scaled to [0, 1], y 0..9. `X[i].reshape(8, 8)` is the image.
    """
    with np.load(DIGITS) as data:
        return data["images"].reshape(-1, 64) / 16.0, relabel(data["target"], labels)


def _random_state(seed):
    """numpy's global RandomState for None (what np.random.seed sets), a new one for an int, or the one given."""
    if seed is None:
        return np.random.mtrand._rand
    return seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)


def _two_classes(first, second):
    return np.repeat(np.arange(2), [first, second])


def _order(n, random):
    """A random order of n rows: arange(n) shuffled in place (one shuffle call, as the samples were always drawn)."""
    order = np.arange(n)
    random.shuffle(order)
    return order


def _shuffled_with_noise(X, y, noise, seed, labels):
    """Rows shuffled, then Gaussian noise of std `noise` added (none for None), both from the one generator."""
    random = _random_state(seed)
    order = _order(len(X), random)
    X = X[order]
    if noise is not None:
        X += random.normal(scale=noise, size=X.shape)
    return X, relabel(y[order], labels)


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
