"""pytest nodes: one collector per module notebook, one item per inline test.

Collection only parses (no student code runs for ``--collect-only``).  The
module's cells run once, when its first test is set up, and the executor is
closed after its last test (pytest's collector setup/teardown scoping, as
doctest modules do).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_tinytorch.catalog import ModuleInfo, parse_folder_name
from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.execute import CellExecutionError
from pytest_tinytorch.failures import describe_failure, describe_module_error
from pytest_tinytorch.inline import InlineTest, find_tests
from pytest_tinytorch.notebook import Notebook, read_notebook
from pytest_tinytorch.plugin import SETTINGS, catalog_for


class MagicSkippedWarning(pytest.PytestWarning):
    """An IPython-only line was skipped by the in-process executor."""


class ForeignPackageWarning(pytest.PytestWarning):
    """A module's cells imported a tinytorch package from outside its course."""


def identify_module(config: pytest.Config, path: Path, nb: Notebook) -> ModuleInfo | None:
    """Which course module a file is: by its folder, the one selected, or its export target."""
    parsed = parse_folder_name(path.parent.name)
    if parsed and path.stem == parsed[1]:
        return ModuleInfo(parsed[0], parsed[1], path.parent)
    selected = config.stash[SETTINGS].selected
    if len(selected) == 1:
        return selected[0]
    if nb.default_exp:
        return catalog_for(config, config.stash[SETTINGS].root).by_export(nb.default_exp)
    return None


class NotebookModule(pytest.File):
    """A course module file (``.py`` percent format or ``.ipynb``)."""

    notebook: Notebook
    module: ModuleInfo | None
    executor: Any = None
    _module_error: CellExecutionError | None = None

    def collect(self):
        try:
            nb = read_notebook(self.path)
            module = identify_module(self.config, self.path, nb)
            prepared = self.ihook.pytest_tinytorch_prepare_notebook(config=self.config, notebook=nb, module=module)
            self.notebook = prepared or nb
            self.module = module
            tests = find_tests(self.notebook)
        except NotebookFormatError as error:
            raise self.CollectError(str(error)) from None
        for test in tests:
            yield InlineTestItem.from_parent(self, name=test.name, test=test, module=module)

    def setup(self) -> None:
        self.executor = self.ihook.pytest_tinytorch_make_executor(
            config=self.config, notebook=self.notebook, module=self.module
        )
        try:
            self.executor.start()
        except CellExecutionError as error:
            self._module_error = error
        else:
            self.ihook.pytest_tinytorch_module_started(
                config=self.config, notebook=self.notebook, executor=self.executor
            )
        problem = getattr(self.executor, "package_problem", None)
        if problem:
            self.warn(ForeignPackageWarning(f"{self.notebook.display_path}: {problem}"))
        for magic in getattr(self.executor, "skipped_magics", []):
            where = self.notebook.where(magic.location.cell, magic.location.line_in_cell)
            self.warn(
                MagicSkippedWarning(
                    f"skipped IPython-only line at {where}: {magic.text!r} (use --tinytorch-executor=kernel to run it)"
                )
            )

    def teardown(self) -> None:
        if self.executor is not None:
            self.executor.close()
            self.executor = None

    def fail_if_module_broken(self) -> None:
        __tracebackhide__ = True
        if self._module_error is not None:
            pytest.fail(describe_module_error(self._module_error), pytrace=False)


class InlineTestItem(pytest.Item):
    """One ``test_*`` function from a module notebook."""

    parent: NotebookModule

    def __init__(self, *, test: InlineTest, module: ModuleInfo | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test
        # Warnings from student code are reported, never turned into failures,
        # whatever the project's filterwarnings says: a correct solution that
        # warns must not lose points.
        self.add_marker(pytest.mark.filterwarnings("default"))
        if module is not None:
            self.add_marker(pytest.mark.tinytorch(module=module.number, name=module.name))
        if test.graded:
            self.add_marker(pytest.mark.tinytorch_graded(grade_id=test.grade_id, points=test.points))
            self.user_properties += [("grade_id", test.grade_id), ("points", test.points)]
        if test.hidden:
            self.add_marker(pytest.mark.tinytorch_hidden)

    def setup(self) -> None:
        __tracebackhide__ = True
        self.parent.fail_if_module_broken()

    def runtest(self) -> None:
        __tracebackhide__ = True
        self.parent.executor.run_test(self.test.name)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        tbstyle = self.config.getoption("tbstyle")
        if self.config.getoption("fulltrace") or tbstyle in ("native", "long"):
            return self._pytest_style_failure(excinfo, tbstyle)
        error = excinfo.value
        kernel_traceback = getattr(error, "traceback", None)
        if isinstance(kernel_traceback, str):
            return f"{self.name} failed in the kernel (cell {self.test.cell.index})\n\n{kernel_traceback.rstrip()}"
        return describe_failure(self.parent.notebook, self.parent.executor.locate, self.name, error)

    def _pytest_style_failure(self, excinfo: pytest.ExceptionInfo[BaseException], tbstyle: str) -> Any:
        """pytest's own traceback formats, starting at the first notebook frame."""
        if self.config.getoption("fulltrace"):
            return excinfo.getrepr(style="long", tbfilter=False)
        locate = self.parent.executor.locate

        def from_notebook(info: pytest.ExceptionInfo[BaseException]) -> Any:
            entries = info.traceback
            for index, entry in enumerate(entries):
                if locate(str(entry.path), entry.lineno + 1):
                    return entries[index:].filter(info)
            return entries.filter(info)

        # Native style formats from excinfo.traceback itself, ignoring tbfilter.
        excinfo.traceback = from_notebook(excinfo)
        style: Literal["native", "long"] = "native" if tbstyle == "native" else "long"
        return excinfo.getrepr(style=style, tbfilter=False, showlocals=self.config.getoption("showlocals"))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        nb = self.parent.notebook
        line = self.test.cell.file_line(self.test.line_in_cell) if nb.fmt == "percent" else None
        return self.path, (line - 1 if line else None), f"{self.name} (cell {self.test.cell.index})"
