"""One training step of an MLP through TinyTorch, against the same step in hand-written NumPy.

Run on purpose (``benchmarks/`` is not in the default test paths)::

    OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_training_step.py

The step is what a student's training loop does: ``Sequential(Linear(64,
128), ReLU(), Linear(128, 10))`` from Modules 02-03, ``CrossEntropyLoss``
from Module 04, ``loss.backward()`` from Module 05, then plain SGD
``p.data -= lr * p.grad`` (and ``p.grad = None``, as ``zero_grad`` does).
The NumPy step computes the same numbers by hand (the same loss value and
the same parameter updates; ``test_steps_agree`` checks it): the floor for
any framework built on NumPy.

The two are timed **interleaved** in the same test (alternating blocks of
steps, so machine noise hits both alike); the assertion is on the ratio of
the medians. pytest-benchmark's own statistics of the framework step are
recorded too, and both medians and the ratio go into ``extra_info``.
Float32, BLAS pinned to one thread.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # effective only if NumPy is not loaded yet

import statistics
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import tinytorch.core.autograd  # noqa: F401  (gradient recording on)
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor

SIZES = (64, 128, 10)
LR = 0.01
MAX_RATIO = {32: 1.5, 256: 1.3}  # framework step / NumPy step, medians


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


class Steps:
    """The model, a batch, and the two implementations of one SGD step."""

    def __init__(self, batch: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        np.random.seed(seed)
        n_in, n_hidden, n_out = SIZES
        self.model = Sequential(Linear(n_in, n_hidden), ReLU(), Linear(n_hidden, n_out))
        self.params = list(self.model.parameters())
        self.loss_fn = CrossEntropyLoss()
        self.x = Tensor(rng.standard_normal((batch, n_in)).astype(np.float32))
        self.y = rng.integers(0, n_out, size=batch)
        # The NumPy step trains its own copy of the same parameters.
        self.w1, self.b1, self.w2, self.b2 = (p.data.copy() for p in self.params)
        self.rows = np.arange(batch)

    def framework(self) -> float:
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    def numpy(self) -> float:
        x, y, rows, n = self.x.data, self.y, self.rows, len(self.y)
        w1, b1, w2, b2 = self.w1, self.b1, self.w2, self.b2
        h = x @ w1.T
        h += b1
        r = np.maximum(h, 0)
        z = r @ w2.T
        z += b2
        s = z - z.max(axis=1, keepdims=True)
        e = np.exp(s)
        sums = e.sum(axis=1)
        loss = (np.log(sums) - s[rows, y]).sum() / n
        e /= sums[:, None]
        e[rows, y] -= 1.0
        e /= n
        grad_w2, grad_b2 = e.T @ r, e.sum(axis=0)
        grad_r = e @ w2
        grad_r *= h > 0
        grad_w1, grad_b1 = grad_r.T @ x, grad_r.sum(axis=0)
        for p, g in ((w1, grad_w1), (b1, grad_b1), (w2, grad_w2), (b2, grad_b2)):
            p -= LR * g
        return float(loss)


def interleaved_medians(first, second, rounds: int = 41, number: int = 20) -> tuple[float, float]:
    """Median seconds per call of ``first()`` and ``second()``, timed in alternating blocks."""
    for _ in range(number):  # warm up caches and the allocator
        first()
        second()
    times: dict[int, list[float]] = {0: [], 1: []}
    functions = (first, second)
    for round_ in range(rounds):
        order = (0, 1) if round_ % 2 == 0 else (1, 0)
        for which in order:
            function = functions[which]
            start = time.perf_counter()
            for _ in range(number):
                function()
            times[which].append((time.perf_counter() - start) / number)
    return statistics.median(times[0]), statistics.median(times[1])


@pytest.mark.parametrize("batch", [32, 256])
def test_steps_agree(batch):
    """Both steps compute the same loss and the same updated parameters."""
    steps = Steps(batch)
    for _ in range(3):
        loss_framework, loss_numpy = steps.framework(), steps.numpy()
        np.testing.assert_allclose(loss_framework, loss_numpy, rtol=1e-5)
    for p, mine in zip(steps.params, (steps.w1, steps.b1, steps.w2, steps.b2), strict=True):
        np.testing.assert_allclose(p.data, mine, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("batch", [32, 256])
def test_numpy_step(benchmark, batch):
    """The hand-written NumPy step alone (for the pytest-benchmark table)."""
    steps = Steps(batch)
    benchmark.group = f"training step, batch {batch}"
    benchmark.pedantic(steps.numpy, rounds=100, iterations=20, warmup_rounds=2)


@pytest.mark.parametrize("batch", [32, 256])
def test_training_step(benchmark, batch):
    """TinyTorch's step is at most MAX_RATIO[batch] times the NumPy step (medians, interleaved)."""
    steps = Steps(batch)
    numpy_s, framework_s = interleaved_medians(steps.numpy, steps.framework)
    ratio = framework_s / numpy_s
    benchmark.group = f"training step, batch {batch}"
    benchmark.extra_info.update(
        batch=batch,
        numpy_median_us=round(numpy_s * 1e6, 2),
        tinytorch_median_us=round(framework_s * 1e6, 2),
        ratio=round(ratio, 3),
        max_ratio=MAX_RATIO[batch],
    )
    benchmark.pedantic(steps.framework, rounds=100, iterations=20, warmup_rounds=2)
    assert ratio <= MAX_RATIO[batch], (
        f"batch={batch}: TinyTorch step {framework_s * 1e6:.1f} us is {ratio:.2f}x the NumPy step "
        f"{numpy_s * 1e6:.1f} us (limit {MAX_RATIO[batch]}x). Look for new Python work per "
        "operation, zero-filled or copied gradients, or gradients computed that nobody needs."
    )
