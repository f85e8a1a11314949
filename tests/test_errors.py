"""Every bad input gets a clear error that says what was wrong, raised by the line that did it."""
import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import Value


# ---- what a Value can hold ------------------------------------------------------------------------

@pytest.mark.parametrize("data, error, words", [
    ([[1.0, 2.0], [3.0]], ValueError, ["rectangular", "[[1.0, 2.0], [3.0]]"]),
    ([1.0, [2.0, 3.0]], ValueError, ["rectangular"]),
    ("abc", TypeError, ["strings", "'abc'"]),
    (["1", "2"], TypeError, ["strings"]),
    (b"ab", TypeError, ["bytes"]),
    (1 + 2j, TypeError, ["complex"]),
    (np.array([1 + 0j, 2]), TypeError, ["complex"]),
    ([1.0, None], TypeError, ["Python objects"]),
    (None, TypeError, ["Python objects"]),
    ({"a": 1.0}, TypeError, ["Python objects"]),
    (np.array([1.0, 2.0], dtype=object), TypeError, ["Python objects"]),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, ["datetime64"]),
    ([Value(1.0), Value(2.0)], TypeError, ["stack"]),
    ([[Value(1.0)], [2.0]], TypeError, ["stack"]),
])
def test_bad_data(data, error, words):
    with pytest.raises(error) as info:
        Value(data)
    for word in words:
        assert word in str(info.value)
    assert "Value()" in str(info.value)


@pytest.mark.parametrize("other", ["a", None, 1j, [1.0, [2.0]], object()])
def test_bad_operand_in_arithmetic(other):
    v = Value([1.0, 2.0])
    for expression in (lambda: v + other, lambda: other * v, lambda: v ** other):
        with pytest.raises((TypeError, ValueError), match=r"Value\(\)"):
            expression()


# ---- shapes ---------------------------------------------------------------------------------------

BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
          "pow": lambda a, b: a ** b, "maximum": tg.maximum}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa, sb", [((2, 3), (4,)), ((2, 3), (3, 2)), ((3,), (2, 1, 2))])
def test_broadcast_mismatch_names_both_shapes(name, sa, sb):
    a, b = Value(np.ones(sa)), Value(np.ones(sb))
    with pytest.raises(ValueError) as info:
        BINARY[name](a, b)
    message = str(info.value)
    assert str(sa) in message and str(sb) in message and "broadcast" in message
    assert message.startswith(name)
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no numpy traceback on top


def test_broadcast_mismatch_with_a_numpy_array_on_the_left():
    with pytest.raises(ValueError, match=r"\(4,\) and \(2, 3\)"):
        np.ones(4) + Value(np.ones((2, 3)))


def test_where_mismatch_names_all_shapes():
    with pytest.raises(ValueError, match=r"where: shapes \(4,\) \(cond\), \(2, 3\) and \(3,\)"):
        tg.where(np.ones(4, bool), Value(np.ones((2, 3))), Value(np.ones(3)))


@pytest.mark.parametrize("sa, sb, inner", [
    ((2, 3), (2, 3), "(3 and 2)"), ((3,), (4,), "(3 and 4)"), ((2, 3), (4,), "(3 and 4)"),
    ((5, 2, 3), (5, 4, 2), "(3 and 4)"), ((2, 2, 3), (3, 3, 4), "batch dimensions (2,) and (3,)"),
])
def test_matmul_mismatch(sa, sb, inner):
    with pytest.raises(ValueError) as info:
        Value(np.ones(sa)) @ Value(np.ones(sb))
    message = str(info.value)
    assert message.startswith(f"matmul: {sa} @ {sb}") and inner in message


@pytest.mark.parametrize("sa, sb", [((), (3,)), ((3,), ())])
def test_matmul_of_a_number(sa, sb):
    with pytest.raises(ValueError, match=r"matmul: .*\(use \*"):
        Value(np.ones(sa)) @ Value(np.ones(sb))


def test_matmul_with_numpy_on_the_left_names_shapes():
    with pytest.raises(ValueError, match=r"matmul: \(2, 3\) @ \(2, 3\)"):
        np.ones((2, 3)) @ Value(np.ones((2, 3)))


# ---- axes -----------------------------------------------------------------------------------------

V23 = Value(np.ones((2, 3)))


