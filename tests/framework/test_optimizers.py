"""tinytorch.core.optimizers (Module 06): SGD, Adam, AdamW against NumPy references, step by step.

The references below are written from PyTorch's documented algorithms
(``torch.optim.SGD`` / ``Adam`` / ``AdamW``, ``maximize=False``,
``amsgrad=False``) in plain float64 NumPy, without in-place tricks, so they
share no code and no shortcuts with the implementation. Parameters are
float64 tensors when compared with them (tight tolerances), float32
Parameters when checking that training keeps float32.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import F32_ACCUMULATED, FAST, Tolerance, assert_close

from tinytorch.core.activations import Tanh
from tinytorch.core.layers import Linear, Parameter, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer
from tinytorch.core.tensor import Tensor

STEP = Tolerance(rtol=1e-10, atol=1e-12)  # float64 implementation vs float64 reference, after k steps


# --- NumPy references --------------------------------------------------------------------


def sgd_reference(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD, one parameter; ``grads[t]`` is None for a step without a gradient."""
    p, buf, path = np.array(p, dtype=np.float64), None, []
    for g in grads:
        if g is not None:
            d = g + weight_decay * p
            if momentum != 0:
                buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
                d = d + momentum * buf if nesterov else buf
            p = p - lr * d
        path.append(p)
    return path


def adam_reference(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """torch.optim.Adam (decoupled=False) / AdamW (decoupled=True), one parameter."""
    p = np.array(p, dtype=np.float64)
    m, v, t, path = np.zeros_like(p), np.zeros_like(p), 0, []
    for g in grads:
        if g is not None:
            t += 1
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            m_hat = m / (1 - betas[0] ** t)
            v_hat = v / (1 - betas[1] ** t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(p)
    return path


def run(optimizer_class, p0, grads, **options):
    """Every iterate of ``optimizer_class`` on a float64 tensor fed ``grads`` (None: no gradient)."""
    p = Tensor(np.array(p0, dtype=np.float64), dtype=np.float64, requires_grad=True)
    opt, path = optimizer_class([p], **options), []
    for g in grads:
        p.grad = None if g is None else np.array(g, dtype=np.float64)
        opt.step()
        path.append(p.data.copy())
    return path


def gradient_sequences(shape_min_dims=0):
    """(initial parameter, list of gradients with scales from 1e-3 to 1e2), same shape."""
    shapes = hnp.array_shapes(min_dims=shape_min_dims, max_dims=3, min_side=1, max_side=5)

    @st.composite
    def build(draw):
        shape = draw(shapes)
        seed = draw(st.integers(0, 2**32 - 1))
        steps = draw(st.integers(1, 8))
        rng = np.random.default_rng(seed)
        p0 = rng.standard_normal(shape)
        grads = [rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 2) for _ in range(steps)]
        return p0, grads

    return build()


# --- step-by-step equality with the references -------------------------------------------


@FAST
@given(
    data=gradient_sequences(),
    lr=st.floats(1e-4, 1.0),
    momentum=st.sampled_from([0.0, 0.5, 0.9, 0.99]),
    dampening=st.sampled_from([0.0, 0.1, 0.5]),
    weight_decay=st.sampled_from([0.0, 1e-4, 0.1]),
    nesterov=st.booleans(),
)
def test_sgd_matches_reference(data, lr, momentum, dampening, weight_decay, nesterov):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False
    p0, grads = data
    options = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
    for step, (got, expected) in enumerate(
        zip(run(SGD, p0, grads, **options), sgd_reference(p0, grads, **options), strict=True)
    ):
        assert_close(got, expected, STEP, f"SGD({options}) step {step + 1}")


@FAST
@given(
    data=gradient_sequences(),
    lr=st.floats(1e-4, 0.1),
    beta1=st.sampled_from([0.0, 0.5, 0.9]),
    beta2=st.sampled_from([0.9, 0.99, 0.999]),
    eps=st.sampled_from([1e-8, 1e-6, 1e-3]),
    weight_decay=st.sampled_from([0.0, 1e-2, 0.5]),
    decoupled=st.booleans(),
)
def test_adam_and_adamw_match_reference(data, lr, beta1, beta2, eps, weight_decay, decoupled):
    p0, grads = data
    options = dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    cls = AdamW if decoupled else Adam
    got = run(cls, p0, grads, **options)
    expected = adam_reference(p0, grads, decoupled=decoupled, **options)
    for step, (a, e) in enumerate(zip(got, expected, strict=True)):
        assert_close(a, e, STEP, f"{cls.__name__}({options}) step {step + 1}")


@pytest.mark.parametrize(
    ("cls", "options", "reference"),
    [
        (SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}, sgd_reference),
        (Adam, {"lr": 0.01, "weight_decay": 0.01}, adam_reference),
        (AdamW, {"lr": 0.01, "weight_decay": 0.1}, lambda p, g, **o: adam_reference(p, g, decoupled=True, **o)),
    ],
)
def test_steps_without_a_gradient_change_nothing(cls, options, reference):
    """PyTorch skips a parameter whose .grad is None: no update, no decay, no state change, no step count."""
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4), None, rng.standard_normal(4), None, None, rng.standard_normal(4)]
    got, expected = run(cls, p0, grads, **options), reference(p0, grads, **options)
    for step, (a, e) in enumerate(zip(got, expected, strict=True)):
        assert_close(a, e, STEP, f"step {step + 1}")
    assert_close(got[1], got[0], Tolerance(0, 0), "a step without gradient moved the parameter")


