"""Datasets: shapes, label conventions, determinism, and micrograd's exact demo data."""
import numpy as np
import pytest

from tensorgrad import datasets


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles, datasets.spirals])
def test_two_class_sets_give_float_points_and_each_label_convention(make):
    X, y = make(n_samples=60, seed=0)
    assert X.shape == (60, 2) and X.dtype == np.float64
    assert set(y) == {-1.0, 1.0} and y.dtype == np.float64  # default: svm's -1/+1
    _, y01 = make(n_samples=60, seed=0, labels="01")
    _, yint = make(n_samples=60, seed=0, labels="int")
    np.testing.assert_array_equal(y01, (y + 1) / 2)
    assert yint.dtype.kind == "i" and np.array_equal(yint, y01)


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles, datasets.spirals, datasets.blobs])
def test_seed_makes_the_data_reproducible(make):
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    X3, _ = make(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_moons_after_numpy_seed_is_micrographs_demo_data():
    from sklearn.datasets import make_moons
    np.random.seed(1337)
    X_ref, y_ref = make_moons(n_samples=100, noise=0.1)
    np.random.seed(1337)
    X, y = datasets.moons(n_samples=100, noise=0.1)
    assert X.tobytes() == np.ascontiguousarray(X_ref).tobytes()
    np.testing.assert_array_equal(y, y_ref * 2 - 1)


def _same_bits(ours, theirs):
    (X, y), (X_ref, y_ref) = ours, theirs
    assert X.dtype == X_ref.dtype == np.float64 and X.shape == X_ref.shape
    assert X.tobytes() == np.ascontiguousarray(X_ref).tobytes()  # bit for bit, not close
    np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 301])
@pytest.mark.parametrize("noise", [None, 0.0, 0.05, 0.3])
@pytest.mark.parametrize("seed", [None, 0, 1337, 2**32 - 1, "RandomState"])
def test_moons_and_circles_draw_scikit_learns_samples(n, noise, seed):
    """numpy alone gives the samples make_moons / make_circles give: with an int seed, with a RandomState
    (drawn from in the same order), and with seed=None after np.random.seed (the global generator)."""
    sklearn = pytest.importorskip("sklearn.datasets")

    def both(ours, theirs, **kwargs):
        results = []
        for make, seed_name in ((ours, "seed"), (theirs, "random_state")):
            np.random.seed(n)
            given = np.random.RandomState(n + 1) if seed == "RandomState" else seed
            results.append(make(n, noise=noise, **{seed_name: given}, **kwargs))
        return results

    _same_bits(*both(lambda *a, **k: datasets.moons(*a, **k, labels="int"), sklearn.make_moons))
    _same_bits(*both(lambda *a, **k: datasets.circles(*a, **k, factor=0.3, labels="int"),
                     lambda *a, **k: sklearn.make_circles(*a, **k, factor=0.3)))


@pytest.mark.parametrize("n, centers, std, seed", [(1, 3, 1.0, 0), (30, 2, 0.5, 7), (100, 3, 1.0, 1337),
                                                   (101, 5, 2.5, 4)])
def test_blobs_draw_scikit_learns_samples(n, centers, std, seed):
    sklearn = pytest.importorskip("sklearn.datasets")
    _same_bits(datasets.blobs(n, centers=centers, cluster_std=std, seed=seed, labels="int"),
               sklearn.make_blobs(n_samples=n, centers=centers, cluster_std=std, random_state=seed))


def test_digits_are_scikit_learns_digits():
    sklearn = pytest.importorskip("sklearn.datasets")
    reference = sklearn.load_digits()
    X, y = datasets.digits()
    assert X.dtype == np.float64 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, reference.data / 16.0)
    np.testing.assert_array_equal(y, reference.target)


def test_no_data_set_imports_scikit_learn():
    import subprocess
    import sys
    code = ("import sys; from tensorgrad import datasets as d; d.moons(); d.circles(); d.blobs(); d.spirals(); "
            "d.digits(); print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_spirals_with_more_arms_and_classes():
    X, y = datasets.spirals(n_samples=90, n_classes=3, seed=0)
    assert X.shape == (90, 2) and sorted(set(y)) == [0, 1, 2] and np.bincount(y).tolist() == [30, 30, 30]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-12 and radius.min() > 0


def test_blobs_and_digits_default_to_integer_classes():
    X, y = datasets.blobs(n_samples=30, centers=4, seed=0)
    assert X.shape == (30, 2) and sorted(set(y)) == [0, 1, 2, 3]
    X, y = datasets.digits()
    assert X.shape == (1797, 64) and 0 <= X.min() and X.max() == 1.0
    assert sorted(set(y)) == list(range(10))


def test_two_class_conventions_refuse_many_classes_and_unknown_names():
    with pytest.raises(ValueError, match="is for two classes; this data has 3"):
        datasets.blobs(centers=3, labels="pm1")
    with pytest.raises(ValueError, match="labels must be one of"):
        datasets.moons(labels="plusminus")


def test_split_is_a_shuffled_partition():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    X_train, y_train, X_test, y_test = datasets.split(X, y, test_fraction=0.3, seed=1)
    assert len(X_test) == 3 and len(X_train) == 7
    assert sorted(np.concatenate([y_train, y_test])) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0] / 2, y_train)  # rows stay with their labels
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.split(X, y, test_fraction=1.0)
