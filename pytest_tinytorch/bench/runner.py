"""Run cases in this process, and the regression check built on top of that.

A case that raises (a student's operation that is not written yet, a
shape error) becomes an ``error`` row naming the exception and where in
``tinytorch`` it was raised; the other cases still run.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence

from pytest_tinytorch.bench.base import Case, Settings
from pytest_tinytorch.bench.baseline import Baseline, Regression, compare
from pytest_tinytorch.bench.results import ERROR, Result, not_measured

Progress = Callable[[Case], None]


def run(cases: Iterable[Case], settings: Settings, progress: Progress | None = None) -> list[Result]:
    results: list[Result] = []
    for case in cases:
        if progress is not None:
            progress(case)
        try:
            results.extend(case.measure(settings))
        except Exception as error:  # noqa: BLE001 (reported as a row, the rest still runs)
            results.append(not_measured(case.id, case.kind, case.id, ERROR, describe_error(error)))
    return results


def describe_error(error: BaseException) -> str:
    """``NotImplementedError at tinytorch/core/tensor.py:290 in tensor_add: message``."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "tinytorch" in f.filename]
    where = ""
    if frames:
        frame = frames[-1]
        path = frame.filename[frame.filename.rfind("tinytorch") :]
        where = f" at {path}:{frame.lineno} in {frame.name}"
    return f"{type(error).__name__}{where}: {error}"


def regression_check(
    cases: Sequence[Case], baseline: Baseline, settings: Settings, attempts: int = 3
) -> tuple[list[Result], list[Regression]]:
    """Measure ``cases``; re-measure those whose ratio exceeds the baseline's limit.

    A regression counts only if every attempt exceeds the limit: a real
    slowdown is there each time, while a burst of load from a neighbour on
    a shared machine rarely lasts through three measurements (measured
    here next to a full ``pytest`` run: 1 of 16 quick runs had one ratio
    above its limit at the first attempt). Only the suspects are re-measured.
    Returns the last results of every case and the confirmed regressions.
    """
    results = run(cases, settings)
    regressions = compare(results, baseline)
    for _ in range(attempts - 1):
        if not regressions:
            break
        suspects = {r.id for r in regressions}
        again_cases = [c for c in cases if c.id in {r.case for r in results if r.id in suspects}]
        again = run(again_cases, settings)
        confirmed = {r.id for r in compare(again, baseline)} & suspects
        by_id = {r.id: r for r in again}
        results = [by_id.get(r.id, r) for r in results]
        regressions = [r for r in compare(results, baseline) if r.id in confirmed]
    return results, regressions
