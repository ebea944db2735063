"""Forward behaviour of every ``tinytorch.core.tensor.Tensor`` operation against NumPy.

Values are compared with the float64 NumPy oracle (``oracle.py``);
hypothesis generates shapes, including broadcasting pairs, axes and
``keepdims``. Gradients live in ``test_autograd.py``.
"""

from __future__ import annotations

import operator

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import F32, F32_ACCUMULATED, FAST, assert_close

from tinytorch.core.tensor import ShapeError, Tensor, TinyTorchError, from_numpy

FINITE = st.floats(-10, 10, width=32, allow_nan=False, allow_infinity=False)
POSITIVE = st.floats(0.125, 10, width=32)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


def float_arrays(shape, elements=FINITE):
    return hnp.arrays(np.float32, shape, elements=elements)


# --- construction and the dtype rule ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "dtype", "expected"),
    [
        (1.5, None, np.float32),
        ([1.0, 2.0], None, np.float32),
        (np.zeros(3), None, np.float32),
        (np.zeros(3, np.float16), None, np.float32),
        (3, None, np.int64),
        ([[1, 2], [3, 4]], None, np.int64),
        (np.arange(3, dtype=np.int32), None, np.int32),
        (np.arange(3, dtype=np.uint8), None, np.uint8),
        ([True, False], None, np.bool_),
        ([1, 2], np.float64, np.float64),
        ([1.5], "float64", np.float64),
        (np.zeros(2), np.float64, np.float64),
        ([1.7, 2.2], np.int64, np.int64),
    ],
)
def test_dtype_rule(data, dtype, expected):
    t = Tensor(data, dtype=dtype)
    assert isinstance(t.data, np.ndarray)
    assert t.dtype == expected
    np.testing.assert_array_equal(t.data, np.asarray(data).astype(expected))


def test_wrapping_does_not_copy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = Tensor(a)
    assert t.data is a
    assert Tensor(t).data is a
    assert Tensor(a, dtype=np.float32).data is a
    i = np.arange(3, dtype=np.int32)
    assert Tensor(i).data is i
    assert t.numpy() is a
    assert from_numpy(a).data is a


def test_from_numpy_keeps_dtype_and_turns_scalars_into_arrays():
    assert from_numpy(np.zeros(2, np.float64)).dtype == np.float64
    scalar = from_numpy(np.float32(2.5))
    assert isinstance(scalar.data, np.ndarray) and scalar.shape == () and scalar.item() == 2.5


@pytest.mark.parametrize("bad", [["a", "b"], [1 + 2j], None, [object()]])
def test_non_numeric_data_is_rejected(bad):
    with pytest.raises(TypeError, match="dtype="):
        Tensor(bad)


