"""Per-op forward cost, TinyTorch against NumPy, from 1x1 to 1000x1000 inputs.

Run on purpose (``benchmarks/`` is not in the default test paths)::

    OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_ops.py

Each test times one operation at one size, TinyTorch and the same NumPy
call interleaved (and PyTorch when installed), records the ratio of the
medians in ``extra_info`` and fails if it regressed past
``benchmarks/baseline.json``. The cases are ``pytest_tinytorch.bench.ops``
(shared with ``tito benchmark``).
"""

from __future__ import annotations

import pytest

from pytest_tinytorch.bench.ops import op_cases


@pytest.mark.parametrize("case", op_cases(), ids=lambda case: case.id.split("/", 1)[1])
def test_op_overhead(benchmark, measure, time_subject, case):
    measure(case, benchmark)
    time_subject(case)
