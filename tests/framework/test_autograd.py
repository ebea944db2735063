"""Gradients of every TinyTorch operation, and the behaviour of the backward engine.

Every gradient is checked against central finite differences of a float64
NumPy oracle (``oracle.check_gradients``); hypothesis draws the shapes,
including broadcasting pairs, batched matmuls, axes and ``keepdims``.
Covers the Tensor operations (Module 01), the activations (02), ``Linear``
and ``Dropout`` (03), the losses (04) and the engine itself (05).
"""

from __future__ import annotations

import operator
import time

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import FAST, NUMPY, assert_close, check_gradients, numeric_gradients

import tinytorch.core.autograd as autograd
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.autograd import (
    CrossEntropyLossFunction,
    LinearFunction,
    Mul,
    ReLUFunction,
    disable_autograd,
    enable_autograd,
    is_grad_enabled,
    no_grad,
)
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import AutogradNotEnabledError, ShapeError, Tensor


@pytest.fixture(scope="module", autouse=True)
def package_autograd():
    """Test the package's rules, even if a Module 05 notebook ran earlier in this process.

    Executing the notebook installs *its* Function classes into the shared
    Tensor class (that is how a student's rules get tested); re-enabling is
    idempotent and puts the package's back.
    """
    enable_autograd()
    yield


SMOOTH = st.floats(-2, 2, allow_nan=False, allow_infinity=False)
AWAY_FROM_ZERO = st.tuples(st.floats(0.5, 3), st.sampled_from([-1.0, 1.0])).map(
    lambda p: p[0] * p[1]
)
POSITIVE = st.floats(0.5, 3)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def arrays(shape, elements=SMOOTH):
    return hnp.arrays(np.float64, shape, elements=elements)


# --- element-wise binary operations, with broadcasting -------------------------------

BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
}


@st.composite
def broadcasting_pairs(draw, right=SMOOTH):
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
    )
    return draw(arrays(shapes.input_shapes[0])), draw(arrays(shapes.input_shapes[1], right))


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(pair=broadcasting_pairs(right=AWAY_FROM_ZERO))
def test_binary_gradients_with_broadcasting(name, pair):
    op = BINARY[name]
    check_gradients(op, op, pair)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("side", ["left", "right"])
def test_binary_gradients_with_constants(name, side):
    """A Python number or an ndarray on either side: only the tensor gets a gradient."""
    op = BINARY[name]
    x = np.array([[0.7, -1.3, 2.1], [1.5, 0.9, -0.6]])
    for constant in (2.5, np.array([1.5, -2.0, 0.75])):
        if side == "left":
            check_gradients(lambda t, c=constant: op(c, t), lambda a, c=constant: op(c, a), [x])
        else:
            check_gradients(lambda t, c=constant: op(t, c), lambda a, c=constant: op(a, c), [x])


def test_only_inputs_that_require_grad_get_one():
    check_gradients(operator.mul, operator.mul, [np.ones((2, 3)), np.full(3, 2.0)], wrt=[1])
    check_gradients(operator.mul, operator.mul, [np.ones((2, 3)), np.full(3, 2.0)], wrt=[0])


# --- single-input operations ---------------------------------------------------------------


@FAST
@given(x=arrays(SHAPES))
def test_negation_gradient(x):
    check_gradients(operator.neg, operator.neg, [x])


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, -1.5, 0, 1])
@FAST
@given(x=arrays(SHAPES, POSITIVE))
def test_power_gradient(exponent, x):
    check_gradients(lambda t: t**exponent, lambda a: a**exponent, [x])


@pytest.mark.parametrize(
    ("name", "function", "elements"),
    [("exp", np.exp, SMOOTH), ("log", np.log, POSITIVE), ("sqrt", np.sqrt, POSITIVE)],
)
@FAST
@given(data=st.data())
def test_elementwise_math_gradients(name, function, elements, data):
    x = data.draw(arrays(SHAPES, elements))
    check_gradients(lambda t: getattr(t, name)(), function, [x])


