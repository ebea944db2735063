"""pytest nodes for grading: a submissions folder, one file per student, one item per graded test.

Collection parses each submission and restores its locked cells through the
``pytest_tinytorch_prepare_notebook`` hook; no student code runs here.  When
the test loop starts, :func:`run_grading` grades every selected submission in
sandboxed workers (:mod:`.engine`), writes the reports, and the items then
replay the results: a failed test shows its reason and message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_tinytorch.grading.engine import Engine, Prepared, Reference, ResultStore, prepare
from pytest_tinytorch.grading.model import REASONS, ExpectedTest, Limits, SubmissionResult
from pytest_tinytorch.grading.plugin import GRADING, RESTORED, GradingSettings
from pytest_tinytorch.grading.restore import Restoration
from pytest_tinytorch.grading.submissions import Submission, find_submissions
from pytest_tinytorch.notebook import Notebook


@dataclass
class Plan:
    """This run's grading state, shared by the nodes (kept in ``config.stash``)."""

    settings: GradingSettings
    reference: Reference
    limits: Limits
    engine: Engine
    gradebook: Any = None  # a GradebookProcess, started with the run when a gradebook is wanted
    prepared: dict[str, Prepared] = field(default_factory=dict)
    results: dict[str, SubmissionResult] = field(default_factory=dict)
    written: dict[str, Path] = field(default_factory=dict)
    gradebook_rows: int = 0
    server: dict[str, Any] = field(default_factory=dict)


PLAN = pytest.StashKey[Plan]()


def plan_for(config: pytest.Config) -> Plan:
    if PLAN not in config.stash:
        settings = config.stash[GRADING]
        limits = Limits(
            test_seconds=settings.test_seconds,
            submission_seconds=settings.submission_seconds,
            memory_mib=settings.memory_mib,
        )
        reference = Reference.load(settings.module)
        engine = Engine(reference, limits, ResultStore(settings.output), settings.workers, fresh=settings.fresh)
        plan = Plan(settings, reference, limits, engine)
        if not config.option.collectonly:
            engine.prestart()  # the fork server imports NumPy while the submissions are collected
            if settings.gradebook is not None:
                from pytest_tinytorch.grading.gradebook import GradebookProcess

                plan.gradebook = GradebookProcess(settings.gradebook, reference)  # imports nbgrader meanwhile
        config.stash[PLAN] = plan
    return config.stash[PLAN]


def finish(config: pytest.Config) -> None:
    """Stop the helpers if grading never ran (an interrupted or empty collection)."""
    if PLAN in config.stash:
        plan = config.stash[PLAN]
        plan.engine.close()
        if plan.gradebook is not None:
            plan.gradebook.cancel()


class SubmissionsDir(pytest.File):
    """The folder given to --tinytorch-grade: its children are students' files, found by layout.

    Deliberately not a ``pytest.Directory``: pytest imports a Directory's
    ``conftest.py`` before collecting it, and every file in this folder comes
    from students.  Students' files are only ever parsed here.
    """

    def collect(self) -> Any:
        plan = plan_for(self.config)
        wanted = plan.settings.submissions
        for submission in find_submissions(plan.settings.collect_root, plan.settings.module):
            if wanted.is_file() and submission.path != wanted:
                continue
            yield SubmissionFile.from_parent(self, path=submission.path, submission=submission)


