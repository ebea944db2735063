"""The ``tinytorch-gates`` pytest11 entry point: ``--tinytorch-gates`` and the ``tinytorch_gate`` marker.

    pytest --tinytorch-gates=design,implementation --tinytorch-module 01
    pytest --tinytorch-gates=all modules/          # every gate, every module

Without the option nothing changes: gate checks are only collected when it is
given.  With it, each course module source (``modules/NN_name/name.py``) is
collected as its gate checks (one item per check) instead of its inline tests.
Loaded on every pytest run, so it imports only pytest and the standard library.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest

from pytest_tinytorch.gates.model import GATES

SELECTED_GATES = pytest.StashKey[tuple[str, ...]]()
NOTES = pytest.StashKey[list[str]]()
MARKER = (
    "tinytorch_gate(gate, check): a quality-gate check of a course module; select with -m \"tinytorch_gate(gate='qa')\""
)


def parse_gates(text: str) -> tuple[str, ...]:
    """``"design,qa"`` -> ``("design", "qa")`` in gate order; ``"all"`` -> every gate."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return GATES
    for name in names:
        if name not in GATES:
            close = difflib.get_close_matches(name, GATES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise pytest.UsageError(
                f"--tinytorch-gates={text!r}: {name!r} is not a gate.{hint} Gates, in order: {', '.join(GATES)} "
                "(or 'all')."
            )
    if not names:
        raise pytest.UsageError(f"--tinytorch-gates={text!r}: name at least one gate, e.g. --tinytorch-gates=design")
    return tuple(gate for gate in GATES if gate in names)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinytorch", "TinyTorch course modules")
    group.addoption(
        "--tinytorch-gates",
        dest="tinytorch_gates",
        type=parse_gates,
        default=None,
        metavar="GATES",
        help=f"run the quality-gate checks of these gates ({', '.join(GATES)}, comma-separated, or 'all') on the "
        "selected course modules (--tinytorch-module, or paths; default every module) instead of their tests",
    )


def active_gates(config: pytest.Config) -> tuple[str, ...]:
    return config.stash.get(SELECTED_GATES, ())


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    gates = config.getoption("tinytorch_gates", None) or ()
    config.stash[SELECTED_GATES] = gates
    config.stash[NOTES] = []
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
