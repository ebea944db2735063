"""Fixtures for the gate tests (helpers in ``gate_helpers.py``)."""

from __future__ import annotations

from pathlib import Path

# Imported before pytester snapshots sys.modules (see tests/plugin/conftest.py): a module first
# imported inside an inner run is dropped afterwards, and yaml would then mix old and new classes.
import jupytext  # noqa: F401
import pytest
import yaml  # noqa: F401
from gate_helpers import write_course


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The good two-module course: every design, implementation and QA check passes on it."""
    return write_course(tmp_path / "course")


@pytest.fixture
def gates_plugin_only(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest runs load only the harness and the gates plugins (as tests/plugin/conftest.py does)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_tinytorch.plugin,pytest_tinytorch.gates.plugin")
