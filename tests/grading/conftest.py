"""Fixtures for the grading tests (helpers live in gradingcorpus.py, importable by name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradingcorpus import write_course


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course root holding modules/01_demo/demo.py (see gradingcorpus)."""
    return write_course(tmp_path / "course")
