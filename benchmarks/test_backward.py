"""Backward cost against graph size: it must grow linearly with the number of nodes.

Run on purpose::

    OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_backward.py

For a chain (one path) and for stacked diamonds (``2**k`` paths through
``3k + 1`` nodes), backward is timed at seven depths, interleaved with a
hand-written NumPy backward of the same graph. The test checks the
*growth*: the marginal cost per node fitted on the largest graphs may be
at most ``growth.LIMIT`` times the one fitted on the smallest (see
``pytest_tinytorch.bench.growth``), so a cost per path or a quadratic
bookkeeping step fails even where a single point would look fine. Each
depth's ratio to NumPy is also checked against the baseline.
"""

from __future__ import annotations

import pytest

from pytest_tinytorch.bench.graphs import backward_cases
from pytest_tinytorch.bench.growth import growth


@pytest.mark.parametrize("case", backward_cases(), ids=lambda case: case.graph.name)
def test_backward_grows_linearly(benchmark, measure, time_subject, case):
    results = measure(case, benchmark)
    found = growth(results)
    assert found is not None, f"{case.id}: fewer than three depths measured"
    benchmark.extra_info["growth"] = {
        "small_slope_us_per_node": round(found.small_slope * 1e6, 4),
        "large_slope_us_per_node": round(found.large_slope * 1e6, 4),
        "ratio": round(found.ratio, 3),
        "limit": found.limit,
    }
    time_subject(case)
    assert found.linear, f"{case.id}: {found.describe()}\n  if so: {case.explain}"
