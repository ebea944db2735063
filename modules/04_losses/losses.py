# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tinytorch:
#     requires: [1, 2, 3]
#     points: 65
# ---

# %% [markdown]
"""
# Module 04: Losses - one number that says how wrong the model is

A model turns inputs into predictions. To *improve* it we need to measure
how far the predictions are from the right answers, as a single number: the
**loss**. Training (Modules 05-07) is nothing but nudging every parameter in
the direction that makes this number smaller, so the loss defines what
"better" means. This module builds the three losses behind most of deep
learning:

| loss | task | predictions | targets |
|---|---|---|---|
| `MSELoss` | regression (predict a number) | any real numbers | numbers, same shape |
| `CrossEntropyLoss` | classification, C classes | logits `(N, C)` | class indices `(N,)` |
| `BinaryCrossEntropyLoss` (`BCELoss`) | yes/no questions | probabilities in (0, 1) | 0 or 1 |

All three average over the batch (PyTorch's `reduction="mean"`) and return
a scalar `Tensor`. This module is forward-only: Module 05 adds gradients.

## Learning objectives

1. Compute mean squared error, cross-entropy and binary cross-entropy on
   whole batches with vectorized NumPy.
2. Derive a numerically stable cross-entropy from logits with the
   **log-sum-exp** trick, and explain why `log(softmax(x))` computed naively
   returns `-inf` and `nan`.
3. Guard `log(0)` with an epsilon, and validate shapes with clear errors.
4. Measure how the cost of cross-entropy grows with batch size and number of
   classes, and how often the naive formula fails.

## Prerequisites

- **Module 01 (Tensor)**: `Tensor`, `.data`, `.shape`, `item()`.
- **Module 02 (Activations)**: `Softmax` and its max-subtraction trick, and
  `Sigmoid` (BCE expects probabilities, usually a Sigmoid output).
- **Module 03 (Layers)**: `Linear`, used in the integration test.
- NumPy *fancy indexing*: `a[np.arange(N), t]` picks `a[i, t[i]]` for every row.

## Where this code lives

`tito source export 04` writes `tinytorch/core/losses.py`:

```python
from tinytorch.core.losses import MSELoss, CrossEntropyLoss, BinaryCrossEntropyLoss, BCELoss
```
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.losses
#| export
import numpy as np

from tinytorch.core.tensor import ShapeError, Tensor, from_numpy

# %% [markdown]
"""
## 1. The shape of a loss

Every loss here is a small class, like the activations:

```python
loss_fn = MSELoss()
loss = loss_fn(predictions, targets)    # calls loss_fn.forward(...)
loss.item()                             # the plain Python float
```

`forward` does all the work on NumPy arrays and returns
`from_numpy(value)` (Module 01's wrapper for results: no copy, dtype kept)
where `value` has shape `()`, a single number. In Module 05 each `forward`
is wrapped so that it also knows its gradient; keep every computation inside
`forward`.

Targets are data, not model outputs, so we accept them as a `Tensor`, a
NumPy array or a plain list. The given helpers below convert them and check
shapes, so a mistake such as predictions of shape `(32, 1)` against targets
of shape `(32,)` fails loudly instead of silently broadcasting to a
`(32, 32)` matrix of nonsense differences.
"""


# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false}
#| export
def _as_array(targets) -> np.ndarray:
    """Targets as a NumPy array, whether given as a Tensor, an array or a list."""
    return targets.data if isinstance(targets, Tensor) else np.asarray(targets)


def _same_shape_targets(loss: str, predictions: Tensor, targets) -> np.ndarray:
    """Targets as a float array of the predictions' shape, or a clear error."""
    t = _as_array(targets)
    if t.shape != predictions.shape:
        raise ShapeError(
            f"{loss}: predictions.shape={tuple(predictions.shape)} and targets.shape={t.shape} "
            "must be equal (no broadcasting: it hides bugs). Reshape one of them, "
            "e.g. predictions.reshape(-1)."
        )
    if t.size == 0:
        raise ShapeError(
            f"{loss}: predictions.shape={tuple(predictions.shape)} is empty; "
            "a loss needs at least one value."
        )
    dtype = predictions.dtype if predictions.dtype.kind == "f" else np.float32
    return t.astype(dtype, copy=False)


def _class_targets(logits: Tensor, targets) -> np.ndarray:
    """Class indices of shape (N,) in [0, C) for logits of shape (N, C), or a clear error."""
    t = _as_array(targets)
    if logits.ndim != 2:
        raise ShapeError(
            f"CrossEntropyLoss: logits.shape={tuple(logits.shape)} must be (N, C): one row of C "
            "class scores per sample. For a single sample use logits.reshape(1, -1)."
        )
    n, c = logits.shape
    if t.shape != (n,):
        raise ShapeError(
            f"CrossEntropyLoss: targets.shape={t.shape} must be ({n},): one class index per row of "
            f"logits.shape={tuple(logits.shape)}."
        )
    if n == 0:
        raise ShapeError(
            f"CrossEntropyLoss: logits.shape={tuple(logits.shape)} is an empty batch; "
            "a loss needs N >= 1."
        )
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"CrossEntropyLoss: targets.dtype={t.dtype} must be an integer type "
            "(class indices such as [0, 2, 1]), not one-hot vectors or probabilities."
        )
    if t.min() < 0 or t.max() >= c:
        raise ValueError(
            f"CrossEntropyLoss: targets must be class indices in [0, {c}) for C={c} classes, got "
            f"min={t.min()}, max={t.max()}."
        )
    return t


