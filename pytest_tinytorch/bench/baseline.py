"""The committed baseline of ratios and the check that a ratio has not regressed past it.

Absolute times differ from machine to machine; the ratio of TinyTorch to
the NumPy floor, measured in the same run, much less so. The baseline
(``benchmarks/baseline.json``) keeps, per measurement id, the ratio the
reference framework reached when it was written, the margins, and where
and when it was measured. A ratio regresses when it exceeds
``baseline * (1 + margin)``; getting faster is never a failure.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_tinytorch.bench.results import OK, Result
from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.fsutil import atomic_write_text

BASELINE_FILE = Path("benchmarks") / "baseline.json"  # relative to the repository root
# Relative margin per kind of measurement, from run-to-run noise measured on
# a shared 2-core machine (README, "Benchmarks"): quick CI runs under load
# had single-attempt ratios up to 1.31x their baseline (backward graphs, the
# most load-sensitive: pointer-chasing Python objects against NumPy on tiny
# arrays) and up to ~1.28x elsewhere; whole runs of the suite differed by up
# to 30% on backward and ~20% elsewhere. Peak memory did not vary (<1%).
DEFAULT_MARGINS = {"op": 0.3, "backward": 0.4, "step": 0.3, "memory": 0.1}


class BaselineError(TinyTorchError, ValueError):
    """A baseline file that is missing or malformed."""


@dataclass(frozen=True)
class Baseline:
    ratios: dict[str, float]
    kinds: dict[str, str]  # id -> kind, to pick each ratio's margin
    margins: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MARGINS))
    measured_on: dict[str, Any] = field(default_factory=dict)

    def limit(self, id: str) -> float:
        return self.ratios[id] * (1 + self.margins[self.kinds[id]])

    @classmethod
    def load(cls, path: str | Path) -> Baseline:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["ratios"]
            return cls(
                ratios={id: float(entry["ratio"]) for id, entry in entries.items()},
                kinds={id: str(entry["kind"]) for id, entry in entries.items()},
                margins={k: float(v) for k, v in data["margins"].items()},
                measured_on=dict(data.get("measured_on", {})),
            )
        except FileNotFoundError:
            raise BaselineError(
                f"path={str(path)!r}: no baseline; write one with 'pytest benchmarks/ --bench-update-baseline'"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BaselineError(f"path={str(path)!r} is not a benchmark baseline: {error!r}") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "about": "TinyTorch / NumPy ratios (medians of interleaved rounds, CPU time, one BLAS "
            "thread); a ratio fails the check when it exceeds ratio * (1 + margins[kind]). Regenerate: "
            "run 'OPENBLAS_NUM_THREADS=1 pytest benchmarks/ --bench-json .benchmarks/runN.json' for "
            "N = 1, 2, 3, then 'python -m pytest_tinytorch.bench.baseline .benchmarks/run*.json' "
            "(the median of the runs); '--bench-update-baseline' writes one run's ratios.",
            "margins": self.margins,
            "measured_on": self.measured_on,
            "ratios": {id: {"kind": self.kinds[id], "ratio": round(self.ratios[id], 4)} for id in sorted(self.ratios)},
        }

    def updated(self, newer: Baseline) -> Baseline:
        """This baseline with ``newer``'s ratios, provenance and ids (a partial run keeps the rest)."""
        return Baseline(
            ratios={**self.ratios, **newer.ratios},
            kinds={**self.kinds, **newer.kinds},
            margins=self.margins,
            measured_on=newer.measured_on,
        )

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps(self.to_json(), indent=2) + "\n", mode=0o644)


def from_results(results: Iterable[Result], margins: Mapping[str, float] | None = None, **provenance: Any) -> Baseline:
    """A baseline holding every measured ratio of ``results`` and where they were measured."""
    measured = [r for r in results if r.status == OK and r.ratio is not None]
    return Baseline(
        ratios={r.id: float(r.ratio) for r in measured},  # type: ignore[arg-type]
        kinds={r.id: r.kind for r in measured},
        margins=dict(margins or DEFAULT_MARGINS),
        measured_on={**machine(), **provenance},
    )


def median_of_runs(runs: Sequence[Sequence[Result]], **provenance: Any) -> Baseline:
    """A baseline whose ratio per id is the median over several whole runs of the suite.

    One run's ratios carry that run's load; the median of three or more
    runs, each measured minutes apart, is a steadier reference to compare
    a single later run against.
    """
    ratios: dict[str, list[float]] = {}
    kinds: dict[str, str] = {}
    for results in runs:
        for r in results:
            if r.status == OK and r.ratio is not None:
                ratios.setdefault(r.id, []).append(r.ratio)
                kinds[r.id] = r.kind
    return Baseline(
        ratios={id: statistics.median(values) for id, values in ratios.items()},
        kinds=kinds,
        measured_on={**machine(), "runs": len(runs), **provenance},
    )


def machine() -> dict[str, Any]:
    """Where and with what a measurement ran: goes into the baseline as its provenance."""
    import numpy

    info: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
    }
    torch = sys.modules.get("torch")
    info["torch"] = getattr(torch, "__version__", None)
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass(frozen=True)
class Regression:
    id: str
    label: str
    measured: float
    baseline: float
    limit: float

    def __str__(self) -> str:
        return (
            f"{self.id} ({self.label}): ratio {self.measured:.2f}x > limit {self.limit:.2f}x "
            f"(baseline {self.baseline:.2f}x + {self.limit / self.baseline - 1:.0%})"
        )


def compare(results: Iterable[Result], baseline: Baseline) -> list[Regression]:
    """Every measured ratio above its baseline limit (ids missing from the baseline are skipped)."""
    found = []
    for r in results:
        if r.status != OK or r.ratio is None or r.id not in baseline.ratios:
            continue
        if r.ratio > baseline.limit(r.id):
            found.append(Regression(r.id, r.label, r.ratio, baseline.ratios[r.id], baseline.limit(r.id)))
    return found


def unchecked(results: Iterable[Result], baseline: Baseline) -> list[str]:
    """Ids measured now that the baseline does not know (new cases: update the baseline)."""
    return [r.id for r in results if r.status == OK and r.id not in baseline.ratios]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pytest_tinytorch.bench.baseline RUN.json... [--out FILE]``: median of runs."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m pytest_tinytorch.bench.baseline",
        description="Write a baseline whose ratios are the per-id medians of several runs "
        "(each saved by 'pytest benchmarks/ --bench-json RUN.json').",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN.json")
    parser.add_argument("--out", default=str(BASELINE_FILE))
    args = parser.parse_args(argv)
    runs = [
        [Result.from_json(r) for r in json.loads(Path(p).read_text(encoding="utf-8"))["results"]] for p in args.runs
    ]
    command = (
        "OPENBLAS_NUM_THREADS=1 pytest benchmarks/ --bench-json RUN_i.json (i = 1..n); "
        + "python -m pytest_tinytorch.bench.baseline RUN_*.json"
    )
    fresh = median_of_runs(runs, command=command)
    out = Path(args.out)
    if out.exists():
        fresh = Baseline.load(out).updated(fresh)
    fresh.save(out)
    print(f"wrote {out}: {len(fresh.ratios)} ratios, median of {len(runs)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