@pytest.mark.parametrize("call, error, words", [
    (lambda: V23.sum(axis=2), ValueError, ["sum", "axis 2", "2 dimension"]),
    (lambda: V23.mean(axis=-3), ValueError, ["mean", "axis -3"]),
    (lambda: V23.max(axis=(0, 0)), ValueError, ["max", "repeated"]),
    (lambda: V23.min(axis=(0, -2)), ValueError, ["min", "repeated"]),
    (lambda: V23.sum(axis=1.0), TypeError, ["sum", "int"]),
    (lambda: V23.sum(axis="0"), TypeError, ["int"]),
    (lambda: V23.sum(axis=True), TypeError, ["int"]),
    (lambda: V23.softmax(axis=2), ValueError, ["softmax", "axis 2"]),
    (lambda: V23.log_softmax(axis=-3), ValueError, ["log_softmax", "axis -3"]),
    (lambda: Value(1.0).softmax(), ValueError, ["softmax", "0 dimension"]),
    (lambda: tg.stack([V23, V23], axis=3), ValueError, ["stack", "axis 3"]),
    (lambda: tg.concatenate([V23, V23], axis=2), ValueError, ["concatenate", "axis 2"]),
    (lambda: Value(np.ones((0, 3))).max(), ValueError, ["max", "empty", "(0, 3)"]),
])
def test_bad_axis(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("shape", [(4,), (4, -1), (-1, -1), (2, 2, 2), ("a",)])
def test_bad_reshape_names_both_shapes(shape):
    with pytest.raises(ValueError) as info:
        V23.reshape(*shape)
    message = str(info.value)
    assert "reshape" in message and "(2, 3)" in message and str(shape) in message


@pytest.mark.parametrize("axes, error", [((0, 0), ValueError), ((0,), ValueError), ((0, 1, 2), ValueError),
                                         ((0, 2), ValueError), ((0, "1"), TypeError)])
def test_bad_transpose(axes, error):
    with pytest.raises(error, match="transpose"):
        V23.transpose(*axes)


@pytest.mark.parametrize("index", [5, (0, 3), (0, 0, 0), "a", [0, 7], np.array([True, False, True]), 1.5])
def test_bad_index_names_shape_and_index(index):
    with pytest.raises(IndexError) as info:
        V23[index]
    assert "(2, 3)" in str(info.value)


def test_stack_and_concatenate_mismatches():
    with pytest.raises(ValueError, match=r"stack: .*\(2, 3\), \(3,\)"):
        tg.stack([V23, Value(np.ones(3))])
    with pytest.raises(ValueError, match=r"concatenate: shapes \[\(2, 3\), \(3, 3\)\] differ off axis 1"):
        tg.concatenate([V23, Value(np.ones((3, 3)))], axis=1)
    with pytest.raises(ValueError, match="concatenate"):
        tg.concatenate([V23, Value(np.ones(3))])
    with pytest.raises(ValueError, match="0-d"):
        tg.concatenate([Value(1.0), Value(2.0)])
    for bad in ([], V23, 3.0):
        with pytest.raises(TypeError, match="list of Values"):
            tg.stack(bad)


# ---- scalars and backward -----------------------------------------------------------------------

@pytest.mark.parametrize("grad", [np.ones(3), np.ones((1, 2)), [[1.0], [2.0]]])
def test_assigning_a_grad_of_another_shape_names_both_shapes(grad):
    p = Value([1.0, 2.0])
    with pytest.raises(ValueError) as info:
        p.grad = grad
    message = str(info.value)
    assert str(np.shape(grad)) in message and "(2,)" in message and "remapped" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    p.grad = [3.0]  # what broadcasts to the shape is still fine
    np.testing.assert_array_equal(p.grad, [3.0, 3.0])


def test_item_on_a_non_scalar():
    with pytest.raises(ValueError, match=r"item\(\).*\(2, 3\)"):
        V23.item()
    with pytest.raises(ValueError, match="one element"):
        float(Value([1.0, 2.0]))


def test_len_of_a_number():
    with pytest.raises(TypeError, match="0-d"):
        len(Value(1.0))


def test_backward_on_a_value_without_gradient():
    with tg.no_grad():
        y = Value([1.0, 2.0]) * 2
    with pytest.raises(ValueError, match="no_grad"):
        y.backward()
    with pytest.raises(ValueError, match="requires_grad=False"):
        Value(1.0, requires_grad=False).backward()
    with pytest.raises(ValueError):
        next(Value(1.0, requires_grad=False).backward_steps())


def test_gradcheck_needs_a_value_back():
    with pytest.raises(TypeError, match="must return a Value"):
        tg.gradcheck(lambda x: x.data.sum(), np.ones(2))
