"""``tito source``: course-author commands that regenerate ``tinytorch/`` from ``modules/``."""

from __future__ import annotations

import argparse

from pytest_tinytorch import export
from pytest_tinytorch.cli.context import load_catalog


def add_parser(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "source",
        help="course-author tools: export modules/ into tinytorch/",
        description="Regenerate the tinytorch/ package from the reference modules in modules/.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    exp = commands.add_parser(
        "export",
        help="regenerate tinytorch/ from modules/ (or check that it is up to date)",
        description=(
            "Write each module's '#| export' cells to the file its '#| default_exp' names. "
            "With --check, write nothing and exit 1 if tinytorch/ differs from modules/."
        ),
    )
    exp.add_argument("modules", nargs="*", metavar="NN", help="modules to export (number, name or folder)")
    exp.add_argument("--all", action="store_true", help="export every module")
    exp.add_argument("--check", action="store_true", help="only check; exit 1 if tinytorch/ is out of date")
    exp.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    if args.check:
        return _check(catalog)
    if not args.modules and not args.all:
        print("tito source export: name modules to export (e.g. 'tito source export 01') or pass --all")
        return 2
    chosen = list(catalog) if args.all else [catalog.resolve(spec) for spec in args.modules]
    for info in chosen:
        target = export.export_module(catalog.root, catalog, info)
        if target is None:
            print(f"  {info.slug}: nothing to export (no '#| export' cells)")
        else:
            print(f"  {info.slug}: {info.source.relative_to(catalog.root)} -> {target.relative_to(catalog.root)}")
    print(f"exported {len(chosen)} module(s)")
    return 0


def _check(catalog) -> int:
    drifts = export.check_package(catalog.root, catalog)
    if not drifts:
        print(f"tinytorch/ matches modules/ ({len(catalog)} modules checked)")
        return 0
    for drift in drifts:
        owner = f" (from {drift.module})" if drift.module else ""
        print(f"  {drift.problem}: {drift.path.relative_to(catalog.root)}{owner}")
    print(f"tinytorch/ is out of date in {len(drifts)} place(s); run 'tito source export --all' and commit the result")
    return 1
