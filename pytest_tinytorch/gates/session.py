"""The hooks of a gate run (``--tinytorch-gates``), registered by the gates plugin only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def active_gates(config: pytest.Config) -> tuple[str, ...]:
    """The gates of this run: the parsed ``--tinytorch-gates`` value (the option's type returns the tuple)."""
    return config.getoption("tinytorch_gates", None) or ()


def pytest_configure(config: pytest.Config) -> None:
    gates = active_gates(config)
    if gates and config.args_source != pytest.Config.ArgsSource.ARGS and not _selected(config):
        root = _root(config)
        config.args[:] = [str(root / "modules")]


def _selected(config: pytest.Config) -> tuple[Any, ...]:
    from pytest_tinytorch.plugin import SETTINGS

    settings = config.stash.get(SETTINGS, None)
    return settings.selected if settings else ()


def _root(config: pytest.Config) -> Path:
    from pytest_tinytorch.plugin import SETTINGS

    settings = config.stash.get(SETTINGS, None)
    return settings.root if settings else config.rootpath


@pytest.hookimpl(tryfirst=True)
def pytest_tinytorch_module_path(config: pytest.Config, module: Any) -> Any:
    """Gates check the module's source in ``modules/``, never a student's working copy."""
    return module.source if active_gates(config) else None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    collected = yield
    if not active_gates(parent.config) or not _is_module_source(file_path):
        return collected
    from pytest_tinytorch.gates.items import GateModule

    # The module's inline tests are not collected in a gate run (implementation.inline-tests runs them).
    kept = [node for node in collected if not (isinstance(node, pytest.File) and node.path == file_path)]
    return [*kept, GateModule.from_parent(parent, path=file_path)]


def _is_module_source(path: Path) -> bool:
    from pytest_tinytorch.catalog import MODULES_DIR, is_module_file

    return path.suffix == ".py" and is_module_file(path) and path.parent.parent.name == MODULES_DIR


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not active_gates(config):
        return
    notes = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            notes += [str(value) for name, value in getattr(report, "user_properties", ()) if name == "gate_note"]
    if notes:
        terminalreporter.section("tinytorch gate notes (block nothing)")
        for note in dict.fromkeys(notes):
            terminalreporter.line(note)