# %% [markdown]
"""
## 2. Mean squared error

For regression, the natural error of one prediction is its distance from the
target. Squaring it makes every error positive and punishes big mistakes
much more than small ones; averaging makes the loss independent of batch
size:

```
MSE = mean((predictions - targets)^2)

predictions [2.5, 0.0, 2.0]    targets [3.0, -0.5, 2.0]
differences [-0.5, 0.5, 0.0]   squares [0.25, 0.25, 0.0]   MSE = 0.1667
```
"""


# %% nbgrader={"grade": false, "grade_id": "mse", "locked": false, "schema_version": 3, "solution": true}
#| export
class MSELoss:
    """Mean squared error, ``mean((predictions - targets) ** 2)`` (PyTorch: ``nn.MSELoss``)."""

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """Return the mean squared error as a scalar Tensor.

        TODO: average the squared differences over every element.

        APPROACH:
        1. t = _same_shape_targets("MSELoss", predictions, targets)
           (an array; raises a clear error if the shapes differ).
        2. diff = predictions.data - t
        3. Return from_numpy(np.mean(diff * diff)).

        HINTS:
        - diff * diff is faster than diff ** 2 and gives the same result.
        - np.mean of a float32 array is a float32 scalar: shape ().

        EXAMPLE:
        >>> MSELoss()(Tensor([2.5, 0.0, 2.0]), [3.0, -0.5, 2.0]).item()
        0.1666666716337204
        """
        ### BEGIN SOLUTION
        t = _same_shape_targets("MSELoss", predictions, targets)
        diff = predictions.data - t
        return from_numpy(np.mean(diff * diff))
        ### END SOLUTION

    def __call__(self, predictions: Tensor, targets) -> Tensor:
        return self.forward(predictions, targets)

    def __repr__(self) -> str:
        return "MSELoss()"


# %% nbgrader={"grade": true, "grade_id": "test-mse", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def _expect_error(exc_type, fn, *args, contains: str = ""):
    """Assert that fn(*args) raises exc_type whose message contains ``contains``."""
    try:
        fn(*args)
    except exc_type as exc:
        assert contains in str(exc), (
            f"{exc_type.__name__} message {str(exc)!r} should mention {contains!r}"
        )
        return
    raise AssertionError(f"{fn!r}{args} should raise {exc_type.__name__}")


