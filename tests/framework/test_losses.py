"""tinytorch.core.losses (Module 04) against float64 NumPy oracles.

Values for generated shapes and targets, stability for huge logits and
saturated probabilities (``filterwarnings = error`` turns a log(0) or an
overflow warning into a failure), target types, errors, and the contract
Module 05 relies on: ``__call__`` goes through ``forward``.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import F32_ACCUMULATED, FAST, NUMPY, Tolerance, assert_close

from tinytorch.core.losses import BCELoss, BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import ShapeError, Tensor

LOG_EPS = -math.log(1e-7)  # the largest BCE term after clipping to [1e-7, 1 - 1e-7]


def assert_scalar_tensor(loss, dtype=np.float32) -> None:
    assert isinstance(loss, Tensor), f"a loss must return a Tensor, got {type(loss).__name__}"
    assert loss.shape == (), f"a loss must be a scalar, got shape {loss.shape}"
    assert loss.dtype == dtype, f"loss dtype {loss.dtype}, expected {dtype}"


def finite32(bound: float):
    bound = float(np.float32(bound))
    return st.floats(-bound, bound, width=32)


# --- MSELoss ------------------------------------------------------------------------------


@st.composite
def regression_pairs(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6))
    pred = draw(hnp.arrays(np.float32, shape, elements=finite32(100)))
    target = draw(hnp.arrays(np.float32, shape, elements=finite32(100)))
    return pred, target


@FAST
@given(pair=regression_pairs())
def test_mse_matches_float64_oracle(pair):
    pred, target = pair
    loss = MSELoss()(Tensor(pred), Tensor(target))
    assert_scalar_tensor(loss)
    expected = NUMPY["mse"](pred.astype(np.float64), target.astype(np.float64))
    assert_close(loss, expected, Tolerance(rtol=1e-4, atol=1e-5))


@pytest.mark.parametrize("wrap", [Tensor, np.asarray, lambda a: a.tolist()], ids=["Tensor", "array", "list"])
def test_mse_accepts_any_target_type(wrap):
    pred = np.array([[2.5, 0.0], [2.0, 1.0]], dtype=np.float32)
    target = np.array([[3.0, -0.5], [2.0, 3.0]], dtype=np.float32)
    loss = MSELoss()(Tensor(pred), wrap(target))
    assert_scalar_tensor(loss)
    assert loss.item() == pytest.approx((0.25 + 0.25 + 0 + 4) / 4, rel=1e-6)


def test_mse_zero_for_identical_inputs_and_dtype_policy():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    assert MSELoss()(Tensor(x), x).item() == 0.0
    assert_scalar_tensor(MSELoss()(Tensor(x, dtype=np.float64), x), np.float64)
    assert_scalar_tensor(MSELoss()(Tensor(x), x.astype(np.float64)), np.float32)
    np.testing.assert_allclose(MSELoss()(Tensor([1, 2]), [1.5, 2.5]).item(), 0.25, rtol=1e-6)


@pytest.mark.parametrize(
    ("pred_shape", "target_shape"), [((4, 1), (4,)), ((4,), (4, 1)), ((2, 3), (3, 2)), ((3,), ())]
)
def test_mse_refuses_to_broadcast(pred_shape, target_shape):
    with pytest.raises(ShapeError, match=r"predictions\.shape=.*targets\.shape="):
        MSELoss()(Tensor(np.zeros(pred_shape, dtype=np.float32)), np.zeros(target_shape))


def test_mse_rejects_empty_input():
    with pytest.raises(ShapeError, match="empty"):
        MSELoss()(Tensor(np.zeros((0, 3), dtype=np.float32)), np.zeros((0, 3)))


# --- CrossEntropyLoss -------------------------------------------------------------------------


@st.composite
def classification_batches(draw, bound: float = 50.0):
    n = draw(st.integers(1, 16))
    c = draw(st.integers(1, 12))
    logits = draw(hnp.arrays(np.float32, (n, c), elements=finite32(bound)))
    targets = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return logits, targets


@FAST
@given(batch=classification_batches())
def test_cross_entropy_matches_float64_oracle(batch):
    logits, targets = batch
    loss = CrossEntropyLoss()(Tensor(logits), targets)
    assert_scalar_tensor(loss)
    expected = NUMPY["cross_entropy"](logits.astype(np.float64), targets)
    assert_close(loss, expected, F32_ACCUMULATED)
    assert loss.item() >= -1e-6, "cross-entropy is never negative"


@FAST
@given(batch=classification_batches(bound=1e30))
def test_cross_entropy_is_stable_for_huge_logits(batch):
    logits, targets = batch
    loss = CrossEntropyLoss()(Tensor(logits), targets).item()  # an overflow warning fails the test
    assert math.isfinite(loss)
    assert_close(loss, NUMPY["cross_entropy"](logits.astype(np.float64), targets), F32_ACCUMULATED)


def test_cross_entropy_known_values():
    ce = CrossEntropyLoss()
    for c in (1, 2, 10, 1000):
        assert ce(Tensor(np.zeros((3, c))), [0, 0, c - 1]).item() == pytest.approx(math.log(c), abs=1e-6)
    confident = Tensor([[1000.0, 0.0, -1000.0], [0.0, 200.0, 0.0]])
    assert ce(confident, [0, 1]).item() == 0.0
    assert ce(confident, [2, 0]).item() == pytest.approx((2000.0 + 200.0) / 2, rel=1e-6)


@pytest.mark.parametrize(
    "wrap",
    [list, np.asarray, lambda t: np.asarray(t, dtype=np.int32), lambda t: np.asarray(t, dtype=np.uint8),
     lambda t: Tensor(t)],
    ids=["list", "int64", "int32", "uint8", "Tensor"],
)  # fmt: skip
def test_cross_entropy_accepts_integer_targets_in_any_form(wrap):
    logits = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    targets = [2, 0, 1, 1]
    expected = NUMPY["cross_entropy"](logits.astype(np.float64), targets)
    assert_close(CrossEntropyLoss()(Tensor(logits), wrap(targets)), expected, F32_ACCUMULATED)


def test_cross_entropy_does_not_modify_logits_and_keeps_float64():
    logits = np.random.default_rng(3).standard_normal((5, 4))
    x = Tensor(logits.copy(), dtype=np.float64)
    loss = CrossEntropyLoss()(x, [0, 1, 2, 3, 0])
    assert_scalar_tensor(loss, np.float64)
    np.testing.assert_array_equal(x.data, logits)
    assert_close(loss, NUMPY["cross_entropy"](logits, [0, 1, 2, 3, 0]), Tolerance(1e-12, 1e-12))


@pytest.mark.parametrize(
    ("logits_shape", "targets", "error", "message"),
    [
        ((5,), [1], ShapeError, r"logits\.shape=\(5,\) must be \(N, C\)"),
        ((2, 3, 4), [0, 1], ShapeError, r"must be \(N, C\)"),
        ((4, 3), [0, 1, 2], ShapeError, r"targets\.shape=\(3,\) must be \(4,\)"),
        ((2, 3), [[0], [1]], ShapeError, r"targets\.shape=\(2, 1\)"),
        ((0, 3), np.zeros(0, dtype=np.int64), ShapeError, "empty batch"),
        ((2, 3), [0.0, 1.0], TypeError, "integer"),
        ((2, 3), [True, False], TypeError, "integer"),
        ((2, 3), [0, 3], ValueError, r"\[0, 3\).*max=3"),
        ((2, 3), [-1, 0], ValueError, "min=-1"),
    ],
)
def test_cross_entropy_errors(logits_shape, targets, error, message):
    with pytest.raises(error, match=message):
        CrossEntropyLoss()(Tensor(np.zeros(logits_shape, dtype=np.float32)), targets)


# --- BinaryCrossEntropyLoss ---------------------------------------------------------------------


@st.composite
def probability_pairs(draw, soft: bool):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    # probabilities in [2**-9, 1 - 2**-9] (exact float32 bounds)
    p = draw(hnp.arrays(np.float32, shape, elements=st.floats(0.001953125, 0.998046875, width=32)))
    if soft:
        y = draw(hnp.arrays(np.float32, shape, elements=st.floats(0, 1, width=32)))
    else:
        y = draw(hnp.arrays(np.float32, shape, elements=st.sampled_from([0.0, 1.0])))
    return p, y


@FAST
@given(pair=st.booleans().flatmap(lambda soft: probability_pairs(soft)))
def test_bce_matches_float64_oracle(pair):
    p, y = pair
    loss = BCELoss()(Tensor(p), Tensor(y))
    assert_scalar_tensor(loss)
    expected = NUMPY["binary_cross_entropy"](p.astype(np.float64), y.astype(np.float64))
    assert_close(loss, expected, F32_ACCUMULATED)


def test_bce_saturated_predictions_are_finite_and_capped():
    bce = BCELoss()
    assert bce(Tensor([0.0]), [1.0]).item() == pytest.approx(LOG_EPS, rel=1e-4)
    high = bce(Tensor([1.0]), [0.0]).item()  # 1 - 1e-7 rounds to 1 - 2**-23 in float32
    assert 15.0 < high <= LOG_EPS
    right = bce(Tensor([0.0, 1.0, 0.0, 1.0]), [0.0, 1.0, 0.0, 1.0]).item()
    assert 0.0 <= right < 1e-6
    hugely_wrong = bce(Tensor(np.array([0.0, 1.0] * 50, dtype=np.float32)), [1.0, 0.0] * 50).item()
    assert math.isfinite(hugely_wrong) and hugely_wrong <= LOG_EPS


def test_bce_known_value_and_alias():
    assert BCELoss is BinaryCrossEntropyLoss
    loss = BinaryCrossEntropyLoss()(Tensor([0.9, 0.2]), [1, 0])
    assert loss.item() == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, rel=1e-6)


def test_bce_custom_eps_and_float64():
    loss = BCELoss(eps=1e-3)(Tensor([0.0]), [1.0])
    assert loss.item() == pytest.approx(-math.log(1e-3), rel=1e-5)
    assert_scalar_tensor(BCELoss()(Tensor([0.3, 0.6], dtype=np.float64), [0.0, 1.0]), np.float64)
    assert repr(BCELoss(eps=1e-3)) == "BinaryCrossEntropyLoss(eps=0.001)"


@pytest.mark.parametrize("eps", [0.0, -1e-7, 0.5, 2.0])
def test_bce_rejects_bad_eps(eps):
    with pytest.raises(ValueError, match=f"eps={eps!r}"):
        BCELoss(eps=eps)


@pytest.mark.parametrize("bad", [[-0.1, 0.5], [0.5, 1.0001], [3.0, 4.0]])
def test_bce_rejects_values_that_are_not_probabilities(bad):
    with pytest.raises(ValueError, match="Sigmoid"):
        BCELoss()(Tensor(bad), [0.0, 1.0])


def test_bce_shape_mismatch():
    with pytest.raises(ShapeError, match=r"predictions\.shape=\(3, 1\) and targets\.shape=\(3,\)"):
        BCELoss()(Tensor(np.full((3, 1), 0.5)), [0.0, 1.0, 1.0])


# --- the contract Module 05 relies on -------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        (MSELoss, (Tensor([1.0, 2.0]), [0.0, 0.0])),
        (CrossEntropyLoss, (Tensor([[1.0, 2.0]]), [1])),
        (BinaryCrossEntropyLoss, (Tensor([0.5, 0.5]), [0.0, 1.0])),
    ],
)
def test_call_goes_through_forward(cls, args, monkeypatch):
    calls = []
    original = cls.forward

    def wrapped(self, predictions, targets):
        calls.append(predictions)
        return original(self, predictions, targets)

    monkeypatch.setattr(cls, "forward", wrapped)
    loss = cls()(*args)
    assert len(calls) == 1 and calls[0] is args[0]
    assert_scalar_tensor(loss)
