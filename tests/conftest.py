"""Fixtures shared by the project's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nbbuild import module_text

ModuleWriter = Callable[..., Path]


@pytest.fixture
def write_module(pytester: pytest.Pytester) -> ModuleWriter:
    """Write ``modules/NN_name/name.py`` under the pytester folder and return its path."""

    def write(*cells: str, number: int = 1, name: str = "demo") -> Path:
        folder = pytester.path / "modules" / f"{number:02d}_{name}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.py"
        path.write_text(module_text(*cells), encoding="utf-8")
        return path

    return write