def test_unit_mse():
    """MSELoss matches a float64 oracle, returns a float32 scalar, accepts any target type."""
    loss_fn = MSELoss()
    rng = np.random.default_rng(0)
    pred = rng.standard_normal((8, 3)).astype(np.float32)
    target = rng.standard_normal((8, 3)).astype(np.float32)
    oracle = np.mean((pred.astype(np.float64) - target) ** 2)
    for given in (Tensor(target), target, target.tolist()):
        loss = loss_fn(Tensor(pred), given)
        assert isinstance(loss, Tensor), f"must return a Tensor, got {type(loss).__name__}"
        assert loss.shape == () and loss.dtype == np.float32, (
            f"got shape {loss.shape}, dtype {loss.dtype}"
        )
        np.testing.assert_allclose(loss.item(), oracle, rtol=1e-5)
    assert loss_fn(Tensor(pred), pred).item() == 0.0, "identical inputs must give zero loss"
    np.testing.assert_allclose(
        loss_fn(Tensor([2.5, 0.0, 2.0]), [3.0, -0.5, 2.0]).item(), 1 / 6, rtol=1e-6
    )
    _expect_error(ShapeError, loss_fn, Tensor(np.zeros((4, 1))), np.zeros(4), contains="(4, 1)")


if __name__ == "__main__":
    test_unit_mse()

# %% [markdown]
"""
## 3. Cross-entropy: the classification loss

A classifier outputs one **logit** (raw score) per class. Softmax (Module 02)
turns a row of logits into probabilities `p`. If the right class of sample
`i` is `t_i`, the model did well when `p[i, t_i]` is close to 1. The
cross-entropy loss is the average *surprise*:

```
CE = mean_i( -log p[i, t_i] )

p[i, t_i] = 1     -> loss 0        (certain and right)
p[i, t_i] = 0.5   -> loss 0.69
p[i, t_i] = 0.001 -> loss 6.9      (confident and wrong: heavily punished)
uniform over C    -> loss log(C)   (a model that knows nothing)
```

### Don't compute log(softmax(x)) naively

With logits `[0, 200]` in `float32`, softmax gives `[exp(-200), 1]`, and
`exp(-200)` is smaller than the smallest float32, so it becomes exactly `0`
and `log(0) = -inf`. (With logits above 88, the naive softmax already
returned `nan`.) Work in log space instead:

```
log softmax(x)_j = x_j - log(sum_k exp(x_k))
                 = (x_j - m) - log(sum_k exp(x_k - m))     with m = max_k x_k
```

The second line is the **log-sum-exp trick**: after subtracting the row max
`m`, every exponent is `<= 0` (no overflow) and the sum is at least 1 (its
log is never `-inf`). So

```
CE_i = log(sum_k exp(s_ik)) - s_i,t_i        where s = x - max(x, per row)
```

and we never compute a probability at all. PyTorch's `CrossEntropyLoss`
takes logits for exactly this reason: do **not** put a Softmax before it.
"""


# %% nbgrader={"grade": false, "grade_id": "cross-entropy", "locked": false, "schema_version": 3, "solution": true}
#| export
class CrossEntropyLoss:
    """Softmax cross-entropy from logits (PyTorch: ``torch.nn.CrossEntropyLoss``).

    ``forward(logits, targets)``: logits (N, C) of any real values, targets (N,)
    integer class indices in [0, C). Returns the mean over the batch. Stable for
    any logits (log-sum-exp).
    """

    def forward(self, logits: Tensor, targets) -> Tensor:
        """Return the mean cross-entropy of ``logits`` against class indices ``targets``.

        TODO: compute mean_i( log(sum_k exp(s_ik)) - s_i,t_i ), s = logits - row max.

        APPROACH:
        1. t = _class_targets(logits, targets): validated int indices, shape (N,).
        2. s = logits.data minus its max along axis 1 (keepdims=True).
        3. log_sum_exp = log of the sum of exp(s) along axis 1: shape (N,).
        4. picked = s[np.arange(N), t]: each row's score for its right class.
        5. Return from_numpy(np.mean(log_sum_exp - picked)).

        HINTS:
        - Every entry of s is <= 0 and every row of s contains a 0, so exp
          cannot overflow and the sum is >= 1.
        - Never build the probabilities: log(0) is exactly what we avoid.

        EXAMPLE:
        >>> CrossEntropyLoss()(Tensor([[2.0, 1.0, 0.1], [0.0, 0.0, 1000.0]]), [0, 2]).item()
        0.2085150... (= (0.417 + 0.0) / 2)
        """
        ### BEGIN SOLUTION
        t = _class_targets(logits, targets)
        z = logits.data
        s = z - z.max(axis=1, keepdims=True)
        log_sum_exp = np.log(np.exp(s).sum(axis=1))
        picked = s[np.arange(z.shape[0]), t]
        return from_numpy(np.mean(log_sum_exp - picked))
        ### END SOLUTION

    def __call__(self, logits: Tensor, targets) -> Tensor:
        return self.forward(logits, targets)

    def __repr__(self) -> str:
        return "CrossEntropyLoss()"


