"""Fixtures for the ``tito`` end-to-end tests (helpers in ``tito_helpers.py``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tito_helpers import Tito, tito_command, write_course


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A two-module course (01_demo, 02_twice that imports it) and one milestone needing module 1."""
    return write_course(tmp_path / "course")


@pytest.fixture
def tito(course: Path) -> Tito:
    """Run ``tito ARGS`` in the course folder; returns the finished process (text output)."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        # The inner pytest runs need only the tinytorch plugin (tito loads it with -p);
        # autoloading hypothesis & co. would cost ~1.3 s per run here.
        full_env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})}
        return subprocess.run(
            [*tito_command(), *args], cwd=cwd or course, env=full_env, capture_output=True, text=True, timeout=120
        )

    return run
