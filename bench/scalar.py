"""scalar: micrograd's own test expressions on single numbers (0-d Values), forward and backward.

The two expressions of micrograd's test suite, `test_sanity_check` (x = -4) and `test_more_ops`
(a = -4, b = 2), as the lecture writes them: operators and relu on scalar Values, numbers mixed in,
`+=` rebinding names (relu is `v.relu()`, or the library's relu function for PyTorch and MyGrad).
This is micrograd's home ground — every number is a Python float — and what a student running the
lecture's scalar code on tensorgrad waits for. The floor is the same arithmetic on Python floats,
with the chain rule done by hand.
"""
import numpy as np

from .harness import FLOOR, TIMING_HEADERS, Contender, Section, ahead_of_peers, compare, head_to_head, timing_rows


def _relu(v):
    return v.relu()


def sanity_check(x, relu=_relu):
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


def more_ops(a, b, relu=_relu):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def floor_sanity(x):
    """sanity_check and dy/dx on floats; the backward pass written out node by node."""
    z = 3 * x + 2
    q = max(z, 0.0) + z * x
    h = max(z * z, 0.0)
    y = h + q + q * x
    gq = 1 + x  # y = h + q + q*x
    gz = 2 * z * (z * z > 0) + gq * ((z > 0) + x)  # through h = relu(z*z) and q = relu(z) + z*x
    return y, [q + gq * z + 3 * gz]  # x feeds y, q and z = 3x + 2


def floor_more(a, b):
    """more_ops and dg/da, dg/db on floats; the backward pass written out node by node."""
    c = a + b
    d = a * b + b**3
    c2 = 2 * c + 1
    c3 = 2 * c2 + 1 - a
    d2 = 3 * d + max(b + a, 0.0)
    d3 = 4 * d2 + max(b - a, 0.0)
    e = c3 - d3
    f = e**2
    g = f / 2.0 + 10.0 / f
    ge = (0.5 - 10.0 / f**2) * 2 * e
    gd2, gc2 = -4 * ge, 2 * ge
    gd, gc = 3 * gd2, 2 * gc2
    up, down = float(b + a > 0), float(b - a > 0)
    ga = ge * down - ge + gd2 * up + gc + gd * b  # through relu(b - a), -a in c3, relu(b + a), c, a*b
    gb = -ge * down + gd2 * up + gc + gd * (a + 3 * b**2)
    return g, [ga, gb]


INPUTS = {"sanity": (-4.0,), "more": (-4.0, 2.0)}


def floor(iterations):
    def run():
        for _ in range(iterations):
            y, gx = floor_sanity(*INPUTS["sanity"])
            g, gab = floor_more(*INPUTS["more"])
        return [y, g], gx + gab
    return run


def _graph_loop(make_leaf, iterations, relu=_relu, number=float, grad=float):
    """Fresh leaves, both expressions, backward, and the gradients read back as floats."""
    def run():
        for _ in range(iterations):
            x = make_leaf(INPUTS["sanity"][0])
            y = sanity_check(x, relu)
            y.backward()
            a, b = (make_leaf(v) for v in INPUTS["more"])
            g = more_ops(a, b, relu)
            g.backward()
        return [number(y), number(g)], [grad(x.grad), grad(a.grad), grad(b.grad)]
    return run


def tensorgrad_(iterations):
    from tensorgrad import Value
    return _graph_loop(Value, iterations)


def micrograd_(iterations):
    from micrograd.engine import Value
    return _graph_loop(Value, iterations, number=lambda v: v.data)


def torch_(iterations):
    import torch

    def leaf(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)
    return _graph_loop(leaf, iterations, torch.relu, number=lambda v: v.detach().item())


def mygrad_(iterations):
    import mygrad as mg
    return _graph_loop(mg.tensor, iterations, mg.nnet.relu)


def run(quick=False):
    iterations = 100 if quick else 1000
    makers = [(FLOOR, floor), ("tensorgrad", tensorgrad_), ("micrograd", micrograd_), ("PyTorch", torch_),
              ("MyGrad", mygrad_)]
    contenders = [Contender(name, lambda make=make: make(iterations), scale=1 / iterations) for name, make in makers]
    timings = compare(contenders, repeats=2 if quick else 9)
    section = Section(f"scalar: micrograd's test_sanity_check and test_more_ops on 0-d Values, forward and "
                      f"backward (time per pair of expressions, {iterations} pairs a round)", TIMING_HEADERS,
                      timing_rows(timings))
    want_out, want_grads = timings[0].results[0]
    for t in timings[1:]:
        out, grads = t.results[0]
        agrees = np.allclose(out, want_out, rtol=1e-12) and np.allclose(grads, want_grads, rtol=1e-12)
        section.notes.append(f"{t.name}: outputs and gradients {'= floor' if agrees else '!= floor: MISMATCH'}")
    ratio = head_to_head(timings, "tensorgrad", "micrograd")
    section.notes.append(f"tensorgrad takes {ratio:.2f}x micrograd's time (the median of their ratios round by "
                         "round)")
    section.target("scalar", "tensorgrad no slower than micrograd", f"{ratio:.2f}x micrograd", ratio <= 1.0)
    ahead_of_peers(section, "scalar", timings)
    return section
