"""Every loss against its PyTorch counterpart in float64: the value and the gradient of the scores."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch_ref import check

from tensorgrad import Value
from tensorgrad.losses import bce_with_logits, cross_entropy, l2_penalty, mse, svm

rng = np.random.default_rng(0)
PM1 = rng.choice([-1.0, 1.0], size=8)
ZERO_ONE = (PM1 + 1) / 2


@pytest.mark.parametrize("shape", [(8,), (8, 1)])
def test_svm_matches_torch(shape):
    scores = rng.standard_normal(shape) * 2
    check(lambda s: svm(s, PM1), scores,
          torch_fn=lambda s: torch.relu(1 - torch.from_numpy(PM1) * s.reshape(-1)).mean())


@pytest.mark.parametrize("shape", [(8,), (8, 1), (8, 3)])
def test_mse_matches_torch(shape):
    target = rng.standard_normal(shape[:1] if shape == (8, 1) else shape)
    check(lambda p: mse(p, target), rng.standard_normal(shape),
          torch_fn=lambda p: F.mse_loss(p.reshape(target.shape), torch.from_numpy(target)))


@pytest.mark.parametrize("logits", [rng.standard_normal(8) * 3,
                                    np.array([0.0, 0.0, -0.0, 1e-9, 800.0, -800.0, 40.0, -40.0]),
                                    rng.standard_normal((8, 1))], ids=["normal", "extreme-and-zero", "column"])
def test_bce_with_logits_matches_torch_even_at_extremes_and_at_zero(logits):
    out, _ = check(lambda x: bce_with_logits(x, ZERO_ONE), logits,
                   torch_fn=lambda x: F.binary_cross_entropy_with_logits(x.reshape(-1), torch.from_numpy(ZERO_ONE)))
    assert np.isfinite(out.data)


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["normal", "huge-logits"])
def test_cross_entropy_matches_torch(scale):
    labels = np.array([0, 3, 1, 1, 2, 3])
    out, _ = check(lambda z: cross_entropy(z, labels), rng.standard_normal((6, 4)) * scale,
                   torch_fn=lambda z: F.cross_entropy(z, torch.from_numpy(labels)))
    assert np.isfinite(out.data)


def test_cross_entropy_accepts_integer_valued_floats_and_label_values():
    z = Value(rng.standard_normal((3, 2)))
    assert cross_entropy(z, np.array([0.0, 1.0, 1.0])).item() == cross_entropy(z, Value([0, 1, 1])).item()


def test_l2_penalty_matches_torch():
    a, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    check(lambda p, q: l2_penalty([p, q]), a, b, torch_fn=lambda p, q: (p * p).sum() + (q * q).sum())


def test_wrong_label_conventions_are_explained():
    s = Value(np.zeros(4))
    with pytest.raises(ValueError, match=r"svm wants labels -1/\+1; got values \[0.\]"):
        svm(s, [0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"bce_with_logits wants labels 0/1; got values \[-1.\]"):
        bce_with_logits(s, [-1, 1, 1, -1])
    z = Value(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"labels must lie in 0..3 for 4 classes; got 0..4"):
        cross_entropy(z, [0, 4, 1])
    with pytest.raises(ValueError, match="integer class labels"):
        cross_entropy(z, [0.5, 1, 2])
    with pytest.raises(ValueError, match=r"need labels of shape \(3,\), got \(2,\)"):
        cross_entropy(z, [0, 1])
    with pytest.raises(ValueError, match=r"logits as a Value of shape \(N, C\); got \(4,\)"):
        cross_entropy(Value(np.zeros(4)), [1])


def test_shape_mismatch_is_not_silently_broadcast():
    with pytest.raises(ValueError, match=r"scores of shape \(4, 2\) do not pair with labels of shape \(4,\)"):
        svm(Value(np.zeros((4, 2))), [1, -1, 1, -1])
    with pytest.raises(ValueError, match=r"scores of shape \(1, 4\)"):
        mse(Value(np.zeros((1, 4))), np.zeros(4))
    with pytest.raises(TypeError, match="scores must be a Value"):
        mse(np.zeros(4), np.zeros(4))