class SubmissionFile(pytest.File):
    """One student's submission: parsed and restored here, graded later in a worker."""

    def __init__(self, *, submission: Submission, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.submission = submission

    def collect(self) -> Any:
        plan = plan_for(self.config)
        restorer = self._restore_through_hook
        plan.prepared[self.submission.student] = prepare(self.submission, plan.reference, plan.limits, restorer)
        for test in plan.reference.tests:
            yield GradedItem.from_parent(self, name=test.name, test=test, student=self.submission.student)

    def _restore_through_hook(self, nb: Notebook, reference: Reference) -> Restoration:
        # config.hook, not self.ihook: no conftest.py is ever loaded for the submissions
        # folder, so a path-scoped proxy would hide the instructor's own (rootdir) conftests.
        restored = self.config.hook.pytest_tinytorch_prepare_notebook(
            config=self.config, notebook=nb, module=reference.module
        )
        flags = self.config.stash[RESTORED].pop(str(nb.path), ())
        return Restoration(restored or nb, tuple(flags))


class GradeFailure(Exception):
    """A graded test that did not pass; carries the reason and message."""


class GradedItem(pytest.Item):
    """One graded test of one student's submission."""

    parent: SubmissionFile

    def __init__(self, *, test: ExpectedTest, student: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test
        self.student = student
        module = self.config.stash[GRADING].module
        self.add_marker(pytest.mark.tinytorch(module=module.number, name=module.name))
        self.add_marker(pytest.mark.tinytorch_graded(grade_id=test.grade_id, points=test.points))
        if test.hidden:
            self.add_marker(pytest.mark.tinytorch_hidden)
        self.user_properties += [("student", student), ("grade_id", test.grade_id), ("max_points", test.points)]

    def runtest(self) -> None:
        result = plan_for(self.config).results.get(self.student)
        if result is None:
            raise GradeFailure(f"{self.student} was not graded in this run")
        test = next(t for t in result.tests if t.name == self.test.name)
        self.user_properties.append(("points", test.points))
        if not test.passed:
            raise GradeFailure(f"[{test.reason}] {REASONS.get(test.reason, test.reason)}\n{test.message}".rstrip())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, GradeFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.student}: {self.name}"


def run_grading(session: pytest.Session) -> None:
    """Grade every submission that has a selected item, then write every output."""
    plan = plan_for(session.config)
    students = list(dict.fromkeys(item.student for item in session.items if isinstance(item, GradedItem)))
    prepared = [plan.prepared[s] for s in students]
    engine = plan.engine
    engine.progress = _progress(session.config, plan)
    results = engine.run(prepared)
    plan.server = engine.server_info
    plan.results = {r.student: r for r in results}
    _write_outputs(plan, results)


def _progress(config: pytest.Config, plan: Plan) -> Any:
    """Called as each result is saved: the progress display, and the gradebook helper gets the result."""
    from pytest_tinytorch.grading.terminal import Progress

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    display = None
    if reporter is not None and config.get_verbosity() >= -1:
        reporter.ensure_newline()
        display = Progress(reporter.write_line, reporter.rewrite, bool(reporter.isatty()))

    def progress(result: SubmissionResult, done: int, total: int) -> None:
        if plan.gradebook is not None:
            plan.gradebook.add(result)
        if display is not None:
            display(result, done, total)

    return progress


def _write_outputs(plan: Plan, results: list[SubmissionResult]) -> None:
    from pytest_tinytorch.grading.reports import write_reports

    plan.written = write_reports(plan.settings.output, plan.settings.module.slug, plan.reference.notebook, results)
    if plan.gradebook is not None and plan.settings.gradebook is not None:
        plan.gradebook_rows = plan.gradebook.finish(results)
        plan.gradebook = None
        plan.written["gradebook"] = plan.settings.gradebook


def summary_lines(config: pytest.Config) -> list[str]:
    """The terminal summary: a score per student and where everything was written."""
    if PLAN not in config.stash or not config.stash[PLAN].results:
        return []
    from pytest_tinytorch.grading.reports import score_table

    plan = config.stash[PLAN]
    results = list(plan.results.values())
    graded = sum(not r.cached for r in results)
    lines = [
        f"{len(results)} submissions of {plan.settings.module.slug} ({graded} graded, "
        f"{len(results) - graded} unchanged since the last run)",
        *score_table(results),
        "",
    ]
    lines += [f"  {kind:<10} {path}" for kind, path in plan.written.items()]
    sandbox = plan.server.get("sandbox")
    if sandbox:
        lines.append(
            f"  sandbox    Landlock ABI {sandbox.get('landlock_abi', 0)}, "
            f"seccomp {'on' if sandbox.get('seccomp') else 'off'}, "
            f"{sandbox.get('address_space_mib')} MiB address space, "
            f"{sandbox.get('cpu_seconds')} s CPU (docs/grading.md)"
        )
    return lines
