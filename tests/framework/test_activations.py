"""tinytorch.core.activations (Module 02) against float64 NumPy oracles.

Forward only: values, shapes and dtypes for generated inputs, stability at
extreme inputs (``filterwarnings = error`` turns any overflow warning into a
failure), and the contract Module 05 relies on: ``__call__`` goes through
``forward``.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import F32, FAST, NUMPY, Tolerance, assert_close

from tinytorch.core.activations import GELU, Activation, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.tensor import Tensor

ELEMENTWISE = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "gelu_tanh": GELU,
}


def float32_arrays(min_dims: int = 0, bound: float = 30.0, **kwargs):
    """float32 arrays of up to 4 dimensions with finite values in [-bound, bound]."""
    return hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=1, max_side=6),
        elements=st.floats(-float(np.float32(bound)), float(np.float32(bound)), width=32, **kwargs),
    )


def any_float32_arrays(min_dims: int = 0):
    """float32 arrays with any finite value, down to +-3.4e38."""
    return hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=5),
        elements=st.floats(allow_nan=False, allow_infinity=False, width=32),
    )


def stable_sigmoid64(x: np.ndarray) -> np.ndarray:
    """float64 sigmoid without overflow for any input: 1 / (1 + e^-x) = exp(-log(1 + e^-x))."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


# --- element-wise activations ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@FAST
@given(data=float32_arrays())
def test_elementwise_forward_matches_float64_oracle(name, data):
    out = ELEMENTWISE[name]()(Tensor(data))
    assert isinstance(out, Tensor)
    assert out.shape == data.shape
    assert out.dtype == np.float32
    assert_close(out, NUMPY[name](data.astype(np.float64)), F32, f"{name} on {data.shape}")


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh, GELU, Softmax])
def test_forward_returns_new_tensor_and_leaves_input_alone(cls):
    data = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    x = Tensor(data.copy())
    out = cls()(x)
    assert out is not x
    assert not np.shares_memory(out.data, x.data), f"{cls.__name__} output aliases its input"
    np.testing.assert_array_equal(x.data, data)


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, GELU, Softmax])
def test_dtype_policy_float64_kept_integers_become_float32(cls):
    x64 = Tensor(np.linspace(-2, 2, 6), dtype=np.float64)
    assert cls()(x64).dtype == np.float64, "float64 inputs (gradient checks) must stay float64"
    for ints in (Tensor([[-2, 0, 3]]), Tensor(np.array([[1, 2, 3]], dtype=np.int32))):
        out = cls()(ints)
        assert out.dtype == np.float32
        reference = cls()(Tensor(ints.data.astype(np.float32)))
        np.testing.assert_array_equal(out.data, reference.data)


def test_relu_keeps_integer_and_float64_dtypes():
    assert ReLU()(Tensor([-2, 0, 3])).dtype == np.int64
    np.testing.assert_array_equal(ReLU()(Tensor([-2, 0, 3])).data, [0, 0, 3])
    assert ReLU()(Tensor([-1.5, 2.0], dtype=np.float64)).dtype == np.float64


def test_relu_exact_values_and_nan_propagation():
    out = ReLU()(Tensor([-1e30, -0.0, 0.0, 1e-30, 3e38]))
    np.testing.assert_array_equal(out.data, np.array([0, 0, 0, 1e-30, 3e38], dtype=np.float32))
    assert np.isnan(ReLU()(Tensor([np.nan])).data[0]), "ReLU must not hide NaNs (PyTorch keeps them)"


@FAST
@given(data=any_float32_arrays())
def test_sigmoid_is_stable_for_any_finite_input(data):
    out = Sigmoid()(Tensor(data))  # an overflow warning would fail the test
    assert np.all((out.data >= 0) & (out.data <= 1))
    assert_close(out, stable_sigmoid64(data), Tolerance(rtol=1e-6, atol=1e-7))


def test_sigmoid_keeps_relative_precision_for_negative_inputs():
    x = np.array([-10.0, -20.0, -50.0, -80.0], dtype=np.float32)
    out = Sigmoid()(Tensor(x)).data
    np.testing.assert_allclose(out, stable_sigmoid64(x), rtol=1e-5)
    assert Sigmoid()(Tensor([0.0])).data[0] == 0.5


def test_sigmoid_saturates_exactly():
    out = Sigmoid()(Tensor([-3e38, -1000.0, 1000.0, 3e38])).data
    np.testing.assert_array_equal(out, [0.0, 0.0, 1.0, 1.0])


@FAST
@given(data=any_float32_arrays())
def test_tanh_is_stable_and_odd(data):
    out = Tanh()(Tensor(data)).data
    assert_close(out, np.tanh(data.astype(np.float64)), Tolerance(rtol=1e-6, atol=1e-7))
    np.testing.assert_array_equal(Tanh()(Tensor(-data)).data, -out)


