"""Peak memory of one training step, TinyTorch against the NumPy step (tracemalloc).

``tracemalloc`` sees every NumPy array buffer (NumPy reports its
allocations to it) and every Python object, so the framework's graph, its
nodes and the arrays they keep alive all count. The number is the peak of
bytes allocated during one step above what was allocated before it: the
working memory the step needs. PyTorch allocates through its own
allocator, which tracemalloc cannot see, so it has no number here.
Allocation sizes do not depend on the machine's load: this ratio is
nearly deterministic.
"""

from __future__ import annotations

import statistics
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from pytest_tinytorch.bench.base import Settings
from pytest_tinytorch.bench.results import ERROR, OK, Result, not_measured
from pytest_tinytorch.bench.steps import STEP_NEEDS, StepCase, StepMismatchError, check_agreement

REPEATS = 3
TORCH_NOTE = "n/a (tracemalloc cannot see PyTorch's allocator)"


def peak_bytes(step: Callable[[], object], repeats: int = REPEATS) -> int:
    """Median over ``repeats`` of the peak bytes one call of ``step`` allocates."""
    step()  # warm: first calls allocate caches that later steps reuse
    peaks = []
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        for _ in range(repeats):
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            step()
            _, peak = tracemalloc.get_traced_memory()
            peaks.append(peak - before)
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return int(statistics.median(peaks))


@dataclass(frozen=True)
class MemoryCase:
    model: str
    batch: int
    kind: str = "memory"
    needs: tuple[str, ...] = STEP_NEEDS
    explain: str = (
        "the graph keeps arrays alive longer than needed, gradients are copied or zero-filled, "
        "or forward saves intermediates its backward does not use"
    )

    @property
    def step_case(self) -> StepCase:
        return StepCase(self.model, self.batch)

    @property
    def id(self) -> str:
        return f"memory/{self.model}/b{self.batch}"

    @property
    def group(self) -> str:
        return "peak memory of one step"

    @property
    def needs_class(self) -> str | None:
        return self.step_case.needs_class

    @property
    def label(self) -> str:
        return f"{self.model.upper()} step, batch {self.batch}"

    def measure(self, settings: Settings) -> list[Result]:
        steps = self.step_case.build()
        if isinstance(steps, Result):  # skipped (no Conv2d yet): say so under this id
            return [not_measured(self.id, self.kind, self.label, steps.status, steps.message)]
        try:
            check_agreement(steps, None)
        except StepMismatchError as error:
            return [not_measured(self.id, self.kind, self.label, ERROR, str(error))]
        return [
            Result(
                id=self.id,
                case=self.id,
                kind=self.kind,
                label=self.label,
                x=self.batch,
                unit="bytes",
                tinytorch=peak_bytes(steps.framework),
                numpy=peak_bytes(steps.numpy),
                torch_note=TORCH_NOTE,
                status=OK,
            )
        ]

    def subject(self) -> None:
        return None


def memory_cases() -> list[MemoryCase]:
    return [MemoryCase("mlp", 32), MemoryCase("mlp", 256), MemoryCase("cnn", 32)]