def test_adam_counts_steps_per_parameter():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(3))
    opt = Adam([a, b], lr=0.1)
    for step in range(5):
        a.grad = np.ones(2, np.float32)
        b.grad = np.ones(3, np.float32) if step % 2 == 0 else None
        opt.step()
    assert opt.state[0]["step"] == 5 and opt.state[1]["step"] == 3


# --- float32 training ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda ps: Adam(ps, lr=0.01, weight_decay=1e-3),
        lambda ps: AdamW(ps, lr=0.01),
    ],
)
def test_float32_parameters_and_state_stay_float32_and_follow_the_reference(make):
    rng = np.random.default_rng(0)
    w = Parameter(rng.standard_normal((6, 5)))
    start = w.data.astype(np.float64)
    opt = make([w])
    grads = [rng.standard_normal((6, 5)).astype(np.float32) for _ in range(10)]
    for g in grads:
        w.grad = g.copy()
        opt.step()
    assert w.data.dtype == np.float32
    assert all(v.dtype == np.float32 for entry in opt.state for v in entry.values() if isinstance(v, np.ndarray))
    float64 = run(
        type(opt), start, [g.astype(np.float64) for g in grads], **{k: getattr(opt, k) for k in opt.hyperparameters}
    )
    assert_close(w.data, float64[-1], F32_ACCUMULATED, "float32 run vs float64 run of the same optimizer")


def test_the_gradient_array_is_never_modified():
    """Weight decay and momentum must build new arrays: p.grad belongs to autograd (and the caller)."""
    for make in (
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        lambda ps: Adam(ps, weight_decay=0.1),
        lambda ps: AdamW(ps),
    ):
        w = Parameter(np.ones(3))
        grad = np.array([1.0, 2.0, 3.0], np.float32)
        w.grad = grad
        opt = make([w])
        opt.step()
        opt.step()
        np.testing.assert_array_equal(grad, [1.0, 2.0, 3.0])


