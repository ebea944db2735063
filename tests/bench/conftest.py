"""Fixtures for the benchmark suite's own tests: tiny settings and a copy of the course."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_tinytorch.bench.base import Settings

REPO = Path(__file__).resolve().parents[2]
CORE_MODULES = ("01_tensor", "02_activations", "03_layers", "04_losses", "05_autograd")


@pytest.fixture
def tiny() -> Settings:
    """As little measuring as still exercises every code path (numbers are not looked at)."""
    return Settings(rounds=2, block_s=1e-4, torch=False, max_nodes=50, sizes=(1,))


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A course folder with modules 01-05 and their exported package, copied from this repo.

    The copy's ``tinytorch`` is what ``tito benchmark`` must measure, not the
    repository's own (which the test process has imported).
    """
    root = tmp_path / "course"
    for slug in CORE_MODULES:
        shutil.copytree(REPO / "modules" / slug, root / "modules" / slug)
    package = root / "tinytorch"
    (package / "core").mkdir(parents=True)
    for name in (
        "__init__.py",
        "core/__init__.py",
        *(f"core/{m}.py" for m in ("tensor", "activations", "layers", "losses", "autograd")),
    ):
        shutil.copy(REPO / "tinytorch" / name, package / name)
    init = package / "__init__.py"
    init.chmod(0o644)
    kept = [
        line
        for line in init.read_text().splitlines()
        if not line.startswith("import tinytorch.")
        or line.split()[1].rsplit(".", 1)[-1] in ("tensor", "activations", "layers", "losses", "autograd")
    ]
    init.write_text("\n".join(kept) + "\n")
    return root
