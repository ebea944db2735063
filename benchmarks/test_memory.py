"""Peak memory of one training step, TinyTorch against the hand-written NumPy step.

Run on purpose::

    OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_memory.py

``tracemalloc`` peak of the bytes one step allocates (NumPy buffers and
Python objects alike), see ``pytest_tinytorch.bench.memory``. The ratio is
checked against the baseline with the memory margin (allocation sizes do
not depend on the machine's load). The CNN rows are skipped until a
module exports ``Conv2d``.
"""

from __future__ import annotations

import pytest

from pytest_tinytorch.bench.memory import memory_cases


@pytest.mark.parametrize("case", memory_cases(), ids=lambda case: case.id.split("/", 1)[1])
def test_step_peak_memory(measure, case):
    (result,) = measure(case)
    assert result.tinytorch and result.numpy and result.tinytorch > 0 and result.numpy > 0