# --- matmul ----------------------------------------------------------------------------


@st.composite
def matmul_operands(draw):
    m, k, n = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    )
    left = (k,) if draw(st.booleans()) else (*batch.input_shapes[0], m, k)
    right = (k,) if draw(st.booleans()) else (*batch.input_shapes[1], k, n)
    return draw(arrays(left)), draw(arrays(right))


@FAST
@given(operands=matmul_operands())
def test_matmul_gradients(operands):
    check_gradients(operator.matmul, np.matmul, operands)
    check_gradients(lambda a, b: a.matmul(b), np.matmul, operands, wrt=[1])


def test_reflected_matmul_gradient():
    a = np.arange(6.0).reshape(2, 3)
    check_gradients(lambda t: a @ t, lambda b: a @ b, [np.ones((3, 4)) * 0.5])


# --- shape operations and indexing -----------------------------------------------------


@st.composite
def reshapes(draw):
    x = draw(arrays(SHAPES))
    factors = [d for d in range(1, x.size + 1) if x.size % d == 0]
    first = draw(st.sampled_from(factors))
    return x, (first, -1)


@FAST
@given(case=reshapes())
def test_reshape_gradient(case):
    x, shape = case
    check_gradients(lambda t: t.reshape(shape), lambda a: a.reshape(shape), [x])
    check_gradients(lambda t: t.reshape(*shape), lambda a: a.reshape(shape), [x])


@st.composite
def transposes(draw):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, max_side=3))
    dims = st.integers(-len(shape), len(shape) - 1)
    return draw(arrays(shape)), draw(dims), draw(dims)


@FAST
@given(case=transposes())
def test_transpose_gradient(case):
    x, d0, d1 = case
    check_gradients(lambda t: t.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1), [x])
    check_gradients(lambda t: t.T, lambda a: np.swapaxes(a, -2, -1), [x])


@st.composite
def basic_indexing(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    return draw(arrays(shape)), draw(hnp.basic_indices(shape, allow_newaxis=True))


@FAST
@given(case=basic_indexing())
def test_basic_indexing_gradient(case):
    x, index = case
    check_gradients(lambda t: t[index], lambda a: np.asarray(a[index]), [x])


@st.composite
def integer_indexing(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    index = draw(
        hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)
        )
    )
    return draw(arrays(shape)), index


@FAST
@given(case=integer_indexing())
def test_integer_array_indexing_gradient_adds_repeats(case):
    x, index = case
    check_gradients(lambda t: t[index], lambda a: a[index], [x])
    check_gradients(lambda t: t[tuple(Tensor(i) for i in index)], lambda a: a[index], [x])


def test_mask_indexing_and_iteration_gradients():
    x = np.array([[0.5, -1.0, 2.0], [1.5, -0.25, 3.0]])
    mask = x > 0
    check_gradients(lambda t: t[mask], lambda a: a[mask], [x])
    check_gradients(lambda t: list(t)[1] * 2.0, lambda a: a[1] * 2.0, [x])


# --- reductions --------------------------------------------------------------------------


@st.composite
def reductions(draw, distinct=False):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    if distinct:  # max: no ties, so the function is differentiable at the sample
        size = int(np.prod(shape))
        values = draw(st.permutations(range(-size, size + 1)))[:size]
        x = np.array(values, dtype=np.float64).reshape(shape) * 0.5
    else:
        x = draw(arrays(shape))
    axis = st.none()
    if shape:
        axis = (
            st.none()
            | st.integers(-len(shape), len(shape) - 1)
            | hnp.valid_tuple_axes(len(shape), min_size=1)
        )
    return x, draw(axis), draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean"])
@FAST
@given(case=reductions())
def test_sum_and_mean_gradients(name, case):
    x, axis, keepdims = case
    check_gradients(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        lambda a: getattr(a, name)(axis=axis, keepdims=keepdims),
        [x],
    )


