"""The linear-growth check of backward: on known series, and on deliberately wrong backwards."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_tinytorch.bench.graphs import CHAIN, DIAMOND, BackwardSeries
from pytest_tinytorch.bench.growth import LIMIT, growth, slope
from pytest_tinytorch.bench.results import ERROR, OK, SKIPPED, STOPPED, Result

NODES = (16, 32, 64, 128, 256, 512, 1024)


def series(seconds_of, nodes=NODES, stop: str = "") -> list[Result]:
    rows = [
        Result(f"backward/g/{n}", "backward/g", "backward", f"g, {n} nodes", x=n, tinytorch=seconds_of(n), numpy=1.0)
        for n in nodes
    ]
    if stop:
        rows.append(Result("backward/g/2048", "backward/g", "backward", "g", status=STOPPED, message=stop))
    return rows


def test_slope_is_least_squares():
    assert slope([1, 2, 3], [3, 5, 7]) == pytest.approx(2.0)


def test_a_fixed_cost_plus_a_cost_per_node_is_linear():
    found = growth(series(lambda n: 50e-6 + 2.5e-6 * n))
    assert found.ratio == pytest.approx(1.0)
    assert found.linear
    assert "linear" in found.describe() and "2.50 us per added node" in found.describe()


def test_a_quadratic_cost_is_not_linear():
    found = growth(series(lambda n: 2e-6 * n + 1e-9 * n * n))
    assert found.ratio > LIMIT
    assert not found.linear
    assert "NOT LINEAR" in found.describe()


def test_a_stopped_series_is_not_linear_even_if_its_start_was():
    found = growth(series(lambda n: 1e-6 * n, nodes=(16, 32, 64), stop="stopped at 2048 nodes: ..."))
    assert not found.linear
    assert found.describe().startswith("NOT LINEAR: stopped at 2048 nodes")


def test_fewer_than_three_depths_give_no_verdict():
    assert growth(series(lambda n: 1e-6 * n, nodes=(16, 32))) is None


def per_path_backward(self, gradient=None):
    """A backward that walks every path from the output (the public TinyTorch bug)."""

    def visit(tensor, grad):
        if tensor.grad_fn is None:
            if tensor.requires_grad:
                tensor.grad = grad if tensor.grad is None else tensor.grad + grad
            return
        node = tensor.grad_fn
        for parent, needed, g in zip(node.inputs, node.needs_grad, node.backward(grad), strict=True):
            if needed and g is not None:
                visit(parent, g)

    visit(self, np.ones_like(self.data) if gradient is None else gradient)


def test_a_backward_per_path_is_stopped_before_it_runs_away(monkeypatch, tiny):
    from tinytorch.core.tensor import Tensor

    monkeypatch.setattr(Tensor, "backward", per_path_backward)
    results = BackwardSeries(DIAMOND).measure(tiny)  # depths 4, 8, 16: 2**16 paths at the last
    assert [r.status for r in results] == [OK, OK, STOPPED]
    assert "grows with the number of paths" in results[-1].message
    assert not growth(results).linear


def test_a_wrong_gradient_is_an_error_not_a_measurement(monkeypatch, tiny):
    from tinytorch.core.tensor import Tensor

    monkeypatch.setattr(Tensor, "backward", lambda self, gradient=None: None)
    results = BackwardSeries(CHAIN).measure(tiny)
    assert [r.status for r in results] == [ERROR]
    assert "x.grad should be all ones" in results[0].message


def test_the_real_backward_gives_exact_gradients_and_one_row_per_depth(tiny):
    results = BackwardSeries(DIAMOND).measure(tiny)
    assert [r.x for r in results] == [13, 25, 49]  # 3 nodes per diamond + the sum, up to 50
    assert all(r.status == OK and r.tinytorch > 0 and r.numpy > 0 for r in results)


def test_a_skipped_series_gets_no_verdict():
    skipped = Result("backward/g", "backward/g", "backward", "g", status=SKIPPED, message="needs 05_autograd")
    assert growth([skipped]) is None
