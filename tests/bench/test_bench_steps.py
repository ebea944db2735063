"""The training-step and memory cases: agreement, the CNN's NumPy gradients, skipping without Conv2d."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from pytest_tinytorch.bench import steps as step_module
from pytest_tinytorch.bench.memory import MemoryCase, peak_bytes
from pytest_tinytorch.bench.results import ERROR, OK, SKIPPED
from pytest_tinytorch.bench.steps import StepCase, _patches, cnn_numpy_grads


def test_the_mlp_step_is_measured_against_numpy(tiny):
    (result,) = StepCase("mlp", 32).measure(tiny)
    assert result.status == OK and result.tinytorch > 0 and result.numpy > 0
    assert result.torch_note == "not measured"  # tiny settings ask for no PyTorch


def test_a_step_that_computes_something_else_is_an_error(tiny, monkeypatch):
    monkeypatch.setattr(step_module.MLPSteps, "numpy", lambda self: 123.0)
    (result,) = StepCase("mlp", 32).measure(tiny)
    assert result.status == ERROR
    assert "timing them means nothing" in result.message


def test_without_conv2d_the_cnn_cases_are_skipped_and_say_why(tiny):
    assert step_module.find_class("Conv2d") is None  # no CNN module in the course yet
    for case in (StepCase("cnn", 32), MemoryCase("cnn", 32)):
        (result,) = case.measure(tiny)
        assert result.status == SKIPPED
        assert "tinytorch has no Conv2d yet" in result.message


def test_the_numpy_cnn_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    batch, side, filters, k, classes = 3, 5, 2, 3, 4
    out_side = side - k + 1
    x = rng.standard_normal((batch, 1, side, side))
    y = rng.integers(0, classes, size=batch)
    params = [
        rng.standard_normal((filters, 1, k, k)),
        rng.standard_normal(filters),
        rng.standard_normal((classes, filters * out_side**2)),
        rng.standard_normal(classes),
    ]
    cols, rows = _patches(x, k), np.arange(batch)
    _, grads = cnn_numpy_grads(cols, y, rows, *params, out_side)
    eps = 1e-6
    for param, grad in zip(params, grads, strict=True):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + eps
            plus = cnn_numpy_grads(cols, y, rows, *params, out_side)[0]
            param[index] = original - eps
            minus = cnn_numpy_grads(cols, y, rows, *params, out_side)[0]
            param[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def _slice_conv_module():
    """A ``Conv2d`` made of TinyTorch slicing, broadcasting and sums (autograd does the rest)."""
    from tinytorch.core.layers import Parameter

    class Conv2d:
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
            bound = 1 / np.sqrt(in_channels * kernel_size**2)
            shape = (out_channels, in_channels, kernel_size, kernel_size)
            self.weight = Parameter(np.random.uniform(-bound, bound, shape))
            self.bias = Parameter(np.random.uniform(-bound, bound, out_channels))
            self.k = kernel_size

        def __call__(self, x):
            _, channels, height, width = x.shape
            oh, ow, out = height - self.k + 1, width - self.k + 1, None
            for i in range(self.k):
                for j in range(self.k):
                    for c in range(channels):
                        patch = x[:, c : c + 1, i : i + oh, j : j + ow]
                        term = patch * self.weight[:, c, i, j].reshape(1, -1, 1, 1)
                        out = term if out is None else out + term
            return out + self.bias.reshape(1, -1, 1, 1)

    module = types.ModuleType("tinytorch.fake_spatial")
    Conv2d.__module__ = module.__name__
    module.Conv2d = Conv2d
    return module


def test_with_a_conv2d_the_cnn_step_runs_and_agrees_with_numpy(tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "tinytorch.fake_spatial", _slice_conv_module())
    assert step_module.find_class("Conv2d") is not None
    (step,) = StepCase("cnn", 8).measure(tiny)  # agreement of the first steps is checked first
    assert step.status == OK, step.message
    (memory,) = MemoryCase("cnn", 8).measure(tiny)
    assert memory.status == OK and memory.tinytorch > 0 and memory.numpy > 0


def test_peak_bytes_sees_numpy_allocations():
    small = peak_bytes(lambda: np.ones(10))
    large = peak_bytes(lambda: np.ones(100_000))
    assert large - small == pytest.approx(800_000 - 80, rel=0.01)


def test_the_mlp_memory_case_reports_bytes_and_no_pytorch_number(tiny):
    (result,) = MemoryCase("mlp", 32).measure(tiny)
    assert result.status == OK and result.unit == "bytes"
    assert result.torch is None and "tracemalloc" in result.torch_note


def test_without_pytorch_the_column_says_not_installed(monkeypatch):
    from pytest_tinytorch.bench import base
    from pytest_tinytorch.bench.cases import by_id

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    base._import_torch.cache_clear()
    try:
        (result,) = by_id(["op/add/1x1"])[0].measure(base.Settings(rounds=1, block_s=1e-4, torch=True))
    finally:
        base._import_torch.cache_clear()
    assert result.torch is None and result.torch_note == "not installed"
    assert result.ratio is not None
