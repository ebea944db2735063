"""The hooks of a grading run, registered by the grading plugin only when they are needed.

``--tinytorch-grade`` (grade a folder of submissions) and
``--tinytorch-restore-locked`` (run the instructor's locked cells) need them;
every other pytest run never loads this module.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tinytorch.grading.plugin import GRADING, RESTORED, GradingSettings

if TYPE_CHECKING:
    from pytest_tinytorch.catalog import ModuleInfo
    from pytest_tinytorch.notebook import Notebook


def pytest_configure(config: pytest.Config) -> None:
    submissions = config.getoption("tinytorch_grade")
    if not submissions:
        return
    config.stash[GRADING] = _grading_settings(config, Path(submissions))
    # Collect the submissions folder instead of the module (or testpaths).
    config.args[:] = [str(config.stash[GRADING].collect_root)]


def _grading_settings(config: pytest.Config, submissions: Path) -> GradingSettings:
    from pytest_tinytorch.plugin import SETTINGS

    settings = config.stash[SETTINGS]
    if len(settings.selected) != 1:
        raise pytest.UsageError(
            f"--tinytorch-grade needs exactly one --tinytorch-module (got {len(settings.selected)}): the module "
            "whose instructor copy in modules/ holds the tests, e.g. --tinytorch-module 01"
        )
    if config.getoption("numprocesses", None):
        raise pytest.UsageError("--tinytorch-grade runs its own worker pool; drop -n (use --tinytorch-grade-workers N)")
    submissions = (Path.cwd() / submissions).resolve()
    if not submissions.exists():
        raise pytest.UsageError(
            f"--tinytorch-grade={str(submissions)!r} does not exist; pass a folder of submissions or one notebook"
        )
    module = settings.selected[0]
    output_text = config.getoption("tinytorch_grade_output")
    output = (Path.cwd() / output_text).resolve() if output_text else settings.root / "grades" / module.slug
    return GradingSettings(
        submissions=submissions,
        collect_root=submissions if submissions.is_dir() else submissions.parent,
        module=module,
        output=output,
        workers=config.getoption("tinytorch_grade_workers"),
        test_seconds=settings.timeout or 60.0,
        submission_seconds=config.getoption("tinytorch_grade_submission_timeout"),
        memory_mib=config.getoption("tinytorch_grade_memory"),
        gradebook=_gradebook_path(config.getoption("tinytorch_gradebook"), submissions, output),
        fresh=config.getoption("tinytorch_grade_fresh"),
    )


def _gradebook_path(option: str | None, submissions: Path, output: Path) -> Path | None:
    """The gradebook to fill: as given, or the nbgrader course's own when grading its submitted/ folder.

    Not by default otherwise: importing nbgrader costs seconds, more than
    grading a class takes.
    """
    if option == "none":
        return None
    if option:
        return (Path.cwd() / option).resolve()
    if submissions.name == "submitted" and (submissions.parent / "nbgrader_config.py").is_file():
        return submissions.parent / "gradebook.db"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    grading = parent.config.stash.get(GRADING, None)
    if grading is None or path != grading.collect_root:
        return None
    from pytest_tinytorch.grading.items import SubmissionsDir

    return SubmissionsDir.from_parent(parent, path=path)


def pytest_tinytorch_prepare_notebook(
    config: pytest.Config, notebook: Notebook, module: ModuleInfo | None
) -> Notebook | None:
    """Restore locked cells from the instructor's copy (when grading, or with --tinytorch-restore-locked)."""
    wanted = config.stash.get(GRADING, None) is not None or config.getoption("tinytorch_restore_locked")
    if not wanted or module is None or not module.source.is_file():
        return None
    if notebook.path.resolve() == module.source.resolve():
        return None  # the instructor's copy itself
    from pytest_tinytorch.grading.restore import restore_locked_cells

    restoration = restore_locked_cells(notebook, _instructor_copy(module.source))
    config.stash[RESTORED][str(notebook.path)] = restoration.flags
    if config.stash.get(GRADING, None) is None:  # grading reports them itself
        for flag in restoration.flags:
            warnings.warn_explicit(
                pytest.PytestWarning(f"{flag.summary}: {flag.detail}"), pytest.PytestWarning, str(notebook.path), 1
            )
    return restoration.notebook


def _instructor_copy(path: Path) -> Notebook:
    """The parsed instructor's copy, read once per run however many submissions there are."""
    from pytest_tinytorch.notebook import read_notebook

    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _REFERENCES:
        _REFERENCES[key] = read_notebook(path)
    return _REFERENCES[key]


_REFERENCES: dict[tuple[str, int, int], Notebook] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.stash.get(GRADING, None) is not None and not session.config.option.collectonly:
        from pytest_tinytorch.grading.items import plan_for

        plan_for(session.config)  # starts the fork server (and the gradebook helper) before collection


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    grading = session.config.stash.get(GRADING, None)
    if grading is not None and session.items and not session.config.option.collectonly:
        from pytest_tinytorch.grading.items import run_grading

        run_grading(session)
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """With -q, no dot per replayed test: the progress line per submission already said it all."""
    if config.stash.get(GRADING, None) is None or config.get_verbosity() >= 0 or report.when != "call":
        return None
    return report.outcome, "", ""


def pytest_sessionfinish(session: pytest.Session) -> None:
    if session.config.stash.get(GRADING, None) is not None:
        from pytest_tinytorch.grading.items import finish

        finish(session.config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    grading = config.stash.get(GRADING, None)
    if grading is None:
        return []
    return [
        f"tinytorch grading: {grading.submissions} against {grading.module.source} "
        f"(each test {grading.test_seconds:g} s, each submission {grading.submission_seconds:g} s, "
        f"{grading.memory_mib} MiB); output {grading.output}"
    ]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    grading = config.stash.get(GRADING, None)
    if grading is None:
        return
    from pytest_tinytorch.grading.items import summary_lines

    lines = summary_lines(config)
    if lines:
        terminalreporter.section("tinytorch grading")
        for line in lines:
            terminalreporter.write_line(line)
