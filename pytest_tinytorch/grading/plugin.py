"""The ``tinytorch-grading`` pytest11 entry point: grading options and the hooks behind them.

    pytest --tinytorch-grade SUBMISSIONS --tinytorch-module 01 [--tinytorch-grade-output DIR] ...

grades every submission under SUBMISSIONS in sandboxed worker processes
(never in this process) and reports one pytest item per student and test,
so ``-k``, ``-v``, ``--junitxml`` and the usual summary work.  The reports,
the gradebook and the resumable per-student results go to the output folder.

Loaded on every pytest run, so this module holds only the options, the
settings type and the stash keys (imported first in every process, so their
identity is stable); the hooks live in :mod:`.session`, registered only when
``--tinytorch-grade`` or ``--tinytorch-restore-locked`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_tinytorch.plugin import seconds_option

DEFAULT_SUBMISSION_SECONDS = 300.0
DEFAULT_MEMORY_MIB = 1024


@dataclass(frozen=True)
class GradingSettings:
    submissions: Path  # a folder, or one file
    collect_root: Path  # the folder pytest collects (the file's folder for one file)
    module: Any  # ModuleInfo
    output: Path
    workers: int | None
    test_seconds: float
    submission_seconds: float
    memory_mib: int
    gradebook: Path | None
    fresh: bool


GRADING = pytest.StashKey[GradingSettings]()
RESTORED = pytest.StashKey[dict]()  # notebook path -> restoration flags


def _positive_int(name: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise pytest.UsageError(f"{name}={text!r}: expected a whole number, e.g. 4") from None
        if value < 1:
            raise pytest.UsageError(f"{name}={text!r}: must be 1 or more")
        return value

    return parse


_seconds = seconds_option("--tinytorch-grade-submission-timeout", zero_means_none=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinytorch", "TinyTorch course modules")
    group.addoption(
        "--tinytorch-grade",
        dest="tinytorch_grade",
        default=None,
        metavar="SUBMISSIONS",
        help="grade every submission (.ipynb or .py, one per student; nbgrader's submitted/ layout too) in this "
        "folder against --tinytorch-module NN, in sandboxed parallel workers",
    )
    group.addoption(
        "--tinytorch-grade-output",
        dest="tinytorch_grade_output",
        default=None,
        metavar="DIR",
        help="where grades, reports, feedback and resumable results go (default: grades/NN_name)",
    )
    group.addoption(
        "--tinytorch-grade-workers",
        dest="tinytorch_grade_workers",
        default=None,
        metavar="N",
        type=_positive_int("--tinytorch-grade-workers"),
        help="submissions graded at once (default: the number of CPU cores)",
    )
    group.addoption(
        "--tinytorch-grade-submission-timeout",
        dest="tinytorch_grade_submission_timeout",
        type=_seconds,
        default=DEFAULT_SUBMISSION_SECONDS,
        metavar="SECONDS",
        help=f"wall-clock limit for one submission, restarts included (default {DEFAULT_SUBMISSION_SECONDS:g}); "
        "each test is limited by --tinytorch-timeout",
    )
    group.addoption(
        "--tinytorch-grade-memory",
        dest="tinytorch_grade_memory",
        default=DEFAULT_MEMORY_MIB,
        metavar="MIB",
        type=_positive_int("--tinytorch-grade-memory"),
        help=f"memory a submission may allocate, in MiB (default {DEFAULT_MEMORY_MIB})",
    )
    group.addoption(
        "--tinytorch-gradebook",
        dest="tinytorch_gradebook",
        default=None,
        metavar="PATH",
        help="also write the grades into this nbgrader gradebook (sqlite), for formgrader and "
        "'nbgrader export'; 'none' to skip (default: the course's gradebook when grading its "
        "nbgrader submitted/ folder, else none)",
    )
    group.addoption(
        "--tinytorch-grade-fresh",
        dest="tinytorch_grade_fresh",
        action="store_true",
        help="regrade everything, ignoring results saved by an earlier run",
    )
    group.addoption(
        "--tinytorch-restore-locked",
        dest="tinytorch_restore_locked",
        action="store_true",
        help="run locked cells (tests, given code) from the instructor's copy in modules/, whatever the "
        "notebook under test says (grading always does this)",
    )


@pytest.hookimpl(trylast=True)  # after the main plugin has resolved --tinytorch-module
def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESTORED] = {}
    if config.getoption("tinytorch_grade") or config.getoption("tinytorch_restore_locked"):
        from pytest_tinytorch.grading import session

        config.pluginmanager.register(session, "tinytorch-grading-session")
