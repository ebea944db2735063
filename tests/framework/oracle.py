"""The one oracle the framework tests compare against, with explicit tolerances.

Two kinds of truth, both independent of TinyTorch:

* **Forward**: NumPy computes the same function in float64
  (:data:`NUMPY` holds the references for activations and losses; plain
  ``np.*`` calls serve for the tensor operations). TinyTorch computes in
  float32, so forward results are compared with :data:`F32` tolerances.
* **Backward**: central finite differences of the NumPy float64 reference,
  ``(f(x + eps) - f(x - eps)) / (2 eps)``, against TinyTorch's analytic
  gradient computed on float64 tensors. Both sides are float64, so the
  tolerances (:data:`GRAD`) are tight: truncation error is O(eps^2) and
  rounding error O(1e-16 / eps).

A non-scalar output ``y`` is reduced with a random upstream gradient ``g``
(``phi = sum(y * g)``), so every element of the Jacobian contributes; this
is what ``y.backward(g)`` computes.

Also here: the hypothesis settings every framework test uses (fast, no
deadline: the machine is shared and noisy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, settings


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


F32 = Tolerance(
    rtol=1e-5, atol=1e-6
)  # float32 forward vs the float64 NumPy oracle (elementwise ops)
F32_ACCUMULATED = Tolerance(
    rtol=1e-4, atol=1e-5
)  # float32 results summed over many terms (matmul, sum, mean)
GRAD = Tolerance(rtol=1e-5, atol=1e-7)  # float64 analytic gradient vs float64 central differences
FD_EPS = 1e-6  # finite-difference step (float64)

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def assert_close(actual, expected, tol: Tolerance = F32, what: str = "") -> None:
    """``actual`` (a Tensor, array or number) equals ``expected`` within ``tol``."""
    actual = getattr(actual, "data", actual)
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        np.asarray(expected, dtype=np.float64),
        rtol=tol.rtol,
        atol=tol.atol,
        err_msg=what,
    )


def numeric_gradients(
    function: Callable[..., np.ndarray],
    arrays: Sequence[np.ndarray],
    upstream: np.ndarray,
    wrt: Sequence[int] | None = None,
    eps: float = FD_EPS,
) -> list[np.ndarray | None]:
    """Central-difference gradients of ``sum(function(*arrays) * upstream)``.

    ``function`` is a float64 NumPy oracle; one gradient per array (``None``
    for the arrays not in ``wrt``).
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    upstream = np.asarray(upstream, dtype=np.float64)

    def phi() -> float:
        return float(np.sum(np.asarray(function(*arrays), dtype=np.float64) * upstream))

    grads: list[np.ndarray | None] = [None] * len(arrays)
    for index in wrt:
        x = arrays[index]
        grad = np.zeros_like(x)
        for position in np.ndindex(x.shape):
            original = x[position]
            x[position] = original + eps
            plus = phi()
            x[position] = original - eps
            minus = phi()
            x[position] = original
            grad[position] = (plus - minus) / (2 * eps)
        grads[index] = grad
    return grads


def check_gradients(
    tensor_function: Callable,
    numpy_function: Callable[..., np.ndarray],
    arrays: Sequence[np.ndarray],
    wrt: Sequence[int] | None = None,
    seed: int = 0,
    tol: Tolerance = GRAD,
) -> None:
    """TinyTorch's gradients of ``tensor_function`` equal finite differences of ``numpy_function``.

    ``arrays`` become float64 Tensors (``requires_grad`` for the indices in
    ``wrt``, default all); the output is checked against the oracle's value,
    then ``backward`` runs with a random upstream gradient and every
    ``.grad`` is compared with the central differences.
    """
    from tinytorch.core.tensor import Tensor

    wrt = list(range(len(arrays))) if wrt is None else list(wrt)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [
        Tensor(a.copy(), dtype=np.float64, requires_grad=i in wrt) for i, a in enumerate(arrays)
    ]
    out = tensor_function(*tensors)
    expected = np.asarray(numpy_function(*arrays), dtype=np.float64)
    assert out.shape == expected.shape, f"output shape {out.shape}, oracle {expected.shape}"
    assert out.dtype == np.float64, f"float64 inputs gave a {out.dtype} output"
    assert_close(out, expected, GRAD, "forward value in float64")
    upstream = np.random.default_rng(seed).standard_normal(expected.shape)
    out.backward(upstream)
    numeric = numeric_gradients(numpy_function, arrays, upstream, wrt)
    for index in wrt:
        grad = tensors[index].grad
        assert grad is not None, f"input {index} requires grad but got no .grad"
        assert isinstance(grad, np.ndarray), f".grad must be an ndarray, got {type(grad).__name__}"
        assert grad.shape == arrays[index].shape, (
            f"input {index}: grad shape {grad.shape} != {arrays[index].shape}"
        )
        assert grad.dtype == np.float64, f"input {index}: grad dtype {grad.dtype}"
        assert_close(grad, numeric[index], tol, f"gradient of input {index}")
    for index in set(range(len(arrays))) - set(wrt):
        assert tensors[index].grad is None, f"input {index} does not require grad but got a .grad"


# --- float64 NumPy references for the activations and losses (Modules 02 and 04) -----------


def relu(x):
    return np.maximum(x, 0.0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def tanh(x):
    return np.tanh(x)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def gelu_erf(x):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def mse(prediction, target):
    return np.mean((prediction - target) ** 2)


def cross_entropy(logits, labels):
    """Mean negative log-likelihood of integer ``labels`` under softmax(``logits``)."""
    labels = np.asarray(labels)
    picked = log_softmax(logits, axis=-1)[np.arange(len(labels)), labels]
    return -np.mean(picked)


def binary_cross_entropy(probabilities, target, eps=0.0):
    p = np.clip(probabilities, eps, 1.0 - eps) if eps else probabilities
    return -np.mean(target * np.log(p) + (1.0 - target) * np.log(1.0 - p))


NUMPY = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "gelu_tanh": gelu_tanh,
    "gelu_erf": gelu_erf,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "mse": mse,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
}
