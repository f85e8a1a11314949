"""The way out to PyTorch: `to_torch(model)` and `from_torch(module)` for the networks `tensorgrad.nn` builds.

A tensorgrad `Linear`/`Layer` holds w of shape (nin, nout); PyTorch's `nn.Linear` holds its transpose,
(nout, nin). Weights are copied (each side trains its own), in the Values' dtype (float64 by default),
and `parameters()` come out in the same order on both sides. A module with no counterpart is named,
never guessed. PyTorch is imported only here, when asked for.
"""
import numpy as np

from . import nn
from .engine import Value

_ACTIVATIONS = {nn.ReLU: "ReLU", nn.Tanh: "Tanh", nn.Sigmoid: "Sigmoid"}
TRANSLATED = "Linear, Layer, ReLU, Tanh, Sigmoid, Sequential and MLP"


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch is not installed: run pip install torch (it does not run in the course site's "
                          "in-browser Python, Pyodide: use a local Python)") from None
    return torch


def to_torch(model):
    """A `torch.nn.Module` with `model`'s weights (copied), the same forward and the same gradients."""
    torch = _torch()
    layers = _torch_layers(model, torch, type(model).__name__)
    return layers[0] if len(layers) == 1 and not isinstance(model, nn.Sequential) else torch.nn.Sequential(*layers)


def _torch_layers(module, torch, where):
    if isinstance(module, nn.Sequential):
        return [layer for i, m in enumerate(module.layers) for layer in _torch_layers(m, torch, f"{where}.layers[{i}]")]
    if type(module) in _ACTIVATIONS:
        return [getattr(torch.nn, _ACTIVATIONS[type(module)])()]
    if type(module) in (nn.Linear, nn.Layer):
        linear = torch.nn.Linear(module.nin, module.nout, bias=module.b is not None, dtype=_torch_dtype(module, torch))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(module.w.data.T)))
            if module.b is not None:
                linear.bias.copy_(torch.from_numpy(np.array(module.b.data)))
        return [linear, torch.nn.ReLU()] if module.nonlin else [linear]
    raise TypeError(f"to_torch cannot translate {where}, a {type(module).__name__} ({module!r}): it translates "
                    f"{TRANSLATED}")


def _torch_dtype(module, torch):
    return {np.float64: torch.float64, np.float32: torch.float32}[module.w.dtype.type]


def from_torch(module):
    """A tensorgrad module with `module`'s weights (copied, dtype kept): nn.Sequential, Linear and activations."""
    torch = _torch()
    layers = _tensorgrad_layers(module, torch, type(module).__name__)
    return layers[0] if len(layers) == 1 and not isinstance(module, torch.nn.Sequential) else nn.Sequential(*layers)


def _tensorgrad_layers(module, torch, where):
    if isinstance(module, torch.nn.Sequential):
        return [layer for i, m in enumerate(module) for layer in _tensorgrad_layers(m, torch, f"{where}[{i}]")]
    for ours, name in _ACTIVATIONS.items():
        if type(module) is getattr(torch.nn, name):
            return [ours()]
    if type(module) is torch.nn.Linear:
        linear = nn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
        linear.w = Value(module.weight.detach().cpu().numpy().T.copy(), label="w")
        if module.bias is not None:
            linear.b = Value(module.bias.detach().cpu().numpy().copy(), label="b")
        return [linear]
    raise TypeError(f"from_torch cannot translate {where}, a {type(module).__name__}: it translates torch.nn's "
                    "Linear, ReLU, Tanh, Sigmoid and Sequential")