# %% nbgrader={"grade": true, "grade_id": "test-cross-entropy", "locked": true, "points": 25, "schema_version": 3, "solution": false}
def _cross_entropy_oracle(logits: np.ndarray, targets: np.ndarray) -> float:
    z = logits.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    log_probs = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())


def test_unit_cross_entropy():
    """CrossEntropyLoss matches a float64 oracle, survives huge logits, validates its inputs."""
    loss_fn = CrossEntropyLoss()
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, size=(16, 5)).astype(np.float32)
    targets = rng.integers(0, 5, size=16)
    loss = loss_fn(Tensor(logits), targets)
    assert isinstance(loss, Tensor) and loss.shape == () and loss.dtype == np.float32, (
        f"got {type(loss).__name__} of shape {getattr(loss, 'shape', None)}, "
        f"dtype {getattr(loss, 'dtype', None)}"
    )
    np.testing.assert_allclose(loss.item(), _cross_entropy_oracle(logits, targets), rtol=1e-5)
    np.testing.assert_allclose(
        loss_fn(Tensor(logits), Tensor(targets)).item(), loss.item(), rtol=1e-6
    )
    # known values: uniform logits give log(C); a confident right answer gives ~0
    np.testing.assert_allclose(
        loss_fn(Tensor(np.zeros((3, 7))), [0, 3, 6]).item(), np.log(7), rtol=1e-6
    )
    # stability: huge logits, confident and wrong or right, stay finite and exact
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 200.0, 0.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss_fn(Tensor(big), [2, 0]).item()
    np.testing.assert_allclose(value, (2000.0 + 200.0) / 2, rtol=1e-6)
    np.testing.assert_allclose(loss_fn(Tensor(big), [0, 1]).item(), 0.0, atol=1e-6)
    # clear errors
    _expect_error(ShapeError, loss_fn, Tensor(np.zeros(5)), [1], contains="(N, C)")
    _expect_error(ShapeError, loss_fn, Tensor(np.zeros((4, 3))), [0, 1, 2], contains="(4,)")
    _expect_error(
        TypeError, loss_fn, Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]), contains="integer"
    )
    _expect_error(ValueError, loss_fn, Tensor(np.zeros((2, 3))), [0, 3], contains="max=3")


if __name__ == "__main__":
    test_unit_cross_entropy()

# %% [markdown]
"""
## 4. Binary cross-entropy

For yes/no questions the model outputs one probability `p` per question
(usually `Sigmoid` of a logit), and the target `y` is 1 (yes) or 0 (no).
Binary cross-entropy is cross-entropy with two classes, probability `p` for
"yes" and `1 - p` for "no":

```
BCE = mean( -[ y * log(p) + (1 - y) * log(1 - p) ] )
```

If the model says `p = 0` (or `1`) exactly and is wrong, `log(0) = -inf`
and the loss is infinite. Sigmoid of a large logit really does round to
exactly 0 or 1 in `float32`, so we **clip** the probabilities to
`[eps, 1 - eps]` first (`eps = 1e-7`): a single sample can then contribute
at most `-log(1e-7) = 16.1`. (PyTorch instead caps each log at -100, so the
two agree except on such saturated predictions.)

For `log(1 - p)` use `np.log1p(-p)`: it computes `log(1 + x)` accurately
even when `x` is tiny, where `1 - p` itself would round.
"""