@FAST
@given(data=any_float32_arrays())
def test_gelu_is_stable_for_any_finite_input(data):
    out = GELU()(Tensor(data)).data  # x**3 would overflow without the clip
    assert np.all(np.isfinite(out))
    x = data.astype(np.float64)
    clipped = np.clip(x, -10, 10)
    expected = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (clipped + 0.044715 * clipped**3)))
    assert_close(out, expected, Tolerance(rtol=1e-5, atol=1e-6))


def test_gelu_tanh_approximation_is_close_to_exact_gelu():
    x = np.linspace(-8, 8, 1601, dtype=np.float32)
    out = GELU()(Tensor(x)).data
    exact = NUMPY["gelu_erf"](x.astype(np.float64))
    assert np.max(np.abs(out - exact)) < 5e-4, "tanh approximation differs from x*Phi(x) by > 5e-4"
    assert GELU().approximate == "tanh"


def test_gelu_known_values():
    out = GELU()(Tensor([0.0, 1.0, -1.0, 100.0, -100.0])).data
    np.testing.assert_allclose(out, [0.0, 0.841192, -0.158808, 100.0, 0.0], atol=1e-6)


def test_gelu_rejects_exact_variant_with_a_clear_message():
    with pytest.raises(ValueError, match=r"approximate='none'"):
        GELU(approximate="none")


# --- softmax ------------------------------------------------------------------------


@st.composite
def arrays_and_dim(draw, bound: float = 30.0):
    data = draw(float32_arrays(min_dims=1, bound=bound))
    dim = draw(st.integers(-data.ndim, data.ndim - 1))
    return data, dim


@FAST
@given(case=arrays_and_dim())
def test_softmax_matches_oracle_on_any_dim(case):
    data, dim = case
    out = Softmax(dim=dim)(Tensor(data))
    assert out.shape == data.shape and out.dtype == np.float32
    assert_close(out, NUMPY["softmax"](data.astype(np.float64), axis=dim), F32, f"dim={dim}")
    assert_close(out.data.sum(axis=dim), np.ones(np.delete(data.shape, dim % data.ndim)), F32)


@FAST
@given(case=arrays_and_dim(bound=1e30))
def test_softmax_is_stable_for_huge_logits(case):
    data, dim = case
    out = Softmax(dim=dim)(Tensor(data)).data  # an overflow warning would fail the test
    assert np.all(np.isfinite(out)) and np.all(out >= 0)
    assert_close(out, NUMPY["softmax"](data.astype(np.float64), axis=dim), F32)


def test_softmax_is_shift_invariant():
    x = np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 5.0]], dtype=np.float32)
    base = Softmax()(Tensor(x)).data
    for shift in (-1000.0, 1000.0, 1e6):
        np.testing.assert_allclose(Softmax()(Tensor(x + shift)).data, base, rtol=1e-6)


def test_softmax_handles_masked_entries():
    """-inf scores (masking, later used by attention) get probability exactly 0."""
    out = Softmax()(Tensor([[0.0, -np.inf, 0.0], [-np.inf, 3.0, -np.inf]])).data
    np.testing.assert_array_equal(out, [[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])


def test_softmax_default_dim_is_last_and_repr():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(Softmax()(Tensor(x)).data, Softmax(dim=2)(Tensor(x)).data)
    assert repr(Softmax(dim=1)) == "Softmax(dim=1)"


@pytest.mark.parametrize("dim", [1.0, "1", None, True])
def test_softmax_rejects_non_integer_dim(dim):
    with pytest.raises(TypeError, match="dim="):
        Softmax(dim=dim)


# --- the contract Module 05 relies on -----------------------------------------------------


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh, GELU, Softmax])
def test_call_goes_through_forward(cls, monkeypatch):
    """Module 05 wraps each class's forward; calling the object must use the wrapped one."""
    calls = []
    original = cls.forward

    def wrapped(self, x):
        calls.append(x)
        return original(self, x)

    monkeypatch.setattr(cls, "forward", wrapped)
    x = Tensor([[0.5, -1.0]])
    out = cls()(x)
    assert len(calls) == 1 and calls[0] is x
    assert isinstance(out, Tensor)


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh, GELU, Softmax])
def test_activation_base_and_repr(cls):
    act = cls()
    assert isinstance(act, Activation)
    assert repr(act).startswith(cls.__name__ + "(")


def test_activation_base_forward_is_abstract():
    with pytest.raises(NotImplementedError, match="forward"):
        Activation()(Tensor([1.0]))
