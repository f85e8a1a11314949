"""to_torch / from_torch: the same weights, forward and gradients as PyTorch (float64, to 1e-10), parameters in order."""
import random
import sys

import numpy as np
import pytest
import torch

from tensorgrad import Value, from_torch, nn, to_torch

MODELS = {
    "micrograd's MLP": lambda: nn.MLP(2, [16, 16, 1]),
    "one Layer, linear": lambda: nn.Layer(3, 4, nonlin=False),
    "Linear, tanh, sigmoid": lambda: nn.Sequential(nn.Linear(5, 7, seed=1), nn.Tanh(), nn.Linear(7, 4, seed=2),
                                                  nn.Sigmoid(), nn.Linear(4, 3, seed=3)),
    "no bias, relu": lambda: nn.Sequential(nn.Linear(4, 6, bias=False, seed=4), nn.ReLU(), nn.Linear(6, 2, seed=5)),
    "a single Linear": lambda: nn.Linear(6, 3, seed=6),
}


def _outputs_and_grads(model, torch_model, x, upstream):
    ours = model(x)
    ours.backward(upstream)
    theirs = torch_model(torch.from_numpy(x))
    theirs.backward(torch.from_numpy(upstream))
    return ours, theirs


@pytest.mark.parametrize("name", MODELS)
def test_to_torch_gives_the_same_forward_and_gradients(name):
    random.seed(1337)
    model = MODELS[name]()
    torch_model = to_torch(model)
    assert isinstance(torch_model, torch.nn.Module)
    params, torch_params = model.parameters(), list(torch_model.parameters())
    assert [p.shape for p in params] == [tuple(reversed(t.shape)) for t in torch_params]  # same order, w transposed
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, model.nin))
    upstream = rng.normal(size=(9, model.nout))
    ours, theirs = _outputs_and_grads(model, torch_model, x, upstream)
    assert theirs.dtype == torch.float64
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
    for p, t in zip(params, torch_params):
        np.testing.assert_allclose(p.grad, t.grad.numpy().T, rtol=1e-10, atol=1e-10)
    params[0].data += 1  # copies: training one side leaves the other as it was
    assert not np.allclose(params[0].data, torch_params[0].detach().numpy().T)


@pytest.mark.parametrize("name", MODELS)
def test_from_torch_round_trip(name):
    random.seed(1337)
    model = MODELS[name]()
    back = from_torch(to_torch(model))
    rng = np.random.default_rng(1)
    x, upstream = rng.normal(size=(7, model.nin)), rng.normal(size=(7, model.nout))
    ours, again = model(x), back(x)
    ours.backward(upstream)
    again.backward(upstream)
    np.testing.assert_allclose(again.data, ours.data, rtol=1e-10, atol=1e-10)
    for p, q in zip(model.parameters(), back.parameters(), strict=True):
        np.testing.assert_allclose(q.grad, p.grad, rtol=1e-10, atol=1e-10)


def test_a_torch_module_built_in_torch_comes_over():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    model = from_torch(module)
    x = np.random.default_rng(2).normal(size=(4, 3))
    np.testing.assert_allclose(model(x).data, module(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-10)


def test_what_cannot_be_translated_is_named():
    with pytest.raises(TypeError, match=r"to_torch cannot translate Sequential.layers\[1\], a Neuron "
                                        r"\(ReLUNeuron\(3\)\): it translates Linear, Layer"):
        to_torch(nn.Sequential(nn.Linear(2, 3, seed=0), nn.Neuron(3)))
    with pytest.raises(TypeError, match=r"from_torch cannot translate Sequential\[1\], a Softmax"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Softmax(dim=1)))


def test_without_torch_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails as if it were not installed
    with pytest.raises(ImportError, match="PyTorch is not installed: run pip install torch .*Pyodide"):
        to_torch(nn.Linear(2, 2, seed=0))


def test_the_landing_page_says_where_the_pytorch_notebook_runs():
    import importlib.util
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("build_site", root / "scripts" / "build_site.py")
    build_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_site)
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    page = build_site.landing_page(notebooks)
    for name in ("11_backprop_by_hand.ipynb", "12_graduating_to_pytorch.ipynb"):
        assert f'href="lab/index.html?path={name}"' in page
    rows = page.split("<li>")[1:]
    noted = [path.name for path, row in zip(notebooks, rows) if "PyTorch does not run in the browser" in row]
    assert noted == [path.name for path in notebooks if "import torch" in path.read_text()]
    assert "12_graduating_to_pytorch.ipynb" in noted and "11_backprop_by_hand.ipynb" not in noted
