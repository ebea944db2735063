"""Interleaved timing: several contenders, alternating blocks, medians per call.

On a shared machine the load changes from one second to the next. Timing
the framework for a while and then NumPy for a while compares two
different machines; alternating short blocks of each, and taking the
median of each contender's blocks, exposes both to the same noise. Only
ratios of medians measured in the same call are meaningful; absolute
times are printed for reading, never asserted.

The clock is the CPU time of the measuring thread (``time.thread_time``),
not the wall clock: on a machine shared with other jobs, the time the
scheduler gives the CPU to someone else is not charged to whichever
contender happened to be running. (Cache and memory-bandwidth contention
still is, which is what the interleaving is for.) With BLAS on one thread
all the work happens in this thread. One reading costs ~2 us, nothing
against a block of milliseconds.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

clock = time.thread_time

# A contender runs ``number`` calls of what it measures and returns the
# seconds spent in the measured part (setup, such as building a graph to
# run backward on, is excluded by the contender itself).
BlockTimer = Callable[[int], float]

BLAS_ENV = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "BLIS_NUM_THREADS")


@dataclass(frozen=True)
class Timing:
    """One contender's seconds per call, one sample per block."""

    samples: tuple[float, ...]
    number: int  # calls per block

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def calls(function: Callable[[], object]) -> BlockTimer:
    """A block timer that calls ``function()`` ``number`` times."""

    def block(number: int) -> float:
        start = clock()
        for _ in range(number):
            function()
        return clock() - start

    return block


def calibrate(block: BlockTimer, target_s: float) -> int:
    """Calls per block so that one block takes about ``target_s`` (at least one call).

    The first call runs apart: it may pay one-off costs (PyTorch initialises
    a layer's kernels on its first call, ~1 ms) that would otherwise make
    every call look slow and the blocks far too short. Then the count grows
    tenfold until a block takes a tenth of the target, and is scaled (as
    ``timeit.autorange`` does, but aiming at a duration).
    """
    block(1)
    number = 1
    while True:
        elapsed = block(number)
        if elapsed >= target_s / 10 or number >= 10**6:
            return max(1, math.ceil(number * target_s / max(elapsed, 1e-9)))
        number *= 10


def interleaved(
    contenders: Mapping[str, BlockTimer], rounds: int, target_s: float, warmup: int = 1
) -> dict[str, Timing]:
    """Median-ready timings of every contender, measured in alternating blocks.

    Each round times one block of every contender; the order is reversed
    on every other round so neither always runs first (right after the
    other has warmed or trashed the caches). The garbage collector is off
    while timing, as in ``timeit``: a collection triggered by one
    contender's allocations would otherwise be charged to whoever runs next.
    """
    names = list(contenders)
    numbers = {name: calibrate(contenders[name], target_s) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    with gc_disabled():
        for _ in range(warmup):
            for name in names:
                contenders[name](numbers[name])
        for round_ in range(rounds):
            for name in names if round_ % 2 == 0 else reversed(names):
                samples[name].append(contenders[name](numbers[name]) / numbers[name])
    return {name: Timing(tuple(samples[name]), numbers[name]) for name in names}


@contextlib.contextmanager
def gc_disabled() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pin_blas_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with every BLAS told to use one thread (effective before NumPy is imported)."""
    return {**env, **{name: "1" for name in BLAS_ENV}}


def _threadpoolctl() -> Any:
    """threadpoolctl (a dev extra), or None."""
    try:
        import threadpoolctl  # type: ignore[import-untyped]
    except ImportError:
        return None
    return threadpoolctl


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit the BLAS already loaded in this process to one thread, if threadpoolctl is there.

    Without threadpoolctl (it is a dev extra), only the environment
    variables set before NumPy was imported apply; ``tito benchmark`` sets
    them for its subprocess.
    """
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is None:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def blas_threads() -> int | None:
    """How many threads the loaded BLAS uses now (None if it cannot be told)."""
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is None:
        value = os.environ.get("OPENBLAS_NUM_THREADS")
        return int(value) if value and value.isdigit() else None
    counts = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else None