# --- end to end with autograd: least squares ---------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.05),
        lambda ps: SGD(ps, lr=0.02, momentum=0.9),
        lambda ps: SGD(ps, lr=0.02, momentum=0.9, nesterov=True),
        lambda ps: Adam(ps, lr=0.05),
        lambda ps: AdamW(ps, lr=0.05, weight_decay=0.0),
    ],
)
def test_minimizes_least_squares_to_numpy_lstsq(make):
    """Full-batch descent on mean((A x - b)^2) through backward() reaches np.linalg.lstsq's solution."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((40, 3))
    b = a @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.standard_normal(40)
    x = Tensor(np.zeros(3), dtype=np.float64, requires_grad=True)
    opt = make([x])
    a_t = Tensor(a, dtype=np.float64)
    for _ in range(1500):
        residual = a_t @ x - Tensor(b, dtype=np.float64)
        loss = (residual * residual).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    assert_close(x, solution, Tolerance(rtol=1e-3, atol=1e-3), f"{opt} did not reach the least-squares solution")


# --- the base class: parameters, zero_grad, state_dict ------------------------------------


def test_parameters_from_a_model_and_clear_mistakes():
    np.random.seed(0)
    model = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    opt = SGD(model.parameters(), lr=0.1)
    assert [id(p) for p in opt.params] == [id(p) for p in model.parameters()]
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        Adam([])
    with pytest.raises(TypeError, match=r"params\[0\] is a ndarray"):
        Adam([np.ones(3)])
    w = Parameter([1.0])
    with pytest.raises(ValueError, match=r"params\[1\] is the same tensor as params\[0\]"):
        SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([w * 2], lr=0.1)


@pytest.mark.parametrize(
    ("make", "error", "fragment"),
    [
        (lambda ps: SGD(ps, lr=-0.01), ValueError, "SGD: lr=-0.01 must be >= 0"),
        (lambda ps: SGD(ps, lr=float("nan")), ValueError, "lr=nan"),
        (lambda ps: SGD(ps, lr=None), TypeError, "lr=None must be a number"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), ValueError, "momentum=-0.5 must be in [0, 1]"),
        (lambda ps: SGD(ps, lr=0.1, dampening=2), ValueError, "dampening=2"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1e-4), ValueError, "weight_decay=-0.0001"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=1), TypeError, "nesterov=1"),
        (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "dampening=0.1"),
        (lambda ps: Adam(ps, lr=True), TypeError, "lr=True"),
        (lambda ps: Adam(ps, betas=(1.0, 0.999)), ValueError, "Adam: betas[0]=1.0 must be in [0, 1)"),
        (lambda ps: Adam(ps, betas=(0.9,)), TypeError, "betas=(0.9,)"),
        (lambda ps: Adam(ps, eps=-1e-8), ValueError, "eps=-1e-08"),
        (lambda ps: AdamW(ps, weight_decay=-0.01), ValueError, "AdamW: weight_decay=-0.01"),
        (lambda ps: AdamW(ps, betas=(0.9, -0.1)), ValueError, "AdamW: betas[1]=-0.1"),
    ],
)
def test_hyperparameter_errors_name_the_value(make, error, fragment):
    with pytest.raises(error) as info:
        make([Parameter([1.0])])
    assert fragment in str(info.value)


def test_zero_grad_both_ways():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = SGD([a, b], lr=0.1)
    a.grad = np.ones(2, np.float32)
    kept = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is kept and not kept.any() and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_forgetting_zero_grad_accumulates_like_pytorch():
    """Without zero_grad, the second backward adds to the first gradient (the classic bug, reproduced)."""
    w = Parameter([1.0, 2.0])
    opt = SGD([w], lr=0.0)
    for _ in range(2):
        (w * w).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.grad, 2 * (2 * np.array([1.0, 2.0])))


def test_state_dict_is_a_copy_and_round_trips():
    w = Parameter(np.arange(4.0))
    opt = Adam([w], lr=0.01, betas=(0.8, 0.9))
    w.grad = np.ones(4, np.float32)
    opt.step()
    saved = opt.state_dict()
    assert saved["hyperparameters"] == {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-8, "weight_decay": 0.0}
    saved["state"][0]["exp_avg"] += 1  # the caller's copy
    assert not np.array_equal(opt.state[0]["exp_avg"], saved["state"][0]["exp_avg"])
    fresh = Adam([w])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.lr == 0.01 and fresh.betas == (0.8, 0.9) and fresh.state[0]["step"] == 1
    assert fresh.state[0]["exp_avg"] is not opt.state[0]["exp_avg"]
    with pytest.raises(ValueError, match="shape"):
        Adam([Parameter(np.ones(3))]).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="saved state has 1 parameter"):
        Adam([w, Parameter([1.0])]).load_state_dict(opt.state_dict())


def test_repr_and_hierarchy():
    w = Parameter([1.0])
    assert repr(SGD([w], lr=0.1)) == "SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)"
    assert isinstance(AdamW([w]), Adam) and isinstance(Adam([w]), Optimizer)
    assert AdamW([w]).weight_decay == 0.01 and Adam([w]).weight_decay == 0.0 and Adam([w]).lr == 1e-3


def test_training_a_classifier_with_each_optimizer():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 2)).astype(np.float32)
    y = (x[:, 0] ** 2 + x[:, 1] ** 2 > 1.2).astype(np.int64)  # a circle: not linearly separable
    for make in (lambda ps: SGD(ps, lr=0.3, momentum=0.9), lambda ps: Adam(ps, lr=0.03), lambda ps: AdamW(ps, lr=0.03)):
        np.random.seed(0)
        model = Sequential(Linear(2, 16), Tanh(), Linear(16, 2))
        opt = make(model.parameters())
        for _ in range(200):
            loss = CrossEntropyLoss()(model(Tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        accuracy = (model(Tensor(x)).data.argmax(axis=1) == y).mean()
        assert accuracy > 0.9, f"{opt}: accuracy {accuracy:.2f}"


def test_scalar_parameter_keeps_its_momentum_buffer():
    """A 0-d parameter with weight decay: g + wd * p is a NumPy scalar; the buffer must still update."""
    p0, grads = np.array(0.5), [np.array(1.0), np.array(-2.0), np.array(0.5)]
    options = {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}
    got = run(SGD, p0, grads, **options)
    for a, e in zip(got, sgd_reference(p0, grads, **options), strict=True):
        assert_close(a, e, STEP)