def test_requires_grad_needs_floats():
    assert Tensor([1.0], requires_grad=True).requires_grad is True
    with pytest.raises(TypeError, match="floating"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating"):
        Tensor([1, 2]).requires_grad_()
    t = Tensor([1.0]).requires_grad_()
    assert t.requires_grad and t.grad is None and t.grad_fn is None and t.is_leaf


def test_properties_and_conversions():
    t = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dtype == np.float32
    assert t.size() == (2, 3, 4) and t.size(0) == 2 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2
    assert t.tolist() == np.arange(24).reshape(2, 3, 4).tolist()
    assert np.asarray(t) is t.data
    assert np.array(t, copy=True) is not t.data
    assert Tensor([[3.5]]).item() == 3.5 and type(Tensor([[3.5]]).item()) is float
    with pytest.raises(ValueError, match="exactly one element"):
        t.item()
    with pytest.raises(TypeError):
        len(Tensor(1.0))
    with pytest.raises(TypeError):
        iter(Tensor(1.0))
    assert [row.shape for row in t] == [(3, 4), (3, 4)]
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(ValueError):
        bool(Tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    ("tensor", "text"),
    [
        (Tensor([1.0, 2.0]), "tensor([1., 2.])"),
        (Tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
        (Tensor(3.0), "tensor(3.)"),
        (Tensor([1, 2]), "tensor([1, 2])"),
        (Tensor([1.0], dtype=np.float64), "tensor([1.], dtype=float64)"),
        (Tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    ],
)
def test_repr_like_pytorch(tensor, text):
    assert repr(tensor) == text


def test_tensors_are_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    table = {a: 1, b: 2}
    assert table[a] == 1 and table[b] == 2 and len({a, b, a}) == 2


def test_error_hierarchy():
    assert issubclass(ShapeError, TinyTorchError) and issubclass(ShapeError, ValueError)


# --- element-wise binary operations with broadcasting ----------------------------------

BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
}
COMPARE = {
    "gt": operator.gt,
    "lt": operator.lt,
    "ge": operator.ge,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}


@st.composite
def broadcasting_pairs(draw, right=FINITE):
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
    )
    left_shape, right_shape = shapes.input_shapes
    a = draw(float_arrays(left_shape))
    b = draw(float_arrays(right_shape, right))
    return a, b


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(pair=broadcasting_pairs(right=POSITIVE))
def test_binary_ops_broadcast_like_numpy(name, pair):
    a, b = pair
    op = BINARY[name]
    expected = op(a.astype(np.float64), b.astype(np.float64))
    for left, right, how in [
        (Tensor(a), Tensor(b), "Tensor op Tensor"),
        (Tensor(a), b, "Tensor op ndarray"),
        (a, Tensor(b), "ndarray op Tensor"),
    ]:
        out = op(left, right)
        assert isinstance(out, Tensor), how
        assert out.shape == expected.shape and out.dtype == np.float32, (how, out.shape, out.dtype)
        assert_close(out, expected, F32, f"{name}: {how}")
    np.testing.assert_array_equal(Tensor(a).data, a)  # inputs untouched


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("scalar", [2, 0.5, -3.25, True])
def test_binary_ops_with_python_numbers_on_either_side(name, scalar):
    op = BINARY[name]
    x = np.array([[0.5, -1.5, 2.0], [3.0, 4.5, -6.0]], dtype=np.float32)
    for out, expected in [
        (op(Tensor(x), scalar), op(x.astype(np.float64), float(scalar))),
        (op(scalar, Tensor(x)), op(float(scalar), x.astype(np.float64))),
    ]:
        assert out.dtype == np.float32, "a Python number must not change a float32 tensor's dtype"
        assert_close(out, expected, F32, name)


def test_numpy_scalars_follow_the_dtype_rule():
    x = Tensor([1.0, 2.0])
    assert (x * np.float64(2.0)).dtype == np.float32
    assert (np.float64(2.0) * x).dtype == np.float32
    assert (x + np.ones(2)).dtype == np.float32
    assert (Tensor([1.0], dtype=np.float64) + 1.0).dtype == np.float64
    assert (Tensor([1, 2]) * 3).dtype == np.int64


def test_unary_negation_and_power():
    x = np.array([[0.5, 1.5], [2.0, 3.0]], dtype=np.float32)
    assert_close(-Tensor(x), -x)
    for exponent in (2, 3, 0.5, -1, -0.5, 0):
        out = Tensor(x) ** exponent
        assert out.dtype == np.float32
        assert_close(out, x.astype(np.float64) ** exponent, F32, f"x ** {exponent}")
    with pytest.raises(TypeError, match="number exponent"):
        Tensor(x) ** Tensor(2.0)


@pytest.mark.parametrize("name", COMPARE)
@FAST
@given(pair=broadcasting_pairs())
def test_comparisons_return_bool_tensors(name, pair):
    a, b = pair
    op = COMPARE[name]
    out = op(Tensor(a), Tensor(b))
    assert isinstance(out, Tensor) and out.dtype == np.bool_
    np.testing.assert_array_equal(out.data, op(a, b))
    np.testing.assert_array_equal(op(Tensor(a), 0.0).data, op(a, 0.0))


# --- matmul ------------------------------------------------------------------------


@st.composite
def matmul_operands(draw):
    m, k, n = (draw(st.integers(1, 5)) for _ in range(3))
    batch = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    )
    left_1d, right_1d = draw(st.booleans()), draw(st.booleans())
    left = (k,) if left_1d else (*batch.input_shapes[0], m, k)
    right = (k,) if right_1d else (*batch.input_shapes[1], k, n)
    return draw(float_arrays(left)), draw(float_arrays(right))


@FAST
@given(operands=matmul_operands())
def test_matmul_like_numpy(operands):
    a, b = operands
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    for out in (Tensor(a) @ Tensor(b), Tensor(a).matmul(Tensor(b)), a @ Tensor(b), Tensor(a) @ b):
        assert out.shape == expected.shape and out.dtype == np.float32
        assert_close(out, expected, F32_ACCUMULATED)


@pytest.mark.parametrize(
    ("left", "right"), [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5, 2, 3), (4, 1))]
)
def test_matmul_shape_mismatch_names_both_shapes(left, right):
    with pytest.raises(ShapeError, match="inner dimensions") as info:
        Tensor(np.ones(left)) @ Tensor(np.ones(right))
    assert str(left) in str(info.value) and str(right) in str(info.value)


def test_matmul_batch_mismatch_is_a_shape_error():
    with pytest.raises(ShapeError, match="batch dimensions"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))


def test_matmul_of_a_scalar_is_a_shape_error():
    with pytest.raises(ShapeError):
        Tensor(2.0) @ Tensor(np.ones((2, 2)))
    with pytest.raises(ShapeError):
        Tensor(np.ones((2, 2))) @ 2.0


# --- shape operations --------------------------------------------------------------


@st.composite
def reshapes(draw):
    shape = draw(SHAPES)
    size = int(np.prod(shape))
    factors = []
    rest = size
    while rest > 1 and len(factors) < 3:
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        factors.append(d)
        rest //= d
    factors.append(rest)
    if draw(st.booleans()):
        factors[draw(st.integers(0, len(factors) - 1))] = -1
    return draw(float_arrays(shape)), tuple(factors)


