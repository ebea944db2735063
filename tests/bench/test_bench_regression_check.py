"""The regression check CI runs: the cheap ratios against ``benchmarks/baseline.json``.

This is the one timed check in the default ``pytest`` run (~1-3 s). It
compares ratios (TinyTorch / NumPy, interleaved medians, CPU time of the
thread, one BLAS thread), never absolute times. A ratio above
``baseline * (1 + margin)`` is re-measured, and fails only if it stays
above in all three attempts. Measured here next to a full ``pytest`` run
(16 quick runs, first attempts only), the worst ratio of a run was
1.08-1.31x its baseline, against margins of 30% (40% for backward); see the
README's Benchmarks section.

The second test proves the check can fail: a deliberately slowed
``Tensor.__add__`` must trip it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_tinytorch.bench import baseline as baselines
from pytest_tinytorch.bench.cases import QUICK_SETTINGS, by_id, quick_cases
from pytest_tinytorch.bench.results import OK
from pytest_tinytorch.bench.runner import regression_check

COMMITTED_BASELINE = Path(__file__).resolve().parents[2] / baselines.BASELINE_FILE
EXTRA_WORK_S = 5e-6  # added to every TinyTorch addition: ~3x the whole 1x1 add


@pytest.fixture(scope="module")
def committed() -> baselines.Baseline:
    return baselines.Baseline.load(COMMITTED_BASELINE)


def test_quick_ratios_are_within_the_baseline_margin(committed):
    results, regressions = regression_check(quick_cases(), committed, QUICK_SETTINGS)
    problems = [f"{r.id}: {r.status}: {r.message}" for r in results if r.status != OK]
    assert not problems, "\n".join(problems)
    assert not baselines.unchecked(results, committed), "ids missing from the baseline"
    assert not regressions, "ratios regressed (in 3 of 3 attempts):\n" + "\n".join(map(str, regressions))


def test_a_deliberately_slowed_add_trips_the_check(committed, monkeypatch):
    from tinytorch.core.tensor import Tensor

    original = Tensor.__add__

    def slowed_add(self, other):
        deadline = time.thread_time() + EXTRA_WORK_S  # CPU work, not a sleep: the clock is CPU time
        while time.thread_time() < deadline:
            pass
        return original(self, other)

    monkeypatch.setattr(Tensor, "__add__", slowed_add)
    cases = by_id(["op/add/1x1", "op/add/100x100", "op/mul/1x1"])
    results, regressions = regression_check(cases, committed, QUICK_SETTINGS)
    assert {r.id for r in regressions} == {"op/add/1x1", "op/add/100x100"}  # mul is untouched
    slowed = next(r for r in results if r.id == "op/add/1x1")
    assert slowed.ratio > committed.limit("op/add/1x1")
