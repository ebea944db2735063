"""What every measurement shares: its settings, the ``Case`` interface, and timing three contenders."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

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


class Case(Protocol):
    """One measurement, or one series of them (backward at growing depths).

    ``needs`` are the exported modules the case imports, by their
    ``#| default_exp`` (``core.tensor``): the course's module catalog maps
    them to module numbers, so ``tito benchmark 05`` needs no module list
    of its own. ``needs_class`` names a class some exported module must
    define (``Conv2d``) when the case cannot know which module that is.
    """

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...  # "op", "backward", "step" or "memory"

    @property
    def group(self) -> str: ...  # rows of a group share one explanation in the table

    @property
    def needs(self) -> tuple[str, ...]: ...

    @property
    def needs_class(self) -> str | None: ...

    @property
    def explain(self) -> str: ...  # what a bad ratio usually means, in one line

    def measure(self, settings: Settings) -> list[Result]: ...

    def subject(self) -> Subject | None:
        """The TinyTorch call pytest-benchmark times (None: nothing to time, e.g. memory)."""
        ...


def framework(module: str = "") -> Any:
    """``tinytorch`` or ``tinytorch.<module>``, imported when a case is measured.

    Typed ``Any`` on purpose: Tensor gets its methods by assignment, one
    module at a time (Module 01's design), which a type checker cannot
    follow; and the package measured is whichever one this process imports
    (the course's own, for ``tito benchmark``).
    """
    return importlib.import_module(f"tinytorch.{module}" if module else "tinytorch")


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


def interleaved_passes(contenders: dict[str, Callable[[int], float]], settings: Settings) -> dict[str, timing.Timing]:
    """TinyTorch against NumPy in one interleaved pass; PyTorch against NumPy in a second one.

    Keys are ``"tinytorch"``, ``"numpy"`` and ``"torch"``, or any prefix
    before them (``"64/tinytorch"``: several sizes interleaved together).
    PyTorch gets its own pass because interleaving it with TinyTorch slows
    TinyTorch down (measured: the MLP step ratio went from 1.45 to 1.6-1.9
    when PyTorch ran between its blocks, as it evicts the caches TinyTorch's
    Python objects live in). Its NumPy times come back as ``"torch_numpy"``.
    """

    def role(key: str) -> str:
        return key.rpartition("/")[2]

    main = {k: v for k, v in contenders.items() if role(k) != "torch"}
    torch_pass = {k: v for k, v in contenders.items() if role(k) == "torch"}
    for key in list(torch_pass):
        prefix = key[: -len("torch")]
        torch_pass[prefix + "torch_numpy"] = contenders[prefix + "numpy"]
    with timing.one_blas_thread():
        times = timing.interleaved(main, settings.rounds, settings.block_s)
        if torch_pass:
            times.update(timing.interleaved(torch_pass, settings.rounds, settings.block_s))
    return times


def timed_result(
    case: Case,
    id: str,
    label: str,
    x: float | None,
    contenders: dict[str, Callable[[int], float]],
    settings: Settings,
    torch_note: str = "",
) -> Result:
    """Time ``tinytorch``, ``numpy`` and (if given) ``torch``; one result row."""
    times = interleaved_passes(contenders, settings)
    return Result(
        id=id,
        case=case.id,
        kind=case.kind,
        label=label,
        x=x,
        tinytorch=times["tinytorch"].median,
        numpy=times["numpy"].median,
        torch=times["torch"].median if "torch" in times else None,
        torch_numpy=times["torch_numpy"].median if "torch_numpy" in times else None,
        torch_note=torch_note,
        status=OK,
    )
