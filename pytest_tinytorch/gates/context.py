"""One module under check: its parsed source, its declarations, and the expensive
results several checks share (a pytest run of the reference, the student version
and its pytest run), each computed once.

Anything that executes module code runs in a subprocess (``python -m pytest``
with the plugin and a JUnit report), never in the checking process: a module's
cells may patch shared classes (module 05 switches autograd on).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.completion import TestOutcome, read_junit
from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.gates.declarations import Declarations, read_declarations
from pytest_tinytorch.inline import InlineTest, find_tests
from pytest_tinytorch.notebook import Cell, Notebook, read_notebook

SUBPROCESS_TIMEOUT = 900.0  # seconds for one pytest run a check starts


@dataclass(frozen=True)
class Case:
    """One JUnit testcase: where pytest found it and how it ended."""

    classname: str  # e.g. "tests.framework.test_tensor_ops"
    name: str
    outcome: str  # passed, failed, error, skipped
    message: str


@dataclass
class PytestRun:
    """What a ``python -m pytest`` subprocess reported in its JUnit XML."""

    command: list[str]
    exit_code: int
    output: str
    tests: list[TestOutcome] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # test name -> failure/error message
    cases: list[Case] = field(default_factory=list)  # every testcase, in report order
    timed_out: bool = False

    def outcome(self, name: str) -> str | None:
        return next((t.outcome for t in self.tests if t.name == name), None)

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])


def clean_env(autoload: bool = False) -> dict[str, str]:
    """The environment for an inner pytest run: no options or plugins inherited from this run."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def run_pytest(
    args: list[str], *, cwd: Path, junit: Path, autoload: bool = False, timeout: float = SUBPROCESS_TIMEOUT
) -> PytestRun:
    """Run pytest in a subprocess and read its JUnit report (never its printed output) for outcomes."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", *args]
    junit.unlink(missing_ok=True)
    try:
        done = subprocess.run(
            command, cwd=cwd, env=clean_env(autoload), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        return PytestRun(command, -1, output, timed_out=True)
    run = PytestRun(command, done.returncode, done.stdout + done.stderr)
    if junit.exists():
        run.tests = read_junit(junit)
        run.cases = read_cases(junit)
        run.messages = {}
        for case in run.cases:
            if case.message:
                run.messages.setdefault(case.name, case.message)
    return run


def read_cases(junit: Path) -> list[Case]:
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                message = (child.get("message") or child.text or "").strip()
                if outcome != "skipped":
                    break
        found.append(Case(case.get("classname", ""), case.get("name", ""), outcome, message))
    return found


@dataclass
class StudentVersion:
    """The generated student version (nbgrader's preprocessors), or why it could not be made."""

    path: Path | None  # the .ipynb written for the stub run
    notebook: Notebook | None
    error: str | None = None


class ModuleContext:
    """Everything the checks of one module share. Create one per module and ``close()`` it."""

    def __init__(
        self,
        root: str | Path,
        info: ModuleInfo,
        catalog: Catalog | None = None,
        known_check_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.root = Path(root).resolve()
        self.info = info
        self._catalog = catalog
        self.known_check_ids = known_check_ids
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.cache: dict[str, Any] = {}  # for checks added through the hook

    # -- the source --------------------------------------------------------------------

    @cached_property
    def catalog(self) -> Catalog:
        return self._catalog or Catalog.discover(self.root)

    @cached_property
    def notebook(self) -> Notebook:
        return read_notebook(self.info.source)

    @cached_property
    def declarations(self) -> Declarations:
        return read_declarations(self.notebook)

    @cached_property
    def lines(self) -> list[str]:
        return self.info.source.read_text(encoding="utf-8").splitlines()

    @property
    def label(self) -> str:
        """The module file as a person would type it."""
        return self.notebook.display_path

    def where(self, cell: Cell, line_in_cell: int = 1) -> str:
        return self.notebook.where(cell, line_in_cell)

    def where_cell(self, cell: Cell) -> str:
        grade_id = f" (cell {cell.grade_id!r})" if cell.grade_id else ""
        return self.notebook.where_cell(cell) + grade_id

    def where_line(self, line: int) -> str:
        return f"{self.label}:{line}"

    def where_text(self, cell: Cell, text: str) -> str:
        """Where ``text`` appears in ``cell``: its file line (markdown cells may be quoted, so search)."""
        if self.notebook.fmt != "percent":
            return self.notebook.where_cell(cell)
        start = max(cell.header_line, 1)
        following = [c.header_line for c in self.notebook.cells if c.header_line > start]
        stop = min(following, default=len(self.lines) + 1)
        needle = text.strip()
        for number in range(start, stop):
            if needle and needle in self.lines[number - 1]:
                return self.where_line(number)
        return self.notebook.where_cell(cell)

    @cached_property
    def inline_tests(self) -> list[InlineTest]:
        return find_tests(self.notebook)

    # -- scratch space ---------------------------------------------------------------------

    def tmpdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"tinytorch-gates-{self.info.slug}-")
        return Path(self._tmp.name)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- shared runs ---------------------------------------------------------------------------

    def module_args(self, path: Path) -> list[str]:
        return [
            "-p",
            "pytest_tinytorch.plugin",
            "--rootdir",
            str(self.root),
            "--tinytorch-root",
            str(self.root),
            str(path),
        ]

    @cached_property
    def reference_run(self) -> PytestRun:
        """The module's inline tests against its reference solution."""
        junit = self.tmpdir() / "reference.xml"
        return run_pytest(self.module_args(self.info.source), cwd=self.root, junit=junit)

    @cached_property
    def student(self) -> StudentVersion:
        import jupytext

        from pytest_tinytorch import student
        from pytest_tinytorch.notebook import parse_ipynb

        # Outside modules/ and workspace/, so its tests run against this course's tinytorch/ (--tinytorch-root).
        target = self.tmpdir() / "student" / self.info.slug / f"{self.info.name}.ipynb"
        try:
            text = jupytext.writes(student.student_notebook(self.info.source), fmt="ipynb")
        except NotebookFormatError as error:
            return StudentVersion(None, None, str(error))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        try:
            return StudentVersion(target, parse_ipynb(text, target))
        except NotebookFormatError as error:
            return StudentVersion(target, None, str(error))

    @cached_property
    def stub_run(self) -> PytestRun | None:
        """The student version's tests (solutions removed), or None if there is no student version."""
        if self.student.path is None:
            return None
        junit = self.tmpdir() / "stub.xml"
        return run_pytest(self.module_args(self.student.path), cwd=self.root, junit=junit)
