"""Working copies, the cached clean student version, and backups (nbgrader replaced by a fake)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbbuild import cell, module_text

from pytest_tinytorch import student, workspace
from pytest_tinytorch.catalog import Catalog
from pytest_tinytorch.workspace import BackupNotFoundError, NoWorkingCopyError


@pytest.fixture
def generated(monkeypatch) -> list[Path]:
    """Replace nbgrader with a fake that writes the source's text, and note every generation."""
    calls: list[Path] = []

    def fake(source: Path, target: Path) -> Path:
        calls.append(Path(source))
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text("student version of " + Path(source).read_text())
        return Path(target)

    monkeypatch.setattr(student, "write_student_version", fake)
    return calls


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    folder = tmp_path / "modules" / "01_demo"
    folder.mkdir(parents=True)
    (folder / "demo.py").write_text(module_text(cell("x = 1")))
    return Catalog.discover(tmp_path)


def test_the_working_copy_is_created_once_and_never_overwritten(catalog, generated):
    info = catalog.resolve(1)
    assert workspace.create_working_copy(catalog.root, info)
    assert info.working_copy.read_text().startswith("student version of")
    info.working_copy.write_text("my work")
    assert not workspace.create_working_copy(catalog.root, info)
    assert info.working_copy.read_text() == "my work"


def test_the_clean_version_is_cached_until_the_module_changes(catalog, generated):
    info = catalog.resolve(1)
    first, made = workspace.clean_copy(catalog.root, info)
    assert made and len(generated) == 1
    assert workspace.clean_copy(catalog.root, info) == (first, False)
    assert len(generated) == 1
    info.source.write_text(module_text(cell("x = 2")))
    again, made = workspace.clean_copy(catalog.root, info)
    assert made and len(generated) == 2 and "x = 2" in again.read_text()


def test_reset_backs_up_first_and_restore_backs_up_the_current_copy(catalog, generated):
    info = catalog.resolve(1)
    info.working_copy.parent.mkdir(parents=True)
    info.working_copy.write_text("attempt 1")
    saved = workspace.reset_working_copy(catalog.root, info)
    assert saved.path.read_text() == "attempt 1"
    assert saved.path.parent == catalog.root / ".tito" / "backups" / "01_demo"
    assert info.working_copy.read_text().startswith("student version of")

    restored, current = workspace.restore_backup(catalog.root, info, saved.name)
    assert restored == saved
    assert current is not None and current.path.read_text().startswith("student version of")
    assert info.working_copy.read_text() == "attempt 1"
    # Two backups in the same second get distinct names, listed oldest first.
    assert [b.path for b in workspace.list_backups(catalog.root, info)] == [saved.path, current.path]


def test_backups_in_one_second_sort_in_the_order_they_were_made(catalog):
    info = catalog.resolve(1)
    info.working_copy.parent.mkdir(parents=True)
    for text in ("a", "b", "c"):
        info.working_copy.write_text(text)
        workspace.backup_working_copy(catalog.root, info)
    backups = workspace.list_backups(catalog.root, info)
    assert [b.path.read_text() for b in backups] == ["a", "b", "c"]
    assert workspace.find_backup(catalog.root, info, "latest").path.read_text() == "c"
    assert workspace.find_backup(catalog.root, info, None).path.read_text() == "c"


def test_missing_working_copy_and_backups_are_clear_errors(catalog):
    info = catalog.resolve(1)
    with pytest.raises(NoWorkingCopyError, match=r"workspace/01_demo/demo.ipynb does not exist"):
        workspace.reset_working_copy(catalog.root, info)
    with pytest.raises(BackupNotFoundError, match="has no backups"):
        workspace.restore_backup(catalog.root, info, None)
    info.working_copy.parent.mkdir(parents=True)
    info.working_copy.write_text("mine")
    saved = workspace.backup_working_copy(catalog.root, info)
    typo = saved.name[:-1] + str((int(saved.name[-1]) + 1) % 10)
    with pytest.raises(BackupNotFoundError, match=f"Did you mean '{saved.name}'"):
        workspace.find_backup(catalog.root, info, typo)
    assert workspace.find_backup(catalog.root, info, saved.name + ".ipynb") == saved