@FAST
@given(case=reshapes())
def test_reshape_like_numpy_and_a_view(case):
    a, new_shape = case
    expected = a.reshape(new_shape)
    for out in (
        Tensor(a).reshape(*new_shape),
        Tensor(a).reshape(new_shape),
        Tensor(a).reshape(list(new_shape)),
    ):
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out.data, expected)
        assert np.shares_memory(out.data, a) or a.size == 0


def test_reshape_error():
    with pytest.raises(ShapeError, match="6 elements"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


@st.composite
def transposes(draw):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, max_side=4))
    dims = st.integers(-len(shape), len(shape) - 1)
    return draw(float_arrays(shape)), draw(dims), draw(dims)


@FAST
@given(case=transposes())
def test_transpose_like_numpy_and_a_view(case):
    a, d0, d1 = case
    out = Tensor(a).transpose(d0, d1)
    np.testing.assert_array_equal(out.data, np.swapaxes(a, d0, d1))
    assert np.shares_memory(out.data, a)
    np.testing.assert_array_equal(Tensor(a).transpose().data, np.swapaxes(a, -2, -1))
    np.testing.assert_array_equal(Tensor(a).T.data, np.swapaxes(a, -2, -1))


def test_T_below_two_dimensions_is_the_tensor_itself():
    v = Tensor([1.0, 2.0])
    assert v.T is v


# --- reductions ----------------------------------------------------------------------


@st.composite
def reductions(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, max_side=4))
    a = draw(float_arrays(shape))
    axis = draw(
        st.none()
        | hnp.valid_tuple_axes(len(shape), min_size=1)
        | st.integers(-len(shape), len(shape) - 1)
        if shape
        else st.none()
    )
    if isinstance(axis, tuple) and len(axis) == 1 and draw(st.booleans()):
        axis = axis[0]
    return a, axis, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@FAST
@given(case=reductions())
def test_reductions_like_numpy(name, case):
    a, axis, keepdims = case
    expected = getattr(a.astype(np.float64), name)(axis=axis, keepdims=keepdims)
    out = getattr(Tensor(a), name)(axis=axis, keepdims=keepdims)
    assert isinstance(out.data, np.ndarray)
    assert out.shape == np.shape(expected) and out.dtype == np.float32
    assert_close(out, expected, F32_ACCUMULATED, f"{name}(axis={axis}, keepdims={keepdims})")


def test_reductions_take_axis_positionally_and_keep_integer_sums():
    x = Tensor([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(x.sum(0).data, [5, 7, 9])
    assert x.sum().item() == 21 and x.sum().dtype == np.int64
    assert Tensor([True, True, False]).sum().item() == 2


# --- element-wise math -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "function"), [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt)]
)
@FAST
@given(a=float_arrays(SHAPES, POSITIVE))
def test_elementwise_math_like_numpy(name, function, a):
    out = getattr(Tensor(a), name)()
    assert out.shape == a.shape and out.dtype == np.float32
    assert_close(out, function(a.astype(np.float64)), F32, name)


# --- indexing ----------------------------------------------------------------------


@st.composite
def basic_indexing(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=5))
    return draw(float_arrays(shape)), draw(hnp.basic_indices(shape, allow_newaxis=True))


@FAST
@given(case=basic_indexing())
def test_basic_indexing_is_a_view_like_numpy(case):
    a, index = case
    out = Tensor(a)[index]
    expected = a[index]
    assert isinstance(out.data, np.ndarray)
    np.testing.assert_array_equal(out.data, expected)
    if isinstance(expected, np.ndarray) and expected.size:
        assert np.shares_memory(out.data, a)


@st.composite
def integer_indexing(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    a = draw(float_arrays(shape))
    index = draw(
        hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
        )
    )
    return a, index


@FAST
@given(case=integer_indexing())
def test_integer_array_indexing_like_numpy(case):
    a, index = case
    np.testing.assert_array_equal(Tensor(a)[index].data, a[index])
    as_tensors = tuple(Tensor(i) for i in index)
    np.testing.assert_array_equal(Tensor(a)[as_tensors].data, a[index])


def test_mask_and_tensor_indices():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = Tensor(x)
    np.testing.assert_array_equal(t[t > 5].data, x[x > 5])
    np.testing.assert_array_equal(t[Tensor([2, 0])].data, x[[2, 0]])
    labels = np.array([3, 0, 1])
    np.testing.assert_array_equal(t[np.arange(3), labels].data, x[np.arange(3), labels])


# --- dtypes flow through every operation ---------------------------------------------


def test_float64_tensors_stay_float64_through_every_operation():
    x = Tensor(np.linspace(0.5, 2.0, 6).reshape(2, 3), dtype=np.float64)
    w = Tensor(np.ones((3, 2)), dtype=np.float64)
    results = [
        x + 1,
        1 - x,
        x * 2.5,
        x / 3,
        -x,
        x**2,
        x @ w,
        x.reshape(3, 2),
        x.T,
        x.transpose(0, 1),
        x.sum(),
        x.mean(axis=0),
        x.max(axis=1),
        x.exp(),
        x.log(),
        x.sqrt(),
        x[0],
        x[[1, 0]],
    ]
    assert all(r.dtype == np.float64 for r in results), [r.dtype for r in results]
