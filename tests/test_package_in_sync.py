"""tinytorch/ is generated from modules/: the committed package must match a fresh export."""

from __future__ import annotations

from pathlib import Path

from pytest_tinytorch.catalog import Catalog
from pytest_tinytorch.export import check_package

REPO = Path(__file__).resolve().parents[1]


def test_tinytorch_matches_a_fresh_export_of_modules():
    drifts = check_package(REPO, Catalog.discover(REPO))
    described = [f"{d.problem}: {d.path.relative_to(REPO)}" for d in drifts]
    assert described == [], "run `tito source export --all` and commit tinytorch/"
