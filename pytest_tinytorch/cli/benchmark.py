"""``tito benchmark [NN]``: time your own tinytorch against NumPy (and PyTorch), in a table and curves.

Thin: choosing cases, launching the worker, the table and the plot all live
in ``pytest_tinytorch.bench``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pytest_tinytorch.cli.context import load_catalog


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"rounds={text!r} must be at least 1")
    return value


def add_parser(groups: argparse._SubParsersAction) -> None:
    from pytest_tinytorch.bench.base import Settings

    parser = groups.add_parser(
        "benchmark",
        help="time your tinytorch against NumPy (and PyTorch): table and scaling curves",
        description=(
            "Measure the tinytorch package exported in this course (not any installed one) "
            "against the same work written directly in NumPy, in a fresh process on one BLAS "
            "thread, and print each measurement, the NumPy floor, the ratio and what a bad "
            "ratio usually means. With NN, only the measurements module NN completes "
            "(01: per-op forward; 05: backward and training steps)."
        ),
    )
    parser.add_argument("module", nargs="?", metavar="NN", help="only this module's measurements")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the scaling curves into FILE")
    parser.add_argument("--json", metavar="FILE.json", help="also save the measurements as JSON")
    parser.add_argument(
        "--rounds",
        type=_positive_int,
        default=Settings.rounds,
        help=f"interleaved rounds per measurement (default {Settings.rounds})",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    parser.set_defaults(handler=run_benchmark)


def run_benchmark(args: argparse.Namespace) -> int:
    from pytest_tinytorch.bench import cases, course, report, worker
    from pytest_tinytorch.bench.base import Settings
    from pytest_tinytorch.bench.results import ERROR

    catalog = load_catalog(args.root)
    every = cases.all_cases()
    selected = _select(args.module, every, catalog)
    if not selected:
        return 0
    plan = course.plan(selected, catalog)
    if plan.blocked and (args.module or not plan.runnable):  # asked for it, or nothing else to run
        raise course.BenchmarkSetupError(course.how_to_export(catalog.root, plan.missing()))
    settings = Settings(rounds=args.rounds, torch=not args.no_torch)
    run = worker.run_in_subprocess(catalog.root, [c.id for c in plan.runnable], settings)
    results = run.results + _blocked_rows(plan, selected)
    print(report.render(results, every, _about(run, args.module)))
    if plan.blocked:
        print(course.how_to_export(catalog.root, plan.missing()))
    _save(args, results)
    return 1 if any(r.status == ERROR for r in results) else 0


def _select(module_spec: str | None, every: list, catalog) -> list:
    """Every case, or the cases module ``module_spec`` completes (says so when it has none)."""
    from pytest_tinytorch.bench import course

    if not module_spec:
        return every
    module = catalog.resolve(module_spec)
    selected = course.cases_for(module, every, catalog)
    if not selected:
        print(f"tito benchmark: module {module.slug} has no measurements. {_coverage(every, catalog)}")
    return selected


def _blocked_rows(plan, selected: list) -> list:
    """One 'skipped' row per group of cases whose modules are not exported yet."""
    from pytest_tinytorch.bench.results import SKIPPED, not_measured

    rows, groups = [], set()
    for case in selected:
        missing = plan.blocked.get(case.id)
        if missing and case.group not in groups:
            groups.add(case.group)
            needs = ", ".join(info.slug for info in missing)
            rows.append(not_measured(case.id, case.kind, case.group, SKIPPED, f"needs {needs}"))
    return rows


def _save(args: argparse.Namespace, results: list) -> None:
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in results], indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.plot:
        from pytest_tinytorch.bench.plot import write_plot

        print(f"wrote {write_plot(results, args.plot)}")


def _torch_version(run) -> str:
    if not run.settings.get("torch", True):
        return "not measured (--no-torch)"
    return run.machine.get("torch") or "not installed"


def _about(run, module: str | None) -> dict[str, str]:
    machine = run.machine
    return {
        "tinytorch": run.tinytorch,
        "measured": f"module {module}" if module else "every measurement",
        "machine": f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; "
        f"Python {machine.get('python', '?')}, NumPy {machine.get('numpy', '?')}, "
        f"PyTorch {_torch_version(run)}; BLAS threads: {run.blas_threads}",
        "rounds": str(run.settings.get("rounds", "?")),
    }


def _coverage(every, catalog) -> str:
    from pytest_tinytorch.bench import course

    owners: dict[str, list[str]] = {}
    for case in every:
        owner = course.owning_module(case, catalog)
        if owner is not None:
            names = owners.setdefault(owner.slug, [])
            if case.group not in names:
                names.append(case.group)
    listed = "; ".join(f"{slug}: {', '.join(names)}" for slug, names in sorted(owners.items()))
    return f"Modules with measurements: {listed}."
