"""pytest nodes for gate runs: one collector per module source, one item per check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_tinytorch.catalog import ModuleInfo, course_root_of, parse_folder_name
from pytest_tinytorch.errors import NotebookFormatError, TinyTorchError
from pytest_tinytorch.gates.checks import builtin_checks
from pytest_tinytorch.gates.context import ModuleContext
from pytest_tinytorch.gates.declarations import header_line
from pytest_tinytorch.gates.model import GATES, Check, GateCheckFailed, run_check
from pytest_tinytorch.gates.session import active_gates
from pytest_tinytorch.plugin import SETTINGS, catalog_for


def checks_for(config: pytest.Config, info: ModuleInfo) -> dict[str, list[Check]]:
    """Every check of every gate for ``info``: the built-in ones, then the hook's."""
    found: dict[str, list[Check]] = {}
    for gate in GATES:
        extra: list[Check] = []
        for result in config.hook.pytest_tinytorch_gate_checks(config=config, module=info, gate=gate):
            for check in result or ():
                if not isinstance(check, Check) or check.gate != gate:
                    raise NotebookFormatError(
                        f"pytest_tinytorch_gate_checks(gate={gate!r}) returned {check!r}; return a list of "
                        f"pytest_tinytorch.gates.Check objects whose gate is {gate!r}."
                    )
                extra.append(check)
        found[gate] = builtin_checks(gate) + extra
    ids = [check.id for checks in found.values() for check in checks]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise NotebookFormatError(f"gate check ids must be unique; {duplicates!r} are defined more than once.")
    return found


class GateModule(pytest.File):
    """A module source (``modules/NN_name/name.py``) collected as its gate checks."""

    context: ModuleContext | None = None

    def collect(self):
        parsed = parse_folder_name(self.path.parent.name)
        assert parsed is not None  # the plugin only collects module sources
        info = ModuleInfo(parsed[0], parsed[1], self.path.parent)
        root = course_root_of(self.path) or self.config.stash[SETTINGS].root
        try:
            checks = checks_for(self.config, info)
            known = frozenset(check.id for gate in checks.values() for check in gate)
            self.context = ModuleContext(root, info, catalog_for(self.config, root), known)
            declarations = self.context.declarations
            nb = self.context.notebook
        except (NotebookFormatError, TinyTorchError) as error:
            raise self.CollectError(str(error)) from None
        for gate in active_gates(self.config):
            for check in checks[gate]:
                item = GateCheckItem.from_parent(self, name=check.id, check=check, module=info)
                reason = declarations.skip.get(check.id)
                if reason:
                    item.line = header_line(nb, check.id)
                    where = f"{nb.display_path}:{item.line}"
                    item.add_marker(
                        pytest.mark.skip(reason=f"{check.id} turned off for {info.slug} ({where}): {reason}")
                    )
                yield item

    def teardown(self) -> None:
        if self.context is not None:
            self.context.close()


class GateCheckItem(pytest.Item):
    """One gate check of one module."""

    parent: GateModule

    def __init__(self, *, check: Check, module: ModuleInfo, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.module = module
        self.line = 1  # where reports point: the file's start, or the line that turns the check off
        self.add_marker(pytest.mark.tinytorch_gate(gate=check.gate, check=check.id))
        self.add_marker(pytest.mark.tinytorch(module=module.number, name=module.name))
        self.user_properties += [("gate", check.gate), ("check", check.id), ("module", module.slug)]

    def runtest(self) -> None:
        context = self.parent.context
        assert context is not None
        outcome = run_check(self.check, context)
        self.user_properties += [("gate_note", note.line()) for note in outcome.notes]
        if not outcome.passed:
            raise GateCheckFailed(outcome, self.module.slug)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, GateCheckFailed):
            return str(excinfo.value)
        if isinstance(excinfo.value, TinyTorchError):
            return f"{self.module.slug}: gate check {self.check.id} could not run: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.line - 1, f"[{self.check.gate} gate] {self.check.id}"
