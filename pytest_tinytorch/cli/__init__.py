"""``tito``: the course's command line, a thin layer over the pytest plugin.

Each command group lives in its own module and registers itself with
``add_parser(subparsers)``; ``main`` only wires them together.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_tinytorch.errors import TinyTorchError

# Each command group is a module in this package with ``add_parser(groups)``.
# Imported lazily so `tito --help` and each command load only what they use.
GROUPS = ("module", "source", "system", "benchmark", "milestone", "grade", "nbgrader_cmd", "workflow")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    from pytest_tinytorch.cli.context import SuggestingParser

    parser = SuggestingParser(
        prog="tito",
        description="TinyTorch course tools: work through modules, export your framework, grade.",
    )
    parser.add_argument(
        "--root", default=None, help="the course folder (default: the nearest folder above here with modules/)"
    )
    groups = parser.add_subparsers(dest="group", metavar="COMMAND")
    groups.required = True
    for name in GROUPS:
        importlib.import_module(f"pytest_tinytorch.cli.{name}").add_parser(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except TinyTorchError as exc:
        print(f"tito: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tito: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
