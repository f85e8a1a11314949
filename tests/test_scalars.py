"""A single number is held as a numpy scalar (np.float64), not a 0-d array: what that could break.

The user still sees a 0-d tensor (shape, dtype, item(), numpy functions, formatting); `p.data -= ...`
still updates the parameter; arrays handed to `Value()` are still shared; float32 stays float32;
0-d and n-d Values still broadcast; pickling and saving a 0-d parameter still work.
"""
import copy
import pickle

import numpy as np
import pytest
import torch

from bench.scalar import more_ops, sanity_check  # micrograd's test_more_ops and test_sanity_check
from tensorgrad import Value, nn, optim
from tensorgrad.engine import topological_order


def test_a_number_is_held_as_a_numpy_scalar_that_acts_as_a_0d_tensor():
    v = Value(-4.0)
    assert type(v.data) is np.float64
    assert v.data.shape == () and v.data.ndim == 0 and v.data.size == 1 and v.data.dtype == np.float64
    assert v.shape == () and v.item() == -4.0 and float(v) == -4.0 and isinstance(v.item(), float)
    assert np.tanh(v.data) == np.tanh(-4.0) and np.asarray(v).shape == () and np.asarray(v.data).dtype == np.float64
    assert type(Value(3).data) is np.float64 and type(Value(np.float64(2)).data) is np.float64
    assert type(Value([1.0, 2.0]).sum().data) is np.float64  # a reduction to one number, too
    assert type(Value([[1.0, 2.0]])[0, 1].data) is np.float64 and type(Value([1.0]).reshape(()).data) is np.float64


@pytest.mark.parametrize("expression, inputs, want", [
    (sanity_check, (-4.0,), (-20.0, [46.0])),
    (more_ops, (-4.0, 2.0), (24.70408163265306, [138.83381924198252, 645.5772594752187])),
])
def test_micrograd_s_own_expressions_on_numbers_match_torch_and_every_node_holds_a_scalar(expression, inputs, want):
    leaves = [Value(x) for x in inputs]
    out = expression(*leaves)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    expected = expression(*tensors)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12) == pytest.approx(want[0], rel=1e-12)
    for v, t, g in zip(leaves, tensors, want[1]):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-12) == pytest.approx(g, rel=1e-12)
    nodes = topological_order(out)
    assert len(nodes) > 10 and all(type(n.data) is np.float64 and type(n.grad) is np.float64 for n in nodes)


def test_0d_and_nd_values_broadcast_both_ways_as_in_torch():
    s, w = Value(2.0), Value([1.0, -2.0, 3.0])
    out = ((s * w + s) * s.relu() - w / s).sum() * s
    out.backward()
    ts = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    expected = ((ts * tw + ts) * ts.relu() - tw / ts).sum() * ts
    expected.backward()
    assert out.shape == () and out.item() == pytest.approx(expected.item(), rel=1e-12)
    assert s.grad.shape == () and s.grad == pytest.approx(ts.grad.item(), rel=1e-12)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


def test_backward_steps_on_numbers_leave_the_same_gradients_as_backward():
    a, b = Value(-4.0), Value(2.0)
    more_ops(a, b).backward()
    c, d = Value(-4.0), Value(2.0)
    steps = list(more_ops(c, d).backward_steps())
    assert (c.grad, d.grad) == (a.grad, b.grad)
    assert all(con.grad.shape == () and con.note == "" for step in steps for con in step.contributions)


def test_p_data_minus_equals_updates_a_0d_parameter_where_the_user_holds_it():
    p = Value(1.5)
    params = [p]
    (p * p * 3).backward()  # d/dp = 6p = 9
    for q in params:
        q.data -= 0.1 * q.grad
    assert params[0] is p and p.data == pytest.approx(1.5 - 0.9) and type(p.data) is np.float64
    p.data += 1
    p.data *= 2
    assert p.item() == pytest.approx(2 * (0.6 + 1))


def test_optimisers_step_0d_parameters():
    neuron = nn.Neuron(2)
    before = float(neuron.b)
    optimizer = optim.SGD(neuron.parameters(), lr=0.5)
    out = neuron(np.array([1.0, 2.0]))
    (out * 0 + neuron.b * 4).backward()  # d/db = 4 (plus 0 from the relu branch when it is off)
    optimizer.step()
    assert type(neuron.b.data) is np.float64 and neuron.b.item() != before


def test_an_array_handed_to_value_stays_shared_0d_included():
    w = np.array([1.0, 2.0])
    v = Value(w)
    assert v.data is w
    v.data -= 1.0
    np.testing.assert_array_equal(w, [0.0, 1.0])  # in place: the caller's array moved too
    a0 = np.array(3.0)
    s = Value(a0)
    assert s.data is a0
    s.data -= 1.0
    assert a0 == 2.0
    s.data[...] = 5.0  # a 0-d array handed over can still be written into
    assert s.item() == 5.0
    (s * s).backward()
    assert s.grad == 10.0


def test_float32_numbers_stay_float32_and_mix_with_float64_as_numpy_does():
    x = Value(np.float32(2.0))
    assert type(x.data) is np.float32
    y = (x * 3 + 1.5) ** 2 / 2.0 - x.tanh() + x.relu()
    assert type(y.data) is np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    assert Value(np.float32(1.0), dtype=np.float32).dtype == np.float32
    mixed = x * Value(2.0)
    assert type(mixed.data) is np.float64
    mixed.backward()
    assert x.grad.dtype == np.float32  # a gradient takes its Value's dtype
    assert (Value(np.float32(1.0)) * Value(np.ones(2, np.float32))).dtype == np.float32


def test_a_0d_parameter_pickles_copies_and_saves(tmp_path):
    p = Value(-4.0, label="b")
    (p * p).backward()
    back = pickle.loads(pickle.dumps(p))
    assert type(back.data) is np.float64 and back.item() == -4.0 and back.label == "b" and back.grad == -8.0
    assert copy.deepcopy(p).item() == -4.0
    neuron = nn.Neuron(3)
    neuron.b.data += 0.25
    neuron.save(tmp_path / "n.npz")
    other = nn.Neuron(3)
    other.load(tmp_path / "n.npz")
    assert type(other.b.data) is np.float64 and other.b.item() == 0.25
    np.testing.assert_array_equal(other.w.data, neuron.w.data)


def test_numbers_print_as_before():
    v = Value(-4.0)
    assert repr(v) == "Value(data=-4.0, grad=0.0)"
    (v * v).backward()
    assert repr(v) == "Value(data=-4.0, grad=-8.0)"
    assert f"{v:.3f}" == "-4.000" and f"{v.data:.2f}" == "-4.00" and str(v.data) == "-4.0"


def test_assigning_a_gradient_of_the_right_shape_or_a_wrong_one():
    w = Value([1.0, 2.0])
    w.grad = np.zeros_like(w.data)
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])
    w.grad = np.array([1.0, 2.0])
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [4.0, 5.0])
    with pytest.raises(ValueError, match=r"grad of shape \(3,\) does not fit a Value of shape \(2,\)"):
        w.grad = np.zeros(3)
