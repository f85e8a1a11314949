"""tensorgrad.nn against torch.nn (copied weights, float64) and against micrograd (same seed, same weights)."""
import random

import numpy as np
import pytest
import torch

from tensorgrad import Value
from tensorgrad.losses import l2_penalty, svm
from tensorgrad.nn import MLP, Layer, Linear, Neuron, ReLU, Sequential, Sigmoid, Tanh, as_input, load, save
from tensorgrad.optim import SGD
from tensorgrad.train import fit

import micrograd.engine as micrograd_engine  # noqa: E402 (the test extra installs micrograd for parity checks)
import micrograd.nn as micrograd_nn  # noqa: E402

TORCH_ACTIVATIONS = {ReLU: torch.nn.ReLU, Tanh: torch.nn.Tanh, Sigmoid: torch.nn.Sigmoid}


def to_torch(model):
    """An equivalent torch.nn.Sequential with the weights copied (torch stores w transposed)."""
    layers = []
    for m in getattr(model, "layers", [model]):
        if type(m) in TORCH_ACTIVATIONS:
            layers.append(TORCH_ACTIVATIONS[type(m)]())
            continue
        w = m.w.data if m.w.ndim == 2 else m.w.data[:, None]
        linear = torch.nn.Linear(*w.shape, bias=m.b is not None, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T))
            if m.b is not None:
                linear.bias.copy_(torch.from_numpy(m.b.data.reshape(-1)))
        layers += [linear] + ([torch.nn.ReLU()] if getattr(m, "nonlin", False) else [])
    return torch.nn.Sequential(*layers)


def torch_grads(torch_model):
    """Gradients in tensorgrad's layout and order (w as (nin, nout), then b) for each linear layer."""
    grads = []
    for layer in torch_model:
        if isinstance(layer, torch.nn.Linear):
            grads.append(layer.weight.grad.numpy().T)
            if layer.bias is not None:
                grads.append(layer.bias.grad.numpy())
    return grads


def assert_matches_torch(model, x, upstream_seed=0):
    """Run `model` on x (array, Value or list of scalar Values) and torch on the same numbers; compare all."""
    tmodel = to_torch(model)
    numbers = np.array([v.data for v in x]) if isinstance(x, list) else np.asarray(getattr(x, "data", x))
    tx = torch.tensor(numbers, dtype=torch.float64, requires_grad=True)
    out, expected = model(x), tmodel(tx)
    squeezed = getattr(model, "squeeze_single", False) and numbers.ndim == 1 and expected.shape == (1,)
    if squeezed or isinstance(model, Neuron):
        expected = expected.reshape(expected.shape[:-1])  # micrograd returns one number for one output
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for p, g in zip(model.parameters(), torch_grads(tmodel), strict=True):
        np.testing.assert_allclose(p.grad.reshape(g.shape), g, rtol=1e-12, atol=1e-14, err_msg=p.label)
    return out, tx.grad.numpy()


def models():
    random.seed(0)
    return [Neuron(3), Neuron(3, nonlin=False), Layer(3, 4), Layer(3, 1), MLP(3, [4, 4, 1]), MLP(3, [5, 2]),
            MLP(3, [1, 1, 1]), Sequential(Linear(3, 6, seed=1), Tanh(), Linear(6, 2, seed=2), Sigmoid()),
            Linear(3, 2, bias=False, seed=3)]


