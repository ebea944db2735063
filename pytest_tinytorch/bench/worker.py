"""Measure a course's own ``tinytorch`` in a fresh process: the subprocess behind ``tito benchmark``.

Why a subprocess: ``tito`` itself may run from an environment with another
``tinytorch`` installed (the reference one, or an older export); the
worker starts with the course folder first on ``sys.path``, checks that
``tinytorch.__file__`` is really ``<course>/tinytorch``, and only then
measures. BLAS threads are pinned through the environment before NumPy
loads. Results come back as JSON in a file (stdout stays free for
nothing but the worker's own crash output; progress goes to stderr).

Client side: :func:`run_in_subprocess`. Worker side: ``python -m
pytest_tinytorch.bench.worker --root ROOT --json OUT [--rounds N]
[--no-torch] CASE_ID...``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_tinytorch.bench.base import Settings, framework
from pytest_tinytorch.bench.course import BenchmarkSetupError
from pytest_tinytorch.bench.results import Result
from pytest_tinytorch.bench.timing import pin_blas_env


@dataclass(frozen=True)
class Run:
    """What a worker measured, and in what conditions."""

    results: list[Result]
    tinytorch: str  # the package file that was measured
    machine: dict[str, Any] = field(default_factory=dict)
    blas_threads: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def run_in_subprocess(root: Path, case_ids: Sequence[str], settings: Settings) -> Run:
    """Measure ``case_ids`` against ``<root>/tinytorch`` in a new Python process."""
    with tempfile.TemporaryDirectory(prefix="tito-benchmark-") as tmp:
        out = Path(tmp) / "results.json"
        command = [
            sys.executable,
            "-m",
            "pytest_tinytorch.bench.worker",
            "--root",
            str(root),
            "--json",
            str(out),
            "--rounds",
            str(settings.rounds),
            "--block-ms",
            str(settings.block_s * 1e3),
            *([] if settings.torch else ["--no-torch"]),
            *case_ids,
        ]
        env = pin_blas_env(dict(os.environ))
        # The course first; then this harness, in case it runs from a checkout rather than installed.
        paths = [str(root), _harness_folder(), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        finished = subprocess.run(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True)
        if not out.exists():
            raise BenchmarkSetupError(
                f"the benchmark process exited with code {finished.returncode} without results:\n"
                f"{finished.stdout.strip()}"
            )
        data = json.loads(out.read_text(encoding="utf-8"))
    if data.get("error"):
        raise BenchmarkSetupError(data["error"])
    return Run(
        results=[Result.from_json(r) for r in data["results"]],
        tinytorch=data["tinytorch"],
        machine=data.get("machine", {}),
        blas_threads=data.get("blas_threads"),
        settings=data.get("settings", {}),
    )


def _harness_folder() -> str:
    """The folder holding the ``pytest_tinytorch`` running now, so the worker runs the same one."""
    return str(Path(__file__).resolve().parents[2])


# --- the worker side ----------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pytest_tinytorch.bench.worker")
    parser.add_argument("--root", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--rounds", type=int, default=Settings.rounds)
    parser.add_argument("--block-ms", type=float, default=Settings.block_s * 1e3)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("cases", nargs="*")
    return parser.parse_args(argv)


def _import_course_package(root: Path) -> str:
    """Import ``<root>/tinytorch`` (first on sys.path) and return its ``__file__``."""
    sys.path.insert(0, str(root))
    for name in [m for m in sys.modules if m == "tinytorch" or m.startswith("tinytorch.")]:
        del sys.modules[name]  # nothing imported so far may stand in for the course's package
    try:
        tinytorch = framework()
    except Exception as error:  # noqa: BLE001 (a student's package may raise anything)
        from pytest_tinytorch.bench.runner import describe_error

        raise BenchmarkSetupError(
            f"import tinytorch failed in {root}: {describe_error(error)}. Fix the module it "
            "points at and export it again."
        ) from None
    from pytest_tinytorch.bench.course import check_package_location

    check_package_location(getattr(tinytorch, "__file__", None), root)
    return str(tinytorch.__file__)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    root = Path(args.root).resolve()
    settings = Settings(rounds=args.rounds, block_s=args.block_ms / 1e3, torch=not args.no_torch)
    payload: dict[str, Any] = {"error": None, "results": [], "tinytorch": None}
    try:
        payload["tinytorch"] = _import_course_package(root)
        payload.update(_measure(args.cases, settings))
    except BenchmarkSetupError as error:
        payload["error"] = str(error)
    Path(args.json).write_text(json.dumps(payload), encoding="utf-8")
    return 0 if payload["error"] is None else 3


def _measure(case_ids: Sequence[str], settings: Settings) -> dict[str, Any]:
    from pytest_tinytorch.bench import baseline, cases, runner, timing

    last_group: list[str] = []

    def progress(case) -> None:  # one line per group of cases, on stderr (stdout is for tito)
        if case.group not in last_group:
            last_group[:] = [case.group]
            print(f"  measuring {case.group} ...", file=sys.stderr, flush=True)

    results = runner.run(cases.by_id(list(case_ids)), settings, progress)
    return {
        "results": [r.to_json() for r in results],
        "machine": baseline.machine(),
        "blas_threads": timing.blas_threads(),
        "settings": asdict(settings),
    }


if __name__ == "__main__":
    sys.exit(main())
