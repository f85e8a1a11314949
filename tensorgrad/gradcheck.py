"""Check autograd against central finite differences, so students can test ops they write themselves."""
import numpy as np

from .engine import Value, no_grad


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Compare the gradients of `fn(*inputs)` with finite differences; True, or AssertionError saying where.

    The output is first reduced to one number, sum(w * out) with fixed random weights w, so a single
    backward pass checks every output element at once; the numbers reported are derivatives of that sum.
    Inputs are copied to float64 Values; pass Values or arrays.
    """
    values = [Value(np.array(x.data if isinstance(x, Value) else x, dtype=np.float64)) for x in inputs]
    out = fn(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:  # else no gradient reaches any input: autograd says zero everywhere
        out.backward(weights)

    def projected(args):
        with no_grad():
            return float(np.sum(fn(*args).data * weights))

    for k, v in enumerate(values):
        for index in np.ndindex(v.shape):
            original = v.data[index]
            v.data[index] = original + eps
            plus = projected(values)
            v.data[index] = original - eps
            minus = projected(values)
            v.data[index] = original
            numeric, analytic = (plus - minus) / (2 * eps), v.grad[index]
            if not np.isclose(analytic, numeric, atol=atol, rtol=rtol):
                raise AssertionError(f"gradcheck: input {k} at index {index}: d(sum(w * out))/dx is {analytic:.6g} "
                                     f"by autograd but {numeric:.6g} by finite differences")
    return True
