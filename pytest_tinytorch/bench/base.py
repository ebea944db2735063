"""What every measurement shares: its settings, the ``Case`` interface, and timing three contenders."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pytest_tinytorch.bench import timing
from pytest_tinytorch.bench.results import OK, TORCH_NOT_INSTALLED, Result


@dataclass(frozen=True)
class Settings:
    """How hard to measure. The defaults are the full suite; tests pass tiny ones."""

    rounds: int = 15  # interleaved blocks per contender; the median of these is reported
    block_s: float = 0.002  # target duration of one block
    torch: bool = True  # compare with PyTorch when it is importable
    max_nodes: int | None = None  # cap the graph sizes of the backward series (quick checks)
    sizes: tuple[int, ...] | None = None  # restrict the per-op sizes (quick checks)


@dataclass(frozen=True)
class Subject:
    """TinyTorch's side of a case, for pytest-benchmark's own statistics."""

    function: Callable[..., Any]
    setup: Callable[[], tuple[tuple, dict]] | None = None  # fresh arguments per round (graphs)


class Case:
    """One measurement (or one series of them, such as backward at growing depths).

    ``needs`` are the exported modules the case imports, by their
    ``#| default_exp`` (``core.tensor``): the course's module catalog maps
    them to module numbers, so ``tito benchmark 05`` needs no list of its
    own. ``needs_class`` names a class some exported module must define
    (``Conv2d``) when the case cannot know in advance which module that is.
    """

    id: str
    kind: str
    group: str  # rows of one group share a section in the table and one explanation
    needs: tuple[str, ...]
    needs_class: str | None = None
    explain: str  # what a bad ratio usually means, in one line

    def measure(self, settings: Settings) -> list[Result]:
        raise NotImplementedError

    def subject(self) -> Subject | None:
        """The TinyTorch call pytest-benchmark times, or None (memory cases)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


@functools.lru_cache(maxsize=1)
def _import_torch() -> ModuleType | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # the same single thread as NumPy's BLAS
    return torch


def optional_torch(settings: Settings) -> tuple[ModuleType | None, str]:
    """PyTorch (on one thread) if asked for and importable, else None and why not."""
    if not settings.torch:
        return None, "not measured"
    torch = _import_torch()
    return torch, "" if torch is not None else TORCH_NOT_INSTALLED


def timed_result(
    case: Case,
    id: str,
    label: str,
    x: float | None,
    contenders: dict[str, Callable[[int], float]],
    settings: Settings,
    torch_note: str = "",
) -> Result:
    """Time ``tinytorch``, ``numpy`` and (if given) ``torch`` interleaved; one result row."""
    with timing.one_blas_thread():
        times = timing.interleaved(contenders, settings.rounds, settings.block_s)
    torch_time = times["torch"].median if "torch" in times else None
    return Result(
        id=id,
        case=case.id,
        kind=case.kind,
        label=label,
        x=x,
        tinytorch=times["tinytorch"].median,
        numpy=times["numpy"].median,
        torch=torch_time,
        torch_note=torch_note,
        status=OK,
    )