@pytest.mark.parametrize("model", models(), ids=repr)
def test_list_of_scalar_values_matches_torch_and_gradients_reach_the_scalars(model):
    x = [Value(0.5), Value(-1.5), Value(2.0)]
    _, input_grad = assert_matches_torch(model, x)
    np.testing.assert_allclose([v.grad for v in x], input_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("model", models(), ids=repr)
def test_one_sample_matches_torch(model):
    x = Value(np.array([0.3, -0.7, 1.1]))
    _, input_grad = assert_matches_torch(model, x)
    np.testing.assert_allclose(x.grad, input_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("model", models(), ids=repr)
def test_batch_matches_torch(model):
    x = Value(np.random.default_rng(1).standard_normal((7, 3)))
    out, input_grad = assert_matches_torch(model, x)
    assert out.shape[0] == 7
    np.testing.assert_allclose(x.grad, input_grad, rtol=1e-12, atol=1e-14)


def test_output_shapes_follow_micrograd_for_one_sample_and_keep_nout_for_batches():
    random.seed(0)
    one, three = MLP(2, [4, 1]), MLP(2, [4, 3])
    assert one([1.0, 2.0]).shape == () and one(np.zeros(2)).shape == ()
    assert one(np.zeros((5, 2))).shape == (5, 1)
    assert three(np.zeros(2)).shape == (3,) and three(np.zeros((5, 2))).shape == (5, 3)
    assert Neuron(2)(np.zeros((5, 2))).shape == (5,)
    assert Linear(2, 1, seed=0)(np.zeros(2)).shape == (1,)  # PyTorch-flavoured: no squeezing


def test_raw_arrays_are_data_and_values_keep_their_gradient():
    assert not as_input(np.ones((3, 2)), 2, "test").requires_grad
    assert not as_input([[1.0, 2.0]], 2, "test").requires_grad
    x = Value(np.ones((3, 2)))
    assert as_input(x, 2, "test") is x


def test_wrong_input_width_says_what_was_expected():
    random.seed(0)
    with pytest.raises(ValueError, match=r"MLP takes 2 input feature\(s\).*got shape \(4, 3\)"):
        MLP(2, [3, 1])(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        Neuron(2)(Value(1.0))
    with pytest.raises(ValueError, match="nin must be a positive int"):
        Layer(0, 3)
    with pytest.raises(TypeError, match="nouts is a non-empty list"):
        MLP(2, 3)
    with pytest.raises(ValueError, match=r"module 2 \(Linear\(5, 1\)\) takes 5 inputs but receives 4"):
        Sequential(Linear(2, 4), ReLU(), Linear(5, 1))


# ---- micrograd parity -------------------------------------------------------------------------

def micrograd_weights(layer):
    """A micrograd Layer's weights as a (nin, nout) array and its biases as (nout,)."""
    return (np.array([[w.data for w in n.w] for n in layer.neurons]).T, np.array([n.b.data for n in layer.neurons]))


@pytest.mark.parametrize("nouts", [[16, 16, 1], [3, 2], [5]])
def test_mlp_starts_from_micrographs_very_weights(nouts):
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, nouts)
    next_draw = random.random()
    random.seed(1337)
    ours = MLP(2, nouts)
    assert random.random() == next_draw  # both used up exactly the same draws
    for their_layer, our_layer in zip(theirs.layers, ours.layers, strict=True):
        w, b = micrograd_weights(their_layer)
        np.testing.assert_array_equal(our_layer.w.data, w)
        np.testing.assert_array_equal(our_layer.b.data, b)


def test_neuron_and_layer_start_like_micrograd_and_compute_the_same():
    random.seed(7)
    their_neuron, their_layer = micrograd_nn.Neuron(3), micrograd_nn.Layer(3, 2, nonlin=False)
    random.seed(7)
    our_neuron, our_layer = Neuron(3), Layer(3, 2, nonlin=False)
    x = [0.2, -0.4, 0.9]
    assert our_neuron(x).item() == pytest.approx(their_neuron(x).data, rel=1e-14)
    np.testing.assert_allclose(our_layer(x).data, [o.data for o in their_layer(x)], rtol=1e-14)


def test_repr_is_micrographs_for_narrow_layers_and_short_for_wide_ones():
    random.seed(0)
    assert repr(MLP(2, [3, 1])) == repr(micrograd_nn.MLP(2, [3, 1]))
    assert repr(Neuron(4, nonlin=False)) == repr(micrograd_nn.Neuron(4, nonlin=False)) == "LinearNeuron(4)"
    assert repr(MLP(2, [16, 1])) == "MLP of [Layer of [ReLUNeuron(2) x 16], Layer of [LinearNeuron(16)]]"
    assert repr(Sequential(Linear(2, 4), ReLU(), Linear(4, 1, bias=False))) == \
        "Sequential(Linear(2, 4), ReLU(), Linear(4, 1, bias=False))"


def micrograd_demo_steps(X, y, model, steps):
    """micrograd's demo.ipynb training loop, scalar by scalar: (loss, accuracy) per step."""
    curve = []
    for k in range(steps):
        scores = [model(list(map(micrograd_engine.Value, row))) for row in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        curve.append((total.data, sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)))
    return curve


def test_batched_training_retraces_micrographs_demo_loss_curve():
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=24, noise=0.1, random_state=1337)
    y = y * 2.0 - 1
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [8, 8, 1])
    random.seed(1337)
    ours = MLP(2, [8, 8, 1])
    curve = micrograd_demo_steps(X, y, theirs, steps=4)
    history = fit(ours, X, y, loss="svm", l2=1e-4, steps=4,
                  optimizer=SGD(ours.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100))
    np.testing.assert_allclose(history.loss, [c[0] for c in curve], rtol=1e-12)
    assert history.accuracy == [c[1] for c in curve]
    assert len(set(history.loss)) == 4  # the weights really moved
    for their_layer, our_layer in zip(theirs.layers, ours.layers):
        np.testing.assert_allclose(our_layer.w.data, micrograd_weights(their_layer)[0], rtol=1e-10, atol=1e-13)


