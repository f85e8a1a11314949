"""tensorgrad: micrograd's autograd on numpy tensors, made to be watched.

`import tensorgrad` needs numpy only; the drawing, widget and demo modules import their own libraries
when used.
"""
from .check_backward import check_backward
from .check_grads import check_grads
from .engine import Contribution, Step, Value, is_grad_enabled, no_grad
from .functional import concatenate, maximum, stack, where
from .gradcheck import gradcheck
from .torch_bridge import from_torch, to_torch

__all__ = ["Value", "Step", "Contribution", "no_grad", "is_grad_enabled", "stack", "concatenate", "where",
           "maximum", "gradcheck", "check_backward", "check_grads", "to_torch", "from_torch"]
__version__ = "0.1.0"
