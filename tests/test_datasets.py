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
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref * 2 - 1)


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