def test_hidden_width_one_trains():
    random.seed(3)
    model = MLP(2, [1, 1])
    x = [Value(1.0), Value(2.0)]
    assert model(x).shape == ()
    loss = svm(model(np.array([[1.0, 2.0], [-1.0, 0.5]])), [1, -1]) + 1e-4 * l2_penalty(model.parameters())
    loss.backward()
    assert all(p.grad.shape == p.shape for p in model.parameters())


# ---- labels, zero_grad, Linear init ---------------------------------------------------------

def test_parameters_are_labelled_for_the_graph_drawing():
    random.seed(0)
    assert [p.label for p in MLP(2, [3, 1]).parameters()] == ["L0.w", "L0.b", "L1.w", "L1.b"]
    assert [p.label for p in Neuron(2).parameters()] == ["w", "b"]
    assert [n for n, _ in Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).named_parameters()] == \
        ["L0.w", "L0.b", "L2.w", "L2.b"]


def test_zero_grad_clears_every_gradient():
    random.seed(0)
    model = MLP(2, [3, 1])
    model(np.ones((4, 2))).sum().backward()
    assert any(np.any(p.grad) for p in model.parameters())
    model.zero_grad()
    assert not any(np.any(p.grad) for p in model.parameters())


def test_linear_init_is_pytorchs_uniform_and_reproducible():
    a, b = Linear(400, 300, seed=5), Linear(400, 300, seed=5)
    np.testing.assert_array_equal(a.w.data, b.w.data)
    bound = 1 / np.sqrt(400)
    assert np.abs(a.w.data).max() <= bound and np.abs(a.w.data).max() > 0.99 * bound
    assert abs(a.w.data.std() - bound / np.sqrt(3)) < 0.01 * bound  # the std of U(-bound, bound)
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(Linear(400, 300, rng=rng).w.data, a.w.data)
    assert not np.array_equal(Linear(400, 300, rng=rng).w.data, a.w.data)  # the generator moved on
    with pytest.raises(ValueError, match="seed or an rng"):
        Linear(2, 2, seed=1, rng=rng)


# ---- save and load ----------------------------------------------------------------------------

def test_save_load_round_trip(tmp_path):
    random.seed(1)
    model, other = MLP(2, [4, 1]), MLP(2, [4, 1])
    path = tmp_path / "weights.npz"
    model.save(path)
    x = np.random.default_rng(0).standard_normal((5, 2))
    assert not np.allclose(other(x).data, model(x).data)
    weights_before = other.layers[0].w
    assert load(other, path) is other
    np.testing.assert_array_equal(other(x).data, model(x).data)
    assert other.layers[0].w is weights_before  # loaded in place: optimisers keep their parameters
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["L0.b", "L0.w", "L1.b", "L1.w"]


def test_load_says_which_names_and_shapes_do_not_fit(tmp_path):
    random.seed(1)
    path = tmp_path / "small.npz"
    save(MLP(2, [4, 1]), path)
    with pytest.raises(ValueError, match=r"L0.w: file has shape \(2, 4\), model has \(2, 5\)"):
        load(MLP(2, [5, 1]), path)
    with pytest.raises(ValueError, match=r"missing \['L2.w', 'L2.b'\]"):
        load(MLP(2, [4, 1, 1]), path)
    with pytest.raises(ValueError, match=r"unexpected \['L1.w', 'L1.b'\]"):
        load(MLP(2, [4]), path)


def test_load_rejects_files_that_are_not_plain_weight_archives(tmp_path):
    np.savez(tmp_path / "objects.npz", w=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a weights file"):
        load(Neuron(1), tmp_path / "objects.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        load(Neuron(1), tmp_path / "single.npy")
    (tmp_path / "notes.txt").write_text("my notes on backprop")
    with pytest.raises(ValueError) as info:
        Neuron(1).load(tmp_path / "notes.txt")
    message = str(info.value)
    assert "notes.txt is not a weights file written by tensorgrad.nn.save" in message and "pickle" not in message
