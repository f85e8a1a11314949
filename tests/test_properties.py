"""Property tests: gradients over random broadcastable shapes against PyTorch, gradcheck on random
compositions, and gradcheck itself catching a wrong gradient and saying where."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes, valid_tuple_axes

import tensorgrad as tg
from tensorgrad import Value, ops
from tensorgrad.engine import apply
from torch_ref import check

seeds = st.integers(0, 2**32 - 1)
two_shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3)

def normal(rng, shape):
    return np.asarray(rng.standard_normal(shape))


BINARY = {  # tensorgrad expression, torch's if it differs, and how to keep the right operand safe for it
    "+": (lambda a, b: a + b, None, lambda b: b),
    "-": (lambda a, b: a - b, None, lambda b: b),
    "*": (lambda a, b: a * b, None, lambda b: b),
    "/": (lambda a, b: a / b, None, lambda b: np.sign(b) * (np.abs(b) + 0.5)),
    "**": (lambda a, b: abs(a) ** b, None, lambda b: b),
    "maximum": (tg.maximum, torch.maximum, lambda b: b),
}


@given(shapes=two_shapes, name=st.sampled_from(sorted(BINARY)), seed=seeds)
def test_broadcasting_gradients_match_torch(shapes, name, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    fn, torch_fn, safe = BINARY[name]
    check(fn, normal(rng, sa), safe(normal(rng, sb)), torch_fn=torch_fn, rtol=1e-9, seed=seed)


@given(shapes=mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3), seed=seeds)
def test_matmul_over_random_shapes_matches_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    check(lambda a, b: a @ b, normal(rng, sa), normal(rng, sb), seed=seed)


REDUCE = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin}


@st.composite
def shape_and_axis(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                          valid_tuple_axes(len(shape), min_size=1)))
    return shape, axis


@given(shape_axis=shape_and_axis(), name=st.sampled_from(sorted(REDUCE)), keepdims=st.booleans(), seed=seeds)
def test_reductions_over_random_axes_match_torch(shape_axis, name, keepdims, seed):
    shape, axis = shape_axis
    x = np.random.default_rng(seed).integers(-3, 3, shape).astype(float)  # small integers: ties happen
    dims = tuple(range(len(shape))) if axis is None else axis
    check(lambda v: getattr(v, name)(axis=axis, keepdims=keepdims), x,
          torch_fn=lambda t: REDUCE[name](t, dim=dims, keepdim=keepdims), seed=seed)


@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_integer_array_indexing_scatter_adds_like_torch(shape, data):
    index = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))  # repeats likely
    x = np.random.default_rng(len(index)).standard_normal(shape)
    check(lambda v: v[index], x, torch_fn=lambda t: t[torch.tensor(index)])


STEPS = [  # each takes the running value h and the inputs x, y; all smooth where they are used
    lambda h, x, y: h.tanh(),
    lambda h, x, y: h * x,
    lambda h, x, y: h + y,
    lambda h, x, y: (h * h + 1).log(),
    lambda h, x, y: (h * h + 1).sqrt(),
    lambda h, x, y: h.sigmoid() / (1 + y * y),
    lambda h, x, y: (h * 0.5).exp(),
    lambda h, x, y: h.softmax(),
    lambda h, x, y: h.log_softmax(0),
    lambda h, x, y: h - h.mean(axis=-1, keepdims=True),
    lambda h, x, y: h.sum(axis=0) * 0.3,
    lambda h, x, y: (h ** 2 + x ** 2) ** 0.5,
    lambda h, x, y: tg.stack([h, h * 2], axis=-1).sum(axis=-1),
    lambda h, x, y: tg.where(h.data > 0, h, h * y),
]


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3),
       steps=st.lists(st.sampled_from(range(len(STEPS))), min_size=1, max_size=5), seed=seeds)
def test_gradcheck_on_random_compositions(shapes, steps, seed):
    rng = np.random.default_rng(seed)
    x, y = (normal(rng, s) for s in shapes.input_shapes)

    def composed(x, y):
        h = x * y + x
        for k in steps:
            h = STEPS[k](h, x, y) if h.ndim else h * x  # a step reducing to 0-d leaves no axis for the next
        return h

    assert tg.gradcheck(composed, x, y)


# ---- gradcheck catches what is wrong and says where ---------------------------------------------

def test_gradcheck_reports_input_and_index_of_a_detached_term():
    def half_detached(x, y):  # the first element of y is used through .detach(): its gradient is lost
        y_used = tg.concatenate([y[:1].detach(), y[1:]])
        return x * y_used * y_used

    with pytest.raises(AssertionError, match=r"input 1 at index \(0,\)"):
        tg.gradcheck(half_detached, np.array([1.0, 2.0, 3.0]), np.array([1.5, -0.5, 2.0]))
    assert tg.gradcheck(lambda x, y: x * y * y, np.array([1.0, 2.0, 3.0]), np.array([1.5, -0.5, 2.0]))


def test_gradcheck_reports_a_fully_detached_function():
    with pytest.raises(AssertionError, match=r"input 0 at index \(0,\): d\(sum\(w \* out\)\)/dx is 0 by autograd but -?[0-9][0-9.e+-]* by finite differences"):
        tg.gradcheck(lambda x: x.detach() * 2, np.array([1.0, 2.0]))


def test_gradcheck_catches_a_custom_op_with_a_wrong_derivative():
    wrong_cube = ops.Op("cube", lambda a: a ** 3, (lambda g, out, a: 2 * g * a ** 2,), ("g * 2 * a**2",))
    right_cube = ops.Op("cube", lambda a: a ** 3, (lambda g, out, a: 3 * g * a ** 2,), ("g * 3 * a**2",))
    x = np.array([[0.5, -1.0], [2.0, 1.5]])
    with pytest.raises(AssertionError) as info:
        tg.gradcheck(lambda v: apply(wrong_cube, (v,)), x)
    message = str(info.value)
    assert "input 0 at index (0, 0)" in message and "by autograd but" in message and "finite differences" in message
    assert tg.gradcheck(lambda v: apply(right_cube, (v,)), x)


def test_gradcheck_leaves_its_inputs_alone():
    x = np.array([1.0, 2.0])
    v = Value([3.0, 4.0])
    tg.gradcheck(lambda a, b: a * b, x, v)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert not v.grad.any() and np.array_equal(v.data, [3.0, 4.0])
