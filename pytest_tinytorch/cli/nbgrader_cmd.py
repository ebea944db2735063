"""``tito nbgrader``: nbgrader's own steps on the course's nbgrader folder.

    tito nbgrader generate 01 | --all    source notebook from modules/, then generate_assignment
    tito nbgrader release 01             release_assignment to the exchange
    tito nbgrader collect 01             collect submissions from the exchange into submitted/
    tito nbgrader autograde 01           nbgrader's autograder (a kernel per submission)
    tito nbgrader feedback 01            generate_feedback

Thin over :mod:`pytest_tinytorch.grading.course`.  For fast grading of the
collected submissions use ``tito grade nbgrader/submitted --module 01``,
which writes into the same gradebook.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pytest_tinytorch.cli.context import load_catalog, say

if TYPE_CHECKING:
    from pytest_tinytorch.catalog import Catalog
    from pytest_tinytorch.grading.course import Course

STEPS = {
    "generate": "write source/NN_name/name.ipynb from modules/ and run nbgrader generate_assignment (release/)",
    "release": "nbgrader release_assignment: put the student version in the exchange",
    "collect": "nbgrader collect: copy submissions from the exchange into submitted/",
    "autograde": "nbgrader autograde: nbgrader's own autograder, one kernel per submission",
    "feedback": "nbgrader generate_feedback: HTML feedback from the autograded notebooks",
}


def add_parser(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "nbgrader",
        help="instructor tools: nbgrader releases, collection, autograding, feedback",
        description="Run nbgrader's steps on the course's nbgrader/ folder (nbgrader's standard layout, "
        "configured by nbgrader/nbgrader_config.py). nbgrader's own commands work there too.",
    )
    commands = parser.add_subparsers(dest="command", metavar="STEP")
    commands.required = True
    for step, help_text in STEPS.items():
        cmd = commands.add_parser(step, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        cmd.add_argument(
            "modules",
            nargs="*" if step == "generate" else None,
            metavar="NN",
            help="module number, name or folder (e.g. 01)",
        )
        if step == "generate":
            cmd.add_argument("--all", action="store_true", help="every module in the catalog")
        if step in ("autograde", "feedback"):
            cmd.add_argument("--student", default=None, help="only this student (default: all)")
        cmd.set_defaults(handler=run_step)


def run_step(args: argparse.Namespace) -> int:
    from pytest_tinytorch.grading.course import Course

    if args.command == "generate" and not args.modules and not args.all:
        say("tito nbgrader generate: name modules (e.g. 'tito nbgrader generate 01') or pass --all")
        return 2
    catalog = load_catalog(args.root)
    course = Course(catalog.root)
    if args.command == "generate":
        return _generate(args, catalog, course)
    module = catalog.resolve(args.modules)
    if args.command == "release":
        course.release(module)
    elif args.command == "collect":
        course.collect(module)
    elif args.command == "autograde":
        course.autograde(module, args.student or "*")
    else:
        course.feedback(module, args.student)
    say(f"nbgrader {args.command} {module.slug}: done ({course.folder})")
    return 0


def _generate(args: argparse.Namespace, catalog: Catalog, course: Course) -> int:
    chosen = list(catalog) if args.all else [catalog.resolve(spec) for spec in args.modules]
    for module in chosen:
        release = course.generate(module)
        say(
            f"  {module.slug}: {course.source(module).relative_to(catalog.root)} -> {release.relative_to(catalog.root)}"
        )
    say(
        f"generated {len(chosen)} student version(s) with nbgrader; "
        f"gradebook: {course.gradebook.relative_to(catalog.root)}"
    )
    return 0
