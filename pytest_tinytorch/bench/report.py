"""The table people read: every measurement, the NumPy floor, the ratio, and what a bad ratio means.

Every number in it comes from the results it is given, measured in one
run; nothing is a constant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_tinytorch.bench.base import Case
from pytest_tinytorch.bench.cases import KINDS
from pytest_tinytorch.bench.growth import growth
from pytest_tinytorch.bench.results import OK, Result

SECTIONS = {
    "op": "Per-op forward: time per call (n x n float32 inputs)",
    "backward": "Backward vs graph size: time per backward pass",
    "step": "Training step: forward, loss, backward, SGD update",
    "memory": "Memory: peak bytes allocated during one training step (tracemalloc)",
}
LABEL = 34  # width of the measurement column
HEADER = f"  {'measurement':<{LABEL}} {'TinyTorch':>11} {'NumPy floor':>12} {'ratio':>7}   PyTorch"


def format_seconds(seconds: float) -> str:
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}" if seconds / scale < 100 else f"{seconds / scale:.0f} {unit}"
    return f"{seconds * 1e9:.0f} ns"


def format_bytes(count: float) -> str:
    for scale, unit in ((2**20, "MiB"), (2**10, "KiB")):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count:.0f} B"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return format_bytes(value) if unit == "bytes" else format_seconds(value)


def _torch_cell(r: Result) -> str:
    if r.torch is None:
        return r.torch_note or "-"
    return f"{format_value(r.torch, r.unit)} ({r.torch_ratio:.2f}x)"


def row(r: Result) -> str:
    if r.status != OK:
        return f"  {r.label:<{LABEL}} {r.status}: {r.message}"
    label = r.label
    if r.kind == "backward" and r.x and r.tinytorch:
        label = f"{label} ({r.tinytorch / r.x * 1e6:.2f} us/node)"
    return (
        f"  {label:<{LABEL}} {format_value(r.tinytorch, r.unit):>11} {format_value(r.numpy, r.unit):>12} "
        f"{r.ratio:>6.2f}x   {_torch_cell(r)}"
    )


def _groups(results: Sequence[Result], cases: Mapping[str, Case]) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = {}
    for r in results:
        case = cases.get(r.case)
        grouped.setdefault(case.group if case else r.case, []).append(r)
    return grouped


def section(kind: str, results: Sequence[Result], cases: Mapping[str, Case]) -> list[str]:
    rows = [r for r in results if r.kind == kind]
    if not rows:
        return []
    lines = [SECTIONS[kind], HEADER]
    for group, members in _groups(rows, cases).items():
        lines.extend(row(r) for r in members)
        if kind == "backward":
            found = growth(members)
            if found is not None:
                lines.append(f"    {found.describe()}")
        case = cases.get(members[0].case)
        if case is not None and any(r.status == OK for r in members):
            lines.append(f"    if {group}'s ratio is high: {case.explain}")
    return [*lines, ""]


def render(results: Sequence[Result], cases: Sequence[Case], about: Mapping[str, Any]) -> str:
    """The whole report: a header saying what ran where, then one section per kind."""
    by_id = {case.id: case for case in cases}
    lines = [f"{key}: {value}" for key, value in about.items()]
    lines += [
        "ratio = TinyTorch / NumPy floor (the same work written directly in NumPy), both measured",
        "in this run: times are medians of interleaved rounds, on one BLAS thread.",
        "",
    ]
    for kind in KINDS:
        lines += section(kind, results, by_id)
    return "\n".join(lines).rstrip() + "\n"