# %% nbgrader={"grade": false, "grade_id": "bce", "locked": false, "schema_version": 3, "solution": true}
#| export
class BinaryCrossEntropyLoss:
    """Binary cross-entropy on probabilities (PyTorch: ``torch.nn.BCELoss``).

    ``forward(predictions, targets)``: predictions in [0, 1] (e.g. a Sigmoid
    output), targets of the same shape, usually 0 or 1. Probabilities are
    clipped to ``[eps, 1 - eps]`` so the loss is always finite.
    """

    def __init__(self, eps: float = 1e-7) -> None:
        if not 0 < eps < 0.5:
            raise ValueError(
                f"BinaryCrossEntropyLoss: eps={eps!r} must be a small positive number, e.g. 1e-7"
            )
        self.eps = eps

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """Return the mean binary cross-entropy as a scalar Tensor.

        TODO: clip the probabilities, then average -[y log p + (1 - y) log(1 - p)].

        APPROACH:
        1. y = _same_shape_targets("BinaryCrossEntropyLoss", predictions, targets)
        2. p = predictions.data. If any value is below 0 or above 1, raise a
           ValueError naming min and max (probably a missing Sigmoid).
        3. p = np.clip(p, self.eps, 1 - self.eps)
        4. Return from_numpy(np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p)))).

        HINTS:
        - np.clip(a, low, high) works element-wise and keeps float32.
        - np.log1p(-p) is log(1 - p), accurate for small p.

        EXAMPLE:
        >>> BinaryCrossEntropyLoss()(Tensor([0.9, 0.2]), [1.0, 0.0]).item()
        0.164252... (= (-log 0.9 - log 0.8) / 2)
        """
        ### BEGIN SOLUTION
        y = _same_shape_targets("BinaryCrossEntropyLoss", predictions, targets)
        p = predictions.data
        if p.min() < 0 or p.max() > 1:
            raise ValueError(
                f"BinaryCrossEntropyLoss: predictions must be probabilities in [0, 1], got "
                f"min={p.min()}, max={p.max()}; apply Sigmoid to the model's outputs first."
            )
        p = np.clip(p, self.eps, 1 - self.eps)
        return from_numpy(np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p))))
        ### END SOLUTION

    def __call__(self, predictions: Tensor, targets) -> Tensor:
        return self.forward(predictions, targets)

    def __repr__(self) -> str:
        return f"BinaryCrossEntropyLoss(eps={self.eps})"


BCELoss = BinaryCrossEntropyLoss  # PyTorch's name


# %% nbgrader={"grade": true, "grade_id": "test-bce", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_bce():
    """BCE matches a float64 oracle, stays finite at p = 0 and 1, and rejects non-probabilities."""
    loss_fn = BCELoss()
    assert isinstance(loss_fn, BinaryCrossEntropyLoss)
    rng = np.random.default_rng(2)
    p = rng.uniform(0.01, 0.99, size=(10, 4)).astype(np.float32)
    y = (rng.random((10, 4)) < 0.5).astype(np.float32)
    p64 = p.astype(np.float64)
    oracle = np.mean(-(y * np.log(p64) + (1 - y) * np.log(1 - p64)))
    loss = loss_fn(Tensor(p), Tensor(y))
    assert loss.shape == () and loss.dtype == np.float32, (
        f"got shape {loss.shape}, dtype {loss.dtype}"
    )
    np.testing.assert_allclose(loss.item(), oracle, rtol=1e-5)
    np.testing.assert_allclose(
        loss_fn(Tensor([0.9, 0.2]), [1, 0]).item(), -(np.log(0.9) + np.log(0.8)) / 2, rtol=1e-5
    )
    # saturated predictions: finite, and capped by -log(eps)
    with np.errstate(divide="raise", invalid="raise"):
        wrong_low = loss_fn(Tensor([0.0]), [1.0]).item()
        wrong_high = loss_fn(Tensor([1.0]), [0.0]).item()
        right = loss_fn(Tensor([0.0, 1.0]), [0.0, 1.0]).item()
    np.testing.assert_allclose(
        wrong_low, -np.log(1e-7), rtol=1e-4, err_msg="p=0, y=1 must cost -log(eps)"
    )
    assert 15 < wrong_high < 16.2, f"p=1, y=0 must cost about -log(eps), got {wrong_high}"
    assert 0 <= right < 1e-6, f"a certain, correct prediction must cost ~0, got {right}"
    _expect_error(ValueError, loss_fn, Tensor([0.5, 1.5]), [1.0, 0.0], contains="Sigmoid")
    _expect_error(ShapeError, loss_fn, Tensor([0.5, 0.5]), [[1.0, 0.0]], contains="(1, 2)")


