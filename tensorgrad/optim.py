"""Optimisers: the `p.data -= lr * p.grad` loop of micrograd's demo, as PyTorch's SGD and Adam.

`lr` is a number or a schedule, a function of the step index k (0 for the first step): micrograd's
demo schedule is `SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)`. Updates write into
each parameter's `.data` in place, so no graph is recorded. A parameter whose grad was never set
(it took no part in the loss) is skipped, as in PyTorch.
"""
import numpy as np

from .engine import Value


class Optimizer:
    def __init__(self, params, lr, weight_decay):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not all(isinstance(p, Value) for p in self.params):
            raise TypeError(f"{type(self).__name__} takes Values, e.g. model.parameters(); got "
                            f"{sorted({type(p).__name__ for p in self.params if not isinstance(p, Value)})}")
        if not callable(lr) and not lr >= 0:
            raise ValueError(f"lr must be a number >= 0 or a function of the step index; got {lr!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.lr, self.weight_decay, self.k = lr, weight_decay, 0  # k: steps taken so far

    def current_lr(self):
        """The learning rate the next step will use."""
        return self.lr(self.k) if callable(self.lr) else self.lr

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        lr = self.current_lr()
        for i, p in enumerate(self.params):
            if p._grad is None:
                continue
            g = p.grad  # through the property: an assigned zero (`p.grad = 0`) reads as zeros of p's shape
            g = g + self.weight_decay * p.data if self.weight_decay else g
            p.data -= self._update(i, g, lr)
        self.k += 1

    def _update(self, i, g, lr):
        """The amount to subtract from parameter i, given its gradient g (weight decay included)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with PyTorch's momentum: buf = momentum * buf + g; p -= lr * buf."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum, self.buffers = momentum, [None] * len(self.params)

    def _update(self, i, g, lr):
        if self.momentum:
            buf = self.buffers[i]
            self.buffers[i] = g.copy() if buf is None else self.momentum * buf + g
            g = self.buffers[i]
        return lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), as `torch.optim.Adam`: running means of g and g**2, bias-corrected."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        if not all(0 <= b < 1 for b in betas) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        self.betas, self.eps = tuple(betas), eps
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.t = [0] * len(self.params)  # per parameter, since a skipped parameter takes no step

    def _update(self, i, g, lr):
        b1, b2 = self.betas
        self.t[i] += 1
        self.m[i] = b1 * self.m[i] + (1 - b1) * g
        self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
        m_hat = self.m[i] / (1 - b1 ** self.t[i])
        v_hat = self.v[i] / (1 - b2 ** self.t[i])
        return lr * m_hat / (np.sqrt(v_hat) + self.eps)
