"""A student's working copies, the clean student versions, and backups.

The working copy (``workspace/NN_name/name.ipynb``, ``ModuleInfo.working_copy``)
is the student's own work: nothing here overwrites it without first copying it
to ``.tito/backups/NN_name/<YYYYmmdd-HHMMSS>.ipynb``.

The clean student version (solutions removed, by ``student.py``) is cached in
``.tito/clean/NN_name/name.ipynb`` next to a hash of what it was made from, so
a reset does not pay nbgrader's start-up again, and a changed module (or a
changed generator) is regenerated, never served stale.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pytest_tinytorch import export
from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.fsutil import atomic_write_bytes, atomic_write_text
from pytest_tinytorch.progress import STATE_DIR

CLEAN_DIR = f"{STATE_DIR}/clean"
BACKUP_DIR = f"{STATE_DIR}/backups"
_STAMP = "%Y%m%d-%H%M%S"


class NoWorkingCopyError(TinyTorchError, FileNotFoundError):
    """The command needs a working copy that does not exist."""


class BackupNotFoundError(TinyTorchError, FileNotFoundError):
    """A backup name that is not among the module's backups."""


@dataclass(frozen=True)
class Backup:
    """One saved copy of a working copy; ``name`` is what ``--restore`` takes."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def created(self) -> datetime:
        return datetime.strptime(self.name[: len("YYYYmmdd-HHMMSS")], _STAMP)

    def _order(self) -> tuple[str, int]:
        stamp, _, count = self.name.partition("~")
        return stamp, int(count) if count.isdigit() else 1


def relative(path: Path, root: Path) -> str:
    """``path`` as the student sees it: relative to the course root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# --- the clean student version -------------------------------------------------


def clean_copy(root: Path, info: ModuleInfo) -> tuple[Path, bool]:
    """The module's student version, regenerated if missing or stale; (path, was it generated now)."""
    from pytest_tinytorch import student

    target = root / CLEAN_DIR / info.slug / f"{info.name}.ipynb"
    stamp = target.with_name(target.name + ".sha256")
    digest = _source_digest(info.source, Path(student.__file__))
    if target.exists() and stamp.exists() and stamp.read_text(encoding="utf-8").strip() == digest:
        return target, False
    student.write_student_version(info.source, target)
    atomic_write_text(stamp, digest + "\n")  # written last: a crash before this regenerates
    return target, True


def _source_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def create_working_copy(root: Path, info: ModuleInfo) -> bool:
    """Create the working copy from the clean version; False (and untouched) if it exists."""
    if info.working_copy.exists():
        return False
    source, _ = clean_copy(root, info)
    _copy_atomic(source, info.working_copy)
    return True


def ensure_package(root: Path, catalog: Catalog) -> list[Path]:
    """Create the course's own ``tinytorch/`` package if it has none; the files created.

    Without it, ``import tinytorch`` in the course folder could find some other
    installed copy (e.g. the course authors' editable install) instead.  An
    existing package is left to the exporter, which keeps it up to date.
    """
    if (export.package_dir(root) / "__init__.py").exists():
        return []
    return export.write_package_inits(root, catalog)


# --- backups -------------------------------------------------------------------


def backup_dir(root: Path, info: ModuleInfo) -> Path:
    return root / BACKUP_DIR / info.slug


def backup_working_copy(root: Path, info: ModuleInfo) -> Backup:
    """Copy the working copy to a new timestamped backup."""
    if not info.working_copy.exists():
        raise _no_working_copy(root, info)
    folder = backup_dir(root, info)
    stamp = datetime.now().strftime(_STAMP)
    target = folder / f"{stamp}{info.working_copy.suffix}"
    count = 1
    while target.exists():  # two backups in one second: 20261121-103512~2
        count += 1
        target = folder / f"{stamp}~{count}{info.working_copy.suffix}"
    _copy_atomic(info.working_copy, target)
    return Backup(target)


def list_backups(root: Path, info: ModuleInfo) -> list[Backup]:
    """The module's backups, oldest first."""
    folder = backup_dir(root, info)
    found = [Backup(p) for p in folder.glob(f"*{info.working_copy.suffix}")] if folder.is_dir() else []
    return sorted(found, key=Backup._order)


def find_backup(root: Path, info: ModuleInfo, name: str | None) -> Backup:
    """A backup by name (``20261121-103512``, with or without ``.ipynb``); None or ``latest``: the newest."""
    backups = list_backups(root, info)
    if not backups:
        raise BackupNotFoundError(
            f"module={info.slug!r} has no backups in {relative(backup_dir(root, info), root)}; "
            f"'tito module reset {info.slug}' makes one before it resets your working copy."
        )
    if name in (None, "", "latest"):
        return backups[-1]
    wanted = Path(str(name)).stem
    for backup in backups:
        if backup.name == wanted:
            return backup
    names = [b.name for b in backups]
    close = difflib.get_close_matches(wanted, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise BackupNotFoundError(
        f"backup={name!r} is not a backup of {info.slug}.{hint} Its backups: {', '.join(names)} "
        f"(list them with 'tito module reset {info.slug} --list-backups')."
    )


def reset_working_copy(root: Path, info: ModuleInfo) -> Backup:
    """Back up the working copy, then replace it with the clean student version."""
    saved = backup_working_copy(root, info)
    source, _ = clean_copy(root, info)
    _copy_atomic(source, info.working_copy)
    return saved


def restore_backup(root: Path, info: ModuleInfo, name: str | None) -> tuple[Backup, Backup | None]:
    """Put a backup back as the working copy, backing up the current one first.

    Returns (the backup restored, the backup of the copy it replaced or None).
    """
    chosen = find_backup(root, info, name)
    saved = backup_working_copy(root, info) if info.working_copy.exists() else None
    _copy_atomic(chosen.path, info.working_copy)
    return chosen, saved


def _no_working_copy(root: Path, info: ModuleInfo) -> NoWorkingCopyError:
    return NoWorkingCopyError(
        f"module={info.slug!r} has no working copy ({relative(info.working_copy, root)} does not exist), "
        f"so there is nothing to back up or reset. Start it with 'tito module start {info.slug}'"
        + (
            f", or bring back a backup with 'tito module reset {info.slug} --restore'."
            if list_backups(root, info)
            else "."
        )
    )


def _copy_atomic(source: Path, target: Path) -> None:
    """Copy bytes atomically: the target is whole or untouched."""
    atomic_write_bytes(target, source.read_bytes())