if __name__ == "__main__":
    test_unit_bce()

# %% [markdown]
"""
## 5. Systems analysis

### What does cross-entropy cost?

Cross-entropy reads an `(N, C)` array of logits a few times (max, subtract,
exp, sum) and builds temporary `(N, C)` arrays on the way. The function
below measures time per call and per sample, and the peak temporary memory,
for growing batch sizes and two class counts (10 digits, 1000 ImageNet
classes), next to the naive `-log(softmax(x))[t]`.
"""

# %% nbgrader={"grade": false, "grade_id": "analysis-helpers", "locked": true, "schema_version": 3, "solution": false}
import time
import tracemalloc


def _best_seconds(fn, repeat: int = 7) -> float:
    """The fastest of ``repeat`` timed calls (the least disturbed by other programs)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _naive_cross_entropy(z: np.ndarray, t: np.ndarray) -> float:
    """The textbook formula: softmax, then log, then pick. Breaks for large logits."""
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-np.log(probs[np.arange(len(t)), t]).mean())


# %% nbgrader={"grade": false, "grade_id": "analysis-cost", "locked": true, "schema_version": 3, "solution": false}
def analyze_cross_entropy_cost(batches=(32, 256, 2048, 16384), classes=(10, 1000)) -> None:
    """Time, time per sample and peak extra memory of CrossEntropyLoss vs the naive formula."""
    loss_fn = CrossEntropyLoss()
    print(
        f"{'N':>6} {'C':>5} {'logits MB':>10} {'ours ms':>8} {'us/sample':>10} "
        f"{'naive ms':>9} {'peak extra MB':>14}"
    )
    for c in classes:
        for n in batches:
            rng = np.random.default_rng(0)
            z = rng.standard_normal((n, c)).astype(np.float32)
            t = rng.integers(0, c, size=n)
            x = Tensor(z)
            t_ours = _best_seconds(lambda x=x, t=t: loss_fn(x, t))
            t_naive = _best_seconds(lambda z=z, t=t: _naive_cross_entropy(z, t))
            tracemalloc.start()
            loss_fn(x, t)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"{n:>6} {c:>5} {z.nbytes / 1e6:>10.2f} {t_ours * 1e3:>8.3f} "
                f"{t_ours / n * 1e6:>10.3f} "
                f"{t_naive * 1e3:>9.3f} {peak / 1e6:>14.2f}"
            )
    print("peak extra MB / logits MB = how many logit-sized temporaries one loss call allocates.")


if __name__ == "__main__":
    analyze_cross_entropy_cost()

# %% [markdown]
"""
### Naive vs stable cross-entropy

The same random logits, scaled up: how many batches does each formula turn
into `inf` or `nan`, and how far is each from a float64 oracle?
"""


# %% nbgrader={"grade": false, "grade_id": "analysis-stability", "locked": true, "schema_version": 3, "solution": false}
def analyze_cross_entropy_stability(scales=(1, 10, 30, 100, 1000), trials: int = 50) -> None:
    """Count non-finite losses of the naive and stable formulas as logits grow."""
    loss_fn = CrossEntropyLoss()
    rng = np.random.default_rng(3)
    print(
        f"{'scale':>6} {'naive non-finite':>17} {'stable non-finite':>18} "
        f"{'stable max rel err':>19}"
    )
    for scale in scales:
        naive_bad = stable_bad = 0
        worst = 0.0
        for _ in range(trials):
            z = (rng.standard_normal((32, 10)) * scale).astype(np.float32)
            t = rng.integers(0, 10, size=32)
            with np.errstate(all="ignore"):
                naive_bad += not np.isfinite(_naive_cross_entropy(z, t))
            value = loss_fn(Tensor(z), t).item()
            stable_bad += not np.isfinite(value)
            oracle = _cross_entropy_oracle(z, t)
            worst = max(worst, abs(value - oracle) / oracle)
        print(f"{scale:>6} {naive_bad:>11}/{trials:<5} {stable_bad:>12}/{trials:<5} {worst:>19.2e}")


if __name__ == "__main__":
    analyze_cross_entropy_stability()

# %% [markdown]
"""
## 6. Integration test

