"""``tito grade``: grade a folder of submissions, through the grading plugin's pytest option.

    tito grade SUBMISSIONS --module 01

is ``pytest --tinytorch-grade=SUBMISSIONS --tinytorch-module=01`` with only
this project's plugins loaded and quiet output: a progress bar, then a score
per student and where the reports went.  Exit status 0 when every submission
was graded (whatever the scores), 2 for a usage problem.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pytest_tinytorch.cli.context import course_root, say

GRADED = (0, 1)  # pytest: all passed / some student tests failed; both mean "graded"
NO_TESTS = 5


def add_parser(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "grade",
        help="grade a folder of submissions: parallel, sandboxed, resumable",
        description=(
            "Grade every submission in SUBMISSIONS (student.ipynb / student.py files, student/ folders, or "
            "nbgrader's submitted/ layout) against the instructor's copy of the module in modules/. Each "
            "submission runs in its own sandboxed worker; results are saved as each one finishes, so an "
            "interrupted run resumes, and unchanged submissions are not graded again. Writes grades "
            "(JSON, CSV), JUnit XML, Gradescope results.json, student feedback and an nbgrader gradebook."
        ),
    )
    parser.add_argument("submissions", metavar="SUBMISSIONS", help="a folder of submissions, or one notebook")
    parser.add_argument(
        "--module", "-m", required=True, metavar="NN", help="the module: number, name or folder (e.g. 01)"
    )
    parser.add_argument(
        "--output", "-o", metavar="DIR", help="where the results go (default: grades/NN_name in the course)"
    )
    parser.add_argument("--workers", "-j", type=int, metavar="N", help="submissions at once (default: CPU cores)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="time limit per test (default 60)")
    parser.add_argument(
        "--submission-timeout",
        type=float,
        metavar="SECONDS",
        help="time limit per submission, restarts included (default 300)",
    )
    parser.add_argument("--memory", type=int, metavar="MIB", help="memory limit per submission (default 1024)")
    parser.add_argument(
        "--gradebook",
        metavar="PATH",
        help="nbgrader gradebook to write into, or 'none' (default: the nbgrader course's for its "
        "submitted/ folder, else OUTPUT/gradebook.db)",
    )
    parser.add_argument("--fresh", action="store_true", help="regrade everything, ignoring saved results")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every test and each failure's report")
    parser.set_defaults(handler=run_grade)


def pytest_arguments(args: argparse.Namespace, root: Path) -> list[str]:
    """The pytest command line that ``tito grade`` runs (also useful to copy)."""
    # --noconftest: no conftest.py anywhere is imported (the submissions folder is the students').
    # No log capture and no output capture: the grading parent runs no student code to capture.
    argv = [
        "-p",
        "pytest_tinytorch.plugin",
        "-p",
        "pytest_tinytorch.grading.plugin",
        "-p",
        "no:cacheprovider",
        "--noconftest",
        "-p",
        "no:logging",
        "--capture=no",
        f"--rootdir={root}",
        "-o",
        "addopts=",
        f"--tinytorch-root={root}",
        f"--tinytorch-grade={Path(args.submissions).resolve()}",
        f"--tinytorch-module={args.module}",
    ]
    options = {
        "--tinytorch-grade-output": args.output and Path(args.output).resolve(),
        "--tinytorch-grade-workers": args.workers,
        "--tinytorch-timeout": args.timeout,
        "--tinytorch-grade-submission-timeout": args.submission_timeout,
        "--tinytorch-grade-memory": args.memory,
        "--tinytorch-gradebook": args.gradebook,
    }
    argv += [f"{name}={value}" for name, value in options.items() if value is not None]
    if args.fresh:
        argv.append("--tinytorch-grade-fresh")
    argv += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "-rN"]
    return argv


def run_grade(args: argparse.Namespace) -> int:
    import pytest

    root = course_root(args.root)
    # Only this project's plugins: other installed plugins cost startup time and grade nothing.
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        status = int(pytest.main(pytest_arguments(args, root)))
    finally:
        if previous is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    if status in GRADED:
        return 0
    if status == NO_TESTS:
        say(f"tito grade: nothing to grade in {args.submissions}")
    return 2