@FAST
@given(case=reductions(distinct=True))
def test_max_gradient(case):
    x, axis, keepdims = case
    check_gradients(
        lambda t: t.max(axis=axis, keepdims=keepdims),
        lambda a: a.max(axis=axis, keepdims=keepdims),
        [x],
    )


def test_max_splits_the_gradient_between_ties():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_reductions_accept_positional_axis():
    check_gradients(lambda t: t.sum(1, True), lambda a: a.sum(1, keepdims=True), [np.ones((2, 3))])
    check_gradients(lambda t: t.mean(0), lambda a: a.mean(0), [np.arange(6.0).reshape(2, 3)])


# --- activations (Module 02) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "oracle_name", "elements"),
    [
        (ReLU(), "relu", AWAY_FROM_ZERO),
        (Sigmoid(), "sigmoid", st.floats(-6, 6)),
        (Tanh(), "tanh", st.floats(-4, 4)),
        (GELU(), "gelu_tanh", st.floats(-12, 12)),
    ],
    ids=["relu", "sigmoid", "tanh", "gelu"],
)
@FAST
@given(data=st.data())
def test_activation_gradients(layer, oracle_name, elements, data):
    x = data.draw(arrays(SHAPES, elements))
    check_gradients(layer, NUMPY[oracle_name], [x])


@pytest.mark.parametrize("dim", [-1, 0, 1])
@FAST
@given(x=arrays(hnp.array_shapes(min_dims=2, max_dims=3, max_side=4), st.floats(-5, 5)))
def test_softmax_gradient(dim, x):
    check_gradients(Softmax(dim=dim), lambda a: NUMPY["softmax"](a, axis=dim), [x])


def test_activation_nodes_are_the_layer_functions():
    x = Tensor([[1.0, -2.0]], requires_grad=True)
    assert isinstance(ReLU()(x).grad_fn, ReLUFunction)


# --- losses (Module 04) ---------------------------------------------------------------------


@st.composite
def classification(draw):
    n, c = draw(st.integers(1, 6)), draw(st.integers(2, 5))
    logits = draw(arrays((n, c), st.floats(-6, 6)))
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return logits, labels


@FAST
@given(case=classification())
def test_cross_entropy_gradient(case):
    logits, labels = case
    loss = CrossEntropyLoss()
    check_gradients(
        lambda z: loss(z, labels), lambda z: NUMPY["cross_entropy"](z, labels), [logits]
    )
    check_gradients(
        lambda z: loss(z, Tensor(labels)), lambda z: NUMPY["cross_entropy"](z, labels), [logits]
    )


def test_cross_entropy_is_one_fused_node():
    z = Tensor(np.zeros((2, 3)), requires_grad=True)
    loss = CrossEntropyLoss()(z, [0, 2])
    assert isinstance(loss.grad_fn, CrossEntropyLossFunction) and loss.grad_fn.inputs[0] is z


@FAST
@given(pair=broadcasting_pairs().filter(lambda p: p[0].shape == p[1].shape))
def test_mse_gradient_for_both_arguments(pair):
    check_gradients(MSELoss(), NUMPY["mse"], pair)


@FAST
@given(data=st.data())
def test_binary_cross_entropy_gradient(data):
    shape = data.draw(SHAPES)
    p = data.draw(arrays(shape, st.floats(0.02, 0.98)))
    y = data.draw(arrays(shape, st.floats(0, 1)))
    loss = BinaryCrossEntropyLoss()
    check_gradients(
        lambda t: loss(t, y), lambda a: NUMPY["binary_cross_entropy"](a, y, eps=loss.eps), [p]
    )


def test_binary_cross_entropy_gradient_is_zero_where_clipped():
    p = Tensor([0.0, 0.5, 1.0], dtype=np.float64, requires_grad=True)
    BinaryCrossEntropyLoss()(p, [1.0, 1.0, 0.0]).backward()
    assert p.grad[0] == 0 and p.grad[2] == 0 and p.grad[1] != 0
    assert np.all(np.isfinite(p.grad))