A linear classifier from Module 03 scores a batch; the loss must agree with
a float64 oracle, be smaller for better predictions, and BCE must work on
Sigmoid outputs from Module 02.
"""

# %% nbgrader={"grade": false, "grade_id": "import-earlier", "locked": true, "schema_version": 3, "solution": false}
from tinytorch.core.activations import Sigmoid
from tinytorch.core.layers import Linear


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """Losses on the outputs of real layers match float64 oracles and rank predictions correctly."""
    np.random.seed(0)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((32, 6)).astype(np.float32)
    labels = rng.integers(0, 4, size=32)
    layer = Linear(6, 4)
    logits = layer(Tensor(x))
    ce = CrossEntropyLoss()(logits, labels)
    np.testing.assert_allclose(ce.item(), _cross_entropy_oracle(logits.data, labels), rtol=1e-5)
    # pushing the right class's logit up must lower the loss; down must raise it
    boost = np.zeros((32, 4), dtype=np.float32)
    boost[np.arange(32), labels] = 2.0
    assert CrossEntropyLoss()(Tensor(logits.data + boost), labels).item() < ce.item()
    assert CrossEntropyLoss()(Tensor(logits.data - boost), labels).item() > ce.item()
    # BCE on Sigmoid outputs, MSE on a regression head
    probs = Sigmoid()(logits)
    y = (rng.random((32, 4)) < 0.5).astype(np.float32)
    p64 = 1 / (1 + np.exp(-logits.data.astype(np.float64)))
    bce_oracle = np.mean(-(y * np.log(p64) + (1 - y) * np.log(1 - p64)))
    np.testing.assert_allclose(BCELoss()(probs, y).item(), bce_oracle, rtol=1e-5)
    mse = MSELoss()(logits, Tensor(np.zeros((32, 4))))
    np.testing.assert_allclose(mse.item(), np.mean(logits.data.astype(np.float64) ** 2), rtol=1e-5)
    assert all(repr(f).endswith(")") for f in (MSELoss(), CrossEntropyLoss(), BCELoss()))
    # float64 predictions (used for precise gradient checks later) keep float64
    z64 = Tensor(logits.data, dtype=np.float64)
    assert CrossEntropyLoss()(z64, labels).dtype == np.float64
    assert MSELoss()(z64, np.zeros((32, 4))).dtype == np.float64


if __name__ == "__main__":
    test_module()
    print("Module 04 (losses): all tests passed.")

# %% [markdown]
"""
## Reflection questions

1. For C classes, a model that outputs all-zero logits has cross-entropy
   `log(C)`. What is that for 10 and for 1000 classes? Why is it a useful
   number to compare with the first loss printed when training starts?
2. The analysis counts how many `(N, C)`-sized temporary arrays one
   cross-entropy call allocates. Which lines of your `forward` create them?
   Could in-place operations (`out=`) remove one, and is it worth it at
   `N = 32, C = 10`?
3. `CrossEntropyLoss` takes logits, not probabilities. What goes wrong if
   you put a `Softmax` before it, both for the loss value and (think ahead to
   Module 05) for the gradient?
4. With `eps = 1e-7`, what is the largest loss a single BCE sample can
   contribute? Why can't `eps` be much smaller in `float32` (hint: what is
   `np.float32(1) - np.float32(1e-9)`)?
5. MSE on predictions of shape `(32, 1)` and targets of shape `(32,)` would
   broadcast to `(32, 32)` in NumPy. What loss would that compute, and why
   does our version raise an error instead?
"""
