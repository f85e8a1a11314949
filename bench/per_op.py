"""per-op: one small elementwise expression and its backward on (2, 2) tensors, per iteration.

out = ((a * b + c).relu() * a).sum(), with a, b, c all needing gradients: five ops on four numbers,
so the arithmetic is nothing and the time is the engine's fixed cost per op (node creation, graph
walk, gradient bookkeeping) — what a student feels typing expressions into a notebook.
"""
import numpy as np

from .harness import (FLOOR, TIMING_HEADERS, Contender, Section, ahead_of_peers, compare, median_ratio,
                      timing_rows)

TARGET = 3.0
AHEAD_OF_MICROGRAD = 1.5  # micrograd's time over tensorgrad's


def inputs():
    rng = np.random.default_rng(1337)
    return [rng.standard_normal((2, 2)) for _ in range(3)]


def floor(arrays, iterations):
    a, b, c = arrays

    def run():
        for _ in range(iterations):
            z = a * b + c
            h = np.maximum(z, 0)
            out = (h * a).sum()
            dh = a  # d out / d h, with the upstream gradient 1
            dz = dh * (z > 0)
            grads = (dz * b + h, dz * a, dz)
        return out, grads
    return run


def _leaf_loop(leaves, iterations, to_numpy):
    """The loop for libraries whose leaves accumulate gradients (reset each time) and have `.relu()`."""
    a, b, c = leaves

    def run():
        for _ in range(iterations):
            for leaf in leaves:
                leaf.grad = None
            out = ((a * b + c).relu() * a).sum()
            out.backward()
        return out.item(), [to_numpy(leaf.grad) for leaf in leaves]
    return run


def tensorgrad_(arrays, iterations):
    from tensorgrad import Value
    return _leaf_loop([Value(x) for x in arrays], iterations, np.asarray)


def torch_(arrays, iterations):
    import torch
    return _leaf_loop([torch.tensor(x, requires_grad=True) for x in arrays], iterations, lambda g: g.numpy())


def mygrad_(arrays, iterations):
    import mygrad as mg
    a, b, c = leaves = [mg.tensor(x) for x in arrays]

    def run():
        for _ in range(iterations):
            out = (mg.nnet.relu(a * b + c) * a).sum()
            out.backward()  # MyGrad replaces (does not accumulate) leaf gradients on each backward
        return out.item(), [leaf.grad for leaf in leaves]
    return run


def micrograd_(arrays, iterations):
    """micrograd is scalar: the same expression on four separate graphs of Values, summed at the end."""
    from micrograd.engine import Value
    leaves = [[Value(v) for v in x.ravel().tolist()] for x in arrays]
    a, b, c = leaves

    def run():
        for _ in range(iterations):
            for scalars in leaves:
                for v in scalars:
                    v.grad = 0
            out = sum((ai * bi + ci).relu() * ai for ai, bi, ci in zip(a, b, c))
            out.backward()
        return out.data, [np.reshape([v.grad for v in scalars], (2, 2)) for scalars in leaves]
    return run


def run(quick=False):
    arrays = inputs()
    iterations = 200 if quick else 2000
    makers = [(FLOOR, floor), ("tensorgrad", tensorgrad_), ("PyTorch", torch_), ("MyGrad", mygrad_),
              ("micrograd", micrograd_)]
    contenders = [Contender(name, lambda make=make: make(arrays, iterations), scale=1 / iterations)
                  for name, make in makers]
    timings = compare(contenders, repeats=2 if quick else 9)
    section = Section(f"per-op: ((a * b + c).relu() * a).sum() and backward on (2, 2) (time per iteration, "
                      f"{iterations} iterations a round)", TIMING_HEADERS, timing_rows(timings))
    want_out, want_grads = timings[0].results[0]
    for t in timings[1:]:
        out, grads = t.results[0]
        agrees = np.isclose(out, want_out, rtol=1e-12) and all(map(np.allclose, grads, want_grads))
        section.notes.append(f"{t.name}: output and gradients {'= floor' if agrees else '!= floor: MISMATCH'}")
    ratio = median_ratio(timings, "tensorgrad")
    section.target("per-op", f"tensorgrad <= {TARGET}x floor", f"{ratio:.2f}x", ratio <= TARGET)
    ahead_of_peers(section, "per-op", timings)
    ahead = median_ratio(timings, "micrograd") / ratio
    section.target("per-op vs micrograd", f"tensorgrad >= {AHEAD_OF_MICROGRAD}x faster than micrograd",
                   f"{ahead:.2f}x faster", ahead >= AHEAD_OF_MICROGRAD)
    return section