# --- layers (Module 03) ----------------------------------------------------------------------


def _float64(layer):
    for p in layer.parameters():
        p.data = p.data.astype(np.float64)
    return layer


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_gradients(bias, x_shape):
    np.random.seed(0)
    layer = _float64(Linear(4, 3, bias=bias))
    x = np.random.default_rng(1).standard_normal(x_shape)
    params = [p.data.copy() for p in layer.parameters()]

    def reference(x, w, b=None):
        return x @ w.T + (0.0 if b is None else b)

    xt = Tensor(x, dtype=np.float64, requires_grad=True)
    out = layer(xt)
    assert isinstance(out.grad_fn, LinearFunction)
    upstream = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(upstream)
    numeric = numeric_gradients(reference, [x, *params], upstream)
    assert_close(xt.grad, numeric[0], what="grad of x")
    for p, expected in zip(layer.parameters(), numeric[1:], strict=True):
        assert p.grad.shape == p.shape and p.grad.flags.c_contiguous
        assert_close(p.grad, expected, what="grad of a parameter")


def test_linear_input_data_gets_no_gradient_work():
    layer = Linear(4, 3)
    out = layer(Tensor(np.ones((2, 4))))
    assert out.grad_fn.needs_grad == (False, True, True)
    grads = out.grad_fn.backward(np.ones((2, 3), dtype=np.float32))
    assert grads[0] is None


def test_dropout_gradient_follows_its_mask():
    np.random.seed(3)
    x = Tensor(np.ones((4, 5)), requires_grad=True)
    out = Dropout(0.5)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)  # 2.0 where kept, 0 where dropped


def test_sequential_model_gradients_match_finite_differences():
    np.random.seed(4)
    model = Sequential(Linear(3, 5), Tanh(), Linear(5, 4), GELU(), Linear(4, 2))
    params = list(_float64(model).parameters())
    x = Tensor(np.random.default_rng(5).standard_normal((6, 3)), dtype=np.float64)
    labels = np.array([0, 1, 1, 0, 1, 0])
    loss_fn = CrossEntropyLoss()
    loss_fn(model(x), labels).backward()
    for p in params:
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            old = p.data[i]
            with no_grad():
                p.data[i] = old + 1e-6
                plus = loss_fn(model(x), labels).item()
                p.data[i] = old - 1e-6
                minus = loss_fn(model(x), labels).item()
            p.data[i] = old
            numeric[i] = (plus - minus) / 2e-6
        assert_close(p.grad, numeric, what="Sequential parameter")


# --- the engine ---------------------------------------------------------------------------------


def test_two_to_the_thirty_paths_take_linear_time():
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(30):
        y = y + y  # 2**30 paths from y back to x
    start = time.perf_counter()
    y.backward(np.ones(1))
    assert time.perf_counter() - start < 0.5
    assert x.grad[0] == 2.0**30


