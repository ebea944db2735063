"""One training step through TinyTorch, against the same step in hand-written NumPy (and PyTorch).

Run on purpose (``benchmarks/`` is not in the default test paths)::

    OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_training_step.py

The step is what a student's training loop does: ``Sequential(Linear(64,
128), ReLU(), Linear(128, 10))`` from Modules 02-03, ``CrossEntropyLoss``
from Module 04, ``loss.backward()`` from Module 05, then plain SGD
``p.data -= lr * p.grad`` (and ``p.grad = None``, as ``zero_grad`` does).
The NumPy step computes the same numbers by hand (the same loss value and
the same parameter updates; ``test_steps_agree`` checks it): the floor for
any framework built on NumPy. A small CNN step (``Conv2d`` -> ReLU ->
``Linear``) joins once a module exports ``Conv2d``; until then it is
skipped with that reason.

The steps live in ``pytest_tinytorch.bench.steps`` (shared with ``tito
benchmark``). They are timed **interleaved** (alternating blocks, so
machine noise hits both alike; CPU time of the thread); the ratio of the
medians goes into ``extra_info`` and is checked against
``benchmarks/baseline.json``. PyTorch CPU, when installed, is timed in its
own pass against NumPy and reported alongside; it is never required.
Float32, BLAS pinned to one thread.

``MAX_RATIO`` is the course's target for the MLP step (issue: at most 1.5x
the NumPy step at batch 32, 1.3x at batch 256), asserted here. Measured
1.39-1.46x and 1.14-1.17x on an idle machine; other jobs on the same cores
pushed batch 32 up to 1.68x, so run this on a quiet machine. The CI check
(tests/bench) compares against the committed baseline with a load-tolerant
margin instead.
"""

from __future__ import annotations

import numpy as np
import pytest

from pytest_tinytorch.bench.steps import MLPSteps, step_cases

MAX_RATIO = {32: 1.5, 256: 1.3}  # framework step / NumPy step, medians, idle machine


@pytest.mark.parametrize("batch", [32, 256])
def test_steps_agree(batch):
    """Both steps compute the same loss and the same updated parameters."""
    steps = MLPSteps(batch)
    for _ in range(3):
        loss_framework, loss_numpy = steps.framework(), steps.numpy()
        np.testing.assert_allclose(loss_framework, loss_numpy, rtol=1e-5)
    for p, mine in zip(steps.params, (steps.w1, steps.b1, steps.w2, steps.b2), strict=True):
        np.testing.assert_allclose(p.data, mine, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("batch", [32, 256])
def test_numpy_step(benchmark, batch):
    """The hand-written NumPy step alone (for the pytest-benchmark table)."""
    steps = MLPSteps(batch)
    benchmark.group = f"MLP training step, batch {batch}"
    benchmark.pedantic(steps.numpy, rounds=100, iterations=20, warmup_rounds=2)


@pytest.mark.parametrize("case", step_cases(), ids=lambda case: case.id.split("/", 1)[1])
def test_training_step(benchmark, measure, time_subject, case):
    """TinyTorch's step against the NumPy step (and PyTorch): ratio within the baseline's margin."""
    (result,) = measure(case, benchmark)
    time_subject(case)
    assert result.ratio is not None
    if case.model == "mlp":
        target = MAX_RATIO[case.batch]
        benchmark.extra_info["target_ratio"] = target
        assert result.ratio <= target, (
            f"MLP step at batch {case.batch}: {result.ratio:.2f}x the NumPy step, target {target}x "
            "(is the machine busy? the ratio is measured interleaved, but shared cores still skew it)"
        )
