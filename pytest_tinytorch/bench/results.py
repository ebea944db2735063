"""One measured row: TinyTorch, the NumPy floor, PyTorch when installed, and their ratio.

A result is plain data (it crosses the process boundary of ``tito
benchmark`` as JSON). Times are seconds per call and memory is bytes; the
ratio is always TinyTorch over the NumPy floor, both measured in the same
run (interleaved, for times).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

OK, SKIPPED, ERROR, STOPPED = "ok", "skipped", "error", "stopped"
TORCH_NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Result:
    id: str  # "op/add/100x100", "backward/chain/64", "step/mlp/b32", "memory/mlp/b32"
    case: str  # the case that measured it ("backward/chain" measures several depths)
    kind: str  # "op", "backward", "step" or "memory"
    label: str  # what the table shows: "add 100x100", "chain, 64 nodes"
    x: float | None = None  # the size for the scaling curves: n of n x n, or graph nodes
    unit: str = "s"  # "s" (per call) or "bytes" (peak)
    tinytorch: float | None = None
    numpy: float | None = None
    torch: float | None = None
    torch_numpy: float | None = None  # the NumPy floor timed interleaved with PyTorch (its own pass)
    torch_note: str = ""  # why there is no PyTorch number ("not installed", "n/a: ...")
    status: str = OK
    message: str = ""  # why skipped / stopped / failed, for people

    @property
    def ratio(self) -> float | None:
        return ratio(self.tinytorch, self.numpy)

    @property
    def torch_ratio(self) -> float | None:
        return ratio(self.torch, self.torch_numpy or self.numpy)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def ratio(numerator: float | None, floor: float | None) -> float | None:
    """``numerator / floor``, or None when either is missing or the floor is not positive."""
    if numerator is None or floor is None or floor <= 0:
        return None
    return numerator / floor


def not_measured(case: str, kind: str, label: str, status: str, message: str, id: str | None = None) -> Result:
    """A row that says why it has no numbers (skipped, stopped, error)."""
    return Result(id=id or case, case=case, kind=kind, label=label, status=status, message=message)