def test_diamond_chains_take_linear_time():
    x = Tensor([1.5], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(40):  # each diamond doubles the number of paths
        left, right = y * 1.0, y * 1.0
        y = left + right
    start = time.perf_counter()
    y.backward(np.ones(1))
    assert time.perf_counter() - start < 0.5
    assert x.grad[0] == 2.0**40


def test_deep_graphs_need_no_recursion():
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward(np.ones(1))
    assert_close(x.grad, [1.0001**20_000])


def test_residual_stack_gradient():
    """x -> x + 0.1 * exp(x @ w), six times: every block adds a second path."""

    def residual_stack(a, b, exp):
        for _ in range(6):
            a = a + exp(a @ b) * 0.1
        return a

    check_gradients(
        lambda a, b: residual_stack(a, b, lambda t: t.exp()),
        lambda a, b: residual_stack(a, b, np.exp),
        [np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([[0.5, -0.3], [0.2, 0.1]])],
    )


def test_shared_weight_accumulates_over_uses():
    w = Tensor([2.0], requires_grad=True)
    (w * w * w + w * 3.0).backward(np.ones(1, dtype=np.float32))
    assert_close(w.grad, [3 * 4.0 + 3.0])


def test_grad_accumulates_over_backward_calls_like_pytorch():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for expected in ([3.0, 3.0], [6.0, 6.0]):
        (w * 3.0).sum().backward()
        assert_close(w.grad, expected)
    w.grad = None
    (w * 3.0).sum().backward()
    assert_close(w.grad, [3.0, 3.0])


def test_only_leaves_get_grad_and_dtypes_match():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    h.sum().backward()
    assert h.grad is None and w.grad.dtype == np.float32 and isinstance(w.grad, np.ndarray)
    w64 = Tensor([1.0], dtype=np.float64, requires_grad=True)
    (w64 * np.float32(2.0)).backward(np.ones(1, dtype=np.float32))
    assert w64.grad.dtype == np.float64


def test_leaf_gradients_never_share_memory():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    assert a.grad.flags.writeable and b.grad.flags.writeable
    c, d = Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.ones(4), requires_grad=True)
    seed = np.ones((2, 2), dtype=np.float32)
    (c + d.reshape(2, 2)).backward(seed)
    assert not np.shares_memory(c.grad, d.grad) and not np.shares_memory(c.grad, seed)
    c.grad *= 0  # ours to modify
    np.testing.assert_array_equal(d.grad, np.ones(4))
    np.testing.assert_array_equal(seed, np.ones((2, 2)))


def test_backward_seeds():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    with pytest.raises(RuntimeError, match="single-element"):
        y.backward()
    with pytest.raises(ShapeError):
        y.backward(np.ones(3))
    y.backward(Tensor([1.0, 10.0]))
    assert_close(x.grad, [3.0, 30.0])
    x.grad = None
    y.backward([2.0, 2.0])
    assert_close(x.grad, [6.0, 6.0])
    x.grad = None
    x.backward(np.array([5.0, 5.0], dtype=np.float32))  # a leaf can be the root
    assert_close(x.grad, [5.0, 5.0])
    scalar = (x * x).sum()
    x.grad = None
    scalar.backward()
    assert_close(x.grad, [2.0, 4.0])


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).backward()


def test_requires_grad_propagates_and_nodes_only_when_needed():
    a, b = Tensor([1.0]), Tensor([2.0], requires_grad=True)
    assert (a * a).grad_fn is None and not (a * a).requires_grad
    assert (a * b).requires_grad and isinstance((a * b).grad_fn, Mul)
    assert not (a * b).is_leaf and b.is_leaf
    assert (b > 0).grad_fn is None, "comparisons are not differentiable"


def test_no_grad_context_and_decorator():
    w = Tensor([1.0], requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with no_grad():
            pass
        assert not is_grad_enabled(), "leaving an inner no_grad keeps the outer one"
        out = w * 2.0
    assert is_grad_enabled() and out.grad_fn is None and not out.requires_grad

    @no_grad()
    def evaluate(t):
        return t * 3.0

    assert evaluate(w).grad_fn is None and is_grad_enabled()
    with pytest.raises(ValueError), no_grad():
        raise ValueError
    assert is_grad_enabled(), "an exception inside no_grad must still restore the mode"


def test_detach_cuts_the_graph_without_copying():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    d = h.detach()
    assert d.grad_fn is None and not d.requires_grad and np.shares_memory(d.data, h.data)
    (d * w).sum().backward()
    assert_close(w.grad, h.data)  # only the direct path through w


# --- switching autograd on: the progression from Modules 01-04 ------------------------------


def _forward_everything():
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    w = Tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    np.random.seed(8)
    layer = Linear(5, 5)
    h = x @ w
    results = [
        h + 1.0,
        1.0 - h,
        h * h,
        h / 2.0,
        2.0 / (h * h + 1.0),
        -h,
        h**2,
        h.exp(),
        (h * h).log(),
        (h * h).sqrt(),
        h.T,
        h.transpose(0, 1),
        h.reshape(-1),
        h.sum(axis=1),
        h.mean(),
        h.max(axis=0),
        h[1:, ::2],
        h[[0, 0, 3]],
        x.data @ w,
        layer(h),
        ReLU()(h),
        Sigmoid()(h),
        Tanh()(h),
        GELU()(h),
        Softmax(dim=0)(h),
        MSELoss()(h, np.zeros((4, 5), dtype=np.float32)),
        CrossEntropyLoss()(h, [0, 4, 2, 1]),
        BinaryCrossEntropyLoss()(Sigmoid()(h), np.ones((4, 5), dtype=np.float32)),
    ]
    return results


@pytest.fixture
def autograd_off():
    disable_autograd()
    try:
        yield
    finally:
        enable_autograd()


def test_before_enabling_everything_is_forward_only(autograd_off):
    assert not autograd.autograd_enabled()
    results = _forward_everything()
    assert all(r.grad_fn is None and not r.requires_grad for r in results)
    with pytest.raises(AutogradNotEnabledError, match="Module 05"):
        results[0].backward()
    assert not hasattr(Tensor([1.0]), "detach")


def test_enabling_changes_no_forward_value():
    disable_autograd()
    try:
        before = _forward_everything()
    finally:
        enable_autograd()
    after = _forward_everything()
    assert len(before) == len(after)
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        assert a.dtype == b.dtype and a.shape == b.shape, i
        np.testing.assert_array_equal(a.data, b.data, err_msg=f"result {i}")
        assert a.requires_grad and a.grad_fn is not None, f"result {i} must be recorded"


def test_enable_autograd_is_idempotent():
    enable_autograd()
    enable_autograd()
    for name in ("__add__", "matmul", "sum", "__getitem__"):
        installed = Tensor.__dict__[name]
        original = installed.__tinytorch_original__
        assert not hasattr(original, "__tinytorch_original__"), f"{name} wrapped twice"
        assert original.__name__.startswith("tensor_")
    forward = CrossEntropyLoss.__dict__["forward"]
    assert not hasattr(forward.__tinytorch_original__, "__tinytorch_original__")
    w = Tensor([1.0], requires_grad=True)
    (w * 2.0).backward(np.ones(1, dtype=np.float32))
    assert_close(w.grad, [2.0])


def test_errors_are_the_forward_only_errors():
    """With recording on, bad inputs raise what Modules 01-04 raise."""
    z = Tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(ShapeError, match="inner dimensions"):
        z @ Tensor(np.zeros((3, 4)))
    with pytest.raises(ShapeError, match="in_features"):
        Linear(5, 2)(z)
    for bad_targets, error in [
        ([0, 1], ShapeError),
        ([0.0, 1.0, 2.0], TypeError),
        ([0, 1, 7], ValueError),
        ([0, -1, 2], ValueError),
    ]:
        with no_grad(), pytest.raises(error) as quiet:
            CrossEntropyLoss()(z, bad_targets)
        with pytest.raises(error) as recorded:
            CrossEntropyLoss()(z, bad_targets)
        assert str(recorded.value) == str(quiet.value)
    with pytest.raises(ShapeError):
        MSELoss()(z, np.zeros(4))


# --- the allocator setting -------------------------------------------------------------------


def test_keep_freed_memory_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("TINYTORCH_KEEP_FREED_MEMORY", "0")
    assert autograd.keep_freed_memory() is False


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc mallopt only")
def test_keep_freed_memory_applies_on_linux(monkeypatch):
    monkeypatch.delenv("TINYTORCH_KEEP_FREED_MEMORY", raising=False)
    assert autograd.keep_freed_memory() is True
